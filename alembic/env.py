"""Alembic environment for plain `alembic` commands; `reflex db migrate` and
portal.data.schema.upgrade_to_head configure their own connection."""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import portal.data.tables  # noqa: F401  (registers the tables)
from portal.data.db import get_engine

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    from portal.data.db import database_url

    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    from portal.data.schema import foreign_keys_off

    with get_engine().connect() as connection, foreign_keys_off(connection):
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

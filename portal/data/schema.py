"""Bringing a database to the current schema through the Alembic migrations.

Every command that may meet an empty database (run script, demo, scale, import) calls
``upgrade_to_head`` rather than ``create_all``, so each database carries an
``alembic_version`` and later migrations apply to it. ``reflex db migrate`` does the same.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import portal.data.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    migrate(engine, "head")


def migrate(engine: Engine, destination: str, *, down: bool = False) -> None:
    """Upgrades (or with ``down`` downgrades) the database to the ``destination`` revision."""
    config = alembic_config()
    script = ScriptDirectory.from_config(config)

    def step(revision, _context):
        if down:
            return script._downgrade_revs(destination, revision)
        return script._upgrade_revs(destination, revision)

    with engine.connect() as connection, foreign_keys_off(connection):
        with connection.begin():
            with EnvironmentContext(config, script, fn=step, destination_rev=destination) as environment:
                environment.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
                with environment.begin_transaction():
                    environment.run_migrations()


@contextmanager
def foreign_keys_off(connection: Connection):
    """SQLite migrations rebuild tables (batch mode) by copy, drop and rename, which
    enforced foreign keys forbid for a table others point at. The pragma only takes
    effect outside a transaction, so it is set before the migration transaction begins.
    Elsewhere a no-op."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        yield
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def main() -> int:
    from portal.data.db import database_url, get_engine

    upgrade_to_head(get_engine())
    print(f"database at the latest schema: {database_url()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

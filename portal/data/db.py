"""Where the database is, and how the rest of the code gets a session.

One URL decides it, for the app, the commands and Alembic alike: ``PORTAL_DB_URL``
(default: SQLite file ``portal.db`` in the working directory). PostgreSQL is
``postgresql+psycopg://user@host/db``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from pathlib import Path

from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from portal.data.secret_files import create_private_file, make_owner_only

DEFAULT_DB_URL = "sqlite:///portal.db"


def database_url() -> str:
    return os.environ.get("PORTAL_DB_URL") or DEFAULT_DB_URL


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for in-memory databases)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def keep_private(path: Path) -> None:
    """The database file is created owner-only (0600) before SQLite opens it; SQLite gives
    its -wal and -shm files the database file's permissions. An existing file of ours
    (and its -wal / -shm) loses any group and other permissions."""
    try:
        if create_private_file(path):
            return
    except FileNotFoundError:
        return  # no such directory: SQLite reports it
    for suffix in ("", "-wal", "-shm"):
        make_owner_only(path.with_name(path.name + suffix))


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None:
            keep_private(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(database_url())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: committed if the block succeeds, rolled back if it raises."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class StatementCounter:
    """Counts the SQL statements an engine runs: how the benchmark and the tests show
    that loading a customer does not issue a query per policy."""

    def __init__(self, engine: Engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args, **kwargs) -> None:
        self.count += 1

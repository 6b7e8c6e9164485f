"""The browser tests' own view of the portal's database, on SQLite or PostgreSQL alike.

Tests read (and now and then set up) rows with plain SQL through ``db.execute(sql, params)``,
the sqlite3 way: ``?`` placeholders with a sequence, ``:name`` with a dict, rows as tuples,
``fetchone`` / ``fetchall`` / iteration, ``commit``. On SQLite that is the sqlite3 connection
itself. On PostgreSQL a thin adapter over psycopg turns the placeholders into psycopg's and
gives back values as SQLite gives them (dates and instants as ISO text, booleans as 0 / 1,
whole-number sums as int), so one test reads the same on both. It autocommits: every
statement is visible to the app at once.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import make_url

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def connect(url: str):
    """A connection to the database at this SQLAlchemy URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite3.connect(parsed.database)
    return PostgresDatabase(parsed.set(drivername="postgresql").render_as_string(hide_password=False))


def sqlite_like(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite storage format
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)  # SUM over integer fen is numeric on PostgreSQL
    return value


def _sqlite_like_rows(_cursor):
    return lambda values: tuple(sqlite_like(v) for v in values)


def to_psycopg(sql: str, params) -> str:
    """sqlite3's placeholders (``?`` or ``:name``) as psycopg's (``%s`` or ``%(name)s``)."""
    sql = sql.replace("%", "%%")
    if isinstance(params, dict):
        return _NAMED.sub(r"%(\1)s", sql)
    return sql.replace("?", "%s")


class PostgresDatabase:
    def __init__(self, conninfo: str):
        import psycopg

        self._connection = psycopg.connect(conninfo, autocommit=True)

    def execute(self, sql: str, params=()):
        cursor = self._connection.cursor(row_factory=_sqlite_like_rows)
        if params:
            cursor.execute(to_psycopg(sql, params), params)
        else:
            cursor.execute(sql)
        return cursor

    def commit(self) -> None:
        """Every statement is already committed (autocommit), as the tests expect."""

    def close(self) -> None:
        self._connection.close()

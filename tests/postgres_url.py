"""The PostgreSQL server the tests use: one variable for every test module.

``PORTAL_TEST_PG_URL`` (default ``postgresql+psycopg://root@127.0.0.1:5432/test``: the
server on the developers' and CI machines). Without a server the PostgreSQL variants are
reported as skipped, with this reason, never dropped silently.
"""

from __future__ import annotations

import functools
import os

from sqlalchemy import create_engine, text

PG_URL = os.environ.get("PORTAL_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")


@functools.lru_cache(maxsize=1)
def unreachable_reason() -> str | None:
    """None when the server answers; otherwise why not (the skip reason)."""
    engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return f"no PostgreSQL at {PG_URL} (set PORTAL_TEST_PG_URL): {type(exc).__name__}"
    finally:
        engine.dispose()
    return None

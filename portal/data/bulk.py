"""Bulk-loading plumbing for generators: pre-assigned ids, chunked inserts, sequences.

Generators assign primary keys themselves (from one ``MAX(id)`` per table) so rows that
point at each other can be built in memory and written with plain ``executemany`` inserts,
no ORM object per row. PostgreSQL sequences are moved past the loaded ids afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, func, insert, select, text
from sqlmodel import Session, SQLModel

CHUNK_ROWS = 5_000


def table_of(model) -> Table:
    return model if isinstance(model, Table) else model.__table__


def next_ids(session: Session, models: Iterable) -> dict[str, int]:
    """First free id per table name (one statement per table)."""
    result: dict[str, int] = {}
    for model in models:
        table = table_of(model)
        current = session.execute(select(func.max(table.c.id))).scalar()
        result[table.name] = (current or 0) + 1
    return result


def insert_rows(session: Session, model, rows: Sequence[dict], chunk: int = CHUNK_ROWS) -> None:
    table = table_of(model)
    for start in range(0, len(rows), chunk):
        session.execute(insert(table), list(rows[start : start + chunk]))


def sync_sequences(session: Session, models: Iterable | None = None) -> None:
    """After inserting explicit ids, make PostgreSQL hand out ids above them."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues from MAX(id) by itself
    tables = [table_of(m) for m in models] if models is not None else list(SQLModel.metadata.sorted_tables)
    for table in tables:
        if "id" not in table.c:
            continue
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
            )
        )

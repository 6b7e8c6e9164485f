"""Bulk-loading plumbing for generators: pre-assigned ids, chunked inserts, sequences.

Generators assign primary keys themselves (from one ``MAX(id)`` per table) so rows that
point at each other can be built in memory and written with plain ``executemany`` inserts,
no ORM object per row. PostgreSQL sequences are moved past the loaded ids afterwards.

``copy_rows`` is the fast lane for millions of rows: ``COPY … FROM STDIN`` on PostgreSQL,
a prepared ``executemany`` on the driver's own cursor elsewhere (SQLite), both on the
session's connection and inside its transaction, past SQLAlchemy's per-row work. Column
types still convert each value on the way in (``type.bind_processor``), so personal data
is encrypted (``portal.data.pii.Encrypted``) exactly as through an ordinary insert.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.exc import DBAPIError
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


def _tuples(table: Table, rows: Sequence[dict], dialect) -> tuple[list[str], Iterator[tuple]]:
    """Column names and the rows as tuples of driver-ready values.

    Columns are those the rows give plus those with a constant Python default; a column
    with a computed default (the personal-data hashes) must be given, since nothing here
    evaluates it. Server defaults stay with the server (the column is not named)."""
    given = set().union(*rows)
    unknown = given - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name}: no column(s) {sorted(unknown)}")
    names: list[str] = []
    constants: list = []
    for column in table.c:
        if column.name in given:
            names.append(column.name)
        elif column.default is not None:
            if not column.default.is_scalar:
                raise ValueError(f"{table.name}.{column.name} has a computed default: give its value")
            constants.append((column.name, column.default.arg))
    getter = itemgetter(*names) if len(names) > 1 else (lambda row, _name=names[0]: (row[_name],))
    fixed = tuple(value for _, value in constants)
    names += [name for name, _ in constants]
    processors: list[Callable | None] = [table.c[name].type.bind_processor(dialect) for name in names]
    converting = [(i, p) for i, p in enumerate(processors) if p is not None]

    def convert() -> Iterator[tuple]:
        for row in rows:
            try:
                values = getter(row) + fixed
            except KeyError:  # a row without some column another row has: NULL / default
                values = tuple(row.get(name) for name in names[: len(names) - len(fixed)]) + fixed
            if converting:
                values = list(values)
                for i, process in converting:
                    values[i] = process(values[i])
            yield tuple(values)

    return names, convert()


def copy_rows(session: Session, model, rows: Sequence[dict]) -> None:
    """Insert ``rows`` (dicts keyed by column name) as fast as the database allows; see
    the module docstring. No ORM events run and no ids are generated: give them."""
    if not rows:
        return
    table = table_of(model)
    connection = session.connection()
    dialect = connection.dialect
    copying = dialect.name == "postgresql" and dialect.driver == "psycopg"
    if not copying and dialect.name != "sqlite":
        insert_rows(session, model, rows)  # another driver: the portable way
        return
    names, values = _tuples(table, rows, dialect)
    raw = connection.connection.driver_connection
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    target = dialect.identifier_preparer.format_table(table)
    if copying:
        with raw.cursor() as cursor:
            # Binary COPY, each value sent in its column's own type: several times less
            # work per row than text on both sides (no formatting here, no parsing there).
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (target,),
            )
            oids = dict(cursor.fetchall())
            with cursor.copy(f"COPY {target} ({quoted}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types([oids[name] for name in names])
                for row in values:
                    copy.write_row(row)
        return
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {target} ({quoted}) VALUES ({', '.join('?' * len(names))})", values)
    finally:
        cursor.close()


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


class WriteBehind:
    """Runs write jobs in order on a thread of its own while the caller builds the next
    chunk, so the database server digests one chunk's COPY while Python generates the
    next: on two cores the two overlap instead of taking turns (the thread mostly waits
    on the socket, which releases the GIL). At most ``depth`` jobs wait, so memory stays
    bounded. The session is the thread's until ``drain()``: the caller must not use it
    meanwhile. The first failure stops later jobs and is raised to the caller."""

    def __init__(self, depth: int = 1):
        self._jobs: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="write-behind", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    job()
            except BaseException as exc:  # handed to the caller by _raise
                self._error = exc
            finally:
                self._jobs.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def submit(self, job: Callable[[], None]) -> None:
        self._raise()
        self._jobs.put(job)

    def drain(self) -> None:
        """Wait until every submitted job has run (the session is the caller's again)."""
        self._jobs.join()
        self._raise()

    def close(self, raise_errors: bool = True) -> None:
        self._jobs.put(None)
        self._thread.join()
        if raise_errors:
            self._raise()


class BrokenReference(RuntimeError):
    """Loaded rows point at rows that do not exist (what a foreign key would refuse)."""


class ReferenceCheck:
    """Foreign keys checked once per load, set-based, instead of row by row (PostgreSQL).

    Row by row, each inserted row fires a trigger per foreign key that looks up and locks
    the row it points at: more than half the server's work in a bulk load. ``begin``
    switches those triggers off for this transaction (``session_replication_role =
    replica``, as ``pg_restore --disable-triggers`` does; it needs a superuser or ``GRANT
    SET ON PARAMETER session_replication_role``, and returns None without it, leaving
    the row-by-row checks on). ``finish`` then checks every foreign key of the loaded id
    ranges with one anti-join each, takes the ``FOR KEY SHARE`` locks on the older rows
    they point at that the triggers would have taken, and switches the triggers back on.
    A broken reference raises ``BrokenReference``: the load fails as a trigger would have
    made it fail, and the caller rolls back. Primary keys, unique and check constraints
    are indexes and checks, not triggers: they stay on throughout."""

    def __init__(self, session: Session):
        self.session = session

    @classmethod
    def begin(cls, session: Session) -> "ReferenceCheck | None":
        if session.get_bind().dialect.name != "postgresql":
            return None
        try:
            with session.begin_nested():  # a refused SET is undone with its savepoint
                session.execute(text("SET LOCAL session_replication_role = replica"))
        except DBAPIError:
            return None
        return cls(session)

    def finish(self, loaded: dict[str, tuple[str, int, int]]) -> None:
        """``loaded``: table name -> (key column, first key, key after the last) of the
        rows this load wrote."""
        tables = SQLModel.metadata.tables
        broken = []
        run = self.session.execute
        for name, (key, low, high) in loaded.items():
            child = tables[name]
            for fk in child.foreign_keys:
                parent, column, target = fk.column.table, fk.parent.name, fk.column.name
                in_range = f"c.{key} >= :low AND c.{key} < :high AND c.{column} IS NOT NULL"
                bounds = {"low": low, "high": high}
                missing, example = run(
                    text(
                        f"SELECT COUNT(*), MIN(c.{key}) FROM {name} c WHERE {in_range} AND NOT EXISTS "
                        f"(SELECT 1 FROM {parent.name} p WHERE p.{target} = c.{column})"
                    ),
                    bounds,
                ).one()
                if missing:
                    broken.append(f"{name}.{column} -> {parent.name}.{target}: {missing} row(s), e.g. {key} {example}")
                elif parent.name not in loaded:  # older rows: keep them from being deleted
                    run(
                        text(
                            f"SELECT 1 FROM {parent.name} p WHERE p.{target} IN "
                            f"(SELECT c.{column} FROM {name} c WHERE {in_range}) FOR KEY SHARE OF p"
                        ),
                        bounds,
                    ).all()
        if broken:
            raise BrokenReference("; ".join(broken))
        self.restore()

    def restore(self) -> None:
        """Row-by-row checks on again for the rest of the transaction."""
        self.session.execute(text("SET LOCAL session_replication_role = DEFAULT"))

    def abandon(self) -> None:
        """After a failed load: checks back on if the transaction still runs (a rollback
        switches them back on anyway)."""
        try:
            with self.session.begin_nested():
                self.restore()
        except Exception:  # the transaction is aborted: the caller's rollback restores it
            pass

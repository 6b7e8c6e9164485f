"""Importing a file in two passes, so that neither memory nor a lock grows with the file.

1. **Validating pass.** The file is read row by row; each row is parsed, then checked in
   chunks against the database (catalogue, customer identity, policy ownership) and
   against the rows before it (duplicate policy numbers, one ID number per customer
   number). The keys those file checks need are kept in a throw-away SQLite file, not in
   memory, and each chunk's database reads use their own short transaction. Nothing is
   written. A file with a bad row stops here (unless bad rows are skipped), exactly as
   when everything was done in one transaction.
2. **Writing pass.** The file is read again and the good rows are written in batches of
   ``BATCH_SIZE``, each batch one short transaction with a fixed number of statements
   (customers, policies, coverages, premiums and history inserted together, history
   heads moved once per customer). Between batches other connections get the database.

A crash leaves the committed batches; running the same import again validates and
writes again, and the rows already written compare equal and come out "unchanged". The
file's ``import_batch`` marker is written only after the last batch. Each batch checks
the database again, so a policy or customer changed by someone else in between stops
the import with a message (or, with ``skip_bad_rows``, skips that row).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.data import tables as t
from portal.data.db import session_scope
from portal.data.history import GENESIS_HASH, ChainMismatch, HistoryChainWriter
from portal.data.importers.common import (
    FILE_LEVEL_CODES,
    STATUS_EVENTS,
    ImportReport,
    PolicyRecord,
    RowError,
    coverage_rows,
    local_morning,
    policy_values,
)
from portal.data.pii import blind_index
from portal.domain.clock import utc_now
from portal.domain.masking import mask_id_number
from portal.domain.records import HistoryKind

BATCH_SIZE = 500  # rows per write transaction: a few tens of milliseconds on SQLite
CHECK_CHUNK = 1000  # rows per database look-up while validating
# The largest file accepted, by source. The life CSV is streamed (memory does not grow with
# it; about 1.2 million rows fit); the property JSON is held as one string while its items
# are parsed one at a time.
MAX_FILE_BYTES = {"life_core": 256 * 1024 * 1024, "property_core": 64 * 1024 * 1024}

RecordStream = Callable[[], Iterator[tuple[PolicyRecord | None, list[RowError]]]]


def _chunks(values: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_chunks(values, size: int = 500) -> Iterator[list]:
    values = sorted(set(values))
    for start in range(0, len(values), size):
        yield values[start : start + size]


# -- what the file checks remember about earlier rows, on disk ------------------------------
class FileKeys:
    """Policy numbers, customer numbers and ID numbers seen so far in the file, with the
    line each was first seen on: in a temporary SQLite file, so a million rows cost disk,
    not memory."""

    def __init__(self):
        handle, self._path = tempfile.mkstemp(prefix="portal-import-", suffix=".db")
        os.close(handle)
        self.db = sqlite3.connect(self._path)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE policy (policy_no TEXT PRIMARY KEY, first INTEGER) WITHOUT ROWID;"
            "CREATE TABLE customer (customer_no TEXT PRIMARY KEY, first INTEGER, id_number TEXT) WITHOUT ROWID;"
            "CREATE TABLE id_owner (id_number TEXT PRIMARY KEY, customer_no TEXT) WITHOUT ROWID;"
        )

    def close(self) -> None:
        self.db.close()
        Path(self._path).unlink(missing_ok=True)

    def _fetch(self, table: str, key: str, columns: str, keys: set[str]) -> dict:
        out = {}
        for chunk in _in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT {key}, {columns} FROM {table} WHERE {key} IN ({marks})", chunk):
                out[row[0]] = row[1] if len(row) == 2 else tuple(row[1:])
        return out

    def check_chunk(self, records: list[PolicyRecord], fail) -> None:
        """The file's own checks, in file order, as if every earlier row were in memory."""
        policies = self._fetch("policy", "policy_no", "first", {r.policy_no for r in records})
        customers = self._fetch("customer", "customer_no", "first, id_number", {r.customer.customer_no for r in records})
        owners = self._fetch("id_owner", "id_number", "customer_no", {r.customer.id_number for r in records})
        new_policies, new_customers, new_owners = {}, {}, {}
        for record in records:
            if record.policy_no in policies:
                fail(record, "duplicate_policy_no", policy_no=record.policy_no, first=policies[record.policy_no])
            else:
                policies[record.policy_no] = new_policies[record.policy_no] = record.where
            c = record.customer
            seen = customers.get(c.customer_no)
            if seen is not None and seen[1] != c.id_number:
                fail(record, "customer_mismatch_in_file", customer_no=c.customer_no, first=seen[0])
            elif seen is None:
                customers[c.customer_no] = new_customers[c.customer_no] = (record.where, c.id_number)
                other = owners.get(c.id_number)
                if other is None:
                    owners[c.id_number] = new_owners[c.id_number] = c.customer_no
                elif other != c.customer_no and not record.customer_exists:
                    fail(record, "id_number_in_use", given=mask_id_number(c.id_number), other=other)
        self.db.executemany("INSERT INTO policy VALUES (?, ?)", new_policies.items())
        self.db.executemany("INSERT INTO customer VALUES (?, ?, ?)", ((k, w, i) for k, (w, i) in new_customers.items()))
        self.db.executemany("INSERT INTO id_owner VALUES (?, ?)", new_owners.items())


# -- the database checks, for a chunk ---------------------------------------------------------
class DatabaseChecks:
    def __init__(self, session: Session, source: str, line: str, kind: str):
        self.source, self.line, self.kind = source, line, kind
        self.products = {code: (line_, kind_) for code, line_, kind_ in session.execute(
            select(t.Product.code, t.Product.line, t.Product.kind))}

    def check(self, session: Session, records: list[PolicyRecord], errors: list[RowError],
              keys: FileKeys | None = None) -> None:
        """Appends every problem of these records (in file order) to ``errors``; with
        ``keys`` the file's own checks too. Marks ``record.customer_exists``."""
        customers_by_no: dict[str, tuple[int, str]] = {}
        for chunk in _in_chunks(r.customer.customer_no for r in records):
            for cid, no, idn in session.execute(
                select(t.Customer.id, t.Customer.customer_no, t.Customer.id_number).where(t.Customer.customer_no.in_(chunk))
            ):
                customers_by_no[no] = (cid, idn)
        owner_of_id: dict[str, str] = {}
        for chunk in _in_chunks(r.customer.id_number for r in records):
            # ID numbers are encrypted at rest: found by their keyed hash (portal.data.pii).
            hashes = [blind_index("id_number", idn) for idn in chunk]
            for no, idn in session.execute(
                select(t.Customer.customer_no, t.Customer.id_number).where(t.Customer.id_number_hash.in_(hashes))
                .order_by(t.Customer.id)
            ):
                owner_of_id.setdefault(idn, no)
        policies: dict[str, tuple[str, int]] = {}
        for chunk in _in_chunks(r.policy_no for r in records):
            for no, source, holder in session.execute(
                select(t.Policy.policy_no, t.Policy.source_system, t.Policy.policyholder_id).where(t.Policy.policy_no.in_(chunk))
            ):
                policies[no] = (source, holder)

        by_record: dict[int, list[RowError]] = {}

        def fail(record: PolicyRecord, error_code: str, /, **params) -> None:
            by_record.setdefault(id(record), []).append(RowError(error_code, params, record.where, self.kind))

        for record in records:
            c = record.customer
            existing = customers_by_no.get(c.customer_no)
            record.customer_exists = existing is not None
        file_errors: dict[int, list[RowError]] = {}
        if keys is not None:
            def file_fail(record: PolicyRecord, error_code: str, /, **params) -> None:
                file_errors.setdefault(id(record), []).append(RowError(error_code, params, record.where, self.kind))
            keys.check_chunk(records, file_fail)

        for record in records:
            own = file_errors.get(id(record), [])
            # Same order as the messages always came in: duplicate, product, identity, ownership.
            errors.extend(e for e in own if e.code == "duplicate_policy_no")
            product = self.products.get(record.product_code)
            if product is None:
                fail(record, "unknown_product", code=record.product_code)
            elif product[0] != self.line:
                fail(record, "product_line_mismatch", code=record.product_code, line=f"line.{product[0]}")
            c = record.customer
            existing = customers_by_no.get(c.customer_no)
            if existing is not None and existing[1] != c.id_number:
                fail(record, "id_number_conflict", customer_no=c.customer_no,
                     existing=mask_id_number(existing[1]), given=mask_id_number(c.id_number))
            elif existing is None:
                owner = owner_of_id.get(c.id_number)
                if owner is not None and owner != c.customer_no:
                    fail(record, "id_number_in_use", given=mask_id_number(c.id_number), other=owner)
            errors.extend(by_record.pop(id(record), []))
            errors.extend(e for e in own if e.code != "duplicate_policy_no")
            policy = policies.get(record.policy_no)
            if policy is not None:
                if policy[0] != self.source:
                    fail(record, "policy_source_conflict", policy_no=record.policy_no, source=f"source.{policy[0]}")
                elif existing is None or policy[1] != existing[0]:
                    fail(record, "policy_owner_conflict", policy_no=record.policy_no)
            errors.extend(by_record.pop(id(record), []))


# -- writing a batch ----------------------------------------------------------------------------
def _insert(session: Session, table, rows: list[dict]) -> list[int]:
    """Inserts the rows in one executemany and returns their new ids in the same order;
    the ids also ascend in that order (SQLAlchemy's sorted insertmanyvalues), which the
    history chain relies on."""
    if not rows:
        return []
    core = table.__table__
    result = session.execute(insert(core).returning(core.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


class BatchWriter:
    """Writes one batch of checked records with a fixed number of statements."""

    def __init__(self, source: str, line: str, products: dict[str, tuple[str, str]]):
        self.source, self.line, self.products = source, line, products

    def write(self, session: Session, records: list[PolicyRecord], report: ImportReport) -> None:
        source, line = self.source, self.line
        # Customers: existing ones by number, new ones created in order of first appearance.
        customers: dict[str, int] = {}
        for chunk in _in_chunks(r.customer.customer_no for r in records):
            customers.update(session.execute(
                select(t.Customer.customer_no, t.Customer.id).where(t.Customer.customer_no.in_(chunk))).all())
        new_customers: dict[str, dict] = {}
        for record in records:
            c = record.customer
            if c.customer_no not in customers and c.customer_no not in new_customers:
                new_customers[c.customer_no] = dict(
                    customer_no=c.customer_no, name=c.name, id_number=c.id_number, birth_date=c.birth_date,
                    gender=c.gender, city=c.city, phone=c.phone, address=c.address,
                )
        customers.update(zip(new_customers, _insert(session, t.Customer, list(new_customers.values()))))

        # One lock on every customer whose chain this batch extends (PostgreSQL; SQLite
        # serialises writers anyway), in id order so two importers cannot deadlock.
        customer_ids = sorted({customers[r.customer.customer_no] for r in records})
        for chunk in _in_chunks(customer_ids):
            session.execute(
                select(t.Customer.id).where(t.Customer.id.in_(chunk)).order_by(t.Customer.id)
                .with_for_update(key_share=True)
            ).all()

        existing: dict[str, t.Policy] = {}
        for chunk in _in_chunks(r.policy_no for r in records):
            for policy in session.execute(select(t.Policy).where(t.Policy.policy_no.in_(chunk))).scalars():
                existing[policy.policy_no] = policy
        existing_ids = [p.id for p in existing.values()]
        coverages_of: dict[int, list[tuple[str, int]]] = {}
        installments: dict[tuple[int, date], t.PremiumInstallment] = {}
        for chunk in _in_chunks(existing_ids):
            for policy_id, responsibility, amount in session.execute(
                select(t.PolicyCoverage.policy_id, t.PolicyCoverage.responsibility, t.PolicyCoverage.amount_fen)
                .where(t.PolicyCoverage.policy_id.in_(chunk))
            ):
                coverages_of.setdefault(policy_id, []).append((responsibility, amount))
            for installment in session.execute(
                select(t.PremiumInstallment).where(t.PremiumInstallment.policy_id.in_(chunk))
            ).scalars():
                installments[(installment.policy_id, installment.due_date)] = installment

        # Policies: decide each row's outcome, insert the new ones together. A plan is
        # (record, policy id, holder id, outcome, changed, coverage changed, old status, coverages).
        plans = []
        new_policies = []
        for record in records:
            customer_id = customers[record.customer.customer_no]
            values = policy_values(record, source, line, customer_id)
            coverages = coverage_rows(record, self.products[record.product_code][1])
            policy = existing.get(record.policy_no)
            if policy is None:
                new_policies.append(values)
                plans.append([record, None, customer_id, "created", {}, True, None, coverages])
                continue
            changed = {k: v for k, v in values.items() if getattr(policy, k) != v}
            coverage_changed = sorted(coverages_of.get(policy.id, [])) != coverages
            premium_changed = self._premium_due(record, policy.id, installments)
            if not changed and not coverage_changed and not premium_changed:
                report.unchanged += 1
                continue
            old_status = policy.status
            for key, value in changed.items():
                setattr(policy, key, value)
            plans.append([record, policy.id, policy.policyholder_id, "updated", changed, coverage_changed, old_status, coverages])
        new_ids = iter(_insert(session, t.Policy, new_policies))
        for plan in plans:
            if plan[1] is None:
                plan[1] = next(new_ids)
        session.flush()

        # Coverages and paid premiums.
        replaced = [plan[1] for plan in plans if plan[3] == "updated" and plan[5]]
        for chunk in _in_chunks(replaced):
            session.execute(delete(t.PolicyCoverage).where(t.PolicyCoverage.policy_id.in_(chunk)))
        coverage_rows_ = [
            dict(policy_id=plan[1], responsibility=r, amount_fen=amount)
            for plan in plans if plan[5] for r, amount in plan[7]
        ]
        if coverage_rows_:
            session.execute(insert(t.PolicyCoverage.__table__), coverage_rows_)
        paid: dict[int, tuple[int, int]] = {}  # plan index -> (installment id, amount)
        new_installments = []
        for index, (record, policy_id, *_rest) in enumerate(plans):
            if self._premium_due(record, policy_id, installments):
                installment = installments.get((policy_id, record.start_date))
                if installment is None:
                    new_installments.append((index, dict(
                        policy_id=policy_id, due_date=record.start_date, amount_fen=record.premium_fen,
                        paid_date=record.paid_date,
                    )))
                else:
                    installment.paid_date = record.paid_date
                    paid[index] = (installment.id, installment.amount_fen)
        for (index, row), installment_id in zip(
            new_installments, _insert(session, t.PremiumInstallment, [row for _, row in new_installments])
        ):
            paid[index] = (installment_id, row["amount_fen"])
        session.flush()

        # History, in file order, continuing each customer's chain from its recorded head.
        events = []
        for index, (record, policy_id, customer_id, outcome, changed, coverage_changed, old_status, _) in enumerate(plans):
            if outcome == "created":
                note = f"imported from {source}" + (f"; {record.issue_note}" if record.issue_note else "")
                events.append((customer_id, policy_id, local_morning(record.start_date), HistoryKind.POLICY_ISSUED, None, note))
                if record.status in STATUS_EVENTS and record.status_date is not None:
                    events.append((customer_id, policy_id, local_morning(record.status_date),
                                   STATUS_EVENTS[record.status], None, f"imported from {source}"))
                report.created += 1
            else:
                if "status" in changed and record.status in STATUS_EVENTS:
                    kind, when = STATUS_EVENTS[record.status], record.status_date or record.start_date
                else:
                    kind, when = HistoryKind.SERVICE, None
                note = f"updated from {source}: " + ", ".join(sorted(changed) + (["coverages"] if coverage_changed else []))
                if "status" in changed:
                    note += f" ({old_status} -> {record.status.value})"
                events.append((customer_id, policy_id, local_morning(when) if when else utc_now(), kind, None, note[:256]))
                report.updated += 1
            if index in paid:
                installment_id, amount = paid[index]
                events.append((customer_id, policy_id, local_morning(record.paid_date), HistoryKind.PREMIUM_PAID,
                               amount, f"premium_installment#{installment_id}"))
        if events:
            self._append_history(session, events)

    @staticmethod
    def _premium_due(record: PolicyRecord, policy_id: int, installments: dict) -> bool:
        """The single premium a source reports as paid is recorded once; a paid
        installment is history and never rewritten by an import."""
        if record.paid_date is None:
            return False
        installment = installments.get((policy_id, record.start_date))
        return installment is None or installment.paid_date is None

    @staticmethod
    def _append_history(session: Session, events: list[tuple]) -> None:
        customer_ids = sorted({e[0] for e in events})
        heads: dict[int, tuple[str, int]] = {}
        newest: dict[int, str] = {}
        for chunk in _in_chunks(customer_ids):
            heads.update((c, (h, n)) for c, h, n in session.execute(
                select(t.HistoryHead.customer_id, t.HistoryHead.head_hash, t.HistoryHead.event_count)
                .where(t.HistoryHead.customer_id.in_(chunk))))
            last_ids = select(func.max(t.HistoryEvent.id)).where(t.HistoryEvent.customer_id.in_(chunk)).group_by(
                t.HistoryEvent.customer_id)
            newest.update(session.execute(
                select(t.HistoryEvent.customer_id, t.HistoryEvent.row_hash).where(t.HistoryEvent.id.in_(last_ids))).all())
        for customer_id in customer_ids:  # the same guard as append_event, once per customer
            if newest.get(customer_id, GENESIS_HASH) != heads.get(customer_id, (GENESIS_HASH, 0))[0]:
                raise ChainMismatch(f"customer {customer_id}: newest event is not the recorded head")
        writer = HistoryChainWriter(newest)
        rows = [
            writer.row(customer_id=c, policy_id=p, occurred_at=when, kind=kind, amount_fen=amount, note=note)
            for c, p, when, kind, amount, note in events
        ]
        _insert(session, t.HistoryEvent, rows)  # ids follow the list: the chain's order
        added: dict[int, int] = {}
        last: dict[int, str] = {}
        for row in rows:
            added[row["customer_id"]] = added.get(row["customer_id"], 0) + 1
            last[row["customer_id"]] = row["row_hash"]
        moves = [
            {"c": c, "old": heads[c][0], "new": last[c], "n": added[c]} for c in customer_ids if c in heads
        ]
        if moves:
            for move in moves:
                moved = session.execute(
                    update(t.HistoryHead)
                    .where(t.HistoryHead.customer_id == move["c"], t.HistoryHead.head_hash == move["old"])
                    .values(head_hash=move["new"], event_count=t.HistoryHead.event_count + move["n"])
                ).rowcount
                if moved != 1:
                    raise ChainMismatch(f"customer {move['c']}: newest event is not the recorded head")
        new_heads = [
            dict(customer_id=c, head_hash=last[c], event_count=added[c]) for c in customer_ids if c not in heads
        ]
        if new_heads:
            session.execute(insert(t.HistoryHead.__table__), new_heads)


# -- the two passes -------------------------------------------------------------------------------
def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_import(
    engine: Engine,
    module,
    path: Path,
    *,
    kind: str,
    skip_bad_rows: bool,
    today: date,
    batch_size: int = BATCH_SIZE,
    after_batch: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate the whole file, then write it in batches; see the module docstring."""
    report = ImportReport(module.SOURCE, kind)

    def reject(*errors: RowError) -> ImportReport:
        report.errors.extend(errors)
        report.rolled_back = True
        return report

    try:
        size = path.stat().st_size
        limit = MAX_FILE_BYTES[module.SOURCE]
        if size > limit:
            return reject(RowError("file_too_large", {"size": size, "max": limit}, None, kind))
        digest = _file_digest(path)
    except OSError as exc:
        return reject(RowError("file_unreadable", {"detail": exc.strerror or str(exc)}, None, kind))
    with session_scope(engine) as session:
        previous = session.execute(
            select(t.ImportBatch.imported_at).where(t.ImportBatch.file_sha256 == digest)
        ).scalar_one_or_none()
        checks = DatabaseChecks(session, module.SOURCE, module.LINE, kind)
    if previous is not None:
        report.already_imported_at = previous
        return report

    # Pass 1: validate everything; keep only errors and the file's keys.
    keys = FileKeys()
    errors: list[RowError] = []
    seen = hashlib.sha256()
    good = 0
    try:
        for chunk in _chunks(module.records_in_file(path, today, seen), CHECK_CHUNK):
            records = [record for record, _ in chunk if record is not None]
            row_errors = [e for _, errs in chunk for e in errs]
            if any(e.code == "malformed_json" for e in row_errors):
                errors = [e for e in row_errors if e.code == "malformed_json"]
                break
            # Parse errors first, then the checks of the good rows, as one pass always did.
            errors.extend(row_errors)
            if records:
                with session_scope(engine) as session:
                    checks.check(session, records, errors, keys)
            good += len(records)
            del chunk, records  # not alive while the next chunk is read
    finally:
        keys.close()
    if not errors and seen.hexdigest() != digest:
        errors.append(RowError("file_changed", {}, None, kind))
    report.errors = errors
    file_level = any(e.code in FILE_LEVEL_CODES for e in errors)
    if errors and (not skip_bad_rows or file_level):
        report.rolled_back = True
        return report

    # Pass 2: write the good rows in batches, each checked again against the database.
    bad = {e.where for e in errors}
    again = hashlib.sha256()
    writer = BatchWriter(module.SOURCE, module.LINE, checks.products)
    good_records = (r for r, _ in module.records_in_file(path, today, again) if r is not None and r.where not in bad)
    for number, batch in enumerate(_chunks(good_records, batch_size), start=1):
        with session_scope(engine) as session:
            late: list[RowError] = []
            checks.check(session, batch, late)
            if late:
                report.errors.extend(late)
                if not skip_bad_rows:
                    report.stopped = True
                    return report
                late_rows = {e.where for e in late}
                batch = [r for r in batch if r.where not in late_rows]
            writer.write(session, batch, report)
        if after_batch is not None:
            after_batch(number)
    if again.hexdigest() != digest:
        report.errors.append(RowError("file_changed", {}, None, kind))
        report.stopped = True
        return report
    if report.created or report.updated or report.unchanged:
        with session_scope(engine) as session:
            session.add(
                t.ImportBatch(
                    source=module.SOURCE, file_sha256=digest, imported_at=utc_now(),
                    row_count=report.created + report.updated + report.unchanged,
                )
            )
    return report

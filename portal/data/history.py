"""Append-only, hash-chained history of every money movement and servicing event.

Each customer has one chain, ordered by row id: a row's ``row_hash`` covers its own
content and the previous row's hash, so editing, deleting or reordering any row makes
``verify_chain`` report it. Bulk generators use ``HistoryChainWriter``, which computes the
very same hashes without reading the database for every row.

Each chain's newest hash and length are also kept in ``history_head``, updated in the
same transaction as every append; so cutting rows off the end of a chain, which leaves
an internally consistent shorter chain, is caught too.

CLI: ``python -m portal.data.history verify`` exits 1 when any chain is broken.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from json.encoder import encode_basestring  # what json.dumps(..., ensure_ascii=False) uses

from sqlalchemy import delete, func, select, text, update
from sqlmodel import Session

from portal.data.tables import Customer, HistoryEvent, HistoryHead

GENESIS_HASH = "0" * 64


def utc_naive(moment: datetime) -> datetime:
    """The instant as naive UTC: the hash must not depend on how a driver returns tzinfo."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@cache
def _column_is_aware() -> bool:
    return bool(getattr(HistoryEvent.__table__.c.occurred_at.type, "timezone", False))


def for_column(moment: datetime) -> datetime:
    """The instant in the form the ``occurred_at`` column accepts (aware UTC if it is
    timezone-aware, naive UTC otherwise)."""
    naive = utc_naive(moment)
    if _column_is_aware():
        return naive.replace(tzinfo=UTC)
    return naive


def canonical_string(
    *,
    customer_id: int,
    policy_id: int | None,
    occurred_at: datetime,
    kind: str,
    amount_fen: int | None,
    note: str,
    prev_hash: str,
) -> str:
    # A JSON array rather than a joined string: no separator inside a note can make
    # two different rows serialise alike. Written out by hand because bulk loads hash
    # millions of rows; the text is exactly json.dumps([...], ensure_ascii=False,
    # separators=(",", ":")) (tests/data/test_history.py checks it against json.dumps).
    return (
        f"[{int(customer_id)},{'null' if policy_id is None else int(policy_id)},"
        f'"{utc_naive(occurred_at).isoformat()}",{encode_basestring(str(kind))},'
        f"{'null' if amount_fen is None else int(amount_fen)},{encode_basestring(note or '')},"
        f"{encode_basestring(prev_hash)}]"
    )


def row_hash(**fields) -> str:
    return hashlib.sha256(canonical_string(**fields).encode("utf-8")).hexdigest()


def _kind_value(kind) -> str:
    return getattr(kind, "value", kind)


def last_hash(session: Session, customer_id: int) -> str:
    found = session.execute(
        select(HistoryEvent.row_hash)
        .where(HistoryEvent.customer_id == customer_id)
        .order_by(HistoryEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return found or GENESIS_HASH


def append_event(
    session: Session,
    *,
    customer_id: int,
    policy_id: int | None,
    occurred_at: datetime,
    kind,
    amount_fen: int | None,
    note: str = "",
) -> HistoryEvent:
    """Append one event to the customer's chain (flushed, so it has an id)."""
    # Lock the customer row first so two writers cannot both extend the same last hash
    # (PostgreSQL; SQLite serialises writers anyway). FOR NO KEY UPDATE, not FOR UPDATE:
    # it still excludes every other appender, but not the FOR KEY SHARE lock each insert
    # referencing the customer (a service request, a history row) takes; FOR UPDATE waited
    # on those, so two concurrent actions of one customer deadlocked every time.
    session.execute(
        select(Customer.id).where(Customer.id == customer_id).with_for_update(key_share=True)
    ).first()
    prev = last_hash(session, customer_id)
    kind_value = _kind_value(kind)
    fields = dict(
        customer_id=customer_id,
        policy_id=policy_id,
        occurred_at=for_column(occurred_at),
        kind=kind_value,
        amount_fen=amount_fen,
        note=note or "",
        prev_hash=prev,
    )
    event = HistoryEvent(**fields, row_hash=row_hash(**fields))
    session.add(event)
    session.flush()
    _advance_head(session, customer_id, prev, event.row_hash)
    return event


class ChainMismatch(RuntimeError):
    """The chain's newest row is not the recorded head: rows were removed or altered."""


def _advance_head(session: Session, customer_id: int, prev: str, new: str) -> None:
    if prev == GENESIS_HASH:
        if session.get(HistoryHead, customer_id) is not None:
            raise ChainMismatch(f"customer {customer_id}: chain is empty but has a head")
        session.add(HistoryHead(customer_id=customer_id, head_hash=new, event_count=1))
        session.flush()
        return
    moved = session.execute(
        update(HistoryHead)
        .where(HistoryHead.customer_id == customer_id, HistoryHead.head_hash == prev)
        .values(head_hash=new, event_count=HistoryHead.event_count + 1)
    ).rowcount
    if moved != 1:
        raise ChainMismatch(f"customer {customer_id}: newest event is not the recorded head")


def refresh_heads(session: Session, customer_ids: Iterable[int]) -> None:
    """Re-anchor these customers' chains at their newest rows (bulk loaders call this
    after inserting rows with ``HistoryChainWriter``)."""
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(HistoryHead).where(HistoryHead.customer_id.in_(chunk)))
        session.execute(
            text(
                "INSERT INTO history_head (customer_id, head_hash, event_count) "
                "SELECT h.customer_id, "
                "(SELECT l.row_hash FROM history_event l WHERE l.customer_id = h.customer_id "
                "ORDER BY l.id DESC LIMIT 1), COUNT(*) "
                "FROM history_event h WHERE h.customer_id IN ("
                + ",".join(str(int(c)) for c in chunk)
                + ") GROUP BY h.customer_id"
            )
        )
    session.flush()


class HistoryChainWriter:
    """Builds history rows for bulk inserts, keeping each customer's last hash in memory.

    Rows must be inserted in the order they were produced: the chain follows row ids.
    Give ``next_id`` to have ids pre-assigned (then the order cannot be lost).
    """

    def __init__(self, last_hashes: dict[int, str] | None = None, next_id: int | None = None):
        self._last: dict[int, str] = dict(last_hashes or {})
        self.next_id = next_id

    @classmethod
    def for_customers(
        cls, session: Session, customer_ids: Iterable[int], next_id: int | None = None
    ) -> "HistoryChainWriter":
        """A writer that continues the existing chains of these customers."""
        ids = sorted(set(customer_ids))
        last: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = session.execute(
                select(HistoryEvent.customer_id, HistoryEvent.row_hash)
                .where(HistoryEvent.customer_id.in_(chunk))
                .order_by(HistoryEvent.customer_id, HistoryEvent.id)
            )
            for customer_id, hash_ in rows:
                last[customer_id] = hash_
        return cls(last, next_id)

    def row(
        self,
        *,
        customer_id: int,
        policy_id: int | None,
        occurred_at: datetime,
        kind,
        amount_fen: int | None,
        note: str = "",
    ) -> dict:
        # Bulk loads hash millions of rows: each value is worked out once here.
        naive = utc_naive(occurred_at)
        kind, note = _kind_value(kind), note or ""
        prev = self._last.get(customer_id, GENESIS_HASH)
        text = canonical_string(customer_id=customer_id, policy_id=policy_id, occurred_at=naive, kind=kind,
                                amount_fen=amount_fen, note=note, prev_hash=prev)
        self._last[customer_id] = digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        fields = dict(
            customer_id=customer_id,
            policy_id=policy_id,
            occurred_at=naive.replace(tzinfo=UTC) if _column_is_aware() else naive,
            kind=kind,
            amount_fen=amount_fen,
            note=note,
            prev_hash=prev,
            row_hash=digest,
        )
        if self.next_id is not None:
            fields["id"] = self.next_id
            self.next_id += 1
        return fields


def verify_chain(session: Session, customer_id: int | None = None) -> list[int]:
    """Ids of events whose hash or link does not verify; empty means intact."""
    query = select(
        HistoryEvent.id,
        HistoryEvent.customer_id,
        HistoryEvent.policy_id,
        HistoryEvent.occurred_at,
        HistoryEvent.kind,
        HistoryEvent.amount_fen,
        HistoryEvent.note,
        HistoryEvent.prev_hash,
        HistoryEvent.row_hash,
    ).order_by(HistoryEvent.customer_id, HistoryEvent.id)
    if customer_id is not None:
        query = query.where(HistoryEvent.customer_id == customer_id)
    broken: list[int] = []
    current_customer: int | None = None
    expected_prev = GENESIS_HASH
    result = session.execute(query.execution_options(yield_per=20_000))
    for event_id, cust, policy_id, occurred_at, kind, amount_fen, note, prev, stored in result:
        if cust != current_customer:
            current_customer, expected_prev = cust, GENESIS_HASH
        recomputed = row_hash(
            customer_id=cust,
            policy_id=policy_id,
            occurred_at=occurred_at,
            kind=kind,
            amount_fen=amount_fen,
            note=note,
            prev_hash=prev,
        )
        if prev != expected_prev or recomputed != stored:
            broken.append(event_id)
        # Continue from the stored hash so one bad row is reported once, not its whole tail.
        expected_prev = stored
    return broken


def verify_heads(session: Session, customer_id: int | None = None) -> list[int]:
    """Customers whose chain does not end at its recorded head, or has another length."""
    actual = select(
        HistoryEvent.customer_id, func.count().label("n"), func.max(HistoryEvent.id).label("last_id")
    ).group_by(HistoryEvent.customer_id)
    if customer_id is not None:
        actual = actual.where(HistoryEvent.customer_id == customer_id)
    chains = {cust: (count, last_id) for cust, count, last_id in session.execute(actual)}
    heads_query = select(HistoryHead.customer_id, HistoryHead.head_hash, HistoryHead.event_count)
    if customer_id is not None:
        heads_query = heads_query.where(HistoryHead.customer_id == customer_id)
    heads = {cust: (hash_, count) for cust, hash_, count in session.execute(heads_query)}
    last_hashes = dict(
        session.execute(
            select(HistoryEvent.id, HistoryEvent.row_hash).where(
                HistoryEvent.id.in_([last_id for _, last_id in chains.values()] or [-1])
            )
        ).all()
    )
    bad = []
    for cust in sorted(set(chains) | set(heads)):
        chain = chains.get(cust)
        head = heads.get(cust)
        if chain is None or head is None:
            bad.append(cust)
            continue
        count, last_id = chain
        if head != (last_hashes.get(last_id), count):
            bad.append(cust)
    return bad


def main(argv: list[str] | None = None) -> int:
    import argparse

    from portal.data.db import get_engine, session_scope

    parser = argparse.ArgumentParser(prog="python -m portal.data.history")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="check every customer's hash chain")
    verify.add_argument("--customer", type=int, default=None)
    args = parser.parse_args(argv)

    with session_scope(get_engine()) as session:
        broken = verify_chain(session, args.customer)
        cut = verify_heads(session, args.customer)
    if broken or cut:
        if broken:
            shown = ", ".join(str(i) for i in broken[:50])
            more = f" (+{len(broken) - 50} more)" if len(broken) > 50 else ""
            print(f"history chain BROKEN at {len(broken)} event(s): {shown}{more}")
        if cut:
            shown = ", ".join(str(i) for i in cut[:50])
            print(f"history chain does not end at its recorded head for customer(s): {shown}")
        return 1
    print("history chain intact")
    return 0


if __name__ == "__main__":
    sys.exit(main())

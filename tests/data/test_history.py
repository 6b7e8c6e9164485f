"""The hash chain: append_event and the bulk writer agree, and any edit is detected."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import text
from sqlmodel import Session

from portal.data import tables as t
from portal.data.bulk import insert_rows
from portal.data.history import (
    GENESIS_HASH,
    HistoryChainWriter,
    append_event,
    canonical_string,
    row_hash,
    verify_chain,
)
from portal.domain.records import HistoryKind
from tests.data.helpers import new_engine

BEIJING = timezone(timedelta(hours=8))

EVENTS = [
    dict(policy_id=None, occurred_at=datetime(2024, 1, 2, 9, 30, tzinfo=BEIJING), kind=HistoryKind.SERVICE, amount_fen=None, note="地址变更"),
    dict(policy_id=None, occurred_at=datetime(2024, 1, 3, 1, 0, tzinfo=UTC), kind=HistoryKind.PREMIUM_PAID, amount_fen=123456, note="premium_installment#1"),
    dict(policy_id=None, occurred_at=datetime(2024, 2, 1, 10, 0), kind="benefit_paid", amount_fen=-5, note='quote " and |'),
]


def customer(session: Session, no: str) -> int:
    c = t.Customer(customer_no=no, name="测试", id_number="110105199001010011", birth_date=date(1990, 1, 1),
                   gender="M", city="北京", phone="13800000000")
    session.add(c)
    session.flush()
    return c.id


def test_writer_and_append_event_make_the_same_chain(tmp_path):
    one, two = new_engine(tmp_path / "one.db"), new_engine(tmp_path / "two.db")
    with Session(one) as s1, Session(two) as s2:
        c1, c2 = customer(s1, "C1"), customer(s2, "C1")
        appended = [append_event(s1, customer_id=c1, **e).row_hash for e in EVENTS]
        writer = HistoryChainWriter()
        rows = [writer.row(customer_id=c2, **e) for e in EVENTS]
        insert_rows(s2, t.HistoryEvent, rows)
        s1.commit()
        s2.commit()
        assert [r["row_hash"] for r in rows] == appended
        assert rows[0]["prev_hash"] == GENESIS_HASH and rows[1]["prev_hash"] == rows[0]["row_hash"]
        # Stored and read back (aware UTC from the driver), the hashes still verify.
        assert verify_chain(s1) == [] and verify_chain(s2) == []
        # A writer primed from the database continues the same chain.
        more = HistoryChainWriter.for_customers(s2, [c2]).row(customer_id=c2, **EVENTS[0])
        assert more["prev_hash"] == appended[-1]


def test_the_instant_not_its_time_zone_is_hashed():
    base = dict(customer_id=1, policy_id=2, kind="service", amount_fen=None, note="", prev_hash=GENESIS_HASH)
    beijing = row_hash(occurred_at=datetime(2024, 1, 2, 9, 30, tzinfo=BEIJING), **base)
    utc = row_hash(occurred_at=datetime(2024, 1, 2, 1, 30, tzinfo=UTC), **base)
    naive_utc = row_hash(occurred_at=datetime(2024, 1, 2, 1, 30), **base)
    assert beijing == utc == naive_utc
    assert row_hash(occurred_at=datetime(2024, 1, 2, 1, 31), **base) != utc


def test_the_hashed_text_is_the_json_array_of_the_fields():
    # canonical_string is written out by hand for speed; it must stay byte-for-byte the
    # JSON the chain was defined with, or every stored chain would stop verifying.
    for note in ("", "premium_installment#12", '引号 " 反斜杠 \\ 制表\t换行\n', "\x00\x1f\u2028 🙂"):
        for policy_id, amount in ((None, None), (7, -5), (123456789, 0)):
            fields = dict(customer_id=42, policy_id=policy_id, occurred_at=datetime(2024, 1, 2, 1, 30, 5, 7),
                          kind="premium_paid", amount_fen=amount, note=note, prev_hash=GENESIS_HASH)
            reference = json.dumps(
                [42, policy_id, "2024-01-02T01:30:05.000007", "premium_paid", amount, note, GENESIS_HASH],
                ensure_ascii=False, separators=(",", ":"),
            )
            assert canonical_string(**fields) == reference


def test_every_kind_of_edit_is_detected(tmp_path):
    engine = new_engine(tmp_path / "chain.db")
    with Session(engine) as session:
        a, b = customer(session, "CA"), customer(session, "CB")
        ids = {}
        for c in (a, b):
            ids[c] = [append_event(session, customer_id=c, **e).id for e in EVENTS]
        session.commit()
        assert verify_chain(session) == []
        edits = {
            "amount": ("UPDATE history_event SET amount_fen = 123457 WHERE id = :i", ids[a][1], [ids[a][1]]),
            "note": ("UPDATE history_event SET note = 'x' WHERE id = :i", ids[a][0], [ids[a][0]]),
            "kind": ("UPDATE history_event SET kind = 'loan_taken' WHERE id = :i", ids[b][1], [ids[b][1]]),
            "time": ("UPDATE history_event SET occurred_at = '2024-01-03 01:00:01.000000' WHERE id = :i", ids[a][1], [ids[a][1]]),
            "moved": ("UPDATE history_event SET customer_id = " + str(b) + " WHERE id = :i", ids[a][2], None),
            "deleted": ("DELETE FROM history_event WHERE id = :i", ids[b][0], [ids[b][1]]),
        }
        for name, (sql, event_id, expected) in edits.items():
            session.execute(text(sql), {"i": event_id})
            broken = verify_chain(session)
            if expected is None:
                assert broken, name
            else:
                assert broken == expected, name
            assert verify_chain(session, a if event_id in ids[a] else b) == broken or expected is None
            session.rollback()
        assert verify_chain(session) == []

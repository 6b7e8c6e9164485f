"""Shared test helpers: throw-away databases, dumps, and independent record checks."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from portal.data.db import StatementCounter
from portal.data import tables as t
from portal.data.db import make_engine
from portal.data.people import valid_id_number
from portal.data.picture import load_customer_picture
from portal.domain.categories import Category
from portal.domain.rollup import roll_up
from tests.pii_keys import decrypt, keyed_hash

TODAY = date(2026, 3, 15)

# Salted hashes differ on every build by design; everything else must not.
VOLATILE_COLUMNS = {("user_account", "password_hash"), ("import_batch", "imported_at")}


def new_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    return engine


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in id order, without the volatile columns."""
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE_COLUMNS]
            rows = conn.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(row) for row in rows]
    return out


REF = re.compile(r"^(premium_installment|benefit_item|policy_loan|loan_repayment|account_movement)#(\d+)")
MONEY_KINDS = {
    "premium_paid": "premium_installment",
    "benefit_paid": "benefit_item",
    "loan_taken": "policy_loan",
    "loan_repaid": "loan_repayment",
    "account_movement": "account_movement",
}


def record_amounts(session: Session) -> dict[tuple[str, int], tuple[int, int]]:
    """(table, id) -> (amount fen, policy id) for every money record that moved money."""
    amounts: dict[tuple[str, int], tuple[int, int]] = {}
    for rid, policy_id, fen in session.execute(
        text("SELECT id, policy_id, amount_fen FROM premium_installment WHERE paid_date IS NOT NULL")
    ):
        amounts[("premium_installment", rid)] = (fen, policy_id)
    for rid, policy_id, fen in session.execute(
        text("SELECT id, policy_id, amount_fen FROM benefit_item WHERE paid_date IS NOT NULL")
    ):
        amounts[("benefit_item", rid)] = (fen, policy_id)
    for rid, policy_id, fen in session.execute(text("SELECT id, policy_id, principal_fen FROM policy_loan")):
        amounts[("policy_loan", rid)] = (fen, policy_id)
    for rid, policy_id, fen in session.execute(
        text(
            "SELECT r.id, l.policy_id, r.principal_fen + r.interest_fen FROM loan_repayment r "
            "JOIN policy_loan l ON l.id = r.loan_id"
        )
    ):
        amounts[("loan_repayment", rid)] = (fen, policy_id)
    for rid, policy_id, fen in session.execute(
        text(
            "SELECT m.id, a.policy_id, m.amount_fen FROM account_movement m "
            "JOIN universal_account a ON a.id = m.account_id"
        )
    ):
        amounts[("account_movement", rid)] = (fen, policy_id)
    return amounts


def money_event_problems(session: Session) -> list[str]:
    """Every money record has exactly one history event, of the right kind, policy and
    amount; every money event points at such a record."""
    records = record_amounts(session)
    seen: dict[tuple[str, int], int] = {}
    problems = []
    events = session.execute(
        text("SELECT id, policy_id, kind, amount_fen, note FROM history_event WHERE kind IN "
             "('premium_paid','benefit_paid','loan_taken','loan_repaid','account_movement')")
    ).all()
    for event_id, policy_id, kind, fen, note in events:
        match = REF.match(note or "")
        if not match or match.group(1) != MONEY_KINDS[kind]:
            problems.append(f"event {event_id}: no reference to a {MONEY_KINDS[kind]} in {note!r}")
            continue
        key = (match.group(1), int(match.group(2)))
        if key not in records:
            problems.append(f"event {event_id}: {key} is not a money record")
            continue
        amount, record_policy = records[key]
        if fen != amount or policy_id != record_policy:
            problems.append(f"event {event_id}: amount {fen} / policy {policy_id} vs record {amount} / {record_policy}")
        seen[key] = seen.get(key, 0) + 1
    for key in records:
        if seen.get(key) != 1:
            problems.append(f"{key}: {seen.get(key, 0)} history events")
    return problems


def customer_id_of(session: Session, username: str) -> int:
    return session.execute(select(t.UserAccount.customer_id).where(t.UserAccount.username == username)).scalar_one()


def sql_money_by_customer(session: Session, today) -> dict[int, dict[Category, Decimal]]:
    """The paid-to-date figures of every customer, summed by SQL from the records (fen)."""
    queries = {
        Category.PREMIUMS_PAID: "SELECT p.policyholder_id, SUM(i.amount_fen) FROM premium_installment i "
        "JOIN policy p ON p.id = i.policy_id WHERE i.paid_date <= :today GROUP BY 1",
        Category.BENEFITS_RECEIVED: "SELECT p.policyholder_id, SUM(b.amount_fen) FROM benefit_item b "
        "JOIN policy p ON p.id = b.policy_id WHERE b.paid_date <= :today GROUP BY 1",
        Category.LOANS_TAKEN: "SELECT p.policyholder_id, SUM(l.principal_fen) FROM policy_loan l "
        "JOIN policy p ON p.id = l.policy_id WHERE l.start_date <= :today GROUP BY 1",
        Category.LOANS_REPAID: "SELECT p.policyholder_id, SUM(r.principal_fen + r.interest_fen) FROM loan_repayment r "
        "JOIN policy_loan l ON l.id = r.loan_id JOIN policy p ON p.id = l.policy_id "
        "WHERE r.paid_date <= :today GROUP BY 1",
    }
    out: dict[int, dict[Category, Decimal]] = {}
    for category, sql in queries.items():
        for customer_id, fen in session.execute(text(sql), {"today": today}):
            out.setdefault(customer_id, {})[category] = Decimal(int(fen)) / 100
    return out


def assert_money_reconciles(session: Session, customer_ids, today) -> None:
    """Each customer's dashboard figures equal the SQL sums, and the history counts."""
    by_sql = sql_money_by_customer(session, today)
    events = dict(session.execute(text("SELECT customer_id, COUNT(*) FROM history_event GROUP BY 1")).all())
    for customer_id in customer_ids:
        rollup = roll_up(load_customer_picture(session, customer_id), today)
        for category in (Category.PREMIUMS_PAID, Category.BENEFITS_RECEIVED, Category.LOANS_TAKEN,
                         Category.LOANS_REPAID):
            expected = by_sql.get(customer_id, {}).get(category, Decimal(0))
            assert rollup.figure(category).amount == expected, (customer_id, category)
        assert rollup.figure(Category.HISTORY).count == events[customer_id]


def assert_personal_data_sealed(session: Session, customer_ids) -> None:
    """These customers' stored personal data is ciphertext under the test key (read with
    the test's own AES-GCM), holds a valid ID number, and its lookup hash matches."""
    wanted = set(customer_ids)
    rows = [
        row[1:]
        for row in session.execute(
            text("SELECT id, id_number, phone, payout_account, id_number_hash, phone_hash FROM customer")
        )
        if row[0] in wanted
    ]
    assert len(rows) == len(wanted)
    for id_number, phone, account, id_hash, phone_hash in rows:
        assert id_number.startswith("t1:") and phone.startswith("t1:") and account.startswith("t1:")
        clear_id = decrypt("id_number", id_number)
        assert valid_id_number(clear_id)
        assert id_hash == keyed_hash("id_number", clear_id.upper())
        assert phone_hash == keyed_hash("phone", decrypt("phone", phone))
        assert decrypt("payout_account", account).isdigit()

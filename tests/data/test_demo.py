"""The demo data matches PRODUCT.md "Demo data", checked with our own SQL on the tables."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from portal.data.demo import DEMO_PASSWORD, DemoLogins, build_demo
from portal.data.history import verify_chain
from portal.data.people import valid_id_number
from portal.data.picture import load_customer_picture
from portal.domain.categories import Category
from portal.domain.rollup import roll_up
from portal.services.passwords import verify_password
from tests import pii_keys
from tests.data.helpers import TODAY, customer_id_of, dump, money_event_problems, new_engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = new_engine(tmp_path_factory.mktemp("demo") / "demo.db")
    with Session(engine) as session:
        build_demo(session, TODAY, 2019)
        session.commit()
    return engine


@pytest.fixture()
def session(engine):
    with Session(engine) as session:
        yield session
        session.rollback()


def scalar(session: Session, sql: str, **params):
    return session.execute(text(sql), params).scalar()


def rows(session: Session, sql: str, **params):
    return session.execute(text(sql), params).all()


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# -- customer 1: 157 policies --------------------------------------------------------------
def test_loyal_customer_has_157_policies_109_in_force_48_terminated(session):
    cid = customer_id_of(session, "wangjianguo")
    counts = dict(rows(session, "SELECT status, COUNT(*) FROM policy WHERE policyholder_id = :c GROUP BY status", c=cid))
    assert sum(counts.values()) == 157
    assert counts["in_force"] == 109
    assert counts.get("matured", 0) + counts.get("terminated", 0) == 48
    assert counts.get("matured", 0) > 0 and counts.get("terminated", 0) > 0
    assert "lapsed" not in counts
    lines = dict(rows(session, "SELECT line, COUNT(*) FROM policy WHERE policyholder_id = :c GROUP BY line", c=cid))
    assert lines["life"] > 130 and 1 <= lines["property"] <= 20  # mostly life, a few property


def test_loyal_customer_premium_due_now_and_in_most_months(session):
    cid = customer_id_of(session, "wangjianguo")
    due = [
        date.fromisoformat(str(d)[:10])
        for (d,) in rows(
            session,
            "SELECT i.due_date FROM premium_installment i JOIN policy p ON p.id = i.policy_id "
            "WHERE p.policyholder_id = :c AND p.status = 'in_force' AND i.paid_date IS NULL",
            c=cid,
        )
    ]
    assert any(TODAY <= d <= TODAY + timedelta(days=30) for d in due)
    windows = {(d - TODAY).days // 30 for d in due if TODAY <= d < TODAY + timedelta(days=360)}
    assert len(windows) >= 10, windows
    # Past installments are paid: nothing overdue, so no lapse risk for this customer.
    assert not [d for d in due if d < TODAY]


def test_loyal_customer_money_to_collect_now_and_in_most_months(session):
    cid = customer_id_of(session, "wangjianguo")
    items = rows(
        session,
        "SELECT b.payable_date, b.paid_date, b.kind FROM benefit_item b JOIN policy p ON p.id = b.policy_id "
        "WHERE p.policyholder_id = :c",
        c=cid,
    )
    items = [(date.fromisoformat(str(a)[:10]), b, k) for a, b, k in items]
    uncollected_now = [i for i in items if i[0] <= TODAY and i[1] is None]
    assert len(uncollected_now) >= 3
    future_windows = {(i[0] - TODAY).days // 30 for i in items if TODAY < i[0] <= TODAY + timedelta(days=360)}
    assert len(future_windows) >= 10, future_windows
    past = [i for i in items if i[0] <= TODAY - timedelta(days=60)]
    assert sum(1 for i in past if i[1] is not None) >= 0.95 * len(past)  # mostly collected
    assert {k for _, _, k in items} >= {"survival", "annuity", "dividend", "maturity"}


def owed_by_hand_fen(principal_fen: int, rate_bp: int, start: date, repayments: list[tuple[date, int, int]], on: date) -> int:
    """Outstanding principal + accrued simple interest (actual/365), rounded half-up."""
    rate = Decimal(rate_bp) / 10000
    principal = Decimal(principal_fen)
    accrued = Decimal(0)
    since = start
    for paid_on, principal_part, interest_part in sorted(repayments):
        if paid_on > on:
            continue
        accrued += principal * rate * (paid_on - since).days / 365
        accrued -= interest_part
        principal -= principal_part
        since = paid_on
    accrued += principal * rate * (on - since).days / 365
    interest = max(accrued.quantize(Decimal(1), rounding=ROUND_HALF_UP), Decimal(0))
    return int(principal + interest)


def headroom_by_hand_fen(session: Session, cid: int) -> int:
    loans: dict[int, list] = {}
    for loan_id, policy_id, principal, rate, start in rows(
        session,
        "SELECT l.id, l.policy_id, l.principal_fen, l.annual_rate_bp, l.start_date FROM policy_loan l "
        "JOIN policy p ON p.id = l.policy_id WHERE p.policyholder_id = :c",
        c=cid,
    ):
        repayments = [
            (date.fromisoformat(str(d)[:10]), p, i)
            for d, p, i in rows(
                session, "SELECT paid_date, principal_fen, interest_fen FROM loan_repayment WHERE loan_id = :l", l=loan_id
            )
        ]
        start = date.fromisoformat(str(start)[:10])
        loans.setdefault(policy_id, []).append(owed_by_hand_fen(principal, rate, start, repayments, TODAY))
    total = 0
    for policy_id, cash_value in rows(
        session,
        "SELECT p.id, p.cash_value_fen FROM policy p JOIN product pr ON pr.code = p.product_code "
        "WHERE p.policyholder_id = :c AND p.status = 'in_force' AND p.line = 'life' AND pr.loan_allowed",
        c=cid,
    ):
        limit = cash_value * 80 // 100  # 80% of cash value, rounded down to the fen
        total += max(0, limit - sum(loans.get(policy_id, [])))
    return total


def test_loyal_customer_loan_headroom_over_400k_by_hand(session):
    cid = customer_id_of(session, "wangjianguo")
    headroom = headroom_by_hand_fen(session, cid)
    assert 400_000_00 < headroom < 500_000_00
    # The domain roll-up over the loaded picture agrees to the fen.
    rollup = roll_up(load_customer_picture(session, cid), TODAY)
    assert rollup.figure(Category.LOANABLE).amount == Decimal(headroom) / 100


def test_loyal_customer_loans_and_universal_accounts(session):
    cid = customer_id_of(session, "wangjianguo")
    loans = rows(
        session,
        "SELECT l.id, l.kind, l.principal_fen, (SELECT COUNT(*) FROM loan_repayment r WHERE r.loan_id = l.id), "
        "(SELECT COALESCE(SUM(r.principal_fen), 0) FROM loan_repayment r WHERE r.loan_id = l.id) "
        "FROM policy_loan l JOIN policy p ON p.id = l.policy_id WHERE p.policyholder_id = :c",
        c=cid,
    )
    outstanding_with_repayment = [l for l in loans if l[1] == "policy_loan" and l[3] >= 1 and l[4] < l[2]]
    assert len(outstanding_with_repayment) >= 2
    accounts = rows(
        session,
        "SELECT a.id FROM universal_account a JOIN policy p ON p.id = a.policy_id WHERE p.policyholder_id = :c",
        c=cid,
    )
    assert len(accounts) == 2
    kinds = {
        k
        for (k,) in rows(
            session,
            "SELECT DISTINCT m.kind FROM account_movement m JOIN universal_account a ON a.id = m.account_id "
            "JOIN policy p ON p.id = a.policy_id WHERE p.policyholder_id = :c",
            c=cid,
        )
    }
    assert kinds == {"premium", "interest", "fee", "withdrawal"}
    assert scalar(
        session,
        "SELECT COUNT(*) FROM account_movement m JOIN universal_account a ON a.id = m.account_id "
        "JOIN policy p ON p.id = a.policy_id WHERE p.policyholder_id = :c AND m.kind = 'withdrawal'",
        c=cid,
    ) == 2  # one withdrawal per account
    # The policy's cash value is the account balance.
    for policy_id, cash_value, balance in rows(
        session,
        "SELECT p.id, p.cash_value_fen, SUM(m.amount_fen) FROM universal_account a JOIN policy p ON p.id = a.policy_id "
        "JOIN account_movement m ON m.account_id = a.id WHERE p.policyholder_id = :c GROUP BY p.id, p.cash_value_fen",
        c=cid,
    ):
        assert cash_value == balance


def test_loyal_customer_record_count_is_modest(session):
    cid = customer_id_of(session, "wangjianguo")
    picture = load_customer_picture(session, cid)
    records = (
        len(picture.policies)
        + sum(len(p.coverages) for p in picture.policies)
        + len(picture.installments)
        + len(picture.benefits)
        + len(picture.loans)
        + sum(len(l.repayments) for l in picture.loans)
        + len(picture.accounts)
        + sum(len(a.movements) for a in picture.accounts)
        + len(picture.history)
    )
    assert records <= 6000


# -- customer 2: the senior ------------------------------------------------------------
def test_senior_customer_facts(session):
    cid = customer_id_of(session, "lixiulan")
    birth = date.fromisoformat(str(scalar(session, "SELECT birth_date FROM customer WHERE id = :c", c=cid))[:10])
    assert age_on(birth, TODAY) == 68
    last_birthday = date(birth.year + 68, birth.month, min(birth.day, 28))
    assert 75 <= (TODAY - last_birthday).days <= 105  # 68 years and about 3 months

    grace = rows(
        session,
        "SELECT i.due_date FROM premium_installment i JOIN policy p ON p.id = i.policy_id "
        "WHERE p.policyholder_id = :c AND p.status = 'in_force' AND i.paid_date IS NULL AND i.due_date < :today",
        c=cid,
        today=TODAY,
    )
    assert len(grace) == 1
    assert 20 <= (TODAY - date.fromisoformat(str(grace[0][0])[:10])).days <= 40

    maturity = rows(
        session,
        "SELECT b.payable_date FROM benefit_item b JOIN policy p ON p.id = b.policy_id WHERE p.policyholder_id = :c "
        "AND p.status = 'matured' AND b.kind = 'maturity' AND b.paid_date IS NULL",
        c=cid,
    )
    assert len(maturity) == 1
    assert (TODAY - date.fromisoformat(str(maturity[0][0])[:10])).days >= 60  # payable months ago

    loans = rows(
        session,
        "SELECT l.start_date, l.principal_fen, p.status, "
        "(SELECT COUNT(*) FROM loan_repayment r WHERE r.loan_id = l.id), "
        "(SELECT COALESCE(SUM(r.principal_fen), 0) FROM loan_repayment r WHERE r.loan_id = l.id) "
        "FROM policy_loan l JOIN policy p ON p.id = l.policy_id WHERE p.policyholder_id = :c",
        c=cid,
    )
    assert len(loans) == 1
    start, principal, status, repayments, repaid = loans[0]
    assert status == "in_force" and repayments == 1 and 0 < repaid < principal
    assert 100 <= (TODAY - date.fromisoformat(str(start)[:10])).days <= 140  # ~4 months ago

    lapsed = rows(
        session, "SELECT status_date, cash_value_fen FROM policy WHERE policyholder_id = :c AND status = 'lapsed'", c=cid
    )
    assert len(lapsed) == 1
    assert 130 <= (TODAY - date.fromisoformat(str(lapsed[0][0])[:10])).days <= 170 and lapsed[0][1] > 0
    assert scalar(session, "SELECT COUNT(*) FROM policy WHERE policyholder_id = :c", c=cid) >= 6


# -- customer 3: the young family ------------------------------------------------------
def test_family_customer_facts(session):
    cid = customer_id_of(session, "zhangwei")
    birth = date.fromisoformat(str(scalar(session, "SELECT birth_date FROM customer WHERE id = :c", c=cid))[:10])
    assert age_on(birth, TODAY) == 32
    assert scalar(session, "SELECT city FROM customer WHERE id = :c", c=cid) == "广州"
    in_force = rows(
        session,
        "SELECT pr.kind, p.auto_renew, p.end_date, p.insured_name, p.beneficiaries, pr.short_term FROM policy p "
        "JOIN product pr ON pr.code = p.product_code WHERE p.policyholder_id = :c AND p.status = 'in_force'",
        c=cid,
    )
    kinds = {r[0] for r in in_force}
    assert {"auto", "home", "term", "medical"} <= kinds
    property_renew = {r[0]: r[1] for r in in_force if r[0] in ("auto", "home")}
    assert {bool(v) for v in property_renew.values()} == {True, False}
    renewal_soon = [
        r for r in in_force if r[5] and TODAY <= date.fromisoformat(str(r[2])[:10]) <= TODAY + timedelta(days=30)
    ]
    assert renewal_soon
    name = scalar(session, "SELECT name FROM customer WHERE id = :c", c=cid)
    assert any(r[3] != name for r in in_force)  # spouse / child insured
    assert any("配偶" in r[4] for r in in_force)
    covered = {
        r
        for (r,) in rows(
            session,
            "SELECT DISTINCT c.responsibility FROM policy_coverage c JOIN policy p ON p.id = c.policy_id "
            "WHERE p.policyholder_id = :c AND p.status = 'in_force'",
            c=cid,
        )
    }
    assert "critical_illness" not in covered and "retirement" not in covered  # the coverage gap
    assert {"death", "medical", "property_damage", "liability"} <= covered


# -- managers, logins, identities -------------------------------------------------------
def test_managers_and_assignments(session):
    managers = rows(session, "SELECT id, city, qualifications, rating_tenths FROM service_manager")
    assert len(managers) >= 6
    assert len({m[1] for m in managers}) >= 3
    assert all(m[2] and 0 < m[3] <= 50 for m in managers)
    unassigned = scalar(
        session, "SELECT COUNT(*) FROM customer c WHERE NOT EXISTS (SELECT 1 FROM manager_assignment a WHERE a.customer_id = c.id)"
    )
    assert unassigned == 0
    assert scalar(session, "SELECT COUNT(*) FROM customer") >= 23  # 3 named + ~20 generated
    idle = scalar(
        session, "SELECT COUNT(*) FROM service_manager m WHERE NOT EXISTS (SELECT 1 FROM manager_assignment a WHERE a.manager_id = m.id)"
    )
    assert idle == 0  # every manager has clients
    for username in ("wangjianguo", "lixiulan", "zhangwei"):
        cities = rows(
            session,
            "SELECT c.city, m.city FROM manager_assignment a JOIN customer c ON c.id = a.customer_id "
            "JOIN service_manager m ON m.id = a.manager_id WHERE c.id = :c",
            c=customer_id_of(session, username),
        )
        assert len(cities) == 1 and cities[0][0] == cities[0][1]
    mismatched = scalar(
        session,
        "SELECT COUNT(*) FROM manager_assignment a JOIN customer c ON c.id = a.customer_id "
        "JOIN service_manager m ON m.id = a.manager_id WHERE c.city <> m.city",
    )
    assert mismatched == 0


def test_demo_logins(session):
    accounts = {
        u: (role, h, cid, mid)
        for u, role, h, cid, mid in rows(session, "SELECT username, role, password_hash, customer_id, manager_id FROM user_account")
    }
    for login in DemoLogins:
        role, password_hash, customer_id, manager_id = accounts[login.username]
        assert role == login.role
        assert (customer_id is not None) == (role == "customer") and (manager_id is not None) == (role == "manager")
        assert password_hash.startswith("$argon2")
    for username in ("wangjianguo", "manager.bj1"):
        assert verify_password(DEMO_PASSWORD, accounts[username][1])
        assert not verify_password("wrong", accounts[username][1])


def test_customer_identity_fields_are_realistic(session):
    for id_number, phone, account, birth in rows(
        session, "SELECT id_number, phone, payout_account, birth_date FROM customer"
    ):
        # Stored encrypted (plain SQL reads the ciphertext); opened here with the test key.
        id_number, phone, account = (
            pii_keys.decrypt(c, v) for c, v in zip(("id_number", "phone", "payout_account"), (id_number, phone, account))
        )
        assert valid_id_number(id_number)
        assert id_number[6:14] == str(birth)[:10].replace("-", "")
        assert len(phone) == 11 and phone.isdigit() and phone.startswith("1")
        assert account.isdigit() and len(account) >= 16


# -- history -------------------------------------------------------------------------------
def test_every_money_movement_has_a_matching_history_event(session):
    assert money_event_problems(session) == []


def test_policy_lifecycle_events(session):
    missing_issue = scalar(
        session,
        "SELECT COUNT(*) FROM policy p WHERE NOT EXISTS "
        "(SELECT 1 FROM history_event h WHERE h.policy_id = p.id AND h.kind = 'policy_issued')",
    )
    assert missing_issue == 0
    for status, kind in (("lapsed", "policy_lapsed"), ("terminated", "policy_terminated"), ("matured", "policy_matured")):
        missing = scalar(
            session,
            f"SELECT COUNT(*) FROM policy p WHERE p.status = '{status}' AND NOT EXISTS "
            f"(SELECT 1 FROM history_event h WHERE h.policy_id = p.id AND h.kind = '{kind}')",
        )
        assert missing == 0, status
    future = scalar(session, "SELECT COUNT(*) FROM history_event WHERE occurred_at > :t", t=f"{TODAY + timedelta(days=1)} 00:00:00")
    assert future == 0  # history never records something that has not happened yet


def test_hash_chain_verifies_and_detects_tampering(session):
    assert verify_chain(session) == []
    event_id, customer = session.execute(
        text("SELECT id, customer_id FROM history_event WHERE amount_fen IS NOT NULL ORDER BY id LIMIT 1 OFFSET 10")
    ).one()
    session.execute(text("UPDATE history_event SET amount_fen = amount_fen + 1 WHERE id = :i"), {"i": event_id})
    assert verify_chain(session) == [event_id]
    assert verify_chain(session, customer) == [event_id]
    session.rollback()

    # Deleting a row breaks the link of the row after it.
    next_id = session.execute(
        text("SELECT MIN(id) FROM history_event WHERE customer_id = :c AND id > :i"), {"c": customer, "i": event_id}
    ).scalar()
    session.execute(text("DELETE FROM history_event WHERE id = :i"), {"i": event_id})
    assert verify_chain(session) == [next_id]
    session.rollback()
    assert verify_chain(session) == []


# -- determinism and the CLI -----------------------------------------------------------
def build_into(path: Path, seed: int, today: date = TODAY):
    engine = new_engine(path)
    with Session(engine) as session:
        build_demo(session, today, seed)
        session.commit()
    return engine


def test_same_seed_and_day_give_identical_data(engine, tmp_path):
    again = build_into(tmp_path / "again.db", 2019)
    assert dump(again) == dump(engine)
    other = build_into(tmp_path / "other.db", 7)
    assert dump(other) != dump(engine)


def test_demo_holds_on_a_leap_day(tmp_path):
    leap = date(2028, 2, 29)
    engine = build_into(tmp_path / "leap.db", 2019, leap)
    with Session(engine) as session:
        cid = customer_id_of(session, "wangjianguo")
        statuses = dict(rows(session, "SELECT status, COUNT(*) FROM policy WHERE policyholder_id = :c GROUP BY status", c=cid))
        assert statuses["in_force"] == 109 and sum(statuses.values()) == 157
        rollup = roll_up(load_customer_picture(session, cid), leap)
        assert rollup.figure(Category.LOANABLE).amount > 400_000
        assert money_event_problems(session) == []
        assert verify_chain(session) == []


def run_cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PORTAL_DB_URL": f"sqlite:///{db}", "PORTAL_TODAY": TODAY.isoformat()}
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_cli_if_empty_never_touches_existing_data(engine, tmp_path):
    db = tmp_path / "cli.db"
    result = run_cli(db, "portal.data.demo", "--if-empty")
    assert result.returncode == 0, result.stderr
    loaded = dump(new_engine(db))
    assert dump(engine) == loaded  # same seed, same PORTAL_TODAY
    again = run_cli(db, "portal.data.demo", "--if-empty")
    assert again.returncode == 0 and "not loaded" in again.stdout
    assert dump(new_engine(db)) == loaded
    verify = run_cli(db, "portal.data.history", "verify")
    assert verify.returncode == 0 and "intact" in verify.stdout

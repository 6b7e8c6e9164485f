"""load_customer_picture: a fixed number of statements, and records equal to the tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, text
from sqlmodel import Session

from portal.data import tables as t
from portal.data.demo import build_demo
from portal.data.picture import load_customer_picture, load_policy_owner
from portal.data.scale import generate
from portal.domain import records as r
from tests.data.helpers import TODAY, StatementCounter, customer_id_of, new_engine


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    engine = new_engine(tmp_path_factory.mktemp("picture") / "picture.db")
    with Session(engine) as session:
        build_demo(session, TODAY, 2019)
        single = generate(session, customers=1, policies_per_customer=1, seed=1, today=TODAY, rng_name="single")
        session.execute(  # a Core insert: encrypted and hashed by the column types
            insert(t.Customer),
            [dict(customer_no="EMPTY00001", name="空户", id_number="110105199001010011", birth_date=date(1990, 1, 1),
                  gender="M", city="北京", phone="13800000000", address="", payout_bank="", payout_account="",
                  preferred_language="zh")],
        )
        session.commit()
        loyal = customer_id_of(session, "wangjianguo")
        empty = session.execute(text("SELECT id FROM customer WHERE customer_no = 'EMPTY00001'")).scalar_one()
    counter = StatementCounter(engine)
    return engine, counter, loyal, single.customer_ids[0], empty


def statements_for(db, customer_id: int) -> tuple[int, r.CustomerPicture]:
    engine, counter, *_ = db
    with Session(engine) as session:
        before = counter.count
        picture = load_customer_picture(session, customer_id)
        return counter.count - before, picture


def test_statement_count_does_not_grow_with_policies(db):
    _, _, loyal, single, empty = db
    big, big_picture = statements_for(db, loyal)
    small, small_picture = statements_for(db, single)
    none, none_picture = statements_for(db, empty)
    assert len(big_picture.policies) == 157 and len(small_picture.policies) == 1 and not none_picture.policies
    assert big == small == none == 9


def test_loading_twice_gives_equal_pictures(db):
    _, _, loyal, *_ = db
    assert statements_for(db, loyal)[1] == statements_for(db, loyal)[1]


def fen(amount: Decimal) -> int:
    assert amount == amount.quantize(Decimal("0.01"))
    return int(amount * 100)


def day(value) -> date | None:
    return None if value is None else date.fromisoformat(str(value)[:10])


def test_records_match_the_tables(db):
    engine, _, loyal, *_ = db
    _, picture = statements_for(db, loyal)
    with Session(engine) as s:
        q = lambda sql: s.execute(text(sql), {"c": loyal}).all()  # noqa: E731
        policies = {
            row[0]: row
            for row in q(
                "SELECT p.id, p.policy_no, p.line, p.product_code, pr.name_zh, pr.name_en, p.status, c.name, "
                "p.insured_name, p.beneficiaries, p.start_date, p.end_date, p.sum_assured_fen, p.premium_fen, "
                "p.payment_frequency, p.payment_term_years, p.cash_value_fen, pr.loan_allowed, pr.loan_rate_bp, "
                "p.auto_renew, p.status_date FROM policy p JOIN product pr ON pr.code = p.product_code "
                "JOIN customer c ON c.id = p.policyholder_id WHERE p.policyholder_id = :c"
            )
        }
        assert {p.policy_id for p in picture.policies} == set(policies)
        for p in picture.policies:
            row = policies[p.policy_id]
            assert (p.policy_no, p.line.value, p.product_code, p.product_name_zh, p.product_name_en) == row[1:6]
            assert (p.status.value, p.policyholder_name, p.insured_name) == row[6:9]
            assert p.beneficiaries == (row[9] or "法定")
            assert (p.start_date, p.end_date, p.status_date) == (day(row[10]), day(row[11]), day(row[20]))
            assert (fen(p.sum_assured), fen(p.premium), fen(p.cash_value)) == (row[12], row[13], row[16])
            assert (p.payment_frequency.value, p.payment_term_years) == (row[14], row[15])
            assert (p.loan_allowed, p.loan_rate, p.auto_renew) == (bool(row[17]), Decimal(row[18]) / 10000, bool(row[19]))
        coverages = sorted(
            q("SELECT c.policy_id, c.responsibility, c.amount_fen FROM policy_coverage c JOIN policy p ON p.id = c.policy_id WHERE p.policyholder_id = :c")
        )
        assert sorted((p.policy_id, c.responsibility.value, fen(c.amount)) for p in picture.policies for c in p.coverages) == coverages

        installments = q(
            "SELECT i.id, i.policy_id, i.due_date, i.amount_fen, i.paid_date FROM premium_installment i "
            "JOIN policy p ON p.id = i.policy_id WHERE p.policyholder_id = :c ORDER BY i.id"
        )
        assert sorted(
            (i.installment_id, i.policy_id, i.due_date, fen(i.amount), i.paid_date) for i in picture.installments
        ) == [(a, b, day(c), d, day(e)) for a, b, c, d, e in installments]

        benefits = q(
            "SELECT b.id, b.policy_id, b.kind, b.payable_date, b.amount_fen, b.paid_date FROM benefit_item b "
            "JOIN policy p ON p.id = b.policy_id WHERE p.policyholder_id = :c ORDER BY b.id"
        )
        assert sorted(
            (b.benefit_id, b.policy_id, b.kind.value, b.payable_date, fen(b.amount), b.paid_date) for b in picture.benefits
        ) == [(a, b, k, day(c), d, day(e)) for a, b, k, c, d, e in benefits]

        loans = q(
            "SELECT l.id, l.policy_id, l.loan_no, l.kind, l.principal_fen, l.annual_rate_bp, l.start_date, l.due_date "
            "FROM policy_loan l JOIN policy p ON p.id = l.policy_id WHERE p.policyholder_id = :c ORDER BY l.id"
        )
        assert sorted(
            (l.loan_id, l.policy_id, l.loan_no, l.kind.value, fen(l.principal), int(l.annual_rate * 10000), l.start_date, l.due_date)
            for l in picture.loans
        ) == [(a, b, c, d, e, f, day(g), day(h)) for a, b, c, d, e, f, g, h in loans]
        repayments = q(
            "SELECT r.id, r.loan_id, r.paid_date, r.principal_fen, r.interest_fen FROM loan_repayment r "
            "JOIN policy_loan l ON l.id = r.loan_id JOIN policy p ON p.id = l.policy_id WHERE p.policyholder_id = :c ORDER BY r.id"
        )
        assert sorted(
            (x.repayment_id, x.loan_id, x.paid_date, fen(x.principal), fen(x.interest)) for l in picture.loans for x in l.repayments
        ) == [(a, b, day(c), d, e) for a, b, c, d, e in repayments]

        movements = q(
            "SELECT m.id, m.account_id, m.occurred_on, m.kind, m.amount_fen FROM account_movement m "
            "JOIN universal_account a ON a.id = m.account_id JOIN policy p ON p.id = a.policy_id "
            "WHERE p.policyholder_id = :c ORDER BY m.id"
        )
        assert sorted(
            (m.movement_id, m.account_id, m.occurred_on, m.kind, fen(m.amount)) for a in picture.accounts for m in a.movements
        ) == [(a, b, day(c), d, e) for a, b, c, d, e in movements]
        assert len(picture.accounts) == 2

        history = q("SELECT id, policy_id, kind, amount_fen, note FROM history_event WHERE customer_id = :c ORDER BY id")
        assert sorted(
            (h.event_id, h.policy_id, h.kind.value, None if h.amount is None else fen(h.amount), h.note) for h in picture.history
        ) == [tuple(row) for row in history]
    # Deterministic order: chronological, ties by id.
    assert [i.due_date for i in picture.installments] == sorted(i.due_date for i in picture.installments)
    assert [h.occurred_at for h in picture.history] == sorted(h.occurred_at for h in picture.history)


def test_load_policy_owner(db):
    engine, _, loyal, *_ = db
    with Session(engine) as session:
        policy_no = session.execute(text("SELECT policy_no FROM policy WHERE policyholder_id = :c LIMIT 1"), {"c": loyal}).scalar()
        assert load_policy_owner(session, policy_no) == loyal
        assert load_policy_owner(session, "NO-SUCH-POLICY") is None


def test_a_counted_history_gives_the_same_figures_as_a_read_one(db):
    """Pages that show only the history's count read no history rows: the count equals
    SQL's, and every other figure of the roll-up is unchanged."""
    from portal.domain.categories import Category
    from portal.domain.rollup import roll_up

    engine, counter, loyal, *_ = db
    with Session(engine) as session:
        expected = session.execute(text("SELECT COUNT(*) FROM history_event WHERE customer_id = :c"), {"c": loyal}).scalar_one()
        before = counter.count
        counted = load_customer_picture(session, loyal, history=False)
        assert counter.count - before == 9  # the count replaces the read: still fixed
        read = load_customer_picture(session, loyal)
    assert expected > 1000 and counted.history == () and counted.history_count == expected
    full, light = roll_up(read, TODAY), roll_up(counted, TODAY)
    assert light.figure(Category.HISTORY).count == expected == full.figure(Category.HISTORY).count
    for category in Category:
        if category is not Category.HISTORY:
            assert light.figure(category) == full.figure(category), category


def test_one_policys_picture_holds_only_that_policys_records(db):
    engine, _, loyal, *_ = db
    with Session(engine) as session:
        policy_id, count = session.execute(text(
            "SELECT policy_id, COUNT(*) FROM history_event WHERE customer_id = :c AND policy_id IS NOT NULL "
            "GROUP BY policy_id ORDER BY COUNT(*) DESC LIMIT 1"), {"c": loyal}).one()
        installments = session.execute(text("SELECT COUNT(*) FROM premium_installment WHERE policy_id = :p"), {"p": policy_id}).scalar_one()
        one = load_customer_picture(session, loyal, only_policy_id=policy_id)
    assert [p.policy_id for p in one.policies] == [policy_id]
    assert len(one.history) == count and {e.policy_id for e in one.history} == {policy_id}
    assert len(one.installments) == installments and all(i.policy_id == policy_id for i in one.installments)

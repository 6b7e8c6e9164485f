"""Concurrent submissions decided on the same figures: only as many win as the limit allows.

Threads are released together by a barrier. On SQLite the database is a file (the
``engine`` fixture's tmp_path), so every thread's connection sees the same data.
Besides the free-running races, a few tests force the worst interleaving on purpose: a
competitor commits while the other submission is half-way through reading its figures.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import OperationalError

from portal.data import tables as t
from portal.data.db import session_scope
from portal.data.picture import load_customer_picture
from portal.domain.actions import ActionKind
from portal.domain.categories import Category
from portal.domain.loans import loan_balance
from portal.domain.rejections import Rejected
from portal.domain.rollup import account_value
from portal.services.servicing import lookup, requests
from tests.services.conftest import POSTGRES_BACKEND, TODAY
from tests.services.servicing_fixtures import LOAN_LIMIT_WL, NOW, together

LOSING_CODES = {
    "take_loan": {"error.loan_above_headroom", "error.loan_no_headroom", "error.figures_changed", "error.busy"},
    "withdraw": {"error.withdraw_above_available", "error.figures_changed", "error.busy"},
    "collect_benefit": {"error.not_claimable", "error.figures_changed", "error.busy"},
    "pay_premium": {"error.nothing_due", "error.figures_changed", "error.busy"},
    "repay_loan": {"error.loan_closed", "error.repay_above_due", "error.figures_changed", "error.busy"},
}


def _race(world, kind, forms):
    """Each form reviewed first (so all are decided on the same figures), then all
    submitted at the same moment under different keys. Returns (wins, refusals)."""
    carol = world.principal()
    reviews = [world.review(carol, kind, form) for form in forms]
    ready = [world.stepped_up(carol, kind, rv) for rv in reviews]
    results = together(
        len(forms), lambda i: world.submit(carol, kind, forms[i], rv=reviews[i], key=ready[i][0], grant=ready[i][1])
    )
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, Rejected)]
    assert unexpected == []
    wins = [r for r in results if not isinstance(r, Exception)]
    refusals = [r.code for r in results if isinstance(r, Rejected)]
    assert set(refusals) <= LOSING_CODES[kind], refusals
    return wins, refusals


def _principal_lent_fen(world, policy_no) -> int:
    return sum(loan.principal_fen for loan in world.rows(t.PolicyLoan, t.PolicyLoan.policy_id == world.ids[policy_no]))


def _owed_on(world, policy_no) -> Decimal:
    with session_scope(world.engine) as s:
        pic = load_customer_picture(s, world.ids["C3"])
    return sum(
        (loan_balance(loan, TODAY).total_due for loan in pic.loans if loan.policy_id == world.ids[policy_no]),
        Decimal("0"),
    )


# ------------------------------------------------------------------ free-running races


@pytest.mark.parametrize("threads, amount", [(2, "40000"), (5, "20000")])
def test_loans_that_together_exceed_the_headroom_lend_only_once(world, threads, amount):
    # Headroom ¥69,747.95: each loan fits, any two together (or all five) do not
    # fit in the review each customer confirmed.
    wins, refusals = _race(world, "take_loan", [{"policy": "P-C-WL", "amount": amount, "term_months": 6}] * threads)

    assert len(wins) == 1 and wins[0].status == "completed"
    assert len(refusals) == threads - 1
    lent = _principal_lent_fen(world, "P-C-WL")
    assert lent == 1_000_000 + int(Decimal(amount) * 100)
    assert lent <= LOAN_LIMIT_WL * 100
    assert _owed_on(world, "P-C-WL") <= LOAN_LIMIT_WL
    assert len(world.history(kind="loan_taken")) == 1
    assert len(world.rows(t.ServiceRequest)) == 1  # a refused submission leaves no request
    assert world.chain_is_clean()


def test_held_loans_that_together_exceed_the_headroom_are_held_only_once(world):
    # ¥320,000.00 of headroom on P-C-BIG; two ¥200,000.00 loans are each held for review.
    wins, refusals = _race(world, "take_loan", [{"policy": "P-C-BIG", "amount": "200000", "term_months": 6}] * 2)
    assert [w.status for w in wins] == ["under_review"] and len(refusals) == 1
    held = world.rows(t.ServiceRequest, t.ServiceRequest.status == "under_review")
    assert [r.amount_fen for r in held] == [20_000_000]
    assert requests.release_held_loans(TODAY + timedelta(days=1), now=NOW + timedelta(days=1), engine=world.engine) == 1
    assert _principal_lent_fen(world, "P-C-BIG") == 20_000_000


def test_withdrawals_that_together_breach_the_minimum_balance_pay_only_once(world):
    # ¥46,200.00 is available above the ¥5,000.00 minimum; two ¥30,000.00 withdrawals.
    wins, refusals = _race(world, "withdraw", [{"policy": "P-C-UL", "amount": "30000"}] * 2)
    assert len(wins) == 1 and len(refusals) == 1
    movements = world.rows(t.AccountMovement, t.AccountMovement.request_id.is_not(None))
    assert sorted(m.amount_fen for m in movements) == [-2_910_000, -90_000]  # net 29,100 + charge 900
    with session_scope(world.engine) as s:
        (account,) = load_customer_picture(s, world.ids["C3"]).accounts
    assert account_value(account, TODAY) == Decimal("21200.00") >= account.minimum_balance
    assert world.chain_is_clean()


def test_two_collections_of_one_benefit_item_pay_it_once(world):
    item = world.ids["benefit:P-C-END:survival:2026-06-01"]
    wins, refusals = _race(world, "collect_benefit", [{"items": [item]}] * 2)
    assert len(wins) == 1 and len(refusals) == 1
    (row,) = world.rows(t.BenefitItem, t.BenefitItem.id == item)
    assert row.paid_date == TODAY and row.request_id is not None
    assert [e.amount_fen for e in world.history(kind="benefit_paid")] == [200_000]
    assert world.chain_is_clean()


def test_overlapping_collections_pay_each_item_once(world):
    survival = world.ids["benefit:P-C-END:survival:2026-06-01"]
    dividend = world.ids["benefit:P-C-END:dividend:2026-10-01"]
    wins, refusals = _race(world, "collect_benefit", [{"items": [survival, dividend]}, {"items": [dividend]}])
    assert len(wins) == 1 and len(refusals) == 1
    paid = world.rows(t.BenefitItem, t.BenefitItem.request_id.is_not(None))
    assert len({row.request_id for row in paid}) == 1  # whichever won paid all of its items
    assert sum(e.amount_fen for e in world.history(kind="benefit_paid")) == sum(row.amount_fen for row in paid)


def test_two_payments_of_one_premium_pay_it_once(world):
    wins, refusals = _race(world, "pay_premium", [{"policies": ["P-C-WL"]}] * 2)
    assert len(wins) == 1 and len(refusals) == 1
    (row,) = world.rows(t.PremiumInstallment, t.PremiumInstallment.id == world.ids["inst:P-C-WL:2026-12-01"])
    assert row.paid_date == TODAY
    assert len(world.history(kind="premium_paid")) == 1


def test_two_full_repayments_of_one_loan_repay_it_once(world):
    wins, refusals = _race(world, "repay_loan", [{"loan": "L-C-1", "amount": "10252.05"}] * 2)
    assert len(wins) == 1 and len(refusals) == 1
    repayments = world.rows(t.LoanRepayment)
    assert [(r.principal_fen, r.interest_fen) for r in repayments] == [(1_000_000, 25_205)]
    assert _owed_on(world, "P-C-WL") == Decimal("0.00")


def test_different_actions_of_one_customer_at_once_all_succeed_on_one_chain(world):
    carol = world.principal()
    jobs = [
        ("take_loan", {"policy": "P-C-WL", "amount": "1000", "term_months": 3}),
        ("withdraw", {"policy": "P-C-UL", "amount": "1000"}),
        ("collect_benefit", {"items": [world.ids["benefit:P-C-END:dividend:2026-10-01"]]}),
        ("auto_renew", {"policy": "P-C-ST", "enable": True}),
        ("pay_premium", {"policies": ["P-C-END"]}),
    ]
    reviews = [world.review(carol, kind, form) for kind, form in jobs]
    ready = [world.stepped_up(carol, kind, rv) for (kind, _form), rv in zip(jobs, reviews)]

    results = together(
        len(jobs),
        lambda i: world.submit(carol, jobs[i][0], jobs[i][1], rv=reviews[i], key=ready[i][0], grant=ready[i][1]),
    )

    assert [getattr(r, "status", r) for r in results] == ["completed"] * len(jobs)
    assert len(world.history()) == len(jobs)
    assert world.chain_is_clean()


def test_two_customers_acting_at_once_keep_both_chains_intact(world):
    carol, bob = world.principal("carol"), world.principal("bob")
    jobs = [
        (carol, {"policy": "P-C-WL", "amount": "1000", "term_months": 3}),
        (bob, {"policy": "P-BOB-1", "amount": "1000", "term_months": 3}),
    ] * 2
    reviews = [world.review(who, "take_loan", form) for who, form in jobs[:2]] * 2
    ready = [world.stepped_up(who, "take_loan", rv) for (who, _form), rv in zip(jobs, reviews)]

    results = together(
        len(jobs),
        lambda i: world.submit(jobs[i][0], "take_loan", jobs[i][1], rv=reviews[i], key=ready[i][0], grant=ready[i][1]),
    )

    assert sum(not isinstance(r, Exception) for r in results) == 2  # one per customer
    assert len(world.history("C3")) == 1 and len(world.history("C2")) == 1
    assert world.chain_is_clean()


def test_release_and_cancel_at_the_same_moment_do_exactly_one_of_the_two(world):
    carol = world.principal()
    held = world.submit(carol, "take_loan", {"policy": "P-C-BIG", "amount": "150000", "term_months": 6},
                        step_up=True)
    tomorrow, later = TODAY + timedelta(days=1), NOW + timedelta(days=1)

    def work(i):
        if i == 0:
            return requests.release_held_loans(tomorrow, now=later, engine=world.engine)
        return requests.cancel(carol, held.request_no, now=later, engine=world.engine)

    released, cancelled = together(2, work)
    (request,) = world.rows(t.ServiceRequest)
    loans = world.rows(t.PolicyLoan, t.PolicyLoan.request_id == request.id)
    if request.status == "cancelled":
        assert released == 0 and cancelled.status == "cancelled" and loans == []
    else:
        assert request.status == "completed" and released == 1 and len(loans) == 1
        assert isinstance(cancelled, Rejected) and cancelled.code == "error.cannot_cancel"
    assert world.chain_is_clean()


# ------------------------------------------------------------------ forced interleavings


def _interleave(monkeypatch, where: str, competitor) -> list:
    """The first time the main thread reaches ``lookup.<where>``, ``competitor`` runs to
    completion in another thread (its own connection and transaction) before the main
    thread goes on. Returns a list that receives the competitor's result."""
    real = getattr(lookup, where)
    main = threading.current_thread()
    outcome: list = []

    def run():
        try:
            outcome.append(competitor())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome.append(exc)

    def hooked(*args, **kwargs):
        if threading.current_thread() is main and not outcome:
            worker = threading.Thread(target=run)
            worker.start()
            worker.join(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(lookup, where, hooked)
    return outcome


CASES = {
    # kind, form, what must hold afterwards
    "take_loan": {"policy": "P-C-WL", "amount": "40000", "term_months": 6},
    "withdraw": {"policy": "P-C-UL", "amount": "30000"},
    "repay_loan": {"loan": "L-C-1", "amount": "10252.05"},
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_competitor_committing_while_figures_are_read_cannot_double_spend(world, monkeypatch, kind):
    """The submission reads its figures, the competitor commits, the submission reads
    the version it will guard with: the guard must still see the competitor's change."""
    carol = world.principal()
    form = CASES[kind]
    mine, theirs = world.review(carol, kind, form), world.review(carol, kind, form)
    (my_key, my_grant), (their_key, their_grant) = world.stepped_up(carol, kind, mine), world.stepped_up(carol, kind, theirs)
    competitor = _interleave(monkeypatch, "payout_account",
                             lambda: world.submit(carol, kind, form, rv=theirs, key=their_key, grant=their_grant))

    with pytest.raises(Rejected) as refused:
        world.submit(carol, kind, form, rv=mine, key=my_key, grant=my_grant)

    assert competitor and getattr(competitor[0], "status", competitor[0]) == "completed"
    assert refused.value.code in LOSING_CODES[kind]
    assert len(world.rows(t.ServiceRequest)) == 1
    if kind == "take_loan":
        assert _principal_lent_fen(world, "P-C-WL") == 5_000_000 <= LOAN_LIMIT_WL * 100
    elif kind == "withdraw":
        assert len(world.rows(t.AccountMovement, t.AccountMovement.request_id.is_not(None))) == 2
    else:
        # A second full repayment would leave negative principal: the picture would no
        # longer even load (loan_balance raises on it).
        assert len(world.rows(t.LoanRepayment)) == 1
        assert _owed_on(world, "P-C-WL") == Decimal("0.00")
    assert world.chain_is_clean()


def test_a_cancel_committing_while_a_held_loan_is_released_wins(world, monkeypatch):
    carol = world.principal()
    held = world.submit(carol, "take_loan", {"policy": "P-C-BIG", "amount": "150000", "term_months": 6},
                        step_up=True)
    later = NOW + timedelta(days=1)
    cancelled = _interleave(monkeypatch, "picture",
                            lambda: requests.cancel(carol, held.request_no, now=later, engine=world.engine))

    released = requests.release_held_loans(TODAY + timedelta(days=1), now=later, engine=world.engine)

    assert cancelled and cancelled[0].status == "cancelled"
    assert released == 0
    (request,) = world.rows(t.ServiceRequest)
    assert request.status == "cancelled"
    assert world.rows(t.PolicyLoan, t.PolicyLoan.policy_id == world.ids["P-C-BIG"]) == []
    assert [e.kind for e in world.history()] == ["request_held", "request_cancelled"]
    assert world.chain_is_clean()


def test_loanable_figure_after_the_race_matches_what_was_lent(world):
    _race(world, "take_loan", [{"policy": "P-C-WL", "amount": "40000", "term_months": 6}] * 3)
    line = next(ln for ln in world.rollup().figure(Category.LOANABLE).lines if ln.policy_no == "P-C-WL")
    # 80,000.00 − (10,252.05 owed on L-C-1 + 40,000.00 lent today) = 29,747.95
    assert line.amount == Decimal("29747.95")


# Row locks only exist on PostgreSQL (SQLite serialises whole writers), so this runs there.
@pytest.mark.parametrize("engine", [POSTGRES_BACKEND], indirect=True)
def test_two_actions_of_one_customer_never_deadlock_on_postgresql(world, monkeypatch):
    """Inserting a request takes a FOR KEY SHARE lock on the customer row (its foreign
    key); the history append then locks that row against other appenders. Were that a
    FOR UPDATE lock, two actions of one customer, each holding the first and waiting for
    the second, would deadlock (PostgreSQL aborts one after a second and it retries)."""
    carol = world.principal()
    loan = {"policy": "P-C-WL", "amount": "1000", "term_months": 3}
    withdrawal = {"policy": "P-C-UL", "amount": "1000"}
    loan_review, withdrawal_review = world.review(carol, "take_loan", loan), world.review(carol, "withdraw", withdrawal)
    errors: list[str] = []
    real_scope = requests.session_scope

    @contextmanager
    def watched_scope(engine=None):
        try:
            with real_scope(engine) as session:
                yield session
        except OperationalError as exc:
            errors.append(str(exc))
            raise

    monkeypatch.setattr(requests, "session_scope", watched_scope)
    spec = requests.ACTIONS[ActionKind.TAKE_LOAN]
    real_apply = spec.apply
    other: list = []

    def apply_after_the_other_action(*args):
        # The loan's request row is inserted (customer row key-share locked); now the
        # withdrawal runs start to finish before the loan goes on.
        if not other:
            worker = threading.Thread(
                target=lambda: other.append(
                    world.submit(carol, "withdraw", withdrawal, rv=withdrawal_review, step_up=True)
                )
            )
            worker.start()
            worker.join(3)
        return real_apply(*args)

    monkeypatch.setattr(spec, "apply", apply_after_the_other_action)
    mine = world.submit(carol, "take_loan", loan, rv=loan_review, step_up=True)

    assert [e for e in errors if "deadlock" in e.lower()] == []
    assert mine.status == "completed" and other and other[0].status == "completed"
    assert world.chain_is_clean()

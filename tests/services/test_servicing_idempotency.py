"""An idempotency key makes a submission happen once, however often it arrives."""

from __future__ import annotations

import threading
from datetime import timedelta

from portal.data import tables as t
from portal.services.servicing import lookup, requests
from tests.services.conftest import TODAY
from tests.services.servicing_fixtures import NOW, rejected_code, together

LOAN = {"policy": "P-C-WL", "amount": "1000", "term_months": 6}
PREMIUM = {"policies": ["P-C-WL"]}


def _counts(world) -> dict[str, int]:
    return {
        "requests": len(world.rows(t.ServiceRequest)),
        "loans": len(world.rows(t.PolicyLoan, t.PolicyLoan.request_id.is_not(None))),
        "repayments": len(world.rows(t.LoanRepayment)),
        "paid_installments": len(world.rows(t.PremiumInstallment, t.PremiumInstallment.request_id.is_not(None))),
        "events": len(world.rows(t.HistoryEvent)),
    }


def test_the_same_loan_key_twice_lends_once(world):
    carol = world.principal()
    rv = world.review(carol, "take_loan", LOAN)
    key = requests.new_idempotency_key()
    grant = world.grant(carol, "take_loan", key, rv.fingerprint)

    first = world.submit(carol, "take_loan", LOAN, rv=rv, grant=grant, key=key)
    after_first = world.dump()
    second = world.submit(carol, "take_loan", LOAN, rv=rv, grant=grant, key=key)

    assert world.dump() == after_first  # the replay wrote nothing at all
    assert first.replayed is False and second.replayed is True
    assert second.request_no == first.request_no and second.status == first.status == "completed"
    assert second.amount == first.amount
    requests_rows = world.rows(t.ServiceRequest)
    assert [r.request_no for r in requests_rows] == [first.request_no]
    loans = world.rows(t.PolicyLoan, t.PolicyLoan.request_id == requests_rows[0].id)
    assert [loan.principal_fen for loan in loans] == [100_000]
    assert [e.amount_fen for e in world.history(kind="loan_taken")] == [100_000]
    assert world.chain_is_clean()


def test_the_same_premium_key_twice_pays_once(world):
    carol = world.principal()
    rv = world.review(carol, "pay_premium", PREMIUM)
    key = requests.new_idempotency_key()
    grant = world.grant(carol, "pay_premium", key, rv.fingerprint)

    first = world.submit(carol, "pay_premium", PREMIUM, rv=rv, grant=grant, key=key)
    before_replay, dump_before_replay = _counts(world), world.dump()
    second = world.submit(carol, "pay_premium", PREMIUM, rv=rv, grant=grant, key=key)

    assert (first.replayed, second.replayed) == (False, True)
    assert second.request_no == first.request_no
    assert world.dump() == dump_before_replay
    assert before_replay["requests"] == 1 and before_replay["paid_installments"] == 1
    assert [e.amount_fen for e in world.history(kind="premium_paid")] == [1_000_000]


def test_a_replay_is_answered_even_after_the_figures_moved_on(world):
    """The repeat of a completed request returns it; it is not re-checked, re-reviewed
    nor refused as 'figures changed', and no step-up is needed to read it back."""
    carol = world.principal()
    rv = world.review(carol, "take_loan", LOAN)
    key = requests.new_idempotency_key()
    grant = world.grant(carol, "take_loan", key, rv.fingerprint)
    first = world.submit(carol, "take_loan", LOAN, rv=rv, grant=grant, key=key)
    world.act("take_loan", {"policy": "P-C-WL", "amount": "5000", "term_months": 3})  # headroom moves

    again = world.submit(carol, "take_loan", LOAN, rv=rv, grant=None, key=key, now=NOW + timedelta(hours=1))
    assert again.replayed and again.request_no == first.request_no
    assert len(world.rows(t.PolicyLoan, t.PolicyLoan.policy_id == world.ids["P-C-WL"])) == 3  # L-C-1 + 2


def test_a_held_loan_key_twice_holds_once(world):
    carol = world.principal()
    form = {"policy": "P-C-BIG", "amount": "150000", "term_months": 6}
    rv = world.review(carol, "take_loan", form)
    key = requests.new_idempotency_key()
    grant = world.grant(carol, "take_loan", key, rv.fingerprint)
    first = world.submit(carol, "take_loan", form, rv=rv, grant=grant, key=key)
    second = world.submit(carol, "take_loan", form, rv=rv, grant=grant, key=key)
    assert (first.status, second.status, second.replayed) == ("under_review", "under_review", True)
    assert len(world.rows(t.ServiceRequest)) == 1
    assert len(world.history(kind="request_held")) == 1
    assert world.rows(t.PolicyLoan, t.PolicyLoan.policy_id == world.ids["P-C-BIG"]) == []


def test_five_threads_with_one_key_make_one_request(world):
    carol = world.principal()
    rv = world.review(carol, "take_loan", LOAN)
    key = requests.new_idempotency_key()
    grant = world.grant(carol, "take_loan", key, rv.fingerprint)

    results = together(5, lambda _i: world.submit(carol, "take_loan", LOAN, rv=rv, grant=grant, key=key))

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert len({r.request_no for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False, True, True, True, True]
    assert len(world.rows(t.ServiceRequest)) == 1
    assert len(world.rows(t.PolicyLoan, t.PolicyLoan.request_id.is_not(None))) == 1
    assert len(world.history(kind="loan_taken")) == 1
    assert world.chain_is_clean()


def test_five_threads_with_one_key_pay_a_premium_once(world):
    carol = world.principal()
    rv = world.review(carol, "pay_premium", PREMIUM)
    key = requests.new_idempotency_key()
    grant = world.grant(carol, "pay_premium", key, rv.fingerprint)

    results = together(5, lambda _i: world.submit(carol, "pay_premium", PREMIUM, rv=rv, grant=grant, key=key))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(not r.replayed for r in results) == 1
    counts = _counts(world)
    assert (counts["requests"], counts["paid_installments"]) == (1, 1)
    assert len(world.history(kind="premium_paid")) == 1
    assert world.chain_is_clean()


def test_the_same_key_with_another_form_is_refused_and_changes_nothing(world):
    carol = world.principal()
    key = requests.new_idempotency_key()
    world.submit(carol, "take_loan", LOAN, key=key, step_up=True)
    before = world.dump()

    other_amount = {**LOAN, "amount": "2000"}
    rv_other = world.review(carol, "take_loan", other_amount)
    assert rejected_code(
        lambda: world.submit(carol, "take_loan", other_amount, rv=rv_other, key=key, step_up=True)
    ) == "error.key_reused"
    # Another kind of action under the same key.
    rv_premium = world.review(carol, "pay_premium", PREMIUM)
    assert rejected_code(
        lambda: world.submit(carol, "pay_premium", PREMIUM, rv=rv_premium, key=key, step_up=True)
    ) == "error.key_reused"
    assert world.dump() == before


def test_keys_belong_to_one_customer(world):
    """Bob using the string Carol used is a different request, not a replay of hers."""
    carol, bob = world.principal("carol"), world.principal("bob")
    key = requests.new_idempotency_key()
    mine = world.submit(carol, "take_loan", LOAN, key=key, step_up=True)
    his_form = {"policy": "P-BOB-1", "amount": "1000", "term_months": 6}
    his = world.submit(bob, "take_loan", his_form, key=key, step_up=True)
    assert not his.replayed and his.request_no != mine.request_no
    assert his.policy_no == "P-BOB-1"
    assert len(world.rows(t.ServiceRequest)) == 2


MALFORMED_KEYS = [
    "", "short-key", "x" * 65, "has spaces in it, too", "ключ-ключ-ключ-ключ", "abc/def+ghi=jklmnop",
    "line\nbreak-0123456789", None, 12345678901234567890, ["k" * 20], {"key": "k" * 20},
]


def test_a_malformed_key_is_a_bad_request_and_changes_nothing(world):
    carol = world.principal()
    rv = world.review(carol, "take_loan", LOAN)
    grant = world.grant(carol, "take_loan", requests.new_idempotency_key(), rv.fingerprint)
    before = world.dump()
    for key in MALFORMED_KEYS:
        code = rejected_code(
            lambda: requests.submit(carol, "take_loan", LOAN, key, rv.fingerprint, grant, TODAY, now=NOW,
                                    engine=world.engine)
        )
        assert code == "error.bad_request", key
    assert world.dump() == before
    # The limits themselves are fine: 16 and 64 characters of [A-Za-z0-9_-].
    for key in ("a" * 16, "Z_-9" * 16):
        assert world.submit(carol, "take_loan", LOAN, rv=world.review(carol, "take_loan", LOAN), key=key,
                            step_up=True).replayed is False


def test_other_malformed_submissions_are_bad_requests(world):
    carol = world.principal()
    rv = world.review(carol, "take_loan", LOAN)
    key = requests.new_idempotency_key()
    grant = world.grant(carol, "take_loan", key, rv.fingerprint)
    before = world.dump()

    def submit(kind="take_loan", form=LOAN, fingerprint=rv.fingerprint, grant=grant):
        return lambda: requests.submit(carol, kind, form, key, fingerprint, grant, TODAY, now=NOW,
                                       engine=world.engine)

    assert rejected_code(submit(fingerprint=None)) == "error.bad_request"
    assert rejected_code(submit(fingerprint=123)) == "error.bad_request"
    assert rejected_code(submit(kind="launder_money")) == "error.bad_request"
    assert rejected_code(submit(kind=None)) == "error.bad_request"
    assert rejected_code(submit(form=["P-C-WL", "1000"])) == "error.bad_request"
    assert rejected_code(submit(form=None)) == "error.bad_request"
    # A fingerprint the figures do not give (with a step-up made for it: a step-up for
    # another fingerprint is refused before the figures are even read).
    assert rejected_code(submit(fingerprint="0" * 64)) == "error.step_up_required"
    wrong_figures = world.grant(carol, "take_loan", key, "0" * 64)
    assert rejected_code(submit(fingerprint="0" * 64, grant=wrong_figures)) == "error.figures_changed"
    assert world.dump() == before
    # The key was never used, so it still works.
    assert submit()().replayed is False


def test_a_double_click_that_lands_mid_review_is_answered_with_the_first_request(world, monkeypatch):
    """The second click looks its key up before the first commits, then reads figures the
    first has already changed: it must get the first request back, not 'figures changed'."""
    carol = world.principal()
    rv = world.review(carol, "take_loan", LOAN)
    key = requests.new_idempotency_key()
    grant = world.grant(carol, "take_loan", key, rv.fingerprint)
    first: list = []
    real = lookup.policy_versions
    main = threading.current_thread()

    def first_click_commits_now(session, customer_id):
        if threading.current_thread() is main and not first:
            worker = threading.Thread(
                target=lambda: first.append(world.submit(carol, "take_loan", LOAN, rv=rv, grant=grant, key=key))
            )
            worker.start()
            worker.join(60)
        return real(session, customer_id)

    monkeypatch.setattr(lookup, "policy_versions", first_click_commits_now)
    second = world.submit(carol, "take_loan", LOAN, rv=rv, grant=grant, key=key)

    assert first and first[0].replayed is False
    assert second.replayed is True and second.request_no == first[0].request_no
    assert len(world.rows(t.ServiceRequest)) == 1
    assert len(world.history(kind="loan_taken")) == 1

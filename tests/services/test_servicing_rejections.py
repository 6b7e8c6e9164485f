"""Every refusal names the right reason and leaves the database exactly as it was.

"Exactly" is checked on the whole database: SQLite's ``iterdump`` of the file (schema and
every row) or, on PostgreSQL, every table's rows in primary-key order, taken before and
after each refused review and submission.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.data import tables as t
from portal.data.db import session_scope
from portal.services import auth
from portal.services.portfolio import AccessDenied
from portal.services.servicing import requests, step_up
from tests.services.conftest import PASSWORD, TODAY
from tests.services.servicing_fixtures import NOW, rejected_code

ANY_FINGERPRINT = "f" * 64


class Refusals:
    """Checks one bad input at a time: review and submit are both refused with ``code``,
    and the database dump is unchanged."""

    def __init__(self, world, principal=None, grant=None):
        self.world = world
        self.principal = principal or world.principal()
        # A passed step-up, re-bound below to each submission, so that what is refused is
        # the input under test and never the step-up.
        self.grant = grant if grant is not None else world.grant(self.principal, "take_loan")
        self.before = world.dump()

    def expect(self, code, kind, form, *, review=True, fingerprint=None, grant="default", now=NOW,
               principal=None, key=None):
        who = principal or self.principal
        label = f"{kind} {form!r}"
        if review:
            assert rejected_code(lambda: self.world.review(who, kind, form)) == code, label
        key = key or requests.new_idempotency_key()
        fingerprint = fingerprint or ANY_FINGERPRINT
        used_grant = (
            replace(self.grant, kind=kind, request_key=key, fingerprint=fingerprint) if grant == "default" else grant
        )
        got = rejected_code(
            lambda: requests.submit(who, kind, form, key, fingerprint, used_grant, TODAY, now=now,
                                    engine=self.world.engine)
        )
        assert got == code, label
        assert self.world.dump() == self.before, f"{label} changed the database"


LOAN = {"policy": "P-C-WL", "term_months": 6}


def test_bad_loan_amounts(world):
    r = Refusals(world)
    cases = [
        ("-100", "error.amount_negative"),
        (-100, "error.amount_negative"),
        ("0", "error.amount_zero"),
        ("0.00", "error.amount_zero"),
        (0, "error.amount_zero"),
        ("", "error.amount_empty"),
        ("   ", "error.amount_empty"),
        ("abc", "error.amount_not_number"),
        ("1e5", "error.amount_not_number"),
        ("NaN", "error.amount_not_number"),
        ("12,34", "error.amount_not_number"),
        ("1000..5", "error.amount_not_number"),
        (None, "error.amount_not_number"),
        (1000.5, "error.amount_not_number"),  # floats never become money
        (True, "error.amount_not_number"),
        (["1000"], "error.amount_not_number"),
        ("1000.001", "error.amount_decimals"),
        ("0.005", "error.amount_decimals"),
        ("2000000000", "error.amount_too_large"),
        ("499.99", "error.loan_below_minimum"),  # the ¥500.00 minimum
        ("1", "error.loan_below_minimum"),
        ("69747.96", "error.loan_above_headroom"),  # one fen above ¥69,747.95
        ("80000", "error.loan_above_headroom"),
    ]
    for amount, code in cases:
        r.expect(code, "take_loan", {**LOAN, "amount": amount})
    # The boundaries themselves are accepted.
    assert world.review(r.principal, "take_loan", {**LOAN, "amount": "69747.95"}).amount == Decimal("69747.95")
    assert world.review(r.principal, "take_loan", {**LOAN, "amount": "500"}).amount == Decimal("500.00")
    assert world.review(r.principal, "take_loan", {**LOAN, "amount": "¥1,000.000"}).amount == Decimal("1000.00")


def test_bad_loan_terms_and_other_amounts(world):
    r = Refusals(world)
    for term in (0, 7, -1, "x", "", None, True, 3.0, "6 months"):
        r.expect("error.loan_term", "take_loan", {"policy": "P-C-WL", "amount": "1000", "term_months": term})
    r.expect("error.withdraw_above_available", "withdraw", {"policy": "P-C-UL", "amount": "46200.01"})
    r.expect("error.amount_negative", "withdraw", {"policy": "P-C-UL", "amount": "-1"})
    r.expect("error.amount_decimals", "withdraw", {"policy": "P-C-UL", "amount": "10.001"})
    r.expect("error.repay_above_due", "repay_loan", {"loan": "L-C-1", "amount": "10252.06"})
    r.expect("error.amount_zero", "repay_loan", {"loan": "L-C-1", "amount": "0"})
    r.expect("error.amount_not_number", "repay_loan", {"loan": "L-C-1", "amount": "all of it"})


def test_another_customers_records_are_answered_as_missing(world):
    r = Refusals(world)
    bob_item = world.ids["benefit:P-BOB-1:survival:2026-06-01"]
    cases = [
        ("error.policy_not_found", "take_loan", {"policy": "P-BOB-1", "amount": "1000", "term_months": 6}),
        ("error.policy_not_found", "take_loan", {"policy": "NO-SUCH-POLICY", "amount": "1000", "term_months": 6}),
        ("error.policy_not_found", "take_loan", {"policy": world.ids["P-BOB-1"], "amount": "1000", "term_months": 6}),
        ("error.policy_not_found", "take_loan", {"amount": "1000", "term_months": 6}),
        ("error.policy_not_found", "pay_premium", {"policies": ["P-BOB-1"]}),
        ("error.policy_not_found", "pay_premium", {"policies": ["P-C-WL", "P-BOB-1"]}),
        ("error.policy_not_found", "withdraw", {"policy": "P-BOB-1", "amount": "100"}),
        ("error.policy_not_found", "auto_renew", {"policy": "P-BOB-1", "enable": True}),
        ("error.policy_not_found", "reinstate", {"policy": "P-BOB-1", "health_unchanged": True}),
        ("error.loan_not_found", "repay_loan", {"loan": "L-BOB-1", "amount": "100"}),
        ("error.loan_not_found", "repay_loan", {"loan": world.ids["L-BOB-1"], "amount": "100"}),
        ("error.item_not_found", "collect_benefit", {"items": [bob_item]}),
        ("error.item_not_found", "collect_benefit", {"items": [world.ids["benefit:P-C-END:dividend:2026-10-01"], bob_item]}),
        ("error.item_not_found", "collect_benefit", {"items": [999_999]}),
    ]
    for code, kind, form in cases:
        r.expect(code, kind, form)
    # Bob's request number is not Carol's to see or cancel.
    bob = world.principal("bob")
    bobs = world.submit(bob, "take_loan", {"policy": "P-BOB-1", "amount": "1000", "term_months": 6},
                        step_up=True)
    before = world.dump()
    assert rejected_code(lambda: requests.cancel(r.principal, bobs.request_no, now=NOW, engine=world.engine)) \
        == "error.request_not_found"
    with session_scope(world.engine) as s:
        assert rejected_code(lambda: requests.get_request(s, r.principal, bobs.request_no)) == "error.request_not_found"
        assert [v.request_no for v in requests.list_requests(s, r.principal)] == []
    assert world.dump() == before


def test_actions_on_a_policy_in_the_wrong_state(world):
    r = Refusals(world)
    cases = [
        ("error.loan_not_allowed", "take_loan", {"policy": "P-C-LAPSED", "amount": "1000", "term_months": 6}),
        ("error.loan_not_allowed", "take_loan", {"policy": "P-C-TERM", "amount": "1000", "term_months": 6}),
        ("error.loan_not_allowed", "take_loan", {"policy": "P-C-UL", "amount": "1000", "term_months": 6}),
        ("error.policy_not_in_force", "pay_premium", {"policies": ["P-C-TERM"]}),
        ("error.policy_not_in_force", "pay_premium", {"policies": ["P-C-LAPSED"]}),
        ("error.policy_not_in_force", "pay_premium", {"policies": ["P-C-WL", "P-C-TERM"]}),
        ("error.grace_ended", "pay_premium", {"policies": ["P-C-OVERDUE"]}),
        ("error.nothing_due", "pay_premium", {"policies": ["P-C-BIG"]}),
        ("error.no_account", "withdraw", {"policy": "P-C-WL", "amount": "100"}),
        ("error.not_claimable", "collect_benefit", {"items": [world.ids["benefit:P-C-END:maturity:2031-06-01"]]}),
        ("error.not_claimable", "collect_benefit", {"items": [world.ids["benefit:P-C-END:survival:2025-06-01"]]}),
        ("error.not_short_term", "auto_renew", {"policy": "P-C-WL", "enable": True}),
        ("error.auto_renew_unchanged", "auto_renew", {"policy": "P-C-ST", "enable": False}),
        ("error.not_reinstatable", "reinstate", {"policy": "P-C-WL", "health_unchanged": True}),
        ("error.not_reinstatable", "reinstate", {"policy": "P-C-TERM", "health_unchanged": True}),
        ("error.health_changed", "reinstate", {"policy": "P-C-LAPSED", "health_unchanged": False}),
    ]
    for code, kind, form in cases:
        r.expect(code, kind, form)


def test_malformed_forms(world):
    r = Refusals(world)
    cases = [
        ("error.nothing_selected", "pay_premium", {"policies": []}),
        ("error.nothing_selected", "pay_premium", {"policies": "P-C-WL"}),
        ("error.nothing_selected", "pay_premium", {}),
        ("error.nothing_selected", "collect_benefit", {"items": []}),
        ("error.nothing_selected", "collect_benefit", {"items": [str(world.ids["benefit:P-C-END:dividend:2026-10-01"])]}),
        ("error.nothing_selected", "collect_benefit", {"items": [True]}),
        ("error.nothing_selected", "collect_benefit", {"items": list(range(1, 202))}),
        ("error.bad_request", "auto_renew", {"policy": "P-C-ST", "enable": "yes"}),
        ("error.bad_request", "auto_renew", {"policy": "P-C-ST"}),
        ("error.health_required", "reinstate", {"policy": "P-C-LAPSED"}),
        ("error.health_required", "reinstate", {"policy": "P-C-LAPSED", "health_unchanged": "true"}),
        ("error.nothing_changed", "update_profile", {}),
        ("error.nothing_changed", "update_profile", {"phone": "13800005678", "address": "北京市朝阳区建国路1号"}),
        ("error.nothing_changed", "update_profile", {"phone": "138 0000 5678"}),
        ("error.phone_invalid", "update_profile", {"phone": "12345"}),
        ("error.phone_invalid", "update_profile", {"phone": "12800005678"}),
        ("error.address_invalid", "update_profile", {"address": "abc"}),
        ("error.address_invalid", "update_profile", {"address": "x" * 121}),
        ("error.bank_invalid", "update_profile", {"payout_bank": "Nowhere Bank", "payout_account": "6225880099999999"}),
        ("error.account_invalid", "update_profile", {"payout_bank": "招商银行", "payout_account": "12ab"}),
        ("error.account_invalid", "update_profile", {"payout_bank": "招商银行", "payout_account": None}),
        ("error.bad_request", "no_such_action", {}),
    ]
    for code, kind, form in cases:
        r.expect(code, kind, form)


def test_a_customer_without_a_payout_account_cannot_move_money(world):
    alice = auth.Principal(user_id=world.ids["user:alice"], username="alice", role="customer", display_name="周一",
                           customer_id=world.ids["C1"], manager_id=None, jti="alice-session")
    grant = step_up.StepUpGrant(user_id=alice.user_id, jti=alice.jti, kind="take_loan",
                                expires_at=NOW + timedelta(minutes=5))
    r = Refusals(world, principal=alice, grant=grant)
    r.expect("error.no_payout_account", "take_loan", {"policy": "P-ALICE-1", "amount": "1000", "term_months": 6})
    r.expect("error.no_payout_account", "pay_premium", {"policies": ["P-ALICE-1"]})


def test_step_up_missing_expired_or_from_another_session(world):
    r = Refusals(world)
    form = {"policy": "P-C-WL", "amount": "1000", "term_months": 6}
    fingerprint = world.review(r.principal, "take_loan", form).fingerprint
    other_session = world.principal()  # Carol logged in a second time: another jti
    assert other_session.jti != r.principal.jti
    bob = world.principal("bob")
    r.before = world.dump()  # the logins above added session rows

    key = requests.new_idempotency_key()  # the request reviewed and being confirmed

    def refused(grant, now=NOW, principal=None):
        r.expect("error.step_up_required", "take_loan", form, review=False, fingerprint=fingerprint, grant=grant,
                 now=now, principal=principal, key=key)

    good = world.grant(r.principal, "take_loan", key, fingerprint)
    refused(None)
    refused(good, now=good.expires_at)  # a grant lasts five minutes, not a moment more
    refused(good, now=NOW + timedelta(minutes=6))
    refused(world.grant(other_session, "take_loan", key, fingerprint))
    refused(good, principal=other_session)
    refused(world.grant(bob, "take_loan", key, fingerprint))
    refused(replace(good, jti="forged-jti"))
    # Every money action and the profile change need it; switching auto-renewal does not.
    for kind, other in [
        ("pay_premium", {"policies": ["P-C-WL"]}),
        ("repay_loan", {"loan": "L-C-1", "amount": "100"}),
        ("collect_benefit", {"items": [world.ids["benefit:P-C-END:dividend:2026-10-01"]]}),
        ("withdraw", {"policy": "P-C-UL", "amount": "100"}),
        ("reinstate", {"policy": "P-C-LAPSED", "health_unchanged": True}),
        ("update_profile", {"phone": "13900009999"}),
    ]:
        r.expect("error.step_up_required", kind, other, review=False,
                 fingerprint=world.review(r.principal, kind, other).fingerprint, grant=None)
    # With a valid grant the very same submission goes through.
    assert world.submit(r.principal, "take_loan", form, key=key, grant=good).status == "completed"


def test_a_step_up_serves_one_kind_of_action_and_one_reviewed_request(world):
    """The attack: the password checked on the profile page, then a loan confirmed with no
    password. A grant is for one kind and one reviewed request (key and fingerprint)."""
    r = Refusals(world)
    form = {"policy": "P-C-WL", "amount": "500", "term_months": 6}
    fingerprint = world.review(r.principal, "take_loan", form).fingerprint
    key = requests.new_idempotency_key()

    def refused(grant):
        r.expect("error.step_up_required", "take_loan", form, review=False, fingerprint=fingerprint, grant=grant,
                 key=key)

    profile_check = world.grant(r.principal, "update_profile")  # as the profile page does
    refused(profile_check)
    refused(step_up.bind(profile_check, "take_loan", key, fingerprint))  # cannot be re-bound to a loan
    refused(world.grant(r.principal, "update_profile", key, fingerprint))
    refused(world.grant(r.principal, "take_loan"))  # for the kind but no request: not enough
    refused(world.grant(r.principal, "take_loan", requests.new_idempotency_key(), fingerprint))  # request B
    refused(world.grant(r.principal, "take_loan", key, ANY_FINGERPRINT))  # other figures under key A
    assert world.rows(t.PolicyLoan, t.PolicyLoan.request_id.is_not(None)) == []
    # The profile check serves the profile request it is bound to, and then that one only.
    change = {"phone": "13900009999"}
    profile_review = world.review(r.principal, "update_profile", change)
    profile_key = requests.new_idempotency_key()
    bound = step_up.bind(profile_check, "update_profile", profile_key, profile_review.fingerprint)
    assert step_up.bind(bound, "update_profile", "another-key-0123456789", profile_review.fingerprint) is bound
    done = world.submit(r.principal, "update_profile", change, rv=profile_review, key=profile_key, grant=bound)
    assert done.status == "completed"
    other_change = {"phone": "13900008888"}
    assert rejected_code(lambda: world.submit(r.principal, "update_profile", other_change, grant=bound)) \
        == "error.step_up_required"
    # The loan itself goes through with a check made for it.
    assert world.submit(r.principal, "take_loan", form, key=key,
                        grant=world.grant(r.principal, "take_loan", key, fingerprint)).status == "completed"


def test_a_wrong_step_up_password_is_refused_and_only_counted(world):
    carol = world.principal()
    requests_before = len(world.rows(t.ServiceRequest))
    for attempt in range(4):
        with session_scope(world.engine) as s:
            assert rejected_code(lambda: step_up.verify_password_again(s, carol, "wrong", NOW, kind="take_loan")) == "error.step_up_wrong"
    (user,) = world.rows(t.UserAccount, t.UserAccount.username == "carol")
    assert user.failed_attempts == 4
    with session_scope(world.engine) as s:
        assert rejected_code(lambda: step_up.verify_password_again(s, carol, "wrong", NOW, kind="take_loan")) == "auth.locked"
    with session_scope(world.engine) as s:
        assert rejected_code(lambda: step_up.verify_password_again(s, carol, PASSWORD, NOW, kind="take_loan")) == "auth.locked"
    with session_scope(world.engine) as s:
        assert rejected_code(lambda: step_up.verify_password_again(s, carol, "", NOW + timedelta(minutes=16), kind="take_loan")) \
            == "error.step_up_empty"
    assert len(world.rows(t.ServiceRequest)) == requests_before == 0
    assert world.history() == []
    # The lock ended Carol's open session.
    with session_scope(world.engine) as s:
        assert s.get(t.AuthSession, _session_id(world, carol.jti)).revoked_at is not None


def _session_id(world, jti) -> int:
    (row,) = world.rows(t.AuthSession, t.AuthSession.jti == jti)
    return row.id


def test_figures_that_changed_since_the_review_are_refused(world):
    carol = world.principal()
    form = {"policy": "P-C-WL", "amount": "1000", "term_months": 6}
    stale = world.review(carol, "take_loan", form)
    world.act("repay_loan", {"loan": "L-C-1", "amount": "500"})  # headroom rises by ¥500.00
    before = world.dump()
    assert rejected_code(lambda: world.submit(carol, "take_loan", form, rv=stale, step_up=True)) == "error.figures_changed"
    # Reviewed against a different day: the loan would start on another date.
    tomorrow = world.review(carol, "take_loan", form, today=TODAY + timedelta(days=1))
    assert rejected_code(lambda: world.submit(carol, "take_loan", form, rv=tomorrow, step_up=True)) == "error.figures_changed"
    assert world.dump() == before


def test_managers_cannot_act_for_their_clients(world):
    manager = world.manager()
    before = world.dump()
    form = {"policy": "P-C-WL", "amount": "1000", "term_months": 6}
    fake_grant = step_up.StepUpGrant(user_id=manager.user_id, jti=manager.jti, kind="take_loan",
                                     expires_at=NOW + timedelta(minutes=5))
    assert rejected_code(lambda: world.review(manager, "take_loan", form)) == "error.customers_only"
    assert rejected_code(
        lambda: requests.submit(manager, "take_loan", form, requests.new_idempotency_key(), ANY_FINGERPRINT,
                                fake_grant, TODAY, now=NOW, engine=world.engine)
    ) == "error.customers_only"
    assert rejected_code(lambda: requests.cancel(manager, "SR1", now=NOW, engine=world.engine)) == "error.customers_only"
    with session_scope(world.engine) as s:
        assert rejected_code(lambda: requests.list_requests(s, manager)) == "error.customers_only"
        assert rejected_code(lambda: requests.get_request(s, manager, "SR1")) == "error.customers_only"
    with pytest.raises(AccessDenied):
        world.review(None, "take_loan", form)
    with pytest.raises(AccessDenied):
        requests.submit(None, "take_loan", form, requests.new_idempotency_key(), ANY_FINGERPRINT, None, TODAY,
                        engine=world.engine)
    assert world.dump() == before

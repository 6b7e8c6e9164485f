"""Senior mode through the real handlers: large text follows the account and switches on
at a senior's first login; the loan fraud guard cannot be skipped, is stored with the
request, and a recent payout-account change holds the loan a day."""

from __future__ import annotations

import asyncio
import json

import reflex as rx
from sqlmodel import select

from tests.async_run import call
from portal.data.db import session_scope
from portal.data.tables import ServiceRequest, UserAccount
from portal.domain.clock import today
from portal.services import auth, preferences
from portal.services.servicing import requests as request_service
from portal.state.actions import ActionState
from portal.state.portfolio import DashboardState
from portal.state.session import SessionState
from tests.ui.test_action_handlers import confirm, loaded, totals
from tests.ui.test_state_handlers import PASSWORD, demo_db, state_of, token_for  # noqa: F401
from tests.ui.test_tab_reset import connect, substate


def first_page(root, token: str) -> None:
    """A new login session's page: TabGuard rebinds the tab, then the page's load runs."""
    connect(root, token)
    call(DashboardState.load, substate(root, DashboardState))


def account(username: str) -> UserAccount:
    with session_scope() as session:
        return session.exec(select(UserAccount).where(UserAccount.username == username)).one()


def test_a_seniors_first_login_switches_large_text_on_once_and_it_follows_the_account(demo_db):
    with session_scope() as session:  # a fresh start for 李秀兰 (68)
        session.get(UserAccount, account("lixiulan").id).large_text = None
    root = rx.State(_reflex_internal_init=True)
    first_page(root, token_for("lixiulan"))
    session_state = substate(root, SessionState)
    assert session_state.large_text == "1" and session_state.large_text_notice is True
    assert account("lixiulan").large_text is True
    # She switches it off; a login from another browser (a fresh tab state) finds it off.
    call(SessionState.toggle_large_text, session_state)
    assert account("lixiulan").large_text is False
    other = rx.State(_reflex_internal_init=True)
    first_page(other, token_for("lixiulan"))
    assert substate(other, SessionState).large_text == "0"
    assert substate(other, SessionState).large_text_notice is False


def test_a_younger_customer_keeps_the_browsers_choice(demo_db):
    root = rx.State(_reflex_internal_init=True)
    substate(root, SessionState).large_text = "1"  # chosen on the login page
    first_page(root, token_for("zhangwei"))
    assert substate(root, SessionState).large_text == "1"
    assert account("zhangwei").large_text is None and not substate(root, SessionState).large_text_notice


def test_the_loan_form_is_unreachable_until_the_warning_is_acknowledged(demo_db):
    state = loaded("lixiulan", "take_loan")
    assert state.fraud_guard and state.step == "warning" and state.watermark.count("*") >= 3
    before = totals()
    call(ActionState.review, state, {"amount": "600", "term_months": "3"})  # called straight away
    assert state.step == "warning" and totals() == before
    call(ActionState.acknowledge_fraud_warning, state, {})  # without ticking "nobody is guiding me"
    assert state.step == "warning" and state.error_key == "error.fraud_warning_required"
    # The service refuses too, whoever calls it: no acknowledgement, no review.
    with session_scope() as session:
        principal = auth.authenticate(session, token_for("lixiulan"))
    try:
        request_service.review(principal, "take_loan", {"policy": state.selected_one, "amount": "600", "term_months": "3"}, today())
        raise AssertionError("reviewed without the acknowledgement")
    except request_service.Rejected as rejected:
        assert rejected.code == "error.fraud_warning_required"
    call(ActionState.acknowledge_fraud_warning, state, {"alone": "on"})
    assert state.step == "form" and state.error_key == ""
    call(ActionState.review, state, {"amount": "600", "term_months": "3"})
    assert state.step == "review"
    assert any(line["label"] == "review.fraud_ack" for line in state.review_lines)
    confirm(state, {"password": PASSWORD})
    assert state.step == "done"
    with session_scope() as session:
        request = session.exec(select(ServiceRequest).where(ServiceRequest.request_no == state.result["request_no"])).one()
    ack = json.loads(request.details)["fraud_ack"]
    assert ack["version"] == "fraud-warning-v1" and ack["at"][:10] == today().isoformat()


def test_younger_customers_are_not_guarded_unless_they_ask(demo_db):
    state = loaded("zhangwei", "take_loan")
    assert state.fraud_guard is False and state.step == "form"
    with session_scope() as session:
        principal = auth.authenticate(session, token_for("zhangwei"))
        preferences.set_fraud_guard(session, principal, True)
    state = loaded("zhangwei", "take_loan")
    assert state.fraud_guard and state.step == "warning"
    with session_scope() as session:
        preferences.set_fraud_guard(session, principal, False)


def test_a_payout_account_change_then_a_small_loan_is_held_a_day(demo_db):
    profile = loaded("lixiulan", "update_profile")
    call(ActionState.verify_identity, profile, {"password": PASSWORD})
    call(ActionState.review, profile, {"phone": "", "address": "", "payout_bank": "中国工商银行", "payout_account": "6222020200112233445"})
    assert profile.step == "review", profile.error_key
    confirm(profile, {"password": PASSWORD})
    assert profile.step == "done"
    loan = loaded("lixiulan", "take_loan")
    call(ActionState.acknowledge_fraud_warning, loan, {"alone": "on"})
    call(ActionState.review, loan, {"amount": "800", "term_months": "1"})
    assert any(line["value_key"] == "review.account_change_hold" for line in loan.review_lines)
    confirm(loan, {"password": PASSWORD})
    assert loan.result["status"] == "under_review" and loan.result["release_on"]


def test_a_younger_customer_turns_the_guard_on_in_my_details_after_the_password(demo_db):
    profile = loaded("zhangwei", "update_profile")
    call(ActionState.toggle_guard_opt_in, profile)  # before the password check: nothing
    assert account("zhangwei").fraud_guard is False
    call(ActionState.verify_identity, profile, {"password": PASSWORD})
    assert profile.step == "form" and profile.guard_opt_in is False and profile.guard_forced is False
    call(ActionState.toggle_guard_opt_in, profile)
    assert account("zhangwei").fraud_guard is True
    assert loaded("zhangwei", "take_loan").step == "warning"
    call(ActionState.toggle_guard_opt_in, profile)
    assert account("zhangwei").fraud_guard is False
    senior = loaded("lixiulan", "update_profile")
    call(ActionState.verify_identity, senior, {"password": PASSWORD})
    assert senior.guard_forced
    call(ActionState.toggle_guard_opt_in, senior)  # always on at 60+: cannot be switched off
    assert loaded("lixiulan", "take_loan").step == "warning"


def test_large_text_offers_amounts_to_pick_and_only_those():
    from portal.state.action_views import quick_amounts

    assert [p["value"] for p in quick_amounts("7350.50")] == ["1000.00", "5000.00", "7350.50"]
    assert [p["label"] for p in quick_amounts("60000")] == ["¥1,000.00", "¥5,000.00", "¥10,000.00", "¥50,000.00", "¥60,000.00"]
    assert quick_amounts("") == [] and quick_amounts("abc") == []


def test_a_picked_amount_goes_into_the_field_and_a_forged_one_does_not(demo_db):
    state = loaded("wangjianguo", "take_loan")
    assert state.amount_picks and state.amount_picks[0]["value"] == "1000.00"
    call(ActionState.pick_amount, state, "1000.00")
    assert state.amount_default == "1000.00"
    call(ActionState.pick_amount, state, "999999999.00")
    assert state.amount_default == "1000.00"


def test_the_loan_term_picked_with_the_buttons_is_used_when_the_form_has_none(demo_db):
    state = loaded("wangjianguo", "take_loan")
    call(ActionState.choose_term, state, "3")
    call(ActionState.choose_term, state, "9")  # not a term: ignored
    # The large-text form sends no term field (the list box is not on the page: null).
    call(ActionState.review, state, {"amount": "700", "term_months": None})
    assert state.step == "review"
    assert any(line["label"] == "review.term_months" and line["value"] == "3" for line in state.review_lines)

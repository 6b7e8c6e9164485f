"""The action page's handlers check the caller and the record themselves: a client can call
them directly, with any token and any arguments."""

from __future__ import annotations

from reflex.istate.data import RouterData
from sqlalchemy import func
from sqlmodel import select

from tests.async_run import call
from portal.data.db import session_scope
from portal.data.tables import Customer, HistoryEvent, Policy, PolicyLoan, ServiceRequest, UserAccount
from portal.state.actions import ActionState, RequestsState
from tests.ui.test_state_handlers import PASSWORD, demo_db, redirects_to_login, state_of, token_for  # noqa: F401


def totals() -> tuple[int, int, int]:
    with session_scope() as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (ServiceRequest, PolicyLoan, HistoryEvent)
        )


def loaded(username: str, action: str, **query) -> ActionState:
    state = state_of(ActionState, token_for(username), {"action": action, **query})
    call(ActionState.load, state)
    return state


def confirm(state: ActionState, form: dict) -> None:
    for _ in call(ActionState.confirm, state, form):
        pass


def test_action_handlers_refuse_callers_without_a_valid_session(demo_db):
    before = totals()
    for token in ("", "forged.token.value"):
        state = state_of(ActionState, token, {"action": "take_loan"})
        assert redirects_to_login(call(ActionState.load, state))
        assert redirects_to_login(call(ActionState.review, state, {"amount": "600"}))
        assert redirects_to_login(call(ActionState.choose, state, "x"))
        assert redirects_to_login(call(RequestsState.cancel, state_of(RequestsState, token), "SR1"))
        assert state.choices == [] and state.step == "form"
    assert totals() == before


def test_another_customers_policy_sent_to_the_handler_is_refused_and_changes_nothing(demo_db):
    with session_scope() as session:
        wang = session.exec(select(UserAccount).where(UserAccount.username == "wangjianguo")).one()
        his_policy = session.exec(select(Policy.policy_no).where(Policy.policyholder_id == wang.customer_id)).first()
    state = loaded("lixiulan", "take_loan", policy=his_policy)
    call(ActionState.acknowledge_fraud_warning, state, {"alone": "on"})  # she is 68: the guard first
    assert his_policy not in {row["policy_no"] for row in state.choices}
    call(ActionState.choose, state, his_policy)  # not among her choices: ignored
    assert state.selected_one != his_policy
    before = totals()
    state.selected_one = his_policy  # as if the browser had forged it
    call(ActionState.review, state, {"amount": "600", "term_months": "6"})
    assert state.error_key == "error.policy_not_found" and state.step == "form"
    assert state.error_message == "找不到这张保单，或它不属于您。"
    assert totals() == before


def test_confirm_without_a_review_does_nothing(demo_db):
    state = loaded("wangjianguo", "take_loan")
    before = totals()
    confirm(state, {"password": PASSWORD})
    assert state.step == "form" and totals() == before


def test_a_loan_through_the_handlers_then_a_repeated_confirm(demo_db):
    state = loaded("wangjianguo", "take_loan")
    assert state.selected_one and state.amount_default
    before = totals()
    call(ActionState.review, state, {"amount": "600", "term_months": "2"})
    assert state.step == "review" and state.needs_password
    confirm(state, {"password": "wrong"})
    assert state.error_key == "error.step_up_wrong" and state.step == "review" and totals() == before
    confirm(state, {"password": PASSWORD})
    assert state.step == "done" and state.result["status"] == "completed"
    confirm(state, {"password": PASSWORD})  # a second click: already done
    after = totals()
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert after[2] - before[2] >= 1  # a history entry (the chain may hold more than one per action)


def test_managers_are_sent_back_to_their_worklist(demo_db):
    state = state_of(ActionState, token_for("manager.bj1"), {"action": "take_loan"})
    events = call(ActionState.load, state)
    assert any("/clients" in str(getattr(e, "args", "")) for e in events)
    assert state.choices == []


def test_unknown_action_and_bad_arguments(demo_db):
    state = loaded("wangjianguo", "drop_tables")
    assert state.found is False and state.choices == []
    state = loaded("wangjianguo", "auto_renew")
    call(ActionState.set_enable, state, "maybe")
    assert state.enable in ("on", "off")
    call(ActionState.set_health, state, {"x": 1})
    assert state.health == ""
    call(ActionState.review, state, "not a dict")
    assert state.step in ("form", "review")


def test_malformed_form_data_gets_a_message(demo_db):
    state = loaded("wangjianguo", "take_loan")
    call(ActionState.review, state, {"amount": "600", "term_months": "1"})
    confirm(state, ["not", "a", "dict"])  # no password in it: no step-up, so refused
    assert state.error_key == "error.step_up_required" and state.step == "review"
    profile = loaded("zhangwei", "update_profile")
    assert profile.step == "verify"
    call(ActionState.verify_identity, profile, None)
    assert profile.error_key == "error.step_up_empty" and profile.step == "verify"


def navigate(state: ActionState, action: str) -> None:
    """The same tab (the same state) opens another action page."""
    headers = {"cookie": state.router.headers.cookie}  # the same tab keeps its connection
    state.router = RouterData.from_router_data({"pathname": "/", "asPath": "/", "query": {"action": action}, "headers": headers})
    call(ActionState.load, state)


def test_a_password_checked_on_the_profile_page_does_not_pay_out_a_loan(demo_db):
    """The attack: verify on the profile page, open a loan, confirm with no password."""
    state = loaded("wangjianguo", "update_profile")
    call(ActionState.verify_identity, state, {"password": PASSWORD})
    assert state.step == "form" and state.error_key == ""
    profile_check = state._grant
    navigate(state, "take_loan")
    assert state._grant is None  # dropped when the page loads another action
    call(ActionState.review, state, {"amount": "500", "term_months": "6"})
    assert state.step == "review" and state.needs_password
    before = totals()
    confirm(state, {"password": ""})
    assert state.error_key == "error.step_up_required" and state.step == "review"
    assert totals() == before
    # Had the page kept the profile check, the service would still refuse it for a loan.
    state._grant = profile_check
    confirm(state, {})
    assert state.error_key == "error.step_up_required" and totals() == before
    # The loan goes through with a check made for it, and only once.
    confirm(state, {"password": PASSWORD})
    assert state.step == "done" and state.result["status"] == "completed"
    assert totals()[0] == before[0] + 1 and state._grant is None


def test_the_profile_check_serves_one_profile_change(demo_db):
    state = loaded("zhangwei", "update_profile")
    call(ActionState.verify_identity, state, {"password": PASSWORD})
    call(ActionState.review, state, {**state.profile, "phone": "13911112222"})
    assert state.step == "review" and not state.needs_password  # checked before the form
    confirm(state, {})
    assert state.step == "done" and state.result["status"] == "completed"
    with session_scope() as session:
        person = session.exec(
            select(Customer).join(UserAccount, UserAccount.customer_id == Customer.id)
            .where(UserAccount.username == "zhangwei")
        ).one()
        assert person.phone == "13911112222"
    # Used up: the next change asks for the password again.
    navigate(state, "update_profile")
    assert state.step == "verify" and state._grant is None

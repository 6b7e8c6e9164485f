"""Event handlers check the caller themselves: a client can call any handler directly,
with any token and arguments, so page guards alone would not protect anything."""

from __future__ import annotations

from datetime import date

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlmodel import SQLModel, select

from tests.async_run import call
from portal.data.db import get_engine, session_scope
from portal.data.demo import build_demo
from portal.data.tables import Policy, UserAccount
from portal.services import auth
from portal.state.login import LoginState
from portal.state.session import SessionState
from portal.state.portfolio import CategoryState, ClientListState, DashboardState, PolicyListState, PolicyState

TODAY = date(2026, 11, 21)
PASSWORD = "Portal@2026"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("handlers") / "demo.db"
    patch = pytest.MonkeyPatch()
    patch.setenv("PORTAL_DB_URL", f"sqlite:///{path}")
    patch.setenv("PORTAL_TODAY", TODAY.isoformat())
    patch.setenv("PORTAL_SECRET_KEY", "handler-tests-" + "s" * 40)
    SQLModel.metadata.create_all(get_engine())
    with session_scope() as session:
        build_demo(session, today=TODAY, seed=2019)
    yield path
    patch.undo()


def state_of(cls, token: str = "", query: dict | None = None, bind: bool = True):
    """A page state as the websocket delivers it: the session cookie in the handshake
    headers and, as TabGuard leaves it before every event, the tab bound to that session."""
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    root.router = RouterData.from_router_data(
        {"pathname": "/", "asPath": "/", "query": query or {}, "headers": {"cookie": f"portal_session={token}"}}
    )
    state.router = root.router
    if bind and token:
        with session_scope() as session:
            principal = auth.authenticate(session, token)
        root.get_substate(SessionState.get_full_name().split(".")[1:])._bound_session = principal.jti if principal else ""
    return state


def token_for(username: str) -> str:
    with session_scope() as session:
        return auth.login(session, username, PASSWORD).token


def _flat(events):
    for event in events or []:
        yield from (_flat(event) if isinstance(event, list) else [event])


def redirects_to_login(events) -> bool:
    """What a handler returned, or (a handler that yields) the list of what it yielded."""
    return any("/login" in str(getattr(e, "args", "")) for e in _flat(events))


@pytest.mark.parametrize("token", ["", "forged.token.value"])
@pytest.mark.parametrize(
    "cls, query",
    [
        (DashboardState, None),
        (CategoryState, {"category": "loanable"}),
        (PolicyListState, {}),
        (PolicyState, {"policy_no": "anything"}),
        (ClientListState, None),
    ],
)
def test_load_handlers_refuse_callers_without_a_valid_session(demo_db, cls, query, token):
    state = state_of(cls, token, query)
    events = call(cls.load, state)
    assert redirects_to_login(events)
    assert state.loaded is False
    assert state.notice_key == "auth.expired"


def test_filter_handlers_refuse_callers_without_a_valid_session(demo_db):
    state = state_of(PolicyListState, "")
    assert redirects_to_login(call(PolicyListState.set_line_filter, state, "life"))
    assert redirects_to_login(call(PolicyListState.set_status_filter, state, "in_force"))
    assert state.rows == []


def test_revoked_token_is_refused_by_handlers(demo_db):
    token = token_for("wangjianguo")
    with session_scope() as session:
        auth.logout(session, token)
    state = state_of(DashboardState, token)
    assert redirects_to_login(call(DashboardState.load, state))
    assert state.figures == {}


def test_policy_handler_hides_another_customers_policy(demo_db):
    with session_scope() as session:
        wang = session.exec(select(UserAccount).where(UserAccount.username == "wangjianguo")).one()
        his_policy = session.exec(select(Policy.policy_no).where(Policy.policyholder_id == wang.customer_id)).first()
    state = state_of(PolicyState, token_for("lixiulan"), {"policy_no": his_policy})
    call(PolicyState.load, state)
    assert state.loaded and state.found is False
    assert state.fields == {} and state.installments == [] and state.history == []
    own = state_of(PolicyState, token_for("wangjianguo"), {"policy_no": his_policy})
    call(PolicyState.load, own)
    assert own.found and own.fields["policy_no"] == his_policy


def test_bad_url_arguments_get_a_message_not_a_crash(demo_db):
    token = token_for("wangjianguo")
    category = state_of(CategoryState, token, {"category": "../../etc/passwd"})
    call(CategoryState.load, category)
    assert category.not_found and category.rows == []
    policies = state_of(PolicyListState, token, {"status": "bogus", "line": 42, "reminder": "<script>"})
    call(PolicyListState.load, policies)
    assert (policies.status_filter, policies.line_filter, policies.reminder_filter) == ("all", "all", "")
    assert policies.total == 157 and len(policies.rows) == 20
    policy = state_of(PolicyState, token, {"policy_no": "x" * 5000})
    call(PolicyState.load, policy)
    assert policy.found is False


def test_filter_handlers_reject_values_outside_the_choices(demo_db):
    state = state_of(PolicyListState, token_for("wangjianguo"), {})
    call(PolicyListState.load, state)
    call(PolicyListState.set_status_filter, state, "'; DROP TABLE policy; --")
    assert state.status_filter == "all" and state.total == 157
    call(PolicyListState.set_line_filter, state, ["life", "property"])
    assert state.line_filter == "all"


def test_customers_cannot_load_the_manager_worklist(demo_db):
    state = state_of(ClientListState, token_for("zhangwei"))
    call(ClientListState.load, state)
    assert state.clients == [] and state.loaded is False


def test_login_page_shows_only_known_messages_from_its_url(demo_db):
    for query, error, notice, wait in (
        ({"error": "auth.invalid"}, "auth.invalid", "", ""),
        ({"error": "auth.throttled", "wait": "64"}, "auth.throttled", "", "64"),
        ({"error": "<script>alert(1)</script>", "wait": "9" * 50}, "", "", ""),
        ({"error": "auth.locked", "wait": "١٥"}, "auth.locked", "", ""),  # ASCII digits only
        ({"notice": "auth.logged_out"}, "", "auth.logged_out", ""),
        ({"notice": "admin"}, "", "", ""),
    ):
        state = state_of(LoginState, query=query)
        call(LoginState.on_load, state)
        assert (state.error_key, state.notice_key, state.wait) == (error, notice, wait), query


def test_a_session_the_tab_was_not_bound_to_is_not_served(demo_db):
    # TabGuard rebinds (and resets) before every event; a handler reached without that
    # (the tab still bound to someone else) serves nothing.
    state = state_of(DashboardState, token_for("wangjianguo"), bind=False)
    assert redirects_to_login(call(DashboardState.load, state))
    assert state.figures == {}


def _customer_id(username: str) -> int:
    with session_scope() as session:
        return session.exec(select(UserAccount.customer_id).where(UserAccount.username == username)).one()


def test_the_policy_list_holds_one_page_and_every_page_together_is_the_query(demo_db):
    """Paged in the state, not in the browser: 20 rows at a time, and walking every page
    (forward, then one back) gives each of the customer's matching policies exactly once,
    as SQL counts them."""
    cid = _customer_id("wangjianguo")
    with session_scope() as session:
        expected = set(session.exec(select(Policy.policy_no).where(Policy.policyholder_id == cid, Policy.line == "life")).all())
    state = state_of(PolicyListState, token_for("wangjianguo"), {"line": "life"})
    call(PolicyListState.load, state)
    assert state.total == len(expected) and state.page_count == -(-len(expected) // 20)
    seen = []
    for number in range(state.page_count):
        assert state.page == number and len(state.rows) <= 20
        seen += [row["policy_no"] for row in state.rows]
        call(PolicyListState.next_page, state)
    assert state.page == state.page_count - 1  # stays on the last page
    assert len(seen) == len(set(seen)) and set(seen) == expected
    call(PolicyListState.previous_page, state)
    assert state.page == state.page_count - 2
    call(PolicyListState.set_status_filter, state, "matured")  # a new filter starts at page one
    assert state.page == 0


def test_category_pages_are_re_read_and_add_up_to_the_figure(demo_db):
    """The loanable figure is the sum of its rows over every page (checked in fen)."""
    state = state_of(CategoryState, token_for("wangjianguo"), {"category": "loanable"})
    call(CategoryState.load, state)
    fen = lambda text: int(text.replace("¥", "").replace(",", "").replace(".", ""))
    amounts, numbers = [], set()
    for _ in range(state.page_count):
        assert len(state.rows) <= 20
        amounts += [fen(row["amount"]) for row in state.rows]
        numbers.add(state.page)
        call(CategoryState.next_page, state)
    assert numbers == set(range(state.page_count)) and state.page_count > 1
    assert sum(amounts) == fen(state.figure_value)
    assert len(amounts) == int(state.figure_count)

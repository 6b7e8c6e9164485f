"""A shared browser tab leaks nothing: when the session behind a tab changes or ends,
TabGuard resets every page state before the event runs (issue: 王建国's phone, bank
account and 157 policies reached the next customer on the same tab)."""

from __future__ import annotations

import asyncio
import json

import reflex as rx
from reflex.istate.data import RouterData

from portal.data.db import session_scope
from portal.data.tables import Customer, UserAccount
from portal.services import auth
from portal.state.actions import ActionState
from portal.state.portfolio import CategoryState, DashboardState, PolicyListState, PolicyState
from portal.state.session import SessionState, TabGuard, page_state_classes
from tests.async_run import call, run_async
from tests.ui.test_state_handlers import demo_db, state_of, token_for  # noqa: F401


def substate(root, cls):
    return root.get_substate(cls.get_full_name().split(".")[1:])


def connect(root, token: str | None) -> None:
    """What a new page load does: the websocket handshake brings the cookie, TabGuard runs."""
    cookie = f"portal_session={token}" if token else ""
    root.router = RouterData.from_router_data({"pathname": "/", "asPath": "/", "query": {}, "headers": {"cookie": cookie}})
    for cls in page_state_classes():
        substate(root, cls).router = root.router
    run_async(TabGuard().preprocess(app=None, state=root, event=None))


def everything_sent(root) -> str:
    """All that the hydrate snapshot would carry, plus every backend var, as text."""
    parts = []
    for cls in page_state_classes():
        state = substate(root, cls)
        parts.append(json.dumps(state.dict(include_computed=False), default=str, ensure_ascii=False))
        parts.append(repr({name: getattr(state, name, None) for name in type(state).__fields__}))
    return "\n".join(parts)


def wang_secrets() -> list[str]:
    with session_scope() as session:
        wang = session.get(Customer, session.exec(
            __import__("sqlmodel").select(UserAccount.customer_id).where(UserAccount.username == "wangjianguo")
        ).one())
        return [wang.name, wang.phone, wang.payout_account, wang.address, wang.id_number[-6:]]


def fill_as_wang(root, token: str) -> None:
    connect(root, token)
    for cls in (DashboardState, PolicyListState):
        call(cls.load, substate(root, cls))
    category = substate(root, CategoryState)
    category.router = RouterData.from_router_data({**_router(token), "query": {"category": "loanable"}})
    call(CategoryState.load, category)
    action = substate(root, ActionState)
    action.router = RouterData.from_router_data({**_router(token), "query": {"action": "update_profile"}})
    call(ActionState.load, action)
    # He verifies his password on 我的资料: his full details are now in the tab's state.
    call(ActionState.verify_identity, action, {"password": "Portal@2026"})
    assert action.profile["phone"] and substate(root, PolicyListState).total == 157


def _router(token: str) -> dict:
    return {"pathname": "/", "asPath": "/", "headers": {"cookie": f"portal_session={token}"}}


def test_the_next_customer_on_the_tab_gets_nothing_of_the_previous_one(demo_db):
    root = rx.State(_reflex_internal_init=True)
    wang = token_for("wangjianguo")
    fill_as_wang(root, wang)
    secrets = wang_secrets()
    assert all(secret in everything_sent(root) for secret in secrets[:3])  # the check can see them

    with session_scope() as session:
        auth.logout(session, wang)
    zhang = token_for("zhangwei")
    connect(root, zhang)  # 张伟 logs in on the same tab: the first event of his page
    sent = everything_sent(root)
    for secret in secrets:
        assert secret not in sent, secret
    assert substate(root, PolicyListState).rows == [] and substate(root, ActionState).profile == {}
    assert substate(root, ActionState)._grant is None
    call(DashboardState.load, substate(root, DashboardState))
    assert substate(root, DashboardState).customer_name == "张伟"


def test_logout_expiry_and_revocation_each_reset_the_tab(demo_db):
    for end in ("logout", "revoked", "no cookie"):
        root = rx.State(_reflex_internal_init=True)
        wang = token_for("wangjianguo")
        fill_as_wang(root, wang)
        with session_scope() as session:
            if end == "logout":
                auth.logout(session, wang)
            elif end == "revoked":
                auth.revoke_all_sessions(session, auth.authenticate(session, wang).user_id)
        connect(root, None if end == "no cookie" else wang)
        assert substate(root, SessionState)._bound_session == ""
        sent = everything_sent(root)
        assert all(secret not in sent for secret in wang_secrets()), end


def test_the_language_choice_survives_the_reset(demo_db):
    root = rx.State(_reflex_internal_init=True)
    fill_as_wang(root, token_for("wangjianguo"))
    substate(root, SessionState).locale = "en"
    connect(root, None)
    assert substate(root, SessionState).locale == "en"

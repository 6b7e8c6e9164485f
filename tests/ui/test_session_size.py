"""Session state stays small: pages of rows, not whole portfolios, and no copy of the
language catalog. Measured as Reflex measures it for Redis (``_serialize``: the pickle
each state is stored as), summed over every state of one tab."""

from __future__ import annotations

import reflex as rx
from reflex.istate.data import RouterData

from portal.domain.categories import Category
from portal.state.actions import ActionState
from portal.state.portfolio import CategoryState, DashboardState, PolicyListState, PolicyState
from portal.state.session import SessionState, page_state_classes
from tests.async_run import call
from tests.ui.test_state_handlers import demo_db, token_for  # noqa: F401
from tests.ui.test_tab_reset import connect, substate

LIMIT = 40 * 1024


def tab_bytes(root) -> dict[str, int]:
    return {cls.__name__: len(substate(root, cls)._serialize()) for cls in page_state_classes()}


def open_page(root, token: str, cls, query: dict) -> None:
    state = substate(root, cls)
    state.router = RouterData.from_router_data(
        {"pathname": "/", "asPath": "/", "query": query, "headers": {"cookie": f"portal_session={token}"}}
    )
    call(cls.load, state)


def test_the_157_policy_customers_tab_stays_under_40_kb_after_every_page(demo_db):
    token = token_for("wangjianguo")
    root = rx.State(_reflex_internal_init=True)
    connect(root, token)
    open_page(root, token, DashboardState, {})
    for category in Category:  # every category, the history's 1,468 events included
        open_page(root, token, CategoryState, {"category": category.value})
        assert substate(root, CategoryState).figure_count != "0" or category is not Category.HISTORY
    open_page(root, token, PolicyListState, {})
    policy_no = substate(root, PolicyListState).rows[0]["policy_no"]
    open_page(root, token, PolicyState, {"policy_no": policy_no})
    open_page(root, token, ActionState, {"action": "pay_premium"})
    assert substate(root, DashboardState).loaded and substate(root, PolicyState).found
    assert substate(root, PolicyListState).total == 157  # the whole book is behind these pages
    sizes = tab_bytes(root)
    assert sum(sizes.values()) < LIMIT, sizes


def test_no_state_carries_the_language_catalog(demo_db):
    """A catalog sentence (from a page no one opened) is in no state's stored bytes."""
    root = rx.State(_reflex_internal_init=True)
    connect(root, token_for("zhangwei"))
    open_page(root, token_for("zhangwei"), DashboardState, {})
    stored = b"".join(substate(root, cls)._serialize() for cls in page_state_classes())
    assert "一次登录，寿险产险保单全知道".encode() not in stored
    assert b"app.tagline" not in stored and "t" not in SessionState.computed_vars

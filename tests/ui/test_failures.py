"""Faults injected under the real handlers: the database turned read-only mid-action,
the database unreachable, a bug. Each time the customer gets a message in their language
with an error id (logged with the stack), the page can be used again, nothing is
half-saved, and once the fault is gone the same confirm completes exactly once."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from contextlib import contextmanager
from sqlalchemy import event

from portal.data.db import get_engine
from portal.state import failures
from portal.state.actions import ActionState
from portal.state.portfolio import CategoryState, PolicyListState
from portal.state.session import SessionState
from tests.ui.test_action_handlers import confirm, loaded, totals
from tests.ui.test_state_handlers import PASSWORD, demo_db, redirects_to_login, state_of, token_for  # noqa: F401


def session_of(state) -> SessionState:
    return state._root_session()


def fail_over(state, exc: Exception) -> str:
    """What the running app does with an exception a handler raised."""
    (spec,) = failures.on_backend_error(exc)
    error_id = spec.args[0][1]._var_value if hasattr(spec.args[0][1], "_var_value") else str(spec.args[0][1])
    error_id = error_id.strip('"')
    asyncio.run(SessionState.show_failure.fn(session_of(state), error_id))
    return error_id


@contextmanager
def read_only_database():
    """Every connection the app takes from now on is read-only (SQLite ``query_only``),
    until the block ends; then they are writable again."""
    engine = get_engine()

    def query_only(dbapi_connection, *_):
        dbapi_connection.execute("PRAGMA query_only = ON")

    event.listen(engine, "checkout", query_only)
    try:
        yield
    finally:
        event.remove(engine, "checkout", query_only)
        engine.dispose()  # fresh, writable connections from here on


def test_the_database_turning_read_only_mid_loan(demo_db, caplog):
    state = loaded("wangjianguo", "take_loan")
    ActionState.review.fn(state, {"amount": "800", "term_months": "3"})
    assert state.step == "review"
    before = totals()
    with read_only_database(), pytest.raises(Exception) as raised:
        confirm(state, {"password": PASSWORD})
    assert "readonly" in str(raised.value).lower() or "read-only" in str(raised.value).lower()
    assert state.submitting is True  # what froze the page before
    with caplog.at_level(logging.ERROR, logger="portal.failures"):
        error_id = fail_over(state, raised.value)
    assert re.fullmatch(r"[0-9A-F]{6}", error_id)
    logged = "\n".join(r.getMessage() + str(r.exc_info and r.exc_info[0]) for r in caplog.records)
    assert f"E-{error_id}" in logged and "OperationalError" in logged
    # The page works again, says what happened in Chinese, and nothing was written.
    assert state.submitting is False and state.step == "review"
    assert session_of(state).failure_text.endswith(f"E-{error_id}。")
    session_of(state).locale = "en"
    assert f"quote error E-{error_id}" in session_of(state).failure_text
    assert totals() == before


def test_after_the_database_recovers_the_same_confirm_lends_once(demo_db):
    state = loaded("wangjianguo", "take_loan")
    ActionState.review.fn(state, {"amount": "700", "term_months": "2"})
    before = totals()
    with read_only_database(), pytest.raises(Exception) as raised:
        confirm(state, {"password": PASSWORD})
    fail_over(state, raised.value)
    assert totals() == before
    confirm(state, {"password": PASSWORD})  # the customer presses confirm again
    assert state.step == "done" and state.result["status"] == "completed"
    confirm(state, {"password": PASSWORD})
    requests, loans, _history = (a - b for a, b in zip(totals(), before))
    assert (requests, loans) == (1, 1)


def test_an_unreachable_database_gives_the_message_not_a_crash(demo_db, monkeypatch):
    state = loaded("wangjianguo", "take_loan")
    ActionState.review.fn(state, {"amount": "600", "term_months": "1"})
    from sqlalchemy.exc import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr("portal.state.actions.request_service.submit", unreachable)
    with pytest.raises(OperationalError) as raised:
        confirm(state, {"password": PASSWORD})
    fail_over(state, raised.value)
    assert state.submitting is False and session_of(state).failure_id


def test_a_forged_error_id_is_not_shown(demo_db):
    state = state_of(SessionState)
    for forged in ("<img src=x onerror=alert(1)>", "123", 42, "ABCDEF1"):
        asyncio.run(SessionState.show_failure.fn(state, forged))
        assert state.failure_id == "" and state.failure_text == ""


def test_bad_loan_terms_get_the_term_message(demo_db):
    for term in ("²", "9" * 5000, "٣", "０６", "0", "7", "-1", "1.5", ""):
        state = loaded("wangjianguo", "take_loan")
        ActionState.review.fn(state, {"amount": "600", "term_months": term})
        assert state.step == "form" and state.error_key == "error.loan_term", term


def test_managers_on_customer_pages_go_to_their_worklist(demo_db):
    token = token_for("manager.bj1")
    for cls, query in ((CategoryState, {"category": "loanable"}), (PolicyListState, {})):
        state = state_of(cls, token, query)
        events = cls.load.fn(state)
        assert any("/clients" in str(getattr(e, "args", "")) for e in events), cls
        assert not redirects_to_login(events)

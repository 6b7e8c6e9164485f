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
from tests.async_run import call, run_async
from tests.ui.test_action_handlers import confirm, loaded, totals
from tests.ui.test_state_handlers import PASSWORD, demo_db, redirects_to_login, state_of, token_for  # noqa: F401


def session_of(state) -> SessionState:
    return state._root_session()


def fail_over(state, exc: Exception) -> str:
    """What the running app does with an exception a handler raised."""
    (spec,) = failures.on_backend_error(exc)
    error_id = spec.args[0][1]._var_value if hasattr(spec.args[0][1], "_var_value") else str(spec.args[0][1])
    error_id = error_id.strip('"')
    call(SessionState.show_failure, session_of(state), error_id)
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
    call(ActionState.review, state, {"amount": "800", "term_months": "3"})
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
    call(ActionState.review, state, {"amount": "700", "term_months": "2"})
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
    call(ActionState.review, state, {"amount": "600", "term_months": "1"})
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
        call(SessionState.show_failure, state, forged)
        assert state.failure_id == "" and state.failure_text == ""


def test_bad_loan_terms_get_the_term_message(demo_db):
    for term in ("²", "9" * 5000, "٣", "０６", "0", "7", "-1", "1.5", ""):
        state = loaded("wangjianguo", "take_loan")
        call(ActionState.review, state, {"amount": "600", "term_months": term})
        assert state.step == "form" and state.error_key == "error.loan_term", term


def test_managers_on_customer_pages_go_to_their_worklist(demo_db):
    token = token_for("manager.bj1")
    for cls, query in ((CategoryState, {"category": "loanable"}), (PolicyListState, {})):
        state = state_of(cls, token, query)
        events = call(cls.load, state)
        assert any("/clients" in str(getattr(e, "args", "")) for e in events), cls
        assert not redirects_to_login(events)


def test_a_database_locked_by_another_writer_gets_busy_and_recovers(demo_db):
    """Another writer holds the database: each attempt waits its (here shortened) busy
    timeout, the request gives up with "busy" in the user's language, nothing is written,
    and once the lock is gone the same confirm goes through exactly once."""
    import sqlite3

    state = loaded("wangjianguo", "take_loan")
    call(ActionState.review, state, {"amount": "650", "term_months": "2"})
    before = totals()
    engine = get_engine()

    def short_wait(dbapi_connection, *_):
        dbapi_connection.execute("PRAGMA busy_timeout = 100")

    event.listen(engine, "checkout", short_wait)
    holder = sqlite3.connect(str(demo_db), timeout=1)
    holder.execute("BEGIN IMMEDIATE")  # the other writer's lock
    try:
        confirm(state, {"password": PASSWORD})
    finally:
        holder.rollback()
        holder.close()
        event.remove(engine, "checkout", short_wait)
        engine.dispose()
    assert state.error_key == "error.busy" and state.step == "review" and state.submitting is False
    assert state.error_message == "系统繁忙，请稍后重试；本次未做任何变更。"
    assert totals() == before
    confirm(state, {"password": PASSWORD})
    assert state.step == "done"
    requests, loans, _history = (a - b for a, b in zip(totals(), before))
    assert (requests, loans) == (1, 1)


KILLED_MID_CONFIRM = r"""
import os, sys, time
from portal.data.db import session_scope
from portal.domain.clock import today
from portal.services import auth
from portal.services.servicing import requests, step_up
from portal.services.servicing.loans import TakeLoan

real_apply = TakeLoan.apply
def slow_apply(self, session, review, request, day, now):
    real_apply(self, session, review, request, day, now)
    session.flush()            # the request, the loan and the history entry are written...
    print("WRITTEN", flush=True)
    time.sleep(60)             # ...and the process is killed before the commit
TakeLoan.apply = slow_apply

with session_scope() as s:
    token = auth.login(s, "wangjianguo", "Portal@2026").token
with session_scope() as s:
    principal = auth.authenticate(s, token)
form = {"policy": sys.argv[1], "amount": "555", "term_months": "1"}
review = requests.review(principal, "take_loan", form, today())
with session_scope() as s:
    grant = step_up.verify_password_again(s, principal, "Portal@2026", kind="take_loan",
                                          request_key=sys.argv[2], fingerprint=review.fingerprint)
requests.submit(principal, "take_loan", form, sys.argv[2], review.fingerprint, grant, today())
"""


def test_the_server_killed_mid_confirm_leaves_nothing_half_written(demo_db, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from sqlmodel import select

    from portal.data.db import session_scope
    from portal.data.history import verify_chain, verify_heads
    from portal.data.tables import ServiceRequest, UserAccount
    from portal.services.servicing import requests as request_service

    with session_scope() as session:
        wang = session.exec(select(UserAccount).where(UserAccount.username == "wangjianguo")).one()
        state = loaded("wangjianguo", "take_loan")
        policy_no = state.selected_one
    key = request_service.new_idempotency_key()
    script = tmp_path / "killed.py"
    script.write_text(KILLED_MID_CONFIRM)
    before = totals()
    child = subprocess.Popen([sys.executable, str(script), policy_no, key], cwd=os.getcwd(), env=os.environ.copy(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.strip() == "WRITTEN", child.stderr.read()
        child.send_signal(signal.SIGKILL)  # the server dies mid-confirm
        child.wait(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
    assert totals() == before  # nothing of the request, the loan or the history survived
    with session_scope() as session:
        assert session.exec(select(ServiceRequest).where(ServiceRequest.idempotency_key == key)).first() is None
        assert verify_chain(session, wang.customer_id) == [] and verify_heads(session, wang.customer_id) == []
    # The customer confirms again: it goes through, once.
    call(ActionState.review, state, {"amount": "555", "term_months": "1"})
    confirm(state, {"password": PASSWORD})
    assert state.step == "done"
    requests, loans, _history = (a - b for a, b in zip(totals(), before))
    assert (requests, loans) == (1, 1)

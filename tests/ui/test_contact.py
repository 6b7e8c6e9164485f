"""Talk to a person through the real handlers: a call-back request in an open slot, one
open request per customer (also in the database), cancel, and the manager's worklist."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from tests.async_run import call
from portal.data.db import session_scope
from portal.data.tables import CallbackRequest, ManagerAssignment, UserAccount
from portal.domain.clock import utc_now
from portal.state.contact import ContactState
from portal.state.portfolio import ClientListState
from tests.ui.test_state_handlers import demo_db, state_of, token_for  # noqa: F401


def contact_page(username: str) -> ContactState:
    state = state_of(ContactState, token_for(username))
    call(ContactState.load, state)
    return state


def open_requests(username: str) -> list[CallbackRequest]:
    with session_scope() as session:
        customer_id = session.exec(select(UserAccount.customer_id).where(UserAccount.username == username)).one()
        return list(session.exec(select(CallbackRequest).where(CallbackRequest.customer_id == customer_id,
                                                               CallbackRequest.status == "pending")).all())


def test_a_call_back_in_an_open_slot_then_only_one_at_a_time(demo_db):
    state = contact_page("lixiulan")
    assert state.manager["tel"].startswith("tel:") and state.pending == {}
    assert state.day and state.slots
    call(ContactState.request, state, {})  # no time chosen
    assert state.error_key == "error.callback_slot" and open_requests("lixiulan") == []
    call(ContactState.choose_slot, state, "0800")  # not a slot: ignored
    assert state.slot == ""
    call(ContactState.choose_slot, state, state.slots[-1]["code"])
    call(ContactState.request, state, {})
    assert state.done and state.pending["day"] == state.day
    (row,) = open_requests("lixiulan")
    assert row.slot_date.isoformat() == state.day and row.manager_id is not None
    # A second request while one is open: refused, by the service and by the database.
    other = contact_page("lixiulan")
    assert other.pending["id"] == str(row.id)
    with session_scope() as session:
        principal = __import__("portal.services.auth", fromlist=["x"]).authenticate(session, token_for("lixiulan"))
        from portal.services import callbacks
        with pytest.raises(callbacks.Rejected) as refused:
            callbacks.request_callback(session, principal, row.slot_date.isoformat(), "1600", utc_now())
        assert refused.value.code == "error.callback_open"
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(CallbackRequest(customer_id=row.customer_id, slot_date=row.slot_date, slot_code="1600",
                                    created_at=utc_now(), open_for=row.customer_id))


def test_the_manager_sees_the_call_back_of_an_assigned_client_only(demo_db):
    with session_scope() as session:
        senior = session.exec(select(UserAccount).where(UserAccount.username == "lixiulan")).one()
        manager_id = session.exec(select(ManagerAssignment.manager_id).where(ManagerAssignment.customer_id == senior.customer_id)).one()
        her_manager = session.exec(select(UserAccount.username).where(UserAccount.manager_id == manager_id)).one()
        other_manager = session.exec(select(UserAccount.username).where(UserAccount.role == "manager",
                                                                      UserAccount.manager_id != manager_id)).first()
    if not open_requests("lixiulan"):
        state = contact_page("lixiulan")
        call(ContactState.choose_slot, state, state.slots[0]["code"])
        call(ContactState.request, state, {})
    worklist = state_of(ClientListState, token_for(her_manager))
    call(ClientListState.load, worklist)
    assert [row["callback"] for row in worklist.clients if row["callback"]], worklist.clients
    elsewhere = state_of(ClientListState, token_for(other_manager))
    call(ClientListState.load, elsewhere)
    assert not any(row["callback"] for row in elsewhere.clients)


def test_cancel_frees_the_customer_to_book_again(demo_db):
    state = contact_page("lixiulan")
    if not state.pending:
        call(ContactState.choose_slot, state, state.slots[0]["code"])
        call(ContactState.request, state, {})
    call(ContactState.cancel, state)
    assert state.pending == {} and open_requests("lixiulan") == []
    call(ContactState.choose_slot, state, state.slots[0]["code"])
    call(ContactState.request, state, {})
    assert state.pending and len(open_requests("lixiulan")) == 1


def test_managers_and_visitors_cannot_use_the_page(demo_db):
    for token in ("", token_for("manager.bj1")):
        state = state_of(ContactState, token)
        call(ContactState.load, state)
        assert state.loaded is False and state.manager == {}

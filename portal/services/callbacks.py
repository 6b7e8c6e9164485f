"""Call-back requests: a customer asks their manager to ring them (联系专员); the manager
sees them on the worklist. One transaction per use case; customers touch only their own
requests, managers see only their assigned clients'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from portal.data.tables import CallbackRequest, ManagerAssignment
from portal.domain.callbacks import Slot, open_slots, parse_slot
from portal.domain.rejections import Rejected
from portal.services.auth import Principal
from portal.services.portfolio import AccessDenied

PENDING, CANCELLED, DONE = "pending", "cancelled", "done"


@dataclass(frozen=True)
class CallbackView:
    request_id: int
    day: date
    slot: Slot
    status: str


def _customer(principal: Principal | None) -> int:
    if principal is None or not principal.is_customer:
        raise AccessDenied("customers only")
    return principal.customer_id


def slots(now: datetime) -> list[Slot]:
    return open_slots(now)


def open_request(session: Session, principal: Principal | None) -> CallbackView | None:
    customer_id = _customer(principal)
    row = session.exec(
        select(CallbackRequest).where(CallbackRequest.customer_id == customer_id, CallbackRequest.status == PENDING)
    ).first()
    return _view(row) if row else None


def request_callback(session: Session, principal: Principal | None, day, code, now: datetime) -> CallbackView:
    """Books a call-back in an open slot; refused while another request is open."""
    customer_id = _customer(principal)
    slot = parse_slot(day, code, now)
    manager_id = session.exec(
        select(ManagerAssignment.manager_id).where(ManagerAssignment.customer_id == customer_id)
    ).first()
    row = CallbackRequest(customer_id=customer_id, manager_id=manager_id, slot_date=slot.day, slot_code=slot.code,
                          status=PENDING, created_at=now, open_for=customer_id)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Rejected("error.callback_open") from None
    return _view(row)


def cancel(session: Session, principal: Principal | None, request_id) -> None:
    customer_id = _customer(principal)
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise Rejected("error.bad_request")
    moved = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request_id, CallbackRequest.customer_id == customer_id,
               CallbackRequest.status == PENDING)
        .values(status=CANCELLED, open_for=None)
    ).rowcount
    if moved != 1:
        raise Rejected("error.bad_request")


def pending_for_manager(session: Session, principal: Principal | None) -> dict[int, CallbackView]:
    """Customer id → their open request, for the calling manager's assigned clients only."""
    if principal is None or not principal.is_manager:
        raise AccessDenied("managers only")
    rows = session.exec(
        select(CallbackRequest)
        .join(ManagerAssignment, ManagerAssignment.customer_id == CallbackRequest.customer_id)
        .where(ManagerAssignment.manager_id == principal.manager_id, CallbackRequest.status == PENDING)
    ).all()
    return {row.customer_id: _view(row) for row in rows}


def _view(row: CallbackRequest) -> CallbackView:
    return CallbackView(row.id, row.slot_date, Slot(row.slot_date, row.slot_code), row.status)

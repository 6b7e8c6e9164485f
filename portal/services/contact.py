"""Reaching a person: the customer's own assigned service manager (联系专员)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from portal.data.tables import ManagerAssignment, ServiceManager
from portal.services.auth import Principal
from portal.services.portfolio import AccessDenied


@dataclass(frozen=True)
class ManagerCard:
    name: str
    phone: str  # the manager's work phone: meant to be called, so shown in full
    city: str


def my_manager(session: Session, principal: Principal | None) -> ManagerCard | None:
    """The manager assigned to the logged-in customer, or None if there is none."""
    if principal is None or not principal.is_customer:
        raise AccessDenied("customers only")
    row = session.exec(
        select(ServiceManager)
        .join(ManagerAssignment, ManagerAssignment.manager_id == ServiceManager.id)
        .where(ManagerAssignment.customer_id == principal.customer_id)
    ).first()
    return ManagerCard(row.name, row.phone, row.city) if row else None

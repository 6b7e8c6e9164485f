"""Reading what an action is about, from the acting customer's own records only.

A policy number, loan number or item id that is not the customer's is answered exactly
like one that does not exist, so nothing is revealed about other people's policies.
"""

from __future__ import annotations

import json
from datetime import date, timezone
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from portal.data import tables as t
from portal.data.picture import load_customer_picture
from portal.domain.clock import CHINA_TIME
from portal.domain.masking import mask_account
from portal.domain.money import ZERO, from_fen
from portal.domain.records import CustomerPicture, Policy
from portal.domain.rejections import Rejected
from portal.domain.senior import fraud_guard_applies
from portal.services.servicing.core import ActionKind, RequestStatus


def picture(session: Session, customer_id: int) -> CustomerPicture:
    return load_customer_picture(session, customer_id, history=False)


def own_policy(pic: CustomerPicture, policy_no) -> Policy:
    if isinstance(policy_no, str):
        for policy in pic.policies:
            if policy.policy_no == policy_no:
                return policy
    raise Rejected("error.policy_not_found")


def versions(session: Session, model, ids) -> dict[int, int]:
    rows = session.execute(select(model.id, model.version).where(model.id.in_(list(ids)))).all()
    return {row_id: version for row_id, version in rows}


# The version guard only works if the version is read BEFORE the records it guards: read
# after them, a concurrent action that commits in between leaves this action with stale
# figures (e.g. a loan it cannot see) and a fresh version, so its conditional UPDATE
# succeeds and the limit is exceeded. Read first, any such commit makes the UPDATE fail.
def policy_versions(session: Session, customer_id: int) -> dict[int, int]:
    """The versions of all the customer's policies; call before ``picture``."""
    rows = session.execute(select(t.Policy.id, t.Policy.version).where(t.Policy.policyholder_id == customer_id)).all()
    return {row_id: version for row_id, version in rows}


def account_versions(session: Session, customer_id: int) -> dict[int, int]:
    """The versions of all the customer's universal accounts; call before ``picture``."""
    rows = session.execute(
        select(t.UniversalAccount.id, t.UniversalAccount.version)
        .join(t.Policy, t.Policy.id == t.UniversalAccount.policy_id)
        .where(t.Policy.policyholder_id == customer_id)
    ).all()
    return {row_id: version for row_id, version in rows}


def customer(session: Session, customer_id: int) -> t.Customer:
    found = session.get(t.Customer, customer_id)
    if found is None:
        raise Rejected("error.policy_not_found")
    return found


def payout_account(session: Session, customer_id: int) -> str:
    """The account on record, masked for display; refused if there is none."""
    person = customer(session, customer_id)
    if not person.payout_account:
        raise Rejected("error.no_payout_account")
    return f"{person.payout_bank} {mask_account(person.payout_account)}".strip()


def reserved_by_policy(session: Session, customer_id: int) -> dict[int, Decimal]:
    """Held large loans per policy of the customer, in one statement."""
    rows = session.execute(
        select(t.ServiceRequest.policy_id, func.sum(t.ServiceRequest.amount_fen))
        .where(
            t.ServiceRequest.customer_id == customer_id,
            t.ServiceRequest.kind == ActionKind.TAKE_LOAN.value,
            t.ServiceRequest.status == RequestStatus.UNDER_REVIEW.value,
        )
        .group_by(t.ServiceRequest.policy_id)
    ).all()
    return {policy_id: from_fen(fen) for policy_id, fen in rows}


def reserved_for_held_loans(session: Session, policy_id: int, except_request: int | None = None):
    """Large loans still in their cooling-off day: their amount is not lendable again."""
    query = select(func.coalesce(func.sum(t.ServiceRequest.amount_fen), 0)).where(
        t.ServiceRequest.policy_id == policy_id,
        t.ServiceRequest.kind == ActionKind.TAKE_LOAN.value,
        t.ServiceRequest.status == RequestStatus.UNDER_REVIEW.value,
    )
    if except_request is not None:
        query = query.where(t.ServiceRequest.id != except_request)
    fen = session.execute(query).scalar_one()
    return from_fen(fen) if fen else ZERO



def fraud_guarded(session: Session, customer_id: int, today: date) -> bool:
    """Seniors always; a younger customer who turned the loan fraud guard on."""
    person = customer(session, customer_id)
    opted_in = session.execute(
        select(t.UserAccount.fraud_guard).where(t.UserAccount.customer_id == customer_id)
    ).scalars().all()
    return fraud_guard_applies(person.birth_date, today, any(opted_in))


def payout_account_changed_on(session: Session, customer_id: int) -> date | None:
    """The day (Beijing time) the payout account was last changed in the portal, or None."""
    rows = session.execute(
        select(t.ServiceRequest.decided_at, t.ServiceRequest.details)
        .where(
            t.ServiceRequest.customer_id == customer_id,
            t.ServiceRequest.kind == ActionKind.UPDATE_PROFILE.value,
            t.ServiceRequest.status == RequestStatus.COMPLETED.value,
        )
        .order_by(t.ServiceRequest.id.desc())
        .limit(20)
    ).all()
    for decided_at, details in rows:
        lines = json.loads(details or "{}").get("lines", [])
        if decided_at is not None and any(line.get("label_key") == "profile.payout_account" for line in lines):
            moment = decided_at if decided_at.tzinfo else decided_at.replace(tzinfo=timezone.utc)
            return moment.astimezone(CHINA_TIME).date()
    return None

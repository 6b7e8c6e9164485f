"""Running an action as a request: review, submit, progress, cancel, release.

``submit`` is the one way an action changes anything. In one database transaction it:

1. returns the existing request if this idempotency key was already used (a double
   click, a reload, a replay) — the same request, never a second transaction;
2. checks the step-up grant: given in this login session, for this kind of action and
   for exactly this reviewed request (its key and fingerprint), and unexpired;
3. recomputes the review from fresh data and goes on only if it is exactly what the
   customer confirmed (otherwise "the figures have changed, please review again");
4. inserts the request (the database's unique key stops a concurrent duplicate);
5. applies the action behind conditional UPDATEs on the versions it read, so of two
   concurrent actions decided on the same figures only one can win; the other starts
   again from step 1 on fresh data and is refused if the limit is now used up;
6. appends the history entries to the customer's hash chain.

A rejection raises ``Rejected`` before anything is committed, so bad input changes nothing.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.data import tables as t
from portal.data.db import session_scope
from portal.domain.clock import utc_now
from portal.domain.loans import quote_loan
from portal.domain.money import from_fen
from portal.domain.records import HistoryKind
from portal.domain.rejections import Rejected
from portal.services.auth import Principal
from portal.services.portfolio import AccessDenied
from portal.services.servicing import lookup, step_up
from portal.services.servicing.accounts import Withdraw
from portal.services.servicing.core import (
    ActionKind,
    Conflict,
    RequestStatus,
    Review,
    ReviewLine,
    bump_version,
    record,
)
from portal.services.servicing.loans import RepayLoan, TakeLoan, create_loan
from portal.services.servicing.payments import CollectBenefit, PayPremium
from portal.services.servicing.policy_changes import AutoRenew, Reinstate
from portal.services.servicing.profile import UpdateProfile

ACTIONS = {
    spec.kind: spec
    for spec in (PayPremium(), TakeLoan(), RepayLoan(), CollectBenefit(), Withdraw(), AutoRenew(), Reinstate(), UpdateProfile())
}
MAX_ATTEMPTS = 6
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def acting_customer(principal: Principal | None) -> int:
    """Actions are the customer's own; a manager cannot move a client's money."""
    if principal is None:
        raise AccessDenied("not logged in")
    if not principal.is_customer:
        raise Rejected("error.customers_only")
    return principal.customer_id


def _spec(kind):
    try:
        return ACTIONS[ActionKind(kind)]
    except (ValueError, KeyError):
        raise Rejected("error.bad_request") from None


def _form(form) -> dict:
    if not isinstance(form, dict):
        raise Rejected("error.bad_request")
    return form


def review(principal: Principal | None, kind, form, today: date, engine: Engine | None = None) -> Review:
    """What the action would do now; raises ``Rejected`` with the reason it cannot."""
    customer_id = acting_customer(principal)
    spec = _spec(kind)
    with session_scope(engine) as session:
        return spec.prepare(session, customer_id, _form(form), today)


@dataclass(frozen=True)
class RequestView:
    request_no: str
    kind: str
    status: str
    amount: Decimal | None
    policy_no: str
    submitted_at: datetime
    decided_at: datetime | None
    release_on: date | None
    reason_key: str
    lines: tuple[ReviewLine, ...]
    replayed: bool = False  # this submission repeated an earlier one

    @property
    def can_cancel(self) -> bool:
        return self.status == RequestStatus.UNDER_REVIEW.value


def view(request: t.ServiceRequest, replayed: bool = False) -> RequestView:
    details = json.loads(request.details or "{}")
    return RequestView(
        request_no=request.request_no,
        kind=request.kind,
        status=request.status,
        amount=None if request.amount_fen is None else from_fen(request.amount_fen),
        policy_no=details.get("policy_no", ""),
        submitted_at=request.submitted_at,
        decided_at=request.decided_at,
        release_on=request.release_on,
        reason_key=request.reason_key,
        lines=tuple(ReviewLine(**line) for line in details.get("lines", [])),
        replayed=replayed,
    )


def _by_key(session: Session, customer_id: int, key: str) -> t.ServiceRequest | None:
    return session.exec(
        select(t.ServiceRequest).where(
            t.ServiceRequest.customer_id == customer_id, t.ServiceRequest.idempotency_key == key
        )
    ).first()


def _replay(existing: t.ServiceRequest, spec, fingerprint: str) -> RequestView:
    if existing.kind != spec.kind.value or existing.fingerprint != fingerprint:
        raise Rejected("error.key_reused")
    return view(existing, replayed=True)


def submit(
    principal: Principal | None,
    kind,
    form,
    idempotency_key,
    fingerprint,
    grant: step_up.StepUpGrant | None,
    today: date,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> RequestView:
    customer_id = acting_customer(principal)
    spec = _spec(kind)
    form = _form(form)
    if not isinstance(idempotency_key, str) or not _KEY.match(idempotency_key) or not isinstance(fingerprint, str):
        raise Rejected("error.bad_request")
    for _attempt in range(MAX_ATTEMPTS):
        now_ = now or utc_now()
        try:
            with session_scope(engine) as session:
                existing = _by_key(session, customer_id, idempotency_key)
                if existing is not None:
                    return _replay(existing, spec, fingerprint)
                if spec.needs_step_up:
                    step_up.require(
                        grant, principal, now_, kind=spec.kind, request_key=idempotency_key, fingerprint=fingerprint
                    )
                try:
                    fresh = spec.prepare(session, customer_id, form, today)
                    if fresh.fingerprint != fingerprint:
                        raise Rejected("error.figures_changed")
                except Rejected:
                    # The same key submitted at the same moment (a double click) may have
                    # committed since the look-up above, and its own effects are what now
                    # refuse this one: answer with that request, as for any repeat.
                    existing = _by_key(session, customer_id, idempotency_key)
                    if existing is not None:
                        return _replay(existing, spec, fingerprint)
                    raise
                request = t.ServiceRequest(
                    request_no=f"SR{today:%Y%m%d}{secrets.token_hex(5).upper()}",
                    customer_id=customer_id,
                    policy_id=fresh.policy_id,
                    kind=spec.kind.value,
                    status=RequestStatus.COMPLETED.value,
                    amount_fen=fresh.amount_fen,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    details=fresh.details_json(),
                    submitted_at=now_,
                    reviewed_at=now_,
                    decided_at=now_,
                    submitted_by=principal.user_id,
                )
                session.add(request)
                session.flush()  # a concurrent duplicate key fails here (or at commit)
                spec.apply(session, fresh, request, today, now_)
                session.flush()
                result = view(request)
            return result
        except (Conflict, IntegrityError):
            continue  # someone else won the race: look again with fresh data
        except OperationalError as exc:
            if "locked" not in str(exc).lower() and "deadlock" not in str(exc).lower():
                raise
            continue
    raise Rejected("error.busy")


def list_requests(session: Session, principal: Principal | None) -> list[RequestView]:
    customer_id = acting_customer(principal)
    rows = session.exec(
        select(t.ServiceRequest)
        .where(t.ServiceRequest.customer_id == customer_id)
        .order_by(t.ServiceRequest.id.desc())
        .limit(200)
    ).all()
    return [view(row) for row in rows]


def _own_request(session: Session, customer_id: int, request_no) -> t.ServiceRequest:
    row = session.exec(
        select(t.ServiceRequest).where(
            t.ServiceRequest.request_no == str(request_no)[:40], t.ServiceRequest.customer_id == customer_id
        )
    ).first()
    if row is None:
        raise Rejected("error.request_not_found")
    return row


def get_request(session: Session, principal: Principal | None, request_no) -> RequestView:
    return view(_own_request(session, acting_customer(principal), request_no))


def cancel(principal: Principal | None, request_no, now: datetime | None = None,
           engine: Engine | None = None) -> RequestView:
    """The customer withdraws a held loan during its cooling-off day."""
    customer_id = acting_customer(principal)
    now = now or utc_now()
    with session_scope(engine) as session:
        row = _own_request(session, customer_id, request_no)
        moved = session.execute(
            update(t.ServiceRequest)
            .where(t.ServiceRequest.id == row.id, t.ServiceRequest.status == RequestStatus.UNDER_REVIEW.value)
            .values(status=RequestStatus.CANCELLED.value, decided_at=now)
        ).rowcount
        if moved != 1:
            raise Rejected("error.cannot_cancel")
        session.refresh(row)
        record(session, row, HistoryKind.REQUEST_CANCELLED, row.policy_id, row.amount_fen, now)
        return view(row)


def release_held_loans(today: date, customer_id: int | None = None, now: datetime | None = None,
                       engine: Engine | None = None) -> int:
    """Pays out held loans whose cooling-off day has come, each in its own transaction,
    re-checking the headroom then (it may have shrunk); returns how many were decided."""
    with session_scope(engine) as session:
        query = select(t.ServiceRequest.id).where(
            t.ServiceRequest.kind == ActionKind.TAKE_LOAN.value,
            t.ServiceRequest.status == RequestStatus.UNDER_REVIEW.value,
            t.ServiceRequest.release_on <= today,
        )
        if customer_id is not None:
            query = query.where(t.ServiceRequest.customer_id == customer_id)
        due = list(session.exec(query).all())
    decided = 0
    for request_id in due:
        for _attempt in range(MAX_ATTEMPTS):
            try:
                decided += _release_one(request_id, today, now or utc_now(), engine)
                break
            except (Conflict, IntegrityError):
                continue
    return decided


def _release_one(request_id: int, today: date, now: datetime, engine: Engine | None) -> int:
    with session_scope(engine) as session:
        request = session.get(t.ServiceRequest, request_id)
        if request is None or request.status != RequestStatus.UNDER_REVIEW.value:
            return 0  # cancelled or released meanwhile
        # The version first, then the figures it guards (see lookup.policy_versions).
        version = lookup.versions(session, t.Policy, [request.policy_id])[request.policy_id]
        pic = lookup.picture(session, request.customer_id)
        policy = next((p for p in pic.policies if p.policy_id == request.policy_id), None)
        try:
            if policy is None:
                raise Rejected("error.policy_not_found")
            # Paid out today, so the quote starts today (whatever the size of the loan).
            quote = quote_loan(
                policy,
                [loan for loan in pic.loans if loan.policy_id == policy.policy_id],
                from_fen(request.amount_fen),
                _term_of(request),
                today,
                reserved=lookup.reserved_for_held_loans(session, policy.policy_id, except_request=request.id),
            )
        except Rejected as rejected:
            _decide(session, request, RequestStatus.REJECTED, now, rejected.code)
            bump_version(session, t.Policy, request.policy_id, version)
            record(session, request, HistoryKind.REQUEST_REJECTED, request.policy_id, request.amount_fen, now)
            return 1
        _decide(session, request, RequestStatus.COMPLETED, now)
        bump_version(session, t.Policy, request.policy_id, version)
        payload = {
            "policy_id": policy.policy_id,
            "amount_fen": request.amount_fen,
            "rate_bp": int(quote.annual_rate * 10000),
            "start": quote.start_date.isoformat(),
            "due": quote.due_date.isoformat(),
        }
        create_loan(session, request, payload, now)
        return 1


def _decide(session: Session, request: t.ServiceRequest, status: RequestStatus, now: datetime,
            reason_key: str = "") -> None:
    """Moves a held request on only if it is still under review: a cancel committed since
    it was read must win (the release then starts again and finds it cancelled), never be
    overwritten by a payout."""
    moved = session.execute(
        update(t.ServiceRequest)
        .where(t.ServiceRequest.id == request.id, t.ServiceRequest.status == RequestStatus.UNDER_REVIEW.value)
        .values(status=status.value, decided_at=now, reason_key=reason_key)
    ).rowcount
    if moved != 1:
        raise Conflict(f"request {request.request_no} decided meanwhile")


def _term_of(request: t.ServiceRequest) -> int:
    details = json.loads(request.details or "{}")
    return int(details.get("term_months", 6))

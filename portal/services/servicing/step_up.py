"""The step-up identity check before a money action or a profile change.

The web stand-in for face recognition is re-entering the login password (no SMS gateway
is needed to run the portal). A wrong password counts towards the same lockout as logging
in (each one a full strike: it comes from the account's own session).

A successful check gives a grant for exactly one thing, so a check made for one action
can never carry over to another:

* bound to the **user** and the **login session** (jti) it was given in;
* bound to **one action kind** (a check on the profile page is for ``update_profile``
  and can never pay out a loan);
* bound to **one reviewed request**: the idempotency key and the fingerprint the review
  produced. A money action's grant is made for the request being confirmed. The profile
  flow checks the password before it shows the form, so its grant starts bound to the
  kind only and is bound to the reviewed request when that is submitted (``bind``); a
  grant without a request never passes ``require``;
* good for **five minutes**.

Grants are kept on the server (a backend state variable), never in the browser, so they
cannot be forged or carried to another session. A grant bound to one request is spent
by that request: the key can only ever produce that one request (a repeat of the key
returns it again, see ``requests.submit``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from portal.data.tables import UserAccount
from portal.domain.actions import ActionKind
from portal.domain.clock import utc_now
from portal.domain.rejections import Rejected
from portal.services import auth
from portal.services.passwords import verify_password

GRANT_LIFETIME = timedelta(minutes=5)


def _kind_value(kind: ActionKind | str) -> str:
    return kind.value if isinstance(kind, ActionKind) else str(kind)


@dataclass(frozen=True)
class StepUpGrant:
    user_id: int
    jti: str  # the login session it was given in
    kind: str  # the one action kind it is for (an ActionKind value)
    expires_at: datetime
    request_key: str | None = None  # the reviewed request it is for (None: not yet bound)
    fingerprint: str | None = None

    def covers(self, principal: auth.Principal, kind: ActionKind | str, now: datetime) -> bool:
        """Given to this principal in this session, for this kind of action, and unexpired."""
        return (
            self.user_id == principal.user_id
            and self.jti == principal.jti
            and self.kind == _kind_value(kind)
            and now < self.expires_at
        )

    def valid_for(
        self, principal: auth.Principal, kind: ActionKind | str, request_key: str, fingerprint: str, now: datetime
    ) -> bool:
        """Covers ``kind`` and is bound to exactly this reviewed request."""
        return (
            self.covers(principal, kind, now)
            and self.request_key is not None
            and self.request_key == request_key
            and self.fingerprint == fingerprint
        )


def verify_password_again(
    session: Session,
    principal: auth.Principal,
    password,
    now: datetime | None = None,
    *,
    kind: ActionKind | str,
    request_key: str | None = None,
    fingerprint: str | None = None,
) -> StepUpGrant:
    """Checks the password again; the grant is for ``kind`` and, when given, for the
    reviewed request ``request_key``/``fingerprint``."""
    now = now or utc_now()
    user = session.get(UserAccount, principal.user_id)
    if user is None:
        raise Rejected("error.step_up_wrong")
    if auth.is_locked(user, now):
        raise Rejected("auth.locked", minutes=auth.minutes_left(user.locked_until, now))
    if not isinstance(password, str) or not password:
        raise Rejected("error.step_up_empty")
    if not verify_password(password, user.password_hash):
        locked = auth.record_step_up_failure(session, user, now)
        # The count (and a lock, with the sessions it ends) must survive the rollback a
        # rejection causes: commit it now.
        session.commit()
        if locked:
            raise Rejected("auth.locked", minutes=auth.minutes_left(user.locked_until, now))
        raise Rejected("error.step_up_wrong")
    user.failed_attempts = 0
    session.add(user)
    return StepUpGrant(
        user_id=principal.user_id,
        jti=principal.jti,
        kind=_kind_value(kind),
        expires_at=now + GRANT_LIFETIME,
        request_key=request_key,
        fingerprint=fingerprint,
    )


def bind(
    grant: StepUpGrant | None, kind: ActionKind | str, request_key: str, fingerprint: str
) -> StepUpGrant | None:
    """A kind-only grant (the profile flow's) bound to the reviewed request being
    submitted. A grant for another kind, or already bound to another request, is
    returned unchanged, and ``require`` then refuses it."""
    if grant is None or grant.kind != _kind_value(kind) or grant.request_key is not None:
        return grant
    return replace(grant, request_key=request_key, fingerprint=fingerprint)


def require(
    grant: StepUpGrant | None,
    principal: auth.Principal,
    now: datetime,
    *,
    kind: ActionKind | str,
    request_key: str,
    fingerprint: str,
) -> None:
    if grant is None or not grant.valid_for(principal, kind, request_key, fingerprint, now):
        raise Rejected("error.step_up_required")

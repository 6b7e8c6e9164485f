"""The step-up identity check before a money action or a profile change.

The web stand-in for face recognition is re-entering the login password (no SMS gateway
is needed to run the portal). A wrong password counts towards the same five-strikes
lockout as logging in. A successful check gives a grant bound to this login session that
lasts five minutes; it is kept on the server (a backend state variable), never in the
browser, so it cannot be forged or carried to another session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from portal.data.tables import UserAccount
from portal.domain.clock import utc_now
from portal.domain.rejections import Rejected
from portal.services import auth
from portal.services.passwords import verify_password

GRANT_LIFETIME = timedelta(minutes=5)


@dataclass(frozen=True)
class StepUpGrant:
    user_id: int
    jti: str  # the login session it was given in
    expires_at: datetime

    def valid_for(self, principal: auth.Principal, now: datetime) -> bool:
        return self.user_id == principal.user_id and self.jti == principal.jti and now < self.expires_at


def verify_password_again(
    session: Session, principal: auth.Principal, password, now: datetime | None = None
) -> StepUpGrant:
    now = now or utc_now()
    user = session.get(UserAccount, principal.user_id)
    if user is None:
        raise Rejected("error.step_up_wrong")
    if user.locked_until and user.locked_until > now:
        raise Rejected("auth.locked", minutes=auth._minutes_left(user.locked_until, now))
    if not isinstance(password, str) or not password:
        raise Rejected("error.step_up_empty")
    if not verify_password(password, user.password_hash):
        result = auth.record_failed_password(session, user, now)
        if result.error == "auth.locked":
            # The lockout must survive the rollback a rejection causes: commit it now.
            session.commit()
            raise Rejected("auth.locked", minutes=result.locked_minutes)
        session.commit()
        raise Rejected("error.step_up_wrong")
    user.failed_attempts = 0
    session.add(user)
    return StepUpGrant(principal.user_id, principal.jti, now + GRANT_LIFETIME)


def require(grant: StepUpGrant | None, principal: auth.Principal, now: datetime) -> None:
    if grant is None or not grant.valid_for(principal, now):
        raise Rejected("error.step_up_required")

"""Logging in and out, and working out who is asking.

A session is a signed JWT (HS256 pinned; exp/iat/iss/aud/sub/jti required) *and* a
server-side ``auth_session`` row: the row is what makes logout and revocation real, so a
token is only good while its row is unrevoked and unexpired.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from jose import JWTError, jwt
from sqlalchemy import update
from sqlmodel import Session, select

from portal.data.secret_files import read_or_create_secret
from portal.data.tables import AuthSession, Customer, ServiceManager, UserAccount
from portal.domain.clock import utc_now
from portal.services.passwords import hash_password, verify_password

ALGORITHM = "HS256"
ISSUER = "one-stop-policy-portal"
AUDIENCE = "portal-web"
MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
SECRET_FILE = Path(".secrets/jwt_secret")

# Verifying against a throwaway hash for unknown usernames keeps their timing like a
# wrong password, so response time does not reveal which usernames exist.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def token_lifetime() -> timedelta:
    return timedelta(minutes=int(os.environ.get("PORTAL_TOKEN_MINUTES", "60")))


def signing_secret() -> str:
    """From PORTAL_SECRET_KEY; on a local run without it, one generated once and kept in
    .secrets/ (outside git) so every worker and restart agrees."""
    configured = os.environ.get("PORTAL_SECRET_KEY")
    if configured:
        return configured
    # Owner-only (0600 in a 0700 directory); if two workers race, both use the winner's.
    return read_or_create_secret(SECRET_FILE, lambda: secrets.token_urlsafe(48))


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: int
    username: str
    role: str  # customer / manager
    display_name: str
    customer_id: int | None
    manager_id: int | None
    jti: str

    @property
    def is_customer(self) -> bool:
        return self.role == "customer" and self.customer_id is not None

    @property
    def is_manager(self) -> bool:
        return self.role == "manager" and self.manager_id is not None


@dataclass(frozen=True)
class LoginResult:
    token: str | None = None
    error: str | None = None  # catalog key: auth.invalid / auth.locked / auth.empty
    locked_minutes: int = 0

    @property
    def ok(self) -> bool:
        return self.token is not None


def login(session: Session, username: str, password: str, now: datetime | None = None) -> LoginResult:
    """Runs inside the caller's transaction (``session_scope``), which commits the failure
    counter as well as a new session row."""
    now = now or utc_now()
    username = (username or "").strip()
    if not username or not password:
        return LoginResult(error="auth.empty")
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    if user is None:
        verify_password(password, _DUMMY_HASH)
        return LoginResult(error="auth.invalid")
    if user.locked_until and user.locked_until > now:
        return LoginResult(error="auth.locked", locked_minutes=_minutes_left(user.locked_until, now))
    if not verify_password(password, user.password_hash):
        return record_failed_password(session, user, now)
    user.failed_attempts = 0
    user.locked_until = None
    session.add(user)
    return LoginResult(token=_issue_token(session, user, now))


def record_failed_password(session: Session, user: UserAccount, now: datetime) -> LoginResult:
    """Counts a wrong password (login or step-up alike); the fifth locks the account."""
    # Incremented in SQL so two wrong passwords at once both count.
    session.execute(
        update(UserAccount)
        .where(UserAccount.id == user.id)
        .values(failed_attempts=UserAccount.failed_attempts + 1)
    )
    session.refresh(user)
    if user.failed_attempts < MAX_FAILED_ATTEMPTS:
        return LoginResult(error="auth.invalid")
    user.failed_attempts = 0
    user.locked_until = now + LOCKOUT
    session.add(user)
    return LoginResult(error="auth.locked", locked_minutes=_minutes_left(user.locked_until, now))


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


def _issue_token(session: Session, user: UserAccount, now: datetime) -> str:
    jti = uuid.uuid4().hex
    expires = now + token_lifetime()
    session.add(AuthSession(jti=jti, user_id=user.id, issued_at=now, expires_at=expires))
    claims = {
        "sub": str(user.id),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": jti,
        "role": user.role,
    }
    return jwt.encode(claims, signing_secret(), algorithm=ALGORITHM)


# Seconds a token's ``iat`` may lie ahead of our clock (another worker's clock, rounding).
CLOCK_LEEWAY_SECONDS = 30


def _decode(token: str, now: datetime) -> dict | None:
    """The verified claims, judged against ``now``: the portal's clock (pinnable), never
    the library's own reading of the wall clock, so one notion of time rules a token and
    its session row alike."""
    try:
        claims = jwt.decode(
            token,
            signing_secret(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={
                # python-jose would check exp/iat against the machine's clock (and turns a
                # require_exp into that check), so both are required and checked below,
                # against ``now``. Every other claim is required and verified here.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require_iss": True,
                "require_aud": True,
                "require_sub": True,
                "require_jti": True,
            },
        )
    except JWTError:
        return None
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _is_timestamp(exp) or not _is_timestamp(iat):
        return None
    instant = now.timestamp()
    if exp <= instant or iat > instant + CLOCK_LEEWAY_SECONDS or iat >= exp:
        return None
    return claims


def _is_timestamp(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def authenticate(session: Session, token: str | None, now: datetime | None = None) -> Principal | None:
    """The principal behind a token, or None if it is missing, forged, expired or revoked."""
    if not token:
        return None
    now = now or utc_now()
    claims = _decode(token, now)
    if claims is None:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.jti == claims["jti"])).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if str(row.user_id) != claims["sub"]:
        return None
    user = session.get(UserAccount, row.user_id)
    if user is None:
        return None
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        display_name=_display_name(session, user),
        customer_id=user.customer_id,
        manager_id=user.manager_id,
        jti=row.jti,
    )


def _display_name(session: Session, user: UserAccount) -> str:
    if user.customer_id is not None:
        customer = session.get(Customer, user.customer_id)
        return customer.name if customer else user.username
    if user.manager_id is not None:
        manager = session.get(ServiceManager, user.manager_id)
        return manager.name if manager else user.username
    return user.username


def logout(session: Session, token: str | None, now: datetime | None = None) -> None:
    now = now or utc_now()
    claims = _decode(token, now) if token else None
    if claims is None:
        return
    row = session.exec(select(AuthSession).where(AuthSession.jti == claims["jti"])).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)


def revoke_all_sessions(session: Session, user_id: int, now: datetime | None = None) -> int:
    """Ends every session of a user (password change, manager reassignment)."""
    now = now or utc_now()
    rows = session.exec(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)

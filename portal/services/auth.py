"""Logging in and out, and working out who is asking.

A session is a signed JWT (HS256 pinned; exp/iat/iss/aud/sub/jti required) *and* a
server-side ``auth_session`` row: the row is what makes logout and revocation real, so a
token is only good while its row is unrevoked and unexpired, and its account unlocked.

Wrong passwords, and what they can tell or do to an attacker:

* **One answer.** An unknown username, a wrong password and a locked account (even with
  the right password) all get ``auth.invalid`` ("wrong username or password; after several
  failures the account is locked for a while"), and every one of them runs exactly one
  password verification (the account's hash, or a throwaway hash for an unknown name), so
  neither the words nor the time tell which usernames exist or which are locked.
* **Per client address first** (``login_throttle``, in the database so every worker
  shares it). Every failed login from an address counts, whatever the username. After
  ``THROTTLE_FREE_FAILURES`` (5) the address must wait ``2 ** (n - 4)`` seconds after its
  n-th failure (2, 4, 8 … capped at 15 minutes) before its next attempt is even checked;
  until then it is answered at once (the server never sleeps) with ``auth.throttled`` and
  the seconds left. That answer depends only on the address, so it reveals nothing about
  accounts. The count starts again once the address has been quiet for 15 minutes after
  its last wait; a successful login does not reset it (an attacker holding one good
  account could otherwise reset his own throttle between guesses).
* **Per account second** (``user_account.locked_until``): five strikes within 15 minutes
  lock the account for 15 minutes. So that one address cannot lock a customer out, a
  login failure is counted per (account, address) (``login_failure``) and one address
  adds at most ``ADDRESS_SHARE`` (2) strikes: locking an account takes wrong passwords
  from at least three addresses. One address guessing at one account is stopped by its
  own throttle instead (5 free failures, then waits that grow to 15 minutes), while the
  customer, from any other address, still logs in. A wrong step-up password comes from
  the account's own open session, so each one is a full strike, as before.
* **A lock ends the account's sessions** (``revoke_all_sessions``), ``authenticate``
  refuses the session of a locked account, and ``unlock_account`` (for an administrator
  or a password reset) ends them too.
"""

from __future__ import annotations

import math
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from jose import JWTError, jwt
from sqlalchemy import case, delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from portal.data.secret_files import read_or_create_secret
from portal.data.tables import AuthSession, Customer, LoginFailure, LoginThrottle, ServiceManager, UserAccount
from portal.domain.clock import utc_now
from portal.services.passwords import hash_password, verify_and_upgrade

ALGORITHM = "HS256"
ISSUER = "one-stop-policy-portal"
AUDIENCE = "portal-web"
MAX_FAILED_ATTEMPTS = 5  # strikes within LOCKOUT that lock the account
LOCKOUT = timedelta(minutes=15)
ADDRESS_SHARE = 2  # strikes one client address can add to one account's count
THROTTLE_FREE_FAILURES = 5  # failures an address may make before it has to wait
THROTTLE_QUIET = timedelta(minutes=15)  # quiet time after which an address starts afresh
THROTTLE_MAX_WAIT_SECONDS = 15 * 60
UNKNOWN_CLIENT = "unknown"  # the one bucket of every caller whose address is not known
SECRET_FILE = Path(".secrets/jwt_secret")

# Verifying against a throwaway hash for unknown usernames keeps their timing like a
# wrong password, so response time does not reveal which usernames exist.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


LARGE_TEXT_LIFETIME_FACTOR = 1.5  # seniors read slowly: 90 instead of 60 minutes


def token_lifetime(large_text: bool = False) -> timedelta:
    """How long a session lasts without "stay signed in": ``PORTAL_TOKEN_MINUTES`` (60),
    half as long again for an account in large-text mode."""
    minutes = int(os.environ.get("PORTAL_TOKEN_MINUTES", "60"))
    return timedelta(minutes=minutes * (LARGE_TEXT_LIFETIME_FACTOR if large_text else 1))


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
    error: str | None = None  # catalog key: auth.empty / auth.invalid / auth.throttled
    retry_after_seconds: int = 0  # how long this client address must wait (0: it need not)

    @property
    def ok(self) -> bool:
        return self.token is not None

    @property
    def locked_minutes(self) -> int:
        """Kept for the login page until it shows ``params``: logins never say "locked"."""
        return 0

    @property
    def params(self) -> dict[str, str]:
        """The placeholders of the error's message: ``translate(locale, error, **params)``."""
        return {"seconds": str(self.retry_after_seconds)} if self.error == "auth.throttled" else {}


def client_bucket(client: str | None) -> str:
    """The key an address is counted under; every caller without one shares one bucket."""
    text = client.strip() if isinstance(client, str) else ""
    return text[:64] or UNKNOWN_CLIENT


def throttle_wait_seconds(failures: int) -> int:
    """How long an address waits after its ``failures``-th failure in a row: nothing for
    the first four, then 2, 4, 8 … seconds, never more than 15 minutes."""
    if failures < THROTTLE_FREE_FAILURES:
        return 0
    return min(2 ** (failures - THROTTLE_FREE_FAILURES + 1), THROTTLE_MAX_WAIT_SECONDS)


def login(
    session: Session, username: str, password: str, now: datetime | None = None, *, client: str | None = None
) -> LoginResult:
    """Logs in from ``client`` (the caller's address; None is one shared bucket). Runs
    inside the caller's transaction (``session_scope``), which commits the failure
    counters as well as a new session row. Never sleeps: a throttled address is answered
    at once with the seconds it must wait."""
    now = now or utc_now()
    username = username.strip() if isinstance(username, str) else ""
    if not username or not isinstance(password, str) or not password:
        return LoginResult(error="auth.empty")
    address = client_bucket(client)
    wait = _wait_left(session, address, now)
    if wait:
        return LoginResult(error="auth.throttled", retry_after_seconds=wait)
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    locked = user is not None and is_locked(user, now)
    # Exactly one verification whatever the case, so the time taken tells nothing.
    password_ok, upgraded_hash = verify_and_upgrade(password, user.password_hash if user is not None else _DUMMY_HASH)
    if user is None or locked or not password_ok:
        if user is not None and not locked:
            _count_account_failure(session, user, address, now)
        return LoginResult(error="auth.invalid", retry_after_seconds=_count_address_failure(session, address, now))
    user.failed_attempts = 0
    user.locked_until = None
    if upgraded_hash is not None:  # made with older argon2 parameters: store the current ones
        user.password_hash = upgraded_hash
    session.add(user)
    session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id))
    return LoginResult(token=_issue_token(session, user, now))


def is_locked(user: UserAccount, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _insert_if_missing(session: Session, model, values: dict) -> None:
    """Creates a counter row unless another worker already has: never a duplicate-key error."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


def _wait_left(session: Session, address: str, now: datetime) -> int:
    row = session.get(LoginThrottle, address)
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, math.ceil((row.blocked_until - now).total_seconds()))


def _count_address_failure(session: Session, address: str, now: datetime) -> int:
    """Counts a failed login from ``address``; returns how long it must now wait."""
    _insert_if_missing(session, LoginThrottle, {"client": address, "failures": 0, "last_failure_at": now})
    quiet = func.coalesce(LoginThrottle.blocked_until, LoginThrottle.last_failure_at) <= now - THROTTLE_QUIET
    # One UPDATE (its SET reads the old row), so failures from several workers all count.
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.client == address)
        .values(failures=case((quiet, 1), else_=LoginThrottle.failures + 1), last_failure_at=now)
    )
    failures = session.exec(select(LoginThrottle.failures).where(LoginThrottle.client == address)).one()
    wait = throttle_wait_seconds(failures)
    if wait:
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.client == address)
            .values(blocked_until=now + timedelta(seconds=wait))
        )
    return wait


def _count_account_failure(session: Session, user: UserAccount, address: str, now: datetime) -> None:
    _insert_if_missing(
        session, LoginFailure, {"user_id": user.id, "client": address, "failures": 0, "window_start": now}
    )
    stale = LoginFailure.window_start <= now - LOCKOUT
    session.execute(
        update(LoginFailure)
        .where(LoginFailure.user_id == user.id, LoginFailure.client == address)
        .values(
            failures=case((stale, 1), else_=LoginFailure.failures + 1),
            window_start=case((stale, now), else_=LoginFailure.window_start),
        )
    )
    _lock_if_struck_out(session, user, now)


def record_step_up_failure(session: Session, user: UserAccount, now: datetime) -> bool:
    """Counts a wrong step-up password (a full strike: it comes from the account's own
    session); returns True if it locked the account."""
    # Incremented in SQL so two wrong passwords at once both count.
    session.execute(
        update(UserAccount)
        .where(UserAccount.id == user.id)
        .values(failed_attempts=UserAccount.failed_attempts + 1)
    )
    return _lock_if_struck_out(session, user, now)


def account_strikes(session: Session, user: UserAccount, now: datetime) -> int:
    """Step-up failures, plus each address's recent login failures up to its share."""
    session.refresh(user)
    per_address = session.exec(
        select(LoginFailure.failures).where(
            LoginFailure.user_id == user.id, LoginFailure.window_start > now - LOCKOUT
        )
    ).all()
    return user.failed_attempts + sum(min(count, ADDRESS_SHARE) for count in per_address)


def _lock_if_struck_out(session: Session, user: UserAccount, now: datetime) -> bool:
    if account_strikes(session, user, now) < MAX_FAILED_ATTEMPTS:
        return False
    lock_account(session, user, now)
    return True


def lock_account(session: Session, user: UserAccount, now: datetime) -> None:
    """Locks the account for ``LOCKOUT``, starts its count afresh and ends its sessions."""
    _start_afresh(session, user, now + LOCKOUT, now)


def unlock_account(session: Session, user_id: int, now: datetime | None = None) -> None:
    """Lifts a lock (an administrator, or after a password reset): the counts start afresh
    and every open session of the account ends, so whoever was in must log in again."""
    now = now or utc_now()
    user = session.get(UserAccount, user_id)
    if user is not None:
        _start_afresh(session, user, None, now)


def _start_afresh(session: Session, user: UserAccount, locked_until: datetime | None, now: datetime) -> None:
    user.failed_attempts = 0
    user.locked_until = locked_until
    session.add(user)
    session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id))
    revoke_all_sessions(session, user.id, now)


def minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


def _issue_token(session: Session, user: UserAccount, now: datetime) -> str:
    jti = uuid.uuid4().hex
    expires = now + token_lifetime(bool(user.large_text))
    session.add(AuthSession(jti=jti, user_id=user.id, issued_at=now, expires_at=expires))
    return _sign(user, jti, now, expires)


def token_expiry(token: str) -> int:
    """The ``exp`` of a token just issued here (for the page's session-timeout warning)."""
    return int(jwt.get_unverified_claims(token)["exp"])


def refresh(session: Session, token: str | None, now: datetime | None = None) -> str | None:
    """"Stay signed in": the same session (same jti, so the tab keeps its state) runs for a
    full lifetime from now; a new token carries the new expiry. None if the session is no
    longer good (expired, revoked, locked)."""
    now = now or utc_now()
    principal = authenticate(session, token, now)
    if principal is None:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.jti == principal.jti)).one()
    user = session.get(UserAccount, principal.user_id)
    row.expires_at = now + token_lifetime(bool(user.large_text))
    session.add(row)
    return _sign(user, row.jti, now, row.expires_at)


def seconds_left(session: Session, token: str | None, now: datetime | None = None) -> int | None:
    """Seconds until this session ends, or None if it is not good now."""
    now = now or utc_now()
    principal = authenticate(session, token, now)
    if principal is None:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.jti == principal.jti)).one()
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
    return max(0, int((expires - now).total_seconds()))


def _sign(user: UserAccount, jti: str, now: datetime, expires: datetime) -> str:
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
    if user is None or is_locked(user, now):
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

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from jose import jwt

from portal.data.db import session_scope
from portal.data.tables import AuthSession
from portal.domain.clock import utc_now
from portal.services import auth
from tests.services.conftest import PASSWORD


def _login(engine, username="alice", password=PASSWORD, now=None):
    with session_scope(engine) as s:
        return auth.login(s, username, password, now)


def _who(engine, token, now=None):
    with session_scope(engine) as s:
        return auth.authenticate(s, token, now)


def test_login_gives_a_token_that_identifies_the_customer(engine):
    result = _login(engine)
    assert result.ok and result.error is None
    principal = _who(engine, result.token)
    assert principal.username == "alice"
    assert principal.role == "customer" and principal.is_customer
    assert principal.display_name == "周一"


def test_token_claims_are_complete_and_pinned_to_hs256(engine):
    token = _login(engine).token
    header = jwt.get_unverified_header(token)
    claims = jwt.get_unverified_claims(token)
    assert header["alg"] == "HS256"
    assert {"exp", "iat", "iss", "aud", "sub", "jti"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 60 * 60


def test_wrong_password_and_unknown_user_get_the_same_answer(engine):
    assert _login(engine, password="nope").error == "auth.invalid"
    assert _login(engine, username="nobody").error == "auth.invalid"
    assert _login(engine, username="", password="").error == "auth.empty"


def test_five_failures_lock_the_account_even_for_the_right_password(engine):
    now = datetime(2026, 11, 21, 9, 0, 0, tzinfo=UTC)
    for attempt in range(4):
        assert _login(engine, password="wrong", now=now).error == "auth.invalid", attempt
    locked = _login(engine, password="wrong", now=now)
    assert locked.error == "auth.locked" and locked.locked_minutes == 15
    assert _login(engine, now=now + timedelta(minutes=5)).error == "auth.locked"
    assert _login(engine, now=now + timedelta(minutes=16)).ok


def test_a_success_resets_the_failure_count(engine):
    now = datetime(2026, 11, 21, 9, 0, 0, tzinfo=UTC)
    for _ in range(4):
        _login(engine, password="wrong", now=now)
    assert _login(engine, now=now).ok
    for _ in range(4):
        assert _login(engine, password="wrong", now=now).error == "auth.invalid"


def test_expired_token_is_refused(engine):
    token = _login(engine).token
    assert _who(engine, token, utc_now() + timedelta(minutes=61)) is None


def test_logout_revokes_the_token(engine):
    token = _login(engine).token
    with session_scope(engine) as s:
        auth.logout(s, token)
    assert _who(engine, token) is None
    with session_scope(engine) as s:
        assert s.query(AuthSession).one().revoked_at is not None


def test_revoke_all_sessions_ends_every_token_of_the_user(engine):
    first, second = _login(engine).token, _login(engine).token
    other = _login(engine, username="bob").token
    with session_scope(engine) as s:
        user_id = auth.authenticate(s, first).user_id
        assert auth.revoke_all_sessions(s, user_id) == 2
    assert _who(engine, first) is None and _who(engine, second) is None
    assert _who(engine, other) is not None


def test_forged_and_tampered_tokens_are_refused(engine):
    token = _login(engine).token
    claims = jwt.get_unverified_claims(token)
    assert _who(engine, jwt.encode(claims, "another-secret", algorithm="HS256")) is None
    # Same secret but another user's subject: the session row belongs to alice.
    assert _who(engine, jwt.encode({**claims, "sub": "2"}, auth.signing_secret(), algorithm="HS256")) is None
    assert _who(engine, jwt.encode({**claims, "aud": "elsewhere"}, auth.signing_secret(), algorithm="HS256")) is None
    missing_jti = {k: v for k, v in claims.items() if k != "jti"}
    assert _who(engine, jwt.encode(missing_jti, auth.signing_secret(), algorithm="HS256")) is None
    assert _who(engine, jwt.encode(claims, auth.signing_secret(), algorithm="HS512")) is None
    unsigned = token.rsplit(".", 1)[0] + "."
    assert _who(engine, unsigned) is None
    assert _who(engine, "not-a-token") is None
    assert _who(engine, "") is None


def test_secret_is_generated_once_outside_the_code(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.setattr(auth, "SECRET_FILE", tmp_path / ".secrets" / "jwt_secret")
    first = auth.signing_secret()
    assert len(first) >= 48 and auth.signing_secret() == first
    assert (tmp_path / ".secrets" / "jwt_secret").stat().st_mode & 0o077 == 0


# ---------------------------------------------------------------- one clock for tokens

PINNED = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)  # long before any day this suite runs


def test_a_token_is_judged_by_the_callers_clock_not_the_machines(engine):
    # Issued and checked at a pinned instant far in the past: the library must not
    # compare exp with the wall clock (the fault that broke main on 2026-11-22).
    token = _login(engine, now=PINNED).token
    assert _who(engine, token, PINNED + timedelta(minutes=59)).username == "alice"
    assert _who(engine, token, PINNED + timedelta(minutes=60)) is None  # exp is exclusive
    # A token from the future (iat ahead of the clock by more than the leeway) is refused.
    assert _who(engine, token, PINNED - timedelta(minutes=5)) is None


def test_exp_and_iat_are_still_required_and_must_be_integers(engine):
    token = _login(engine, now=PINNED).token
    claims = jwt.get_unverified_claims(token)
    secret = auth.signing_secret()
    for broken in (
        {k: v for k, v in claims.items() if k != "exp"},
        {k: v for k, v in claims.items() if k != "iat"},
        {**claims, "exp": str(claims["exp"])},
        {**claims, "exp": True},
        {**claims, "iat": claims["exp"]},  # issued when it expires
    ):
        assert _who(engine, jwt.encode(broken, secret, algorithm="HS256"), PINNED) is None, broken


def test_pinned_portal_today_moves_token_and_session_together(engine, monkeypatch):
    monkeypatch.setenv("PORTAL_TODAY", "2025-03-01")
    token = _login(engine).token  # no ``now``: the app's own (pinned) clock
    assert _who(engine, token).username == "alice"
    claims = jwt.get_unverified_claims(token)
    assert datetime.fromtimestamp(claims["iat"], UTC).date() in (date(2025, 2, 28), date(2025, 3, 1))
    with session_scope(engine) as s:
        row = s.query(AuthSession).one()
        assert row.issued_at.date() in (date(2025, 2, 28), date(2025, 3, 1))
        assert int(row.expires_at.replace(tzinfo=UTC).timestamp()) == claims["exp"]

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from jose import jwt

from sqlmodel import select

from portal.data.db import make_engine, session_scope
from portal.data.tables import AuthSession, LoginFailure, UserAccount
from portal.i18n.catalog import translate
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


# ---------------------------------------------------------------- lockout and throttle

T0 = datetime(2026, 11, 21, 9, 0, 0, tzinfo=UTC)


def _attempt(engine, client, username="alice", password="wrong", now=T0):
    with session_scope(engine) as s:
        return auth.login(s, username, password, now, client=client)


def _alice(engine) -> UserAccount:
    with session_scope(engine) as s:
        user = s.exec(select(UserAccount).where(UserAccount.username == "alice")).one()
        s.expunge(user)
        return user


def _lock_alice_from_three_addresses(engine, now=T0):
    """Two strikes from each of two addresses and one from a third: five, a lock."""
    for client, times in (("10.0.0.1", 2), ("10.0.0.2", 2), ("10.0.0.3", 1)):
        for _ in range(times):
            assert _attempt(engine, client, now=now).error == "auth.invalid"


def test_unknown_user_wrong_password_and_locked_account_get_one_answer(engine):
    _lock_alice_from_three_addresses(engine)
    assert _alice(engine).locked_until == T0 + timedelta(minutes=15)
    answers = [
        _attempt(engine, "192.0.2.1", username="nobody"),
        _attempt(engine, "192.0.2.2", username="bob"),  # wrong password, bob not locked
        _attempt(engine, "192.0.2.3", password="wrong"),  # alice, locked
        _attempt(engine, "192.0.2.4", password=PASSWORD),  # alice, locked, right password
    ]
    assert [(a.error, a.token, a.retry_after_seconds, a.params) for a in answers] == [("auth.invalid", None, 0, {})] * 4
    assert translate("zh", "auth.invalid") == "用户名或密码不正确；多次输错后账户会暂时锁定，请稍后再试。"
    assert translate("en", "auth.invalid").startswith("Wrong username or password. After several failed attempts")
    # Once the lock is over the right password works again, from any address.
    assert _attempt(engine, "192.0.2.4", password=PASSWORD, now=T0 + timedelta(minutes=15)).ok


def test_every_checked_attempt_costs_exactly_one_password_verification(engine, monkeypatch):
    """Timing, counted instead of timed: each answer runs one verification, against the
    account's hash or the throwaway one; a throttled attempt runs none, whoever it names."""
    calls: list[str] = []
    real = auth.verify_and_upgrade

    def counting(password, password_hash):
        calls.append(password_hash)
        return real(password, password_hash)

    monkeypatch.setattr(auth, "verify_and_upgrade", counting)
    _lock_alice_from_three_addresses(engine)
    alice_hash = _alice(engine).password_hash
    calls.clear()
    cases = [
        ("nobody", "wrong", auth._DUMMY_HASH),
        ("bob", "wrong", alice_hash),  # every fixture user shares one hash
        ("alice", "wrong", alice_hash),  # locked
        ("alice", PASSWORD, alice_hash),  # locked, right password: still verified, still refused
        ("bob", PASSWORD, alice_hash),  # a success
    ]
    for i, (username, password, expected_hash) in enumerate(cases):
        calls.clear()
        _attempt(engine, f"198.51.100.{i}", username=username, password=password)
        assert calls == [expected_hash], username
    # A throttled address is answered before anything is looked up or verified.
    for _ in range(5):
        _attempt(engine, "203.0.113.9", username="nobody")
    calls.clear()
    for username in ("nobody", "alice", "bob"):
        answer = _attempt(engine, "203.0.113.9", username=username, password=PASSWORD)
        assert (answer.error, answer.retry_after_seconds) == ("auth.throttled", 2)
    assert calls == []


def test_an_address_waits_longer_and_longer_and_the_answer_names_no_account(engine):
    # Waits after the n-th failure in a row: none for 1-4, then 2**(n-4) s, at most 15 min.
    expected = [0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    now, waits = T0, []
    for n, _ in enumerate(expected):
        username = "nobody" if n % 2 else "alice"  # known and unknown names count alike
        answer = _attempt(engine, "203.0.113.7", username=username, now=now)
        assert answer.error == "auth.invalid"
        waits.append(answer.retry_after_seconds)
        if answer.retry_after_seconds:
            # Until the wait is over even the right password is not checked.
            early = _attempt(engine, "203.0.113.7", password=PASSWORD,
                             now=now + timedelta(seconds=answer.retry_after_seconds - 1))
            assert (early.error, early.token, early.retry_after_seconds) == ("auth.throttled", None, 1)
            assert early.params == {"seconds": "1"}
        now += timedelta(seconds=answer.retry_after_seconds)
    assert waits == expected
    assert translate("zh", "auth.throttled", seconds=900) == "尝试过于频繁，请 900 秒后再试。"
    assert translate("en", "auth.throttled", seconds=2) == "Too many attempts from this device. Please wait 2 seconds."
    # Quiet for 15 minutes after the last wait: the address starts afresh.
    fresh = _attempt(engine, "203.0.113.7", now=now + timedelta(minutes=15))
    assert (fresh.error, fresh.retry_after_seconds) == ("auth.invalid", 0)


def test_callers_without_an_address_share_one_bucket(engine):
    for _ in range(5):
        _attempt(engine, None, username="nobody")
    assert _attempt(engine, None, username="bob", password=PASSWORD).error == "auth.throttled"
    assert _attempt(engine, "", username="bob", password=PASSWORD).error == "auth.throttled"
    assert _attempt(engine, "192.0.2.50", username="bob", password=PASSWORD).ok


def test_one_address_cannot_lock_the_customer_out(engine):
    """Forty wrong passwords from one address: it is throttled from the fifth on, the
    account is never locked, and the customer logs in from elsewhere all along."""
    now, failures, throttled = T0, 0, 0
    while failures < 40:
        answer = _attempt(engine, "6.6.6.6", now=now)
        failures += 1
        wait = 0 if failures < 5 else min(2 ** (failures - 4), 900)
        assert (answer.error, answer.retry_after_seconds) == ("auth.invalid", wait), failures
        if wait:
            # Tried again at once, even with the right password: not checked at all.
            assert _attempt(engine, "6.6.6.6", password=PASSWORD, now=now).error == "auth.throttled"
            throttled += 1
        assert _alice(engine).locked_until is None, failures
        if failures == 5:
            assert _attempt(engine, "192.0.2.10", password=PASSWORD, now=now).ok
        now += timedelta(seconds=wait)
    assert throttled == 36
    assert _attempt(engine, "192.0.2.10", password=PASSWORD, now=now).ok


def test_failures_from_several_addresses_lock_the_account_for_fifteen_minutes(engine):
    # One address adds at most two strikes, however many times it fails.
    for _ in range(4):
        _attempt(engine, "10.0.0.1")
    for _ in range(2):
        _attempt(engine, "10.0.0.2")
    assert _alice(engine).locked_until is None  # 2 + 2 strikes
    assert _attempt(engine, "10.0.0.3").error == "auth.invalid"  # the fifth strike
    assert _alice(engine).locked_until == T0 + timedelta(minutes=15)
    assert _attempt(engine, "192.0.2.20", password=PASSWORD, now=T0 + timedelta(minutes=14)).error == "auth.invalid"
    assert _attempt(engine, "192.0.2.20", password=PASSWORD, now=T0 + timedelta(minutes=15)).ok
    # The count started afresh with the lock.
    assert _alice(engine).failed_attempts == 0
    with session_scope(engine) as s:
        assert s.exec(select(LoginFailure)).all() == []


def test_strikes_only_count_within_the_lock_window(engine):
    for client in ("10.0.0.1", "10.0.0.2"):
        _attempt(engine, client)
        _attempt(engine, client)
    assert _attempt(engine, "10.0.0.3", now=T0 + timedelta(minutes=16)).error == "auth.invalid"
    assert _alice(engine).locked_until is None  # the first four strikes have expired


def test_a_success_resets_the_account_count(engine):
    for client in ("10.0.0.1", "10.0.0.2"):
        _attempt(engine, client)
        _attempt(engine, client)
    assert _attempt(engine, "10.0.0.3", password=PASSWORD).ok
    for client in ("10.0.0.4", "10.0.0.5"):
        _attempt(engine, client)
        _attempt(engine, client)
    assert _alice(engine).locked_until is None  # 4 strikes since the success, not 8


def test_a_lock_ends_the_accounts_sessions(engine):
    token = _login(engine, now=T0).token
    other = _login(engine, username="bob", now=T0).token
    assert _who(engine, token, T0).username == "alice"
    _lock_alice_from_three_addresses(engine)
    assert _who(engine, token, T0 + timedelta(minutes=1)) is None
    assert _who(engine, token, T0 + timedelta(minutes=20)) is None  # revoked, not just locked
    assert _who(engine, other, T0 + timedelta(minutes=1)).username == "bob"
    with session_scope(engine) as s:
        rows = s.exec(select(AuthSession).where(AuthSession.user_id == _alice(engine).id)).all()
        assert [r.revoked_at for r in rows] == [T0]


def test_authenticate_refuses_a_session_of_a_locked_account(engine):
    token = _login(engine, now=T0).token
    with session_scope(engine) as s:
        user = s.exec(select(UserAccount).where(UserAccount.username == "alice")).one()
        user.locked_until = T0 + timedelta(minutes=15)  # locked some other way, session not revoked
    assert _who(engine, token, T0 + timedelta(minutes=1)) is None
    assert _who(engine, token, T0 + timedelta(minutes=15)).username == "alice"


def test_unlocking_an_account_ends_its_sessions_too(engine):
    token = _login(engine, now=T0).token
    _lock_alice_from_three_addresses(engine, now=T0 + timedelta(minutes=1))
    with session_scope(engine) as s:
        auth.unlock_account(s, _alice(engine).id, T0 + timedelta(minutes=2))
    assert _alice(engine).locked_until is None
    assert _who(engine, token, T0 + timedelta(minutes=3)) is None
    assert _attempt(engine, "192.0.2.30", password=PASSWORD, now=T0 + timedelta(minutes=3)).ok


def test_the_throttle_is_shared_by_every_worker(engine):
    """Another engine (another worker process) on the same database sees the wait."""
    second = make_engine(engine.url.render_as_string(hide_password=False)).execution_options(
        **engine.get_execution_options()
    )
    try:
        for _ in range(5):
            assert _attempt(engine, "203.0.113.77", username="nobody").error == "auth.invalid"
        answer = _attempt(second, "203.0.113.77", username="bob", password=PASSWORD)
        assert (answer.error, answer.retry_after_seconds) == ("auth.throttled", 2)
        # And failures through both count together.
        for _ in range(2):
            _attempt(second, "203.0.113.78", username="nobody")
            _attempt(engine, "203.0.113.78", username="nobody")
        assert _attempt(second, "203.0.113.78", username="nobody").retry_after_seconds == 2
    finally:
        second.dispose()


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


# ---------------------------------------------------------------- stay signed in

def test_stay_signed_in_extends_the_same_session_by_a_full_lifetime(engine):
    token = _login(engine, now=PINNED).token
    later = PINNED + timedelta(minutes=58)
    with session_scope(engine) as s:
        assert auth.seconds_left(s, token, later) == 120
        fresh = auth.refresh(s, token, later)
    claims, old = jwt.get_unverified_claims(fresh), jwt.get_unverified_claims(token)
    assert claims["jti"] == old["jti"]  # the same session: the tab keeps its state
    assert claims["exp"] == int((later + timedelta(minutes=60)).timestamp())
    assert _who(engine, fresh, PINNED + timedelta(minutes=100)).username == "alice"
    assert _who(engine, token, PINNED + timedelta(minutes=100)) is None  # the old token still ends at its own exp
    with session_scope(engine) as s:
        assert auth.seconds_left(s, fresh, later) == 3600


def test_an_ended_session_cannot_be_extended(engine):
    token = _login(engine, now=PINNED).token
    with session_scope(engine) as s:
        assert auth.refresh(s, token, PINNED + timedelta(minutes=61)) is None
        auth.logout(s, token, PINNED)
        assert auth.refresh(s, token, PINNED + timedelta(minutes=1)) is None
        assert auth.seconds_left(s, token, PINNED + timedelta(minutes=1)) is None


def test_large_text_accounts_get_half_as_long_again(engine):
    with session_scope(engine) as s:
        s.exec(__import__("sqlmodel").select(UserAccount).where(UserAccount.username == "alice")).one().large_text = True
    token = _login(engine, now=PINNED).token
    claims = jwt.get_unverified_claims(token)
    assert claims["exp"] - claims["iat"] == 90 * 60


def test_a_hash_made_with_older_parameters_is_upgraded_by_the_next_login(engine):
    """passlib's defaults (64 MiB, 3 passes, 4 lanes) were the old parameters; a login with
    the right password stores a hash with OWASP's minimum (19 MiB, 2 passes, 1 lane), read
    back from the database and parsed here, not from the code under test."""
    from passlib.hash import argon2

    old = argon2.using(memory_cost=65536, rounds=3, parallelism=4).hash(PASSWORD)
    with session_scope(engine) as s:
        alice = s.exec(select(UserAccount).where(UserAccount.username == "alice")).one()
        alice.password_hash = old
        s.add(alice)
    assert not _attempt(engine, "192.0.2.9", password="wrong").ok
    assert _alice(engine).password_hash == old  # a wrong password changes nothing
    assert _attempt(engine, "192.0.2.9", password=PASSWORD).ok
    stored = _alice(engine).password_hash
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert argon2.verify(PASSWORD, stored)
    assert _attempt(engine, "192.0.2.9", password=PASSWORD).ok
    assert _alice(engine).password_hash == stored  # current hashes are left alone

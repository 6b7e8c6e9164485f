"""One ASGI middleware in front of the whole portal (pages, assets, the event websocket).

* **Security headers on every HTTP response**, set here and nowhere else: the CSP below,
  ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy``,
  ``Permissions-Policy`` and ``Cross-Origin-Opener-Policy``. What the CSP still allows and
  why: ``'unsafe-inline'`` scripts (React Router writes its hydration data as an inline
  script on every prerendered page), ``'unsafe-eval'`` (Reflex runs ``rx.call_script``
  with ``eval``), inline styles (Radix/emotion). Everything else — scripts, styles, fonts,
  images, connections (the websocket included) — is limited to the portal's own origin,
  and ``frame-ancestors 'none'`` stops clickjacking.
* **The websocket only from the portal's own origins** (``PORTAL_ALLOWED_ORIGINS``): a
  handshake carrying another ``Origin`` is refused before it reaches Reflex. (Browsers
  always send ``Origin`` on a websocket; tools that send none, such as load tests, pass.)
* **The session cookie**: ``POST /auth/login`` checks the password (services.auth, off
  the event loop, on a small pool of its own so that a burst of logins does not queue
  ahead of the pages' events) and sets ``portal_session`` as an ``HttpOnly; SameSite=Strict`` cookie
  (``Secure`` behind HTTPS); ``POST /auth/logout`` revokes the server-side session and
  clears it. Both accept only a same-origin form post (``Origin`` checked). No script on
  the page can read the credential.
* ``POST /auth/refresh`` ("stay signed in" on the session-timeout warning) extends the
  same session by a full lifetime; ``GET /auth/session`` tells the page how many seconds
  are left, on the server's clock.
* **Protected pages need a live session before they are served**: a request for a
  customer or manager page without one is sent to ``/login``. (Every event handler checks
  again: this only stops the page shell from loading for nobody.)
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode

from portal.data.db import session_scope
from portal.domain.clock import utc_now
from portal.services import auth
from portal.web import settings

log = logging.getLogger("portal.web")

PROTECTED_PREFIXES = ("/dashboard", "/category", "/policies", "/policy", "/clients", "/act", "/requests", "/contact")
MAX_FORM_BYTES = 4096

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_SET_HERE = {name for name, _ in SECURITY_HEADERS}


def home_for(role: str) -> str:
    return "/clients" if role == "manager" else "/dashboard"


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def session_token(cookie_header: str | None) -> str | None:
    """The session credential from a ``Cookie`` header (HTTP request or websocket handshake)."""
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # a malformed cookie header is no credential
        return None
    morsel = jar.get(settings.SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _client(scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def _same_origin(scope) -> bool:
    origin = _header(scope, b"origin")
    return origin is not None and origin.rstrip("/") in settings.allowed_origins()


def _session_cookies(token: str) -> list[tuple[bytes, bytes]]:
    max_age = max(0, auth.token_expiry(token) - int(utc_now().timestamp()))
    return [(b"set-cookie", _cookie(token, max_age))]


def _cookie(value: str, max_age: int) -> bytes:
    parts = [f"{settings.SESSION_COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Strict", f"Max-Age={max_age}"]
    if settings.secure_cookie():
        parts.append("Secure")
    return "; ".join(parts).encode()


async def _send_response(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send, location: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await _send_response(send, 303, [(b"location", location.encode()), *(extra or [])])


async def _read_form(receive) -> dict[str, str] | None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > MAX_FORM_BYTES:
            return None
        if not message.get("more_body"):
            break
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        return None
    return {key: values[0] for key, values in fields.items()}


# Logins check an argon2 hash (tens of milliseconds of CPU each, outside the GIL). They
# run on a pool of their own, one thread per two cores: a burst of logins queues here,
# behind other logins, instead of in the default pool ahead of every tab's page events.
LOGIN_POOL = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="portal-login")


async def _on_login_pool(fn, *args):
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(LOGIN_POOL, functools.partial(context.run, fn, *args))


def _login(username: str, password: str, client: str | None) -> auth.LoginResult:
    with session_scope() as session:
        return auth.login(session, username[:64], password[:256], client=client)


def _principal(token: str | None) -> auth.Principal | None:
    if not token:
        return None
    with session_scope() as session:
        return auth.authenticate(session, token)


def _seconds_left(token: str | None) -> int | None:
    with session_scope() as session:
        return auth.seconds_left(session, token)


def _refresh(token: str | None) -> str | None:
    with session_scope() as session:
        return auth.refresh(session, token)


def _logout(token: str | None) -> None:
    with session_scope() as session:
        auth.logout(session, token)


class PortalEdge:
    """The ASGI middleware (``rx.App(api_transformer=PortalEdge)``)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "websocket":
            origin = _header(scope, b"origin")
            if origin is not None and origin.rstrip("/") not in settings.allowed_origins():
                log.warning("websocket refused from origin %r", origin)
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return

        path, method = scope.get("path", ""), scope.get("method", "GET")
        send = _with_security_headers(send, path)
        if path == "/auth/login":
            await self._login(scope, receive, send) if method == "POST" else await _redirect(send, "/login")
            return
        if path == "/auth/session" and method == "GET":
            await self._remaining(scope, send)
            return
        if path == "/auth/refresh":
            await self._refresh(scope, send) if method == "POST" else await _redirect(send, "/login")
            return
        if path == "/auth/logout":
            await self._logout(scope, send) if method == "POST" else await _redirect(send, "/login")
            return
        if method in ("GET", "HEAD") and _is_protected(path):
            token = session_token(_header(scope, b"cookie"))
            if await asyncio.to_thread(_principal, token) is None:
                await _redirect(send, "/login?" + urlencode({"notice": "auth.expired"}))
                return
        await self.app(scope, receive, send)

    async def _login(self, scope, receive, send):
        if not _same_origin(scope):
            await _send_response(send, 403, [(b"content-type", b"text/plain")], b"cross-origin login refused")
            return
        form = await _read_form(receive)
        username, password = (form or {}).get("username", ""), (form or {}).get("password", "")
        if form is None or not username.strip() or not password:
            await _redirect(send, "/login?" + urlencode({"error": "auth.empty"}))
            return
        result = await _on_login_pool(_login, username, password, _client(scope))
        if not result.ok:
            query = {"error": result.error or "auth.invalid"}
            if getattr(result, "retry_after_seconds", 0):
                query["wait"] = str(result.retry_after_seconds)
            await _redirect(send, "/login?" + urlencode(query))
            return
        principal = await asyncio.to_thread(_principal, result.token)
        await _redirect(send, home_for(principal.role if principal else "customer"), _session_cookies(result.token))

    async def _remaining(self, scope, send):
        """Seconds left in this session, on the server's clock (the page counts down from it)."""
        left = await asyncio.to_thread(_seconds_left, session_token(_header(scope, b"cookie")))
        if left is None:
            await _send_response(send, 401, [(b"content-type", b"application/json")], b'{"remaining": 0}')
            return
        await _send_response(send, 200, [(b"content-type", b"application/json")], json.dumps({"remaining": left}).encode())

    async def _refresh(self, scope, send):
        """"Stay signed in" (the session-timeout warning): same session, a full lifetime more."""
        if not _same_origin(scope):
            await _send_response(send, 403, [(b"content-type", b"text/plain")], b"cross-origin refresh refused")
            return
        token = await asyncio.to_thread(_refresh, session_token(_header(scope, b"cookie")))
        if token is None:
            await _send_response(send, 401, [(b"content-type", b"text/plain")], b"session ended")
            return
        await _send_response(send, 204, _session_cookies(token))

    async def _logout(self, scope, send):
        if not _same_origin(scope):
            await _send_response(send, 403, [(b"content-type", b"text/plain")], b"cross-origin logout refused")
            return
        await asyncio.to_thread(_logout, session_token(_header(scope, b"cookie")))
        await _redirect(send, "/login?" + urlencode({"notice": "auth.logged_out"}),
                        [(b"set-cookie", _cookie("", 0))])


def _is_protected(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PROTECTED_PREFIXES)


# The build's own output under /assets/ carries a content hash in every file name
# (``index-CQBdspuJ.js``): a changed file gets a new name, so the old one may be kept for
# a year without asking again. Everything else (pages, portal.css, the guide pictures)
# is revalidated on each use (ETag / Last-Modified), so a new release shows at once.
HASHED_ASSET = re.compile(r"^/assets/[^/]+-[A-Za-z0-9_-]{8}\.[a-z0-9]+$")
IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"


def cache_policy(path: str, status: int) -> bytes | None:
    """The Cache-Control for a response the app made without one (None: leave it)."""
    if status in (200, 304) and HASHED_ASSET.match(path):
        return IMMUTABLE
    return REVALIDATE


def _with_security_headers(send, path: str = ""):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _SET_HERE]
            if not any(k.lower() == b"cache-control" for k, _ in headers):
                headers.append((b"cache-control", cache_policy(path, message.get("status", 200))))
            message = {**message, "headers": [*headers, *SECURITY_HEADERS]}
        await send(message)

    return wrapped

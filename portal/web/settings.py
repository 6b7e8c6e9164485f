"""Settings of the HTTP edge, read from the environment (no Reflex, no database).

``PORTAL_ALLOWED_ORIGINS``: comma-separated origins the browser may use the portal from
(scheme://host[:port]); default ``http://localhost:<port>`` and ``http://127.0.0.1:<port>``.
CORS, the websocket handshake and the login/logout endpoints accept only these.

``PORTAL_SECURE_COOKIE``: ``1`` marks the session cookie ``Secure`` (set it behind HTTPS);
by default it is ``Secure`` exactly when an allowed origin is https.
"""

from __future__ import annotations

import os

SESSION_COOKIE = "portal_session"


def port() -> int:
    return int(os.environ.get("PORTAL_PORT", "3000"))


def allowed_origins() -> tuple[str, ...]:
    configured = os.environ.get("PORTAL_ALLOWED_ORIGINS", "")
    origins = [o.strip().rstrip("/") for o in configured.split(",") if o.strip()]
    if not origins:
        origins = [f"http://localhost:{port()}", f"http://127.0.0.1:{port()}"]
    return tuple(origins)


def secure_cookie() -> bool:
    flag = os.environ.get("PORTAL_SECURE_COOKIE")
    if flag is not None:
        return flag == "1"
    return any(o.startswith("https://") for o in allowed_origins())

"""Reflex configuration. The database URL is shared with portal.data.db (PORTAL_DB_URL)."""

import os

import reflex as rx

from portal.data.db import database_url
from portal.web.settings import allowed_origins

PORT = int(os.environ.get("PORTAL_PORT", "3000"))

config = rx.Config(
    app_name="portal",
    db_url=database_url(),
    # REFLEX_REDIS_URL (read by Reflex itself) moves state to Redis for several workers.
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # CORS and the websocket handshake: the portal's own origins only (PORTAL_ALLOWED_ORIGINS).
    cors_allowed_origins=list(allowed_origins()),
    frontend_port=PORT,
    backend_port=PORT,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="blue", gray_color="slate", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

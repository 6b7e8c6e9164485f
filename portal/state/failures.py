"""What the portal does when a handler fails unexpectedly (a bug, the database down,
read-only or locked): the customer gets an apology in their language with a short error
id, the failure is logged with its stack under that id, and the page recovers
(``SessionState.show_failure``). Nothing is half-saved: every service runs in one
transaction, which the failure rolls back."""

from __future__ import annotations

import logging
import secrets

from reflex.event import EventSpec

from portal.state.session import SessionState

log = logging.getLogger("portal.failures")


def new_error_id() -> str:
    return secrets.token_hex(3).upper()


def on_backend_error(exception: Exception) -> list[EventSpec]:
    error_id = new_error_id()
    log.error("unexpected failure E-%s", error_id, exc_info=(type(exception), exception, exception.__traceback__))
    return [SessionState.show_failure(error_id)]

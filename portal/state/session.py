"""The browser session: who is logged in, and in which language.

The credential is the ``HttpOnly`` session cookie set by ``POST /auth/login``
(``portal.web.edge``); the server reads it from the websocket handshake, and no script on
the page can. Every page state inherits from ``SessionState`` and asks ``_principal()``
inside each event handler; a page guard alone would not stop a client calling a handler
directly.

Per-tab state belongs to one login session. ``TabGuard`` (a Reflex event middleware) runs
before every event, the first hydrate of a page included: when the session behind the tab
is not the one its state was filled for (logout, another customer logging in on the same
tab, expiry, revocation, lockout), it resets every page state to its defaults before the
event runs, so nothing of the previous session is ever sent again.
"""

from __future__ import annotations

import asyncio
import logging
import re

import reflex as rx
from reflex.middleware import Middleware

from portal.data.db import session_scope
from portal.i18n.catalog import HTML_LANG, normalise_locale, translate
from portal.domain.clock import today
from portal.services import auth, preferences
from portal.web.edge import session_token
from portal.state.offload import handler

log = logging.getLogger("portal.state")

FAILURE_ID = re.compile(r"[0-9A-F]{6}")

# Browser preferences that are the device's, not the customer's: they survive a reset.
DEVICE_PREFERENCES = ("locale", "large_text")


def set_html_lang(locale: str):
    return rx.call_script(f"document.documentElement.lang = '{HTML_LANG[normalise_locale(locale)]}'")


def _authenticate(token: str | None) -> auth.Principal | None:
    if not token:
        return None
    with session_scope() as session:
        return auth.authenticate(session, token)


class SessionState(rx.State):
    locale: str = rx.LocalStorage("zh", name="portal_locale", sync=True)
    # Large text (大字版): "1" on, "0" off, "" never chosen on this browser. Remembered in
    # the browser before login and on the account after it (services.preferences).
    large_text: str = rx.LocalStorage("", name="portal_large_text", sync=True)
    # The account's own choice for this login session ("1"/"0"; "" = none): a plain var,
    # because a browser-storage var changed while the page hydrates may not reach it.
    account_large_text: str = ""
    # A senior's first login switched large text on: say so once, and how to switch back.
    large_text_notice: bool = False
    display_name: str = ""
    role: str = ""
    # A catalog key shown on the login page after a redirect (expired, logged out).
    notice_key: str = ""
    # The short id of the last unexpected failure, shown with an apology ("" = none).
    failure_id: str = ""
    # The login session (jti) this tab's state was filled for; "" = nobody.
    _bound_session: str = ""
    # A new login session whose account settings (large text) are still to be applied.
    _settings_pending: bool = False

    @rx.var
    def failure_text(self) -> str:
        return translate(self.locale, "error.unexpected", id=self.failure_id) if self.failure_id else ""

    @rx.var
    def is_large(self) -> bool:
        chosen = self.account_large_text or self.large_text
        return chosen == "1"

    @rx.var
    def is_english(self) -> bool:
        return normalise_locale(self.locale) == "en"

    def _token(self) -> str | None:
        return session_token(self.router.headers.cookie)

    def _principal(self) -> auth.Principal | None:
        principal = _authenticate(self._token())
        if principal is not None and principal.jti != self._root_session()._bound_session:
            # Defence in depth: TabGuard rebinds before every event, so this only happens
            # when a handler runs without it (tests calling handlers directly).
            return None
        return principal

    def _root_session(self) -> "SessionState":
        state = self
        while type(state) is not SessionState:
            state = state.parent_state
        return state

    def _require_login(self) -> tuple[auth.Principal | None, list]:
        """The principal, or the events that send an unauthenticated visitor to login."""
        principal = self._principal()
        if principal is None:
            self.display_name = ""
            self.role = ""
            self.notice_key = "auth.expired"
            return None, [rx.redirect("/login?notice=auth.expired")]
        self.display_name = principal.display_name
        self.role = principal.role
        root = self._root_session()
        root.failure_id = ""  # a step that works again ends the apology
        if root._settings_pending:
            # The first handler of a new login session: the account's settings follow the
            # customer here (large text; a senior's first login switches it on).
            root._settings_pending = False
            with session_scope() as session:
                chosen = preferences.on_sign_in(session, principal, today())
            if chosen.large_text is not None:
                root.large_text = root.account_large_text = "1" if chosen.large_text else "0"
            root.large_text_notice = chosen.just_switched_on
        return principal, [set_html_lang(self.locale)]

    @handler
    async def show_failure(self, error_id: str):
        """After an unexpected failure (``failures.on_backend_error``): say so with the
        error's id, and let every page state undo what the failed step left half-done
        (a confirm button stuck on "working…"), so the page can be used again."""
        self.failure_id = error_id if isinstance(error_id, str) and FAILURE_ID.fullmatch(error_id) else ""
        for cls in page_state_classes():
            recover = cls.__dict__.get("_recover")
            if recover is not None:
                recover(await self.get_state(cls))

    @handler
    def dismiss_failure(self):
        self.failure_id = ""

    def _require_customer(self) -> tuple[auth.Principal | None, list]:
        """As ``_require_login``, for a customer's own pages: a manager goes to the worklist."""
        principal, events = self._require_login()
        if principal is not None and not principal.is_customer:
            return None, [rx.redirect("/clients")]
        return principal, events

    @handler
    def toggle_large_text(self):
        self.large_text = "0" if self.is_large else "1"
        if self.account_large_text:
            self.account_large_text = self.large_text
        self.large_text_notice = False
        token = self._token()
        if token:
            principal = self._principal()
            if principal is not None:
                with session_scope() as session:
                    preferences.set_large_text(session, principal, self.large_text == "1")
                self.account_large_text = self.large_text

    @handler
    def dismiss_large_text_notice(self):
        self.large_text_notice = False

    @handler
    def toggle_locale(self):
        self.locale = "en" if normalise_locale(self.locale) == "zh" else "zh"
        return set_html_lang(self.locale)


def page_state_classes() -> list[type[rx.State]]:
    """SessionState and every state below it: all the per-tab state the portal keeps."""
    found, stack = [], [SessionState]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.get_substates())
    return found


async def reset_tab(root: rx.State, bound_session: str) -> None:
    """Every page state back to its defaults (device preferences kept), bound to a session."""
    session_state = await root.get_state(SessionState)
    kept = {name: getattr(session_state, name) for name in DEVICE_PREFERENCES}
    for cls in page_state_classes():
        state = await root.get_state(cls)
        state.reset()
    for name, value in kept.items():
        setattr(session_state, name, value)
    session_state._bound_session = bound_session


class TabGuard(Middleware):
    """Before each event: is this tab's state still the current session's? If not, reset it."""

    async def preprocess(self, app, state, event):
        root = state._get_root_state()
        token = session_token(root.router.headers.cookie)
        try:
            principal = await asyncio.to_thread(_authenticate, token)
        except Exception:  # the database is down: nothing can be served, so change nothing
            log.warning("TabGuard could not check the session", exc_info=True)
            return None
        current = principal.jti if principal is not None else ""
        session_state = await root.get_state(SessionState)
        if current != session_state._bound_session:
            await reset_tab(root, current)
            # The account's own settings are applied by the page's first handler (after
            # hydration, which would otherwise overwrite browser-stored values).
            session_state._settings_pending = principal is not None
        return None

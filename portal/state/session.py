"""The browser session: who is logged in, and in which language.

Every page state inherits from ``SessionState`` and asks ``_principal()`` inside each
event handler; a page guard alone would not stop a client calling a handler directly.
"""

from __future__ import annotations

import reflex as rx

from portal.data.db import session_scope
from portal.i18n.catalog import CATALOG, HTML_LANG, normalise_locale
from portal.services import auth


def set_html_lang(locale: str):
    return rx.call_script(f"document.documentElement.lang = '{HTML_LANG[normalise_locale(locale)]}'")


class SessionState(rx.State):
    token: str = rx.LocalStorage("", name="portal_token", sync=True)
    locale: str = rx.LocalStorage("zh", name="portal_locale", sync=True)
    display_name: str = ""
    role: str = ""
    # A catalog key shown on the login page after a redirect (expired, logged out).
    notice_key: str = ""

    @rx.var
    def t(self) -> dict[str, str]:
        return CATALOG[normalise_locale(self.locale)]

    @rx.var
    def is_english(self) -> bool:
        return normalise_locale(self.locale) == "en"

    def _principal(self) -> auth.Principal | None:
        with session_scope() as session:
            return auth.authenticate(session, self.token)

    def _require_login(self) -> tuple[auth.Principal | None, list]:
        """The principal, or the events that send an unauthenticated visitor to login."""
        principal = self._principal()
        if principal is None:
            self.token = ""
            self.display_name = ""
            self.role = ""
            self.notice_key = "auth.expired"
            return None, [rx.redirect("/login")]
        self.display_name = principal.display_name
        self.role = principal.role
        return principal, [set_html_lang(self.locale)]

    @rx.event
    def toggle_locale(self):
        self.locale = "en" if normalise_locale(self.locale) == "zh" else "zh"
        return set_html_lang(self.locale)

    @rx.event
    def logout(self):
        with session_scope() as session:
            auth.logout(session, self.token)
        self.token = ""
        self.display_name = ""
        self.role = ""
        self.notice_key = "auth.logged_out"
        return rx.redirect("/login")

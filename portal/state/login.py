"""The login page. The password goes to ``POST /auth/login`` as a plain form post
(``portal.web.edge``), which sets the session cookie; this state only shows the outcome
it was redirected back with (``?error=…`` / ``?notice=…``), from a fixed list of keys."""

from __future__ import annotations

import reflex as rx

from portal.i18n.catalog import translate
from portal.state.session import SessionState, set_html_lang
from portal.state.offload import handler
from portal.web.edge import home_for

LOGIN_ERRORS = ("auth.empty", "auth.invalid", "auth.locked", "auth.throttled")
LOGIN_NOTICES = ("auth.expired", "auth.logged_out")


def _digits(value, limit: int = 6) -> str:
    return value if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= limit else ""


class LoginState(SessionState):
    error_key: str = ""
    wait: str = ""

    @rx.var
    def error_text(self) -> str:
        if not self.error_key:
            return ""
        return translate(self.locale, self.error_key, minutes=self.wait, seconds=self.wait)

    @handler
    def on_load(self):
        principal = self._principal()
        if principal is not None:
            return rx.redirect(home_for(principal.role))
        params = self.router.page.params
        error, notice = params.get("error"), params.get("notice")
        self.error_key = error if error in LOGIN_ERRORS else ""
        self.wait = _digits(params.get("wait"))
        self.notice_key = notice if notice in LOGIN_NOTICES and not self.error_key else ""
        return set_html_lang(self.locale)

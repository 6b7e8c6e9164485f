from __future__ import annotations

import reflex as rx

from portal.data.db import session_scope
from portal.services import auth
from portal.state.session import SessionState, set_html_lang


def home_for(role: str) -> str:
    return "/clients" if role == "manager" else "/dashboard"


class LoginState(SessionState):
    error_key: str = ""
    locked_minutes: str = ""
    working: bool = False

    @rx.var
    def error_text(self) -> str:
        if not self.error_key:
            return ""
        return self.t.get(self.error_key, "").replace("{minutes}", self.locked_minutes)

    @rx.event
    def on_load(self):
        principal = self._principal()
        if principal is not None:
            return rx.redirect(home_for(principal.role))
        return set_html_lang(self.locale)

    @rx.event
    def submit(self, form_data: dict):
        username = form_data.get("username") if isinstance(form_data, dict) else None
        password = form_data.get("password") if isinstance(form_data, dict) else None
        if not isinstance(username, str) or not isinstance(password, str):
            self.error_key = "auth.empty"
            return
        with session_scope() as session:
            result = auth.login(session, username[:64], password[:256])
        if not result.ok:
            self.error_key = result.error
            self.locked_minutes = str(result.locked_minutes)
            return
        self.error_key = ""
        self.notice_key = ""
        self.token = result.token
        with session_scope() as session:
            principal = auth.authenticate(session, result.token)
        return rx.redirect(home_for(principal.role))

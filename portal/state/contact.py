"""联系专员 / Talk to a person: the assigned manager's phone, and a call-back request."""

from __future__ import annotations

import reflex as rx

from portal.data.db import session_scope
from portal.domain.clock import utc_now
from portal.domain.rejections import Rejected
from portal.i18n.catalog import translate
from portal.services import callbacks, contact
from portal.state import presenters
from portal.state.session import SessionState
from portal.state.offload import handler


class ContactState(SessionState):
    manager: dict[str, str] = {}
    pending: dict[str, str] = {}
    days: list[dict[str, str]] = []
    slots: list[dict[str, str]] = []  # the chosen day's open slots
    day: str = ""
    slot: str = ""
    error_key: str = ""
    done: bool = False
    loaded: bool = False
    _open: dict[str, list[str]] = {}  # day → open slot codes

    @rx.var
    def error_message(self) -> str:
        return translate(self.locale, self.error_key) if self.error_key else ""

    def _refresh(self, principal):
        with session_scope() as session:
            self.manager = presenters.manager_card(contact.my_manager(session, principal))
            view = callbacks.open_request(session, principal)
        self.pending = presenters.callback_fields(view)
        self._open = presenters.open_slot_codes(callbacks.slots(utc_now()))
        self.days = [{"value": d, "label": d} for d in self._open]
        if self.day not in self._open:
            self.day = next(iter(self._open), "")
        self._show_day()

    def _show_day(self):
        self.slots = [{"code": code, "label": presenters.slot_label(code)} for code in self._open.get(self.day, [])]
        if self.slot not in self._open.get(self.day, []):
            self.slot = ""

    @handler
    def load(self):
        principal, events = self._require_customer()
        if principal is None:
            return events
        self.error_key, self.done = "", False
        self._refresh(principal)
        self.loaded = True
        return events

    @handler
    def choose_day(self, value: str):
        if isinstance(value, str) and value in self._open:
            self.day = value
            self._show_day()

    @handler
    def choose_slot(self, value: str):
        if isinstance(value, str) and value in self._open.get(self.day, []):
            self.slot = value
            self.error_key = ""

    @handler
    def request(self, _form_data: dict):
        principal, events = self._require_customer()
        if principal is None:
            return events
        try:
            with session_scope() as session:
                callbacks.request_callback(session, principal, self.day, self.slot, utc_now())
        except Rejected as rejected:
            self.error_key = rejected.code
            return events
        self.error_key, self.done = "", True
        self._refresh(principal)
        return events

    @handler
    def cancel(self):
        principal, events = self._require_customer()
        if principal is None:
            return events
        request_id = self.pending.get("id", "")
        try:
            with session_scope() as session:
                callbacks.cancel(session, principal, int(request_id) if request_id.isascii() and request_id.isdigit() else None)
        except Rejected as rejected:
            self.error_key = rejected.code
        self.done = False
        self._refresh(principal)
        return events

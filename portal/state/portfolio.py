"""Page states for a customer's own portfolio: dashboard, category, policy list, policy.

Each ``load`` handler re-authenticates and goes through ``portal.services.portfolio``,
which decides what the caller may see; nothing here computes money.
"""

from __future__ import annotations

import reflex as rx

from portal.data.db import session_scope
from portal.domain.categories import Category, ReminderKind
from portal.domain.clock import today
from portal.domain.records import Line, PolicyStatus
from portal.services import callbacks, contact, portfolio
from portal.services.servicing import requests as servicing_requests
from portal.state import presenters
from portal.state.session import SessionState

PAGE_SIZE = 100


class DashboardState(SessionState):
    customer_name: str = ""
    id_number_masked: str = ""
    phone_masked: str = ""
    as_of: str = ""
    figures: dict[str, dict[str, str]] = {}
    reminders: dict[str, str] = {}
    counts_by_status: dict[str, str] = {}
    counts_by_line: dict[str, str] = {}
    # The simpler home of large-text mode: nearest premium due date, my manager, and
    # whether the full eleven categories were asked for (?view=all).
    nearest_due: str = ""
    manager: dict[str, str] = {}
    show_all: bool = False
    loaded: bool = False

    @rx.event
    def load(self):
        principal, events = self._require_login()
        if principal is None or not principal.is_customer:
            return events if principal is None else rx.redirect("/clients")
        # Large loans whose cooling-off day has come are paid out before the figures show.
        servicing_requests.release_held_loans(today(), customer_id=principal.customer_id)
        with session_scope() as session:
            dashboard = portfolio.load_dashboard(session, principal, today())
        rollup = dashboard.rollup
        self.customer_name = dashboard.customer_name
        self.id_number_masked = dashboard.id_number_masked
        self.phone_masked = dashboard.phone_masked
        self.as_of = rollup.as_of.isoformat()
        self.figures = presenters.figure_cards(rollup)
        self.reminders = presenters.reminder_counts(rollup)
        self.counts_by_status = {k: str(v) for k, v in rollup.counts_by_status.items()}
        self.counts_by_line = {k: str(v) for k, v in rollup.counts_by_line.items()}
        self.nearest_due = presenters.nearest_due(rollup)
        with session_scope() as session:
            card = contact.my_manager(session, principal)
        self.manager = presenters.manager_card(card)
        self.show_all = self.router.page.params.get("view") == "all"
        self.loaded = True
        return events


class CategoryState(SessionState):
    category: str = ""
    figure_value: str = ""
    figure_count: str = "0"
    is_count: bool = False
    rows: list[dict[str, str]] = []
    page: int = 0
    page_count: int = 1
    not_found: bool = False
    loaded: bool = False
    _all_rows: list[dict[str, str]] = []

    @rx.event
    def load(self):
        principal, events = self._require_customer()
        if principal is None:
            return events
        name = self.router.page.params.get("category", "")
        self.loaded = False
        try:
            category = Category(name)
        except ValueError:
            self.not_found = True
            self.category = ""
            self.rows = []
            self.loaded = True
            return events
        with session_scope() as session:
            _, figure = portfolio.load_category(session, principal, category, today())
        self.not_found = False
        self.category = category.value
        self.is_count = figure.amount is None
        self.figure_value = str(figure.count) if figure.amount is None else presenters.money(figure.amount)
        self.figure_count = str(figure.count)
        self._all_rows = presenters.category_rows(category, figure)
        self.page_count = max(1, -(-len(self._all_rows) // PAGE_SIZE))
        self._show_page(0)
        self.loaded = True
        return events

    def _show_page(self, page: int):
        self.page = min(max(page, 0), self.page_count - 1)
        start = self.page * PAGE_SIZE
        self.rows = self._all_rows[start : start + PAGE_SIZE]

    @rx.event
    def next_page(self):
        self._show_page(self.page + 1)

    @rx.event
    def previous_page(self):
        self._show_page(self.page - 1)


class PolicyListState(SessionState):
    line_filter: str = "all"
    status_filter: str = "all"
    reminder_filter: str = ""
    rows: list[dict[str, str]] = []
    loaded: bool = False
    _policies: list = []
    _reminder_ids: dict[str, list[int]] = {}

    @rx.event
    def load(self):
        principal, events = self._require_customer()
        if principal is None:
            return events
        with session_scope() as session:
            dashboard = portfolio.load_dashboard(session, principal, today())
        self._policies = list(dashboard.picture.policies)
        self._reminder_ids = {r.kind.value: list(r.policy_ids) for r in dashboard.rollup.reminders}
        params = self.router.page.params
        self.reminder_filter = _choice(params.get("reminder"), [k.value for k in ReminderKind], "")
        self.status_filter = _choice(params.get("status"), [s.value for s in PolicyStatus], "all")
        self.line_filter = _choice(params.get("line"), [l.value for l in Line], "all")
        self._apply()
        self.loaded = True
        return events

    def _apply(self):
        policies = portfolio.filter_policies(
            self._policies,
            None if self.line_filter == "all" else self.line_filter,
            None if self.status_filter == "all" else self.status_filter,
            set(self._reminder_ids.get(self.reminder_filter, [])) if self.reminder_filter else None,
        )
        self.rows = [presenters.policy_row(p) for p in policies]

    @rx.event
    def set_line_filter(self, value: str | list[str]):
        principal, events = self._require_customer()
        if principal is None:
            return events
        self.line_filter = _choice(value, [l.value for l in Line], "all")
        self._apply()

    @rx.event
    def set_status_filter(self, value: str):
        principal, events = self._require_customer()
        if principal is None:
            return events
        self.status_filter = _choice(value, [s.value for s in PolicyStatus], "all")
        self._apply()

    @rx.event
    def clear_reminder_filter(self):
        self.reminder_filter = ""
        self._apply()


def _choice(value, allowed: list[str], default: str) -> str:
    return value if isinstance(value, str) and value in allowed else default


class PolicyState(SessionState):
    found: bool = False
    loaded: bool = False
    fields: dict[str, str] = {}
    coverages: list[dict[str, str]] = []
    installments: list[dict[str, str]] = []
    benefits: list[dict[str, str]] = []
    loans: list[dict[str, str]] = []
    account: dict[str, str] = {}
    history: list[dict[str, str]] = []
    actions: list[dict[str, str]] = []

    @rx.event
    def load(self):
        principal, events = self._require_login()
        if principal is None:
            return events
        policy_no = self.router.page.params.get("policy_no", "")
        self.loaded = False
        try:
            with session_scope() as session:
                detail = portfolio.load_policy(session, principal, str(policy_no)[:40], today())
        except portfolio.AccessDenied:
            self.found = False
            self.fields = {}
            self.coverages = self.installments = self.benefits = self.loans = self.history = self.actions = []
            self.account = {}
            self.loaded = True
            return events
        self.found = True
        self.fields = presenters.policy_fields(detail)
        self.coverages = presenters.coverage_rows(detail)
        self.installments = presenters.installment_rows(detail)
        self.benefits = presenters.benefit_rows(detail)
        self.loans = presenters.loan_rows(detail)
        self.account = presenters.account_fields(detail)
        self.history = presenters.history_rows(detail.history)
        self.actions = presenters.policy_actions(detail)
        self.loaded = True
        return events


class ClientListState(SessionState):
    clients: list[dict[str, str]] = []
    loaded: bool = False

    @rx.event
    def load(self):
        principal, events = self._require_login()
        if principal is None:
            return events
        if not principal.is_manager:
            return rx.redirect("/dashboard")
        with session_scope() as session:
            summaries = portfolio.load_manager_clients(session, principal, today())
            waiting = callbacks.pending_for_manager(session, principal)
        self.clients = [presenters.client_row(summary, waiting.get(summary.customer_id)) for summary in summaries]
        self.loaded = True
        return events

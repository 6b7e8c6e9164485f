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
from portal.state.offload import handler

PAGE_SIZE = 20  # rows per page: the browser holds one page, the server re-reads the next


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

    @handler
    def load(self):
        # Never show the figures of an earlier visit while fresh ones are read: the page
        # shows "loading" from the first moment (see also ``forget``).
        self.loaded = False
        yield
        principal, events = self._require_login()
        if principal is None or not principal.is_customer:
            yield events if principal is None else rx.redirect("/clients")
            return
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
        yield events

    @handler
    async def forget(self):
        """Leaving the dashboard (an action changes money): what it showed is not kept, so
        coming back shows "loading", then the fresh figures, never the old ones."""
        self.loaded = False
        self.figures = {}


class CategoryState(SessionState):
    category: str = ""
    figure_value: str = ""
    figure_count: str = "0"
    is_count: bool = False
    rows: list[dict[str, str]] = []  # one page: the rest is re-read when asked for
    page: int = 0
    page_count: int = 1
    not_found: bool = False
    loaded: bool = False

    @handler
    def load(self):
        principal, events = self._require_customer()
        if principal is None:
            return events
        self.loaded = False
        self._show(principal, self.router.page.params.get("category", ""), 0)
        self.loaded = True
        return events

    def _show(self, principal, name: str, page: int):
        try:
            category = Category(name)
        except ValueError:
            self.not_found = True
            self.category = ""
            self.rows = []
            return
        with session_scope() as session:
            _, figure = portfolio.load_category(session, principal, category, today())
        shown = portfolio.page_of(figure.lines, page, PAGE_SIZE)
        self.not_found = False
        self.category = category.value
        self.is_count = figure.amount is None
        self.figure_value = str(figure.count) if figure.amount is None else presenters.money(figure.amount)
        self.figure_count = str(figure.count)
        self.rows = presenters.category_rows(category, shown.items)
        self.page, self.page_count = shown.number, shown.count

    def _turn(self, page: int):
        principal, events = self._require_customer()
        if principal is None:
            return events
        self._show(principal, self.category, page)
        return events

    @handler
    def next_page(self):
        return self._turn(self.page + 1)

    @handler
    def previous_page(self):
        return self._turn(self.page - 1)


class PolicyListState(SessionState):
    line_filter: str = "all"
    status_filter: str = "all"
    reminder_filter: str = ""
    rows: list[dict[str, str]] = []  # one page of the filtered list
    total: int = 0  # policies matching the filters, on every page
    page: int = 0
    page_count: int = 1
    loaded: bool = False

    @handler
    def load(self):
        principal, events = self._require_customer()
        if principal is None:
            return events
        params = self.router.page.params
        self.reminder_filter = _choice(params.get("reminder"), [k.value for k in ReminderKind], "")
        self.status_filter = _choice(params.get("status"), [s.value for s in PolicyStatus], "all")
        self.line_filter = _choice(params.get("line"), [l.value for l in Line], "all")
        self._apply(principal, 0)
        self.loaded = True
        return events

    def _apply(self, principal, page: int):
        with session_scope() as session:
            shown = portfolio.list_policies(
                session,
                principal,
                today(),
                line=None if self.line_filter == "all" else self.line_filter,
                status=None if self.status_filter == "all" else self.status_filter,
                reminder=self.reminder_filter or None,
                page=page,
                size=PAGE_SIZE,
            )
        self.rows = [presenters.policy_row(p) for p in shown.items]
        self.total, self.page, self.page_count = shown.total, shown.number, shown.count

    def _refilter(self, page: int = 0, **choices):
        principal, events = self._require_customer()
        if principal is None:
            return events
        for name, value in choices.items():
            setattr(self, name, value)
        self._apply(principal, page)
        return events

    @handler
    def set_line_filter(self, value: str | list[str]):
        return self._refilter(line_filter=_choice(value, [l.value for l in Line], "all"))

    @handler
    def set_status_filter(self, value: str):
        return self._refilter(status_filter=_choice(value, [s.value for s in PolicyStatus], "all"))

    @handler
    def clear_reminder_filter(self):
        return self._refilter(reminder_filter="")

    @handler
    def next_page(self):
        return self._refilter(self.page + 1)

    @handler
    def previous_page(self):
        return self._refilter(self.page - 1)


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

    @handler
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
    clients: list[dict[str, str]] = []  # one page of the manager's clients
    total: int = 0
    page: int = 0
    page_count: int = 1
    loaded: bool = False

    @handler
    def load(self):
        return self._show(0)

    def _show(self, page: int):
        principal, events = self._require_login()
        if principal is None:
            return events
        if not principal.is_manager:
            return rx.redirect("/dashboard")
        with session_scope() as session:
            shown = portfolio.load_manager_clients(session, principal, today(), page, PAGE_SIZE)
            waiting = callbacks.pending_for_manager(session, principal)
        self.clients = [presenters.client_row(summary, waiting.get(summary.customer_id)) for summary in shown.items]
        self.total, self.page, self.page_count = shown.total, shown.number, shown.count
        self.loaded = True
        return events

    @handler
    def next_page(self):
        return self._show(self.page + 1)

    @handler
    def previous_page(self):
        return self._show(self.page - 1)

"""Page states of the self-service actions and of the customer's request list.

Every handler re-authenticates; the service decides what the caller may do. What the
customer confirmed (form, fingerprint, idempotency key) and the step-up grant are kept
in backend-only variables, so the browser can neither see nor forge them.

Step-up: a money action's password is checked on confirm, for exactly the request being
confirmed (its kind, key and fingerprint). The profile page checks it before showing the
form; that grant is for ``update_profile`` only and is bound to the reviewed request on
confirm. A grant is dropped once used and whenever the page loads another action, and
the service refuses any grant that is not for the request it is asked to run.
"""

from __future__ import annotations

import reflex as rx

from portal.data.db import session_scope
from portal.data.tables import Customer
from portal.domain.actions import ActionKind
from portal.domain.clock import china_minute, today, utc_now
from portal.domain.guides import guide_for_action
from portal.domain.masking import mask_customer_no
from portal.domain.senior import FRAUD_WARNING_VERSION
from portal.domain.profile import BANKS
from portal.domain.rejections import Rejected
from portal.i18n.catalog import translate
from portal.services import preferences
from portal.services.portfolio import AccessDenied
from portal.services.servicing import choices as choice_service
from portal.services.servicing import requests as request_service
from portal.services.servicing import step_up
from portal.state import action_views
from portal.state.session import SessionState
from portal.state.offload import handler


def _password(form_data) -> str:
    """The password field of a submitted form; anything else a client sends is no password."""
    value = form_data.get("password") if isinstance(form_data, dict) else None
    return value if isinstance(value, str) else ""


def _kind(value) -> ActionKind | None:
    try:
        return ActionKind(value)
    except ValueError:
        return None


PROFILE_QUESTIONS = 4  # phone, address, bank, account: one per screen in large-text mode


class ActionState(SessionState):
    kind: str = ""
    step: str = "form"  # verify (profile only) → form → review → done
    loaded: bool = False
    found: bool = True
    multi: bool = False
    takes_amount: bool = False
    choices: list[dict[str, str]] = []
    selected_one: str = ""
    amount_default: str = ""
    enable: str = ""
    health: str = ""
    profile: dict[str, str] = {}
    banks: list[str] = list(BANKS)
    review_lines: list[dict[str, str]] = []
    needs_password: bool = False
    submitting: bool = False
    result: dict[str, str] = {}
    result_lines: list[dict[str, str]] = []
    error_key: str = ""
    error_params: dict[str, str] = {}
    # Screen-share fraud guard on loans (seniors, or by choice): the warning step, the
    # hiding of amounts (assets/fraud-guard.js) and the watermark's masked customer number.
    fraud_guard: bool = False
    watermark: str = ""
    guide: str = ""  # the picture guide (看图解) of this action, if it has one
    # 我的资料: the loan fraud guard, turned on by the customer or always on at 60+.
    guard_opt_in: bool = False
    guard_forced: bool = False
    # Large-text mode's simpler forms: amounts to pick, and one profile question per screen.
    amount_picks: list[dict[str, str]] = []
    profile_question: int = 0
    term: str = "6"  # the loan term picked with the large-text buttons

    _form: dict = {}
    _fraud_ack_at: str = ""
    _fingerprint: str = ""
    _key: str = ""
    _grant: step_up.StepUpGrant | None = None

    @rx.var
    def error_message(self) -> str:
        return translate(self.locale, self.error_key, **self.error_params) if self.error_key else ""

    @rx.var
    def selected_total(self) -> str:
        """Shown beside ticked items; the amount charged is always the service's review."""
        return action_views.selected_total(self.choices)

    def _recover(self):
        """After an unexpected failure mid-confirm: the buttons work again. The review and
        its idempotency key are kept, so confirming again cannot do the action twice."""
        self.submitting = False

    def _fail(self, rejected: Rejected):
        self.error_key, self.error_params = rejected.code, dict(rejected.params)

    def _clear_error(self):
        self.error_key, self.error_params = "", {}

    def _action(self) -> ActionKind | None:
        return _kind(self.kind)

    def _customer(self):
        """The principal if a customer is logged in, else the events that send them away."""
        principal, events = self._require_login()
        if principal is None:
            return None, events
        if not principal.is_customer:
            return None, [rx.redirect("/clients")]
        return principal, events

    @handler
    def load(self):
        principal, events = self._customer()
        if principal is None:
            return events
        params = self.router.page.params
        kind = _kind(params.get("action", ""))
        self.loaded = False
        self.step, self.review_lines, self.result, self.result_lines = "form", [], {}, []
        self.submitting, self._form, self._fingerprint, self._key = False, {}, "", ""
        self.fraud_guard, self.watermark, self._fraud_ack_at = False, "", ""
        self.profile_question, self.term = 0, "6"
        self._clear_error()
        if kind is not ActionKind.UPDATE_PROFILE or not self._grant_valid(principal):
            self._grant = None  # a check made for another action never carries over
        if kind is None:
            self.found, self.kind, self.loaded, self.guide = False, "", True, ""
            return events
        self.found, self.kind = True, kind.value
        self.guide = guide_for_action(kind) or ""
        self.multi = kind in action_views.MULTI_SELECT
        self.takes_amount = kind in action_views.TAKES_AMOUNT
        with session_scope() as session:
            options = choice_service.choices(session, principal, kind, today())
        checked = choice_service.preselected(options, params.get("policy"), self.multi)
        self.choices = action_views.choice_rows(options, checked)
        self.selected_one = next(iter(checked)) if not self.multi else ""
        self._prefill_for_choice()
        if kind is ActionKind.UPDATE_PROFILE:
            self.step = "form" if self._grant_valid(principal) else "verify"
            if self.step == "form":
                self._load_profile(principal)
        if kind is ActionKind.TAKE_LOAN:
            with session_scope() as session:
                self.fraud_guard = preferences.fraud_guard_applies(session, principal, today())
                self.watermark = mask_customer_no(session.get(Customer, principal.customer_id).customer_no)
            if self.fraud_guard:
                self.step = "warning"  # the form only after the warning is acknowledged
        self.loaded = True
        return events

    @handler
    def pick_amount(self, value: str):
        """One of the offered amounts goes into the amount field (the customer can still edit it)."""
        if self.step == "form" and any(pick["value"] == value for pick in self.amount_picks):
            self.amount_default = value

    @handler
    def choose_term(self, value: str):
        if self.step == "form" and value in {str(m) for m in range(1, 7)}:
            self.term = value

    @handler
    def next_question(self):
        self.profile_question = min(self.profile_question + 1, PROFILE_QUESTIONS - 1)

    @handler
    def previous_question(self):
        self.profile_question = max(self.profile_question - 1, 0)

    @handler
    def toggle_guard_opt_in(self):
        """我的资料, after the password check: the customer turns the loan fraud guard on or off."""
        principal, events = self._customer()
        if principal is None:
            return events
        if self._action() is not ActionKind.UPDATE_PROFILE or self.step != "form" or self.guard_forced:
            return events
        with session_scope() as session:
            preferences.set_fraud_guard(session, principal, not self.guard_opt_in)
        self.guard_opt_in = not self.guard_opt_in
        return events

    @handler
    def acknowledge_fraud_warning(self, form_data: dict):
        principal, events = self._customer()
        if principal is None:
            return events
        if self._action() is not ActionKind.TAKE_LOAN or self.step != "warning":
            return events
        if not isinstance(form_data, dict) or form_data.get("alone") not in ("on", True, "true"):
            self._fail(Rejected("error.fraud_warning_required"))
            return events
        self._fraud_ack_at = china_minute(utc_now())
        self._clear_error()
        self.step = "form"
        return events

    def _grant_valid(self, principal) -> bool:
        """The profile page's check (made before its form) still holds."""
        return (
            self._grant is not None
            and self._grant.request_key is None
            and self._grant.covers(principal, ActionKind.UPDATE_PROFILE, utc_now())
        )

    def _prefill_for_choice(self):
        row = next((r for r in self.choices if r["key"] == self.selected_one), None)
        self.amount_default = row["amount_plain"] if row else ""
        self.amount_picks = action_views.quick_amounts(self.amount_default) if self.takes_amount else []
        # Auto-renewal: offer the opposite of the current setting.
        self.enable = "off" if row and row["label"] == "common.on" else "on"

    def _load_profile(self, principal):
        with session_scope() as session:
            self.guard_opt_in, self.guard_forced = preferences.fraud_guard_setting(session, principal, today())
            person = session.get(Customer, principal.customer_id)
            self.profile = {
                "phone": person.phone,
                "address": person.address,
                "payout_bank": person.payout_bank,
                "payout_account": person.payout_account,
            }

    @handler
    def choose(self, key: str):
        principal, events = self._customer()
        if principal is None:
            return events
        if self.step == "form" and any(r["key"] == key for r in self.choices):
            self.selected_one = key
            self.choices = [{**r, "checked": "1" if r["key"] == key else ""} for r in self.choices]
            self._prefill_for_choice()
            self._clear_error()

    @handler
    def toggle(self, key: str):
        principal, events = self._customer()
        if principal is None:
            return events
        if self.step == "form" and self.multi:
            self.choices = [
                {**r, "checked": ("" if r["checked"] else "1") if r["key"] == key else r["checked"]}
                for r in self.choices
            ]
            self._clear_error()

    @handler
    def set_enable(self, value: str):
        if value in ("on", "off"):
            self.enable = value

    @handler
    def set_health(self, value: str):
        if value in ("unchanged", "changed"):
            self.health = value

    @handler
    def verify_identity(self, form_data: dict):
        principal, events = self._customer()
        if principal is None:
            return events
        try:
            with session_scope() as session:
                self._grant = step_up.verify_password_again(
                    session, principal, _password(form_data), kind=ActionKind.UPDATE_PROFILE
                )
        except Rejected as rejected:
            self._fail(rejected)
            return events
        self._clear_error()
        self._load_profile(principal)
        self.step = "form"
        return events

    @handler
    def review(self, form_data: dict):
        principal, events = self._customer()
        if principal is None:
            return events
        kind = self._action()
        if kind is None or self.step != "form":
            return events
        selected = [r["key"] for r in self.choices if r["checked"]]
        fraud_ack = {"fraud_ack": FRAUD_WARNING_VERSION, "fraud_ack_at": self._fraud_ack_at} if self._fraud_ack_at else None
        if isinstance(form_data, dict) and kind is ActionKind.TAKE_LOAN and form_data.get("term_months") is None:
            form_data = {**form_data, "term_months": self.term}  # large text: picked with the buttons
        form = action_views.form_for(kind, selected, self.selected_one, form_data, self.enable, self.health, fraud_ack)
        try:
            if kind is ActionKind.UPDATE_PROFILE and not self._grant_valid(principal):
                self.step = "verify"
                raise Rejected("error.step_up_required")
            result = request_service.review(principal, kind, form, today())
        except Rejected as rejected:
            self._fail(rejected)
            return events
        except AccessDenied:
            return [rx.redirect("/login")]
        self._clear_error()
        self._form, self._fingerprint = form, result.fingerprint
        self._key = request_service.new_idempotency_key()  # one key per reviewed request
        self.review_lines = action_views.review_rows(result.lines)
        spec = request_service.ACTIONS[kind]
        self.needs_password = spec.needs_step_up and not (
            kind is ActionKind.UPDATE_PROFILE and self._grant_valid(principal)
        )
        self.step = "review"
        return events

    @handler
    def back(self):
        if self.step == "review" and not self.submitting:
            self.step = "form"
            self._clear_error()

    @handler
    def confirm(self, form_data: dict):
        # A second click arrives after the first has finished: by then the step is
        # "done" and it does nothing. (Were it to run, the same key would return the
        # same request: the service is idempotent as well.)
        if self.step != "review" or self.submitting:
            return
        principal, events = self._customer()
        if principal is None:
            return events
        kind = self._action()
        self.submitting = True
        yield
        try:
            grant = self._grant_for_this_request(principal, kind, _password(form_data))
            view = request_service.submit(principal, kind, self._form, self._key, self._fingerprint, grant, today())
        except Rejected as rejected:
            self._fail(rejected)
            self.submitting = False
            if rejected.code == "error.figures_changed":
                self.step = "form"
            return
        except AccessDenied:
            self.submitting = False
            yield rx.redirect("/login")
            return
        # A grant is good for one request: the next action needs its own check.
        self._grant = None
        self._clear_error()
        self.result = action_views.request_row(view)
        self.result_lines = action_views.review_rows(view.lines)
        self.step = "done"
        self.submitting = False

    def _grant_for_this_request(self, principal, kind: ActionKind, password: str):
        """A password typed on the review is checked for exactly the request reviewed;
        without one, only the profile page's earlier check can serve, bound now to this
        request. Whether a grant is good enough is the service's decision."""
        if not request_service.ACTIONS[kind].needs_step_up:
            return None
        if password:
            with session_scope() as session:
                return step_up.verify_password_again(
                    session, principal, password, kind=kind, request_key=self._key, fingerprint=self._fingerprint
                )
        return step_up.bind(self._grant, kind, self._key, self._fingerprint)


class RequestsState(SessionState):
    rows: list[dict[str, str]] = []
    loaded: bool = False
    error_key: str = ""
    error_params: dict[str, str] = {}

    @rx.var
    def error_message(self) -> str:
        return translate(self.locale, self.error_key, **self.error_params) if self.error_key else ""

    def _refresh(self, principal):
        with session_scope() as session:
            views = request_service.list_requests(session, principal)
        self.rows = [action_views.request_row(v) for v in views]

    @handler
    def load(self):
        principal, events = self._require_login()
        if principal is None:
            return events
        if not principal.is_customer:
            return rx.redirect("/clients")
        # Large loans whose cooling-off day has come are paid out now.
        request_service.release_held_loans(today(), customer_id=principal.customer_id)
        self.error_key, self.error_params = "", {}
        self._refresh(principal)
        self.loaded = True
        return events

    @handler
    def cancel(self, request_no: str):
        principal, events = self._require_login()
        if principal is None:
            return events
        try:
            request_service.cancel(principal, request_no)
        except Rejected as rejected:
            self.error_key, self.error_params = rejected.code, dict(rejected.params)
        else:
            self.error_key, self.error_params = "", {}
        self._refresh(principal)
        return events

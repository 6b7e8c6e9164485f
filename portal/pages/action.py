"""One page for every self-service action: fill in → check → confirm → done."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import BORDER, MUTED, PRIMARY, TEXT, back_link, loading, page_frame
from portal.components.progress import request_progress, steps
from portal.components.tables import cell, table
from portal.state.actions import ActionState

S = ActionState

FIELD = {"min_height": "44px", "padding": "8px 10px", "font_size": "16px", "border": f"1px solid {MUTED}", "border_radius": "6px", "width": "100%", "max_width": "420px", "color": TEXT, "background": "white"}
BUTTON = {"min_height": "44px", "cursor": "pointer", "size": "3", "background": PRIMARY, "color": "white"}
OUTLINE_BUTTON = {"min_height": "44px", "cursor": "pointer", "size": "3", "variant": "outline", "color": PRIMARY}


def error_box() -> rx.Component:
    return rx.cond(
        S.error_message != "",
        rx.callout(S.error_message, icon="triangle_alert", color_scheme="red", role="alert", id="action-error", margin_y="12px", high_contrast=True),
    )


def field(label_key: str, control: rx.Component, field_id: str, hint_key: str = "") -> rx.Component:
    return rx.box(
        rx.el.label(T[label_key], html_for=field_id, style={"font_weight": "600", "display": "block", "margin_bottom": "4px"}),
        control,
        rx.text(T[hint_key], size="2", color=MUTED, id=f"{field_id}-hint") if hint_key else rx.fragment(),
        margin_y="12px",
    )


def checkbox(row) -> rx.Component:
    # Wrapped so that the whole 44×44 box around the box is the target.
    return rx.el.label(
        rx.el.input(type="checkbox", checked=row["checked"] == "1", on_change=S.toggle(row["key"]), id="choice-" + row["key"],
                    style={"width": "24px", "height": "24px", "cursor": "pointer", "margin": "0"}),
        style={"display": "inline-flex", "align_items": "center", "justify_content": "center", "min_width": "44px",
               "min_height": "44px", "cursor": "pointer"},
    )


def choices_table() -> rx.Component:
    """Several items to tick: a table. One policy or loan to pick: a compact list box."""
    return rx.cond(
        S.choices.length() > 0,
        rx.cond(
            S.multi,
            rx.box(
                table(
                    T["action.choose_many"],
                    [("col.choice", "left"), ("col.policy_no", "left"), ("col.kind", "left"), ("col.amount", "right"), ("col.detail", "left")],
                    S.choices,
                    lambda row: [
                        cell(checkbox(row)),
                        cell(rx.el.label(row["policy_no"], html_for="choice-" + row["key"], style={"cursor": "pointer", "display": "inline-block", "padding": "10px 0"})),
                        cell(T[row["label"]]),
                        cell(row["amount"], align="right"),
                        cell(row["detail"]),
                    ],
                    table_id="choice-table",
                ),
                rx.text(T["form.selected_total"], ": ", S.selected_total, weight="bold", margin_top="8px", id="selected-total"),
            ),
            field(
                "action.choose_one",
                rx.el.select(
                    rx.foreach(
                        S.choices,
                        lambda row: rx.el.option(
                            row["policy_no"] + " · " + T[row["label"]] + rx.cond(row["amount"] != "", " · " + row["amount"], "")
                            + rx.cond(row["detail"] != "", " · " + row["detail"], ""),
                            value=row["key"],
                        ),
                    ),
                    value=S.selected_one,
                    on_change=S.choose,
                    id="choice-select",
                    name="choice",
                    style=FIELD,
                ),
                "choice-select",
            ),
        ),
        rx.cond(S.kind != "update_profile", rx.callout(T["action.no_choices"], icon="info", id="no-choices", high_contrast=True)),
    )


def radio(name: str, value: str, label_key: str, current, handler) -> rx.Component:
    element_id = f"{name}-{value}"
    return rx.el.label(
        rx.el.input(type="radio", name=name, value=value, checked=current == value, on_change=handler(value), id=element_id,
                    style={"width": "22px", "height": "22px", "margin_right": "8px"}),
        T[label_key],
        html_for=element_id,
        style={"display": "flex", "align_items": "center", "min_height": "44px", "cursor": "pointer"},
    )


def amount_picks() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(T["form.amount_pick"], style={"font_weight": "600"}),
        rx.flex(
            rx.foreach(
                S.amount_picks,
                lambda pick: rx.el.button(pick["label"], type="button", on_click=S.pick_amount(pick["value"]),
                                          aria_pressed=rx.cond(S.amount_default == pick["value"], "true", "false"),
                                          class_name="pick-button"),
            ),
            wrap="wrap",
            gap="10px",
        ),
        id="amount-picks",
        style={"border": "none", "padding": "0", "margin": "12px 0 0"},
    )


def month_button(months: int) -> rx.Component:
    element_id = f"term-{months}"
    return rx.el.label(
        rx.el.input(type="radio", name="term-pick", value=str(months), id=element_id, checked=S.term == str(months),
                    on_change=S.choose_term(str(months)), class_name="pick-radio"),
        str(months),
        html_for=element_id,
        class_name="pick-button",
    )


def amount_fields() -> rx.Component:
    return rx.fragment(
        rx.cond(S.takes_amount & S.is_large, amount_picks()),
        rx.cond(
            S.takes_amount,
            field("form.amount", rx.el.input(name="amount", id="amount", default_value=S.amount_default, key=S.selected_one + S.amount_default,
                                             input_mode="decimal", autocomplete="off", aria_describedby="amount-hint", style=FIELD),
                  "amount", "form.amount_hint"),
        ),
        rx.cond(
            S.kind == "take_loan",
            rx.cond(
                S.is_large,
                # Large text: the months as big buttons to pick, not a list to open.
                rx.el.fieldset(
                    rx.el.legend(T["form.term_months"], style={"font_weight": "600"}),
                    rx.flex(*[month_button(m) for m in range(1, 7)], wrap="wrap", gap="10px"),
                    style={"border": "none", "padding": "0", "margin": "12px 0"},
                ),
                field("form.term_months", rx.el.select(*[rx.el.option(str(m), value=str(m)) for m in range(1, 7)], name="term_months",
                                                       id="term-months", default_value="6", style=FIELD), "term-months"),
            ),
        ),
        rx.cond(
            S.kind == "auto_renew",
            rx.el.fieldset(
                rx.el.legend(T["form.auto_renew"], style={"font_weight": "600"}),
                radio("enable", "on", "common.on", S.enable, S.set_enable),
                radio("enable", "off", "common.off", S.enable, S.set_enable),
                style={"border": "none", "padding": "0", "margin": "12px 0"},
            ),
        ),
        rx.cond(
            S.kind == "reinstate",
            rx.el.fieldset(
                rx.el.legend(T["form.health_question"], style={"font_weight": "600"}),
                radio("health", "unchanged", "form.health_unchanged", S.health, S.set_health),
                radio("health", "changed", "form.health_changed", S.health, S.set_health),
                style={"border": "none", "padding": "0", "margin": "12px 0"},
            ),
        ),
    )


def question(index: int, child: rx.Component) -> rx.Component:
    """Large text: one question per screen (the others stay in the form, only hidden)."""
    return rx.box(child, display=rx.cond(S.is_large & (S.profile_question != index), "none", "block"))


def question_steps() -> rx.Component:
    return rx.cond(
        S.is_large,
        rx.hstack(
            rx.text(T["form.question"], " ", S.profile_question + 1, " / 4", weight="bold", id="question-count"),
            rx.cond(S.profile_question > 0, rx.el.button(T["form.previous_question"], type="button", on_click=S.previous_question,
                                                         id="previous-question", class_name="pick-button")),
            rx.cond(S.profile_question < 3, rx.el.button(T["form.next_question"], type="button", on_click=S.next_question,
                                                         id="next-question", class_name="pick-button")),
            spacing="3",
            align="center",
            wrap="wrap",
            margin_y="12px",
        ),
    )


def profile_fields() -> rx.Component:
    return rx.cond(
        S.kind == "update_profile",
        rx.box(
            question(0, field("form.phone", rx.el.input(name="phone", id="phone", default_value=S.profile["phone"], input_mode="tel", autocomplete="tel", style=FIELD), "phone")),
            question(1, field("form.address", rx.el.input(name="address", id="address", default_value=S.profile["address"], autocomplete="street-address", style=FIELD), "address")),
            question(2, field("form.bank", rx.el.select(rx.foreach(S.banks, lambda bank: rx.el.option(bank, value=bank)), name="payout_bank", id="payout-bank",
                                                        default_value=S.profile["payout_bank"], style=FIELD), "payout-bank")),
            question(3, field("form.account", rx.el.input(name="payout_account", id="payout-account", default_value=S.profile["payout_account"], input_mode="numeric", autocomplete="off", style=FIELD), "payout-account")),
            question_steps(),
            fraud_guard_setting(),
        ),
    )


def fraud_guard_setting() -> rx.Component:
    """A setting that applies at once (not part of the change request reviewed below)."""
    return rx.box(
        rx.el.label(
            rx.el.input(type="checkbox", id="guard-opt-in", checked=S.guard_opt_in | S.guard_forced,
                        disabled=S.guard_forced, on_change=S.toggle_guard_opt_in,
                        style={"width": "24px", "height": "24px", "margin_right": "10px", "flex_shrink": "0"}),
            T["profile.fraud_guard"],
            html_for="guard-opt-in",
            style={"display": "flex", "align_items": "center", "min_height": "44px", "font_weight": "600", "cursor": "pointer"},
        ),
        rx.text(rx.cond(S.guard_forced, T["profile.fraud_guard_forced"], T["profile.fraud_guard_help"]), size="2", color=MUTED),
        border=f"1px solid {BORDER}", border_radius="10px", padding="12px 16px", margin_y="16px", max_width="640px",
    )


def form_step() -> rx.Component:
    return rx.el.form(
        choices_table(),
        amount_fields(),
        profile_fields(),
        error_box(),
        rx.button(T["action.review"], type="submit", id="review-button", **BUTTON),
        on_submit=S.review,
        reset_on_submit=False,
        id="action-form",
    )


def verify_step() -> rx.Component:
    return rx.el.form(
        field("form.password", rx.el.input(type="password", name="password", id="password", autocomplete="current-password", style=FIELD), "password", "form.password_hint"),
        error_box(),
        rx.button(T["action.verify"], type="submit", id="verify-button", **BUTTON),
        on_submit=S.verify_identity,
        reset_on_submit=True,
        id="verify-form",
    )


def review_list(lines, list_id: str) -> rx.Component:
    return rx.el.dl(
        rx.foreach(
            lines,
            lambda line: rx.fragment(
                rx.el.dt(T[line["label"]], style={"color": MUTED, "font_weight": "600"}),
                rx.el.dd(
                    rx.cond(line["value_key"] != "", T[line["value_key"]], line["value"]),
                    style={"margin": "0 0 10px 0", "color": TEXT, "font_weight": rx.cond(line["emphasis"] == "1", "700", "400"),
                           "font_size": rx.cond(line["emphasis"] == "1", "1.2em", "1em")},
                ),
            ),
        ),
        id=list_id,
        style={"display": "grid", "grid_template_columns": "minmax(140px, max-content) minmax(0, 1fr)", "column_gap": "24px", "border": f"1px solid {BORDER}", "border_radius": "10px", "padding": "16px"},
    )


def review_step() -> rx.Component:
    return rx.box(
        rx.heading(T["review.title"], as_="h2", size="5", margin_bottom="12px"),
        review_list(S.review_lines, "review-lines"),
        rx.el.form(
            rx.cond(
                S.needs_password,
                field("form.password", rx.el.input(type="password", name="password", id="password", autocomplete="current-password", style=FIELD), "password", "form.password_hint"),
            ),
            error_box(),
            rx.hstack(
                rx.button(rx.cond(S.submitting, T["action.submitting"], T["action.confirm"]), type="submit", id="confirm-button",
                          loading=S.submitting, disabled=S.submitting, **BUTTON),
                rx.button(T["action.back"], type="button", on_click=S.back, id="back-button", disabled=S.submitting, **OUTLINE_BUTTON),
                spacing="3",
                margin_top="16px",
            ),
            on_submit=S.confirm,
            reset_on_submit=True,
            id="confirm-form",
        ),
    )


def warning_step() -> rx.Component:
    """A guarded customer's loan starts here: nothing of the form until this is acknowledged."""
    return rx.el.form(
        rx.callout.root(
            rx.callout.icon(rx.icon("shield_alert")),
            rx.callout.text(rx.el.strong(T["fraud.title"]), rx.el.br(), T["fraud.warning"]),
            color_scheme="orange",
            high_contrast=True,
            role="alert",
            id="fraud-warning",
        ),
        rx.el.label(
            rx.el.input(type="checkbox", name="alone", id="fraud-alone", required=True,
                        style={"width": "28px", "height": "28px", "margin_right": "12px", "flex_shrink": "0"}),
            T["fraud.confirm_alone"],
            html_for="fraud-alone",
            style={"display": "flex", "align_items": "center", "min_height": "44px", "margin": "16px 0", "cursor": "pointer", "font_weight": "600"},
        ),
        error_box(),
        rx.hstack(
            rx.button(T["fraud.continue"], type="submit", id="fraud-continue", **BUTTON),
            fraud_guide_link(),
            spacing="4",
            wrap="wrap",
            align="center",
        ),
        on_submit=S.acknowledge_fraud_warning,
        reset_on_submit=False,
        id="fraud-form",
    )


def fraud_guide_link() -> rx.Component:
    return rx.link(T["fraud.guide"], href="/guides/spot_scam", id="fraud-guide", color=PRIMARY, weight="bold", padding="10px 0")


def fraud_cover() -> rx.Component:
    """Shown instead of the amounts while the guard has them hidden."""
    return rx.box(
        rx.callout.root(
            rx.callout.icon(rx.icon("eye_off")),
            rx.callout.text(T["fraud.covered"]),
            color_scheme="orange",
            high_contrast=True,
        ),
        rx.el.button(T["fraud.uncover"], type="button", id="fraud-uncover",
                     style={"min_height": "60px", "padding": "12px 20px", "margin_top": "12px", "border_radius": "8px",
                            "border": f"2px solid {PRIMARY}", "background": "white", "color": PRIMARY, "font_weight": "700",
                            "cursor": "pointer", "font_size": "1.1em"}),
        id="fraud-cover",
        margin_y="16px",
    )


def done_step() -> rx.Component:
    return rx.box(
        rx.callout(
            rx.cond(S.result["status"] == "under_review", T["request.held"], T["request.done"]),
            icon="circle_check",
            color_scheme=rx.cond(S.result["status"] == "under_review", "blue", "green"),
            role="status",
            id="action-done",
            high_contrast=True,
        ),
        rx.cond(S.result["replayed"] == "1", rx.text(T["request.replayed"], color=MUTED, margin_top="8px", id="action-replayed")),
        rx.text(T["request.no"], ": ", rx.el.span(S.result["request_no"], id="request-no"), weight="bold", margin_y="12px"),
        request_progress(S.result["status"]),
        rx.cond(S.result["release_on"] != "", rx.text(T["request.release_on"], ": ", S.result["release_on"], margin_bottom="12px")),
        review_list(S.result_lines, "result-lines"),
        rx.hstack(
            rx.link(T["common.back_dashboard"], href="/dashboard", id="done-dashboard", padding="10px 0", color=PRIMARY),
            rx.link(T["action.my_requests"], href="/requests", id="done-requests", padding="10px 0", color=PRIMARY),
            spacing="5",
            margin_top="16px",
        ),
    )


def action_page() -> rx.Component:
    step_state = lambda name, order: rx.cond(  # noqa: E731
        S.step == name, "current", rx.cond(order, "done", "todo")
    )
    return page_frame(
        back_link("common.back_dashboard", "/dashboard"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.found,
                rx.box(
                    rx.text(T["action." + S.kind + ".intro"], color=TEXT, margin_bottom="12px", id="action-intro"),
                    rx.cond(S.guide != "", rx.link(rx.icon("book_open", size=18, aria_hidden="true"), " ", T["guides.picture_guide"],
                                                   href="/guides/" + S.guide, id="action-guide", color=PRIMARY, weight="bold",
                                                   padding="10px 0", display="inline-flex", gap="6px", align_items="center")),
                    steps(
                        [
                            (T["step.fill"], step_state("form", (S.step == "review") | (S.step == "done"))),
                            (T["step.review"], step_state("review", S.step == "done")),
                            (T["step.done"], rx.cond(S.step == "done", "done", "todo")),
                        ]
                    ),
                    rx.cond(S.fraud_guard & (S.step != "warning"), rx.fragment(fraud_cover(), fraud_guide_link())),
                    rx.box(
                        rx.match(
                            S.step,
                            ("warning", warning_step()),
                            ("verify", verify_step()),
                            ("review", review_step()),
                            ("done", done_step()),
                            form_step(),
                        ),
                        class_name="sensitive",
                    ),
                    rx.cond(S.fraud_guard, rx.box(id="fraud-watermark", custom_attrs={"data-who": S.watermark}, aria_hidden="true")),
                    custom_attrs={"data-fraud-guard": rx.cond(S.fraud_guard, "on", "off")},
                ),
                rx.callout(T["error.bad_request"], icon="info", color_scheme="orange", role="alert", id="action-not-found", high_contrast=True),
            ),
            loading(),
        ),
        rx.script(src="/fraud-guard.js"),
        title=rx.cond(S.found & (S.kind != ""), T["action." + S.kind + ".title"], T["app.name"]),
    )

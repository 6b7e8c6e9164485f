"""One policy: its particulars, cover, schedules, loans, account and history."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import BORDER, MUTED, PRIMARY, TEXT, back_link, loading, page_frame
from portal.components.tables import cell, table
from portal.state.portfolio import PolicyState

F = PolicyState.fields


def particular(label_key: str, value) -> rx.Component:
    return rx.fragment(
        rx.el.dt(T[label_key], style={"color": MUTED, "font_weight": "600"}),
        rx.el.dd(value, style={"margin": "0 0 10px 0", "color": TEXT}),
    )


def particulars() -> rx.Component:
    return rx.el.dl(
        particular("policy.number", F["policy_no"]),
        particular("policy.product", rx.cond(PolicyState.is_english, F["product_en"], F["product_zh"])),
        particular("policy.status", T[F["status"]]),
        particular("policy.line", T[F["line"]]),
        particular("policy.period", rx.fragment(F["start"], " ", T["policy.to"], " ", rx.cond(F["end"] != "", F["end"], T["common.whole_life"]))),
        particular("policy.sum_assured", F["sum_assured"]),
        particular("policy.premium", F["premium"]),
        particular("policy.frequency", T[F["frequency"]]),
        particular("policy.term", rx.fragment(F["term_years"], " ", T["policy.term_years"])),
        particular("policy.policyholder", F["policyholder"]),
        particular("policy.insured", F["insured"]),
        particular("policy.beneficiaries", F["beneficiaries"]),
        particular("policy.cash_value", F["cash_value"]),
        rx.cond(
            F["is_short_term"] != "",
            particular("policy.auto_renew", rx.el.span(T[F["auto_renew"]], " · ", T["policy.next_term_from"], " ", F["next_term"], id="auto-renew-setting")),
        ),
        style={"display": "grid", "grid_template_columns": "minmax(120px, max-content) minmax(0, 1fr)", "column_gap": "24px", "border": f"1px solid {BORDER}", "border_radius": "10px", "padding": "16px"},
        id="policy-particulars",
    )


def section(title_key: str, rows, columns, render_row, section_id: str) -> rx.Component:
    return rx.el.section(
        rx.cond(rows.length() > 0, table(T[title_key], columns, rows, render_row, table_id=section_id)),
        margin_top="20px",
    )


def date_or(value, fallback_key: str):
    return rx.cond(value != "", value, T[fallback_key])


def policy_page() -> rx.Component:
    return page_frame(
        back_link("common.back_policies", "/policies"),
        rx.cond(
            PolicyState.loaded,
            rx.cond(
                PolicyState.found,
                rx.box(
                    rx.cond(
                        PolicyState.actions.length() > 0,
                        rx.el.nav(
                            rx.heading(T["action.available"], as_="h2", size="4", margin_bottom="8px"),
                            rx.flex(
                                rx.foreach(
                                    PolicyState.actions,
                                    lambda a: rx.link(T[a["label"]], href=a["href"], id="policy-act-" + a["kind"],
                                                      padding="10px 16px", border_radius="6px", background=PRIMARY, color="white",
                                                      weight="bold", underline="none", display="inline-block"),
                                ),
                                wrap="wrap",
                                gap="10px",
                            ),
                            aria_label=T["action.available"],
                            margin_bottom="16px",
                        ),
                    ),
                    particulars(),
                    section("policy.coverages", PolicyState.coverages, [("col.kind", "left"), ("col.sum_assured", "right")],
                            lambda r: [cell(T[r["responsibility"]]), cell(r["amount"], align="right")], "coverage-table"),
                    section("policy.loans", PolicyState.loans,
                            [("col.kind", "left"), ("col.principal", "right"), ("col.start_date", "left"), ("col.loan_due_date", "left"), ("col.balance", "right")],
                            lambda r: [cell(T[r["kind"]]), cell(r["principal"], align="right"), cell(r["start_date"]), cell(r["due_date"]), cell(r["balance"], align="right")], "loan-table"),
                    rx.cond(
                        PolicyState.account.contains("account_no"),
                        rx.el.section(
                            rx.heading(T["policy.account"], as_="h2", size="4", margin_top="20px"),
                            rx.text(T["col.account_no"], ": ", PolicyState.account["account_no"]),
                            rx.text(T["col.value"], ": ", PolicyState.account["value"]),
                            rx.text(T["part.minimum_balance"], ": ", PolicyState.account["minimum_balance"]),
                        ),
                    ),
                    section("policy.benefits", PolicyState.benefits,
                            [("col.kind", "left"), ("col.payable_date", "left"), ("col.amount", "right"), ("col.collected_date", "left")],
                            lambda r: [cell(T[r["kind"]]), cell(r["payable_date"]), cell(r["amount"], align="right"), cell(date_or(r["paid_date"], "policy.uncollected"))], "benefit-table"),
                    section("policy.schedule", PolicyState.installments,
                            [("col.due_date", "left"), ("col.amount", "right"), ("col.paid_date", "left")],
                            lambda r: [cell(r["due_date"]), cell(r["amount"], align="right"), cell(date_or(r["paid_date"], "policy.unpaid"))], "installment-table"),
                    section("policy.history", PolicyState.history,
                            [("col.date", "left"), ("col.kind", "left"), ("col.amount", "right")],
                            lambda r: [cell(r["date"]), cell(T[r["kind"]]), cell(r["amount"], align="right")], "history-table"),
                ),
                rx.callout(T["policy.not_found"], icon="info", color_scheme="orange", role="alert", id="policy-not-found"),
            ),
            loading(),
        ),
        title_key="policy.title",
    )

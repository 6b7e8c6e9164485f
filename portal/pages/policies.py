"""Unified query (通查询): every policy of both lines, with line and status filters."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import MUTED, PRIMARY, back_link, loading, page_frame
from portal.components.tables import cell, pager, table
from portal.state.portfolio import PolicyListState
from portal.domain.records import Line, PolicyStatus


COLUMNS = [
    ("col.policy_no", "left"),
    ("col.product", "left"),
    ("col.line", "left"),
    ("col.status", "left"),
    ("col.insured", "left"),
    ("col.period", "left"),
    ("col.premium", "right"),
    ("col.sum_assured", "right"),
]


def render_row(row):
    return [
        cell(rx.link(row["policy_no"], href=row["href"], color=PRIMARY)),
        cell(rx.cond(PolicyListState.is_english, row["product_en"], row["product_zh"])),
        cell(T[row["line"]]),
        cell(T[row["status"]]),
        cell(row["insured"]),
        cell(
            rx.el.span(row["start"], style={"white_space": "nowrap"}),
            " – ",
            rx.el.span(rx.cond(row["end"] != "", row["end"], T["common.whole_life"]), style={"white_space": "nowrap"}),
        ),
        cell(row["premium"], align="right"),
        cell(row["sum_assured"], align="right"),
    ]


def line_switch() -> rx.Component:
    return rx.vstack(
        rx.text(T["policies.filter_line"], weight="bold", id="line-filter-label"),
        rx.segmented_control.root(
            rx.segmented_control.item(T["line.all"], value="all"),
            rx.segmented_control.item(T["line.life"], value=Line.LIFE.value),
            rx.segmented_control.item(T["line.property"], value=Line.PROPERTY.value),
            value=PolicyListState.line_filter,
            on_change=PolicyListState.set_line_filter,
            aria_labelledby="line-filter-label",
            id="line-filter",
            size="3",
        ),
        spacing="1",
    )


def status_filter() -> rx.Component:
    return rx.vstack(
        rx.el.label(T["policies.filter_status"], html_for="status-filter", style={"font_weight": "bold"}),
        rx.el.select(
            rx.el.option(T["status.all"], value="all"),
            *[rx.el.option(T[f"status.{s.value}"], value=s.value) for s in PolicyStatus],
            id="status-filter",
            value=PolicyListState.status_filter,
            on_change=PolicyListState.set_status_filter,
            style={"min_height": "44px", "padding": "6px 10px", "font_size": "16px", "border": "1px solid #6b7785", "border_radius": "6px", "background": "white"},
        ),
        spacing="1",
    )


def policies_page() -> rx.Component:
    return page_frame(
        back_link("common.back_dashboard", "/dashboard"),
        rx.cond(
            PolicyListState.loaded,
            rx.box(
                rx.flex(line_switch(), status_filter(), gap="24px", wrap="wrap", align="end", margin_bottom="12px"),
                rx.cond(
                    PolicyListState.reminder_filter != "",
                    rx.hstack(
                        rx.badge(T["reminder." + PolicyListState.reminder_filter], size="3", color_scheme="orange", high_contrast=True),
                        rx.button("✕ ", T["status.all"], on_click=PolicyListState.clear_reminder_filter, variant="ghost", min_height="44px"),
                        align="center",
                        margin_bottom="8px",
                    ),
                ),
                rx.text(T["policies.count"], " ", rx.el.span(PolicyListState.total, id="policy-count"), " ", T["common.policies_unit"], color=MUTED, role="status"),
                rx.cond(
                    PolicyListState.total == 0,
                    rx.text(T["policies.empty"], padding="16px 0"),
                    rx.box(
                        table(T["policies.title"], COLUMNS, PolicyListState.rows, render_row, table_id="policy-table"),
                        pager(PolicyListState, "policy-pager"),
                    ),
                ),
            ),
            loading(),
        ),
        title_key="policies.title",
    )

"""One category's figure and every record under it; the total row equals the figure."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import MUTED, PRIMARY, back_link, loading, page_frame
from portal.components.tables import cell, pager, table
from portal.state.portfolio import CategoryState



def part(key, value) -> rx.Component:
    return rx.cond(key != "", rx.text(T[key], ": ", value, size="2", color=MUTED, as_="div"))


def render_row(row):
    return [
        cell(rx.cond(row["href"] != "", rx.link(row["policy_no"], href=row["href"], color=PRIMARY), rx.text("—"))),
        cell(T[row["item"]]),
        cell(row["date"]),
        cell(row["amount"], align="right"),
        cell(
            part(row["p1k"], row["p1v"]),
            part(row["p2k"], row["p2v"]),
            rx.cond(
                row["action_href"] != "",
                rx.link(T[row["action_label"]], " →", href=row["action_href"], color=PRIMARY, weight="bold",
                        display="inline-block", padding="10px 0", class_name="row-action"),
            ),
        ),
    ]


COLUMNS = [("col.policy_no", "left"), ("col.item", "left"), ("col.date", "left"), ("col.amount", "right"), ("col.details", "left")]


def figure_block() -> rx.Component:
    return rx.vstack(
        rx.text(T["category_help." + CategoryState.category], color=MUTED),
        rx.hstack(
            rx.text(rx.cond(CategoryState.is_count, T["category.count_label"], T["common.total"]), size="4"),
            rx.text(CategoryState.figure_value, size="7", weight="bold", color=PRIMARY, id="category-figure"),
            align="baseline",
            spacing="3",
        ),
        rx.text(T["category.count_label"], " ", CategoryState.figure_count, color=MUTED),
        spacing="1",
        align="start",
        margin_bottom="12px",
    )


def category_page() -> rx.Component:
    footer = rx.cond(
        CategoryState.is_count,
        rx.fragment(),
        rx.el.tr(
            cell(rx.text(T["common.total"], weight="bold"), col_span=3),
            cell(rx.text(CategoryState.figure_value, weight="bold", id="category-total"), align="right"),
            cell(""),
        ),
    )
    return page_frame(
        back_link("common.back_dashboard", "/dashboard"),
        rx.cond(
            CategoryState.loaded,
            rx.cond(
                CategoryState.not_found,
                rx.callout(T["category.not_found"], icon="info", color_scheme="orange", role="alert"),
                rx.box(
                    figure_block(),
                    rx.cond(
                        CategoryState.figure_count == "0",
                        rx.text(T["common.none"], color=MUTED),
                        rx.box(
                            table(T["category." + CategoryState.category], COLUMNS, CategoryState.rows, render_row, footer=footer, table_id="category-table"),
                            pager(CategoryState, "category-pager"),
                        ),
                    ),
                ),
            ),
            loading(),
        ),
        title=rx.cond(CategoryState.category != "", T["category." + CategoryState.category], T["dashboard.categories"]),
    )

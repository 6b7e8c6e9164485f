"""A service manager's assigned clients and what needs doing for each."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import MUTED, loading, page_frame
from portal.components.tables import cell, pager, table
from portal.domain.categories import ReminderKind
from portal.state.portfolio import ClientListState


COLUMNS = [("manager.client", "left"), ("manager.city", "left"), ("manager.policies", "right")] + [
    (f"reminder.{kind.value}", "right") for kind in ReminderKind
] + [("manager.callback", "left")]


def render_row(row):
    return [cell(row["name"]), cell(row["city"]), cell(row["policies"], align="right")] + [
        cell(row[kind.value], align="right") for kind in ReminderKind
    ] + [cell(row["callback"])]


def clients_page() -> rx.Component:
    return page_frame(
        rx.cond(
            ClientListState.loaded,
            rx.cond(
                ClientListState.total == 0,
                rx.text(T["manager.empty"], color=MUTED),
                rx.box(
                    table(T["manager.alerts"], COLUMNS, ClientListState.clients, render_row, table_id="client-table"),
                    pager(ClientListState, "client-pager"),
                ),
            ),
            loading(),
        ),
        title_key="manager.title",
    )

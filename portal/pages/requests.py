"""The customer's requests and where each one stands; held loans can be cancelled here."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import back_link, loading, page_frame
from portal.components.tables import cell, table
from portal.state.actions import RequestsState


STATUS_COLOR = {"completed": "green", "under_review": "blue", "rejected": "red", "cancelled": "gray", "submitted": "blue"}


def status_badge(row) -> rx.Component:
    return rx.vstack(
        rx.badge(T[row["status_label"]], color_scheme=rx.match(row["status"], *STATUS_COLOR.items(), "gray"), size="2", high_contrast=True),
        rx.cond(row["release_on"] != "", rx.text(T["request.release_on"], " ", row["release_on"], size="2")),
        rx.cond(row["reason_key"] != "", rx.text(T["request.reason"], ": ", T[row["reason_key"]], size="2")),
        spacing="1",
        align="start",
    )


def cancel_button(row) -> rx.Component:
    return rx.cond(
        row["can_cancel"] == "1",
        rx.button(T["action.cancel_request"], on_click=RequestsState.cancel(row["request_no"]), id="cancel-" + row["request_no"],
                  variant="outline", color_scheme="red", min_height="44px", cursor="pointer"),
    )


def requests_page() -> rx.Component:
    return page_frame(
        back_link("common.back_dashboard", "/dashboard"),
        rx.cond(
            RequestsState.error_message != "",
            rx.callout(RequestsState.error_message, icon="triangle_alert", color_scheme="red", role="alert", id="requests-error", high_contrast=True),
        ),
        rx.cond(
            RequestsState.loaded,
            rx.cond(
                RequestsState.rows.length() > 0,
                table(
                    T["requests.title"],
                    [("col.request_no", "left"), ("col.action", "left"), ("col.policy_no", "left"), ("col.amount", "right"),
                     ("col.status", "left"), ("col.submitted_at", "left"), ("col.operation", "left")],
                    RequestsState.rows,
                    lambda row: [
                        cell(row["request_no"]),
                        cell(T[row["title"]]),
                        cell(row["policy_no"]),
                        cell(row["amount"], align="right"),
                        cell(status_badge(row)),
                        cell(row["submitted_at"]),
                        cell(cancel_button(row)),
                    ],
                    table_id="request-table",
                ),
                rx.text(T["requests.empty"], id="requests-empty"),
            ),
            loading(),
        ),
        title_key="requests.title",
    )

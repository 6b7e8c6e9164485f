"""联系专员 / Talk to a person: call the assigned manager, or ask for a call-back."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import BORDER, MUTED, PRIMARY, TEXT, loading, page_frame
from portal.state.contact import ContactState as S


BIG_BUTTON = {"min_height": "60px", "padding": "12px 24px", "border_radius": "10px", "font_weight": "700",
              "cursor": "pointer", "font_size": "1.1em"}


def manager_card() -> rx.Component:
    return rx.cond(
        S.manager["name"],
        rx.box(
            rx.text(T["contact.your_manager"], color=MUTED),
            rx.heading(S.manager["name"], as_="h2", size="6", color=TEXT, id="manager-name"),
            rx.link(rx.icon("phone", size=22, aria_hidden="true"), " ", T["contact.call"], " ", S.manager["phone"],
                    href=S.manager["tel"], id="call-manager", display="inline-flex", align_items="center", gap="8px",
                    background=PRIMARY, color="white", underline="none", margin_top="12px", **BIG_BUTTON),
            border=f"2px solid {BORDER}", border_radius="14px", padding="20px", margin_bottom="24px",
        ),
        rx.callout(T["contact.no_manager"], icon="info", high_contrast=True, margin_bottom="24px"),
    )


def slot_radio(row) -> rx.Component:
    element_id = "slot-" + row["code"]
    return rx.el.label(
        rx.el.input(type="radio", name="slot", value=row["code"], checked=S.slot == row["code"],
                    on_change=S.choose_slot(row["code"]), id=element_id,
                    style={"width": "24px", "height": "24px", "margin_right": "10px"}),
        row["label"],
        html_for=element_id,
        style={"display": "flex", "align_items": "center", "min_height": "48px", "padding": "6px 14px",
               "border": f"1px solid {BORDER}", "border_radius": "10px", "cursor": "pointer"},
    )


def callback_form() -> rx.Component:
    return rx.el.form(
        rx.heading(T["contact.callback"], as_="h2", size="5", margin_bottom="8px"),
        rx.text(T["contact.callback_help"], color=MUTED, margin_bottom="12px"),
        rx.el.label(T["contact.day"], html_for="callback-day", style={"font_weight": "600", "display": "block"}),
        rx.el.select(
            rx.foreach(S.days, lambda d: rx.el.option(d["label"], value=d["value"])),
            value=S.day, on_change=S.choose_day, id="callback-day", name="day",
            style={"min_height": "48px", "font_size": "1em", "padding": "6px 10px", "margin": "6px 0 16px",
                   "border": f"1px solid {MUTED}", "border_radius": "8px", "max_width": "100%"},
        ),
        rx.el.fieldset(
            rx.el.legend(T["contact.slot"], style={"font_weight": "600", "margin_bottom": "6px"}),
            rx.flex(rx.foreach(S.slots, slot_radio), wrap="wrap", gap="10px"),
            style={"border": "none", "padding": "0", "margin": "0 0 16px"},
        ),
        rx.cond(S.error_message != "", rx.callout(S.error_message, icon="triangle_alert", color_scheme="red", role="alert",
                                                  id="callback-error", high_contrast=True, margin_bottom="12px")),
        rx.button(T["contact.request"], type="submit", id="callback-submit", background=PRIMARY, color="white", **BIG_BUTTON),
        on_submit=S.request,
        reset_on_submit=False,
        id="callback-form",
    )


def pending_request() -> rx.Component:
    return rx.box(
        rx.callout(
            rx.text(T["contact.pending"], " ", rx.el.strong(S.pending["day"], " ", S.pending["slot"])),
            icon="circle_check", color_scheme="green", role="status", id="callback-pending", high_contrast=True,
        ),
        rx.button(T["contact.cancel"], on_click=S.cancel, id="callback-cancel", variant="outline", color_scheme="red",
                  margin_top="12px", **BIG_BUTTON),
    )


def contact_page() -> rx.Component:
    return page_frame(
        rx.cond(
            S.loaded,
            rx.box(
                manager_card(),
                rx.cond(S.pending["id"], pending_request(), callback_form()),
            ),
            loading(),
        ),
        title_key="contact.title",
    )

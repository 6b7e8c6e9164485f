"""Accessible data tables: real <table> markup with header cells and a caption."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import BORDER, SURFACE
from portal.state.session import SessionState



def header_cell(label_key: str, align: str = "left") -> rx.Component:
    return rx.el.th(T[label_key], scope="col", style={"text_align": align, "padding": "10px 12px", "border_bottom": f"2px solid {BORDER}", "background": SURFACE, "white_space": "nowrap"})


def cell(*children, align: str = "left", **props) -> rx.Component:
    return rx.el.td(*children, style={"text_align": align, "padding": "8px 12px", "border_bottom": f"1px solid {BORDER}", "vertical_align": "top"}, **props)


def table(caption, columns: list[tuple[str, str]], rows, render_row, footer=None, table_id: str = "") -> rx.Component:
    """columns: (label_key, align). render_row: row var -> list of cells."""
    parts = [
        rx.el.caption(caption, style={"text_align": "left", "font_weight": "600", "padding": "8px 0"}),
        rx.el.thead(rx.el.tr(*[header_cell(key, align) for key, align in columns])),
        rx.el.tbody(rx.foreach(rows, lambda row: rx.el.tr(*render_row(row)))),
    ]
    if footer is not None:
        parts.append(rx.el.tfoot(footer))
    # A wide table scrolls inside its own box (allowed by WCAG 1.4.10 for data tables);
    # the box can take the keyboard focus so it can be scrolled without a mouse.
    return rx.box(
        rx.el.table(*parts, id=table_id or None, style={"width": "100%", "border_collapse": "collapse", "font_variant_numeric": "tabular-nums"}),
        overflow_x="auto",
        width="100%",
        tab_index=0,
        role="region",
        aria_label=caption,
        class_name="table-scroll",
    )


def pager(state, pager_id: str = "pager") -> rx.Component:
    """Previous / "page N of M" / next, for a state holding one page of a longer list
    (``page``, ``page_count``, ``previous_page``, ``next_page``). Shown only when there is
    more than one page; the page number is announced to screen readers as it changes."""
    return rx.cond(
        state.page_count > 1,
        rx.hstack(
            rx.button(T["common.prev"], on_click=state.previous_page, disabled=state.page == 0, variant="outline",
                      min_height="44px", id=f"{pager_id}-prev"),
            rx.text(T["common.page"], " ", state.page + 1, " ", T["common.page_of"], " ", state.page_count, " ",
                    T["common.pages"], role="status", id=f"{pager_id}-status"),
            rx.button(T["common.next"], on_click=state.next_page, disabled=state.page + 1 >= state.page_count,
                      variant="outline", min_height="44px", id=f"{pager_id}-next"),
            align="center",
            spacing="3",
            margin_top="12px",
            wrap="wrap",
        ),
    )

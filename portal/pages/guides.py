"""The picture guides (看图解): all guides as big tiles, and one guide step by step."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import BORDER, MUTED, PRIMARY, TEXT, back_link, big_tile, loading, page_frame
from portal.domain.guides import GUIDES
from portal.state.guides import GuideState

S = GuideState

LINK_BUTTON = {"padding": "12px 18px", "min_height": "48px", "border_radius": "8px", "weight": "bold", "underline": "none", "display": "inline-block"}


def tile(g) -> rx.Component:
    return rx.el.li(
        big_tile(
            g.icon,
            rx.heading(T[f"guide.{g.guide_id}.title"], as_="h2", size="6", color=TEXT),
            [
                rx.text(T[f"guide.{g.guide_id}.summary"], size="4", color=MUTED),
                rx.text(str(g.steps), " ", T["guides.steps_unit"], size="3", color=PRIMARY, weight="bold"),
            ],
            f"/guides/{g.guide_id}",
            f"guide-tile-{g.guide_id}",
            height="100%",
        ),
        style={"list_style": "none"},
    )


def guides_page() -> rx.Component:
    return page_frame(
        rx.text(T["guides.intro"], size="4", color=TEXT, margin_bottom="20px", max_width="48em"),
        rx.el.ul(
            *[tile(g) for g in GUIDES],
            aria_label=T["guides.list_label"],
            id="guide-list",
            style={
                "display": "grid",
                "grid_template_columns": "repeat(auto-fill, minmax(min(100%, 300px), 1fr))",
                "gap": "16px",
                "padding": "0",
                "margin": "0",
            },
        ),
        rx.text(T["guides.help"], size="4", color=TEXT, margin_top="24px"),
        title_key="guides.title",
    )


def step_item(row) -> rx.Component:
    return rx.el.li(
        rx.heading(
            rx.el.span(T[row["label"]], style={"color": PRIMARY}), T["guides.sep"], T[row["title"]],
            as_="h2",
            size="6",
            color=TEXT,
            margin_bottom="12px",
        ),
        rx.flex(
            rx.image(
                src=row["src"],
                alt=T[row["alt"]],
                width="300px",
                height="400px",
                style={"max_width": "100%", "height": "auto", "border": f"1px solid {BORDER}", "border_radius": "12px", "flex_shrink": "0"},
            ),
            rx.text(T[row["text"]], size="5", color=TEXT, style={"flex": "1 1 260px", "min_width": "0", "line_height": "1.7"}),
            gap="20px",
            wrap="wrap",
            align="start",
        ),
        id="guide-step-" + row["n"],
        style={"list_style": "none", "padding": "20px 0", "border_top": f"1px solid {BORDER}"},
    )


def neighbour_link(guide_id, label_key: str, link_id: str) -> rx.Component:
    return rx.cond(
        guide_id != "",
        rx.link(
            T[label_key], T["guides.sep"], T["guide." + guide_id + ".title"],
            href="/guides/" + guide_id,
            id=link_id,
            color=PRIMARY,
            border=f"2px solid {PRIMARY}",
            **LINK_BUTTON,
        ),
    )


def guide_body() -> rx.Component:
    return rx.box(
        rx.el.ol(rx.foreach(S.steps, step_item), id="guide-steps", style={"padding": "0", "margin": "0"}),
        rx.cond(
            S.action_href != "",
            rx.link(T["guides.go_do"], href=S.action_href, id="guide-go", background=PRIMARY, color="white", margin_y="16px", **LINK_BUTTON),
        ),
        rx.text(T["guides.help"], size="4", color=TEXT, margin_y="16px"),
        rx.el.nav(
            rx.flex(
                neighbour_link(S.previous_id, "guides.prev", "guide-prev"),
                neighbour_link(S.next_id, "guides.next", "guide-next"),
                gap="12px",
                wrap="wrap",
            ),
            aria_label=T["guides.list_label"],
            margin_top="8px",
        ),
        back_link("guides.back", "/guides"),
    )


def guide_page() -> rx.Component:
    return page_frame(
        back_link("guides.back", "/guides"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.found,
                guide_body(),
                rx.callout(T["guides.not_found"], icon="info", color_scheme="orange", role="alert", id="guide-not-found", high_contrast=True),
            ),
            loading(),
        ),
        title=rx.cond(S.found & (S.guide_id != ""), T["guide." + S.guide_id + ".title"], T["guides.title"]),
    )

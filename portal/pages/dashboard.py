"""The eleven benefit categories, grouped, with the reminder badges above them."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import BORDER, MUTED, PRIMARY, TEXT, big_tile, loading, page_frame
from portal.domain.categories import Category, ReminderKind
from portal.domain.records import Line, PolicyStatus
from portal.state.portfolio import DashboardState
from portal.state.presenters import GROUP_ORDER, categories_of



def reminder_badge(kind: ReminderKind) -> rx.Component:
    count = DashboardState.reminders[kind.value]
    return rx.link(
        rx.vstack(
            rx.hstack(
                rx.text(T[f"reminder.{kind.value}"], weight="bold", color=TEXT),
                rx.badge(count, color_scheme=rx.cond(count == "0", "gray", "orange"), size="2", variant="solid", high_contrast=True),
                justify="between",
                width="100%",
            ),
            rx.text(T[f"reminder_help.{kind.value}"], size="2", color=MUTED),
            spacing="1",
            align="start",
        ),
        href=f"/policies?reminder={kind.value}",
        id=f"reminder-{kind.value}",
        underline="none",
        padding="12px",
        border=f"1px solid {BORDER}",
        border_radius="8px",
        min_width="200px",
        flex="1",
        _hover={"border_color": PRIMARY},
    )


def category_card(category) -> rx.Component:
    """The figure opens its records; where the figure calls for an action, a second link
    opens that action pre-filled (由查转办). Two links side by side, never nested."""
    figure = DashboardState.figures[category.value]
    return rx.box(
        rx.link(
            rx.vstack(
                rx.text(T[f"category.{category.value}"], weight="bold", size="4", color=TEXT),
                rx.text(figure["value"], size="7", weight="bold", color=PRIMARY, class_name="figure-value"),
                rx.text(T[f"category_help.{category.value}"], size="2", color=MUTED),
                rx.text(T["category.count_label"], " ", figure["count"], size="2", color=MUTED),
                overview_breakdown() if category == Category.OVERVIEW else rx.fragment(),
                spacing="1",
                align="start",
            ),
            href=f"/category/{category.value}",
            id=f"card-{category.value}",
            underline="none",
            display="block",
        ),
        rx.cond(
            figure["action_href"] != "",
            rx.link(
                T[figure["action_label"]], " →",
                href=figure["action_href"],
                id=f"act-{category.value}",
                display="inline-block",
                margin_top="10px",
                padding="10px 16px",
                min_height="44px",
                border_radius="6px",
                background=PRIMARY,
                color="white",
                weight="bold",
                underline="none",
            ),
        ),
        padding="16px",
        border=f"1px solid {BORDER}",
        border_radius="10px",
        min_width="240px",
        flex="1",
        _hover={"border_color": PRIMARY, "box_shadow": "0 1px 6px rgba(0,0,0,0.12)"},
    )


def overview_breakdown() -> rx.Component:
    """Category 1 is counts by status and by line, not just a total."""
    counts = [
        (f"status.{status.value}", DashboardState.counts_by_status[status.value]) for status in PolicyStatus
    ] + [(f"line.{line.value}", DashboardState.counts_by_line[line.value]) for line in Line]
    return rx.flex(
        *[rx.text(T[key], " ", value, size="2", color=TEXT, class_name="overview-count", id=f"count-{key.replace('.', '-')}") for key, value in counts],
        gap="4px 14px",
        wrap="wrap",
        margin_top="4px",
    )


def group_section(group) -> rx.Component:
    return rx.el.section(
        rx.heading(T[f"group.{group.value}"], as_="h2", size="5", margin_bottom="8px", color=TEXT),
        rx.flex(*[category_card(c) for c in categories_of(group)], wrap="wrap", gap="12px"),
        aria_label=T[f"group.{group.value}"],
        margin_bottom="20px",
    )


def tile(icon: str, label_key: str, href, tile_id: str, *details) -> rx.Component:
    """A big tile of the simpler home."""
    return big_tile(icon, rx.text(T[label_key], weight="bold", size="6", color=TEXT), list(details), href, tile_id,
                    min_height="120px", flex="1 1 300px")


def detail(*parts) -> rx.Component:
    return rx.text(*parts, size="4", color=TEXT)


def simple_home() -> rx.Component:
    """Large-text mode's home (seed 004: keep the core entries, drop the rest)."""
    figures = DashboardState.figures
    claimable, due = figures["claimable"], figures["premium_due"]
    return rx.box(
        rx.text(T["dashboard.greeting"], DashboardState.customer_name, size="5", color=TEXT, margin_bottom="16px"),
        rx.flex(
            tile("hand-coins", "home.collect", rx.cond(claimable["action_href"] != "", claimable["action_href"], "/category/claimable"),
                 "tile-collect", detail(T["home.waiting"], " ", rx.el.strong(claimable["value"], class_name="figure-value"))),
            tile("receipt", "home.pay", rx.cond(due["action_href"] != "", due["action_href"], "/category/premium_due"),
                 "tile-pay", detail(T["home.to_pay"], " ", rx.el.strong(due["value"], class_name="figure-value")),
                 rx.cond(DashboardState.nearest_due != "", detail(T["home.due_by"], " ", DashboardState.nearest_due))),
            tile("files", "home.policies", "/policies", "tile-policies",
                 detail(DashboardState.figures["overview"]["value"], " ", T["home.policies_count"])),
            tile("landmark", "home.borrow", rx.cond(figures["loanable"]["action_href"] != "", figures["loanable"]["action_href"], "/category/loanable"),
                 "tile-borrow", detail(T["home.can_borrow"], " ", rx.el.strong(figures["loanable"]["value"])),
                 rx.cond(figures["repayment_due"]["count"] != "0", detail(T["home.owed"], " ", figures["repayment_due"]["value"]))),
            tile("phone", "home.person", "/contact",
                 "tile-person", rx.cond(DashboardState.manager["name"],
                                        detail(DashboardState.manager["name"], " ", DashboardState.manager["phone"]),
                                        detail(T["home.no_manager"]))),
            tile("book-open", "home.guides", "/guides", "tile-guides", detail(T["home.guides_help"])),
            wrap="wrap",
            gap="16px",
        ),
        rx.link(T["home.all_benefits"], " →", href="/dashboard?view=all", id="all-benefits", size="5",
                display="inline-flex", margin_top="24px", padding="12px 0", color=PRIMARY, weight="bold"),
    )


def full_dashboard() -> rx.Component:
    return rx.box(
        rx.text(T["dashboard.greeting"], DashboardState.customer_name, size="4", color=TEXT),
        rx.text(
            T["dashboard.id_number"], " ", DashboardState.id_number_masked, " · ",
            T["dashboard.phone"], " ", DashboardState.phone_masked, " · ",
            T["common.as_of"], " ", DashboardState.as_of,
            size="2", color=MUTED, margin_bottom="16px", id="customer-identity",
        ),
        rx.el.section(
            rx.heading(T["dashboard.reminders"], as_="h2", size="5", margin_bottom="8px", color=TEXT),
            rx.flex(*[reminder_badge(kind) for kind in ReminderKind], wrap="wrap", gap="12px"),
            margin_bottom="24px",
        ),
        *[group_section(group) for group in GROUP_ORDER],
    )


def dashboard_page() -> rx.Component:
    return page_frame(
        rx.box(
            rx.cond(
                DashboardState.loaded,
                rx.cond(DashboardState.is_large & ~DashboardState.show_all, simple_home(), full_dashboard()),
                loading(),
            ),
            # Leaving (to act on a figure): the figures are dropped, so coming back shows
            # "loading" until fresh ones arrive, never the old money.
            on_unmount=DashboardState.forget,
        ),
        title_key="dashboard.title",
    )

"""The frame every signed-in page shares: skip link, header, navigation, language switch."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.state.session import SessionState


PRIMARY = "#0a4f96"  # 8.2:1 on white (AAA, also for large text mode); white on it the same
TEXT = "#1a1a1a"
MUTED = "#4a4a4a"  # 8.9:1 on white
BORDER = "#c9d1da"
SURFACE = "#f5f7fa"

# Solid white on the blue header, so the buttons never look disabled.
HEADER_BUTTON = {"variant": "solid", "background": "white", "color": PRIMARY, "min_height": "44px", "cursor": "pointer"}


def native_submit(form_id: str):
    """A form post to one of the portal's HTTP endpoints (login, logout): Reflex forms
    cancel the browser's own submission, so the handler sends it natively (no round trip
    through the event socket, and the credential never passes through page state)."""
    return rx.call_script(f"document.getElementById('{form_id}').submit()")


def language_button() -> rx.Component:
    return rx.button(
        T["lang.switch"],
        on_click=SessionState.toggle_locale,
        aria_label=T["lang.switch_label"],
        id="language-switch",
        **HEADER_BUTTON,
    )


def big_tile(icon: str, heading: rx.Component, details: list, href, tile_id: str, **style) -> rx.Component:
    """A big tile: an icon and words, the whole tile one link (large-text home, guides)."""
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=44, color=PRIMARY, aria_hidden="true", flex_shrink="0"),
            rx.vstack(heading, *details, spacing="1", align="start", min_width="0"),
            spacing="4",
            align="center",
        ),
        href=href,
        id=tile_id,
        underline="none",
        display="flex",
        padding="20px",
        border=f"2px solid {BORDER}",
        border_radius="14px",
        class_name="main-action",
        _hover={"border_color": PRIMARY},
        _focus_visible={"outline": "4px solid #f5a623", "outline_offset": "2px"},
        **style,
    )


def large_text_button() -> rx.Component:
    """大字版 / Large text, on every page (the login page too); aria-pressed tells its state."""
    return rx.button(
        rx.icon("type", size=20, aria_hidden="true"),
        T["large_text.switch"],
        on_click=SessionState.toggle_large_text,
        aria_pressed=rx.cond(SessionState.is_large, "true", "false"),
        id="large-text-switch",
        **HEADER_BUTTON,
    )


def large_text_notice() -> rx.Component:
    """Said once, when a senior's first login switched large text on."""
    return rx.cond(
        SessionState.large_text_notice,
        rx.callout.root(
            rx.callout.text(T["large_text.switched_on"]),
            rx.button(T["common.dismiss"], on_click=SessionState.dismiss_large_text_notice, background=PRIMARY, color="white",
                      min_height="44px", width="fit-content", cursor="pointer", id="large-text-notice-dismiss"),
            role="status",
            id="large-text-notice",
            high_contrast=True,
            width="100%",
            margin_bottom="16px",
        ),
    )


def root_class():
    return rx.cond(SessionState.is_large, "portal-root large-text", "portal-root")


def nav_link(label_key: str, href: str) -> rx.Component:
    return rx.link(T[label_key], href=href, color="white", weight="medium", padding="10px 6px", underline="hover")


def header() -> rx.Component:
    """Signed in: the menu of the role, the name, the switches and logging out. A visitor
    (the public guide pages) gets the switches and a way to log in."""
    signed_in = SessionState.role != ""
    return rx.el.header(
        rx.flex(
            rx.link(T["app.name"], href="/", color="white", weight="bold", size="5", underline="none"),
            rx.el.nav(
                rx.flex(
                    rx.cond(
                        SessionState.role == "manager",
                        nav_link("nav.clients", "/clients"),
                        rx.cond(
                            signed_in,
                            rx.fragment(
                                nav_link("nav.dashboard", "/dashboard"),
                                nav_link("nav.policies", "/policies"),
                                nav_link("nav.requests", "/requests"),
                                nav_link("nav.profile", "/act/update_profile"),
                                nav_link("nav.contact", "/contact"),
                            ),
                        ),
                    ),
                    nav_link("nav.guides", "/guides"),
                    gap="4px 16px",
                    wrap="wrap",
                ),
                aria_label=T["nav.main"],
            ),
            rx.spacer(),
            rx.text(SessionState.display_name, color="white", id="user-name"),
            large_text_button(),
            language_button(),
            rx.cond(
                signed_in,
                # Logging out is a form post: the endpoint revokes the session and clears
                # the HttpOnly cookie; the next page's first event resets this tab's state.
                rx.el.form(
                    rx.button(T["nav.logout"], type="submit", id="logout", **HEADER_BUTTON),
                    action="/auth/logout",
                    method="post",
                    id="logout-form",
                    on_submit=native_submit("logout-form"),
                    margin="0",
                ),
                rx.link(T["login.submit"], href="/login", id="header-login", color="white", weight="bold", padding="10px 6px"),
            ),
            align="center",
            gap="8px 16px",
            wrap="wrap",
            max_width="1200px",
            margin="0 auto",
            padding="12px 20px",
        ),
        background=PRIMARY,
    )


def timeout_warning() -> rx.Component:
    """Shown by assets/session-timer.js before the session ends, with time to respond."""
    return rx.box(
        rx.heading(T["timeout.title"], as_="h2", size="5", id="timeout-title"),
        rx.text(T["timeout.before"], " ", rx.el.span("120", id="timeout-seconds"), " ", T["timeout.after"]),
        rx.el.button(T["timeout.stay"], type="button", id="stay-signed-in",
                     style={"min_height": "60px", "padding": "12px 24px", "margin_top": "12px", "background": PRIMARY,
                            "color": "white", "border": "none", "border_radius": "8px", "font_weight": "700",
                            "cursor": "pointer", "font_size": "1.1em"}),
        id="timeout-warning",
        role="alertdialog",
        aria_labelledby="timeout-title",
        custom_attrs={"data-lead": rx.cond(SessionState.is_large, "180", "120")},
    )


def failure_banner() -> rx.Component:
    """The apology after an unexpected failure, with its error id (SessionState.show_failure)."""
    return rx.cond(
        SessionState.failure_text != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle_alert")),
            rx.callout.text(SessionState.failure_text),
            rx.button(T["common.dismiss"], on_click=SessionState.dismiss_failure, background="#a4161a", color="white",
                      min_height="44px", width="fit-content", cursor="pointer", id="failure-dismiss"),
            color_scheme="red",
            role="alert",
            id="failure-banner",
            width="100%",
            margin_bottom="16px",
        ),
    )


def skip_link() -> rx.Component:
    return rx.el.a(
        T["nav.skip"],
        href="#main",
        class_name="skip-link",
    )


def page_frame(*children, title_key: str = "", title=None) -> rx.Component:
    """title: a Var for pages whose heading depends on the data; else the catalog key."""
    return rx.box(
        skip_link(),
        header(),
        rx.el.main(
            failure_banner(),
            large_text_notice(),
            rx.heading(title if title is not None else T[title_key], as_="h1", size="7", margin_bottom="16px", color=TEXT),
            *children,
            id="main",
            tab_index=-1,
            max_width="1200px",
            margin="0 auto",
            padding="20px",
        ),
        rx.cond(SessionState.role != "", timeout_warning()),
        rx.script(src="/session-timer.js"),
        min_height="100vh",
        background="white",
        color=TEXT,
        class_name=root_class(),
    )


def loading() -> rx.Component:
    return rx.hstack(rx.spinner(), rx.text(T["common.loading"]), role="status", padding="20px")


def back_link(label_key: str, href: str) -> rx.Component:
    return rx.link("← ", T[label_key], href=href, color=PRIMARY, display="inline-block", padding="10px 0")

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import MUTED, PRIMARY, TEXT, failure_banner, language_button, large_text_button, native_submit, root_class
from portal.state.login import LoginState



def field(label_key: str, name: str, kind: str, autocomplete: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(T[label_key], html_for=name, style={"font_weight": "600"}),
        rx.input(id=name, name=name, type=kind, auto_complete=autocomplete, required=True, size="3", width="100%", max_length=256),
        spacing="1",
        width="100%",
    )


def login_page() -> rx.Component:
    return rx.box(
        rx.el.main(
            rx.hstack(rx.spacer(), large_text_button(), language_button(), width="100%", wrap="wrap"),
            failure_banner(),
            rx.heading(T["app.name"], as_="h1", size="8", color=PRIMARY),
            rx.text(T["app.tagline"], color=MUTED, size="4"),
            rx.card(
                # A plain form post to the login endpoint, which sets the HttpOnly session
                # cookie (portal.web.edge): the credential never passes through page script.
                rx.el.form(
                    rx.vstack(
                        rx.heading(T["login.title"], as_="h2", size="6", color=TEXT),
                        rx.text(T["login.subtitle"], color=MUTED),
                        rx.cond(
                            LoginState.notice_key != "",
                            rx.callout(T[LoginState.notice_key], icon="info", color_scheme="blue", role="status", width="100%"),
                        ),
                        field("login.username", "username", "text", "username"),
                        field("login.password", "password", "password", "current-password"),
                        rx.cond(
                            LoginState.error_text != "",
                            rx.callout(LoginState.error_text, icon="triangle_alert", color_scheme="red", role="alert", id="login-error", width="100%"),
                        ),
                        rx.button(T["login.submit"], type="submit", size="3", width="100%", id="login-submit"),
                        spacing="4",
                        width="100%",
                    ),
                    action="/auth/login",
                    method="post",
                    id="login-form",
                    # Reflex forms stop the browser's own submit; this sends the native post.
                    on_submit=native_submit("login-form"),
                ),
                width="100%",
                max_width="440px",
                padding="24px",
            ),
            id="main",
            spacing="4",
            max_width="480px",
            margin="0 auto",
            padding="24px",
            display="flex",
            flex_direction="column",
            gap="16px",
        ),
        min_height="100vh",
        background="#f5f7fa",
        color=TEXT,
        class_name=root_class(),
    )

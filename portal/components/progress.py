"""Step indicators: where the customer is in an action, and where a request stands."""

from __future__ import annotations

import reflex as rx

from portal.components.catalog import T

from portal.components.layout import BORDER, MUTED, PRIMARY, TEXT
from portal.state.session import SessionState


DONE_GREEN = "#1b7a3a"  # 5.3:1 on white
REJECTED_RED = "#b3261e"  # 6.2:1 on white


def _step(label, state) -> rx.Component:
    """state: a Var or str, one of "done", "current", "todo", "failed"."""
    color = rx.match(state, ("done", DONE_GREEN), ("current", PRIMARY), ("failed", REJECTED_RED), MUTED)
    mark = rx.match(state, ("done", "✓"), ("current", "●"), ("failed", "✕"), "○")
    return rx.el.li(
        rx.text(mark, " ", label, weight=rx.cond(state == "todo", "regular", "bold"), color=color),
        aria_current=rx.cond(state == "current", "step", None),
        style={"padding": "6px 12px", "border": f"1px solid {BORDER}", "border_radius": "18px", "list_style": "none"},
    )


def steps(items: list[tuple]) -> rx.Component:
    """items: (label Var, state Var) in order."""
    return rx.el.ol(
        *[_step(label, state) for label, state in items],
        style={"display": "flex", "flex_wrap": "wrap", "gap": "8px", "padding": "0", "margin": "0 0 16px 0", "color": TEXT},
    )


def request_progress(status) -> rx.Component:
    """提交 → 审核中 → 办理完成 / 已拒绝 / 已撤销, from a request status Var."""
    final_label = rx.match(
        status,
        ("rejected", T["request.status.rejected"]),
        ("cancelled", T["request.status.cancelled"]),
        T["request.status.completed"],
    )
    return steps(
        [
            (T["request.status.submitted"], "done"),
            (T["request.status.under_review"], rx.cond(status == "under_review", "current", "done")),
            (final_label, rx.match(status, ("completed", "done"), ("rejected", "failed"), ("cancelled", "failed"), "todo")),
        ]
    )

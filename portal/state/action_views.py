"""Self-service results → rows of strings for the action pages, and the page's fields →
the form an action expects. Plain functions, tested directly; no rules live here."""

from __future__ import annotations

from decimal import Decimal

from portal.domain.actions import ActionKind
from portal.domain.clock import china_minute
from portal.services.servicing.choices import Choice
from portal.services.servicing.core import ReviewLine
from portal.services.servicing.requests import RequestView
from portal.state.presenters import money

# Actions whose form ticks several items, and those that take an amount.
MULTI_SELECT = {ActionKind.PAY_PREMIUM, ActionKind.COLLECT_BENEFIT}
TAKES_AMOUNT = {ActionKind.TAKE_LOAN, ActionKind.REPAY_LOAN, ActionKind.WITHDRAW}


def plain_amount(amount: Decimal | None) -> str:
    """For pre-filling an input: digits and a point, no ¥ or separators."""
    return "" if amount is None else f"{amount:.2f}"


def choice_rows(choices: list[Choice], checked: set[str]) -> list[dict[str, str]]:
    return [
        {
            "key": c.key,
            "policy_no": c.policy_no,
            "label": c.label_key,
            "amount": money(c.amount),
            "amount_plain": plain_amount(c.amount),
            "detail": c.detail,
            "checked": "1" if c.key in checked else "",
        }
        for c in choices
    ]


def selected_total(rows: list[dict[str, str]]) -> str:
    return money(sum((Decimal(r["amount_plain"]) for r in rows if r.get("checked") and r.get("amount_plain")), Decimal("0.00")))


def review_rows(lines) -> list[dict[str, str]]:
    return [
        {
            "label": line.label_key,
            "value": line.value,
            "value_key": line.value_key,
            "emphasis": "1" if line.emphasis else "",
        }
        for line in lines
        if isinstance(line, ReviewLine)
    ]


def request_row(view: RequestView) -> dict[str, str]:
    return {
        "request_no": view.request_no,
        "kind": view.kind,
        "title": f"action.{view.kind}.title",
        "status": view.status,
        "status_label": f"request.status.{view.status}",
        "amount": money(view.amount),
        "policy_no": view.policy_no,
        "submitted_at": china_minute(view.submitted_at),
        "release_on": view.release_on.isoformat() if view.release_on else "",
        "reason_key": view.reason_key,
        "can_cancel": "1" if view.can_cancel else "",
        "replayed": "1" if view.replayed else "",
    }


def form_for(kind: ActionKind, selected: list[str], selected_one: str, fields: dict, enable: str, health: str,
             fraud_ack: dict | None = None) -> dict:
    """The page's state and submitted fields as the form the action's service reads.
    ``fraud_ack`` comes from the server's own record of the acknowledgement, never from
    the submitted fields."""
    text = {k: v for k, v in (fields if isinstance(fields, dict) else {}).items() if isinstance(v, str)}
    if kind is ActionKind.PAY_PREMIUM:
        return {"policies": list(selected)}
    if kind is ActionKind.COLLECT_BENEFIT:
        return {"items": [int(key) for key in selected if key.isascii() and key.isdigit() and len(key) <= 18]}
    if kind is ActionKind.TAKE_LOAN:
        return {"policy": selected_one, "amount": text.get("amount", ""), "term_months": text.get("term_months", ""),
                **(fraud_ack or {})}
    if kind in (ActionKind.REPAY_LOAN,):
        return {"loan": selected_one, "amount": text.get("amount", "")}
    if kind is ActionKind.WITHDRAW:
        return {"policy": selected_one, "amount": text.get("amount", "")}
    if kind is ActionKind.AUTO_RENEW:
        return {"policy": selected_one, "enable": enable == "on"}
    if kind is ActionKind.REINSTATE:
        return {"policy": selected_one, "health_unchanged": {"unchanged": True, "changed": False}.get(health)}
    return {
        "phone": text.get("phone", ""),
        "address": text.get("address", ""),
        "payout_bank": text.get("payout_bank", ""),
        "payout_account": text.get("payout_account", ""),
    }


QUICK_AMOUNTS = (Decimal("1000"), Decimal("5000"), Decimal("10000"), Decimal("50000"))


def quick_amounts(most: str) -> list[dict[str, str]]:
    """Large-text mode picks rather than types: a few round amounts that fit, and the most
    that can be taken (``most``: the selected item's amount). The service still decides."""
    try:
        top = Decimal(most)
    except (ArithmeticError, ValueError, TypeError):
        return []
    picks = [amount for amount in QUICK_AMOUNTS if amount < top]
    return [{"value": f"{amount:.2f}", "label": money(amount)} for amount in picks] + (
        [{"value": f"{top:.2f}", "label": money(top)}] if top > 0 else []
    )

"""Domain results → rows of strings for the pages.

Rows hold catalog keys (``status.in_force``) rather than translated text, so the client
can re-render in the other language without new data, and formatted money (identical in
both languages). No Reflex here: these are plain functions, tested directly.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from portal.domain.categories import (
    CATEGORY_GROUPS,
    COUNT_CATEGORIES,
    Category,
    CategoryLine,
    Group,
    ReminderKind,
    Rollup,
)
from portal.domain.actions import ActionKind
from portal.domain.callbacks import SLOTS
from portal.domain.masking import mask_name
from portal.domain.money import format_yuan
from portal.domain.records import Policy
from portal.services.portfolio import PolicyDetail

GROUP_ORDER = [Group.OVERVIEW, Group.PAID, Group.DUE, Group.CLAIMABLE, Group.LOANABLE]

# What each kind of category line is called, by category.
_LINE_LABEL_PREFIX = {
    Category.OVERVIEW: "status.",
    Category.HISTORY: "history.",
    Category.PREMIUMS_PAID: "item.",
    Category.BENEFITS_RECEIVED: "benefit.",
    Category.LOANS_TAKEN: "loan.",
    Category.LOANS_REPAID: "loan.",
    Category.PREMIUM_DUE: "item.",
    Category.CLAIMABLE: "benefit.",
    Category.LOANABLE: "item.",
    Category.REPAYMENT_DUE: "loan.",
    Category.UNIVERSAL_ACCOUNTS: "item.",
}

# The action each money figure turns into (由查转办).
CATEGORY_ACTIONS = {
    Category.PREMIUM_DUE: ActionKind.PAY_PREMIUM,
    Category.CLAIMABLE: ActionKind.COLLECT_BENEFIT,
    Category.LOANABLE: ActionKind.TAKE_LOAN,
    Category.REPAYMENT_DUE: ActionKind.REPAY_LOAN,
    Category.UNIVERSAL_ACCOUNTS: ActionKind.WITHDRAW,
}


def action_href(kind: ActionKind, policy_no: str = "") -> str:
    return f"/act/{kind.value}" + (f"?policy={policy_no}" if policy_no else "")


# Where each reminder leads: the policies it concerns.
REMINDER_ORDER = list(ReminderKind)


def money(amount: Decimal | None) -> str:
    return "" if amount is None else format_yuan(amount)


def categories_of(group: Group) -> list[Category]:
    return [c for c in Category if CATEGORY_GROUPS[c] == group]


def figure_cards(rollup: Rollup) -> dict[str, dict[str, str]]:
    """Per category: the figure as shown on the dashboard."""
    cards = {}
    for category, figure in rollup.figures.items():
        is_count = category in COUNT_CATEGORIES
        action = CATEGORY_ACTIONS.get(category)
        cards[category.value] = {
            "value": str(figure.count) if is_count else money(figure.amount),
            "count": str(figure.count),
            "href": f"/category/{category.value}",
            "action_href": action_href(action) if action and figure.count else "",
            "action_label": f"action.{action.value}.cta" if action else "",
        }
    return cards


def reminder_counts(rollup: Rollup) -> dict[str, str]:
    return {reminder.kind.value: str(reminder.count) for reminder in rollup.reminders}


def _line_label(category: Category, line: CategoryLine) -> str:
    return _LINE_LABEL_PREFIX[category] + line.label


def category_rows(category: Category, lines) -> list[dict[str, str]]:
    """Rows for some of a category's lines (a page of them)."""
    action = CATEGORY_ACTIONS.get(category)
    rows = []
    for line in lines:
        parts = list(line.parts) + [("", None)] * (2 - len(line.parts))
        rows.append(
            {
                "policy_no": line.policy_no,
                "href": f"/policy/{line.policy_no}" if line.policy_no else "",
                "item": _line_label(category, line),
                "date": line.on_date.isoformat() if line.on_date else "",
                "amount": money(line.amount),
                "p1k": f"part.{parts[0][0]}" if parts[0][0] else "",
                "p1v": money(parts[0][1]),
                "p2k": f"part.{parts[1][0]}" if parts[1][0] else "",
                "p2v": money(parts[1][1]),
                "action_href": action_href(action, line.policy_no) if action else "",
                "action_label": f"action.{action.value}.cta" if action else "",
            }
        )
    return rows


def policy_actions(detail: PolicyDetail) -> list[dict[str, str]]:
    return [
        {"kind": kind.value, "href": action_href(kind, detail.policy.policy_no), "label": f"action.{kind.value}.cta"}
        for kind in detail.actions
    ]


def policy_row(policy: Policy) -> dict[str, str]:
    return {
        "policy_no": policy.policy_no,
        "href": f"/policy/{policy.policy_no}",
        "product_zh": policy.product_name_zh,
        "product_en": policy.product_name_en,
        "line": f"line.{policy.line.value}",
        "status": f"status.{policy.status.value}",
        "insured": policy.insured_name,
        "start": policy.start_date.isoformat(),
        "end": policy.end_date.isoformat() if policy.end_date else "",
        "premium": money(policy.premium),
        "sum_assured": money(policy.sum_assured),
    }


def policy_fields(detail: PolicyDetail) -> dict[str, str]:
    policy = detail.policy
    return {
        **policy_row(policy),
        "policyholder": policy.policyholder_name,
        "beneficiaries": policy.beneficiaries,
        "frequency": f"freq.{policy.payment_frequency.value}",
        "term_years": str(policy.payment_term_years),
        "cash_value": money(policy.cash_value),
        "auto_renew": "common.yes" if policy.auto_renew else "common.no",
        "is_property": "1" if policy.line.value == "property" else "",
        "is_short_term": "1" if policy.short_term else "",
        # Auto-renewal decides the next term, which starts the day after this one ends.
        "next_term": (policy.end_date + timedelta(days=1)).isoformat() if policy.short_term and policy.end_date else "",
    }


def coverage_rows(detail: PolicyDetail) -> list[dict[str, str]]:
    return [
        {"responsibility": f"resp.{c.responsibility.value}", "amount": money(c.amount)}
        for c in detail.policy.coverages
    ]


def installment_rows(detail: PolicyDetail) -> list[dict[str, str]]:
    return [
        {
            "due_date": i.due_date.isoformat(),
            "amount": money(i.amount),
            "paid_date": i.paid_date.isoformat() if i.paid_date else "",
        }
        for i in sorted(detail.installments, key=lambda i: i.due_date, reverse=True)
    ]


def benefit_rows(detail: PolicyDetail) -> list[dict[str, str]]:
    return [
        {
            "kind": f"benefit.{b.kind.value}",
            "payable_date": b.payable_date.isoformat(),
            "amount": money(b.amount),
            "paid_date": b.paid_date.isoformat() if b.paid_date else "",
        }
        for b in sorted(detail.benefits, key=lambda b: b.payable_date, reverse=True)
    ]


def loan_rows(detail: PolicyDetail) -> list[dict[str, str]]:
    return [
        {
            "loan_no": view.loan.loan_no,
            "kind": f"loan.{view.loan.kind.value}",
            "principal": money(view.loan.principal),
            "start_date": view.loan.start_date.isoformat(),
            "due_date": view.loan.due_date.isoformat(),
            "balance": money(view.balance.total_due),
        }
        for view in detail.loans
    ]


def account_fields(detail: PolicyDetail) -> dict[str, str]:
    account = detail.account
    if account is None:
        return {}
    return {
        "account_no": account.account_no,
        "value": money(detail.account_value),
        "minimum_balance": money(account.minimum_balance),
    }


def history_rows(events) -> list[dict[str, str]]:
    return [
        {
            "date": e.occurred_at.date().isoformat(),
            "kind": f"history.{e.kind.value}",
            "amount": money(e.amount),
        }
        for e in events
    ]


def client_row(summary, callback=None) -> dict[str, str]:
    return {
        "name": mask_name(summary.name),
        "city": summary.city,
        "policies": str(summary.policy_count),
        "callback": f"{callback.day.isoformat()} {callback.slot.label}" if callback else "",
        **{kind.value: str(summary.reminder_counts.get(kind.value, 0)) for kind in ReminderKind},
    }


def nearest_due(rollup: Rollup) -> str:
    """The earliest due date among the premiums due now, or ""."""
    dates = [line.on_date for line in rollup.figure(Category.PREMIUM_DUE).lines if line.on_date]
    return min(dates).isoformat() if dates else ""


def manager_card(card) -> dict[str, str]:
    if card is None:
        return {}
    return {"name": card.name, "phone": card.phone, "tel": "tel:" + "".join(ch for ch in card.phone if ch.isdigit() or ch == "+"),
            "city": card.city}


def slot_label(code: str) -> str:
    start, end = SLOTS[code]
    return f"{start:%H:%M}–{end:%H:%M}"


def open_slot_codes(slots) -> dict[str, list[str]]:
    """Day (ISO) → the codes of its open slots, days in order."""
    out: dict[str, list[str]] = {}
    for slot in slots:
        out.setdefault(slot.day.isoformat(), []).append(slot.code)
    return out


def callback_fields(view) -> dict[str, str]:
    if view is None:
        return {}
    return {"id": str(view.request_id), "day": view.day.isoformat(), "slot": view.slot.label}

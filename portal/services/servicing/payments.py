"""Money the customer pays or collects on existing records: renewal premiums (当前应交费)
and survival / maturity / annuity / dividend money (当前可领款)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlmodel import Session

from portal.data import tables as t
from portal.domain.money import format_yuan, to_fen, total
from portal.domain.premiums import payable_installments
from portal.domain.records import HistoryKind
from portal.domain.rejections import Rejected
from portal.domain.rollup import in_grace_period
from portal.services.servicing import lookup
from portal.services.servicing.core import (
    ActionKind,
    Review,
    ReviewLine,
    bump_version,
    mark_paid,
    money_line,
    record,
)

MAX_ITEMS = 200


def _list_of(values, kind) -> list:
    if not isinstance(values, (list, tuple)) or not values or len(values) > MAX_ITEMS:
        raise Rejected("error.nothing_selected")
    if not all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
        raise Rejected("error.nothing_selected")
    return list(dict.fromkeys(values))  # unique, order kept


class PayPremium:
    kind = ActionKind.PAY_PREMIUM
    needs_step_up = True

    def prepare(self, session: Session, customer_id: int, form: dict, today: date) -> Review:
        seen = lookup.policy_versions(session, customer_id)  # before the figures it guards
        pic = lookup.picture(session, customer_id)
        policies = [lookup.own_policy(pic, no) for no in _list_of(form.get("policies"), str)]
        payments = [payable_installments(p, pic.installments, today) for p in policies]
        paid_from = lookup.payout_account(session, customer_id)
        amount = total(p.amount for p in payments)
        lines = [
            ReviewLine("review.policy_premium", f"{p.policy.policy_no} · {format_yuan(p.amount)} ({len(p.installments)})")
            for p in payments
        ]
        lines.append(money_line("review.total_to_pay", amount, emphasis=True))
        lines.append(ReviewLine("review.paid_from", paid_from))
        if any(in_grace_period(p.policy, p.installments, today) for p in payments):
            lines.append(ReviewLine("review.note", value_key="review.grace_keeps_in_force"))
        return Review(
            kind=self.kind,
            customer_id=customer_id,
            policy_id=policies[0].policy_id if len(policies) == 1 else None,
            policy_no=", ".join(p.policy_no for p in policies),
            amount=amount,
            lines=tuple(lines),
            payload={
                "installments": [i.installment_id for p in payments for i in p.installments],
                "per_policy": {str(p.policy.policy_id): to_fen(p.amount) for p in payments},
                "versions": {p.policy_id: seen[p.policy_id] for p in policies},
            },
            history_kind=HistoryKind.PREMIUM_PAID,
        )

    def apply(self, session: Session, review: Review, request: t.ServiceRequest, today: date, now: datetime) -> None:
        for policy_id, version in sorted(review.payload["versions"].items()):
            bump_version(session, t.Policy, int(policy_id), version)
        mark_paid(session, t.PremiumInstallment, review.payload["installments"], today, request.id)
        for policy_id, fen in sorted(review.payload["per_policy"].items()):
            record(session, request, HistoryKind.PREMIUM_PAID, int(policy_id), fen, now)


class CollectBenefit:
    kind = ActionKind.COLLECT_BENEFIT
    needs_step_up = True

    def prepare(self, session: Session, customer_id: int, form: dict, today: date) -> Review:
        pic = lookup.picture(session, customer_id)
        wanted = _list_of(form.get("items"), int)
        by_id = {b.benefit_id: b for b in pic.benefits}
        numbers = {p.policy_id: p.policy_no for p in pic.policies}
        items = []
        for item_id in wanted:
            item = by_id.get(item_id)
            if item is None:
                raise Rejected("error.item_not_found")
            if item.paid_date is not None or item.payable_date > today:
                raise Rejected("error.not_claimable")
            items.append(item)
        paid_to = lookup.payout_account(session, customer_id)
        amount = total(i.amount for i in items)
        per_policy: dict[str, int] = defaultdict(int)
        for item in items:
            per_policy[str(item.policy_id)] += to_fen(item.amount)
        lines = [
            ReviewLine(f"benefit.{i.kind.value}", f"{numbers[i.policy_id]} · {i.payable_date.isoformat()} · {format_yuan(i.amount)}")
            for i in items
        ]
        lines.append(money_line("review.total_to_receive", amount, emphasis=True))
        lines.append(ReviewLine("review.paid_to", paid_to))
        policy_ids = sorted({i.policy_id for i in items})
        return Review(
            kind=self.kind,
            customer_id=customer_id,
            policy_id=policy_ids[0] if len(policy_ids) == 1 else None,
            policy_no=", ".join(numbers[p] for p in policy_ids),
            amount=amount,
            lines=tuple(lines),
            payload={"items": [i.benefit_id for i in items], "per_policy": dict(per_policy)},
            history_kind=HistoryKind.BENEFIT_PAID,
        )

    def apply(self, session: Session, review: Review, request: t.ServiceRequest, today: date, now: datetime) -> None:
        # "Still unpaid" in the UPDATE is the guard: two collections of one item cannot both pay.
        mark_paid(session, t.BenefitItem, review.payload["items"], today, request.id)
        for policy_id, fen in sorted(review.payload["per_policy"].items()):
            record(session, request, HistoryKind.BENEFIT_PAID, int(policy_id), fen, now)

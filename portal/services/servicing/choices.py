"""What the customer can pick from on an action's form, pre-filled from the figure they
came from: the lines behind 当前应交费, 当前可借款, 当前应还款, 当前可领款, the universal
accounts, the short-term policies and the reinstatable ones."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from portal.data.picture import load_customer_picture
from portal.domain.actions import ActionKind
from portal.domain.categories import Category
from portal.domain.money import total
from portal.domain.premiums import payable_installments
from portal.domain.rejections import Rejected
from portal.domain.records import PolicyStatus
from portal.domain.rollup import reinstatable, roll_up
from portal.domain.withdrawals import available_to_withdraw
from portal.services.auth import Principal
from portal.services.servicing import lookup
from portal.services.servicing.requests import acting_customer


@dataclass(frozen=True)
class Choice:
    key: str  # what the form sends back: a policy number, a loan number or an item id
    policy_no: str
    label_key: str
    amount: Decimal | None  # what is due / lendable / owed / collectable / available
    detail: str = ""  # a date worth seeing beside it


def _payable(policy, picture, today: date) -> bool:
    try:
        payable_installments(policy, picture.installments, today)
    except Rejected:
        return False
    return True


def choices(session: Session, principal: Principal | None, kind: ActionKind, today: date) -> list[Choice]:
    customer_id = acting_customer(principal)
    picture = load_customer_picture(session, customer_id, history=False)
    rollup = roll_up(picture, today)
    lines = lambda category: rollup.figure(category).lines  # noqa: E731
    if kind is ActionKind.PAY_PREMIUM:
        by_policy = defaultdict(list)
        for line in lines(Category.PREMIUM_DUE):
            by_policy[line.policy_no].append(line)
        payable = {p.policy_no for p in picture.policies if _payable(p, picture, today)}
        return [
            Choice(no, no, "item.premium", total(ln.amount for ln in group), min(ln.on_date for ln in group).isoformat())
            for no, group in by_policy.items()
            if no in payable  # past the grace period only reinstatement helps
        ]
    if kind is ActionKind.TAKE_LOAN:
        # What can still be lent: large loans waiting for their cooling-off day are
        # reserved. Largest first: the one pre-selected when no policy was named.
        reserved = lookup.reserved_by_policy(session, customer_id)
        loanable = sorted(
            ((ln, max(ln.amount - reserved.get(ln.policy_id, 0), 0)) for ln in lines(Category.LOANABLE)),
            key=lambda pair: pair[1],
            reverse=True,
        )
        return [Choice(ln.policy_no, ln.policy_no, "item.policy_loan", amount) for ln, amount in loanable if amount > 0]
    if kind is ActionKind.REPAY_LOAN:
        loan_nos = {loan.loan_id: loan.loan_no for loan in picture.loans}
        return [
            Choice(loan_nos[ln.record_id], ln.policy_no, f"loan.{ln.label}", ln.amount, ln.on_date.isoformat())
            for ln in lines(Category.REPAYMENT_DUE)
        ]
    if kind is ActionKind.COLLECT_BENEFIT:
        return [
            Choice(str(ln.record_id), ln.policy_no, f"benefit.{ln.label}", ln.amount, ln.on_date.isoformat())
            for ln in lines(Category.CLAIMABLE)
        ]
    policies = {p.policy_id: p for p in picture.policies}
    if kind is ActionKind.WITHDRAW:
        return [
            Choice(policies[a.policy_id].policy_no, policies[a.policy_id].policy_no, "item.universal_account",
                   available_to_withdraw(a, today), a.account_no)
            for a in picture.accounts
            if policies[a.policy_id].status is PolicyStatus.IN_FORCE
        ]
    if kind is ActionKind.AUTO_RENEW:
        return [
            Choice(p.policy_no, p.policy_no, "common.on" if p.auto_renew else "common.off", None, p.end_date.isoformat())
            for p in picture.policies
            if p.short_term and p.status is PolicyStatus.IN_FORCE and p.end_date and p.end_date >= today
        ]
    if kind is ActionKind.REINSTATE:
        return [
            Choice(p.policy_no, p.policy_no, "status.lapsed", None, p.status_date.isoformat())
            for p in picture.policies
            if reinstatable(p, today)
        ]
    return []


def preselected(options: list[Choice], policy_no, multi: bool) -> set[str]:
    """What the form starts with: the items of the policy the customer came from; with no
    policy named, every item of a tick-list, or the first (largest) of a pick-one list."""
    named = [c.key for c in options if isinstance(policy_no, str) and c.policy_no == policy_no]
    if multi:
        return set(named) if named else {c.key for c in options}
    return {(named or [c.key for c in options] or [""])[0]}

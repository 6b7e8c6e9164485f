"""Renewal premium payment and the premium schedule. Pure.

Rules (copied to the README):

* What a customer can pay for a policy is exactly its 当前应交费 lines: every unpaid
  installment due on or before today + 30 days, oldest first, on an IN_FORCE policy. The
  amount is their sum; a customer cannot pay part of it or more than it.
* A payment inside the 60-day grace period keeps the policy in force: paying clears the
  overdue installment, so the lapse-risk reminder goes away.
* An installment overdue by more than the grace period cannot be paid as a renewal: the
  policy should have lapsed, and reinstatement (with interest) is the way back.
* Lapsed, terminated and matured policies have nothing to pay here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from portal.domain.dates import add_months
from portal.domain.money import total
from portal.domain.records import PaymentFrequency, Policy, PolicyStatus, PremiumInstallment
from portal.domain.rejections import Rejected
from portal.domain.rollup import GRACE_DAYS, RENEWAL_WINDOW_DAYS

MONTHS_BETWEEN_INSTALLMENTS = {
    PaymentFrequency.ANNUAL: 12,
    PaymentFrequency.SEMI_ANNUAL: 6,
    PaymentFrequency.QUARTERLY: 3,
    PaymentFrequency.MONTHLY: 1,
}


@dataclass(frozen=True)
class PremiumPayment:
    policy: Policy
    installments: tuple[PremiumInstallment, ...]  # oldest first

    @property
    def amount(self) -> Decimal:
        return total(i.amount for i in self.installments)


def payable_installments(
    policy: Policy, installments: Iterable[PremiumInstallment], today: date
) -> PremiumPayment:
    """The installments a renewal payment for ``policy`` settles today (module rules)."""
    if policy.status is not PolicyStatus.IN_FORCE:
        raise Rejected("error.policy_not_in_force", policy=policy.policy_no)
    window_end = today + timedelta(days=RENEWAL_WINDOW_DAYS)
    due = sorted(
        (
            i
            for i in installments
            if i.policy_id == policy.policy_id and i.paid_date is None and i.due_date <= window_end
        ),
        key=lambda i: (i.due_date, i.installment_id),
    )
    if not due:
        raise Rejected("error.nothing_due", policy=policy.policy_no)
    if any(today > i.due_date + timedelta(days=GRACE_DAYS) for i in due):
        raise Rejected("error.grace_ended", policy=policy.policy_no)
    return PremiumPayment(policy, tuple(due))


def scheduled_due_dates(policy: Policy, after: date | None, through: date) -> list[date]:
    """The premium due dates of ``policy`` later than ``after`` and up to ``through``.

    Installments fall every 12/6/3/1 months from the start date for the payment term;
    a single premium has no later installments.
    """
    step = MONTHS_BETWEEN_INSTALLMENTS.get(policy.payment_frequency)
    if step is None or policy.payment_term_years <= 0:
        return []
    count = policy.payment_term_years * 12 // step
    dates = []
    for number in range(count):
        due = add_months(policy.start_date, number * step)
        if due > through:
            break
        if after is None or due > after:
            dates.append(due)
    return dates

"""Reinstatement (复效) of a lapsed policy. Pure.

Rules (copied to the README):

* Only a LAPSED policy, within 2 years of its lapse date, and not past its end date.
* The customer pays, in one go:
  - every back premium: each unpaid installment due on or before today, including the
    ones the schedule would have raised after the lapse (every 12/6/3/1 months from the
    start date, within the payment term);
  - simple interest on each back premium at 5.00% a year, actual days / 365, from its due
    date to today, rounded half-up to the fen per installment;
  - everything owed on the policy's loans (principal + accrued interest), which closes them.
* The customer must declare that their health has not changed since the lapse. A declared
  change cannot be reinstated online: the manager arranges underwriting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.domain.loans import LoanBalance, loan_balance, simple_interest
from portal.domain.money import ZERO, round_half_up, total
from portal.domain.premiums import scheduled_due_dates
from portal.domain.records import Loan, Policy, PremiumInstallment
from portal.domain.rejections import Rejected
from portal.domain.rollup import reinstatable

REINSTATEMENT_RATE = Decimal("0.05")


@dataclass(frozen=True)
class BackPremium:
    due_date: date
    amount: Decimal
    interest: Decimal
    installment_id: int | None  # None for an installment the schedule raises now


@dataclass(frozen=True)
class LoanPayoff:
    loan: Loan
    balance: LoanBalance


@dataclass(frozen=True)
class ReinstatementQuote:
    policy: Policy
    back_premiums: tuple[BackPremium, ...]
    loans: tuple[LoanPayoff, ...]

    @property
    def premiums(self) -> Decimal:
        return total(b.amount for b in self.back_premiums)

    @property
    def interest(self) -> Decimal:
        return total(b.interest for b in self.back_premiums)

    @property
    def loans_owed(self) -> Decimal:
        return total(p.balance.total_due for p in self.loans)

    @property
    def amount(self) -> Decimal:
        return self.premiums + self.interest + self.loans_owed


def quote_reinstatement(
    policy: Policy,
    installments: Iterable[PremiumInstallment],
    loans: Iterable[Loan],
    today: date,
    health_unchanged: bool,
) -> ReinstatementQuote:
    if not reinstatable(policy, today) or (policy.end_date is not None and policy.end_date < today):
        raise Rejected("error.not_reinstatable", policy=policy.policy_no)
    if not health_unchanged:
        raise Rejected("error.health_changed")
    own = [i for i in installments if i.policy_id == policy.policy_id]
    unpaid = sorted((i for i in own if i.paid_date is None and i.due_date <= today), key=lambda i: i.due_date)
    latest_recorded = max((i.due_date for i in own), default=None)
    back = [
        BackPremium(i.due_date, i.amount, _interest(i.amount, i.due_date, today), i.installment_id)
        for i in unpaid
    ] + [
        BackPremium(due, policy.premium, _interest(policy.premium, due, today), None)
        for due in scheduled_due_dates(policy, latest_recorded, today)
    ]
    payoffs = tuple(
        LoanPayoff(loan, balance)
        for loan in loans
        if loan.policy_id == policy.policy_id
        for balance in [loan_balance(loan, today)]
        if balance.total_due > ZERO
    )
    return ReinstatementQuote(policy, tuple(back), payoffs)


def _interest(amount: Decimal, due: date, today: date) -> Decimal:
    return round_half_up(simple_interest(amount, REINSTATEMENT_RATE, (today - due).days))

"""Policy-loan maths: balances, repayment splits and loan headroom. Pure, no I/O.

Rules (copied to the README):

* Interest is simple interest, actual days / 365, on the principal outstanding during each
  stretch of days. It is kept exact (unrounded Decimal) while accumulating and rounded
  HALF-UP to the fen only once, when a balance is reported, so a loan walked through many
  repayments never drifts by accumulated rounding.
* Repayments are applied in date order (then by id); those after the as-of date are ignored.
  Each repayment already carries its split: the ``interest`` part pays accrued interest,
  the ``principal`` part reduces principal. Interest paid beyond what had accrued (e.g. the
  half-fen rounded up when a customer paid a rounded balance) is carried forward as a credit
  against later interest; it is never refunded nor moved to principal, and the reported
  unpaid interest is never negative.
* Principal can never go negative: a record that would make it so is corrupt data and
  raises ``ValueError``. So do repayments before the loan started or with negative parts.
* A loan not yet started on the as-of date owes nothing.
* Headroom (当前可借款): only in-force life policies that allow loans and have a positive cash
  value can lend. Limit = 80% of cash value rounded DOWN to the fen; headroom = limit minus
  everything owed on that policy's loans (principal + accrued interest, policy loans and
  automatic premium loans alike), never below zero, rounded DOWN to the fen.
* A new policy loan: at least ¥500 and at most the headroom (less any large loan still in
  its cooling-off day on the same policy); a term of 1 to 6 months, due the same day of the
  month that many months later; interest at the product's annual simple rate; paid out to
  the policyholder's own account on record. Loans above ¥100,000 are held for review until
  the next day (a cooling-off the customer can cancel); their amount is reserved meanwhile.
* A repayment pays accrued interest first, then principal; anything from ¥0.01 up to the
  total due; paying the total due closes the loan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.domain.dates import add_months
from portal.domain.money import ZERO, format_yuan, round_down, round_half_up, to_fen, total
from portal.domain.records import Line, Loan, LoanRepayment, Policy, PolicyStatus
from portal.domain.rejections import Rejected

DAYS_PER_YEAR = Decimal(365)
LOAN_TO_CASH_VALUE = Decimal("0.80")
MINIMUM_LOAN = Decimal("500.00")
MAX_TERM_MONTHS = 6
COOLING_OFF_ABOVE = Decimal("100000.00")  # loans above this wait until the next day


@dataclass(frozen=True)
class LoanBalance:
    outstanding_principal: Decimal
    accrued_interest: Decimal  # unpaid interest to the as-of date, rounded half-up to the fen
    total_due: Decimal  # outstanding_principal + accrued_interest
    repaid_principal: Decimal
    repaid_interest: Decimal


def simple_interest(principal: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    """Exact, unrounded: principal × rate × days / 365."""
    if days < 0:
        raise ValueError(f"negative interest period: {days} days")
    return principal * annual_rate * Decimal(days) / DAYS_PER_YEAR


def _repayments_to(loan: Loan, on: date) -> list[LoanRepayment]:
    # Same-day repayments keep a stable order by id so results never depend on input order.
    ordered = sorted(loan.repayments, key=lambda r: (r.paid_date, r.repayment_id))
    return [r for r in ordered if r.paid_date <= on]


def _check_repayment(loan: Loan, repayment: LoanRepayment) -> None:
    if repayment.paid_date < loan.start_date:
        raise ValueError(
            f"loan {loan.loan_no}: repayment {repayment.repayment_id} predates the loan"
        )
    if repayment.principal < 0 or repayment.interest < 0:
        raise ValueError(
            f"loan {loan.loan_no}: repayment {repayment.repayment_id} has a negative part"
        )


def _unpaid_interest(exact_accrued: Decimal) -> Decimal:
    # A remaining prepaid-interest credit shows as nothing owed, not as a negative figure
    # (``+ ZERO`` also turns a rounded "-0.00" into "0.00").
    return max(round_half_up(exact_accrued), ZERO) + ZERO


def loan_balance(loan: Loan, on: date) -> LoanBalance:
    """What is owed on ``loan`` at the end of day ``on`` (see module rules)."""
    if on < loan.start_date:
        return LoanBalance(ZERO, ZERO, ZERO, ZERO, ZERO)

    principal = loan.principal
    accrued = Decimal(0)  # exact; may dip below zero by a prepaid-interest credit
    segment_start = loan.start_date
    paid = _repayments_to(loan, on)
    for repayment in paid:
        _check_repayment(loan, repayment)
        days = (repayment.paid_date - segment_start).days
        accrued += simple_interest(principal, loan.annual_rate, days)
        accrued -= repayment.interest
        principal -= repayment.principal
        if principal < 0:
            raise ValueError(
                f"loan {loan.loan_no}: repayment {repayment.repayment_id} "
                "repays more principal than is outstanding"
            )
        segment_start = repayment.paid_date
    accrued += simple_interest(principal, loan.annual_rate, (on - segment_start).days)

    interest = _unpaid_interest(accrued)
    outstanding = principal + ZERO
    return LoanBalance(
        outstanding_principal=outstanding,
        accrued_interest=interest,
        total_due=outstanding + interest,
        repaid_principal=total(r.principal for r in paid),
        repaid_interest=total(r.interest for r in paid),
    )


def split_repayment(amount: Decimal, balance: LoanBalance) -> tuple[Decimal, Decimal]:
    """(interest_part, principal_part) of a repayment: interest is settled first.

    Rejects non-positive amounts, fractions of a fen and anything above the total due,
    because the repay action must never create an overpayment.
    """
    to_fen(amount)  # raises on fractions of a fen
    if amount <= 0:
        raise ValueError("a repayment must be positive")
    if amount > balance.total_due:
        raise ValueError(f"repayment {amount} exceeds the total due {balance.total_due}")
    interest_part = min(amount, balance.accrued_interest)
    return interest_part, amount - interest_part


def can_borrow(policy: Policy) -> bool:
    """Only in-force life policies with loans allowed and a cash value can lend."""
    return (
        policy.loan_allowed
        and policy.status is PolicyStatus.IN_FORCE
        and policy.line is Line.LIFE
        and policy.cash_value > 0
    )


def loan_limit(policy: Policy) -> Decimal:
    """80% of cash value rounded down (a limit must never be rounded up), or 0."""
    if not can_borrow(policy):
        return ZERO
    return round_down(LOAN_TO_CASH_VALUE * policy.cash_value)


def headroom_given_owed(policy: Policy, owed: Decimal) -> Decimal:
    """Headroom when the policy's loans' total due is already known (saves recomputing)."""
    limit = loan_limit(policy)
    if limit <= 0:
        return ZERO
    return max(round_down(limit - owed), ZERO)


def total_owed(loans: Iterable[Loan], on: date) -> Decimal:
    return total(loan_balance(loan, on).total_due for loan in loans)


def loan_headroom(policy: Policy, loans_of_policy: Iterable[Loan], on: date) -> Decimal:
    """当前可借款 for one policy; ``loans_of_policy`` must all belong to it."""
    loans = list(loans_of_policy)
    strangers = [loan.loan_no for loan in loans if loan.policy_id != policy.policy_id]
    if strangers:
        raise ValueError(f"loans {strangers} do not belong to policy {policy.policy_no}")
    return headroom_given_owed(policy, total_owed(loans, on))


@dataclass(frozen=True)
class LoanQuote:
    policy: Policy
    amount: Decimal
    annual_rate: Decimal
    start_date: date
    due_date: date
    interest_to_due: Decimal  # simple interest for the whole term, rounded half-up
    headroom: Decimal  # before this loan
    held: bool  # above the cooling-off threshold: paid out next day unless cancelled

    @property
    def repay_at_due(self) -> Decimal:
        return self.amount + self.interest_to_due


def quote_loan(
    policy: Policy,
    loans_of_policy: Iterable[Loan],
    amount: Decimal,
    term_months: int,
    today: date,
    reserved: Decimal = ZERO,
    start: date | None = None,
) -> LoanQuote:
    """A new policy loan (module rules); ``reserved`` is held large loans not yet paid out;
    ``start`` is the payout day when it is not today (a held loan's cooling-off day)."""
    if not can_borrow(policy):
        raise Rejected("error.loan_not_allowed", policy=policy.policy_no)
    if not isinstance(term_months, int) or not 1 <= term_months <= MAX_TERM_MONTHS:
        raise Rejected("error.loan_term", months=MAX_TERM_MONTHS)
    headroom = max(loan_headroom(policy, loans_of_policy, today) - reserved, ZERO)
    if headroom < MINIMUM_LOAN:
        raise Rejected("error.loan_no_headroom", minimum=format_yuan(MINIMUM_LOAN))
    if amount < MINIMUM_LOAN:
        raise Rejected("error.loan_below_minimum", minimum=format_yuan(MINIMUM_LOAN))
    if amount > headroom:
        raise Rejected("error.loan_above_headroom", headroom=format_yuan(headroom))
    start = start or today
    due = add_months(start, term_months)
    return LoanQuote(
        policy=policy,
        amount=amount,
        annual_rate=policy.loan_rate,
        start_date=start,
        due_date=due,
        interest_to_due=round_half_up(simple_interest(amount, policy.loan_rate, (due - start).days)),
        headroom=headroom,
        held=amount > COOLING_OFF_ABOVE,
    )


@dataclass(frozen=True)
class RepaymentQuote:
    loan: Loan
    balance: LoanBalance  # before the repayment
    amount: Decimal
    interest_part: Decimal
    principal_part: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.balance.total_due - self.amount

    @property
    def closes_loan(self) -> bool:
        return self.remaining == 0


def quote_repayment(loan: Loan, amount: Decimal, today: date) -> RepaymentQuote:
    balance = loan_balance(loan, today)
    if balance.total_due <= 0:
        raise Rejected("error.loan_closed", loan=loan.loan_no)
    if amount > balance.total_due:
        raise Rejected("error.repay_above_due", due=format_yuan(balance.total_due))
    interest_part, principal_part = split_repayment(amount, balance)
    return RepaymentQuote(loan, balance, amount, interest_part, principal_part)

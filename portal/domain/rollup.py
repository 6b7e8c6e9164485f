"""The eleven benefit categories (11类权益事项) of one customer, as of one day. Pure.

Rules (copied to the README). "Paid" always means paid on or before ``today``, so a record
is either in a paid figure or in a due/claimable figure, never both and never neither.

1. OVERVIEW: a count of policies, one line per policy (label = status, on_date = start
   date). ``counts_by_status`` has all four statuses (zeros included); ``counts_by_line``
   has "life" and "property".
2. HISTORY: a count of history events, one line per event, newest first (label = kind,
   amount = the event's amount, which may be None).
3. PREMIUMS_PAID: Σ installments paid on or before today, any policy status. Newest first.
4. BENEFITS_RECEIVED: Σ benefit items paid on or before today (label = benefit kind).
5. LOANS_TAKEN: Σ principal of loans started on or before today, both loan kinds.
6. LOANS_REPAID: Σ repayments (principal + interest) paid on or before today, one line per
   repayment with its principal / interest parts.
7. PREMIUM_DUE: unpaid installments due on or before today + 30 days, on IN_FORCE policies
   only (a policy in its grace period is still in force; lapsed ones go through
   reinstatement instead). Sorted by due date.
8. CLAIMABLE: unpaid benefit items payable on or before today, on policies of ANY status:
   matured / terminated policies can still owe money (the "sleeping" money).
9. LOANABLE: policy-loan headroom per policy (see ``portal.domain.loans``); only policies
   with headroom > 0 appear, with cash value and amount owed as parts.
10. REPAYMENT_DUE: every loan still owing on today: principal + accrued interest.
11. UNIVERSAL_ACCOUNTS: per account, Σ movements on or before today.

Every money figure is exactly the sum of its lines' amounts, and every line carries its
policy number. A record pointing at a policy outside the picture is corrupt data and raises
``ValueError`` (history events excepted: they may have no policy).

Reminders, one per kind in enum order (possibly empty), policy ids sorted and unique:

* LAPSE_RISK: in-force policies in their grace period (an unpaid installment overdue by
  1..60 days), plus lapsed policies that lapsed within the last 2 years (reinstatable).
* AUTOMATIC_PREMIUM_LOAN: policies with an automatic premium loan still owing.
* RENEWAL_DUE: policies with a PREMIUM_DUE line.
* MONEY_TO_COLLECT: policies with a CLAIMABLE line.
* LOAN_DUE: policies with a loan still owing whose due date is within today + 30 days
  (or past).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from portal.domain.categories import (
    Category,
    CategoryFigure,
    CategoryLine,
    Reminder,
    ReminderKind,
    Rollup,
)
from portal.domain.dates import add_years
from portal.domain.loans import LoanBalance, headroom_given_owed, loan_balance
from portal.domain.money import total
from portal.domain.records import (
    CustomerPicture,
    Line,
    Loan,
    LoanKind,
    Policy,
    PolicyStatus,
    PremiumInstallment,
    UniversalAccount,
)

GRACE_DAYS = 60
RENEWAL_WINDOW_DAYS = 30
REINSTATEMENT_YEARS = 2
LOAN_DUE_WINDOW_DAYS = 30

PREMIUM_LABEL = "premium"
LOANABLE_LABEL = "policy_loan"
ACCOUNT_LABEL = "universal_account"

T = TypeVar("T")


# ---------------------------------------------------------------------------- helpers


def _paid_by(paid_date: date | None, today: date) -> bool:
    return paid_date is not None and paid_date <= today


def in_grace_period(
    policy: Policy, installments: Iterable[PremiumInstallment], today: date
) -> bool:
    """An IN_FORCE policy with an installment unpaid and overdue by 1..GRACE_DAYS days."""
    if policy.status is not PolicyStatus.IN_FORCE:
        return False
    return any(
        inst.policy_id == policy.policy_id
        and not _paid_by(inst.paid_date, today)
        and inst.due_date < today <= inst.due_date + timedelta(days=GRACE_DAYS)
        for inst in installments
    )


def reinstatable(policy: Policy, today: date) -> bool:
    """A LAPSED policy whose lapse date is within REINSTATEMENT_YEARS of today.

    Without a recorded lapse date we cannot promise reinstatement, so it is not flagged.
    """
    if policy.status is not PolicyStatus.LAPSED or policy.status_date is None:
        return False
    return policy.status_date <= today <= add_years(policy.status_date, REINSTATEMENT_YEARS)


def _group(items: Iterable[T], key: Callable[[T], int]) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped


@dataclass(frozen=True)
class _Index:
    """The picture indexed once by policy, so every rule is a dict lookup, not a scan."""

    policies: dict[int, Policy]
    installments: dict[int, list[PremiumInstallment]]
    loans: dict[int, list[Loan]]
    balances: dict[int, LoanBalance]  # by loan_id, computed once for today

    def policy(self, policy_id: int) -> Policy:
        try:
            return self.policies[policy_id]
        except KeyError:
            raise ValueError(f"record refers to policy {policy_id} outside the picture") from None

    def policy_no(self, policy_id: int) -> str:
        return self.policy(policy_id).policy_no


def _index(picture: CustomerPicture, today: date) -> _Index:
    return _Index(
        policies={p.policy_id: p for p in picture.policies},
        installments=_group(picture.installments, lambda i: i.policy_id),
        loans=_group(picture.loans, lambda loan: loan.policy_id),
        balances={loan.loan_id: loan_balance(loan, today) for loan in picture.loans},
    )


def _money_figure(category: Category, lines: Iterable[CategoryLine]) -> CategoryFigure:
    # The figure is derived from its lines, so it reconciles by construction.
    lines = tuple(lines)
    return CategoryFigure(
        category=category,
        amount=total(line.amount for line in lines if line.amount is not None),
        count=len(lines),
        lines=lines,
    )


def _count_figure(category: Category, lines: Iterable[CategoryLine]) -> CategoryFigure:
    lines = tuple(lines)
    return CategoryFigure(category=category, amount=None, count=len(lines), lines=lines)


def _newest_first(lines: Iterable[CategoryLine]) -> list[CategoryLine]:
    return sorted(lines, key=lambda ln: (ln.on_date or date.min, ln.record_id or 0), reverse=True)


def _oldest_first(lines: Iterable[CategoryLine]) -> list[CategoryLine]:
    return sorted(lines, key=lambda ln: (ln.on_date or date.min, ln.record_id or 0))


# ---------------------------------------------------------------------- the categories


def _overview(picture: CustomerPicture) -> CategoryFigure:
    return _count_figure(
        Category.OVERVIEW,
        (
            CategoryLine(
                policy_id=p.policy_id,
                policy_no=p.policy_no,
                label=p.status.value,
                on_date=p.start_date,
                amount=None,
                record_id=p.policy_id,
            )
            for p in picture.policies
        ),
    )


def _history(picture: CustomerPicture, ix: _Index) -> CategoryFigure:
    if picture.history_count is not None:
        return CategoryFigure(category=Category.HISTORY, amount=None, count=picture.history_count, lines=())
    def policy_no(policy_id: int | None) -> str:
        policy = ix.policies.get(policy_id) if policy_id is not None else None
        return policy.policy_no if policy else ""

    events = sorted(picture.history, key=lambda e: (e.occurred_at, e.event_id), reverse=True)
    return _count_figure(
        Category.HISTORY,
        (
            CategoryLine(
                policy_id=e.policy_id,
                policy_no=policy_no(e.policy_id),
                label=e.kind.value,
                on_date=e.occurred_at.date(),
                amount=e.amount,
                record_id=e.event_id,
            )
            for e in events
        ),
    )


def _premiums_paid(picture: CustomerPicture, ix: _Index, today: date) -> CategoryFigure:
    lines = (
        CategoryLine(
            policy_id=i.policy_id,
            policy_no=ix.policy_no(i.policy_id),
            label=PREMIUM_LABEL,
            on_date=i.paid_date,
            amount=i.amount,
            record_id=i.installment_id,
        )
        for i in picture.installments
        if _paid_by(i.paid_date, today)
    )
    return _money_figure(Category.PREMIUMS_PAID, _newest_first(lines))


def _benefits_received(picture: CustomerPicture, ix: _Index, today: date) -> CategoryFigure:
    lines = (
        CategoryLine(
            policy_id=b.policy_id,
            policy_no=ix.policy_no(b.policy_id),
            label=b.kind.value,
            on_date=b.paid_date,
            amount=b.amount,
            record_id=b.benefit_id,
        )
        for b in picture.benefits
        if _paid_by(b.paid_date, today)
    )
    return _money_figure(Category.BENEFITS_RECEIVED, _newest_first(lines))


def _loans_taken(picture: CustomerPicture, ix: _Index, today: date) -> CategoryFigure:
    lines = (
        CategoryLine(
            policy_id=loan.policy_id,
            policy_no=ix.policy_no(loan.policy_id),
            label=loan.kind.value,
            on_date=loan.start_date,
            amount=loan.principal,
            record_id=loan.loan_id,
        )
        for loan in picture.loans
        if loan.start_date <= today
    )
    return _money_figure(Category.LOANS_TAKEN, _newest_first(lines))


def _loans_repaid(picture: CustomerPicture, ix: _Index, today: date) -> CategoryFigure:
    # record_id is the repayment's id; the line's label says which kind of loan it repaid.
    lines = (
        CategoryLine(
            policy_id=loan.policy_id,
            policy_no=ix.policy_no(loan.policy_id),
            label=loan.kind.value,
            on_date=r.paid_date,
            amount=r.amount,
            parts=(("principal", r.principal), ("interest", r.interest)),
            record_id=r.repayment_id,
        )
        for loan in picture.loans
        for r in loan.repayments
        if r.paid_date <= today
    )
    return _money_figure(Category.LOANS_REPAID, _newest_first(lines))


def _premium_due(picture: CustomerPicture, ix: _Index, today: date) -> CategoryFigure:
    window_end = today + timedelta(days=RENEWAL_WINDOW_DAYS)
    lines = (
        CategoryLine(
            policy_id=i.policy_id,
            policy_no=ix.policy_no(i.policy_id),
            label=PREMIUM_LABEL,
            on_date=i.due_date,
            amount=i.amount,
            record_id=i.installment_id,
        )
        for i in picture.installments
        if not _paid_by(i.paid_date, today)
        and i.due_date <= window_end
        and ix.policy(i.policy_id).status is PolicyStatus.IN_FORCE
    )
    return _money_figure(Category.PREMIUM_DUE, _oldest_first(lines))


def _claimable(picture: CustomerPicture, ix: _Index, today: date) -> CategoryFigure:
    lines = (
        CategoryLine(
            policy_id=b.policy_id,
            policy_no=ix.policy_no(b.policy_id),
            label=b.kind.value,
            on_date=b.payable_date,
            amount=b.amount,
            record_id=b.benefit_id,
        )
        for b in picture.benefits
        if not _paid_by(b.paid_date, today) and b.payable_date <= today
    )
    return _money_figure(Category.CLAIMABLE, _oldest_first(lines))


def _owed_on_policy(ix: _Index, policy_id: int) -> Decimal:
    return total(ix.balances[loan.loan_id].total_due for loan in ix.loans.get(policy_id, ()))


def _loanable(picture: CustomerPicture, ix: _Index) -> CategoryFigure:
    def lines() -> Iterator[CategoryLine]:
        for p in picture.policies:
            owed = _owed_on_policy(ix, p.policy_id)
            headroom = headroom_given_owed(p, owed)
            if headroom > 0:
                yield CategoryLine(
                    policy_id=p.policy_id,
                    policy_no=p.policy_no,
                    label=LOANABLE_LABEL,
                    on_date=None,
                    amount=headroom,
                    parts=(("cash_value", p.cash_value), ("outstanding", owed)),
                    record_id=p.policy_id,
                )

    return _money_figure(Category.LOANABLE, lines())


def _repayment_due(picture: CustomerPicture, ix: _Index) -> CategoryFigure:
    def lines() -> Iterator[CategoryLine]:
        for loan in picture.loans:
            balance = ix.balances[loan.loan_id]
            if balance.total_due > 0:
                yield CategoryLine(
                    policy_id=loan.policy_id,
                    policy_no=ix.policy_no(loan.policy_id),
                    label=loan.kind.value,
                    on_date=loan.due_date,
                    amount=balance.total_due,
                    parts=(
                        ("principal", balance.outstanding_principal),
                        ("interest", balance.accrued_interest),
                    ),
                    record_id=loan.loan_id,
                )

    return _money_figure(Category.REPAYMENT_DUE, _oldest_first(lines()))


def account_value(account: UniversalAccount, today: date) -> Decimal:
    """A universal-life account's value: every movement up to and including today."""
    return total(m.amount for m in account.movements if m.occurred_on <= today)


def _account_line(account: UniversalAccount, ix: _Index, today: date) -> CategoryLine:
    counted = [m for m in account.movements if m.occurred_on <= today]
    return CategoryLine(
        policy_id=account.policy_id,
        policy_no=ix.policy_no(account.policy_id),
        label=ACCOUNT_LABEL,
        # The value is as of the latest movement it includes.
        on_date=max((m.occurred_on for m in counted), default=None),
        amount=account_value(account, today),
        parts=(("minimum_balance", account.minimum_balance),),
        record_id=account.account_id,
    )


def _universal_accounts(picture: CustomerPicture, ix: _Index, today: date) -> CategoryFigure:
    return _money_figure(
        Category.UNIVERSAL_ACCOUNTS, (_account_line(a, ix, today) for a in picture.accounts)
    )


# ------------------------------------------------------------------------- reminders


def _policy_ids(lines: Iterable[CategoryLine]) -> set[int]:
    return {line.policy_id for line in lines if line.policy_id is not None}


def _lapse_risk(picture: CustomerPicture, ix: _Index, today: date) -> set[int]:
    return {
        p.policy_id
        for p in picture.policies
        if in_grace_period(p, ix.installments.get(p.policy_id, ()), today)
        or reinstatable(p, today)
    }


def _owing_loans(picture: CustomerPicture, ix: _Index) -> Iterator[Loan]:
    return (loan for loan in picture.loans if ix.balances[loan.loan_id].total_due > 0)


def _reminders(
    picture: CustomerPicture,
    ix: _Index,
    figures: dict[Category, CategoryFigure],
    today: date,
) -> tuple[Reminder, ...]:
    loan_window_end = today + timedelta(days=LOAN_DUE_WINDOW_DAYS)
    owing = list(_owing_loans(picture, ix))
    ids_by_kind: dict[ReminderKind, set[int]] = {
        ReminderKind.LAPSE_RISK: _lapse_risk(picture, ix, today),
        ReminderKind.AUTOMATIC_PREMIUM_LOAN: {
            loan.policy_id for loan in owing if loan.kind is LoanKind.AUTOMATIC_PREMIUM_LOAN
        },
        ReminderKind.RENEWAL_DUE: _policy_ids(figures[Category.PREMIUM_DUE].lines),
        ReminderKind.MONEY_TO_COLLECT: _policy_ids(figures[Category.CLAIMABLE].lines),
        ReminderKind.LOAN_DUE: {
            loan.policy_id for loan in owing if loan.due_date <= loan_window_end
        },
    }
    return tuple(Reminder(kind, tuple(sorted(ids_by_kind[kind]))) for kind in ReminderKind)


# ------------------------------------------------------------------------------ entry


def roll_up(picture: CustomerPicture, today: date) -> Rollup:
    """The eleven categories and reminders of ``picture`` as of ``today`` (module rules)."""
    ix = _index(picture, today)
    figures = {
        Category.OVERVIEW: _overview(picture),
        Category.HISTORY: _history(picture, ix),
        Category.PREMIUMS_PAID: _premiums_paid(picture, ix, today),
        Category.BENEFITS_RECEIVED: _benefits_received(picture, ix, today),
        Category.LOANS_TAKEN: _loans_taken(picture, ix, today),
        Category.LOANS_REPAID: _loans_repaid(picture, ix, today),
        Category.PREMIUM_DUE: _premium_due(picture, ix, today),
        Category.CLAIMABLE: _claimable(picture, ix, today),
        Category.LOANABLE: _loanable(picture, ix),
        Category.REPAYMENT_DUE: _repayment_due(picture, ix),
        Category.UNIVERSAL_ACCOUNTS: _universal_accounts(picture, ix, today),
    }
    # Keep the dict in the display order of the Category enum.
    figures = {category: figures[category] for category in Category}
    return Rollup(
        as_of=today,
        figures=figures,
        reminders=_reminders(picture, ix, figures, today),
        counts_by_status={
            s.value: sum(1 for p in picture.policies if p.status is s) for s in PolicyStatus
        },
        counts_by_line={
            ln.value: sum(1 for p in picture.policies if p.line is ln) for ln in Line
        },
    )

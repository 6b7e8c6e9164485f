"""Load one customer's whole insurance picture with a fixed number of statements.

Every table is read once, filtered by the policyholder through a join, so a customer
with 157 policies costs the same nine statements as one with a single policy. Rows are
read as plain column tuples (no ORM identity map, no lazy loading) and converted to the
frozen records of ``portal.domain.records``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from portal.data import tables as t
from portal.domain import records as r
from portal.domain.money import from_fen

BP = Decimal(10000)


def rate_from_bp(bp: int) -> Decimal:
    return Decimal(int(bp)) / BP


def _members(enum_type) -> dict:
    # Enum(value) costs microseconds per call; a 157-policy picture has thousands of them.
    return dict(enum_type._value2member_map_)


def _enum(table: dict, value: str):
    try:
        return table[value]
    except KeyError:
        raise ValueError(f"unexpected stored value {value!r}") from None


LINES = _members(r.Line)
STATUSES = _members(r.PolicyStatus)
FREQUENCIES = _members(r.PaymentFrequency)
RESPONSIBILITIES = _members(r.Responsibility)
BENEFIT_KINDS = _members(r.BenefitKind)
LOAN_KINDS = _members(r.LoanKind)
HISTORY_KINDS = _members(r.HistoryKind)


def load_customer_picture(
    session: Session,
    customer_id: int,
    only_policy_id: int | None = None,
    *,
    records: bool = True,
    history: bool = True,
) -> r.CustomerPicture:
    """The customer's picture; with ``only_policy_id``, just that policy's records (the
    policy page reads one policy, not the customer's whole book); with ``records=False``,
    the policies alone (one statement: the policy list needs no more); with
    ``history=False``, the history counted, not read (a long-standing customer has
    thousands of events, and only the history page lists them)."""
    # Core execution on the session's connection: plain tuples, no ORM loading machinery.
    run = session.connection().execute
    mine = t.Policy.policyholder_id == customer_id
    if only_policy_id is not None:
        mine = mine & (t.Policy.id == only_policy_id)
    owned = select(t.Policy.id).where(mine)
    owned_loans = select(t.PolicyLoan.id).where(t.PolicyLoan.policy_id.in_(owned))
    owned_accounts = select(t.UniversalAccount.id).where(t.UniversalAccount.policy_id.in_(owned))

    policy_rows = run(
        select(
            t.Policy.id,
            t.Policy.policy_no,
            t.Policy.line,
            t.Policy.product_code,
            t.Product.name_zh,
            t.Product.name_en,
            t.Policy.status,
            t.Customer.name,
            t.Policy.insured_name,
            t.Policy.beneficiaries,
            t.Policy.start_date,
            t.Policy.end_date,
            t.Policy.sum_assured_fen,
            t.Policy.premium_fen,
            t.Policy.payment_frequency,
            t.Policy.payment_term_years,
            t.Policy.cash_value_fen,
            t.Product.loan_allowed,
            t.Product.loan_rate_bp,
            t.Policy.auto_renew,
            t.Policy.status_date,
            t.Product.short_term,
        )
        .join(t.Product, t.Product.code == t.Policy.product_code)
        .join(t.Customer, t.Customer.id == t.Policy.policyholder_id)
        .where(mine)
        .order_by(t.Policy.start_date, t.Policy.id)
    ).all()
    if not records:
        return r.CustomerPicture(
            customer_id=customer_id, policies=_policies(policy_rows, {}),
            installments=(), benefits=(), loans=(), accounts=(), history=(),
        )

    coverage_rows = run(
        select(t.PolicyCoverage.policy_id, t.PolicyCoverage.responsibility, t.PolicyCoverage.amount_fen)
        .where(t.PolicyCoverage.policy_id.in_(owned))
        .order_by(t.PolicyCoverage.policy_id, t.PolicyCoverage.id)
    ).all()

    installment_rows = run(
        select(
            t.PremiumInstallment.id,
            t.PremiumInstallment.policy_id,
            t.PremiumInstallment.due_date,
            t.PremiumInstallment.amount_fen,
            t.PremiumInstallment.paid_date,
        )
        .where(t.PremiumInstallment.policy_id.in_(owned))
        .order_by(t.PremiumInstallment.due_date, t.PremiumInstallment.id)
    ).all()

    benefit_rows = run(
        select(
            t.BenefitItem.id,
            t.BenefitItem.policy_id,
            t.BenefitItem.kind,
            t.BenefitItem.payable_date,
            t.BenefitItem.amount_fen,
            t.BenefitItem.paid_date,
        )
        .where(t.BenefitItem.policy_id.in_(owned))
        .order_by(t.BenefitItem.payable_date, t.BenefitItem.id)
    ).all()

    loan_rows = run(
        select(
            t.PolicyLoan.id,
            t.PolicyLoan.policy_id,
            t.PolicyLoan.loan_no,
            t.PolicyLoan.kind,
            t.PolicyLoan.principal_fen,
            t.PolicyLoan.annual_rate_bp,
            t.PolicyLoan.start_date,
            t.PolicyLoan.due_date,
        )
        .where(t.PolicyLoan.policy_id.in_(owned))
        .order_by(t.PolicyLoan.start_date, t.PolicyLoan.id)
    ).all()

    repayment_rows = run(
        select(
            t.LoanRepayment.id,
            t.LoanRepayment.loan_id,
            t.LoanRepayment.paid_date,
            t.LoanRepayment.principal_fen,
            t.LoanRepayment.interest_fen,
        )
        .where(t.LoanRepayment.loan_id.in_(owned_loans))
        .order_by(t.LoanRepayment.paid_date, t.LoanRepayment.id)
    ).all()

    account_rows = run(
        select(
            t.UniversalAccount.id,
            t.UniversalAccount.policy_id,
            t.UniversalAccount.account_no,
            t.UniversalAccount.minimum_balance_fen,
            t.UniversalAccount.guaranteed_rate_bp,
        )
        .where(t.UniversalAccount.policy_id.in_(owned))
        .order_by(t.UniversalAccount.id)
    ).all()

    movement_rows = run(
        select(
            t.AccountMovement.id,
            t.AccountMovement.account_id,
            t.AccountMovement.occurred_on,
            t.AccountMovement.kind,
            t.AccountMovement.amount_fen,
        )
        .where(t.AccountMovement.account_id.in_(owned_accounts))
        .order_by(t.AccountMovement.occurred_on, t.AccountMovement.id)
    ).all()

    if not history:
        history_rows = ()
        history_count = run(
            select(func.count())
            .select_from(t.HistoryEvent)
            .where(
                t.HistoryEvent.customer_id == customer_id,
                *([t.HistoryEvent.policy_id == only_policy_id] if only_policy_id is not None else []),
            )
        ).scalar_one()
    else:
        history_count = None
        history_rows = run(
            select(
                t.HistoryEvent.id,
                t.HistoryEvent.policy_id,
                t.HistoryEvent.occurred_at,
                t.HistoryEvent.kind,
                t.HistoryEvent.amount_fen,
                t.HistoryEvent.note,
            )
            .where(
                t.HistoryEvent.customer_id == customer_id,
                *([t.HistoryEvent.policy_id == only_policy_id] if only_policy_id is not None else []),
            )
            .order_by(t.HistoryEvent.occurred_at, t.HistoryEvent.id)
        ).all()

    coverages: dict[int, list[r.Coverage]] = defaultdict(list)
    for policy_id, responsibility, amount_fen in coverage_rows:
        coverages[policy_id].append(r.Coverage(_enum(RESPONSIBILITIES, responsibility), from_fen(amount_fen)))

    policies = _policies(policy_rows, coverages)

    installments = tuple(
        r.PremiumInstallment(
            installment_id=i, policy_id=p, due_date=due, amount=from_fen(fen), paid_date=paid
        )
        for i, p, due, fen, paid in installment_rows
    )
    benefits = tuple(
        r.BenefitItem(
            benefit_id=i,
            policy_id=p,
            kind=_enum(BENEFIT_KINDS, kind),
            payable_date=payable,
            amount=from_fen(fen),
            paid_date=paid,
        )
        for i, p, kind, payable, fen, paid in benefit_rows
    )

    repayments: dict[int, list[r.LoanRepayment]] = defaultdict(list)
    for i, loan_id, paid, principal, interest in repayment_rows:
        repayments[loan_id].append(
            r.LoanRepayment(
                repayment_id=i,
                loan_id=loan_id,
                paid_date=paid,
                principal=from_fen(principal),
                interest=from_fen(interest),
            )
        )
    loans = tuple(
        r.Loan(
            loan_id=i,
            policy_id=p,
            loan_no=no,
            kind=_enum(LOAN_KINDS, kind),
            principal=from_fen(principal),
            annual_rate=rate_from_bp(bp),
            start_date=start,
            due_date=due,
            repayments=tuple(repayments.get(i, ())),
        )
        for i, p, no, kind, principal, bp, start, due in loan_rows
    )

    movements: dict[int, list[r.AccountMovement]] = defaultdict(list)
    for i, account_id, on, kind, fen in movement_rows:
        movements[account_id].append(
            r.AccountMovement(movement_id=i, account_id=account_id, occurred_on=on, kind=kind, amount=from_fen(fen))
        )
    accounts = tuple(
        r.UniversalAccount(
            account_id=i,
            policy_id=p,
            account_no=no,
            minimum_balance=from_fen(minimum),
            guaranteed_rate=rate_from_bp(bp),
            movements=tuple(movements.get(i, ())),
        )
        for i, p, no, minimum, bp in account_rows
    )

    history = tuple(
        r.HistoryEvent(
            event_id=i,
            policy_id=p,
            occurred_at=at,
            kind=_enum(HISTORY_KINDS, kind),
            amount=None if fen is None else from_fen(fen),
            note=note or "",
        )
        for i, p, at, kind, fen, note in history_rows
    )

    return r.CustomerPicture(
        customer_id=customer_id,
        policies=policies,
        installments=installments,
        benefits=benefits,
        loans=loans,
        accounts=accounts,
        history=history,
        history_count=history_count,
    )


def _policies(policy_rows, coverages: dict[int, list[r.Coverage]]) -> tuple[r.Policy, ...]:
    return tuple(
        r.Policy(
            policy_id=row[0],
            policy_no=row[1],
            line=_enum(LINES, row[2]),
            product_code=row[3],
            product_name_zh=row[4],
            product_name_en=row[5],
            status=_enum(STATUSES, row[6]),
            policyholder_name=row[7],
            insured_name=row[8],
            beneficiaries=row[9] or "法定",
            start_date=row[10],
            end_date=row[11],
            sum_assured=from_fen(row[12]),
            premium=from_fen(row[13]),
            payment_frequency=_enum(FREQUENCIES, row[14]),
            payment_term_years=row[15],
            cash_value=from_fen(row[16]),
            loan_allowed=bool(row[17]),
            loan_rate=rate_from_bp(row[18]),
            auto_renew=bool(row[19]),
            coverages=tuple(coverages.get(row[0], ())),
            status_date=row[20],
            short_term=bool(row[21]),
        )
        for row in policy_rows
    )


def load_policy_ref(session: Session, policy_no: str) -> tuple[int, int] | None:
    """(policy id, policyholder's customer id) for a policy number, or None if unknown."""
    row = session.execute(
        select(t.Policy.id, t.Policy.policyholder_id).where(t.Policy.policy_no == policy_no)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def load_policy_owner(session: Session, policy_no: str) -> int | None:
    """The policyholder's customer id, or None for an unknown policy number."""
    ref = load_policy_ref(session, policy_no)
    return None if ref is None else ref[1]

"""Small builders for domain records: sensible defaults, override only what a test is about."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

from portal.domain.records import (
    AccountMovement,
    BenefitItem,
    BenefitKind,
    CustomerPicture,
    HistoryEvent,
    HistoryKind,
    Line,
    Loan,
    LoanKind,
    LoanRepayment,
    PaymentFrequency,
    Policy,
    PolicyStatus,
    PremiumInstallment,
    UniversalAccount,
)

TODAY = date(2025, 6, 30)

_ids = itertools.count(1000)


def next_id() -> int:
    return next(_ids)


def d(text: str) -> Decimal:
    return Decimal(text)


def policy(policy_id: int | None = None, **overrides) -> Policy:
    pid = policy_id if policy_id is not None else next_id()
    values = dict(
        policy_id=pid,
        policy_no=f"P{pid:06d}",
        line=Line.LIFE,
        product_code="WL01",
        product_name_zh="终身寿险",
        product_name_en="Whole life",
        status=PolicyStatus.IN_FORCE,
        policyholder_name="张丽",
        insured_name="张丽",
        beneficiaries="法定",
        start_date=date(2015, 1, 1),
        end_date=None,
        sum_assured=d("100000.00"),
        premium=d("5000.00"),
        payment_frequency=PaymentFrequency.ANNUAL,
        payment_term_years=20,
        cash_value=d("0.00"),
        loan_allowed=True,
        loan_rate=d("0.05"),
    )
    values.update(overrides)
    return Policy(**values)


def property_policy(policy_id: int | None = None, **overrides) -> Policy:
    values = dict(
        line=Line.PROPERTY,
        product_code="HOME1",
        product_name_zh="家财险",
        product_name_en="Home contents",
        payment_frequency=PaymentFrequency.SINGLE,
        payment_term_years=0,
        cash_value=d("0.00"),
        loan_allowed=False,
        loan_rate=d("0"),
        auto_renew=True,
    )
    values.update(overrides)
    return policy(policy_id, **values)


def installment(pol: Policy, due: date, amount: str = "5000.00", paid: date | None = None,
                installment_id: int | None = None) -> PremiumInstallment:
    return PremiumInstallment(
        installment_id=installment_id if installment_id is not None else next_id(),
        policy_id=pol.policy_id,
        due_date=due,
        amount=d(amount),
        paid_date=paid,
    )


def benefit(pol: Policy, payable: date, amount: str, paid: date | None = None,
            kind: BenefitKind = BenefitKind.SURVIVAL,
            benefit_id: int | None = None) -> BenefitItem:
    return BenefitItem(
        benefit_id=benefit_id if benefit_id is not None else next_id(),
        policy_id=pol.policy_id,
        kind=kind,
        payable_date=payable,
        amount=d(amount),
        paid_date=paid,
    )


def repayment(paid: date, principal: str = "0.00", interest: str = "0.00",
              loan_id: int = 0, repayment_id: int | None = None) -> LoanRepayment:
    return LoanRepayment(
        repayment_id=repayment_id if repayment_id is not None else next_id(),
        loan_id=loan_id,
        paid_date=paid,
        principal=d(principal),
        interest=d(interest),
    )


def loan(pol: Policy | None = None, principal: str = "10000.00", rate: str = "0.05",
         start: date = date(2025, 1, 1), due: date = date(2025, 12, 31),
         kind: LoanKind = LoanKind.POLICY_LOAN,
         repayments: tuple[LoanRepayment, ...] = (),
         loan_id: int | None = None) -> Loan:
    lid = loan_id if loan_id is not None else next_id()
    return Loan(
        loan_id=lid,
        policy_id=pol.policy_id if pol is not None else 1,
        loan_no=f"L{lid:06d}",
        kind=kind,
        principal=d(principal),
        annual_rate=d(rate),
        start_date=start,
        due_date=due,
        repayments=repayments,
    )


def movement(on: date, amount: str, kind: str = "premium") -> AccountMovement:
    return AccountMovement(
        movement_id=next_id(), account_id=0, occurred_on=on, kind=kind, amount=d(amount)
    )


def account(pol: Policy, movements: tuple[AccountMovement, ...] = (),
            minimum_balance: str = "1000.00",
            account_id: int | None = None) -> UniversalAccount:
    return UniversalAccount(
        account_id=account_id if account_id is not None else next_id(),
        policy_id=pol.policy_id,
        account_no="UA001",
        minimum_balance=d(minimum_balance),
        guaranteed_rate=d("0.025"),
        movements=movements,
    )


def event(at: datetime, kind: HistoryKind = HistoryKind.SERVICE, pol: Policy | None = None,
          amount: str | None = None, event_id: int | None = None) -> HistoryEvent:
    return HistoryEvent(
        event_id=event_id if event_id is not None else next_id(),
        policy_id=pol.policy_id if pol is not None else None,
        occurred_at=at,
        kind=kind,
        amount=d(amount) if amount is not None else None,
    )


def picture(policies=(), installments=(), benefits=(), loans=(), accounts=(),
            history=()) -> CustomerPicture:
    return CustomerPicture(
        customer_id=1,
        policies=tuple(policies),
        installments=tuple(installments),
        benefits=tuple(benefits),
        loans=tuple(loans),
        accounts=tuple(accounts),
        history=tuple(history),
    )

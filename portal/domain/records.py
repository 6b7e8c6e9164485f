"""Plain records of one customer's insurance picture.

These are what the data layer loads and what every domain rule works on. They carry no
database or UI concerns, so the rules that use them can be tested with hand-made values.
Money is Decimal yuan; dates are ``datetime.date``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum


class Line(str, Enum):
    LIFE = "life"  # 寿险
    PROPERTY = "property"  # 产险


class PolicyStatus(str, Enum):
    IN_FORCE = "in_force"  # 有效 (a policy in its grace period is still in force)
    LAPSED = "lapsed"  # 失效/中止: grace ended unpaid; reinstatable for 2 years
    TERMINATED = "terminated"  # 终止: surrendered, claimed out, cancelled
    MATURED = "matured"  # 满期终止


class PaymentFrequency(str, Enum):
    SINGLE = "single"  # 趸交
    ANNUAL = "annual"
    SEMI_ANNUAL = "semi_annual"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"


class Responsibility(str, Enum):
    DEATH = "death"  # 身故
    CRITICAL_ILLNESS = "critical_illness"  # 重疾
    DISABILITY = "disability"  # 残疾
    MEDICAL = "medical"  # 医疗
    RETIREMENT = "retirement"  # 养老储蓄
    PROPERTY_DAMAGE = "property_damage"  # 财产损失
    LIABILITY = "liability"  # 责任


class BenefitKind(str, Enum):
    SURVIVAL = "survival"  # 生存金
    MATURITY = "maturity"  # 满期金
    ANNUITY = "annuity"  # 养老金/年金
    DIVIDEND = "dividend"  # 红利


class LoanKind(str, Enum):
    POLICY_LOAN = "policy_loan"  # 保单借款 taken by the customer
    AUTOMATIC_PREMIUM_LOAN = "automatic_premium_loan"  # 保单垫交 taken by the insurer to keep cover


class HistoryKind(str, Enum):
    PREMIUM_PAID = "premium_paid"
    BENEFIT_PAID = "benefit_paid"
    LOAN_TAKEN = "loan_taken"
    LOAN_REPAID = "loan_repaid"
    ACCOUNT_MOVEMENT = "account_movement"
    POLICY_ISSUED = "policy_issued"
    POLICY_LAPSED = "policy_lapsed"
    POLICY_TERMINATED = "policy_terminated"
    POLICY_MATURED = "policy_matured"
    SERVICE = "service"  # manager visit and other servicing without its own kind
    POLICY_REINSTATED = "policy_reinstated"
    ACCOUNT_WITHDRAWAL = "account_withdrawal"
    AUTO_RENEW_CHANGED = "auto_renew_changed"
    PROFILE_UPDATED = "profile_updated"
    REQUEST_HELD = "request_held"  # a large loan waiting for its cooling-off day
    REQUEST_CANCELLED = "request_cancelled"
    REQUEST_REJECTED = "request_rejected"


@dataclass(frozen=True)
class Coverage:
    responsibility: Responsibility
    amount: Decimal


@dataclass(frozen=True)
class Policy:
    policy_id: int
    policy_no: str
    line: Line
    product_code: str
    product_name_zh: str
    product_name_en: str
    status: PolicyStatus
    policyholder_name: str
    insured_name: str
    beneficiaries: str  # as recorded, e.g. "张丽(配偶) 100%"; "法定" when none named
    start_date: date
    end_date: date | None  # None for whole-life cover
    sum_assured: Decimal
    premium: Decimal  # one installment
    payment_frequency: PaymentFrequency
    payment_term_years: int  # 0 for single premium
    cash_value: Decimal  # current cash value (0 for property and pure protection)
    loan_allowed: bool
    loan_rate: Decimal  # annual simple interest rate as a fraction, e.g. Decimal("0.05")
    auto_renew: bool = False  # short-term (one-year) policies only
    coverages: tuple[Coverage, ...] = ()
    status_date: date | None = None  # when it lapsed / terminated / matured
    short_term: bool = False  # a one-year product that can auto-renew


@dataclass(frozen=True)
class PremiumInstallment:
    installment_id: int
    policy_id: int
    due_date: date
    amount: Decimal
    paid_date: date | None = None  # None while unpaid

    @property
    def is_paid(self) -> bool:
        return self.paid_date is not None


@dataclass(frozen=True)
class BenefitItem:
    benefit_id: int
    policy_id: int
    kind: BenefitKind
    payable_date: date
    amount: Decimal
    paid_date: date | None = None  # None while not collected


@dataclass(frozen=True)
class LoanRepayment:
    repayment_id: int
    loan_id: int
    paid_date: date
    principal: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True)
class Loan:
    loan_id: int
    policy_id: int
    loan_no: str
    kind: LoanKind
    principal: Decimal  # amount originally lent
    annual_rate: Decimal  # simple interest, fraction per 365 days
    start_date: date
    due_date: date
    repayments: tuple[LoanRepayment, ...] = ()


@dataclass(frozen=True)
class AccountMovement:
    movement_id: int
    account_id: int
    occurred_on: date
    kind: str  # premium, interest, fee, withdrawal
    amount: Decimal  # signed: money in is positive


@dataclass(frozen=True)
class UniversalAccount:
    account_id: int
    policy_id: int
    account_no: str
    minimum_balance: Decimal
    guaranteed_rate: Decimal
    movements: tuple[AccountMovement, ...] = ()


@dataclass(frozen=True)
class HistoryEvent:
    event_id: int
    policy_id: int | None
    occurred_at: datetime
    kind: HistoryKind
    amount: Decimal | None  # None for servicing events without money
    note: str = ""


@dataclass(frozen=True)
class CustomerPicture:
    """Everything one customer holds: the input of the eleven-category roll-up."""

    customer_id: int
    policies: tuple[Policy, ...] = ()
    installments: tuple[PremiumInstallment, ...] = ()
    benefits: tuple[BenefitItem, ...] = ()
    loans: tuple[Loan, ...] = ()
    accounts: tuple[UniversalAccount, ...] = ()
    history: tuple[HistoryEvent, ...] = ()
    # Set when the history was counted instead of read (a page that shows only the
    # count): the history figure is then this count, with no lines.
    history_count: int | None = None

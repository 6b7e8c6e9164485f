"""The eleven benefit categories (11类权益事项) and the shape of their roll-up.

``portal.domain.rollup.roll_up`` fills these; pages only render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum


class Group(str, Enum):
    OVERVIEW = "overview"
    PAID = "paid"
    DUE = "due"
    CLAIMABLE = "claimable"
    LOANABLE = "loanable"


class Category(str, Enum):
    OVERVIEW = "overview"  # 1 保单概况
    HISTORY = "history"  # 2 历史记录
    PREMIUMS_PAID = "premiums_paid"  # 3 累计已交费
    BENEFITS_RECEIVED = "benefits_received"  # 4 累计已领款
    LOANS_TAKEN = "loans_taken"  # 5 累计已借款
    LOANS_REPAID = "loans_repaid"  # 6 累计已还款
    PREMIUM_DUE = "premium_due"  # 7 当前应交费
    CLAIMABLE = "claimable"  # 8 当前可领款
    LOANABLE = "loanable"  # 9 当前可借款
    REPAYMENT_DUE = "repayment_due"  # 10 当前应还款
    UNIVERSAL_ACCOUNTS = "universal_accounts"  # 11 万能个人账户


# Display order and grouping, as in PRODUCT.md.
CATEGORY_GROUPS: dict[Category, Group] = {
    Category.OVERVIEW: Group.OVERVIEW,
    Category.HISTORY: Group.OVERVIEW,
    Category.PREMIUMS_PAID: Group.PAID,
    Category.BENEFITS_RECEIVED: Group.PAID,
    Category.LOANS_TAKEN: Group.PAID,
    Category.LOANS_REPAID: Group.PAID,
    Category.PREMIUM_DUE: Group.DUE,
    Category.REPAYMENT_DUE: Group.DUE,
    Category.CLAIMABLE: Group.CLAIMABLE,
    Category.UNIVERSAL_ACCOUNTS: Group.CLAIMABLE,
    Category.LOANABLE: Group.LOANABLE,
}

# Categories whose figure is a count, not money.
COUNT_CATEGORIES = frozenset({Category.OVERVIEW, Category.HISTORY})


class ReminderKind(str, Enum):
    LAPSE_RISK = "lapse_risk"  # 保单失效: in grace period, or lapsed but reinstatable
    AUTOMATIC_PREMIUM_LOAN = "automatic_premium_loan"  # 保单垫交 outstanding
    RENEWAL_DUE = "renewal_due"  # 续期交费
    MONEY_TO_COLLECT = "money_to_collect"  # 款项领取
    LOAN_DUE = "loan_due"  # 保单借款 due within 30 days or overdue


@dataclass(frozen=True)
class CategoryLine:
    """One record under a figure. ``amount`` is what it contributes to the figure."""

    policy_id: int | None
    policy_no: str
    label: str  # a catalog key suffix: a benefit kind, a loan kind, a status, a history kind
    on_date: date | None
    amount: Decimal | None
    # Breakdown shown beside the amount, e.g. (("principal", 100.00), ("interest", 2.50)).
    parts: tuple[tuple[str, Decimal], ...] = ()
    record_id: int | None = None  # the installment / benefit / loan / account id


@dataclass(frozen=True)
class CategoryFigure:
    category: Category
    amount: Decimal | None  # None for count categories
    count: int
    lines: tuple[CategoryLine, ...]

    @property
    def group(self) -> Group:
        return CATEGORY_GROUPS[self.category]


@dataclass(frozen=True)
class Reminder:
    kind: ReminderKind
    policy_ids: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.policy_ids)


@dataclass(frozen=True)
class Rollup:
    as_of: date
    figures: dict[Category, CategoryFigure]
    reminders: tuple[Reminder, ...]
    counts_by_status: dict[str, int]
    counts_by_line: dict[str, int]

    def figure(self, category: Category) -> CategoryFigure:
        return self.figures[category]

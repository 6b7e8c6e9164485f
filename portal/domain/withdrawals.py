"""Partial withdrawal from a universal-life account (万能账户部分领取). Pure.

Rules (copied to the README):

* Only an in-force policy's account can be drawn on.
* The account may not fall below its minimum balance: at most value − minimum.
* A surrender charge by policy year comes out of the amount withdrawn: 5% in year 1,
  4%, 3%, 2%, 1% in years 2–5, nothing from year 6. Charge = amount × rate, rounded
  half-up to the fen; the customer receives amount − charge to the account on record.
* The account records two movements: ``withdrawal`` −(amount − charge) and ``fee`` −charge,
  so its value falls by exactly the amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.domain.dates import policy_year
from portal.domain.money import format_yuan, round_half_up
from portal.domain.records import Policy, PolicyStatus, UniversalAccount
from portal.domain.rejections import Rejected
from portal.domain.rollup import account_value

SURRENDER_CHARGE_BY_YEAR = (
    Decimal("0.05"),
    Decimal("0.04"),
    Decimal("0.03"),
    Decimal("0.02"),
    Decimal("0.01"),
)


def surrender_charge_rate(year: int) -> Decimal:
    if year < 1:
        raise ValueError(f"policy year {year}")
    return SURRENDER_CHARGE_BY_YEAR[year - 1] if year <= len(SURRENDER_CHARGE_BY_YEAR) else Decimal("0")


@dataclass(frozen=True)
class WithdrawalQuote:
    policy: Policy
    account: UniversalAccount
    value_before: Decimal
    amount: Decimal
    policy_year: int
    charge_rate: Decimal
    charge: Decimal

    @property
    def net_payout(self) -> Decimal:
        return self.amount - self.charge

    @property
    def value_after(self) -> Decimal:
        return self.value_before - self.amount


def available_to_withdraw(account: UniversalAccount, today: date) -> Decimal:
    return max(account_value(account, today) - account.minimum_balance, Decimal("0.00"))


def quote_withdrawal(
    policy: Policy, account: UniversalAccount, amount: Decimal, today: date
) -> WithdrawalQuote:
    if account.policy_id != policy.policy_id:
        raise ValueError("the account does not belong to this policy")
    if policy.status is not PolicyStatus.IN_FORCE:
        raise Rejected("error.policy_not_in_force", policy=policy.policy_no)
    available = available_to_withdraw(account, today)
    if amount > available:
        raise Rejected(
            "error.withdraw_above_available",
            available=format_yuan(available),
            minimum=format_yuan(account.minimum_balance),
        )
    year = policy_year(policy.start_date, today)
    rate = surrender_charge_rate(year)
    return WithdrawalQuote(
        policy=policy,
        account=account,
        value_before=account_value(account, today),
        amount=amount,
        policy_year=year,
        charge_rate=rate,
        charge=round_half_up(amount * rate),
    )

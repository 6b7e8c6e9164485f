"""Senior customers (60 and over): who they are, and the protections they get. Pure.

* ``SENIOR_AGE`` = 60, the age from which the portal offers large text (大字版) on first
  login and guards policy loans against screen-share fraud (seed 004: Ping An found that
  scammers steer seniors through policy loans by screen share, then move the money).
* Age is counted in whole years on ``today`` (a birthday on 29 February counts from
  1 March in common years).
* ``FRAUD_WARNING_VERSION``: the wording of the loan fraud warning the customer
  acknowledges; stored with each acknowledgement so a changed wording can be told apart.
* ``ACCOUNT_CHANGE_HOLD_DAYS`` = 7: a loan for a guarded customer whose payout account
  changed in the last 7 days is held for the cooling-off day whatever its amount
  (changing the account, then borrowing, is the classic scam pattern). Beside the
  general rule in ``portal.domain.loans`` (loans above ¥100,000 wait a day).
"""

from __future__ import annotations

from datetime import date, timedelta

SENIOR_AGE = 60
FRAUD_WARNING_VERSION = "fraud-warning-v1"
ACCOUNT_CHANGE_HOLD_DAYS = 7


def age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def is_senior(birth_date: date | None, today: date) -> bool:
    return birth_date is not None and age_on(birth_date, today) >= SENIOR_AGE


def fraud_guard_applies(birth_date: date | None, today: date, opted_in: bool) -> bool:
    """Seniors always; anyone else who turned it on."""
    return opted_in or is_senior(birth_date, today)


def account_change_holds_loan(account_changed_on: date | None, today: date) -> bool:
    """Whether a recent payout-account change holds a guarded customer's loan a day."""
    return account_changed_on is not None and today - account_changed_on < timedelta(days=ACCOUNT_CHANGE_HOLD_DAYS)

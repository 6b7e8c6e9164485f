from datetime import date

import pytest

from portal.domain import senior
from portal.domain.masking import mask_customer_no


@pytest.mark.parametrize(
    "birth, today, age",
    [
        (date(1966, 11, 21), date(2026, 11, 21), 60),  # the 60th birthday
        (date(1966, 11, 22), date(2026, 11, 21), 59),  # the day before it
        (date(1964, 2, 29), date(2025, 2, 28), 60),  # leap-day birthday counts from 1 March
        (date(1964, 2, 29), date(2025, 3, 1), 61),
    ],
)
def test_age_in_whole_years(birth, today, age):
    assert senior.age_on(birth, today) == age
    assert senior.is_senior(birth, today) is (age >= 60)


def test_the_guard_is_for_seniors_and_for_anyone_who_asks():
    today = date(2026, 11, 21)
    assert senior.fraud_guard_applies(date(1958, 5, 1), today, opted_in=False)
    assert not senior.fraud_guard_applies(date(1994, 5, 1), today, opted_in=False)
    assert senior.fraud_guard_applies(date(1994, 5, 1), today, opted_in=True)
    assert not senior.fraud_guard_applies(None, today, opted_in=False)


@pytest.mark.parametrize("days_ago, held", [(0, True), (6, True), (7, False), (30, False)])
def test_a_recent_account_change_holds_the_loan(days_ago, held):
    today = date(2026, 11, 21)
    from datetime import timedelta

    assert senior.account_change_holds_loan(today - timedelta(days=days_ago), today) is held
    assert senior.account_change_holds_loan(None, today) is False


def test_customer_number_masked_for_the_watermark():
    assert mask_customer_no("C2026000123") == "C2*****0123"
    assert mask_customer_no("C1") == "C1"

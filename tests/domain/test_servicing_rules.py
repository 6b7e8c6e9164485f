"""The self-service rules (由查转办), with every expected figure worked out by hand.

Expected amounts are computed in the comments, never by calling the code under test.
Every refusal is a ``Rejected`` whose catalog code and parameters are asserted.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from portal.domain.actions import ActionKind, available_actions
from portal.domain.amounts import parse_amount
from portal.domain.auto_renewal import AutoRenewalChange, change_auto_renewal
from portal.domain.dates import add_months, add_years, policy_year
from portal.domain.loans import loan_balance, quote_loan, quote_repayment
from portal.domain.premiums import payable_installments, scheduled_due_dates
from portal.domain.profile import BANKS, clean_address, clean_payout, clean_phone
from portal.domain.records import BenefitKind, Line, LoanKind, PaymentFrequency, PolicyStatus
from portal.domain.reinstatement import BackPremium, quote_reinstatement
from portal.domain.rejections import Rejected
from portal.domain.withdrawals import (
    available_to_withdraw,
    quote_withdrawal,
    surrender_charge_rate,
)
from tests.domain.factories import (
    TODAY,
    account,
    benefit,
    d,
    installment,
    loan,
    movement,
    picture,
    policy,
    property_policy,
    repayment,
)


def rejected(call, *args, **kwargs) -> Rejected:
    """The ``Rejected`` a call raises (fails the test if it raises nothing or something else)."""
    with pytest.raises(Rejected) as caught:
        call(*args, **kwargs)
    return caught.value


def assert_rejected(code: str, params: dict, call, *args, **kwargs) -> None:
    err = rejected(call, *args, **kwargs)
    assert (err.code, err.params) == (code, params)


# =========================================================================== amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("¥12.5", "12.50"),  # one decimal is padded to the fen
        ("￥12.5", "12.50"),  # full-width yen sign
        ("¥ 1,000", "1000.00"),
        ("5", "5.00"),
        (" 5 ", "5.00"),
        ("+5", "5.00"),
        (".5", "0.50"),
        ("0.01", "0.01"),  # the smallest amount
        ("１２３", "123.00"),  # full-width digits from a Chinese input method
        ("１，２３４．５６", "1234.56"),  # full-width separators too
        ("1.230", "1.23"),  # a trailing zero is not a third decimal
        ("1,000,000,000.00", "1000000000.00"),  # exactly the maximum
        (5, "5.00"),  # an int from a numeric form field
    ],
)
def test_parse_amount_accepts(text, expected):
    value = parse_amount(text)
    assert value == Decimal(expected)
    # Exactly two places, so str() is the fen-precise figure.
    assert str(value) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "error.amount_empty"),
        ("   ", "error.amount_empty"),
        ("¥", "error.amount_empty"),
        ("abc", "error.amount_not_number"),
        ("12元", "error.amount_not_number"),
        ("1.2.3", "error.amount_not_number"),
        ("1,23", "error.amount_not_number"),  # misplaced thousands separator
        ("1e5", "error.amount_not_number"),  # no exponents
        ("NaN", "error.amount_not_number"),
        ("١٠٠٠", "error.amount_not_number"),  # Arabic-Indic digits: Decimal() reads them as 1000
        ("۱۰۰۰", "error.amount_not_number"),  # Persian digits
        ("१०००", "error.amount_not_number"),  # Devanagari digits
        ("1,٠٠٠.00", "error.amount_not_number"),  # one foreign digit is enough
        ("𝟏𝟎𝟎𝟎", "error.amount_not_number"),  # mathematical bold digits
        ("²", "error.amount_not_number"),  # a superscript is a digit to str.isdigit
        ("9" * 5000, "error.amount_too_large"),
        pytest.param(10**5000, "error.amount_too_large", id="int-5001-digits"),  # str() of it raises ValueError
        ("Infinity", "error.amount_not_number"),
        (".", "error.amount_not_number"),
        ("-", "error.amount_not_number"),
        (None, "error.amount_not_number"),
        (1.5, "error.amount_not_number"),  # never through float
        (True, "error.amount_not_number"),  # bool is an int, but not an amount
        (Decimal("5"), "error.amount_not_number"),  # only typed text (or an int) is read
        ("-5", "error.amount_negative"),
        ("-0.01", "error.amount_negative"),
        ("－5", "error.amount_negative"),  # full-width minus
        (-5, "error.amount_negative"),
        ("0", "error.amount_zero"),
        ("0.00", "error.amount_zero"),
        ("-0", "error.amount_zero"),
        ("¥0", "error.amount_zero"),
        (0, "error.amount_zero"),
        ("1.234", "error.amount_decimals"),
        ("0.001", "error.amount_decimals"),
        ("１．２３４", "error.amount_decimals"),
        ("1000000000.01", "error.amount_too_large"),  # one fen above the maximum
        ("1,000,000,001", "error.amount_too_large"),
        ("9" * 40, "error.amount_too_large"),
        # Found by these tests: a long number with 3+ decimals used to escape as
        # decimal.InvalidOperation (quantize beyond the 28-digit context) instead of a refusal.
        ("1" * 29 + ".123", "error.amount_too_large"),
        ("1000000000.001", "error.amount_too_large"),  # size is checked before decimals
    ],
)
def test_parse_amount_refuses(text, code):
    assert_rejected(code, {}, parse_amount, text)


# ============================================================================= dates


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # the 31st falls back to the month end
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # …which is the 29th in a leap year
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 1, 30), 1, date(2025, 2, 28)),
        (date(2025, 2, 28), 1, date(2025, 3, 28)),  # not "month end to month end"
        (date(2025, 12, 15), 1, date(2026, 1, 15)),  # across the year end
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 1, 31), -2, date(2024, 11, 30)),  # backwards across the year end
        (date(2025, 6, 30), 0, date(2025, 6, 30)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),  # 29 Feb falls back to 28 Feb
        (date(2024, 2, 29), 4, date(2028, 2, 29)),  # …unless the target is a leap year
        (date(2023, 6, 30), 2, date(2025, 6, 30)),
    ],
)
def test_add_years(day, years, expected):
    assert add_years(day, years) == expected


@pytest.mark.parametrize(
    ("on", "year"),
    [
        (date(2020, 3, 15), 1),  # the start day itself
        (date(2021, 3, 14), 1),  # last day of year 1
        (date(2021, 3, 15), 2),  # the anniversary day starts year 2
        (date(2025, 3, 14), 5),
        (date(2025, 3, 15), 6),
    ],
)
def test_policy_year(on, year):
    assert policy_year(date(2020, 3, 15), on) == year


def test_policy_year_of_a_leap_day_start():
    # Anniversary of 29 Feb 2020 in 2021 is 28 Feb (add_years falls back).
    assert policy_year(date(2020, 2, 29), date(2021, 2, 27)) == 1
    assert policy_year(date(2020, 2, 29), date(2021, 2, 28)) == 2
    assert policy_year(date(2020, 2, 29), date(2024, 2, 28)) == 4
    assert policy_year(date(2020, 2, 29), date(2024, 2, 29)) == 5


def test_policy_year_before_the_start_is_an_error():
    with pytest.raises(ValueError):
        policy_year(date(2020, 3, 15), date(2020, 3, 14))


# ========================================================================== premiums


def test_payable_installments_takes_everything_due_within_30_days_oldest_first():
    p = policy(policy_id=1)
    other = policy(policy_id=2)
    # TODAY = 2025-06-30, so the window ends 2025-07-30.
    overdue = installment(p, date(2025, 6, 1), "5000.00", installment_id=11)  # 29 days overdue
    at_window_end = installment(p, date(2025, 7, 30), "5000.00", installment_id=12)
    installments = [
        at_window_end,
        installment(p, date(2025, 7, 31), "5000.00"),  # one day beyond the window
        installment(p, date(2025, 1, 1), "5000.00", paid=date(2025, 1, 1)),  # already paid
        installment(other, date(2025, 6, 15), "900.00"),  # another policy's
        overdue,
    ]
    payment = payable_installments(p, installments, TODAY)
    assert payment.policy == p
    assert payment.installments == (overdue, at_window_end)
    assert payment.amount == d("10000.00")  # 5000 + 5000


def test_payable_installments_sorts_same_day_installments_by_id():
    p = policy()
    second = installment(p, date(2025, 7, 1), "10.00", installment_id=2)
    first = installment(p, date(2025, 7, 1), "20.00", installment_id=1)
    assert payable_installments(p, [second, first], TODAY).installments == (first, second)


def test_payment_on_the_60th_day_of_grace_is_accepted():
    p = policy()
    # 2025-05-01 + 60 days: 30 more days of May → 31 May, + 30 days of June → 30 June.
    due = installment(p, date(2025, 5, 1), "5000.00")
    payment = payable_installments(p, [due], date(2025, 6, 30))
    assert payment.installments == (due,)
    assert payment.amount == d("5000.00")


def test_payment_on_the_61st_day_is_refused_grace_ended():
    p = policy()
    due = installment(p, date(2025, 5, 1), "5000.00")
    assert_rejected(
        "error.grace_ended", {"policy": p.policy_no},
        payable_installments, p, [due], date(2025, 7, 1),
    )


def test_one_installment_past_grace_blocks_the_whole_payment():
    p = policy()
    installments = [installment(p, date(2025, 4, 1)), installment(p, date(2025, 6, 1))]
    # 2025-04-01 + 60 days = 2025-05-31 < 2025-06-30.
    assert_rejected(
        "error.grace_ended", {"policy": p.policy_no},
        payable_installments, p, installments, TODAY,
    )


@pytest.mark.parametrize("status", [PolicyStatus.LAPSED, PolicyStatus.TERMINATED, PolicyStatus.MATURED])
def test_payment_refused_when_not_in_force(status):
    p = policy(status=status)
    assert_rejected(
        "error.policy_not_in_force", {"policy": p.policy_no},
        payable_installments, p, [installment(p, date(2025, 6, 15))], TODAY,
    )


def test_payment_refused_when_nothing_is_due():
    p = policy()
    installments = [
        installment(p, date(2025, 7, 31)),  # beyond today + 30
        installment(p, date(2025, 6, 1), paid=date(2025, 6, 1)),
        installment(policy(), date(2025, 6, 15)),  # a stranger's
    ]
    assert_rejected(
        "error.nothing_due", {"policy": p.policy_no},
        payable_installments, p, installments, TODAY,
    )


def test_scheduled_due_dates_annual():
    p = policy(start_date=date(2015, 1, 1), payment_term_years=20)
    assert scheduled_due_dates(p, None, date(2017, 6, 30)) == [
        date(2015, 1, 1), date(2016, 1, 1), date(2017, 1, 1),
    ]
    # ``after`` is exclusive, ``through`` inclusive.
    assert scheduled_due_dates(p, date(2015, 1, 1), date(2017, 1, 1)) == [
        date(2016, 1, 1), date(2017, 1, 1),
    ]
    assert scheduled_due_dates(p, date(2017, 1, 1), date(2017, 12, 31)) == []


def test_scheduled_due_dates_stop_at_the_payment_term():
    # A 3-year annual term has installments in 2015, 2016 and 2017 only.
    p = policy(start_date=date(2015, 1, 1), payment_term_years=3)
    assert scheduled_due_dates(p, None, date(2030, 1, 1)) == [
        date(2015, 1, 1), date(2016, 1, 1), date(2017, 1, 1),
    ]


def test_scheduled_due_dates_monthly_count_from_the_start_date():
    # Each date is start + n months (not chained), so March is back on the 31st.
    p = policy(start_date=date(2025, 1, 31), payment_frequency=PaymentFrequency.MONTHLY,
               payment_term_years=1)
    assert scheduled_due_dates(p, None, date(2025, 4, 30)) == [
        date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30),
    ]
    everything = scheduled_due_dates(p, None, date(2030, 1, 1))
    assert len(everything) == 12  # 1 year × 12
    assert everything[-1] == date(2025, 12, 31)


def test_scheduled_due_dates_quarterly_and_semi_annual():
    q = policy(start_date=date(2024, 11, 30), payment_frequency=PaymentFrequency.QUARTERLY,
               payment_term_years=10)
    assert scheduled_due_dates(q, None, date(2025, 8, 30)) == [
        date(2024, 11, 30), date(2025, 2, 28), date(2025, 5, 30), date(2025, 8, 30),
    ]
    s = policy(start_date=date(2024, 8, 31), payment_frequency=PaymentFrequency.SEMI_ANNUAL,
               payment_term_years=1)
    assert scheduled_due_dates(s, None, date(2030, 1, 1)) == [date(2024, 8, 31), date(2025, 2, 28)]


def test_single_premium_has_no_schedule():
    p = policy(payment_frequency=PaymentFrequency.SINGLE, payment_term_years=0)
    assert scheduled_due_dates(p, None, date(2030, 1, 1)) == []
    # A zero payment term also has nothing, whatever the frequency says.
    assert scheduled_due_dates(policy(payment_term_years=0), None, date(2030, 1, 1)) == []


# ============================================================================= loans


def test_quote_loan_worked_example():
    # Cash value 20,000.00 → limit 80% = 16,000.00. Nothing owed, nothing reserved.
    # 10,000.00 for 3 months from 2025-06-30 → due 2025-09-30.
    # Days: July 31 + August 31 + September 30 = 92.
    # Interest = 10,000 × 0.05 × 92 / 365 = 46,000 / 365 = 126.0273… → 126.03.
    p = policy(cash_value=d("20000.00"), loan_rate=d("0.05"))
    quote = quote_loan(p, [], d("10000.00"), 3, TODAY)
    assert quote.policy == p
    assert quote.amount == d("10000.00")
    assert quote.annual_rate == d("0.05")
    assert quote.start_date == date(2025, 6, 30)
    assert quote.due_date == date(2025, 9, 30)
    assert quote.interest_to_due == d("126.03")
    assert quote.repay_at_due == d("10126.03")
    assert quote.headroom == d("16000.00")
    assert quote.held is False


def test_quote_loan_interest_rounds_half_up():
    # 1,335.00 at 3.65% for 1 month from 2025-06-30 → due 2025-07-30, 30 days.
    #   1,335 × 0.0365 = 48.7275
    #   48.7275 × 30   = 1,461.825
    #   1,461.825 / 365 = 4.005 exactly (365 × 4 = 1,460; 1.825 = 365 × 0.005)
    # Half-up gives 4.01 (banker's rounding would give 4.00).
    p = policy(cash_value=d("20000.00"), loan_rate=d("0.0365"))
    quote = quote_loan(p, [], d("1335.00"), 1, TODAY)
    assert quote.due_date == date(2025, 7, 30)
    assert quote.interest_to_due == d("4.01")
    assert quote.repay_at_due == d("1339.01")


def test_quote_loan_headroom_rounds_the_limit_down_and_deducts_owed_and_reserved():
    # Limit: 12,345.67 × 0.80 = 9,876.536 → rounded DOWN 9,876.53.
    # Owed on the existing loan on 2025-06-30: 5,000 from 2025-01-01, 180 days
    #   (31 + 28 + 31 + 30 + 31 + 29): 5,000 × 0.05 × 180 / 365 = 45,000 / 365 = 123.2876… → 123.29,
    #   total due 5,123.29.
    # Headroom: 9,876.53 − 5,123.29 = 4,753.24; less 1,000.00 reserved = 3,753.24.
    p = policy(cash_value=d("12345.67"))
    existing = loan(p, principal="5000.00", start=date(2025, 1, 1))
    quote = quote_loan(p, [existing], d("3753.24"), 6, TODAY, reserved=d("1000.00"))
    assert quote.headroom == d("3753.24")
    assert quote.amount == d("3753.24")
    # Without the reservation the headroom is the full 4,753.24.
    assert quote_loan(p, [existing], d("500.00"), 1, TODAY).headroom == d("4753.24")
    # One fen above the headroom is refused, naming the headroom.
    assert_rejected(
        "error.loan_above_headroom", {"headroom": "¥3,753.24"},
        quote_loan, p, [existing], d("3753.25"), 6, TODAY, reserved=d("1000.00"),
    )


def test_quote_loan_minimum_is_500():
    p = policy(cash_value=d("20000.00"))
    assert quote_loan(p, [], d("500.00"), 1, TODAY).amount == d("500.00")
    assert_rejected(
        "error.loan_below_minimum", {"minimum": "¥500.00"},
        quote_loan, p, [], d("499.99"), 1, TODAY,
    )


def test_quote_loan_refused_when_headroom_is_below_the_minimum():
    # Limit 9,876.53 − owed 5,123.29 = 4,753.24; reserving 4,300.00 leaves 453.24 < 500.
    p = policy(cash_value=d("12345.67"))
    existing = loan(p, principal="5000.00", start=date(2025, 1, 1))
    assert_rejected(
        "error.loan_no_headroom", {"minimum": "¥500.00"},
        quote_loan, p, [existing], d("500.00"), 1, TODAY, reserved=d("4300.00"),
    )
    # A reservation larger than the headroom does not go negative: still "no headroom".
    assert_rejected(
        "error.loan_no_headroom", {"minimum": "¥500.00"},
        quote_loan, p, [existing], d("500.00"), 1, TODAY, reserved=d("99999.00"),
    )
    # Cash value 600 → limit 480 < 500.
    assert_rejected(
        "error.loan_no_headroom", {"minimum": "¥500.00"},
        quote_loan, policy(cash_value=d("600.00")), [], d("500.00"), 1, TODAY,
    )


@pytest.mark.parametrize("months", [1, 6])
def test_quote_loan_accepts_terms_of_1_to_6_months(months):
    p = policy(cash_value=d("20000.00"))
    quote = quote_loan(p, [], d("1000.00"), months, TODAY)
    # 2025-06-30 + 1 month = 2025-07-30; + 6 months = 2025-12-30.
    assert quote.due_date == {1: date(2025, 7, 30), 6: date(2025, 12, 30)}[months]


@pytest.mark.parametrize("months", [0, 7, -1, "3", 2.0])
def test_quote_loan_refuses_other_terms(months):
    p = policy(cash_value=d("20000.00"))
    assert_rejected(
        "error.loan_term", {"months": "6"}, quote_loan, p, [], d("1000.00"), months, TODAY,
    )


def test_quote_loan_term_ending_on_a_month_end():
    # From 2025-08-31, 6 months → 2026-02-28 (no 31 Feb).
    # Days: Sep 30 + Oct 31 + Nov 30 + Dec 31 + Jan 31 + Feb 28 = 181.
    # 1,000 × 0.05 × 181 / 365 = 9,050 / 365 = 24.7945… → 24.79.
    p = policy(cash_value=d("20000.00"))
    quote = quote_loan(p, [], d("1000.00"), 6, date(2025, 8, 31))
    assert quote.due_date == date(2026, 2, 28)
    assert quote.interest_to_due == d("24.79")


@pytest.mark.parametrize(
    "unable",
    [
        dict(line=Line.PROPERTY, cash_value=d("20000.00")),
        dict(status=PolicyStatus.LAPSED, cash_value=d("20000.00")),
        dict(status=PolicyStatus.TERMINATED, cash_value=d("20000.00")),
        dict(loan_allowed=False, cash_value=d("20000.00")),
        dict(cash_value=d("0.00")),
    ],
)
def test_quote_loan_refused_when_the_policy_cannot_lend(unable):
    p = policy(**unable)
    assert_rejected(
        "error.loan_not_allowed", {"policy": p.policy_no},
        quote_loan, p, [], d("1000.00"), 1, TODAY,
    )


def test_loan_above_100000_is_held_exactly_100000_is_not():
    # Cash value 200,000 → limit 160,000, enough for both.
    p = policy(cash_value=d("200000.00"))
    assert quote_loan(p, [], d("100000.00"), 1, TODAY).held is False
    assert quote_loan(p, [], d("100000.01"), 1, TODAY).held is True


def test_quote_loan_start_shifts_the_dates():
    # Held loan paid out on 2025-07-01: 1 month → 2025-08-01, 31 days.
    #   10,000 × 0.05 × 31 / 365 = 15,500 / 365 = 42.4657… → 42.47.
    # Starting today instead: 2025-07-30, 30 days: 15,000 / 365 = 41.0958… → 41.10.
    p = policy(cash_value=d("200000.00"))
    shifted = quote_loan(p, [], d("10000.00"), 1, TODAY, start=date(2025, 7, 1))
    assert (shifted.start_date, shifted.due_date) == (date(2025, 7, 1), date(2025, 8, 1))
    assert shifted.interest_to_due == d("42.47")
    today_quote = quote_loan(p, [], d("10000.00"), 1, TODAY)
    assert (today_quote.start_date, today_quote.due_date) == (TODAY, date(2025, 7, 30))
    assert today_quote.interest_to_due == d("41.10")


# -------------------------------------------------------------------- repayments

JAN1 = date(2025, 1, 1)
MAR15 = date(2025, 3, 15)  # Jan 1 + 73 days (31 + 28 + 14)


def _ten_thousand():
    # 10,000 at 5% from Jan 1; on Mar 15: 10,000 × 0.05 × 73/365 = 100.00 interest,
    # total due 10,100.00.
    return loan(principal="10000.00", rate="0.05", start=JAN1)


def test_repayment_pays_interest_first():
    quote = quote_repayment(_ten_thousand(), d("60.00"), MAR15)
    assert (quote.interest_part, quote.principal_part) == (d("60.00"), d("0.00"))
    assert quote.balance.total_due == d("10100.00")
    assert quote.remaining == d("10040.00")
    assert quote.closes_loan is False

    quote = quote_repayment(_ten_thousand(), d("1100.00"), MAR15)
    # 100.00 of interest first, the other 1,000.00 to principal.
    assert (quote.interest_part, quote.principal_part) == (d("100.00"), d("1000.00"))
    assert quote.remaining == d("9000.00")
    assert quote.closes_loan is False


def test_paying_the_total_due_closes_the_loan():
    # 5,000 from Jan 1 to Jun 30 (180 days): 45,000 / 365 = 123.2876… → 123.29; due 5,123.29.
    b = loan(principal="5000.00", rate="0.05", start=JAN1)
    quote = quote_repayment(b, d("5123.29"), TODAY)
    assert (quote.interest_part, quote.principal_part) == (d("123.29"), d("5000.00"))
    assert quote.remaining == d("0.00")
    assert quote.closes_loan is True
    # Recording it leaves nothing owed (the 0.0024 paid above the exact interest is a credit).
    paid = replace(b, repayments=(repayment(TODAY, "5000.00", "123.29", loan_id=b.loan_id),))
    assert loan_balance(paid, TODAY).total_due == d("0.00")
    assert_rejected("error.loan_closed", {"loan": b.loan_no}, quote_repayment, paid, d("0.01"), TODAY)


def test_repayment_above_the_total_due_is_refused():
    assert_rejected(
        "error.repay_above_due", {"due": "¥10,100.00"},
        quote_repayment, _ten_thousand(), d("10100.01"), MAR15,
    )


def test_repaying_a_closed_loan_is_refused():
    b = loan(
        principal="10000.00", start=JAN1,
        repayments=(repayment(MAR15, principal="10000.00", interest="100.00"),),
    )
    assert_rejected("error.loan_closed", {"loan": b.loan_no}, quote_repayment, b, d("1.00"), TODAY)


# ======================================================================= withdrawals


def _universal(start: date, status=PolicyStatus.IN_FORCE):
    p = policy(start_date=start, status=status)
    acct = account(
        p,
        movements=(
            movement(date(2025, 1, 1), "10000.00"),
            movement(date(2025, 3, 1), "50.50", kind="interest"),
            movement(date(2025, 4, 1), "-0.50", kind="fee"),
            movement(date(2025, 7, 15), "999.00"),  # after today: not in the value yet
        ),
        minimum_balance="1000.00",
    )
    # Value on 2025-06-30: 10,000.00 + 50.50 − 0.50 = 10,050.00; available 9,050.00.
    return p, acct


@pytest.mark.parametrize(
    ("start", "year", "rate", "charge"),
    [
        # Amount 1,000.50 throughout; today is 2025-06-30.
        (date(2024, 7, 1), 1, "0.05", "50.03"),  # 50.025 → half-up 50.03
        (date(2024, 6, 30), 2, "0.04", "40.02"),  # anniversary day is year 2; 40.02 exactly
        (date(2023, 6, 30), 3, "0.03", "30.02"),  # 30.015 → 30.02
        (date(2022, 6, 30), 4, "0.02", "20.01"),  # 20.01 exactly
        (date(2021, 6, 30), 5, "0.01", "10.01"),  # 10.005 → half-up 10.01 (half-even: 10.00)
        (date(2020, 6, 30), 6, "0", "0.00"),
        (date(2010, 1, 1), 16, "0", "0.00"),
    ],
)
def test_withdrawal_charge_by_policy_year(start, year, rate, charge):
    p, acct = _universal(start)
    quote = quote_withdrawal(p, acct, d("1000.50"), TODAY)
    assert quote.policy_year == year
    assert quote.charge_rate == d(rate)
    assert quote.charge == d(charge)
    assert quote.net_payout == d("1000.50") - d(charge)
    assert quote.value_before == d("10050.00")
    assert quote.value_after == d("9049.50")  # 10,050.00 − 1,000.50


def test_withdrawal_up_to_value_minus_minimum():
    p, acct = _universal(date(2010, 1, 1))
    assert available_to_withdraw(acct, TODAY) == d("9050.00")
    quote = quote_withdrawal(p, acct, d("9050.00"), TODAY)
    assert quote.value_after == d("1000.00")  # exactly the minimum balance
    assert_rejected(
        "error.withdraw_above_available", {"available": "¥9,050.00", "minimum": "¥1,000.00"},
        quote_withdrawal, p, acct, d("9050.01"), TODAY,
    )


def test_account_below_its_minimum_has_nothing_available():
    p = policy()
    acct = account(p, movements=(movement(date(2025, 1, 1), "800.00"),), minimum_balance="1000.00")
    assert available_to_withdraw(acct, TODAY) == d("0.00")
    assert_rejected(
        "error.withdraw_above_available", {"available": "¥0.00", "minimum": "¥1,000.00"},
        quote_withdrawal, p, acct, d("0.01"), TODAY,
    )


@pytest.mark.parametrize("status", [PolicyStatus.LAPSED, PolicyStatus.TERMINATED, PolicyStatus.MATURED])
def test_withdrawal_refused_when_not_in_force(status):
    p, acct = _universal(date(2010, 1, 1), status=status)
    assert_rejected(
        "error.policy_not_in_force", {"policy": p.policy_no},
        quote_withdrawal, p, acct, d("100.00"), TODAY,
    )


def test_withdrawal_from_another_policys_account_is_an_error():
    p, acct = _universal(date(2010, 1, 1))
    with pytest.raises(ValueError):
        quote_withdrawal(policy(), acct, d("100.00"), TODAY)


def test_surrender_charge_rate_rejects_year_zero():
    with pytest.raises(ValueError):
        surrender_charge_rate(0)


# ===================================================================== reinstatement

LAPSED_ON = date(2024, 6, 30)  # 2024-05-01 installment + 60 days of grace


def _lapsed(**overrides):
    values = dict(
        status=PolicyStatus.LAPSED,
        status_date=LAPSED_ON,
        start_date=date(2021, 5, 1),
        premium=d("5000.00"),
        payment_frequency=PaymentFrequency.ANNUAL,
        payment_term_years=20,
        cash_value=d("30000.00"),
    )
    values.update(overrides)
    return policy(**values)


def test_reinstatement_worked_example():
    p = _lapsed()
    recorded_unpaid = installment(p, date(2024, 5, 1), "4800.00", installment_id=501)
    installments = [
        installment(p, date(2021, 5, 1), paid=date(2021, 5, 1)),
        installment(p, date(2022, 5, 1), paid=date(2022, 5, 1)),
        installment(p, date(2023, 5, 1), paid=date(2023, 5, 1)),
        recorded_unpaid,
        installment(policy(), date(2024, 5, 1), "777.00"),  # a stranger's
    ]
    # Loan of 2,000 at 5% from 2024-01-01: to 2025-06-30 is 366 (2024 is a leap year) + 180
    # = 546 days; 2,000 × 0.05 × 546 / 365 = 54,600 / 365 = 149.5890… → 149.59;
    # total due 2,149.59.
    owing = loan(p, principal="2000.00", rate="0.05", start=date(2024, 1, 1),
                 due=date(2024, 7, 1), kind=LoanKind.AUTOMATIC_PREMIUM_LOAN)
    closed = loan(p, principal="1000.00", start=date(2023, 1, 1),
                  repayments=(repayment(date(2023, 1, 1), principal="1000.00"),))
    stranger = loan(policy(), principal="9999.00", start=date(2024, 1, 1))

    quote = quote_reinstatement(p, installments, [owing, closed, stranger], TODAY, True)

    # Back premiums, to 2025-06-30:
    #  1. recorded 2024-05-01, 4,800.00: 365 days to 2025-05-01 (no 29 Feb in between)
    #     + 60 days to 2025-06-30 = 425 days.
    #     4,800 × 0.05 × 425 / 365 = 102,000 / 365 = 279.4520… → 279.45
    #  2. schedule 2025-05-01 (after the last recorded 2024-05-01), premium 5,000.00: 60 days.
    #     5,000 × 0.05 × 60 / 365 = 15,000 / 365 = 41.0958… → 41.10
    assert quote.back_premiums == (
        BackPremium(date(2024, 5, 1), d("4800.00"), d("279.45"), 501),
        BackPremium(date(2025, 5, 1), d("5000.00"), d("41.10"), None),
    )
    assert quote.premiums == d("9800.00")  # 4,800 + 5,000
    assert quote.interest == d("320.55")  # 279.45 + 41.10
    # Only the loan still owing is paid off.
    assert [payoff.loan for payoff in quote.loans] == [owing]
    assert quote.loans[0].balance.total_due == d("2149.59")
    assert quote.loans_owed == d("2149.59")
    # 9,800.00 + 320.55 + 2,149.59 = 12,270.14
    assert quote.amount == d("12270.14")


def test_reinstatement_raises_the_schedule_after_the_last_recorded_installment():
    # Last recorded (paid) installment 2023-05-01; the schedule raises 2024-05-01 and
    # 2025-05-01 at the policy premium, 5,000.00 each.
    #  2024-05-01: 425 days → 5,000 × 0.05 × 425 / 365 = 106,250 / 365 = 291.0958… → 291.10
    #  2025-05-01:  60 days → 15,000 / 365 = 41.0958… → 41.10
    p = _lapsed()
    installments = [installment(p, date(2023, 5, 1), paid=date(2023, 5, 1))]
    quote = quote_reinstatement(p, installments, [], TODAY, True)
    assert quote.back_premiums == (
        BackPremium(date(2024, 5, 1), d("5000.00"), d("291.10"), None),
        BackPremium(date(2025, 5, 1), d("5000.00"), d("41.10"), None),
    )
    assert quote.loans == ()
    assert quote.amount == d("10332.20")  # 10,000.00 + 291.10 + 41.10


def test_reinstatement_ignores_installments_due_after_today():
    # A recorded future installment is neither a back premium nor a reason to raise
    # scheduled ones before it.
    p = _lapsed()
    installments = [
        installment(p, date(2025, 5, 1), "5000.00", installment_id=601),
        installment(p, date(2026, 5, 1), "5000.00", installment_id=602),
    ]
    quote = quote_reinstatement(p, installments, [], TODAY, True)
    # 2025-05-01 → 2025-06-30 = 60 days: 41.10 (as above).
    assert quote.back_premiums == (BackPremium(date(2025, 5, 1), d("5000.00"), d("41.10"), 601),)


def test_reinstatement_window_is_two_years_from_the_lapse():
    p = _lapsed()
    last_day = date(2026, 6, 30)  # 2024-06-30 + 2 years
    assert quote_reinstatement(p, [], [], last_day, True).policy == p
    assert_rejected(
        "error.not_reinstatable", {"policy": p.policy_no},
        quote_reinstatement, p, [], [], date(2026, 7, 1), True,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        dict(status=PolicyStatus.IN_FORCE),
        dict(status=PolicyStatus.TERMINATED),
        dict(status=PolicyStatus.MATURED),
        dict(status_date=None),  # no recorded lapse date: no promise
        dict(end_date=date(2025, 6, 29)),  # cover already ended
    ],
)
def test_reinstatement_refused(overrides):
    p = _lapsed(**overrides)
    assert_rejected(
        "error.not_reinstatable", {"policy": p.policy_no},
        quote_reinstatement, p, [], [], TODAY, True,
    )


def test_reinstatement_refused_when_health_changed():
    assert_rejected("error.health_changed", {}, quote_reinstatement, _lapsed(), [], [], TODAY, False)


# ====================================================================== auto-renewal


def _short_term(**overrides):
    values = dict(short_term=True, end_date=date(2025, 12, 31), auto_renew=True)
    values.update(overrides)
    return property_policy(**values)


def test_auto_renewal_switch_takes_effect_the_day_after_the_end_date():
    p = _short_term(auto_renew=True)
    assert change_auto_renewal(p, False, TODAY) == AutoRenewalChange(p, False, date(2026, 1, 1))
    q = _short_term(auto_renew=False)
    assert change_auto_renewal(q, True, TODAY) == AutoRenewalChange(q, True, date(2026, 1, 1))


def test_auto_renewal_on_the_last_day_of_cover():
    p = _short_term(end_date=TODAY)
    assert change_auto_renewal(p, False, TODAY).effective_from == date(2025, 7, 1)


def test_auto_renewal_unchanged_is_refused():
    assert_rejected("error.auto_renew_unchanged", {}, change_auto_renewal, _short_term(), True, TODAY)


@pytest.mark.parametrize(
    "p",
    [
        _short_term(short_term=False),
        _short_term(end_date=None),
        policy(),  # whole life
    ],
)
def test_auto_renewal_needs_a_short_term_policy(p):
    assert_rejected("error.not_short_term", {"policy": p.policy_no}, change_auto_renewal, p, False, TODAY)


@pytest.mark.parametrize(
    "p",
    [
        _short_term(status=PolicyStatus.LAPSED),
        _short_term(status=PolicyStatus.TERMINATED),
        _short_term(end_date=date(2025, 6, 29)),  # ended yesterday
    ],
)
def test_auto_renewal_needs_cover_in_force(p):
    assert_rejected(
        "error.policy_not_in_force", {"policy": p.policy_no}, change_auto_renewal, p, False, TODAY,
    )


# =========================================================================== profile


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        (" 19912345678 ", "19912345678"),
        # Full-width digits from a Chinese input method are read and stored as ASCII
        # (found by these tests: a mix used to be stored exactly as typed).
        ("１３８００１３８０００", "13800138000"),
        ("13８００１３８０００", "13800138000"),
    ],
)
def test_clean_phone(text, expected):
    assert clean_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "12800138000",  # second digit 2
        "1380013800",  # 10 digits
        "138001380000",  # 12 digits
        "+86 138 0013 8000",
        "23800138000",
        "",
        None,
        13800138000,  # not typed text
        "138٠٠١٣٨٠٠٠",  # Arabic-Indic digits used to be accepted and stored as typed
    ],
)
def test_clean_phone_refuses(text):
    assert_rejected("error.phone_invalid", {}, clean_phone, text)


def test_clean_address():
    assert clean_address("  北京市 朝阳区  建国路 1 号 ") == "北京市 朝阳区 建国路 1 号"
    assert clean_address("北京市朝阳区建国路88号") == "北京市朝阳区建国路88号"
    assert clean_address("12 O'Brien Street, Dublin") == "12 O'Brien Street, Dublin"
    assert clean_address("一二三四五") == "一二三四五"  # 5 characters: the minimum
    assert clean_address("路" * 120) == "路" * 120  # 120: the maximum


@pytest.mark.parametrize("text", ["一二三四", "路" * 121, "     ", "", None])
def test_clean_address_refuses(text):
    assert_rejected("error.address_invalid", {}, clean_address, text)


@pytest.mark.parametrize(
    "text",
    ["北京市\x00朝阳区", "北京市朝阳区\t建国路", "北京市\n朝阳区建国路", "北京市\u200b朝阳区建国路",
     "北京市朝阳区\u202e路国建", "北京市\u2066朝阳区\u2069建国路", "\ufeff北京市朝阳区建国路", "北京市\x7f朝阳区"],
)
def test_clean_address_refuses_control_and_invisible_characters(text):
    assert_rejected("error.address_control_chars", {}, clean_address, text)


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+86 北京市朝阳区", "-北京市朝阳区建国路", "@SUM(1+1)*cmd"])
def test_clean_address_refuses_formula_like_text(text):
    assert_rejected("error.address_formula", {}, clean_address, text)


def test_clean_payout():
    assert clean_payout("招商银行", "6222 0212 3456 7890") == ("招商银行", "6222021234567890")
    assert clean_payout("中国银行", "6222-0212-3456") == ("中国银行", "622202123456")  # 12 digits
    assert clean_payout("交通银行", "1" * 19) == ("交通银行", "1" * 19)  # 19 digits
    # Full-width digits are read as digits and stored in ASCII (found by these tests: they
    # used to be stored full-width).
    assert clean_payout("兴业银行", "６２２２０２１２３４５６７８９０") == ("兴业银行", "6222021234567890")


def test_every_listed_bank_is_accepted():
    for bank in BANKS:
        assert clean_payout(bank, "622202123456") == (bank, "622202123456")


@pytest.mark.parametrize("bank", ["花旗银行", "", None, "招商"])
def test_clean_payout_refuses_unlisted_banks(bank):
    assert_rejected("error.bank_invalid", {}, clean_payout, bank, "622202123456")


@pytest.mark.parametrize(
    "number",
    ["62220212345", "1" * 20, "6222O21234567890", "", None, 622202123456, "٦٢٢٢٠٢١٢٣٤٥٦"],
)
def test_clean_payout_refuses_bad_account_numbers(number):
    assert_rejected("error.account_invalid", {}, clean_payout, "招商银行", number)


# =========================================================================== actions


def test_actions_of_a_busy_life_policy():
    p = policy(cash_value=d("20000.00"))
    pic = picture(
        policies=[p],
        installments=[installment(p, date(2025, 7, 15))],  # within today + 30
        benefits=[benefit(p, date(2025, 6, 1), "1000.00")],  # payable, not collected
        loans=[loan(p, principal="5000.00", start=date(2025, 1, 1))],  # owes 5,123.29
        accounts=[account(p, movements=(movement(date(2025, 1, 1), "5000.00"),))],
    )
    # Headroom 16,000.00 − 5,123.29 = 10,876.71 ≥ 500.
    assert available_actions(p, pic, TODAY) == [
        ActionKind.PAY_PREMIUM,
        ActionKind.TAKE_LOAN,
        ActionKind.REPAY_LOAN,
        ActionKind.COLLECT_BENEFIT,
        ActionKind.WITHDRAW,
    ]


def test_actions_of_a_quiet_life_policy():
    # Headroom 600 × 80% = 480 < 500; nothing due; the benefit is not payable until tomorrow;
    # the stranger's records do not count.
    p = policy(cash_value=d("600.00"))
    stranger = policy(cash_value=d("20000.00"))
    pic = picture(
        policies=[p, stranger],
        installments=[
            installment(p, date(2025, 7, 31)),
            installment(stranger, date(2025, 7, 1)),
        ],
        benefits=[
            benefit(p, date(2025, 7, 1), "1000.00"),
            benefit(p, date(2025, 1, 1), "1000.00", paid=date(2025, 1, 2)),
            benefit(stranger, date(2025, 1, 1), "1000.00"),
        ],
        loans=[loan(stranger, principal="1000.00", start=date(2025, 1, 1))],
        accounts=[account(stranger)],
    )
    assert available_actions(p, pic, TODAY) == []


def test_actions_of_a_short_term_property_policy():
    p = property_policy(short_term=True, end_date=date(2025, 12, 31), auto_renew=False)
    pic = picture(policies=[p], installments=[installment(p, date(2025, 7, 1), "300.00")])
    assert available_actions(p, pic, TODAY) == [ActionKind.PAY_PREMIUM, ActionKind.AUTO_RENEW]
    ended = replace(p, end_date=date(2025, 6, 29))
    assert available_actions(ended, picture(policies=[ended]), TODAY) == []


def test_actions_of_a_lapsed_policy():
    p = _lapsed()
    owing = loan(p, principal="2000.00", start=date(2024, 1, 1))
    pic = picture(
        policies=[p],
        installments=[installment(p, date(2024, 5, 1))],  # lapsed: not payable as a renewal
        loans=[owing],
        accounts=[account(p, movements=(movement(date(2022, 1, 1), "5000.00"),))],
    )
    # No new loans or withdrawals on a lapsed policy; the loan can still be repaid.
    assert available_actions(p, pic, TODAY) == [ActionKind.REPAY_LOAN, ActionKind.REINSTATE]
    # Past the 2-year window it is no longer reinstatable.
    assert available_actions(p, pic, date(2026, 7, 1)) == [ActionKind.REPAY_LOAN]


def test_actions_of_a_matured_policy_with_sleeping_money():
    p = policy(status=PolicyStatus.MATURED, status_date=date(2024, 1, 1), cash_value=d("0.00"))
    pic = picture(policies=[p], benefits=[benefit(p, date(2024, 1, 1), "20000.00",
                                                  kind=BenefitKind.MATURITY)])
    assert available_actions(p, pic, TODAY) == [ActionKind.COLLECT_BENEFIT]


def test_actions_past_grace_offer_no_renewal_payment():
    # 2025-04-01 + 60 days = 2025-05-31, before today: grace ended.
    p = policy(cash_value=d("0.00"))
    pic = picture(policies=[p], installments=[installment(p, date(2025, 4, 1))])
    assert available_actions(p, pic, TODAY) == []

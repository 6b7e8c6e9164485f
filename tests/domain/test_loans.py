from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.loans import (
    LOAN_TO_CASH_VALUE,
    LoanBalance,
    loan_balance,
    loan_headroom,
    simple_interest,
    split_repayment,
)
from portal.domain.records import Line, LoanKind, PolicyStatus
from tests.domain.factories import d, loan, policy, property_policy, repayment

JAN1 = date(2025, 1, 1)
MAR15 = date(2025, 3, 15)  # Jan 1 + 73 days (31 + 28 + 14)
JUN13 = date(2025, 6, 13)  # Mar 15 + 90 days (16 + 30 + 31 + 13)


# ------------------------------------------------------------------ simple_interest


def test_simple_interest_is_exact():
    # 10000 × 5% × 73/365 = 100
    assert simple_interest(d("10000"), d("0.05"), 73) == Decimal("100")
    # 1000 × 5% × 1/365 = 0.136986… — not rounded by the helper
    one_day = simple_interest(d("1000"), d("0.05"), 1)
    assert one_day != Decimal("0.14")
    assert Decimal("0.13698") < one_day < Decimal("0.13699")


def test_simple_interest_rejects_negative_days():
    with pytest.raises(ValueError):
        simple_interest(d("1000"), d("0.05"), -1)


# --------------------------------------------------------------------- loan_balance


def test_no_repayment_accrues_interest():
    b = loan(principal="10000.00", rate="0.05", start=JAN1)
    # 10000 × 5% × 73/365 = 100.00
    assert loan_balance(b, MAR15) == LoanBalance(
        outstanding_principal=d("10000.00"),
        accrued_interest=d("100.00"),
        total_due=d("10100.00"),
        repaid_principal=d("0.00"),
        repaid_interest=d("0.00"),
    )


def test_interest_across_a_partial_repayment():
    b = loan(
        principal="10000.00",
        rate="0.05",
        start=JAN1,
        repayments=(repayment(MAR15, principal="4000.00", interest="100.00"),),
    )
    bal = loan_balance(b, JUN13)
    # first 73 days on 10000: 100.00, paid off on Mar 15.
    # next 90 days on 6000: 6000 × 5% × 90/365 = 27000/365 = 73.9726… → 73.97
    assert bal.outstanding_principal == d("6000.00")
    assert bal.accrued_interest == d("73.97")
    assert bal.total_due == d("6073.97")  # 6000.00 + 73.97
    assert bal.repaid_principal == d("4000.00")
    assert bal.repaid_interest == d("100.00")


def test_interest_partly_paid_stays_owed():
    b = loan(start=JAN1, repayments=(repayment(MAR15, principal="0.00", interest="40.00"),))
    # 10000 × 5% × 73/365 = 100.00 accrued, 40.00 paid → 60.00 unpaid
    assert loan_balance(b, MAR15).accrued_interest == d("60.00")


def test_interest_rounded_once_at_the_end():
    b = loan(
        principal="1000.00",
        rate="0.05",
        start=JAN1,
        repayments=(repayment(date(2025, 1, 2), interest="0.10"),),
    )
    # 1000 × 5% × 1/365 = 0.136986… per day; two days 0.273972… − 0.10 paid = 0.173972… → 0.17
    # (rounding each day would give 0.14 + 0.14 − 0.10 = 0.18)
    assert loan_balance(b, date(2025, 1, 3)).accrued_interest == d("0.17")


def test_repayment_after_the_date_is_ignored():
    b = loan(start=JAN1, repayments=(repayment(MAR15, principal="5000.00", interest="100.00"),))
    bal = loan_balance(b, MAR15 - timedelta(days=1))
    # 72 days on 10000: 10000 × 5% × 72/365 = 36000/365 = 98.630… → 98.63
    assert bal.outstanding_principal == d("10000.00")
    assert bal.accrued_interest == d("98.63")
    assert bal.repaid_principal == d("0.00")
    assert bal.repaid_interest == d("0.00")


def test_repayments_applied_in_date_order_whatever_the_input_order():
    later = repayment(JUN13, principal="1000.00")
    earlier = repayment(MAR15, principal="4000.00", interest="100.00")
    b = loan(start=JAN1, repayments=(later, earlier))
    # Jan 1–Mar 15: 100.00 accrued and paid; Mar 15–Jun 13 on 6000: 73.9726…; after: 5000
    bal = loan_balance(b, JUN13)
    assert bal.outstanding_principal == d("5000.00")  # 10000 − 4000 − 1000
    assert bal.accrued_interest == d("73.97")


def test_fully_repaid_loan_owes_nothing():
    b = loan(start=JAN1, repayments=(repayment(MAR15, principal="10000.00", interest="100.00"),))
    for on in (MAR15, JUN13, date(2030, 1, 1)):
        bal = loan_balance(b, on)
        assert bal.total_due == d("0.00")
        assert bal.outstanding_principal == d("0.00")
        assert bal.accrued_interest == d("0.00")
        assert bal.repaid_principal == d("10000.00")
        assert bal.repaid_interest == d("100.00")


def test_principal_repaid_but_interest_not_still_owes_interest():
    b = loan(start=JAN1, repayments=(repayment(MAR15, principal="10000.00"),))
    bal = loan_balance(b, JUN13)
    assert bal.outstanding_principal == d("0.00")
    assert bal.accrued_interest == d("100.00")  # 73 days on 10000, nothing after
    assert bal.total_due == d("100.00")


def test_rounded_up_interest_payment_leaves_nothing_owed_and_nothing_negative():
    jan19 = date(2025, 1, 19)
    b = loan(principal="1000.00", start=JAN1)
    bal = loan_balance(b, jan19)
    # 1000 × 5% × 18/365 = 900/365 = 2.4657… → 2.47
    assert bal.total_due == d("1002.47")
    interest, principal = split_repayment(d("1002.47"), bal)
    assert (interest, principal) == (d("2.47"), d("1000.00"))
    repaid = loan(
        principal="1000.00",
        start=JAN1,
        repayments=(repayment(jan19, principal=str(principal), interest=str(interest)),),
    )
    after = loan_balance(repaid, date(2025, 3, 1))
    assert after.accrued_interest == d("0.00")
    assert str(after.total_due) == "0.00"  # not "-0.00"


def test_before_the_loan_starts_nothing_is_owed():
    bal = loan_balance(loan(start=MAR15), JAN1)
    assert bal.total_due == d("0.00")
    assert bal.outstanding_principal == d("0.00")


def test_over_repaid_principal_is_corrupt():
    b = loan(principal="1000.00", start=JAN1, repayments=(repayment(MAR15, principal="1000.01"),))
    with pytest.raises(ValueError):
        loan_balance(b, JUN13)


def test_repayment_before_the_loan_is_corrupt():
    b = loan(start=MAR15, repayments=(repayment(JAN1, principal="10.00"),))
    with pytest.raises(ValueError):
        loan_balance(b, JUN13)


def test_negative_repayment_part_is_corrupt():
    b = loan(start=JAN1, repayments=(repayment(MAR15, principal="-10.00"),))
    with pytest.raises(ValueError):
        loan_balance(b, JUN13)


# ------------------------------------------------------------------ split_repayment


def _balance(principal: str, interest: str) -> LoanBalance:
    p, i = d(principal), d(interest)
    return LoanBalance(p, i, p + i, d("0.00"), d("0.00"))


def test_split_pays_interest_first():
    bal = _balance("6000.00", "73.97")
    # 500.00 − 73.97 = 426.03 to principal
    assert split_repayment(d("500.00"), bal) == (d("73.97"), d("426.03"))


def test_split_smaller_than_interest_is_all_interest():
    assert split_repayment(d("50.00"), _balance("6000.00", "73.97")) == (d("50.00"), d("0.00"))


def test_split_of_the_whole_balance():
    assert split_repayment(d("6073.97"), _balance("6000.00", "73.97")) == (
        d("73.97"),
        d("6000.00"),
    )


@pytest.mark.parametrize("amount", ["0.00", "-1.00", "6073.98", "10.005"])
def test_split_rejects_bad_amounts(amount):
    with pytest.raises(ValueError):
        split_repayment(d(amount), _balance("6000.00", "73.97"))


# --------------------------------------------------------------------- loan_headroom

ON = date(2025, 6, 30)


def test_headroom_is_eighty_percent_of_cash_value():
    assert LOAN_TO_CASH_VALUE == d("0.80")
    p = policy(cash_value=d("20000.00"))
    assert loan_headroom(p, (), ON) == d("16000.00")  # 20000 × 0.80


def test_headroom_limit_rounds_down():
    p = policy(cash_value=d("10000.07"))
    assert loan_headroom(p, (), ON) == d("8000.05")  # 10000.07 × 0.80 = 8000.056 → down


def test_headroom_counts_interest_and_both_loan_kinds():
    p = policy(cash_value=d("10000.00"))
    start = ON - timedelta(days=73)
    loans = (
        loan(p, principal="5000.00", rate="0.05", start=start),
        loan(p, principal="1000.00", rate="0", start=start, kind=LoanKind.AUTOMATIC_PREMIUM_LOAN),
    )
    # limit 8000.00; owed 5000 + 5000 × 5% × 73/365 (= 50.00) + 1000 = 6050.00 → 1950.00
    assert loan_headroom(p, loans, ON) == d("1950.00")


def test_headroom_never_negative_when_interest_pushes_loan_above_limit():
    p = policy(cash_value=d("10000.00"))
    # 180 days (Jan 1 → Jun 30): 7950 × 5% × 180/365 = 71550/365 = 196.027… → 196.03
    # owed 7950.00 + 196.03 = 8146.03 > limit 8000.00 (without interest 50.00 would remain)
    b = loan(p, principal="7950.00", rate="0.05", start=JAN1)
    assert loan_balance(b, ON).total_due == d("8146.03")
    assert loan_headroom(p, (b,), ON) == d("0.00")


@pytest.mark.parametrize(
    "status", [PolicyStatus.LAPSED, PolicyStatus.TERMINATED, PolicyStatus.MATURED]
)
def test_policies_not_in_force_cannot_lend(status):
    p = policy(status=status, cash_value=d("20000.00"))
    assert loan_headroom(p, (), ON) == d("0.00")


def test_policy_without_cash_value_cannot_lend():
    assert loan_headroom(policy(cash_value=d("0.00")), (), ON) == d("0.00")


def test_policy_not_allowing_loans_cannot_lend():
    assert loan_headroom(policy(cash_value=d("20000.00"), loan_allowed=False), (), ON) == 0


def test_property_policy_cannot_lend():
    assert loan_headroom(property_policy(), (), ON) == d("0.00")
    odd = property_policy(cash_value=d("5000.00"), loan_allowed=True)
    assert odd.line is Line.PROPERTY
    assert loan_headroom(odd, (), ON) == d("0.00")


def test_headroom_rejects_loans_of_another_policy():
    p, other = policy(cash_value=d("100.00")), policy()
    with pytest.raises(ValueError):
        loan_headroom(p, (loan(other),), ON)


# ------------------------------------------------------------------------ properties


@st.composite
def loans_with_repayments(draw):
    principal_fen = draw(st.integers(min_value=1, max_value=10**9))
    rate = Decimal(draw(st.integers(min_value=0, max_value=2000))) / 10000  # 0%–20%
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)))
    remaining = principal_fen
    day = start
    repayments = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        day += timedelta(days=draw(st.integers(min_value=0, max_value=400)))
        # never more principal than is still outstanding
        part = draw(st.integers(min_value=0, max_value=remaining))
        remaining -= part
        interest_fen = draw(st.integers(min_value=0, max_value=10**7))
        principal, interest = Decimal(part) / 100, Decimal(interest_fen) / 100
        repayments.append(repayment(day, principal=str(principal), interest=str(interest)))
    on = start + timedelta(days=draw(st.integers(min_value=-10, max_value=4000)))
    cash_fen = draw(st.integers(min_value=0, max_value=10**9))
    status = draw(st.sampled_from(list(PolicyStatus)))
    p = policy(policy_id=1, cash_value=Decimal(cash_fen) / 100, status=status)
    b = loan(p, principal=str(Decimal(principal_fen) / 100), rate=str(rate), start=start,
             repayments=tuple(draw(st.permutations(repayments))))
    return p, b, on


@settings(max_examples=200, deadline=None)
@given(loans_with_repayments())
def test_principal_and_headroom_invariants(case):
    p, b, on = case
    bal = loan_balance(b, on)
    if on < b.start_date:
        assert bal.total_due == 0
    else:
        repaid = sum((r.principal for r in b.repayments if r.paid_date <= on), Decimal(0))
        assert bal.outstanding_principal == b.principal - repaid
        assert bal.repaid_principal == repaid
    assert bal.outstanding_principal >= 0
    assert bal.accrued_interest >= 0
    assert bal.total_due == bal.outstanding_principal + bal.accrued_interest
    assert bal.total_due == bal.total_due.quantize(Decimal("0.01"))
    headroom = loan_headroom(p, (b,), on)
    assert headroom >= 0
    assert headroom <= p.cash_value * LOAN_TO_CASH_VALUE

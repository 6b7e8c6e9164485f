import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.categories import COUNT_CATEGORIES, Category, ReminderKind
from portal.domain.records import BenefitKind, HistoryKind, LoanKind, PolicyStatus
from portal.domain.rollup import (
    GRACE_DAYS,
    REINSTATEMENT_YEARS,
    RENEWAL_WINDOW_DAYS,
    in_grace_period,
    roll_up,
)
from tests.domain.factories import (
    TODAY,
    account,
    benefit,
    d,
    event,
    installment,
    loan,
    movement,
    picture,
    policy,
    property_policy,
    repayment,
)

# TODAY is 2025-06-30.


def test_constants():
    assert (GRACE_DAYS, RENEWAL_WINDOW_DAYS, REINSTATEMENT_YEARS) == (60, 30, 2)


def money_figures(rollup):
    return [f for c, f in rollup.figures.items() if c not in COUNT_CATEGORIES]


def assert_reconciles(rollup, pic):
    nos = {p.policy_id: p.policy_no for p in pic.policies}
    assert list(rollup.figures) == list(Category)
    for fig in rollup.figures.values():
        assert fig.count == len(fig.lines)
        for line in fig.lines:
            assert line.policy_no == nos.get(line.policy_id, "")
    for fig in money_figures(rollup):
        assert fig.amount == sum((line.amount for line in fig.lines), Decimal("0.00"))


# ------------------------------------------------------------------ a whole customer


@pytest.fixture(scope="module")
def customer():
    """Five policies exercising every category; the expected figures are worked below."""
    p1 = policy(1, cash_value=d("20000.00"))
    p2 = policy(2, status=PolicyStatus.LAPSED, status_date=date(2024, 3, 1),
                cash_value=d("8000.00"))
    p3 = policy(3, status=PolicyStatus.MATURED, status_date=date(2024, 12, 31),
                cash_value=d("0.00"))
    p4 = property_policy(4)
    p5 = policy(5, cash_value=d("2000.00"))
    installments = [
        installment(p1, date(2024, 1, 1), "5000.00", paid=date(2024, 1, 2), installment_id=11),
        installment(p1, date(2025, 1, 1), "5000.00", paid=date(2025, 1, 5), installment_id=12),
        installment(p1, date(2025, 7, 30), "5000.00", installment_id=13),  # today + 30
        installment(p2, date(2025, 7, 1), "4000.00", installment_id=21),  # lapsed: not due
        installment(p4, date(2024, 7, 31), "800.00", paid=date(2024, 7, 31), installment_id=41),
        installment(p4, date(2025, 7, 31), "800.00", installment_id=42),  # today + 31
        installment(p5, date(2025, 5, 1), "6000.00", installment_id=51),  # 60 days overdue
    ]
    benefits = [
        benefit(p2, date(2025, 1, 1), "2000.00", benefit_id=201),
        benefit(p3, date(2024, 12, 31), "30000.00", kind=BenefitKind.MATURITY, benefit_id=301),
        benefit(p3, date(2023, 12, 31), "1000.00", paid=date(2023, 12, 31), benefit_id=302),
        benefit(p1, date(2025, 7, 1), "500.00", benefit_id=101),  # payable tomorrow
    ]
    loans = [
        # fully repaid: 2000 × 5% × 72/365 = 19.726… paid as 19.73
        loan(p1, "2000.00", start=date(2024, 1, 1), due=date(2024, 12, 31), loan_id=100,
             repayments=(repayment(date(2024, 3, 13), "2000.00", "19.73", repayment_id=1001),)),
        # 73 days (Apr 18 → Jun 30): 5000 × 5% × 73/365 = 50.00
        loan(p1, "5000.00", start=date(2025, 4, 18), due=date(2025, 7, 20), loan_id=101),
        # 60 days (May 1 → Jun 30): 3000 × 5% × 60/365 = 24.657… → 24.66
        loan(p5, "3000.00", start=date(2025, 5, 1), due=date(2026, 5, 1), loan_id=501,
             kind=LoanKind.AUTOMATIC_PREMIUM_LOAN),
    ]
    accounts = [
        account(p1, account_id=900, movements=(
            movement(date(2025, 1, 1), "10000.00"),
            movement(date(2025, 3, 31), "62.50", "interest"),
            movement(date(2025, 5, 1), "-12.00", "fee"),
            movement(date(2025, 7, 1), "500.00"),  # tomorrow: not yet in the value
        )),
    ]
    history = [
        event(datetime(2024, 1, 2, 9, 0), HistoryKind.PREMIUM_PAID, p1, "5000.00", event_id=1),
        event(datetime(2025, 1, 5, 9, 0), HistoryKind.PREMIUM_PAID, p1, "5000.00", event_id=2),
        event(datetime(2025, 2, 1, 10, 0), HistoryKind.SERVICE, None, None, event_id=3),
    ]
    pic = picture([p1, p2, p3, p4, p5], installments, benefits, loans, accounts, history)
    return pic, roll_up(pic, TODAY)


def amount(rollup, category):
    return rollup.figure(category).amount


def ids(rollup, category):
    return [line.record_id for line in rollup.figure(category).lines]


def test_customer_reconciles(customer):
    pic, r = customer
    assert r.as_of == TODAY
    assert_reconciles(r, pic)


def test_overview_and_counts(customer):
    _, r = customer
    fig = r.figure(Category.OVERVIEW)
    assert fig.amount is None and fig.count == 5
    assert [line.label for line in fig.lines] == [
        "in_force", "lapsed", "matured", "in_force", "in_force"
    ]
    assert fig.lines[0].on_date == date(2015, 1, 1)
    assert r.counts_by_status == {"in_force": 3, "lapsed": 1, "terminated": 0, "matured": 1}
    assert r.counts_by_line == {"life": 4, "property": 1}


def test_history_newest_first(customer):
    _, r = customer
    fig = r.figure(Category.HISTORY)
    assert fig.amount is None and fig.count == 3
    assert ids(r, Category.HISTORY) == [3, 2, 1]
    service = fig.lines[0]
    assert (service.policy_no, service.amount, service.label) == ("", None, "service")
    assert service.on_date == date(2025, 2, 1)
    assert fig.lines[1].policy_no == "P000001" and fig.lines[1].amount == d("5000.00")


def test_paid_categories(customer):
    _, r = customer
    assert amount(r, Category.PREMIUMS_PAID) == d("10800.00")  # 5000 + 5000 + 800
    assert ids(r, Category.PREMIUMS_PAID) == [12, 41, 11]  # newest first
    assert amount(r, Category.BENEFITS_RECEIVED) == d("1000.00")
    assert amount(r, Category.LOANS_TAKEN) == d("10000.00")  # 2000 + 5000 + 3000
    assert r.figure(Category.LOANS_TAKEN).lines[-1].label == "policy_loan"
    assert amount(r, Category.LOANS_REPAID) == d("2019.73")  # 2000.00 + 19.73
    (line,) = r.figure(Category.LOANS_REPAID).lines
    assert line.parts == (("principal", d("2000.00")), ("interest", d("19.73")))


def test_premium_due(customer):
    _, r = customer
    # p5's overdue 6000 (May 1) + p1's 5000 due exactly today + 30; not p4's at today + 31,
    # not the lapsed p2's
    assert amount(r, Category.PREMIUM_DUE) == d("11000.00")
    assert ids(r, Category.PREMIUM_DUE) == [51, 13]


def test_claimable_includes_lapsed_and_matured_policies(customer):
    _, r = customer
    # lapsed p2's survival 2000 + matured p3's maturity 30000; p1's payable tomorrow is not yet
    assert amount(r, Category.CLAIMABLE) == d("32000.00")
    assert ids(r, Category.CLAIMABLE) == [301, 201]
    assert [line.label for line in r.figure(Category.CLAIMABLE).lines] == ["maturity", "survival"]


def test_loanable(customer):
    _, r = customer
    # p1: 20000 × 0.80 = 16000.00 − (5000.00 + 50.00) = 10950.00; lapsed p2 and p5 (1600 limit
    # below its 3024.66 owed) do not appear
    (line,) = r.figure(Category.LOANABLE).lines
    assert line.policy_id == 1 and line.amount == d("10950.00")
    assert line.parts == (("cash_value", d("20000.00")), ("outstanding", d("5050.00")))
    assert amount(r, Category.LOANABLE) == d("10950.00")


def test_repayment_due(customer):
    _, r = customer
    # 5050.00 + 3024.66; the fully repaid loan 100 owes nothing
    assert amount(r, Category.REPAYMENT_DUE) == d("8074.66")
    assert ids(r, Category.REPAYMENT_DUE) == [101, 501]  # by due date
    apl = r.figure(Category.REPAYMENT_DUE).lines[1]
    assert apl.label == "automatic_premium_loan" and apl.on_date == date(2026, 5, 1)
    assert apl.parts == (("principal", d("3000.00")), ("interest", d("24.66")))


def test_universal_accounts(customer):
    _, r = customer
    (line,) = r.figure(Category.UNIVERSAL_ACCOUNTS).lines
    assert line.amount == d("10050.50")  # 10000.00 + 62.50 − 12.00
    assert line.parts == (("minimum_balance", d("1000.00")),)
    assert line.record_id == 900
    assert amount(r, Category.UNIVERSAL_ACCOUNTS) == d("10050.50")


def test_reminders(customer):
    _, r = customer
    assert [rem.kind for rem in r.reminders] == list(ReminderKind)
    got = {rem.kind: rem.policy_ids for rem in r.reminders}
    assert got == {
        ReminderKind.LAPSE_RISK: (2, 5),  # p2 reinstatable, p5 in grace
        ReminderKind.AUTOMATIC_PREMIUM_LOAN: (5,),
        ReminderKind.RENEWAL_DUE: (1, 5),
        ReminderKind.MONEY_TO_COLLECT: (2, 3),
        ReminderKind.LOAN_DUE: (1,),  # loan 101 due Jul 20 ≤ today + 30; 501 due 2026
    }


# -------------------------------------------------------------------------- boundaries


def test_empty_picture():
    r = roll_up(picture(), TODAY)
    for fig in money_figures(r):
        assert fig.amount == d("0.00") and fig.lines == ()
    assert r.figure(Category.OVERVIEW).count == 0
    assert r.counts_by_status == {"in_force": 0, "lapsed": 0, "terminated": 0, "matured": 0}
    assert r.counts_by_line == {"life": 0, "property": 0}
    assert [rem.kind for rem in r.reminders] == list(ReminderKind)
    assert all(rem.policy_ids == () and rem.count == 0 for rem in r.reminders)


@pytest.mark.parametrize("days, included", [(0, True), (30, True), (31, False), (-200, True)])
def test_premium_due_window(days, included):
    p = policy(1)
    pic = picture([p], [installment(p, TODAY + timedelta(days=days), "100.00")])
    assert roll_up(pic, TODAY).figure(Category.PREMIUM_DUE).count == (1 if included else 0)


@pytest.mark.parametrize(
    "status, counted",
    [
        (PolicyStatus.IN_FORCE, True),  # the control: the same installments do count
        (PolicyStatus.TERMINATED, False),
        (PolicyStatus.MATURED, False),
        (PolicyStatus.LAPSED, False),  # lapsed beyond its grace period: reinstatement instead
    ],
)
def test_premium_due_only_on_in_force_policies(status, counted):
    # Unpaid installments inside the 30-day window: one due in 10 days, one due today, and
    # for the lapsed case the one whose grace ran out (due 90 days ago).
    p = policy(1, status=status, status_date=TODAY - timedelta(days=30))
    insts = [
        installment(p, TODAY + timedelta(days=10), "1234.56"),
        installment(p, TODAY, "100.00"),
        installment(p, TODAY - timedelta(days=90), "5000.00"),
    ]
    r = roll_up(picture([p], insts), TODAY)
    due = r.figure(Category.PREMIUM_DUE)
    renewal = next(rem for rem in r.reminders if rem.kind is ReminderKind.RENEWAL_DUE)
    if counted:
        assert due.amount == d("6334.56") and due.count == 3  # 1,234.56 + 100.00 + 5,000.00
        assert renewal.policy_ids == (1,)
    else:
        assert due.amount == d("0.00") and due.lines == ()
        assert renewal.policy_ids == ()


def test_installment_paid_after_today_is_still_due_today():
    p = policy(1)
    pic = picture([p], [installment(p, TODAY, "100.00", paid=TODAY + timedelta(days=1))])
    r = roll_up(pic, TODAY)
    assert r.figure(Category.PREMIUM_DUE).amount == d("100.00")
    assert r.figure(Category.PREMIUMS_PAID).amount == d("0.00")


def test_benefit_paid_after_today_is_still_claimable_today():
    p = policy(1)
    pic = picture([p], benefits=[benefit(p, TODAY, "700.00", paid=TODAY + timedelta(days=1))])
    r = roll_up(pic, TODAY)
    assert r.figure(Category.CLAIMABLE).amount == d("700.00")
    assert r.figure(Category.BENEFITS_RECEIVED).amount == d("0.00")


def test_repayment_after_today_not_yet_repaid():
    p = policy(1)
    b = loan(p, "1000.00", start=date(2025, 1, 1), repayments=(
        repayment(TODAY, "100.00", "10.00"),
        repayment(TODAY + timedelta(days=1), "200.00", "1.00"),
    ))
    r = roll_up(picture([p], loans=[b]), TODAY)
    assert r.figure(Category.LOANS_REPAID).amount == d("110.00")  # 100.00 + 10.00 only
    # 180 days on 1000 (Jan 1 → Jun 30; none after today's repayment):
    # 1000 × 5% × 180/365 = 24.657… − 10.00 paid = 14.657… → 14.66
    assert r.figure(Category.REPAYMENT_DUE).amount == d("914.66")  # 900.00 + 14.66


@pytest.mark.parametrize(
    "overdue_days, in_grace", [(0, False), (1, True), (60, True), (61, False)]
)
def test_grace_period_boundaries(overdue_days, in_grace):
    p = policy(1)
    insts = [installment(p, TODAY - timedelta(days=overdue_days), "100.00")]
    assert in_grace_period(p, insts, TODAY) is in_grace
    lapse = roll_up(picture([p], insts), TODAY).reminders[0]
    assert lapse.kind is ReminderKind.LAPSE_RISK
    assert lapse.policy_ids == ((1,) if in_grace else ())


def test_grace_period_needs_an_unpaid_installment_of_an_in_force_policy():
    p = policy(1)
    paid = [installment(p, TODAY - timedelta(days=10), paid=TODAY)]
    assert not in_grace_period(p, paid, TODAY)
    other = policy(2)
    assert not in_grace_period(p, [installment(other, TODAY - timedelta(days=10))], TODAY)
    lapsed = policy(3, status=PolicyStatus.LAPSED, status_date=TODAY)
    assert not in_grace_period(lapsed, [installment(lapsed, TODAY - timedelta(days=10))], TODAY)


@pytest.mark.parametrize(
    "lapsed_on, reinstatable",
    [
        (date(2023, 6, 30), True),  # exactly 2 years ago
        (date(2023, 6, 29), False),  # 2 years and a day
        (TODAY, True),
        (None, False),  # unknown lapse date: cannot promise reinstatement
    ],
)
def test_reinstatement_window(lapsed_on, reinstatable):
    p = policy(1, status=PolicyStatus.LAPSED, status_date=lapsed_on)
    lapse = roll_up(picture([p]), TODAY).reminders[0]
    assert lapse.policy_ids == ((1,) if reinstatable else ())


def test_lapsed_policy_with_cash_value_has_no_headroom_but_its_benefit_is_claimable():
    p = policy(1, status=PolicyStatus.LAPSED, status_date=date(2025, 1, 1),
               cash_value=d("50000.00"))
    pic = picture([p], benefits=[benefit(p, date(2025, 5, 1), "1200.00")])
    r = roll_up(pic, TODAY)
    assert r.figure(Category.LOANABLE).lines == ()
    assert r.figure(Category.LOANABLE).amount == d("0.00")
    assert r.figure(Category.CLAIMABLE).amount == d("1200.00")


def test_terminated_policy_benefit_still_claimable_and_reminded():
    p = policy(7, status=PolicyStatus.TERMINATED, status_date=date(2020, 1, 1))
    pic = picture([p], benefits=[benefit(p, date(2019, 12, 31), "300.00")])
    r = roll_up(pic, TODAY)
    assert r.figure(Category.CLAIMABLE).amount == d("300.00")
    assert r.reminders[3].kind is ReminderKind.MONEY_TO_COLLECT
    assert r.reminders[3].policy_ids == (7,)


def test_policies_without_cash_value_or_savings_not_loanable():
    pic = picture([policy(1, cash_value=d("0.00")), property_policy(2)])
    assert roll_up(pic, TODAY).figure(Category.LOANABLE).lines == ()


def test_future_loan_neither_taken_nor_due():
    p = policy(1, cash_value=d("10000.00"))
    pic = picture([p], loans=[loan(p, "1000.00", start=TODAY + timedelta(days=1))])
    r = roll_up(pic, TODAY)
    assert r.figure(Category.LOANS_TAKEN).lines == ()
    assert r.figure(Category.REPAYMENT_DUE).lines == ()
    assert r.figure(Category.LOANABLE).amount == d("8000.00")  # 10000 × 0.80, nothing owed


@pytest.mark.parametrize("due_in, reminded", [(30, True), (31, False), (-5, True)])
def test_loan_due_window(due_in, reminded):
    p = policy(1)
    b = loan(p, "1000.00", start=date(2025, 1, 1), due=TODAY + timedelta(days=due_in))
    rem = {x.kind: x.policy_ids for x in roll_up(picture([p], loans=[b]), TODAY).reminders}
    assert rem[ReminderKind.LOAN_DUE] == ((1,) if reminded else ())
    assert rem[ReminderKind.AUTOMATIC_PREMIUM_LOAN] == ()


def test_repaid_automatic_premium_loan_not_reminded():
    p = policy(1)
    b = loan(p, "1000.00", rate="0", start=date(2025, 1, 1), kind=LoanKind.AUTOMATIC_PREMIUM_LOAN,
             repayments=(repayment(date(2025, 2, 1), "1000.00"),))
    rem = {x.kind: x.policy_ids for x in roll_up(picture([p], loans=[b]), TODAY).reminders}
    assert rem[ReminderKind.AUTOMATIC_PREMIUM_LOAN] == ()


def test_reminder_policy_ids_unique_and_sorted():
    p9, p3 = policy(9), policy(3)
    insts = [installment(p, TODAY + timedelta(days=k), "1.00") for p in (p9, p3) for k in (1, 2)]
    rem = roll_up(picture([p9, p3], insts), TODAY).reminders[2]
    assert rem.kind is ReminderKind.RENEWAL_DUE and rem.policy_ids == (3, 9)


def test_record_of_a_policy_outside_the_picture_is_rejected():
    stranger = policy(99)
    with pytest.raises(ValueError):
        roll_up(picture([policy(1)], [installment(stranger, TODAY, paid=TODAY)]), TODAY)


# -------------------------------------------------------------------------- properties

money = st.integers(min_value=0, max_value=10**8).map(lambda fen: Decimal(fen) / 100)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31))
maybe_day = st.none() | days


@st.composite
def pictures(draw):
    policies = []
    for pid in range(1, draw(st.integers(min_value=0, max_value=6)) + 1):
        status = draw(st.sampled_from(list(PolicyStatus)))
        make = draw(st.sampled_from([policy, property_policy]))
        policies.append(make(pid, status=status, status_date=draw(maybe_day),
                             cash_value=draw(money), loan_allowed=draw(st.booleans())))
    if not policies:
        return picture()
    pick = st.sampled_from(policies)
    insts = [installment(draw(pick), draw(days), str(draw(money)), paid=draw(maybe_day))
             for _ in range(draw(st.integers(0, 8)))]
    bens = [benefit(draw(pick), draw(days), str(draw(money)), paid=draw(maybe_day),
                    kind=draw(st.sampled_from(list(BenefitKind))))
            for _ in range(draw(st.integers(0, 6)))]
    loans = []
    for _ in range(draw(st.integers(0, 4))):
        principal_fen = draw(st.integers(1, 10**7))
        start = draw(days)
        remaining, when, reps = principal_fen, start, []
        for _ in range(draw(st.integers(0, 3))):
            when += timedelta(days=draw(st.integers(0, 300)))
            part = draw(st.integers(0, remaining))
            remaining -= part
            reps.append(repayment(when, str(Decimal(part) / 100), str(draw(money))))
        loans.append(loan(draw(pick), str(Decimal(principal_fen) / 100),
                          rate=str(Decimal(draw(st.integers(0, 1500))) / 10000),
                          start=start, due=draw(days),
                          kind=draw(st.sampled_from(list(LoanKind))), repayments=tuple(reps)))
    def movements():
        # signed: money in and money out
        count = draw(st.integers(0, 4))
        return tuple(movement(draw(days), str(draw(money) - draw(money))) for _ in range(count))

    accts = [account(draw(pick), movements=movements()) for _ in range(draw(st.integers(0, 2)))]
    return picture(policies, insts, bens, loans, accts)


@settings(max_examples=200, deadline=None)
@given(pictures(), days)
def test_every_money_figure_is_the_sum_of_its_lines(pic, today):
    r = roll_up(pic, today)
    assert_reconciles(r, pic)
    assert sum(r.counts_by_status.values()) == len(pic.policies)
    assert sum(r.counts_by_line.values()) == len(pic.policies)
    for category in (Category.LOANABLE, Category.REPAYMENT_DUE):
        assert all(line.amount > 0 for line in r.figure(category).lines)


# ------------------------------------------------------------------------- performance


def test_fast_enough_for_a_large_customer():
    """157 policies and thousands of records must roll up well within a page load."""
    policies = [policy(pid, cash_value=d("10000.00")) for pid in range(1, 158)]
    insts, bens, loans = [], [], []
    for p in policies:
        for year in range(2010, 2026):
            insts.append(installment(p, date(year, 3, 1), paid=date(year, 3, 1)))
        insts.append(installment(p, date(2025, 7, 10)))
        bens += [benefit(p, date(year, 6, 1), "100.00") for year in range(2020, 2026)]
        reps = tuple(repayment(date(2024, m, 1), "100.00", "5.00") for m in range(2, 12))
        loans.append(loan(p, "5000.00", start=date(2024, 1, 1), repayments=reps))
    pic = picture(policies, insts, bens, loans)
    started = time.perf_counter()
    r = roll_up(pic, TODAY)
    elapsed = time.perf_counter() - started
    assert r.figure(Category.OVERVIEW).count == 157
    assert elapsed < 1.0, f"roll_up took {elapsed:.2f}s"


def test_account_value_counts_movements_up_to_today_only():
    from portal.domain.records import AccountMovement, UniversalAccount
    from portal.domain.rollup import account_value

    today = date(2026, 11, 21)
    account = UniversalAccount(
        account_id=1, policy_id=1, account_no="UA1", minimum_balance=Decimal("1000.00"),
        guaranteed_rate=Decimal("0.025"),
        movements=(
            AccountMovement(1, 1, date(2026, 1, 5), "premium", Decimal("10000.00")),
            AccountMovement(2, 1, date(2026, 6, 30), "interest", Decimal("123.45")),
            AccountMovement(3, 1, date(2026, 7, 1), "fee", Decimal("-20.00")),
            AccountMovement(4, 1, today, "withdrawal", Decimal("-500.00")),
            AccountMovement(5, 1, date(2026, 11, 22), "interest", Decimal("9.99")),  # tomorrow
        ),
    )
    # 10000.00 + 123.45 − 20.00 − 500.00 = 9603.45; tomorrow's 9.99 not yet counted.
    assert account_value(account, today) == Decimal("9603.45")

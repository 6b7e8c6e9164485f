"""Deterministic demo data: the customers of PRODUCT.md "Demo data", managers and logins.

Same seed and same ``today`` give the same rows (password hashes aside: they are salted).
Every date is relative to ``today`` so the demo always looks current:

* 王建国 (``wangjianguo``), the seed-002 loyal customer in 北京: 157 policies, 109 in force
  and 48 matured/terminated; a premium falls due and money becomes collectable in most
  months; over ¥400,000 of policy-loan headroom; policy loans, an automatic premium loan
  and two universal-life accounts.
* 李秀兰 (``lixiulan``), 68, 上海: a policy in its grace period, an uncollected maturity
  benefit, an outstanding policy loan and a lapsed policy that still has cash value.
* 张伟 (``zhangwei``), 32, 广州, with wife and son: car and home cover (one renewal due
  within 30 days with auto-renewal off), term life and medical, and no critical-illness or
  retirement cover at all (the coverage gap).
* Six service managers in four cities with logins, and about twenty ordinary customers
  from the scale generator, every customer assigned to a manager of their city.

CLI: ``python -m portal.data.demo [--if-empty] [--seed N] [--today YYYY-MM-DD]``
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session

from portal.data.schema import upgrade_to_head
from portal.data import tables as t
from portal.data.builder import (
    Dataset,
    PolicyRef,
    add_months,
    add_years,
    interest_fen,
    loan_limit_fen,
    one_year_end,
)
from portal.data.catalogue import PRODUCTS_BY_CODE, ensure_products
from portal.data.people import make_plate, person
from portal.data.scale import add_premiums, generate
from portal.domain.loans import loan_balance
from portal.domain.money import from_fen, to_fen
from portal.domain.records import BenefitKind, Loan, LoanKind, LoanRepayment, PaymentFrequency, PolicyStatus
from portal.services.passwords import hash_password

DEFAULT_SEED = 2019
DEMO_PASSWORD = "Portal@2026"
EXTRA_CUSTOMERS = 20


class DemoLogin(NamedTuple):
    username: str
    role: str
    description: str


DemoLogins: tuple[DemoLogin, ...] = (
    DemoLogin("wangjianguo", "customer", "王建国, 55, 北京: 157 policies (109 in force), >¥400,000 loanable"),
    DemoLogin("lixiulan", "customer", "李秀兰, 68, 上海: senior mode; grace period, unclaimed maturity, loan, lapsed policy"),
    DemoLogin("zhangwei", "customer", "张伟, 32, 广州: young family; car + home renewal, coverage gap"),
    DemoLogin("manager.bj1", "manager", "刘洋, 北京 service manager (王建国's manager)"),
    DemoLogin("manager.bj2", "manager", "陈静, 北京 service manager"),
    DemoLogin("manager.sh1", "manager", "周敏, 上海 service manager (李秀兰's manager)"),
    DemoLogin("manager.sh2", "manager", "徐磊, 上海 service manager"),
    DemoLogin("manager.gz1", "manager", "黄丽华, 广州 service manager (张伟's manager)"),
    DemoLogin("manager.cd1", "manager", "杨帆, 成都 service manager"),
)
DEMO_LOGINS = DemoLogins

# (username, manager_no, name, city, qualifications, rating in tenths)
MANAGERS = (
    ("manager.bj1", "MBJ001", "刘洋", "北京", "保险代理从业人员执业证; 国际金融理财师(CFP); 从业12年", 49),
    ("manager.bj2", "MBJ002", "陈静", "北京", "保险代理从业人员执业证; 健康管理师; 从业8年", 47),
    ("manager.sh1", "MSH001", "周敏", "上海", "保险代理从业人员执业证; 养老规划师; 适老化服务认证", 48),
    ("manager.sh2", "MSH002", "徐磊", "上海", "保险代理从业人员执业证; 从业5年", 46),
    ("manager.gz1", "MGZ001", "黄丽华", "广州", "保险代理从业人员执业证; 家庭保障规划师; 从业10年", 48),
    ("manager.cd1", "MCD001", "杨帆", "成都", "保险代理从业人员执业证; 从业6年", 47),
)

# Customer 1's loan headroom target, in yuan (PRODUCT.md: "over ¥400,000").
HEADROOM_TARGET_RANGE = (440_000, 460_000)


@dataclass(frozen=True)
class DemoResult:
    loyal_customer_id: int
    senior_customer_id: int
    family_customer_id: int
    manager_ids: tuple[int, ...]
    extra_customer_ids: tuple[int, ...]


# -- shared helpers ------------------------------------------------------------------------
def yuan_fen(yuan: int) -> int:
    return yuan * 100


def rounded_premium(sum_assured_fen: int, bp: int) -> int:
    return max(sum_assured_fen * bp // 10000 // 10 * 10, 10_000)


def scale_fen(value: int, ratio: Decimal) -> int:
    return int((Decimal(value) * ratio).to_integral_value(rounding=ROUND_DOWN))


def owed_fen(loans: list[Loan], on: date) -> int:
    """Principal + accrued interest still owed, using the domain's own loan maths."""
    return sum(to_fen(loan_balance(loan, on).total_due) for loan in loans)


class Benefits:
    """Adds benefit items with the demo's collection habits.

    Items payable more than ``fresh_days`` ago were collected a few days after they fell
    due; newer ones and future ones are still open. ``leave_open`` keeps an old item
    uncollected: the "sleeping money" (应领未领) of seed 000.
    """

    def __init__(self, ds: Dataset, rng: random.Random, today: date, fresh_days: int = 40):
        self.ds, self.rng, self.today, self.fresh_days = ds, rng, today, fresh_days

    def add(self, policy: PolicyRef, kind: BenefitKind, payable: date, amount: int, *, leave_open: bool = False) -> None:
        collected = None
        if payable <= self.today - timedelta(days=self.fresh_days) and not leave_open:
            collected = min(payable + timedelta(days=self.rng.randint(0, 25)), self.today)
        self.ds.add_benefit(policy, kind.value, payable, amount, collected)


def anniversaries(start: date, first_year: int, every: int, until: date, before: date | None = None) -> list[tuple[int, date]]:
    """(policy year, date) of anniversaries ``first_year``, +every, ... up to ``until``."""
    out = []
    year = first_year
    while True:
        day = add_years(start, year)
        if day > until or (before is not None and day >= before):
            return out
        out.append((year, day))
        year += every


# -- customer 1: the loyal customer of seed 002 -----------------------------------------
IN_FORCE_LONG_TERM = (
    ("CL101", 12), ("CL102", 14), ("CL201", 16), ("CL202", 12), ("CL301", 12),
    ("CL302", 8), ("CL401", 2), ("CL501", 10), ("CL601", 16),
)  # (102 policies; + 7 one-year policies = 109 in force)

# Customer 1 holds many modest policies: sum assured range in yuan and premium in bp of it.
LOYAL_PRICING = {
    "whole_life": (20_000, 80_000, 250, 400),
    "participating": (10_000, 50_000, 500, 900),
    "endowment": (10_000, 50_000, 700, 1000),
    "annuity": (30_000, 120_000, 500, 900),
    "universal": (100_000, 200_000, 800, 1000),
    "term": (200_000, 500_000, 15, 30),
    "critical_illness": (50_000, 200_000, 250, 400),
}


class LoyalCustomer:
    def __init__(self, ds: Dataset, rng: random.Random, today: date):
        self.ds, self.rng, self.today = ds, rng, today
        self.benefits = Benefits(ds, rng, today)
        self.horizon = today + timedelta(days=365)
        birth = add_years(today, -55) - timedelta(days=123)
        columns = person(rng, city="北京", birth=birth, gender="M", name="王建国")
        self.customer_id = ds.add_customer(**columns)
        self.family = {  # insured person -> (age today, beneficiary text)
            "王建国": (55, "刘淑芬(配偶) 100%"),
            "刘淑芬": (53, "王建国(配偶) 100%"),
            "王磊": (30, "王建国(父亲) 50%; 刘淑芬(母亲) 50%"),
            "王静": (27, "王建国(父亲) 50%; 刘淑芬(母亲) 50%"),
        }
        self.loanable: list[tuple[PolicyRef, int]] = []  # (policy, paid premiums fen)
        self.apl: tuple[PolicyRef, int, date] | None = None  # (policy, premium, day the loan paid it)

    def price(self, kind: str) -> tuple[int, int]:
        low, high, bp_low, bp_high = LOYAL_PRICING[kind]
        sum_assured = yuan_fen(self.rng.randint(low // 1000, high // 1000) * 1000)
        return sum_assured, rounded_premium(sum_assured, self.rng.randint(bp_low, bp_high))

    def pick_insured(self) -> str:
        roll = self.rng.randint(1, 20)
        return "王建国" if roll <= 12 else "刘淑芬" if roll <= 16 else "王磊" if roll <= 18 else "王静"

    # .. in-force long-term policies, their anniversaries spread over the coming year ..
    def in_force_long_term(self) -> None:
        plan = [code for code, count in IN_FORCE_LONG_TERM for _ in range(count)]
        self.rng.shuffle(plan)
        n = len(plan)
        offsets = [1 + i * 365 // n for i in range(n)]  # next anniversary in 1..365 days
        self.rng.shuffle(offsets)
        monthly_left, quarterly_left = 3, 4
        for code, offset in zip(plan, offsets):
            product = PRODUCTS_BY_CODE[code]
            kind = product.kind
            next_anniversary = self.today + timedelta(days=offset)
            # Completed policy years; universal accounts are old enough to show a withdrawal.
            years = self.rng.randint(4, 8) if code == "CL401" else self.rng.randint(1, 12)
            start = add_years(next_anniversary, -years)
            insured = "王建国" if code in ("CL301", "CL401") else self.pick_insured()
            sum_assured, premium = self.price(kind)
            frequency = PaymentFrequency.ANNUAL
            ongoing = self.rng.randint(1, 10) <= 7
            longer = [term for term in (10, 15, 20) if term > years]
            shorter = [term for term in (5, 10) if term <= years]
            term = self.rng.choice(longer) if (ongoing or not shorter) else self.rng.choice(shorter)
            if term > years and years <= 3 and kind in ("whole_life", "critical_illness", "term"):
                if monthly_left:
                    frequency, premium, monthly_left = PaymentFrequency.MONTHLY, premium // 12 // 10 * 10, monthly_left - 1
                elif quarterly_left:
                    frequency, premium, quarterly_left = PaymentFrequency.QUARTERLY, premium // 4 // 10 * 10, quarterly_left - 1
            end = None
            if code in ("CL201", "CL202"):
                end = add_years(start, max(self.rng.choice((15, 20, 25)), years + 1)) - timedelta(days=1)
            elif code == "CL302":
                end = add_years(start, 20) - timedelta(days=1)
            elif code == "CL501":
                end = add_years(start, max(20, years + 1)) - timedelta(days=1)
            policy = self.ds.add_policy(
                customer_id=self.customer_id, product=product, status=PolicyStatus.IN_FORCE,
                start_date=start, end_date=end, sum_assured_fen=sum_assured, premium_fen=premium,
                frequency=frequency, term_years=term, insured_name=insured,
                beneficiaries=self.family[insured][1],
            )
            last_anniversary = add_years(next_anniversary, -1)
            if (
                self.apl is None and product.loan_allowed and frequency is PaymentFrequency.ANNUAL
                and term > years and 60 < (self.today - last_anniversary).days <= 100
            ):
                paid = self.premiums_with_apl(policy, premium, term, last_anniversary)
            else:
                paid = add_premiums(
                    self.ds, self.rng, policy, frequency=frequency, term_years=term, premium_fen=premium,
                    today=self.today, until=self.horizon,
                )
            self.in_force_benefits(policy, insured, start, end, sum_assured, premium)
            if kind == "universal":
                self.ds.set_cash_value(policy, self.universal_account(policy, paid))
            elif product.loan_allowed:
                self.loanable.append((policy, paid))
            elif kind == "critical_illness":
                self.ds.set_cash_value(policy, paid * self.rng.randint(30, 60) // 100)

    def premiums_with_apl(self, policy: PolicyRef, premium: int, term: int, missed_due: date) -> int:
        """The premium due on ``missed_due`` went unpaid through the 60-day grace period and
        the insurer paid it with an automatic premium loan (保单垫交) on the last day."""
        paid = add_premiums(
            self.ds, self.rng, policy, frequency=PaymentFrequency.ANNUAL, term_years=term, premium_fen=premium,
            today=self.today, until=missed_due - timedelta(days=1),
        )
        paid_by_loan = missed_due + timedelta(days=60)
        self.ds.add_installment(policy, missed_due, premium, paid_by_loan)
        next_due = add_years(missed_due, 1)
        if next_due <= self.horizon:
            self.ds.add_installment(policy, next_due, premium, None)
        self.apl = (policy, premium, paid_by_loan)
        return paid + premium

    def in_force_benefits(self, policy: PolicyRef, insured: str, start: date, end: date | None, sa: int, premium: int) -> None:
        code, until = policy.product.code, self.horizon
        if code == "CL201":  # survival benefit every third policy year, maturity at the end
            for _, day in anniversaries(start, 3, 3, until, before=end):
                self.benefits.add(policy, BenefitKind.SURVIVAL, day, sa * 8 // 100)
        elif code in ("CL102", "CL202"):  # yearly dividend
            for _, day in anniversaries(start, 1, 1, until, before=end):
                self.benefits.add(policy, BenefitKind.DIVIDEND, day, premium * self.rng.randint(3, 6) // 100)
        elif code == "CL301":  # retirement annuity from age 55 (the spouse's from 50)
            payout_age = 55 if insured == "王建国" else 50
            age_now = self.family[insured][0]
            first = add_years(start, 1)
            while first <= until:
                if age_now - (self.today.year - first.year) >= payout_age:
                    break
                first = add_years(first, 1)
            year = 1
            while add_years(start, year) < first:
                year += 1
            for _, day in anniversaries(start, year, 1, until):
                self.benefits.add(policy, BenefitKind.ANNUITY, day, sa * 5 // 100)
        elif code == "CL302":  # yearly annuity from the fifth policy year
            for _, day in anniversaries(start, 5, 1, until, before=end):
                self.benefits.add(policy, BenefitKind.ANNUITY, day, sa * 3 // 100)
        if end is not None and end <= until and code in ("CL201", "CL202"):
            self.benefits.add(policy, BenefitKind.MATURITY, end + timedelta(days=1), sa)

    def universal_account(self, policy: PolicyRef, paid_premiums: int) -> int:
        """Monthly interest, an initial fee on every premium, a yearly policy fee and one
        partial withdrawal; returns the balance today in fen."""
        rate_bp = 250
        account_id = self.ds.add_account(policy, minimum_balance_fen=yuan_fen(1000), rate_bp=rate_bp)
        premiums = {row["due_date"]: row["amount_fen"] for row in self.ds.rows["premium_installment"]
                    if row["policy_id"] == policy.id and row["paid_date"] is not None}
        balance = 0
        month = 0
        withdrawal_month = None
        day = policy.start_date
        while day <= self.today:
            if day in premiums:
                self.ds.add_movement(policy, account_id, day, "premium", premiums[day])
                fee = -(premiums[day] * 3 // 100)
                self.ds.add_movement(policy, account_id, day, "fee", fee)
                balance += premiums[day] + fee
            nxt = add_months(policy.start_date, month + 1)
            if nxt > self.today:
                break
            credited = interest_fen(balance, rate_bp + 100, (nxt - day).days)
            self.ds.add_movement(policy, account_id, nxt, "interest", credited)
            balance += credited
            month += 1
            if month % 12 == 0:
                self.ds.add_movement(policy, account_id, nxt, "fee", -yuan_fen(60))
                balance -= yuan_fen(60)
            if withdrawal_month is None and month >= 24 and balance > yuan_fen(10_000):
                withdrawal_month = month
                amount = balance // 5 // 10_000 * 10_000  # a fifth, in whole ¥100
                self.ds.add_movement(policy, account_id, nxt, "withdrawal", -amount)
                balance -= amount
            day = nxt
        return balance

    # .. one-year policies in force ..
    def short_term_in_force(self) -> None:
        plans = [
            ("CL701", "王建国", 200, True),
            ("CL702", "刘淑芬", 90, True),
            ("CL801", "王建国", 345, False),  # renewal within 30 days, auto-renew off
            ("CL801", "刘淑芬", 120, True),
            ("CL801", "王磊", 60, False),
            ("PA01", "王建国", 250, True),
            ("PH01", "王建国", 300, False),
        ]
        for code, insured, days_ago, auto_renew in plans:
            self.one_year(code, insured, self.today - timedelta(days=days_ago), PolicyStatus.IN_FORCE, auto_renew)

    def one_year(self, code: str, insured: str, start: date, status: PolicyStatus, auto_renew: bool = False) -> PolicyRef:
        product = PRODUCTS_BY_CODE[code]
        amounts = {
            "CL701": (yuan_fen(3_000_000), yuan_fen(self.rng.randint(6, 14) * 100)),
            "CL702": (yuan_fen(200_000), yuan_fen(self.rng.randint(3, 8) * 100)),
            "CL801": (yuan_fen(500_000), yuan_fen(self.rng.randint(2, 5) * 100)),
            "PA01": (yuan_fen(260_000), yuan_fen(4_860) + self.rng.randint(0, 9) * 1000),
            "PH01": (yuan_fen(800_000), yuan_fen(380)),
        }[code]
        end = one_year_end(start)
        note = ""
        if code == "PA01":
            note = f"车辆 {make_plate(random.Random('wangjianguo-car'), '北京')} 丰田 皇冠"
        elif code == "PH01":
            note = "房屋 北京市朝阳区建国路88号 128平方米"
        policy = self.ds.add_policy(
            customer_id=self.customer_id, product=product, status=status, start_date=start, end_date=end,
            sum_assured_fen=amounts[0], premium_fen=amounts[1], frequency=PaymentFrequency.SINGLE, term_years=0,
            insured_name=insured, beneficiaries="" if product.kind in ("medical", "auto", "home") else self.family[insured][1],
            auto_renew=auto_renew, status_date=end if status is PolicyStatus.MATURED else None, issue_note=note,
        )
        self.ds.add_installment(policy, start, amounts[1], start)
        return policy

    # .. the 48 matured and terminated policies ..
    def terminated_group(self) -> None:
        # Earlier years of the one-year covers, each year a policy of its own (20 of the 38 matured).
        for code, insured, years in (("CL701", "王建国", 3), ("CL702", "刘淑芬", 3), ("CL801", "王建国", 3),
                                     ("CL801", "刘淑芬", 3), ("PA01", "王建国", 5), ("PH01", "王建国", 3)):
            anchor = self.today - timedelta(days=self.rng.randint(30, 330))
            for back in range(1, years + 1):
                self.one_year(code, insured, add_years(anchor, -back), PolicyStatus.MATURED)
        # Matured endowments (one maturity left uncollected), participating endowments, terms.
        for index in range(10):
            self.matured_long_term("CL201", uncollected=(index == 0))
        for _ in range(4):
            self.matured_long_term("CL202")
        for _ in range(4):
            self.matured_long_term("CL501")
        # Surrendered / cancelled.
        for code in ("CL101", "CL101", "CL101", "CL601", "CL601", "CL102", "CL102", "CL301", "CL501", "CL501"):
            self.surrendered(code)

    def matured_long_term(self, code: str, uncollected: bool = False) -> None:
        product = PRODUCTS_BY_CODE[code]
        cover = self.rng.choice((10, 15)) if code != "CL501" else 10
        matured_on = self.today - timedelta(days=240 if uncollected else self.rng.randint(60, 3000))
        start = add_years(matured_on, -cover)
        end = matured_on - timedelta(days=1)
        insured = self.pick_insured()
        sum_assured, premium = self.price(product.kind)
        term = min(cover, self.rng.choice((5, 10)))
        policy = self.ds.add_policy(
            customer_id=self.customer_id, product=product, status=PolicyStatus.MATURED, status_date=matured_on,
            start_date=start, end_date=end, sum_assured_fen=sum_assured, premium_fen=premium,
            frequency=PaymentFrequency.ANNUAL, term_years=term, insured_name=insured,
            beneficiaries=self.family[insured][1],
        )
        add_premiums(self.ds, self.rng, policy, frequency=PaymentFrequency.ANNUAL, term_years=term,
                     premium_fen=premium, today=self.today, until=end)
        if code == "CL201":
            for _, day in anniversaries(start, 3, 3, end):
                self.benefits.add(policy, BenefitKind.SURVIVAL, day, sum_assured * 8 // 100)
        elif code == "CL202":
            for _, day in anniversaries(start, 1, 1, end):
                self.benefits.add(policy, BenefitKind.DIVIDEND, day, premium * self.rng.randint(3, 6) // 100)
        if code in ("CL201", "CL202"):
            self.benefits.add(policy, BenefitKind.MATURITY, matured_on, sum_assured, leave_open=uncollected)

    def surrendered(self, code: str) -> None:
        product = PRODUCTS_BY_CODE[code]
        start = self.today - timedelta(days=self.rng.randint(5 * 365, 11 * 365))
        surrendered_on = add_years(start, self.rng.randint(2, 4)) + timedelta(days=self.rng.randint(1, 300))
        insured = self.pick_insured()
        sum_assured, premium = self.price(product.kind)
        end = add_years(start, 20) - timedelta(days=1) if code == "CL501" else None
        policy = self.ds.add_policy(
            customer_id=self.customer_id, product=product, status=PolicyStatus.TERMINATED,
            status_date=surrendered_on, start_date=start, end_date=end, sum_assured_fen=sum_assured,
            premium_fen=premium, frequency=PaymentFrequency.ANNUAL, term_years=10, insured_name=insured,
            beneficiaries=self.family[insured][1],
        )
        add_premiums(self.ds, self.rng, policy, frequency=PaymentFrequency.ANNUAL, term_years=10,
                     premium_fen=premium, today=self.today, until=surrendered_on - timedelta(days=1))
        if code == "CL102":
            for _, day in anniversaries(start, 1, 1, surrendered_on - timedelta(days=1)):
                self.benefits.add(policy, BenefitKind.DIVIDEND, day, premium * self.rng.randint(3, 6) // 100)

    # .. cash values and loans, tuned so the headroom lands in the target range ..
    def cash_values_and_loans(self) -> None:
        raw = {policy.id: paid * self.rng.randint(60, 95) // 100 for policy, paid in self.loanable}
        # Policy loans go on the policies with the largest values.
        apl_policy = self.apl[0].id if self.apl else None
        by_value = sorted(
            (item for item in self.loanable if item[0].id != apl_policy), key=lambda item: (-raw[item[0].id], item[0].id)
        )
        old_loan_policy, loan_policy_1, loan_policy_2 = (item[0] for item in by_value[:3])
        loans: dict[int, list[Loan]] = {}

        def take(policy: PolicyRef, kind: LoanKind, principal: int, start: date, due: date, repay: list[tuple[date, int]]) -> None:
            rate = policy.product.loan_rate_bp
            loan_id = self.ds.add_loan(policy, kind.value, principal, rate, start, due)
            outstanding, since, records = principal, start, []
            for paid_on, principal_part in repay:
                interest = interest_fen(outstanding, rate, (paid_on - since).days)
                repayment_id = self.ds.add_repayment(policy, loan_id, paid_on, principal_part, interest)
                records.append(LoanRepayment(repayment_id, loan_id, paid_on, from_fen(principal_part), from_fen(interest)))
                outstanding, since = outstanding - principal_part, paid_on
            loans.setdefault(policy.id, []).append(
                Loan(loan_id, policy.id, "", kind, from_fen(principal), Decimal(rate) / 10000, start, due, tuple(records))
            )

        today = self.today
        old_start = today - timedelta(days=3 * 365 + 40)
        take(old_loan_policy, LoanKind.POLICY_LOAN, yuan_fen(20_000), old_start, old_start + timedelta(days=180),
             [(old_start + timedelta(days=150), yuan_fen(20_000))])
        start_1 = today - timedelta(days=150)
        take(loan_policy_1, LoanKind.POLICY_LOAN, yuan_fen(30_000), start_1, start_1 + timedelta(days=180),
             [(today - timedelta(days=60), yuan_fen(10_000))])
        start_2 = today - timedelta(days=75)
        take(loan_policy_2, LoanKind.POLICY_LOAN, yuan_fen(15_000), start_2, start_2 + timedelta(days=180),
             [(today - timedelta(days=20), yuan_fen(5_000))])
        if self.apl is not None:
            policy, premium, paid_on = self.apl
            take(policy, LoanKind.AUTOMATIC_PREMIUM_LOAN, premium, paid_on, paid_on + timedelta(days=180), [])

        # Policies carrying a loan keep a value comfortably above what they owe; the rest
        # are scaled so that the total headroom lands on the target.
        fixed = 0
        for policy_id, policy_loans in loans.items():
            owed = owed_fen(policy_loans, today)
            raw[policy_id] = max(raw[policy_id], (owed * 100 // 80) * 2)
            fixed += max(loan_limit_fen(raw[policy_id]) - owed, 0)
        target = yuan_fen(self.rng.randint(*HEADROOM_TARGET_RANGE))
        free = [pid for pid in raw if pid not in loans]
        free_limits = sum(loan_limit_fen(raw[pid]) for pid in free)
        ratio = Decimal(target - fixed) / Decimal(free_limits)
        for pid in free:
            raw[pid] = scale_fen(raw[pid], ratio)
        for policy, _ in self.loanable:
            self.ds.set_cash_value(policy, raw[policy.id])

    def build(self) -> int:
        self.in_force_long_term()
        self.short_term_in_force()
        self.terminated_group()
        self.cash_values_and_loans()
        return self.customer_id


# -- customer 2: the senior ------------------------------------------------------------
def build_senior(ds: Dataset, rng: random.Random, today: date) -> int:
    birth = add_months(today, -(68 * 12 + 3))
    customer_id = ds.add_customer(**person(rng, city="上海", birth=birth, gender="F", name="李秀兰"))
    benefits = Benefits(ds, rng, today)
    heir = "王志明(子女) 100%"
    p = PRODUCTS_BY_CODE

    def life(code, *, status, start, end, sa, premium, term, frequency=PaymentFrequency.ANNUAL, status_date=None):
        return ds.add_policy(
            customer_id=customer_id, product=p[code], status=status, status_date=status_date, start_date=start,
            end_date=end, sum_assured_fen=sa, premium_fen=premium, frequency=frequency, term_years=term,
            insured_name="李秀兰", beneficiaries=heir,
        )

    # In its grace period: the premium due 30 days ago is unpaid.
    grace_due = today - timedelta(days=30)
    start = add_years(grace_due, -12)
    policy = life("CL101", status=PolicyStatus.IN_FORCE, start=start, end=None, sa=yuan_fen(100_000),
                  premium=yuan_fen(4_260), term=20)
    add_premiums(ds, rng, policy, frequency=PaymentFrequency.ANNUAL, term_years=20, premium_fen=yuan_fen(4_260),
                 today=today, until=today + timedelta(days=365), unpaid_from=grace_due)
    ds.set_cash_value(policy, yuan_fen(38_650))

    # Matured five months ago; the maturity benefit was never collected.
    matured_on = today - timedelta(days=150)
    start = add_years(matured_on, -15)
    policy = life("CL201", status=PolicyStatus.MATURED, status_date=matured_on, start=start,
                  end=matured_on - timedelta(days=1), sa=yuan_fen(50_000), premium=yuan_fen(3_680), term=10)
    add_premiums(ds, rng, policy, frequency=PaymentFrequency.ANNUAL, term_years=10, premium_fen=yuan_fen(3_680),
                 today=today, until=matured_on)
    for _, day in anniversaries(start, 3, 3, matured_on - timedelta(days=1)):
        benefits.add(policy, BenefitKind.SURVIVAL, day, yuan_fen(4_000))
    benefits.add(policy, BenefitKind.MATURITY, matured_on, yuan_fen(50_000), leave_open=True)

    # Paid-up participating whole life with an outstanding policy loan, repaid once.
    start = add_years(today - timedelta(days=200), -10)
    policy = life("CL102", status=PolicyStatus.IN_FORCE, start=start, end=None, sa=yuan_fen(150_000),
                  premium=yuan_fen(12_800), term=10)
    add_premiums(ds, rng, policy, frequency=PaymentFrequency.ANNUAL, term_years=10, premium_fen=yuan_fen(12_800),
                 today=today, until=today + timedelta(days=365))
    for _, day in anniversaries(start, 1, 1, today + timedelta(days=365)):
        benefits.add(policy, BenefitKind.DIVIDEND, day, yuan_fen(rng.randint(420, 680)))
    ds.set_cash_value(policy, yuan_fen(121_400))
    loan_start = today - timedelta(days=120)
    principal, rate = yuan_fen(40_000), p["CL102"].loan_rate_bp
    loan_id = ds.add_loan(policy, LoanKind.POLICY_LOAN.value, principal, rate, loan_start, loan_start + timedelta(days=180))
    repaid_on = today - timedelta(days=60)
    ds.add_repayment(policy, loan_id, repaid_on, yuan_fen(10_000), interest_fen(principal, rate, (repaid_on - loan_start).days))

    # Lapsed five months ago (grace ended unpaid); it still has a cash value.
    lapsed_on = today - timedelta(days=150)
    unpaid_due = lapsed_on - timedelta(days=60)
    start = add_years(unpaid_due, -6)
    policy = life("CL202", status=PolicyStatus.LAPSED, status_date=lapsed_on, start=start,
                  end=add_years(start, 20) - timedelta(days=1), sa=yuan_fen(60_000), premium=yuan_fen(5_200), term=15)
    add_premiums(ds, rng, policy, frequency=PaymentFrequency.ANNUAL, term_years=15, premium_fen=yuan_fen(5_200),
                 today=today, until=unpaid_due, unpaid_from=unpaid_due)
    for _, day in anniversaries(start, 1, 1, unpaid_due - timedelta(days=1)):
        benefits.add(policy, BenefitKind.DIVIDEND, day, yuan_fen(rng.randint(150, 260)))
    ds.set_cash_value(policy, yuan_fen(18_240))

    # Normal ones: a retirement annuity paying since 60, medical and accident cover.
    start = add_years(birth, 50) + timedelta(days=45)
    policy = life("CL301", status=PolicyStatus.IN_FORCE, start=start, end=None, sa=yuan_fen(200_000),
                  premium=yuan_fen(20_000), term=10)
    add_premiums(ds, rng, policy, frequency=PaymentFrequency.ANNUAL, term_years=10, premium_fen=yuan_fen(20_000),
                 today=today, until=today + timedelta(days=365))
    for _, day in anniversaries(start, 10, 1, today + timedelta(days=365)):
        benefits.add(policy, BenefitKind.ANNUITY, day, yuan_fen(12_000))
    # Enough value that a loan above ¥100,000 (held for a cooling-off day) is possible.
    ds.set_cash_value(policy, yuan_fen(136_300))

    for code, sa, premium, days_ago, auto_renew in (("CL702", 100_000, 1_180, 70, True), ("CL801", 100_000, 260, 200, False)):
        start = today - timedelta(days=days_ago)
        policy = ds.add_policy(
            customer_id=customer_id, product=p[code], status=PolicyStatus.IN_FORCE, start_date=start,
            end_date=one_year_end(start), sum_assured_fen=yuan_fen(sa), premium_fen=yuan_fen(premium),
            frequency=PaymentFrequency.SINGLE, term_years=0, insured_name="李秀兰",
            beneficiaries="" if code == "CL702" else heir, auto_renew=auto_renew,
        )
        ds.add_installment(policy, start, yuan_fen(premium), start)
    return customer_id


# -- customer 3: the young family ------------------------------------------------------
def build_family(ds: Dataset, rng: random.Random, today: date) -> int:
    birth = add_years(today, -32) - timedelta(days=75)
    customer_id = ds.add_customer(**person(rng, city="广州", birth=birth, gender="M", name="张伟"))
    p = PRODUCTS_BY_CODE
    plate = make_plate(rng, "广州")

    def one_year(code, insured, start, sa, premium, *, auto_renew, status=PolicyStatus.IN_FORCE, note="", beneficiary=""):
        end = one_year_end(start)
        policy = ds.add_policy(
            customer_id=customer_id, product=p[code], status=status, start_date=start, end_date=end,
            status_date=end if status is PolicyStatus.MATURED else None, sum_assured_fen=yuan_fen(sa),
            premium_fen=premium, frequency=PaymentFrequency.SINGLE, term_years=0, insured_name=insured,
            beneficiaries=beneficiary, auto_renew=auto_renew, issue_note=note,
        )
        ds.add_installment(policy, start, premium, start)

    car = f"车辆 {plate} 比亚迪 汉EV"
    car_start = today - timedelta(days=341)  # renewal due in about 24 days, auto-renewal off
    one_year("PA01", "张伟", add_years(car_start, -1), 180_000, yuan_fen(5_120), auto_renew=False,
             status=PolicyStatus.MATURED, note=car)
    one_year("PA01", "张伟", car_start, 165_000, yuan_fen(4_736) + 50, auto_renew=False, note=car)
    one_year("PH01", "张伟", today - timedelta(days=160), 600_000, yuan_fen(298), auto_renew=True,
             note="房屋 广州市天河区体育西路 89平方米")
    one_year("CL701", "张小宇", today - timedelta(days=95), 2_000_000, yuan_fen(318), auto_renew=True)
    one_year("CL801", "李娜", today - timedelta(days=230), 300_000, yuan_fen(198), auto_renew=True,
             beneficiary="张伟(配偶) 100%")

    start = add_years(today - timedelta(days=50), -2)
    policy = ds.add_policy(
        customer_id=customer_id, product=p["CL501"], status=PolicyStatus.IN_FORCE, start_date=start,
        end_date=add_years(start, 30) - timedelta(days=1), sum_assured_fen=yuan_fen(1_000_000),
        premium_fen=yuan_fen(1_280), frequency=PaymentFrequency.ANNUAL, term_years=20, insured_name="张伟",
        beneficiaries="李娜(配偶) 50%; 张小宇(子女) 50%",
    )
    add_premiums(ds, rng, policy, frequency=PaymentFrequency.ANNUAL, term_years=20, premium_fen=yuan_fen(1_280),
                 today=today, until=today + timedelta(days=365))
    return customer_id


# -- managers, logins, assembly --------------------------------------------------------
def add_managers(ds: Dataset, rng: random.Random) -> dict[str, tuple[int, str]]:
    """username -> (manager id, city)."""
    from portal.data.people import make_phone

    result = {}
    for username, manager_no, name, city, qualifications, rating in MANAGERS:
        manager_id = ds.add(
            t.ServiceManager, manager_no=manager_no, name=name, city=city, phone=make_phone(rng),
            qualifications=qualifications, rating_tenths=rating,
        )
        result[username] = (manager_id, city)
    return result


def add_login(ds: Dataset, username: str, role: str, *, customer_id: int | None = None, manager_id: int | None = None) -> None:
    ds.add(
        t.UserAccount, username=username, password_hash=hash_password(DEMO_PASSWORD), role=role,
        customer_id=customer_id, manager_id=manager_id, failed_attempts=0, locked_until=None,
    )


def build_demo(session: Session, today: date | None = None, seed: int = DEFAULT_SEED) -> DemoResult:
    from portal.domain.clock import today as clock_today

    today = today or clock_today()
    ensure_products(session)
    ds = Dataset(session)
    managers = add_managers(ds, random.Random(f"demo-{seed}-managers"))
    loyal = LoyalCustomer(ds, random.Random(f"demo-{seed}-loyal"), today).build()
    senior = build_senior(ds, random.Random(f"demo-{seed}-senior"), today)
    family = build_family(ds, random.Random(f"demo-{seed}-family"), today)
    for customer_id, username, manager, since_days in (
        (loyal, "wangjianguo", "manager.bj1", 1400),
        (senior, "lixiulan", "manager.sh1", 900),
        (family, "zhangwei", "manager.gz1", 300),
    ):
        ds.add(t.ManagerAssignment, manager_id=managers[manager][0], customer_id=customer_id,
               assigned_on=today - timedelta(days=since_days))
        add_login(ds, username, "customer", customer_id=customer_id)
    for username, (manager_id, _) in managers.items():
        add_login(ds, username, "manager", manager_id=manager_id)
    ds.flush()
    # Ordinary customers spread evenly over the cities, so every manager gets clients.
    cities = sorted({city for _, city in managers.values()})
    extra_ids: list[int] = []
    for index, city in enumerate(cities):
        share = EXTRA_CUSTOMERS // len(cities) + (1 if index < EXTRA_CUSTOMERS % len(cities) else 0)
        extra = generate(
            session, customers=share, policies_per_customer=(2, 8), seed=seed, today=today,
            cities=(city,), rng_name=f"demo-extra-{city}",
        )
        extra_ids.extend(extra.customer_ids)
    return DemoResult(loyal, senior, family, tuple(m for m, _ in managers.values()), tuple(extra_ids))


def main(argv: list[str] | None = None) -> int:

    from portal.data.db import get_engine, session_scope

    parser = argparse.ArgumentParser(prog="python -m portal.data.demo", description="load the demo data")
    parser.add_argument("--if-empty", action="store_true", help="do nothing when customers already exist")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    args = parser.parse_args(argv)

    engine = get_engine()
    upgrade_to_head(engine)
    with session_scope(engine) as session:
        customers = session.execute(select(func.count()).select_from(t.Customer)).scalar_one()
        if customers and args.if_empty:
            print(f"database already has {customers} customers: demo data not loaded")
            return 0
        taken = session.execute(
            select(t.UserAccount.username).where(t.UserAccount.username.in_([login.username for login in DemoLogins]))
        ).scalars().all()
        if taken:
            print(f"demo logins already exist ({', '.join(sorted(taken))}): nothing loaded")
            return 1
        result = build_demo(session, args.today, args.seed)
    print(
        f"demo data loaded: customers {result.loyal_customer_id} (王建国), {result.senior_customer_id} (李秀兰), "
        f"{result.family_customer_id} (张伟) and {len(result.extra_customer_ids)} more; "
        f"{len(result.manager_ids)} managers"
    )
    print(f"password for every demo login: {DEMO_PASSWORD}")
    for login in DemoLogins:
        print(f"  {login.username:<14} {login.role:<9} {login.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Generator of any number of ordinary customers and policies, fast enough for millions.

Realism per policy: a product from the catalogue, a status mix close to a real book
(mostly in force; matured, surrendered and lapsed ones too), premiums paid on schedule
with the next one due, survival / dividend / annuity / maturity money (a share of it left
uncollected), cash values, a few policy loans and universal-life accounts, and a history
event for every money movement. Records per policy stay few (≤ 6 installments, ≤ 2
benefit items). Rows are written in chunks of customers (``builder.Dataset``, binary
COPY on PostgreSQL): a million policies take about five minutes on PostgreSQL, 100,000
about half a minute of CPU on SQLite (README, "Reliability and security").

CLI: ``python -m portal.data.scale --customers N --policies-per-customer M [--seed S]``
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from sqlalchemy import func, select
from sqlmodel import Session

from portal.data.schema import upgrade_to_head
from portal.data import tables as t
from portal.data.bulk import ReferenceCheck
from portal.data.builder import (
    Dataset,
    PolicyRef,
    add_months,
    add_years,
    due_dates,
    interest_fen,
    loan_limit_fen,
    one_year_end,
)
from portal.data.catalogue import PRODUCTS_BY_CODE, ProductSpec, ensure_products
from portal.data.people import CITIES, make_name, make_phone, make_plate, person
from portal.domain.records import BenefitKind, LoanKind, PaymentFrequency, PolicyStatus

# Products whose cover never ends (no end date, so they cannot mature).
WHOLE_OF_LIFE = frozenset({"CL101", "CL102", "CL301", "CL401", "CL601", "CL602"})

PRODUCT_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("CL101", 8), ("CL102", 8), ("CL201", 10), ("CL202", 6), ("CL301", 8), ("CL302", 5),
    ("CL401", 3), ("CL501", 8), ("CL601", 10), ("CL602", 3), ("CL701", 8), ("CL702", 4),
    ("CL801", 8), ("PA01", 8), ("PH01", 4),
)

# (min, max) sum assured in yuan, and premium per year as basis points of it.
PRICING: dict[str, tuple[int, int, int, int]] = {
    "whole_life": (100_000, 500_000, 200, 400),
    "participating": (50_000, 300_000, 400, 900),
    "endowment": (50_000, 200_000, 600, 1000),
    "annuity": (100_000, 500_000, 500, 1000),
    "universal": (100_000, 300_000, 300, 600),
    "term": (500_000, 1_500_000, 10, 30),
    "critical_illness": (100_000, 500_000, 200, 400),
    "medical": (2_000_000, 6_000_000, 1, 3),
    "accident": (100_000, 1_000_000, 2, 6),
    "auto": (80_000, 400_000, 150, 300),
    "home": (300_000, 1_000_000, 5, 10),
}

MANAGER_CITY_CODES = {"北京": "BJ", "上海": "SH", "广州": "GZ", "成都": "CD"}


@dataclass
class Household:
    """A policyholder and the family members their policies may insure."""

    customer_id: int
    name: str
    gender: str
    birth_date: date
    city: str
    spouse: str
    children: list[str] = field(default_factory=list)

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


@dataclass(frozen=True)
class ScaleResult:
    customers: int
    policies: int
    customer_ids: range  # consecutive: the ids are assigned in order (a range stays small)


# -- small helpers ------------------------------------------------------------------------
def pct(value: int, numerator: int, denominator: int = 100) -> int:
    """Integer share of an amount in fen, rounded down (no float on money)."""
    return value * numerator // denominator


_PRODUCT_CODES = [c for c, _ in PRODUCT_WEIGHTS]
_CUMULATIVE_WEIGHTS = list(accumulate(w for _, w in PRODUCT_WEIGHTS))


def pick_product(rng: random.Random) -> ProductSpec:
    # The same draw as rng.choices(codes, weights), without summing the weights each time.
    return PRODUCTS_BY_CODE[rng.choices(_PRODUCT_CODES, cum_weights=_CUMULATIVE_WEIGHTS)[0]]


def price(rng: random.Random, product: ProductSpec) -> tuple[int, int]:
    """(sum assured fen, annual premium fen)."""
    low, high, bp_low, bp_high = PRICING[product.kind]
    sum_assured = rng.randint(low // 1000, high // 1000) * 1000 * 100
    premium = sum_assured * rng.randint(bp_low, bp_high) // 10000
    return sum_assured, max(premium // 10 * 10, 10_000)  # whole 0.1 yuan, at least ¥100


def pay_date(rng: random.Random, due: date, start: date, today: date) -> date:
    """When a due premium was paid: usually a little early, sometimes inside the grace."""
    if due == start:
        return start
    paid = due + timedelta(days=rng.randint(-12, 10))
    return min(max(paid, start), today)


def collected_date(rng: random.Random, payable: date, today: date) -> date:
    return min(payable + timedelta(days=rng.randint(0, 25)), today)


def insured_and_beneficiary(rng: random.Random, household: Household, product: ProductSpec) -> tuple[str, str]:
    if product.code == "CL602" and household.children:
        insured = rng.choice(household.children)
    elif product.line.value == "property":
        return household.name, ""
    else:
        roll = rng.randint(1, 10)
        if roll <= 7 or not household.spouse:
            insured = household.name
        elif roll <= 9 or not household.children:
            insured = household.spouse
        else:
            insured = rng.choice(household.children)
    if product.kind in ("medical",):
        return insured, ""
    if insured == household.name and household.spouse:
        beneficiary = f"{household.spouse}(配偶) 100%"
    elif insured != household.name:
        beneficiary = f"{household.name} 100%"
    else:
        beneficiary = "法定"
    return insured, beneficiary


def issue_note(rng: random.Random, product: ProductSpec, household: Household) -> str:
    """Property policies record their insured object on the issue event."""
    if product.kind == "auto":
        model = rng.choice(("比亚迪 汉EV", "大众 帕萨特", "丰田 凯美瑞", "本田 雅阁", "吉利 星越L", "特斯拉 Model 3"))
        return f"车辆 {make_plate(rng, household.city)} {model}"
    if product.kind == "home":
        return f"房屋 {household.city}市 {rng.randint(60, 180)}平方米"
    return ""


# -- policies -----------------------------------------------------------------------------
def add_premiums(
    ds: Dataset,
    rng: random.Random,
    policy: PolicyRef,
    *,
    frequency: PaymentFrequency,
    term_years: int,
    premium_fen: int,
    today: date,
    until: date,
    unpaid_from: date | None = None,
) -> int:
    """Installments due up to ``until``; paid when due before ``unpaid_from`` (default today).

    Returns the total paid, in fen.
    """
    cutoff = unpaid_from or today
    paid_total = 0
    for due in due_dates(policy.start_date, frequency, term_years, until):
        paid = pay_date(rng, due, policy.start_date, today) if due < cutoff else None
        ds.add_installment(policy, due, premium_fen, paid)
        if paid is not None:
            paid_total += premium_fen
    return paid_total


def next_due_horizon(start: date, frequency: PaymentFrequency, today: date) -> date:
    """Through the first due date on or after today, so one upcoming installment exists."""
    if frequency is PaymentFrequency.SINGLE:
        return today
    step = {PaymentFrequency.ANNUAL: 12, PaymentFrequency.SEMI_ANNUAL: 6,
            PaymentFrequency.QUARTERLY: 3, PaymentFrequency.MONTHLY: 1}[frequency]
    k = 0
    while add_months(start, k * step) < today:
        k += 1
    return add_months(start, k * step)


def add_short_term_policy(ds: Dataset, rng: random.Random, household: Household, product: ProductSpec, today: date) -> PolicyRef:
    sum_assured, premium = price(rng, product)
    in_force = rng.randint(1, 4) > 1
    if in_force:
        start = today - timedelta(days=rng.randint(0, 364))
    else:
        start = today - timedelta(days=365 + rng.randint(1, 3 * 365))
    end = one_year_end(start)
    insured, beneficiary = insured_and_beneficiary(rng, household, product)
    policy = ds.add_policy(
        customer_id=household.customer_id,
        product=product,
        status=PolicyStatus.IN_FORCE if in_force else PolicyStatus.MATURED,
        status_date=None if in_force else end,
        start_date=start,
        end_date=end,
        sum_assured_fen=sum_assured,
        premium_fen=premium,
        frequency=PaymentFrequency.SINGLE,
        term_years=0,
        insured_name=insured,
        beneficiaries=beneficiary,
        auto_renew=in_force and rng.randint(1, 3) > 1,
        issue_note=issue_note(rng, product, household),
    )
    ds.add_installment(policy, start, premium, start)
    return policy


def add_long_term_policy(ds: Dataset, rng: random.Random, household: Household, product: ProductSpec, today: date) -> PolicyRef:
    sum_assured, annual_premium = price(rng, product)
    roll = rng.randint(1, 100)
    can_mature = product.code not in WHOLE_OF_LIFE
    if roll <= 80:
        status = PolicyStatus.IN_FORCE
    elif roll <= 88:
        status = PolicyStatus.MATURED if can_mature else PolicyStatus.TERMINATED
    elif roll <= 96:
        status = PolicyStatus.TERMINATED
    else:
        status = PolicyStatus.LAPSED
    insured, beneficiary = insured_and_beneficiary(rng, household, product)
    frequency, term_years, premium = PaymentFrequency.ANNUAL, rng.choice((5, 10, 20)), annual_premium
    status_date: date | None = None
    end: date | None = None
    unpaid_from: date | None = None

    if status is PolicyStatus.IN_FORCE:
        freq_roll = rng.randint(1, 20)
        if product.kind in ("annuity", "universal") and freq_roll <= 6:
            frequency, term_years = PaymentFrequency.SINGLE, 0
            premium = annual_premium * 5
            start = today - timedelta(days=rng.randint(30, 5 * 365))
        elif freq_roll <= 2:
            frequency, premium = PaymentFrequency.MONTHLY, annual_premium // 12 // 10 * 10
            start = today - timedelta(days=rng.randint(1, 150))
        elif freq_roll <= 5:
            frequency, premium = PaymentFrequency.QUARTERLY, annual_premium // 4 // 10 * 10
            start = today - timedelta(days=rng.randint(1, 360))
        else:
            start = add_years(today - timedelta(days=rng.randint(0, 364)), -rng.randint(0, 4))
        until = next_due_horizon(start, frequency, today)
        if can_mature:
            end = add_years(start, max(term_years, 10) + rng.choice((0, 5, 10))) - timedelta(days=1)
    elif status is PolicyStatus.MATURED:
        term_years = 5
        cover_years = rng.choice((5, 10))
        start = add_years(today, -cover_years) - timedelta(days=rng.randint(1, 1000))
        end = add_years(start, cover_years) - timedelta(days=1)
        status_date = end
        until = end
    elif status is PolicyStatus.TERMINATED:
        years = rng.randint(2, 6)
        start = add_years(today, -years) - timedelta(days=rng.randint(0, 364))
        status_date = add_years(start, rng.randint(1, years - 1)) + timedelta(days=rng.randint(1, 200))
        status_date = min(status_date, today)
        until = status_date - timedelta(days=1)
        if can_mature:
            end = add_years(start, 20) - timedelta(days=1)
    else:  # lapsed: the last installment stayed unpaid through the 60-day grace
        status_date = today - timedelta(days=rng.randint(0, 540))
        unpaid_due = status_date - timedelta(days=60)
        start = add_years(unpaid_due, -rng.randint(1, 4))
        term_years = max(term_years, 10)
        until = unpaid_due
        unpaid_from = unpaid_due
        if can_mature:
            end = add_years(start, 20) - timedelta(days=1)

    policy = ds.add_policy(
        customer_id=household.customer_id,
        product=product,
        status=status,
        status_date=status_date,
        start_date=start,
        end_date=end,
        sum_assured_fen=sum_assured,
        premium_fen=premium,
        frequency=frequency,
        term_years=term_years,
        insured_name=insured,
        beneficiaries=beneficiary,
    )
    paid = add_premiums(
        ds, rng, policy, frequency=frequency, term_years=term_years, premium_fen=premium,
        today=today, until=until, unpaid_from=unpaid_from,
    )
    add_benefits(ds, rng, policy, household, status=status, start=start, end=end,
                 sum_assured=sum_assured, premium=premium, today=today)

    cash_value = 0
    if product.kind == "universal" and status is PolicyStatus.IN_FORCE:
        cash_value = add_universal_account(ds, rng, policy, paid, today)
    elif product.is_savings and status is PolicyStatus.IN_FORCE:
        cash_value = pct(paid, rng.randint(55, 95))
    elif product.is_savings and status is PolicyStatus.LAPSED:
        cash_value = pct(paid, rng.randint(30, 60))
    if cash_value:
        ds.set_cash_value(policy, cash_value)
    if product.loan_allowed and status is PolicyStatus.IN_FORCE and cash_value > 100_000 and rng.randint(1, 100) <= 4:
        add_policy_loan(ds, rng, policy, cash_value, today)
    return policy


def add_benefits(
    ds: Dataset, rng: random.Random, policy: PolicyRef, household: Household, *,
    status: PolicyStatus, start: date, end: date | None, sum_assured: int, premium: int, today: date,
) -> None:
    """At most two benefit items; about one in ten stays uncollected (sleeping money)."""
    kind = policy.product.kind

    def item(benefit: BenefitKind, payable: date, amount: int) -> None:
        if payable > today:
            ds.add_benefit(policy, benefit.value, payable, amount, None)
            return
        paid = collected_date(rng, payable, today) if rng.randint(1, 10) > 1 else None
        ds.add_benefit(policy, benefit.value, payable, amount, paid)

    last_anniversary = start
    while add_years(last_anniversary, 1) <= min(today, status_check_end(status, end, today)):
        last_anniversary = add_years(last_anniversary, 1)
    years = (last_anniversary.year - start.year) if last_anniversary > start else 0

    if status is PolicyStatus.MATURED and end is not None and kind in ("endowment", "participating", "annuity"):
        if kind == "participating" and years >= 1:
            item(BenefitKind.DIVIDEND, last_anniversary, pct(premium, rng.randint(2, 6)))
        item(BenefitKind.MATURITY, end, sum_assured if kind != "annuity" else pct(sum_assured, 30))
        return
    if status is not PolicyStatus.IN_FORCE or years < 1:
        return
    if kind == "endowment" and years >= 3:
        survival_year = years - years % 3
        item(BenefitKind.SURVIVAL, add_years(start, survival_year), pct(sum_assured, 10))
    elif kind == "participating":
        if years >= 2:
            item(BenefitKind.DIVIDEND, add_years(last_anniversary, -1), pct(premium, rng.randint(2, 6)))
        item(BenefitKind.DIVIDEND, last_anniversary, pct(premium, rng.randint(2, 6)))
    elif kind == "annuity" and household.age_on(today) >= 55:
        item(BenefitKind.ANNUITY, last_anniversary, pct(sum_assured, 5))


def status_check_end(status: PolicyStatus, end: date | None, today: date) -> date:
    return end if (status is PolicyStatus.MATURED and end is not None) else today


def add_universal_account(ds: Dataset, rng: random.Random, policy: PolicyRef, paid_premiums: int, today: date) -> int:
    """Premiums in, initial fee out, yearly interest credited; returns the balance in fen."""
    rate_bp = rng.choice((175, 200, 250))
    account_id = ds.add_account(policy, minimum_balance_fen=100_000, rate_bp=rate_bp)
    balance = paid_premiums
    ds.add_movement(policy, account_id, policy.start_date, "premium", paid_premiums)
    fee = -pct(paid_premiums, 2)
    ds.add_movement(policy, account_id, policy.start_date, "fee", fee)
    balance += fee
    year = 1
    while add_years(policy.start_date, year) <= today and year <= 4:
        credit = interest_fen(balance, rate_bp + rng.randint(0, 150), 365)
        ds.add_movement(policy, account_id, add_years(policy.start_date, year), "interest", credit)
        balance += credit
        year += 1
    return balance


def add_policy_loan(ds: Dataset, rng: random.Random, policy: PolicyRef, cash_value: int, today: date) -> None:
    principal = pct(loan_limit_fen(cash_value), rng.randint(20, 60)) // 10_000 * 10_000  # whole ¥100
    if principal <= 0:
        return
    rate_bp = policy.product.loan_rate_bp
    start = max(today - timedelta(days=rng.randint(10, 170)), policy.start_date)
    loan_id = ds.add_loan(policy, LoanKind.POLICY_LOAN.value, principal, rate_bp, start, start + timedelta(days=180))
    if rng.randint(1, 10) <= 4 and (today - start).days >= 20:
        paid = start + timedelta(days=(today - start).days // 2)
        interest = interest_fen(principal, rate_bp, (paid - start).days)
        ds.add_repayment(policy, loan_id, paid, pct(principal, 30), interest)


def add_policy(ds: Dataset, rng: random.Random, household: Household, today: date, product: ProductSpec | None = None) -> PolicyRef:
    product = product or pick_product(rng)
    if product.short_term:
        return add_short_term_policy(ds, rng, household, product, today)
    return add_long_term_policy(ds, rng, household, product, today)


# -- customers and managers ---------------------------------------------------------------
def add_household(ds: Dataset, rng: random.Random, city: str, today: date, age: int | None = None) -> Household:
    age = age if age is not None else rng.randint(24, 72)
    gender = rng.choice("MF")
    birth = add_years(today, -age) - timedelta(days=rng.randint(1, 360))
    columns = person(rng, city=city, birth=birth, gender=gender)
    customer_id = ds.add_customer(**columns)
    surname = columns["name"][0]
    spouse = make_name(rng, "F" if gender == "M" else "M") if age >= 26 else ""
    children = [make_name(rng, rng.choice("MF"), surname) for _ in range(rng.randint(0, 2))] if age >= 28 else []
    return Household(customer_id, columns["name"], gender, birth, city, spouse, children)


def ensure_managers(session: Session, cities=CITIES) -> dict[str, list[int]]:
    """Manager ids by city; a city without any gets one generated manager."""
    rows = session.execute(select(t.ServiceManager.id, t.ServiceManager.city).order_by(t.ServiceManager.id)).all()
    by_city: dict[str, list[int]] = defaultdict(list)
    for manager_id, city in rows:
        by_city[city].append(manager_id)
    rng = random.Random("managers")
    for city in cities:
        if by_city.get(city):
            continue
        manager = t.ServiceManager(
            manager_no=f"M{MANAGER_CITY_CODES.get(city, 'XX')}900",
            name=make_name(rng, rng.choice("MF")),
            city=city,
            phone=make_phone(rng),
            qualifications="保险代理从业人员执业证",
            rating_tenths=45,
        )
        session.add(manager)
        session.flush()
        by_city[city].append(manager.id)
    return dict(by_city)


class ManagerRoundRobin:
    """Assigns each new customer to the least-loaded manager of their city (ties: lowest id)."""

    def __init__(self, session: Session, by_city: dict[str, list[int]]):
        self.by_city = by_city
        loads = dict(
            session.execute(
                select(t.ManagerAssignment.manager_id, func.count()).group_by(t.ManagerAssignment.manager_id)
            ).all()
        )
        self.load = {m: loads.get(m, 0) for ids in by_city.values() for m in ids}

    def assign(self, city: str) -> int:
        manager_id = min(self.by_city[city], key=lambda m: (self.load[m], m))
        self.load[manager_id] += 1
        return manager_id


def generate(
    session: Session,
    *,
    customers: int,
    policies_per_customer: int | tuple[int, int],
    seed: int = 2019,
    today: date | None = None,
    cities: tuple[str, ...] = CITIES,
    rng_name: str = "scale",
    flush_every: int = 1000,
) -> ScaleResult:
    """Add ``customers`` households with their policies, managers assigned round-robin.

    Written in chunks of ``flush_every`` customers, so memory does not grow with the
    count; on PostgreSQL each chunk is COPYed by a writer thread while the next one is
    generated (``Dataset(write_behind=True)``), and where the role may, foreign keys are
    checked once at the end instead of row by row (``bulk.ReferenceCheck``). Everything
    stays in the session's transaction: the caller commits (or rolls back on an error)."""
    from portal.domain.clock import today as clock_today

    today = today or clock_today()
    ensure_products(session)
    robin = ManagerRoundRobin(session, ensure_managers(session, cities))
    rng = random.Random(f"{rng_name}-{seed}")
    # SQLite gains nothing from a writer thread (it runs in this process).
    ds = Dataset(session, write_behind=session.get_bind().dialect.name == "postgresql")
    references = ReferenceCheck.begin(session)  # None: foreign keys checked row by row
    first_id: int | None = None
    policies = 0
    try:
        for index in range(customers):
            city = rng.choice(cities)
            household = add_household(ds, rng, city, today)
            first_id = household.customer_id if first_id is None else first_id
            count = policies_per_customer if isinstance(policies_per_customer, int) else rng.randint(*policies_per_customer)
            for _ in range(count):
                add_policy(ds, rng, household, today)
            policies += count
            ds.add(t.ManagerAssignment, manager_id=robin.assign(city), customer_id=household.customer_id,
                   assigned_on=today - timedelta(days=rng.randint(0, 720)))
            if (index + 1) % flush_every == 0:
                ds.flush()
        ds.flush()
    except BaseException:
        ds.close(raise_errors=False)
        if references is not None:
            references.abandon()
        raise
    ds.close()
    if references is not None:
        references.finish(ds.loaded_keys())
    first = first_id if first_id is not None else 0
    return ScaleResult(customers, policies, range(first, first + customers))


def main(argv: list[str] | None = None) -> int:

    from portal.data.db import get_engine, session_scope

    parser = argparse.ArgumentParser(prog="python -m portal.data.scale", description="add generated customers and policies")
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--policies-per-customer", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args(argv)
    if args.customers < 0 or args.policies_per_customer < 0:
        parser.error("counts must not be negative")

    engine = get_engine()
    upgrade_to_head(engine)
    started = time.perf_counter()
    with session_scope(engine) as session:
        result = generate(
            session, customers=args.customers, policies_per_customer=args.policies_per_customer, seed=args.seed
        )
    print(f"added {result.customers} customers, {result.policies} policies in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

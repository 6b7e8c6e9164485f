"""A richer customer for the self-service tests, and the helpers those tests share.

Carol (C3, login ``carol``) holds one policy per situation an action can meet. Every
figure below is written out by hand so the tests can check the services against numbers
that were not computed by the code under test. Today is 2026-11-21 (``conftest.TODAY``).

==============  =========================================================================
P-C-WL          whole life, in force, cash value ¥100,000.00 → loan limit ¥80,000.00.
                Loan L-C-1: ¥10,000.00 at 5% from 2026-05-21 (184 days: interest
                ¥252.05, total due ¥10,252.05) → headroom ¥69,747.95.
                Premium ¥10,000.00 due 2026-12-01 (inside the 30-day window).
P-C-BIG         whole life, in force, cash value ¥400,000.00 → limit ¥320,000.00, no
                loans, nothing due: the held (> ¥100,000) loans.
P-C-UL          universal life from 2024-03-01 (policy year 3 → 3% charge); account
                UA-C-1: +50,000.00 +1,234.56 −34.56 = ¥51,200.00, minimum ¥5,000.00
                → ¥46,200.00 can be withdrawn.
P-C-END         endowment, in force, quarterly ¥3,000.00; 2026-10-01 unpaid (51 days
                overdue: grace period); 2027-01-01 unpaid (outside the window).
                Benefits: survival 2025-06-01 ¥2,000.00 paid; survival 2026-06-01
                ¥2,000.00 and dividend 2026-10-01 ¥123.45 claimable; maturity
                2031-06-01 ¥50,000.00 not yet payable.
P-C-ST          one-year health policy 2026-04-01..2027-03-31, auto-renewal off.
P-C-LAPSED      whole life lapsed 2025-05-14, annual ¥6,000.00 from 2022-03-15;
                2025-03-15 recorded unpaid, 2026-03-15 not recorded (the schedule
                raises it); loan L-C-2 ¥2,000.00 at 5% from 2025-11-21 (365 days:
                ¥100.00 interest). Reinstatement: 12,000.00 + 506.30 + 206.30 +
                2,100.00 = ¥14,812.60.
P-C-TERM        terminated 2026-01-10, with a stray unpaid installment 2026-12-01.
P-C-OVERDUE     in force, ¥4,000.00 due 2026-08-01 unpaid: past the 60-day grace.
==============  =========================================================================

Bob (C2) gets a claimable benefit and a loan of his own, so Carol can try to touch them.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from passlib.hash import argon2
from sqlalchemy import select, text
from sqlmodel import SQLModel

from portal.data import tables as t
from portal.data.db import session_scope
from portal.data.history import verify_chain, verify_heads
from portal.data.picture import load_customer_picture
from portal.domain.rejections import Rejected
from portal.domain.rollup import roll_up
from portal.services import auth
from portal.services.servicing import requests, step_up
from tests.services.conftest import PASSWORD, TODAY

# A deliberately cheap argon2 hash: the step-up check verifies it many times per test.
CHEAP_HASH = argon2.using(memory_cost=256, rounds=1, parallelism=1).hash(PASSWORD)

# The instant every submission in these tests happens (a grant lasts five minutes).
NOW = datetime(2026, 11, 21, 9, 30, 0, tzinfo=UTC)

LOAN_LIMIT_WL = Decimal("80000.00")
HEADROOM_WL = Decimal("69747.95")
UL_AVAILABLE = Decimal("46200.00")


def fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


@dataclass
class World:
    engine: object
    backend: str
    ids: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ who is acting

    def principal(self, username: str = "carol") -> auth.Principal:
        with session_scope(self.engine) as s:
            token = auth.login(s, username, PASSWORD, NOW).token
        assert token, username
        with session_scope(self.engine) as s:
            return auth.authenticate(s, token, NOW)

    def grant(self, principal: auth.Principal, kind, key=None, fingerprint=None, now=NOW) -> step_up.StepUpGrant:
        """A step-up check for ``kind`` and, given a key and fingerprint, that one request."""
        with session_scope(self.engine) as s:
            return step_up.verify_password_again(
                s, principal, PASSWORD, now, kind=kind, request_key=key, fingerprint=fingerprint
            )

    def manager(self) -> auth.Principal:
        return auth.Principal(
            user_id=self.ids["user:manager"], username="manager", role="manager", display_name="陈经理",
            customer_id=None, manager_id=self.ids["manager:M1"], jti="manager-session",
        )

    # ------------------------------------------------------------------ running actions

    def review(self, principal, kind, form, today: date = TODAY):
        return requests.review(principal, kind, form, today, engine=self.engine)

    def stepped_up(self, principal, kind, rv) -> tuple[str, step_up.StepUpGrant]:
        """A fresh key and a step-up check made for exactly that reviewed request (done
        before a race, so the racing threads only submit)."""
        key = requests.new_idempotency_key()
        return key, self.grant(principal, kind, key, rv.fingerprint)

    def submit(self, principal, kind, form, rv=None, grant=None, key=None, today: date = TODAY, now=NOW,
               step_up=False):
        """``step_up=True``: the password is checked for exactly this request first, as the
        page does on confirm; otherwise ``grant`` (None: no check) is passed as given."""
        rv = rv if rv is not None else self.review(principal, kind, form, today)
        key = key or requests.new_idempotency_key()
        if step_up:
            grant = self.grant(principal, kind, key, rv.fingerprint, now=now)
        return requests.submit(principal, kind, form, key, rv.fingerprint, grant, today, now=now, engine=self.engine)

    def act(self, kind, form, principal=None, today: date = TODAY):
        """Review, step up and submit, as the page does."""
        return self.submit(principal or self.principal(), kind, form, today=today, step_up=True)

    # ------------------------------------------------------------------ reading back

    def rollup(self, customer: str = "C3", today: date = TODAY):
        with session_scope(self.engine) as s:
            return roll_up(load_customer_picture(s, self.ids[customer]), today)

    def rows(self, model, *where):
        with session_scope(self.engine) as s:
            return list(s.execute(select(model).where(*where).order_by(model.id)).scalars())

    def history(self, customer: str = "C3", kind: str | None = None) -> list[t.HistoryEvent]:
        conditions = [t.HistoryEvent.customer_id == self.ids[customer]]
        if kind is not None:
            conditions.append(t.HistoryEvent.kind == kind)
        with session_scope(self.engine) as s:
            return list(s.execute(select(t.HistoryEvent).where(*conditions).order_by(t.HistoryEvent.id)).scalars())

    def chain_is_clean(self) -> bool:
        with session_scope(self.engine) as s:
            return verify_chain(s) == [] and verify_heads(s) == []

    def dump(self) -> str:
        return dump(self.engine, self.backend)


# ---------------------------------------------------------------------- database dumps


def dump(engine, backend: str) -> str:
    """Every row of every table, deterministically: SQLite's own ``iterdump`` of the file
    (schema and rows) or, on PostgreSQL, each table's ``SELECT * ORDER BY 1``."""
    if backend == "sqlite":
        connection = sqlite3.connect(engine.url.database)
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    lines = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            lines.append(f"-- {table.name}")
            for row in connection.execute(select(table).order_by(text("1"))):
                lines.append(repr(tuple(row)))
    return "\n".join(lines)


def rejected_code(call) -> str:
    try:
        call()
    except Rejected as rejected:
        return rejected.code
    raise AssertionError("expected Rejected")


def together(count: int, work) -> list:
    """Runs ``work(i)`` in ``count`` threads released at the same moment; returns each
    thread's result or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


# ---------------------------------------------------------------------- the data


def add_servicing_data(engine, backend: str) -> World:
    world = World(engine, backend)
    ids = world.ids
    with session_scope(engine) as s:
        alice = s.execute(select(t.Customer).where(t.Customer.customer_no == "C1")).scalar_one()
        bob = s.execute(select(t.Customer).where(t.Customer.customer_no == "C2")).scalar_one()
        ids["C1"], ids["C2"] = alice.id, bob.id
        ids["manager:M1"] = s.execute(select(t.ServiceManager.id).where(t.ServiceManager.manager_no == "M1")).scalar_one()
        ids["user:manager"] = s.execute(select(t.UserAccount.id).where(t.UserAccount.username == "manager")).scalar_one()
        ids["user:alice"] = s.execute(select(t.UserAccount.id).where(t.UserAccount.username == "alice")).scalar_one()
        bob.payout_bank, bob.payout_account = "中国银行", "6216610200001234567"
        s.add(bob)
        # Bob's login gets the cheap hash too (the tests log in as him).
        bob_user = s.execute(select(t.UserAccount).where(t.UserAccount.username == "bob")).scalar_one()
        bob_user.password_hash = CHEAP_HASH
        s.add(bob_user)

        carol = t.Customer(
            customer_no="C3", name="郑三", id_number="110101198002023456", birth_date=date(1980, 2, 2),
            gender="F", city="北京", phone="13800005678", address="北京市朝阳区建国路1号",
            payout_bank="招商银行", payout_account="6225880012345678",
        )
        s.add(carol)
        s.flush()
        ids["C3"] = carol.id
        s.add(t.ManagerAssignment(manager_id=ids["manager:M1"], customer_id=carol.id, assigned_on=TODAY))
        user = t.UserAccount(username="carol", password_hash=CHEAP_HASH, role="customer", customer_id=carol.id)
        s.add(user)
        s.add_all(
            [
                t.Product(code="UL1", line="life", name_zh="万能险", name_en="Universal life", kind="universal"),
                t.Product(code="END1", line="life", name_zh="两全保险", name_en="Endowment", kind="endowment"),
                t.Product(code="ST1", line="life", name_zh="短期医疗", name_en="One-year medical", kind="health",
                          short_term=True),
            ]
        )
        s.flush()
        ids["user:carol"] = user.id

        def policy(no, product, status, start, premium, frequency, term, cash="0", end=None, status_date=None,
                   owner=carol):
            row = t.Policy(
                policy_no=no, source_system="life_core", line="life", product_code=product, status=status,
                status_date=status_date, policyholder_id=owner.id, insured_name=owner.name, start_date=start,
                end_date=end, sum_assured_fen=fen("1000000"), premium_fen=fen(premium), payment_frequency=frequency,
                payment_term_years=term, cash_value_fen=fen(cash),
            )
            s.add(row)
            s.flush()
            ids[no] = row.id
            return row

        def installment(p, due, amount, paid=None):
            row = t.PremiumInstallment(policy_id=p.id, due_date=due, amount_fen=fen(amount), paid_date=paid)
            s.add(row)
            s.flush()
            ids[f"inst:{p.policy_no}:{due.isoformat()}"] = row.id

        def benefit(p, kind, payable, amount, paid=None):
            row = t.BenefitItem(policy_id=p.id, kind=kind, payable_date=payable, amount_fen=fen(amount), paid_date=paid)
            s.add(row)
            s.flush()
            ids[f"benefit:{p.policy_no}:{kind}:{payable.isoformat()}"] = row.id

        def loan(p, no, amount, start, due):
            row = t.PolicyLoan(loan_no=no, policy_id=p.id, kind="policy_loan", principal_fen=fen(amount),
                               annual_rate_bp=500, start_date=start, due_date=due)
            s.add(row)
            s.flush()
            ids[no] = row.id

        wl = policy("P-C-WL", "WL1", "in_force", date(2019, 12, 1), "10000", "annual", 20, cash="100000")
        installment(wl, date(2025, 12, 1), "10000", paid=date(2025, 11, 25))
        installment(wl, date(2026, 12, 1), "10000")
        loan(wl, "L-C-1", "10000", date(2026, 5, 21), date(2026, 11, 21))

        big = policy("P-C-BIG", "WL1", "in_force", date(2015, 6, 1), "20000", "annual", 10, cash="400000")
        installment(big, date(2024, 6, 1), "20000", paid=date(2024, 5, 30))

        ul = policy("P-C-UL", "UL1", "in_force", date(2024, 3, 1), "50000", "single", 0)
        account = t.UniversalAccount(account_no="UA-C-1", policy_id=ul.id, minimum_balance_fen=fen("5000"),
                                     guaranteed_rate_bp=250)
        s.add(account)
        s.flush()
        ids["UA-C-1"] = account.id
        s.add_all(
            [
                t.AccountMovement(account_id=account.id, occurred_on=date(2024, 3, 1), kind="premium", amount_fen=fen("50000")),
                t.AccountMovement(account_id=account.id, occurred_on=date(2025, 3, 1), kind="interest", amount_fen=fen("1234.56")),
                t.AccountMovement(account_id=account.id, occurred_on=date(2025, 6, 1), kind="fee", amount_fen=-fen("34.56")),
            ]
        )

        end = policy("P-C-END", "END1", "in_force", date(2021, 7, 1), "3000", "quarterly", 10, end=date(2031, 6, 1))
        installment(end, date(2026, 7, 1), "3000", paid=date(2026, 6, 28))
        installment(end, date(2026, 10, 1), "3000")
        installment(end, date(2027, 1, 1), "3000")
        benefit(end, "survival", date(2025, 6, 1), "2000", paid=date(2025, 6, 5))
        benefit(end, "survival", date(2026, 6, 1), "2000")
        benefit(end, "dividend", date(2026, 10, 1), "123.45")
        benefit(end, "maturity", date(2031, 6, 1), "50000")

        short = policy("P-C-ST", "ST1", "in_force", date(2026, 4, 1), "1200", "annual", 1, end=date(2027, 3, 31))
        installment(short, date(2026, 4, 1), "1200", paid=date(2026, 3, 30))

        lapsed = policy("P-C-LAPSED", "WL1", "lapsed", date(2022, 3, 15), "6000", "annual", 20, cash="15000",
                        status_date=date(2025, 5, 14))
        for year in (2022, 2023, 2024):
            installment(lapsed, date(year, 3, 15), "6000", paid=date(year, 3, 10))
        installment(lapsed, date(2025, 3, 15), "6000")
        loan(lapsed, "L-C-2", "2000", date(2025, 11, 21), date(2026, 5, 21))

        terminated = policy("P-C-TERM", "WL1", "terminated", date(2018, 1, 1), "5000", "annual", 20,
                            status_date=date(2026, 1, 10))
        installment(terminated, date(2026, 12, 1), "5000")

        overdue = policy("P-C-OVERDUE", "WL1", "in_force", date(2016, 8, 1), "4000", "annual", 20)
        installment(overdue, date(2026, 8, 1), "4000")

        bob_policy = s.execute(select(t.Policy).where(t.Policy.policy_no == "P-BOB-1")).scalar_one()
        ids["P-BOB-1"] = bob_policy.id
        ids["P-ALICE-1"] = s.execute(select(t.Policy.id).where(t.Policy.policy_no == "P-ALICE-1")).scalar_one()
        benefit(bob_policy, "survival", date(2026, 6, 1), "1500")
        loan(bob_policy, "L-BOB-1", "3000", date(2026, 5, 21), date(2026, 11, 21))
    return world

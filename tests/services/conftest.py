"""A small hand-made database: two customers, one manager assigned to the first only."""

from __future__ import annotations

import functools
import uuid
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from portal.data.db import make_engine, session_scope
from portal.data.tables import (
    Customer,
    ManagerAssignment,
    Policy,
    PremiumInstallment,
    Product,
    ServiceManager,
    UserAccount,
)
from portal.services.passwords import hash_password
from tests.postgres_url import PG_URL, unreachable_reason

PASSWORD = "Correct-Horse-7"
TODAY = date(2026, 11, 21)


# PostgreSQL runs on the developers' and CI machines; without it its variants are skipped
# with the reason (tests/postgres_url.py), never dropped without a word. Each variant has
# its marker, so a run can pick one backend (scripts/test.sh: SQLite today, PostgreSQL a
# year ahead).
POSTGRES_BACKEND = pytest.param(
    "postgresql",
    marks=[pytest.mark.postgres, pytest.mark.skipif(unreachable_reason() is not None, reason=str(unreachable_reason()))],
)
SQLITE_BACKEND = pytest.param("sqlite", marks=pytest.mark.sqlite)
BACKENDS = [SQLITE_BACKEND, POSTGRES_BACKEND]


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "test-secret-" + "x" * 40)
    schema = None
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'svc.db'}")
    else:
        schema = f"svc_{uuid.uuid4().hex[:12]}"
        engine = _postgres_schema_engine(schema)
    SQLModel.metadata.create_all(engine)
    _populate(engine)
    yield engine
    engine.dispose()
    if schema:
        _run_admin(f"DROP SCHEMA {schema} CASCADE")


def _run_admin(statement: str) -> None:
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(statement))
    admin.dispose()


def _postgres_schema_engine(schema: str):
    """A schema of its own per test, so tests never see each other's rows."""
    _run_admin(f"CREATE SCHEMA {schema}")
    return make_engine(PG_URL).execution_options(schema_translate_map={None: schema})


def _customer(no: str, name: str) -> Customer:
    return Customer(
        customer_no=no, name=name, id_number="110101197001011234", birth_date=date(1970, 1, 1),
        gender="M", city="北京", phone="13800001234",
    )


@functools.lru_cache(maxsize=1)
def _password_hash() -> str:
    # Hashed once per run: argon2 is deliberately slow, and a salt per test adds nothing.
    return hash_password(PASSWORD)


def _populate(engine) -> None:
    password_hash = _password_hash()
    with session_scope(engine) as s:
        alice, bob = _customer("C1", "周一"), _customer("C2", "吴二")
        manager, other_manager = (
            ServiceManager(manager_no="M1", name="陈经理", city="北京", phone="13900000001"),
            ServiceManager(manager_no="M2", name="林经理", city="上海", phone="13900000002"),
        )
        s.add_all([alice, bob, manager, other_manager])
        s.flush()
        s.add(ManagerAssignment(manager_id=manager.id, customer_id=alice.id, assigned_on=TODAY))
        s.add(ManagerAssignment(manager_id=other_manager.id, customer_id=bob.id, assigned_on=TODAY))
        s.add_all(
            [
                UserAccount(username="alice", password_hash=password_hash, role="customer", customer_id=alice.id),
                UserAccount(username="bob", password_hash=password_hash, role="customer", customer_id=bob.id),
                UserAccount(username="manager", password_hash=password_hash, role="manager", manager_id=manager.id),
            ]
        )
        s.add(Product(code="WL1", line="life", name_zh="终身寿险", name_en="Whole life", kind="whole_life", loan_allowed=True, loan_rate_bp=500))
        s.flush()
        for owner, policy_no in ((alice, "P-ALICE-1"), (bob, "P-BOB-1")):
            policy = Policy(
                policy_no=policy_no, source_system="life_core", line="life", product_code="WL1", status="in_force",
                policyholder_id=owner.id, insured_name=owner.name, start_date=date(2020, 1, 1),
                sum_assured_fen=10_000_000, premium_fen=500_000, payment_frequency="annual", payment_term_years=20,
                cash_value_fen=2_000_000,
            )
            s.add(policy)
            s.flush()
            s.add(PremiumInstallment(policy_id=policy.id, due_date=date(2026, 1, 1), amount_fen=500_000, paid_date=date(2025, 12, 20)))
            s.add(PremiumInstallment(policy_id=policy.id, due_date=date(2026, 12, 1), amount_fen=500_000))


def ids(engine) -> dict[str, int]:
    with session_scope(engine) as s:
        return {
            c.customer_no: c.id for c in s.exec(__import__("sqlmodel").select(Customer)).all()
        }


@pytest.fixture
def world(engine):
    """The ``engine`` database plus Carol's servicing situations (servicing_fixtures.py)."""
    from tests.services.servicing_fixtures import add_servicing_data

    backend = "sqlite" if engine.dialect.name == "sqlite" else "postgresql"
    return add_servicing_data(engine, backend)

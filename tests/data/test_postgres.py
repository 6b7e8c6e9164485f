"""The same data layer on PostgreSQL, in a throw-away schema, on the server named by
``PORTAL_TEST_PG_URL`` (tests/postgres_url.py); skipped, with the reason, when none answers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from psycopg.errors import ForeignKeyViolation
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from portal.data import tables as t
from portal.data.builder import Dataset
from portal.data.bulk import BrokenReference, ReferenceCheck
from portal.data.demo import build_demo
from portal.data.history import append_event, verify_chain, verify_heads
from portal.data.import_policies import import_file
from portal.data.picture import load_customer_picture
from portal.data.scale import generate
from portal.domain.categories import Category
from portal.domain.rollup import roll_up
from tests.data.helpers import (
    StatementCounter,
    assert_money_reconciles,
    assert_personal_data_sealed,
    customer_id_of,
    money_event_problems,
)
from tests.postgres_url import PG_URL

SAMPLES = Path(__file__).resolve().parents[2] / "portal" / "data" / "samples"
TODAY = date(2026, 11, 21)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def engine():
    schema = f"test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL at {PG_URL}: {exc.orig}")
    engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    SQLModel.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_demo_scale_import_and_picture_on_postgres(engine):
    with Session(engine) as session:
        build_demo(session, TODAY, 2019)
        single = generate(session, customers=1, policies_per_customer=1, seed=3, today=TODAY, rng_name="pg-single")
        session.commit()
    # Ordinary inserts after the bulk load (sequences were moved past the loaded ids).
    report = import_file(engine, "life", SAMPLES / "life_core_sample.csv", today=TODAY)
    assert report.ok and report.created == 6
    counter = StatementCounter(engine)
    with Session(engine) as session:
        loyal = customer_id_of(session, "wangjianguo")
        counts = []
        for customer_id in (loyal, single.customer_ids[0]):
            before = counter.count
            load_customer_picture(session, customer_id)
            counts.append(counter.count - before)
        assert counts == [9, 9]
        rollup = roll_up(load_customer_picture(session, loyal), TODAY)
        assert rollup.counts_by_status["in_force"] == 109 and rollup.figure(Category.LOANABLE).amount > 400_000
        assert verify_chain(session) == []
        assert money_event_problems(session) == []


def test_scale_generator_copies_on_postgres(engine):
    """The fast path: chunks COPYed (binary) by the writer thread while the next is built."""
    with Session(engine) as session:
        result = generate(session, customers=240, policies_per_customer=4, seed=8, today=TODAY,
                          rng_name="pg-copy", flush_every=50)  # five chunks
        session.commit()
    first, last = result.customer_ids[0], result.customer_ids[-1]
    with Session(engine) as session:
        def count(sql: str) -> int:
            return session.execute(text(sql), {"first": first, "last": last}).scalar_one()

        assert count("SELECT COUNT(*) FROM customer WHERE id BETWEEN :first AND :last") == 240
        assert count("SELECT COUNT(*) FROM policy WHERE policyholder_id BETWEEN :first AND :last") == 960
        assert count("SELECT COUNT(*) FROM history_head WHERE customer_id BETWEEN :first AND :last") == 240
        assert count("SELECT COUNT(*) FROM manager_assignment WHERE customer_id BETWEEN :first AND :last") == 240
        assert verify_chain(session) == [] and verify_heads(session) == []
        assert money_event_problems(session) == []
        assert_money_reconciles(session, result.customer_ids, TODAY)
        assert_personal_data_sealed(session, result.customer_ids)
        # Foreign keys are checked row by row again once the load is over.
        assert session.execute(text("SHOW session_replication_role")).scalar_one() == "origin"
        # The chains go on with ordinary appends (sequences and heads are current).
        append_event(session, customer_id=last, policy_id=None, occurred_at=datetime(2026, 11, 21, 2, tzinfo=UTC),
                     kind="service", amount_fen=None, note="地址变更")
        session.commit()
        assert verify_chain(session, last) == [] and verify_heads(session, last) == []


def test_a_failed_copy_reaches_the_caller_and_writes_nothing(engine):
    with Session(engine) as session:
        before = session.execute(text("SELECT COUNT(*) FROM manager_assignment")).scalar_one()
        ds = Dataset(session, write_behind=True)
        ds.add(t.ManagerAssignment, manager_id=999_999, customer_id=999_999, assigned_on=TODAY)
        ds.flush()  # returns at once: the writer thread meets the foreign key
        with pytest.raises(ForeignKeyViolation):
            ds.close()
        session.rollback()
        assert session.execute(text("SELECT COUNT(*) FROM manager_assignment")).scalar_one() == before


def test_references_checked_after_the_load_catch_a_broken_one(engine):
    """With the row-by-row triggers off, the set-based check at the end refuses the load."""
    with Session(engine) as session:
        references = ReferenceCheck.begin(session)
        if references is None:
            pytest.skip("this PostgreSQL role may not set session_replication_role: triggers check instead")
        ds = Dataset(session, write_behind=True)
        ds.add(t.ManagerAssignment, manager_id=999_999, customer_id=999_999, assigned_on=TODAY)
        ds.flush()
        ds.close()  # no trigger fired: the row is in
        with pytest.raises(BrokenReference, match="manager_assignment.customer_id -> customer.id: 1 row"):
            references.finish(ds.loaded_keys())
        session.rollback()
        assert session.execute(text("SHOW session_replication_role")).scalar_one() == "origin"

"""The same data layer on PostgreSQL, in a throw-away schema, on the server named by
``PORTAL_TEST_PG_URL`` (tests/postgres_url.py); skipped, with the reason, when none answers."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from portal.data.demo import build_demo
from portal.data.history import verify_chain
from portal.data.import_policies import import_file
from portal.data.picture import load_customer_picture
from portal.data.scale import generate
from portal.domain.categories import Category
from portal.domain.rollup import roll_up
from tests.data.helpers import StatementCounter, customer_id_of, money_event_problems
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

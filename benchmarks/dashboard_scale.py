"""Is the 157-policy dashboard as quick as a one-policy one, in a database of 100,000+?

Builds a database with the demo data plus generated customers (SQLite in a temporary
directory by default; ``--db-url`` for PostgreSQL, where a throw-away schema is used and
dropped afterwards), then for the 157-policy customer and a one-policy customer measures
``load_customer_picture`` + ``roll_up``: SQL statements per load (counted with a
``before_cursor_execute`` listener) and the median time of several runs.

    python benchmarks/dashboard_scale.py [--policies 100000] [--runs 15] [--db-url URL]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel, create_engine  # noqa: E402

from portal.data.db import StatementCounter  # noqa: E402
from portal.data import tables as t  # noqa: E402
from portal.data.db import make_engine  # noqa: E402
from portal.data.demo import build_demo  # noqa: E402
from portal.data.picture import load_customer_picture  # noqa: E402
from portal.data.scale import generate  # noqa: E402
from portal.domain.clock import today as clock_today  # noqa: E402
from portal.domain.rollup import roll_up  # noqa: E402

POLICIES_PER_GENERATED_CUSTOMER = 5


@contextmanager
def database(db_url: str | None):
    """An empty database: a temp SQLite file, or a fresh schema in the given PostgreSQL."""
    if db_url is None:
        with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            try:
                yield engine, "sqlite (temporary file)"
            finally:
                engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(db_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(db_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine, f"{engine.dialect.name} (schema {schema}, dropped afterwards)"
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def build(engine: Engine, policies: int, seed: int) -> tuple[int, int, float]:
    """Demo + generated data; returns (loyal customer id, one-policy customer id, seconds)."""
    SQLModel.metadata.create_all(engine)
    today = clock_today()
    started = time.perf_counter()
    with Session(engine) as session:
        demo = build_demo(session, today, seed)
        session.commit()
        have = session.execute(select(func.count()).select_from(t.Policy)).scalar_one()
        missing = max(policies - have - 1, 0)
        generate(
            session, customers=math.ceil(missing / POLICIES_PER_GENERATED_CUSTOMER),
            policies_per_customer=POLICIES_PER_GENERATED_CUSTOMER, seed=seed, today=today, rng_name="bench",
        )
        single = generate(session, customers=1, policies_per_customer=1, seed=seed, today=today, rng_name="bench-single")
        session.commit()
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
    return demo.loyal_customer_id, single.customer_ids[0], time.perf_counter() - started


def measure(engine: Engine, counter: StatementCounter, customer_id: int, runs: int) -> tuple[int, int, float]:
    """(policies, statements per load, median ms of load + roll-up)."""
    today = clock_today()
    timings, statements, policies = [], set(), 0
    for run in range(runs + 1):  # the first run warms caches and is not timed
        with Session(engine) as session:
            before = counter.count
            started = time.perf_counter()
            picture = load_customer_picture(session, customer_id)
            roll_up(picture, today)
            elapsed = time.perf_counter() - started
            statements.add(counter.count - before)
            policies = len(picture.policies)
        if run:
            timings.append(elapsed * 1000)
    if len(statements) != 1:
        raise AssertionError(f"statement count varies between runs: {sorted(statements)}")
    return policies, statements.pop(), statistics.median(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies", type=int, default=100_000, help="total policies in the database")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per customer")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--db-url", default=None, help="e.g. postgresql+psycopg://root@127.0.0.1/test")
    args = parser.parse_args(argv)

    with database(args.db_url) as (engine, label):
        loyal_id, single_id, seconds = build(engine, args.policies, args.seed)
        with Session(engine) as session:
            total_policies = session.execute(select(func.count()).select_from(t.Policy)).scalar_one()
            total_customers = session.execute(select(func.count()).select_from(t.Customer)).scalar_one()
        counter = StatementCounter(engine)
        rows = [
            ("loyal customer, 157", *measure(engine, counter, loyal_id, args.runs)),
            ("one-policy customer", *measure(engine, counter, single_id, args.runs)),
        ]

    print(f"database: {label}")
    print(f"built {total_policies:,} policies for {total_customers:,} customers in {seconds:.1f} s")
    print(f"load_customer_picture + roll_up, median of {args.runs} runs")
    print()
    print(f"| {'customer':<24} | {'policies':>8} | {'statements':>10} | {'median ms':>9} |")
    print(f"|{'-' * 26}|{'-' * 10}|{'-' * 12}|{'-' * 11}|")
    for name, policies, statements, ms in rows:
        print(f"| {name:<24} | {policies:>8} | {statements:>10} | {ms:>9.2f} |")
    (_, big_policies, big_statements, big_ms), (_, small_policies, small_statements, small_ms) = rows
    print()
    print(
        f"ratio 157-policy / 1-policy: statements {big_statements / small_statements:.2f}x, "
        f"time {big_ms / small_ms:.2f}x (for {big_policies / max(small_policies, 1):.0f}x the policies)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

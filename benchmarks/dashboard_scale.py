"""How fast does the scale generator fill a database, and does the 157-policy dashboard
stay as quick in a database of a million policies as in the demo database alone?

Builds two throw-away databases: the demo data alone, and the demo data plus
``--policies`` generated policies over ``--customers`` generated customers (by default
1,000,000 over 100,000 on PostgreSQL, 100,000 over 10,000 on SQLite). Prints the generator's speed (policies per second, total
seconds, and where the CPU went), then the dashboard load of the demo's loyal customer
(157 policies) on both databases and of a one-policy customer on the big one: the
service path ``portal.services.portfolio.load_dashboard`` (the customer row,
``load_customer_picture`` and ``roll_up``), SQL statements per load (counted with a
``before_cursor_execute`` listener) and the median time of several runs, the two
databases measured in turn so a busy machine slows both alike. The figures that matter
are the ratios: big / demo-only database, 157-policy / 1-policy customer.

SQLite (default) uses temporary files; ``--db-url`` PostgreSQL uses two throw-away
schemas, dropped afterwards.

    python benchmarks/dashboard_scale.py [--policies N] [--customers N] [--runs 15]
        [--db-url postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, create_engine  # noqa: E402

from portal.data import tables as t  # noqa: E402
from portal.data.db import StatementCounter, make_engine  # noqa: E402
from portal.data.demo import build_demo  # noqa: E402
from portal.data.scale import generate  # noqa: E402
from portal.data.schema import upgrade_to_head  # noqa: E402
from portal.domain.clock import today as clock_today  # noqa: E402
from portal.services.auth import Principal  # noqa: E402
from portal.services.portfolio import load_dashboard  # noqa: E402

TARGET_RATIO = 1.5  # the big database may make the dashboard at most this much slower


@contextmanager
def database(db_url: str | None, name: str):
    """An empty database: a temp SQLite file, or a fresh schema in the given PostgreSQL."""
    if db_url is None:
        with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / f'{name}.db'}")
            try:
                yield engine, "sqlite (temporary file)"
            finally:
                engine.dispose()
        return
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
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


def server_cpu_seconds(session: Session) -> float | None:
    """CPU time of this session's PostgreSQL backend, when the server runs on this machine."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def build_demo_only(engine: Engine, seed: int) -> int:
    upgrade_to_head(engine)
    with Session(engine) as session:
        demo = build_demo(session, clock_today(), seed)
        session.commit()
    analyze(engine)
    return demo.loyal_customer_id


def build_big(engine: Engine, customers: int, per_customer: int, seed: int) -> dict:
    """Demo + generated customers; the generator's figures."""
    upgrade_to_head(engine)
    today = clock_today()
    with Session(engine) as session:
        demo = build_demo(session, today, seed)
        single = generate(session, customers=1, policies_per_customer=1, seed=seed, today=today, rng_name="bench-single")
        session.commit()
        server_before = server_cpu_seconds(session)
        cpu_before, started = time.process_time(), time.perf_counter()
        result = generate(
            session, customers=customers, policies_per_customer=per_customer, seed=seed, today=today,
            rng_name="bench",
        )
        session.commit()
        seconds = time.perf_counter() - started
        python_cpu = time.process_time() - cpu_before
        server_after = server_cpu_seconds(session)
    analyze(engine)
    return dict(
        loyal=demo.loyal_customer_id, single=single.customer_ids[0], customers=result.customers,
        policies=result.policies, seconds=seconds, python_cpu=python_cpu,
        server_cpu=None if server_before is None or server_after is None else server_after - server_before,
    )


def analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def totals(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.execute(select(func.count()).select_from(t.Policy)).scalar_one(),
            session.execute(select(func.count()).select_from(t.Customer)).scalar_one(),
        )


class Probe:
    """One customer's dashboard on one database: statements per load and timings."""

    def __init__(self, name: str, engine: Engine, counter: StatementCounter, customer_id: int):
        self.name, self.engine, self.counter, self.customer_id = name, engine, counter, customer_id
        self.principal = Principal(
            user_id=0, username="bench", role="customer", display_name="bench",
            customer_id=customer_id, manager_id=None, jti="bench",
        )
        self.timings: list[float] = []
        self.statements: set[int] = set()
        self.policies = 0

    def run(self, timed: bool = True) -> None:
        today = clock_today()
        with Session(self.engine) as session:
            before = self.counter.count
            started = time.perf_counter()
            dashboard = load_dashboard(session, self.principal, today)
            elapsed = time.perf_counter() - started
            self.statements.add(self.counter.count - before)
            self.policies = len(dashboard.picture.policies)
        if timed:
            self.timings.append(elapsed * 1000)

    @property
    def statement_count(self) -> int:
        if len(self.statements) != 1:
            raise AssertionError(f"{self.name}: statement count varies between runs: {sorted(self.statements)}")
        return next(iter(self.statements))

    @property
    def median_ms(self) -> float:
        return statistics.median(self.timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies", type=int, default=None,
                        help="policies to generate (default 1,000,000 on PostgreSQL, 100,000 on SQLite)")
    parser.add_argument("--customers", type=int, default=None,
                        help="customers to spread them over (default a tenth of the policies)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per customer")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--db-url", default=None, help="e.g. postgresql+psycopg://postgres@127.0.0.1/test")
    args = parser.parse_args(argv)
    policies = args.policies or (1_000_000 if args.db_url else 100_000)
    customers = args.customers or max(policies // 10, 1)
    if policies % customers:
        parser.error("--policies must be a multiple of --customers (each customer gets as many)")

    with ExitStack() as stack:
        small, _ = stack.enter_context(database(args.db_url, "demo"))
        big, label = stack.enter_context(database(args.db_url, "big"))
        loyal_small = build_demo_only(small, args.seed)
        built = build_big(big, customers, policies // customers, args.seed)
        total_policies, total_customers = totals(big)
        demo_policies, _ = totals(small)
        probes = [
            Probe("loyal 157, demo-only db", small, StatementCounter(small), loyal_small),
            Probe("loyal 157, big db", big, StatementCounter(big), built["loyal"]),
            Probe("one-policy, big db", big, StatementCounter(big), built["single"]),
        ]
        for probe in probes:
            probe.run(timed=False)  # warms caches and connections
        for _ in range(args.runs):  # in turn, so a burst of load hits every probe alike
            for probe in probes:
                probe.run()

    rate = built["policies"] / built["seconds"]
    print(f"database: {label}")
    print(
        f"generated {built['policies']:,} policies for {built['customers']:,} customers in "
        f"{built['seconds']:.1f} s: {rate:,.0f} policies/s (scale generator, one transaction)"
    )
    cpu = f"CPU: generator process {built['python_cpu']:.1f} s"
    if built["server_cpu"] is not None:
        cpu += f", PostgreSQL backend {built['server_cpu']:.1f} s"
    print(f"{cpu} (of {built['seconds']:.1f} s elapsed)")
    print(f"big database: {total_policies:,} policies, {total_customers:,} customers; "
          f"demo-only database: {demo_policies:,} policies")
    print(f"dashboard (load_dashboard: customer + load_customer_picture + roll_up), median of {args.runs} runs")
    print()
    print(f"| {'customer, database':<26} | {'policies':>8} | {'statements':>10} | {'median ms':>9} |")
    print(f"|{'-' * 28}|{'-' * 10}|{'-' * 12}|{'-' * 11}|")
    for probe in probes:
        print(f"| {probe.name:<26} | {probe.policies:>8} | {probe.statement_count:>10} | {probe.median_ms:>9.2f} |")
    small_probe, big_probe, single_probe = probes
    ratio = big_probe.median_ms / small_probe.median_ms
    print()
    print(
        f"ratio big / demo-only database (157 policies): statements "
        f"{big_probe.statement_count / small_probe.statement_count:.2f}x, time {ratio:.2f}x "
        f"(target <= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'})"
    )
    print(
        f"ratio 157-policy / 1-policy: statements {big_probe.statement_count / single_probe.statement_count:.2f}x, "
        f"time {big_probe.median_ms / single_probe.median_ms:.2f}x "
        f"(for {big_probe.policies / max(single_probe.policies, 1):.0f}x the policies)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The scale generator: right counts, realistic records, fast; and the benchmark script.

Every check reads the database (SQL, or the stored bytes) rather than trusting what the
generator returned: counts, chains, heads, money and encryption are worked out here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from portal.data.bulk import WriteBehind
from portal.data.history import verify_chain, verify_heads
from portal.data.scale import generate
from tests.data.helpers import (
    TODAY,
    assert_money_reconciles,
    assert_personal_data_sealed,
    money_event_problems,
    new_engine,
)

ROOT = Path(__file__).resolve().parents[2]


def count(session: Session, sql: str) -> int:
    return session.execute(text(sql)).scalar()


def test_small_run_has_the_right_counts_and_realistic_records(tmp_path):
    engine = new_engine(tmp_path / "scale.db")
    started = time.perf_counter()
    with Session(engine) as session:
        result = generate(session, customers=200, policies_per_customer=5, seed=11, today=TODAY)
        session.commit()
    assert time.perf_counter() - started < 10
    assert (result.customers, result.policies, len(result.customer_ids)) == (200, 1000, 200)
    with Session(engine) as session:
        assert count(session, "SELECT COUNT(*) FROM customer") == 200
        assert count(session, "SELECT COUNT(*) FROM policy") == 1000
        assert count(session, "SELECT COUNT(*) FROM (SELECT policyholder_id FROM policy GROUP BY 1 HAVING COUNT(*) <> 5)") == 0
        assert count(session, "SELECT COUNT(*) FROM manager_assignment") == 200
        assert count(
            session,
            "SELECT COUNT(*) FROM manager_assignment a JOIN customer c ON c.id = a.customer_id "
            "JOIN service_manager m ON m.id = a.manager_id WHERE c.city <> m.city",
        ) == 0
        assert count(session, "SELECT MAX(n) FROM (SELECT COUNT(*) n FROM premium_installment GROUP BY policy_id)") <= 6
        assert count(session, "SELECT MAX(n) FROM (SELECT COUNT(*) n FROM benefit_item GROUP BY policy_id)") <= 2
        assert count(session, "SELECT COUNT(*) FROM policy p WHERE NOT EXISTS "
                              "(SELECT 1 FROM premium_installment i WHERE i.policy_id = p.id)") == 0
        statuses = dict(session.execute(text("SELECT status, COUNT(*) FROM policy GROUP BY 1")).all())
        assert statuses["in_force"] > 600 and {"matured", "terminated", "lapsed"} <= set(statuses)
        assert count(session, "SELECT COUNT(DISTINCT line) FROM policy") == 2
        assert count(session, "SELECT COUNT(*) FROM benefit_item WHERE paid_date IS NULL AND payable_date <= '2026-03-15'") > 0
        assert money_event_problems(session) == []
        assert verify_chain(session) == []
        assert verify_heads(session) == []
        assert count(session, "SELECT COUNT(*) FROM history_head") == 200
        assert_money_reconciles(session, result.customer_ids, TODAY)
        assert_personal_data_sealed(session, result.customer_ids)


def test_second_run_continues_ids_and_chains(tmp_path):
    engine = new_engine(tmp_path / "scale2.db")
    with Session(engine) as session:
        generate(session, customers=30, policies_per_customer=3, seed=1, today=TODAY)
        session.commit()
        generate(session, customers=20, policies_per_customer=2, seed=2, today=TODAY)
        session.commit()
        assert count(session, "SELECT COUNT(*) FROM customer") == 50
        assert count(session, "SELECT COUNT(*) FROM policy") == 130
        assert verify_chain(session) == []
        assert verify_heads(session) == []
        assert money_event_problems(session) == []
    # Ordinary inserts after the bulk load get fresh ids.
    with Session(engine) as session:
        session.execute(text("INSERT INTO product (code, line, name_zh, name_en, kind, loan_allowed, loan_rate_bp, short_term) "
                             "VALUES ('ZZ01', 'life', '测试', 'Test', 'term', 0, 0, 0)"))
        session.commit()


def test_a_failed_write_reaches_the_caller_and_stops_later_writes():
    done: list[int] = []

    def fail() -> None:
        raise RuntimeError("disk full")

    writer = WriteBehind()
    writer.submit(lambda: done.append(1))
    writer.submit(fail)
    with pytest.raises(RuntimeError, match="disk full"):
        writer.drain()
    writer.submit(fail)
    writer.submit(lambda: done.append(2))  # after a failure nothing more is written
    with pytest.raises(RuntimeError, match="disk full"):
        writer.close()
    assert done == [1]


def test_benchmark_script_reports_equal_statement_counts():
    env = {**os.environ}
    env.pop("PORTAL_DB_URL", None)
    result = subprocess.run(
        [sys.executable, "benchmarks/dashboard_scale.py", "--policies", "3000", "--customers", "300", "--runs", "3"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"^\|\s*([^|]+?)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|$", result.stdout, re.MULTILINE)
    assert [(name, int(policies)) for name, policies, _, _ in rows] == [
        ("loyal 157, demo-only db", 157), ("loyal 157, big db", 157), ("one-policy, big db", 1),
    ], result.stdout
    assert len({statements for _, _, statements, _ in rows}) == 1  # the same statements, whatever the size
    assert re.search(r"generated 3,000 policies for 300 customers in [\d.]+ s: [\d,]+ policies/s", result.stdout)
    assert re.search(r"big database: 3,282 policies, 324 customers; demo-only database: 281 policies", result.stdout)
    assert "ratio big / demo-only database (157 policies): statements 1.00x" in result.stdout
    assert "ratio 157-policy / 1-policy: statements 1.00x" in result.stdout

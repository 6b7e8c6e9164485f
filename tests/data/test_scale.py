"""The scale generator: right counts, realistic records, fast; and the benchmark script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from portal.data.history import verify_chain
from portal.data.scale import generate
from tests.data.helpers import TODAY, money_event_problems, new_engine

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
        assert money_event_problems(session) == []
    # Ordinary inserts after the bulk load get fresh ids.
    with Session(engine) as session:
        session.execute(text("INSERT INTO product (code, line, name_zh, name_en, kind, loan_allowed, loan_rate_bp, short_term) "
                             "VALUES ('ZZ01', 'life', '测试', 'Test', 'term', 0, 0, 0)"))
        session.commit()


def test_benchmark_script_reports_equal_statement_counts():
    env = {**os.environ}
    env.pop("PORTAL_DB_URL", None)
    result = subprocess.run(
        [sys.executable, "benchmarks/dashboard_scale.py", "--policies", "3000", "--runs", "3"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"^\|\s*([^|]+?)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|$", result.stdout, re.MULTILINE)
    assert len(rows) == 2, result.stdout
    (_, big_policies, big_statements, _), (_, small_policies, small_statements, _) = rows
    assert (int(big_policies), int(small_policies)) == (157, 1)
    assert big_statements == small_statements
    assert re.search(r"built 3,0\d\d policies", result.stdout)
    assert "ratio 157-policy / 1-policy: statements 1.00x" in result.stdout

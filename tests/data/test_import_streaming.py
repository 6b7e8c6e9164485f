"""Large imports: batches that leave the database to others, resuming after a crash, and
memory that does not grow with the file."""

from __future__ import annotations

import csv
import threading
import time
import tracemalloc
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from portal.data import tables as t
from portal.data.catalogue import ensure_products
from portal.data.db import session_scope
from portal.data.history import verify_chain, verify_heads
from portal.data.import_policies import import_file
from portal.data.importers import pipeline
from portal.data.importers.synthetic import HEADER, add_online_customer, life_row, write_life_csv
from portal.services import auth
from portal.services.passwords import hash_password
from tests.data.helpers import dump, new_engine

TODAY = date(2026, 11, 21)
PASSWORD = "Portal@2026"


def fresh_engine(path):
    engine = new_engine(path)
    with Session(engine) as session:
        ensure_products(session)
        session.commit()
    return engine


def count(engine, table) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


# -- other connections get the database between batches -------------------------------------
def test_logins_and_reads_are_not_blocked_for_the_length_of_the_import(tmp_path, monkeypatch):
    # Password hashing costs the same CPU with or without an import: a cheap stand-in keeps
    # the measured time to what the database makes the login wait.
    monkeypatch.setattr(auth, "verify_and_upgrade", lambda password, stored: (password == PASSWORD, None))
    engine = fresh_engine(tmp_path / "serving.db")
    with session_scope(engine) as session:
        add_online_customer(session, "online", hash_password(PASSWORD))
    path = write_life_csv(tmp_path / "big.csv", 4000)

    waits: list[float] = []
    seen: list[int] = []  # the policy count each read saw, right after its login went through
    done = threading.Event()
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            while not done.is_set():
                started = time.perf_counter()
                with session_scope(engine) as session:  # a login writes a session row
                    assert auth.login(session, "online", PASSWORD).ok
                with session_scope(engine) as session:  # a dashboard-style read
                    seen.append(session.execute(select(func.count()).select_from(t.Policy)).scalar_one())
                waits.append(time.perf_counter() - started)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    reader = threading.Thread(target=serve)
    reader.start()
    started = time.perf_counter()
    try:
        report = import_file(engine, "life", path, today=TODAY, batch_size=200)
    finally:
        import_seconds = time.perf_counter() - started
        done.set()
        reader.join()
    assert not failures, failures
    assert report.ok and report.created == 4000
    # Logins (writes) went through while the import was still going, and the reads after
    # them saw the import part-done at several points: the customer was served between
    # batches. With one transaction for the whole file a login could only go through before
    # or after all of it, and no read would see a count strictly between 0 and 4,000.
    # (How long they wait is measured in benchmarks/import_while_serving.py, not here.)
    partial = {count for count in seen if 0 < count < 4000}
    assert len(waits) >= 5 and len(partial) >= 3, (sorted(partial), len(waits), import_seconds)
    with Session(engine) as session:
        assert verify_chain(session) == [] and verify_heads(session) == []


# -- a crash mid-import, then the same command again -----------------------------------------
class Crash(RuntimeError):
    pass


def test_rerun_after_a_crash_gives_exactly_the_clean_import(tmp_path):
    path = write_life_csv(tmp_path / "life.csv", 1200)
    clean = fresh_engine(tmp_path / "clean.db")
    report = import_file(clean, "life", path, today=TODAY, batch_size=200)
    assert (report.created, report.unchanged) == (1200, 0)

    crashed = fresh_engine(tmp_path / "crashed.db")

    def crash_after_second(batch: int) -> None:
        if batch == 2:
            raise Crash("killed")

    with pytest.raises(Crash):
        import_file(crashed, "life", path, today=TODAY, batch_size=200, after_batch=crash_after_second)
    assert count(crashed, t.Policy) == 400  # the two committed batches stay
    assert count(crashed, t.ImportBatch) == 0  # not marked as imported: it is not finished

    rerun = import_file(crashed, "life", path, today=TODAY, batch_size=200)
    assert (rerun.created, rerun.updated, rerun.unchanged) == (800, 0, 400), rerun.lines("en")
    assert dump(crashed) == dump(clean)
    with Session(crashed) as session:
        assert verify_chain(session) == [] and verify_heads(session) == []
    again = import_file(crashed, "life", path, today=TODAY, batch_size=200)
    assert again.already_imported_at is not None and dump(crashed) == dump(clean)


def test_a_crash_inside_a_batch_keeps_nothing_of_that_batch(tmp_path, monkeypatch):
    path = write_life_csv(tmp_path / "life.csv", 500)
    engine = fresh_engine(tmp_path / "inside.db")
    real = pipeline.BatchWriter._append_history
    calls = []

    def failing(session, events):
        calls.append(1)
        if len(calls) == 2:
            raise Crash("history write failed")
        return real(session, events)

    monkeypatch.setattr(pipeline.BatchWriter, "_append_history", staticmethod(failing))
    with pytest.raises(Crash):
        import_file(engine, "life", path, today=TODAY, batch_size=200)
    assert count(engine, t.Policy) == 200 and count(engine, t.HistoryEvent) > 0
    monkeypatch.setattr(pipeline.BatchWriter, "_append_history", staticmethod(real))
    rerun = import_file(engine, "life", path, today=TODAY, batch_size=200)
    assert (rerun.created, rerun.unchanged) == (300, 200)
    with Session(engine) as session:
        assert verify_chain(session) == [] and verify_heads(session) == []


# -- memory ----------------------------------------------------------------------------------
def _peak_validating(engine, path) -> int:
    tracemalloc.start()
    try:
        report = import_file(engine, "life", path, today=TODAY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The last row is bad: the file is validated to the end and nothing is written.
    assert report.rolled_back and [e.code for e in report.errors] == ["bad_amount"]
    return peak


def _with_bad_last_row(path, rows: int):
    """The file plus one more row whose premium is not an amount."""
    bad = life_row(rows)
    bad["期交保费"] = "12,34.5"
    with open(path, "a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow([bad[h] for h in HEADER])
    return path


def test_validating_a_four_times_larger_file_does_not_take_four_times_the_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "CHECK_CHUNK", 250)  # several chunks in both files
    engine = fresh_engine(tmp_path / "memory.db")
    small = _with_bad_last_row(write_life_csv(tmp_path / "small.csv", 1000), 1000)
    large = _with_bad_last_row(write_life_csv(tmp_path / "large.csv", 4000), 4000)
    peak_small = _peak_validating(engine, small)
    peak_large = _peak_validating(engine, large)
    assert peak_large < 1.5 * peak_small, (peak_small, peak_large)
    assert count(engine, t.Policy) == 0

"""A large life core import into SQLite while another thread keeps logging in and reading.

    python benchmarks/import_while_serving.py [ROWS] [--batch-size N]   # ROWS default 1,000,000

Generates a life CSV of ROWS rows (portal.data.importers.synthetic), imports it into a
fresh SQLite file, and meanwhile a thread logs a customer in (a write: the session row)
and reads the policy count, over and over. Printed from the one run: rows per second,
the readers' median / p95 / max wait against the import's length (the ratio is what
matters on a shared machine), the readers' wait with no import running, and the peak
memory of the import (tracemalloc; ru_maxrss for the whole process).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from portal.data import tables as t  # noqa: E402
from portal.data.catalogue import ensure_products  # noqa: E402
from portal.data.db import make_engine, session_scope  # noqa: E402
from portal.data.history import verify_heads  # noqa: E402
from portal.data.import_policies import import_file  # noqa: E402
from portal.data.importers.pipeline import BATCH_SIZE  # noqa: E402
from portal.data.importers.synthetic import add_online_customer, write_life_csv  # noqa: E402
from portal.services import auth  # noqa: E402
from portal.services.passwords import hash_password  # noqa: E402

PASSWORD = "Portal@2026"
TODAY = date(2026, 11, 21)


def serve(engine, stop: threading.Event, waits: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        with session_scope(engine) as session:
            assert auth.login(session, "online", PASSWORD).ok
        with session_scope(engine) as session:
            session.execute(select(func.count()).select_from(t.Policy)).scalar_one()
        waits.append(time.perf_counter() - started)
        time.sleep(0.005)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="import-bench-"))
    csv_path = write_life_csv(work / "life.csv", args.rows)
    engine = make_engine(f"sqlite:///{work / 'portal.db'}")
    SQLModel.metadata.create_all(engine)
    with session_scope(engine) as session:
        ensure_products(session)
        add_online_customer(session, "online", hash_password(PASSWORD))

    # The same login + read with nothing else running: the baseline.
    idle: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(engine, stop, idle))
    thread.start()
    time.sleep(3)
    stop.set()
    thread.join()

    waits: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(engine, stop, waits))
    tracemalloc.start()
    thread.start()
    started = time.perf_counter()
    report = import_file(engine, "life", csv_path, today=TODAY, batch_size=args.batch_size)
    seconds = time.perf_counter() - started
    stop.set()
    thread.join()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with Session(engine) as session:
        heads_ok = verify_heads(session) == []

    size_mb = csv_path.stat().st_size / 1e6
    print(f"file: {args.rows:,} rows, {size_mb:.1f} MB; batch size {args.batch_size}")
    print("import:", " / ".join(report.lines("en")))
    print(f"import time: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s; history heads verify: {heads_ok}")
    print(f"login+read with no import: median {statistics.median(idle) * 1000:.0f} ms, "
          f"max {max(idle) * 1000:.0f} ms ({len(idle)} rounds)")
    print(f"login+read during import ({len(waits)} rounds): median {statistics.median(waits) * 1000:.0f} ms, "
          f"p95 {percentile(waits, 0.95) * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms")
    print(f"longest wait / import time: {max(waits) / seconds:.4f}; p95 / import time: "
          f"{percentile(waits, 0.95) / seconds:.5f}")
    print(f"peak traced memory of the import: {peak / 1e6:.1f} MB "
          f"({peak / csv_path.stat().st_size:.3f} x the file); process max RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

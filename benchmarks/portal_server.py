"""Start the real portal for a benchmark, as the browser tests do, on a throw-away database.

Two setups:

* ``sqlite``: one worker, a fresh SQLite file, Reflex state in memory;
* ``postgres-redis``: ``GRANIAN_WORKERS`` (default 2) workers, a fresh PostgreSQL database
  (``--pg-admin-url``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``;
  dropped afterwards) and Reflex state in Redis (``--redis-url``, default DB 11; only the
  benchmark's own keys are read, nothing is flushed).

Each start migrates (``python -m reflex db migrate``), loads the demo data
(``python -m portal.data.demo``), adds the benchmark logins (``bench_accounts.py``) and runs
``python -m reflex run --env prod`` (which builds the front end: a minute or more) with
``PORTAL_TODAY`` pinned, its own secret and data keys, in its own process group, killed on
exit. The server's log is kept in the work directory.

Standalone (Ctrl-C stops it):

    python benchmarks/portal_server.py sqlite --port 3300
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The browser tests start the server the same way: their waiting and lock-file care serve here too.
from tests.e2e.conftest import TODAY, _keep_lock_file, _wait_for  # noqa: E402

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
SETUPS = ("sqlite", "postgres-redis")


@dataclass
class RunningPortal:
    url: str
    setup: str
    db_url: str
    redis_url: str | None
    workers: int
    log_path: Path


def _pg_database(admin_url: str, name: str, *, create: bool) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if create:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def _data_keys() -> dict[str, str]:
    """Fresh keys for this run, so the worktree's .secrets/ is neither used nor created."""
    def b64() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    return {"PORTAL_DATA_KEY": f"k1:{b64()}", "PORTAL_DATA_HASH_KEY": b64()}


@contextlib.contextmanager
def start_portal(
    setup: str,
    port: int,
    *,
    workers: int | None = None,
    bench_customers: int = 100,
    bench_policies: int = 5,
    pg_admin_url: str = DEFAULT_PG_ADMIN_URL,
    redis_url: str = DEFAULT_REDIS_URL,
    log=print,
):
    """Yield a RunningPortal; the server and its database are gone afterwards."""
    if setup not in SETUPS:
        raise ValueError(f"setup must be one of {SETUPS}")
    if not 3300 <= port <= 3399:
        raise ValueError("benchmark servers use ports 3300-3399")
    work = Path(tempfile.mkdtemp(prefix=f"portal-bench-{setup}-"))
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("REFLEX_REDIS_URL", "PORTAL_DB_URL", "GRANIAN_WORKERS", "PORTAL_ALLOWED_ORIGINS")
    }
    env.update(_data_keys())
    env.update({
        "PORTAL_TODAY": TODAY,
        "PORTAL_PORT": str(port),
        "PORTAL_SECRET_KEY": "bench-secret-" + secrets.token_hex(24),
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
    })
    bun_dir = ROOT / ".tools" / "node_modules" / ".bin"
    main_bun = Path("/work/main/.tools/node_modules/.bin")
    for candidate in (bun_dir, main_bun):
        if (candidate / "bun").exists() and str(candidate) not in env.get("PATH", ""):
            env["PATH"] = f"{candidate}:{env.get('PATH', '')}"
            break
    pg_name = None
    if setup == "sqlite":
        db_url = f"sqlite:///{work / 'bench.db'}"
        workers = workers or 1
        active_redis = None
    else:
        pg_name = f"load_bench_{port}"
        db_url = pg_admin_url.rsplit("/", 1)[0] + f"/{pg_name}"
        _pg_database(pg_admin_url, pg_name, create=True)
        workers = workers or 2
        active_redis = redis_url
        env["REFLEX_REDIS_URL"] = redis_url
    env["PORTAL_DB_URL"] = db_url
    env["GRANIAN_WORKERS"] = str(workers)
    log_path = work / "portal-server.log"
    lock_file = ROOT / "reflex.lock" / "package.json"
    lock_bytes = lock_file.read_bytes() if lock_file.exists() else None
    proc = None
    try:
        with open(log_path, "w") as out:
            steps = [
                [sys.executable, "-m", "reflex", "db", "migrate"],
                [sys.executable, "-m", "portal.data.demo"],
                [sys.executable, str(ROOT / "benchmarks" / "bench_accounts.py"),
                 "--customers", str(bench_customers), "--policies", str(bench_policies)],
            ]
            for args in steps:
                log(f"[portal] {' '.join(Path(a).name if i < 2 else a for i, a in enumerate(args))}")
                subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=out, stderr=subprocess.STDOUT)
            log(f"[portal] reflex run --env prod on port {port} ({setup}, {workers} worker(s)); building the front end…")
            started = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "reflex", "run", "--env", "prod"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
            url = f"http://127.0.0.1:{port}"
            _wait_for(f"{url}/ping", 900, proc, log_path)
            _wait_for(f"{url}/login", 120, proc, log_path)
            _keep_lock_file(lock_file, lock_bytes)
            log(f"[portal] up at {url} after {time.monotonic() - started:.0f}s (log: {log_path})")
            yield RunningPortal(url, setup, db_url, active_redis, workers, log_path)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        _keep_lock_file(lock_file, lock_bytes)
        if pg_name is not None:
            with contextlib.suppress(Exception):
                _pg_database(pg_admin_url, pg_name, create=False)
        keep = work / "portal-server.log"
        if keep.exists():
            shutil.copy(keep, Path(tempfile.gettempdir()) / f"portal-bench-{setup}-{port}.log")
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="start the portal for benchmarks (Ctrl-C stops it)")
    parser.add_argument("setup", choices=SETUPS)
    parser.add_argument("--port", type=int, default=3300)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    with start_portal(args.setup, args.port, workers=args.workers) as portal:
        print(f"serving {portal.url}; Ctrl-C to stop")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())

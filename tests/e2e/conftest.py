"""One built app server for every browser test in the run.

The server runs the real portal (``reflex run --env prod``: front end built once, served on
one port) on a fresh database with the demo data, with today's date pinned so the figures
are reproducible. Tests compute what they expect straight from that database (``db``:
tests/e2e/database.py, the same SQL on SQLite and PostgreSQL).

``PORTAL_E2E_BACKEND`` picks the deployment under test:

* ``sqlite`` (default): a SQLite file, Reflex state in memory, one worker.
* ``postgres-redis``: the scale-out deployment: a fresh PostgreSQL database
  ``portal_e2e_<port>`` (dropped and created) on the server of ``PORTAL_TEST_PG_URL``
  (tests/postgres_url.py), Reflex state in Redis (``PORTAL_E2E_REDIS_URL``, default
  ``redis://127.0.0.1:6379/9``, flushed first) and two granian workers. Tests marked
  ``scale_out`` run only here.

``PORTAL_E2E_PREBUILT=1`` serves the front end the previous run built (``.web/build``)
instead of compiling and building it again, when that build was made for this port;
``scripts/test.sh`` sets it for its second browser pass, right after the first built it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e import database

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("PORTAL_E2E_PORT", "3100"))
BASE_URL = f"http://localhost:{PORT}"
BACKEND = os.environ.get("PORTAL_E2E_BACKEND", "sqlite")
SCALE_OUT = BACKEND == "postgres-redis"
WORKERS = 2  # the scale-out deployment's granian workers
REDIS_URL = os.environ.get("PORTAL_E2E_REDIS_URL", "redis://127.0.0.1:6379/9")
TODAY = "2026-11-21"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _run(args, env, log):
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)


def _wait_for(url: str, timeout: float, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"portal exited early; see {log_path}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"portal did not answer {url} within {timeout}s; see {log_path}")


def _keep_lock_file(lock_file: Path, original: bytes | None) -> None:
    """The build rewrites reflex.lock/package.json: compact JSON on a fresh checkout,
    indented on a later build. When the content is unchanged, the tracked bytes are put
    back, so a test run leaves the checkout clean either way."""
    if original is None or not lock_file.exists():
        return
    try:
        same = json.loads(lock_file.read_bytes()) == json.loads(original)
    except ValueError:
        return
    if same:
        lock_file.write_bytes(original)


def pytest_collection_modifyitems(config, items):
    """The scale-out tests need the PostgreSQL + Redis deployment with several workers."""
    if SCALE_OUT:
        return
    skip = pytest.mark.skip(reason="scale-out test: runs with PORTAL_E2E_BACKEND=postgres-redis (scripts/test.sh's last pass)")
    for item in items:
        if "scale_out" in item.keywords:
            item.add_marker(skip)


def _fresh_postgres_database() -> str:
    """A new, empty database for this run (one per port, so parallel runs never share)."""
    from sqlalchemy import create_engine, make_url, text

    from tests.postgres_url import PG_URL, unreachable_reason

    if (reason := unreachable_reason()) is not None:
        raise RuntimeError(f"PORTAL_E2E_BACKEND={BACKEND}: {reason}")
    name = f"portal_e2e_{PORT}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _flushed_redis() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        raise RuntimeError(f"PORTAL_E2E_BACKEND={BACKEND}: no Redis at {REDIS_URL} (set PORTAL_E2E_REDIS_URL): {exc}") from exc
    finally:
        client.close()
    return REDIS_URL


def _backend_env(work: Path) -> dict[str, str]:
    if BACKEND == "sqlite":
        return {"PORTAL_DB_URL": f"sqlite:///{work / 'portal-e2e.db'}"}
    if SCALE_OUT:
        return {
            "PORTAL_DB_URL": _fresh_postgres_database(),
            "REFLEX_REDIS_URL": _flushed_redis(),
            "GRANIAN_WORKERS": str(WORKERS),
        }
    raise RuntimeError(f"PORTAL_E2E_BACKEND={BACKEND!r}: expected sqlite or postgres-redis")


def _prebuilt_front_end() -> bool:
    """Whether the front end in .web/build can be served as it is: asked for, and built
    for this port (the built bundle holds the back end's address)."""
    if os.environ.get("PORTAL_E2E_PREBUILT") != "1":
        return False
    env_json, index = ROOT / ".web" / "env.json", ROOT / ".web" / "build" / "client" / "index.html"
    try:
        ping = json.loads(env_json.read_text()).get("PING", "")
    except (OSError, ValueError):
        return False
    return index.exists() and ping.startswith(f"http://localhost:{PORT}/")


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    work = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        **_backend_env(work),
        "PORTAL_TODAY": TODAY,
        "PORTAL_PORT": str(PORT),
        "PORTAL_SECRET_KEY": "e2e-secret-" + "k" * 40,
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
    }
    log_path = ARTIFACTS / f"portal-server-{BACKEND}.log"
    lock_file = ROOT / "reflex.lock" / "package.json"
    lock_bytes = lock_file.read_bytes() if lock_file.exists() else None
    if _prebuilt_front_end():
        command = [sys.executable, "-m", "tests.e2e.serve_prebuilt"]
    else:
        command = [sys.executable, "-m", "reflex", "run", "--env", "prod"]
    with open(log_path, "w") as log:
        log.write(f"backend {BACKEND}: {' '.join(command[1:])}\n")
        log.flush()
        _run([sys.executable, "-m", "reflex", "db", "migrate"], env, log)
        _run([sys.executable, "-m", "portal.data.demo"], env, log)
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            _wait_for(f"{BASE_URL}/ping", 600, proc, log_path)
            _wait_for(f"{BASE_URL}/login", 60, proc, log_path)
            _keep_lock_file(lock_file, lock_bytes)
            yield {
                "url": BASE_URL,
                "db_url": env["PORTAL_DB_URL"],
                "redis_url": env.get("REFLEX_REDIS_URL"),
                "backend": BACKEND,
            }
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _assertion_timeout():
    """Two workers with their state in Redis answer a little later than one process with its
    state in memory, and on a two-core machine the database, both workers and Chromium
    share the cores: once in a full scale-out run the 157-policy dashboard took more than
    Playwright's default 5 s to appear. Assertions there wait up to 10 s (a passing
    assertion returns as soon as it holds, so this costs nothing when all is well)."""
    if SCALE_OUT:
        from playwright.sync_api import expect

        expect.set_options(timeout=10_000)
    yield


@pytest.fixture
def page(browser, portal_server):
    context = browser.new_context(base_url=portal_server["url"], viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def db(portal_server):
    connection = database.connect(portal_server["db_url"])
    yield connection
    connection.close()

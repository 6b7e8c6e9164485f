"""One built app server for every browser test in the run.

The server runs the real portal (``reflex run --env prod``: front end built once, served on
one port) on a fresh SQLite database with the demo data, with today's date pinned so the
figures are reproducible. Tests compute what they expect straight from that database.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("PORTAL_E2E_PORT", "3100"))
BASE_URL = f"http://localhost:{PORT}"
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


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    work = tmp_path_factory.mktemp("e2e")
    db_path = work / "portal-e2e.db"
    env = {
        **os.environ,
        "PORTAL_DB_URL": f"sqlite:///{db_path}",
        "PORTAL_TODAY": TODAY,
        "PORTAL_PORT": str(PORT),
        "PORTAL_SECRET_KEY": "e2e-secret-" + "k" * 40,
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
    }
    log_path = ARTIFACTS / "portal-server.log"
    lock_file = ROOT / "reflex.lock" / "package.json"
    lock_bytes = lock_file.read_bytes() if lock_file.exists() else None
    with open(log_path, "w") as log:
        _run([sys.executable, "-m", "reflex", "db", "migrate"], env, log)
        _run([sys.executable, "-m", "portal.data.demo"], env, log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            _wait_for(f"{BASE_URL}/ping", 600, proc, log_path)
            _wait_for(f"{BASE_URL}/login", 60, proc, log_path)
            _keep_lock_file(lock_file, lock_bytes)
            yield {"url": BASE_URL, "db": db_path}
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


@pytest.fixture
def page(browser, portal_server):
    context = browser.new_context(base_url=portal_server["url"], viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def db(portal_server):
    connection = sqlite3.connect(portal_server["db"])
    yield connection
    connection.close()

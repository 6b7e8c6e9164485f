"""Many browser tabs at once against the running portal: throughput and latency.

For each N (default 1, 10, 30, 100) N sessions start together; each logs in with its own
login (``POST /auth/login``, its own cookie) and loads the dashboard ``--reloads`` times
(full page loads: page GET, new websocket, hydrate, ``DashboardState.load``; see
``reflex_client.py``). Printed as a Markdown table: logins/s and page loads/s, p50/p95 of
logins and of page loads, KB received per page load, failures, and the load generator's
own CPU use (near 100 % means the client, not the server, was the limit).

``--mode storm``: one session reloads the dashboard alone, then again while 30 other
sessions log in and open their dashboard; prints that session's p50/p95 alone and during
the storm, and the p95 ratio (target ≤ 3×).

Targets (local servers only; non-local URLs are refused):

* ``--url http://127.0.0.1:PORT``: a portal already running. ``--accounts demo`` spreads
  the sessions over the three demo customers (one login each session, so one cookie
  each); ``--accounts bench`` (the default) uses ``bench001`` … which
  ``bench_accounts.py`` adds.
* ``--start sqlite`` / ``--start postgres-redis`` (repeatable): starts the portal itself
  (``portal_server.py``: migrate, demo data, 100 benchmark logins, ``reflex run --env
  prod``; 1 worker on SQLite, or 2 workers with PostgreSQL + Redis) on ``--port``, runs,
  and stops it.

    python benchmarks/load_test.py --start sqlite --start postgres-redis
    python benchmarks/load_test.py --url http://127.0.0.1:3300 --sessions 1,10,30 --reloads 3
    python benchmarks/load_test.py --start sqlite --mode storm
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from portal_server import SETUPS, start_portal  # noqa: E402
from reflex_client import AppSchema, PageLoadError, PortalTab, default_schema, is_local_url  # noqa: E402

DEMO_CUSTOMERS = ("wangjianguo", "lixiulan", "zhangwei")
DEMO_PASSWORD = "Portal@2026"
MAX_SESSIONS = 200
PAGE = "/dashboard"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def usernames(accounts: str, count: int) -> list[str]:
    if accounts == "bench":
        return [f"bench{i + 1:03d}" for i in range(count)]
    if accounts == "demo":
        return [DEMO_CUSTOMERS[i % len(DEMO_CUSTOMERS)] for i in range(count)]
    return [accounts] * count  # one username for every session (still one login each)


@dataclass
class Round:
    label: str
    sessions: int
    wall_s: float = 0.0
    login_ms: list[float] = field(default_factory=list)
    load_ms: list[float] = field(default_factory=list)
    load_bytes: list[int] = field(default_factory=list)
    login_window_s: float = 0.0
    load_window_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    client_cpu: float = 0.0


async def _session(base_url, username, password, reloads, schema, start_gate, result: Round, marks):
    tab = PortalTab(base_url, username, password, schema=schema)
    try:
        await start_gate.wait()
        await tab.start()
        await tab.login()
        t1 = time.perf_counter()
        result.login_ms.append(tab.login_ms)
        marks["login_end"].append(t1)
        for _ in range(reloads):
            s = time.perf_counter()
            load = await tab.open(PAGE)
            marks["load_start"].append(s)
            marks["load_end"].append(time.perf_counter())
            result.load_ms.append(load.ms)
            result.load_bytes.append(load.nbytes)
    except (PageLoadError, OSError, asyncio.TimeoutError) as error:
        result.errors.append(f"{username}: {type(error).__name__}: {error}")
    except Exception as error:  # a protocol surprise: count it, keep the others going
        result.errors.append(f"{username}: {type(error).__name__}: {error}")
    finally:
        await tab.close()


async def run_round(base_url, label, n, reloads, accounts, password, schema, time_limit) -> Round:
    result = Round(label, n)
    marks = {"login_end": [], "load_start": [], "load_end": []}
    gate = asyncio.Event()
    tasks = [
        asyncio.create_task(_session(base_url, name, password, reloads, schema, gate, result, marks))
        for name in usernames(accounts, n)
    ]
    cpu0 = time.process_time()
    started = time.perf_counter()
    gate.set()
    done, pending = await asyncio.wait(tasks, timeout=time_limit)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=10)
        result.errors.append(f"{len(pending)} session(s) still running after {time_limit:.0f}s: cancelled")
    ended = time.perf_counter()
    result.wall_s = ended - started
    result.client_cpu = (time.process_time() - cpu0) / result.wall_s if result.wall_s else 0.0
    if marks["login_end"]:
        result.login_window_s = max(marks["login_end"]) - started
    if marks["load_start"]:
        result.load_window_s = max(marks["load_end"]) - min(marks["load_start"])
    return result


def _fmt(value: float, digits: int = 0) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def throughput_table(rounds: list[Round]) -> str:
    lines = [
        "| setup | N | logins/s | login p50 ms | login p95 ms | page loads | loads/s | load p50 ms | load p95 ms | KB/load | failed | client CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rounds:
        logins_per_s = len(r.login_ms) / r.login_window_s if r.login_window_s else math.nan
        loads_per_s = len(r.load_ms) / r.load_window_s if r.load_window_s else math.nan
        kb = sum(r.load_bytes) / len(r.load_bytes) / 1024 if r.load_bytes else math.nan
        lines.append(
            f"| {r.label} | {r.sessions} | {_fmt(logins_per_s, 1)} | {_fmt(percentile(r.login_ms, 50))} | "
            f"{_fmt(percentile(r.login_ms, 95))} | {len(r.load_ms)} | {_fmt(loads_per_s, 1)} | "
            f"{_fmt(percentile(r.load_ms, 50))} | {_fmt(percentile(r.load_ms, 95))} | {_fmt(kb, 1)} | "
            f"{len(r.errors)} | {r.client_cpu:.0%} |"
        )
    return "\n".join(lines)


async def throughput(base_url, label, sizes, reloads, accounts, password, schema, time_limit, log) -> list[Round]:
    rounds = []
    for n in sizes:
        log(f"[{label}] {n} session(s) × (login + {reloads} dashboard loads)…")
        r = await run_round(base_url, label, n, reloads, accounts, password, schema, time_limit)
        for message in r.errors[:5]:
            log(f"  failed: {message}")
        rounds.append(r)
    return rounds


@dataclass
class StormResult:
    label: str
    alone_ms: list[float]
    during_ms: list[float]
    storm_sessions: int
    storm_s: float
    storm_errors: list[str]
    observer_errors: list[str]


async def storm(base_url, label, observer, storm_n, accounts, password, schema, loads_alone, time_limit, log) -> StormResult:
    """One tab reloads the dashboard alone, then while ``storm_n`` sessions log in."""
    log(f"[{label}] storm: {observer} reloads the dashboard alone ({loads_alone}×)…")
    alone, during, observer_errors = [], [], []
    async with PortalTab(base_url, observer, password, schema=schema) as tab:
        await tab.open(PAGE)  # warm: the first load of a tab also fills its state
        for _ in range(loads_alone):
            alone.append((await tab.open(PAGE)).ms)
        log(f"[{label}] storm: … and while {storm_n} sessions log in and open their dashboard")
        stop = asyncio.Event()

        async def observe():
            # Only loads that start while the storm lasts count (the last may end after it).
            while not stop.is_set() and len(during) < 10_000:
                try:
                    during.append((await tab.open(PAGE)).ms)
                except PageLoadError as error:
                    observer_errors.append(str(error))

        watcher = asyncio.create_task(observe())
        started = time.perf_counter()
        crowd = await run_round(base_url, label, storm_n, 1, accounts, password, schema, time_limit)
        storm_s = time.perf_counter() - started
        stop.set()
        await asyncio.wait_for(watcher, timeout=time_limit)
    return StormResult(label, alone, during, storm_n, storm_s, crowd.errors, observer_errors)


def storm_table(results: list[StormResult]) -> str:
    lines = [
        "| setup | storm | observer loads alone / during | alone p50 ms | alone p95 ms | during p50 ms | during p95 ms | p95 ratio (≤ 3×) | storm failures |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in results:
        a95, d95 = percentile(s.alone_ms, 95), percentile(s.during_ms, 95)
        ratio = d95 / a95 if a95 else math.nan
        verdict = "ok" if ratio <= 3 else "over"
        lines.append(
            f"| {s.label} | {s.storm_sessions} logins in {s.storm_s:.1f}s | {len(s.alone_ms)} / {len(s.during_ms)} | "
            f"{_fmt(percentile(s.alone_ms, 50))} | {_fmt(a95)} | {_fmt(percentile(s.during_ms, 50))} | {_fmt(d95)} | "
            f"{ratio:.2f}× {verdict} | {len(s.storm_errors) + len(s.observer_errors)} |"
        )
    return "\n".join(lines)


async def run_target(url, label, args, schema: AppSchema, log):
    rounds, storms = [], []
    if args.mode in ("throughput", "all"):
        rounds = await throughput(url, label, args.sessions, args.reloads, args.accounts, args.password,
                                  schema, args.time_limit, log)
    if args.mode in ("storm", "all"):
        storms.append(await storm(url, label, args.observer, args.storm_sessions, args.accounts, args.password,
                                  schema, args.observer_loads, args.time_limit, log))
    return rounds, storms


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if not sizes or any(not 1 <= n <= MAX_SESSIONS for n in sizes):
        raise argparse.ArgumentTypeError(f"sessions are 1..{MAX_SESSIONS}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="concurrent browser-like sessions against the portal")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a running portal (local only), e.g. http://127.0.0.1:3300")
    target.add_argument("--start", action="append", choices=SETUPS, help="start the portal in this setup (repeatable)")
    parser.add_argument("--port", type=int, default=3300, help="port for --start (3300-3399)")
    parser.add_argument("--mode", choices=("throughput", "storm", "all"), default="throughput")
    parser.add_argument("--sessions", type=parse_sizes, default=[1, 10, 30, 100], help="comma-separated N (default 1,10,30,100)")
    parser.add_argument("--reloads", type=int, default=3, help="dashboard loads per session (default 3)")
    parser.add_argument("--accounts", default="bench", help="bench (bench001…), demo (the 3 demo customers) or one username")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--observer", default="wangjianguo", help="storm: the session whose reloads are timed")
    parser.add_argument("--observer-loads", type=int, default=20, help="storm: reloads timed alone (default 20)")
    parser.add_argument("--storm-sessions", type=int, default=30, help="storm: sessions logging in (default 30)")
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds per round before giving up (default 180)")
    args = parser.parse_args(argv)
    if not 1 <= args.reloads <= 50:
        parser.error("--reloads 1..50")
    if not 1 <= args.storm_sessions <= MAX_SESSIONS:
        parser.error(f"--storm-sessions 1..{MAX_SESSIONS}")
    if args.url and not is_local_url(args.url):
        parser.error(f"refusing {args.url!r}: only a local portal (localhost / 127.0.0.1) may be load-tested")
    if args.accounts == "bench" and args.start and max(args.sessions + [args.storm_sessions]) > 100:
        parser.error("--start adds 100 bench logins: use N ≤ 100 or --accounts demo")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    schema = default_schema()
    all_rounds, all_storms = [], []
    if args.url:
        rounds, storms = asyncio.run(run_target(args.url, "url", args, schema, log))
        all_rounds += rounds
        all_storms += storms
    else:
        for setup in args.start:
            label = "SQLite, 1 worker" if setup == "sqlite" else "PostgreSQL + Redis, 2 workers"
            with start_portal(setup, args.port, log=log) as portal:
                rounds, storms = asyncio.run(run_target(portal.url, label, args, schema, log))
            all_rounds += rounds
            all_storms += storms
    if all_rounds:
        print(f"\n### {PAGE}: N sessions, each login + {args.reloads} page loads\n")
        print(throughput_table(all_rounds))
    if all_storms:
        print(f"\n### {args.storm_sessions} sessions logging in while {args.observer} reloads {PAGE}\n")
        print(storm_table(all_storms))
    failed = sum(len(r.errors) for r in all_rounds) + sum(len(s.storm_errors) + len(s.observer_errors) for s in all_storms)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

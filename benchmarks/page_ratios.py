"""Is every customer page as quick for 157 policies as for one? Timed over the websocket.

Two tabs (``reflex_client.PortalTab``) in one run: 王建国 (``wangjianguo``, 157 policies)
and a one-policy customer (``bench.one``, which ``bench_accounts.py`` adds; ``--small``
for another). Each opens the customer pages in turn: the dashboard, a category page
(``--category``, default ``premiums_paid``), the policy list, the first policy's page and
an action page (``--action``, default ``pay_premium``), ``--runs`` times after one
warm-up round, alternating the two customers. Printed per page: the median time of a full
page load (page GET + websocket + hydrate + ``on_load``) and of a link navigation (the
``on_load`` over the open socket), the 157/1 ratio (target ≤ 1.3×), and the bytes received.

Then the per-session state size: with Redis (``--redis-url``, or the server ``--start
postgres-redis`` runs), the sum of the session's state keys (Reflex 0.10 keeps one pickled
key per state of the tab's tree, ``<token>_<state full name>``), largest states first
(target < 40 KB for the 157-policy customer). With state in server memory (one worker,
no Redis) it cannot be read from outside; the size of the tab's copy of the state (what
the front end holds, backend-only ``_`` vars excluded) is printed for both.

    python benchmarks/page_ratios.py --start postgres-redis
    python benchmarks/page_ratios.py --url http://127.0.0.1:3300 [--redis-url redis://127.0.0.1:6379/11]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from portal_server import SETUPS, start_portal  # noqa: E402
from reflex_client import PageLoadError, PortalTab, default_schema, is_local_url, var_key  # noqa: E402

BIG, SMALL = "wangjianguo", "bench.one"
PASSWORD = "Portal@2026"
STATE_TARGET_BYTES = 40 * 1024
RATIO_TARGET = 1.3


def first_policy(tab: PortalTab) -> str:
    rows = tab.var(tab.schema.page_states.get("policies"), "rows") or []
    if not rows:
        raise PageLoadError(f"{tab.username} has no policies in the list")
    return rows[0]["policy_no"]


async def measure(url: str, args, log) -> tuple[dict, dict, dict]:
    schema = default_schema()
    tabs = {name: PortalTab(url, name, args.password, schema=schema) for name in (BIG, args.small)}
    timings: dict[tuple[str, str, str], list[float]] = {}
    sizes: dict[tuple[str, str, str], list[int]] = {}
    pages: dict[str, list[tuple[str, str]]] = {}
    try:
        for name, tab in tabs.items():
            await tab.start()
            await tab.login()
            await tab.open("/policies")
            pages[name] = [
                ("dashboard", "/dashboard"),
                (f"category/{args.category}", f"/category/{args.category}"),
                ("policies", "/policies"),
                ("policy/<first>", f"/policy/{first_policy(tab)}"),
                (f"act/{args.action}", f"/act/{args.action}"),
            ]
        for run in range(args.runs + 1):  # run 0 warms up and is not counted
            log(f"run {run}/{args.runs}" + (" (warm-up)" if run == 0 else ""))
            for name, tab in tabs.items():
                for label, path in pages[name]:
                    for mode in ("load", "nav"):
                        load = await (tab.open(path) if mode == "load" else tab.navigate(path))
                        if run:
                            timings.setdefault((name, label, mode), []).append(load.ms)
                            sizes.setdefault((name, label, mode), []).append(load.nbytes)
        state = {name: session_state(tab, args.redis_url) for name, tab in tabs.items()}
    finally:
        for tab in tabs.values():
            await tab.close()
    return timings, sizes, state


def session_state(tab: PortalTab, redis_url: str | None) -> dict:
    """The tab's state size: in Redis (per state key), and the tab's own JSON copy."""
    out = {"client_json": len(json.dumps(tab.state, ensure_ascii=False).encode())}
    if not redis_url:
        return out
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        per_state = {}
        for key in client.scan_iter(match=f"{tab.token}_*", count=500):
            name = key.decode()
            if name.endswith("_lock"):
                continue
            per_state[name[len(tab.token) + 1:]] = client.strlen(key)
    finally:
        client.close()
    out["redis"] = per_state
    return out


def short(state_name: str) -> str:
    return state_name.rsplit(".", 1)[-1].split("____")[-1]


def report(timings, sizes, state, args, label: str) -> str:
    out = [f"\n### {label}: {BIG} (157 policies) vs {args.small} (1 policy), medians of {args.runs} runs\n"]
    out.append("| page | mode | 157 ms | 1 ms | ratio (≤ 1.3×) | 157 KB | 1 KB |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    labels = [key[1] for key in timings if key[0] == BIG and key[2] == "load"]
    worst = 0.0
    for page in labels:
        for mode in ("load", "nav"):
            big = statistics.median(timings[(BIG, page, mode)])
            small = statistics.median(timings[(args.small, page, mode)])
            ratio = big / small if small else float("nan")
            worst = max(worst, ratio)
            big_kb = statistics.median(sizes[(BIG, page, mode)]) / 1024
            small_kb = statistics.median(sizes[(args.small, page, mode)]) / 1024
            flag = "" if ratio <= RATIO_TARGET else " over"
            out.append(f"| {page} | {mode} | {big:.0f} | {small:.0f} | {ratio:.2f}×{flag} | {big_kb:.1f} | {small_kb:.1f} |")
    out.append(f"\nworst ratio {worst:.2f}× (target ≤ {RATIO_TARGET}×); load = full page load, nav = link navigation")
    out.append("\n**Per-session state** after the pages above:\n")
    for name in (BIG, args.small):
        info = state[name]
        line = f"- {name}: tab's copy {info['client_json'] / 1024:.1f} KB (JSON)"
        if "redis" in info:
            total = sum(info["redis"].values())
            verdict = "ok" if total < STATE_TARGET_BYTES else "over"
            largest = sorted(info["redis"].items(), key=lambda kv: -kv[1])[:5]
            parts = ", ".join(f"{short(n)} {b / 1024:.1f}" for n, b in largest)
            line += (f"; in Redis {total / 1024:.1f} KB in {len(info['redis'])} keys "
                     f"(target < {STATE_TARGET_BYTES // 1024} KB: {verdict}); largest (KB): {parts}")
        else:
            line += "; server-side size not readable (state in the server's memory: use Redis to measure it)"
        out.append(line)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="157-policy vs 1-policy customer, page by page")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a running portal (local only)")
    target.add_argument("--start", choices=SETUPS, help="start the portal in this setup")
    parser.add_argument("--port", type=int, default=3300)
    parser.add_argument("--redis-url", default=None, help="the server's REFLEX_REDIS_URL, to read the state size")
    parser.add_argument("--small", default=SMALL, help="the one-policy customer's login (default bench.one)")
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--category", default="premiums_paid")
    parser.add_argument("--action", default="pay_premium")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 50:
        parser.error("--runs 1..50")
    if args.url and not is_local_url(args.url):
        parser.error(f"refusing {args.url!r}: only a local portal may be measured")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.url:
        timings, sizes, state = asyncio.run(measure(args.url, args, log))
        label = args.url
    else:
        with start_portal(args.start, args.port, log=log) as portal:
            args.redis_url = args.redis_url or portal.redis_url
            timings, sizes, state = asyncio.run(measure(portal.url, args, log))
        label = "SQLite, 1 worker" if args.start == "sqlite" else "PostgreSQL + Redis, 2 workers"
    print(report(timings, sizes, state, args, label))
    return 0


if __name__ == "__main__":
    sys.exit(main())

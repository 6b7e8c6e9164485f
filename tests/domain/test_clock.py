"""The portal's one clock: pinning the day moves every timestamp with it, and nothing in
``portal/`` reads the wall clock any other way."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from portal.domain import clock

PORTAL = Path(__file__).resolve().parents[2] / "portal"
# Any way of asking the machine (or the database) for the time.
WALL_CLOCK = re.compile(
    r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|\btime\.time\(|"
    r"CURRENT_TIMESTAMP|CURRENT_DATE|func\.now\(|\bnow\(\)\s*[,)]|localtime\(|gmtime\(",
)


def test_unpinned_clock_is_the_machines(monkeypatch):
    monkeypatch.delenv("PORTAL_TODAY", raising=False)
    assert clock.offset() == timedelta(0)
    assert clock.today() == date.today()
    assert abs(clock.utc_now() - datetime.now(UTC)) < timedelta(seconds=5)
    assert clock.utc_now().tzinfo is not None


def test_pinning_the_day_moves_the_instant_by_whole_days(monkeypatch):
    monkeypatch.setenv("PORTAL_TODAY", "2024-02-29")
    real_now = datetime.now(UTC)
    shifted = clock.utc_now()
    assert clock.today() == date(2024, 2, 29)
    days = (date(2024, 2, 29) - date.today()).days
    assert clock.offset() == timedelta(days=days)
    # Same time of day, whole days away.
    assert abs((shifted - real_now) - timedelta(days=days)) < timedelta(seconds=5)


def test_china_minute():
    assert clock.china_minute(datetime(2026, 11, 21, 16, 30, tzinfo=UTC)) == "2026-11-22 00:30"
    assert clock.china_minute(datetime(2026, 11, 21, 16, 30)) == "2026-11-22 00:30"  # naive = UTC


def test_nothing_in_the_portal_reads_the_wall_clock_but_the_clock_module():
    offenders = []
    for path in sorted(PORTAL.rglob("*.py")):
        if path == PORTAL / "domain" / "clock.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WALL_CLOCK.search(line.split("#", 1)[0]):
                offenders.append(f"{path.relative_to(PORTAL.parent)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_scan_would_see_a_wall_clock_read():
    for planted in ("x = datetime.now(UTC)", "d = date.today()", "t = time.time()", "server_default=func.now()",
                    "SELECT CURRENT_TIMESTAMP"):
        assert WALL_CLOCK.search(planted), planted

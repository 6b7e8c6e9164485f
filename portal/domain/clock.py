"""The portal's one clock: today's date for every business rule, and the instant every
timestamp the app writes (requests, history, sessions, tokens, imports).

``PORTAL_TODAY=YYYY-MM-DD`` pins the day (tests, demos recorded on a given day). Pinning
moves the *whole* clock by whole days, not just the date: ``utc_now()`` is the real
instant shifted by (pinned day − real day), so a loan taken "today" is stamped on the
pinned day at the real time of day, and its request, its history entry, the login
session and the token's ``iat``/``exp`` all agree with the dashboard's "as of" date.
Without it both are the real clock.

Rules take ``today``/``now`` as arguments; only the edges call this module. Nothing in
``portal/`` reads the wall clock any other way (``tests/domain/test_clock.py`` checks).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

# Customers and source systems read times in Beijing time (no daylight saving).
CHINA_TIME = timezone(timedelta(hours=8))


def _pinned() -> date | None:
    pinned = os.environ.get("PORTAL_TODAY")
    return date.fromisoformat(pinned) if pinned else None


def offset() -> timedelta:
    """How far the app's clock is from the machine's: whole days, zero unless pinned."""
    pinned = _pinned()
    return timedelta(days=(pinned - date.today()).days) if pinned else timedelta(0)


def today() -> date:
    pinned = _pinned()
    return pinned if pinned else date.today()


def utc_now() -> datetime:
    """Aware UTC (SQLModel stores and returns datetimes as aware UTC), on the app's clock."""
    return datetime.now(timezone.utc) + offset()


def china_minute(moment: datetime) -> str:
    """An instant as customers read it: Beijing time to the minute. Naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")

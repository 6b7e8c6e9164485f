"""Today's date for every business rule.

``PORTAL_TODAY=YYYY-MM-DD`` pins it (tests, demos recorded on a given day); otherwise it is
the real date. Rules take ``today`` as an argument; only the edges call this.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

# Customers and source systems read times in Beijing time (no daylight saving).
CHINA_TIME = timezone(timedelta(hours=8))


def today() -> date:
    pinned = os.environ.get("PORTAL_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def utc_now() -> datetime:
    """Aware UTC: SQLModel stores and returns datetimes as aware UTC."""
    return datetime.now(timezone.utc)


def china_minute(moment: datetime) -> str:
    """An instant as customers read it: Beijing time to the minute. Naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")

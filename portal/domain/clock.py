"""Today's date for every business rule.

``PORTAL_TODAY=YYYY-MM-DD`` pins it (tests, demos recorded on a given day); otherwise it is
the real date. Rules take ``today`` as an argument; only the edges call this.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone


def today() -> date:
    pinned = os.environ.get("PORTAL_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def utc_now() -> datetime:
    """Aware UTC: SQLModel stores and returns datetimes as aware UTC."""
    return datetime.now(timezone.utc)

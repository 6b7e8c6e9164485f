"""Run-wide test settings.

``PORTAL_TEST_CLOCK_SHIFT_DAYS=N`` runs the whole session with Python's clock moved N days
ahead (``time-machine``: ``datetime.now``, ``date.today``, ``time.time`` and friends, in
every thread; the clock keeps ticking). ``scripts/test.sh`` runs the non-browser tests a
second time with N=365 to prove that no test depends on the day it runs.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

_travel = None


def pytest_configure(config):
    global _travel
    # Personal data is encrypted with known test keys (tests/pii_keys.py), never with a
    # key generated into the checkout's .secrets/.
    from tests.pii_keys import DATA_KEY_ENV, HASH_KEY_ENV

    os.environ["PORTAL_DATA_KEY"] = DATA_KEY_ENV
    os.environ["PORTAL_DATA_HASH_KEY"] = HASH_KEY_ENV
    days = os.environ.get("PORTAL_TEST_CLOCK_SHIFT_DAYS")
    if not days:
        return
    import time_machine

    destination = datetime.now(timezone.utc) + timedelta(days=int(days))
    _travel = time_machine.travel(destination, tick=True)
    _travel.start()


def pytest_unconfigure(config):
    if _travel is not None:
        _travel.stop()


def pytest_report_header(config):
    days = os.environ.get("PORTAL_TEST_CLOCK_SHIFT_DAYS")
    if days:
        return f"clock moved {days} days ahead: it reads {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    return None

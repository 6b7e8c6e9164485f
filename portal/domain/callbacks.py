"""Call-back requests (联系专员): when a customer asks their manager to ring them. Pure.

* Slots are two-hour windows in Beijing time on the next ``DAYS_AHEAD`` days (today
  included): 09:00–11:00, 11:00–13:00, 14:00–16:00, 16:00–18:00.
* A slot is offered only if it has not started yet (no call-backs in the past).
* A customer has at most one open request at a time (the database enforces it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal.domain.clock import CHINA_TIME
from portal.domain.rejections import Rejected

DAYS_AHEAD = 7
SLOTS = {
    "0900": (time(9), time(11)),
    "1100": (time(11), time(13)),
    "1400": (time(14), time(16)),
    "1600": (time(16), time(18)),
}


@dataclass(frozen=True)
class Slot:
    day: date
    code: str

    @property
    def label(self) -> str:
        start, end = SLOTS[self.code]
        return f"{start:%H:%M}–{end:%H:%M}"

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.day, SLOTS[self.code][0], tzinfo=CHINA_TIME)


def open_slots(now: datetime) -> list[Slot]:
    """Every slot a customer may pick at ``now`` (aware), in time order."""
    today = now.astimezone(CHINA_TIME).date()
    slots = [Slot(today + timedelta(days=d), code) for d in range(DAYS_AHEAD) for code in SLOTS]
    return [slot for slot in slots if slot.starts_at > now]


def parse_slot(day, code, now: datetime) -> Slot:
    """The slot a form names, or ``Rejected('error.callback_slot')``."""
    if not isinstance(day, str) or not isinstance(code, str) or code not in SLOTS:
        raise Rejected("error.callback_slot")
    try:
        slot = Slot(date.fromisoformat(day), code)
    except ValueError:
        raise Rejected("error.callback_slot") from None
    if slot not in open_slots(now):
        raise Rejected("error.callback_slot")
    return slot

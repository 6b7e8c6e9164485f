from datetime import date, datetime, timedelta, timezone

import pytest

from portal.domain.callbacks import DAYS_AHEAD, SLOTS, Slot, open_slots, parse_slot
from portal.domain.rejections import Rejected

BEIJING = timezone(timedelta(hours=8))


def test_slots_that_have_started_are_not_offered():
    now = datetime(2026, 11, 21, 11, 30, tzinfo=BEIJING)  # the 11:00 slot has begun
    slots = open_slots(now)
    today = [s.code for s in slots if s.day == date(2026, 11, 21)]
    assert today == ["1400", "1600"]
    assert len(slots) == 2 + (DAYS_AHEAD - 1) * len(SLOTS)
    assert slots[-1] == Slot(date(2026, 11, 27), "1600")


def test_beijing_time_decides_the_day():
    late_utc = datetime(2026, 11, 21, 17, 0, tzinfo=timezone.utc)  # 01:00 on the 22nd in Beijing
    assert open_slots(late_utc)[0] == Slot(date(2026, 11, 22), "0900")


@pytest.mark.parametrize("day, code", [("2026-11-21", "0900"), ("2026-11-28", "0900"), ("2026-11-22", "0800"),
                                       ("22/11/2026", "0900"), (None, "0900"), ("2026-11-22", 900)])
def test_a_slot_in_the_past_beyond_the_week_or_malformed_is_refused(day, code):
    now = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
    with pytest.raises(Rejected) as refused:
        parse_slot(day, code, now)
    assert refused.value.code == "error.callback_slot"


def test_a_good_slot_and_its_label():
    slot = parse_slot("2026-11-22", "1400", datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING))
    assert slot == Slot(date(2026, 11, 22), "1400") and slot.label == "14:00–16:00"

"""Calendar arithmetic the servicing rules share. Pure."""

from __future__ import annotations

from datetime import date

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    # calendar.monthrange also works out the weekday; generators call this millions of times.
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later; the 31st falls back to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, days_in_month(year, month)))


def add_years(day: date, years: int) -> date:
    # 29 Feb + n years falls back to 28 Feb: the conservative end of any window.
    return add_months(day, 12 * years)


def policy_year(start: date, on: date) -> int:
    """1 during the first year from ``start`` (anniversary day starts the next year)."""
    if on < start:
        raise ValueError(f"{on} is before the policy started on {start}")
    years = on.year - start.year
    if add_years(start, years) > on:
        years -= 1
    return years + 1

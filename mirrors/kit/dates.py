"""Dates as the mirrored sites print them, and wall-clock times in their cities' time zones."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone

_MONTHS = {
    "en": list(calendar.month_name)[1:],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
}  # fmt: skip


def month_year(day: date) -> str:
    """'April 2024', as MPI shows research dates and listing dates."""
    return f"{day:%B} {day.year}"


def long_date(day: date) -> str:
    """'April 3, 2024', as US sites show dates."""
    return f"{day:%B} {day.day}, {day.year}"


def uk_date(day: date, lang: str = "en") -> str:
    """'20 September 2022' (or '20 septembre 2022'), as British and European sites show dates."""
    return f"{day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def gmt_iso(moment: datetime) -> str:
    """ISO 8601 in GMT with a +00:00 offset, as Yoast writes dates."""
    return moment.astimezone(UTC).isoformat()


def rfc822(moment: datetime) -> str:
    """The RSS date WordPress writes: 'Tue, 24 Nov 2020 08:00:00 +0000'."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _at(day: date, hour: int, minute: int, offset: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone(timedelta(hours=offset)))


def eastern(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Washington, DC on `day` (US daylight-saving rules since 2007)."""
    dst = _nth_sunday(day.year, 3, 2) <= day < _nth_sunday(day.year, 11, 1)
    return _at(day, hour, minute, -4 if dst else -5)


def _eu_summer(day: date) -> bool:
    """EU summer time: from the last Sunday of March to the last Sunday of October."""
    return _last_sunday(day.year, 3) <= day < _last_sunday(day.year, 10)


def london(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in London on `day` (British Summer Time follows the EU dates)."""
    return _at(day, hour, minute, 1 if _eu_summer(day) else 0)


def geneva(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Geneva on `day` (Central European Time, EU summer time)."""
    return _at(day, hour, minute, 2 if _eu_summer(day) else 1)

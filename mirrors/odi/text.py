"""ODI's dates (British style, London time); the content markup and sentence rules are the MPI mirror's."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from mirrors.mpi.text import Block, inline_html, month_year, parse_blocks, plain, sentences

__all__ = ["Block", "inline_html", "london", "month_year", "parse_blocks", "plain", "sentences", "uk_date"]


def uk_date(day: date) -> str:
    """'20 September 2022', as ODI shows dates."""
    return f"{day.day} {day:%B} {day.year}"


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def london(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in London on `day` (British Summer Time from the last Sunday of March to October)."""
    bst = _last_sunday(day.year, 3) <= day < _last_sunday(day.year, 10)
    zone = timezone(timedelta(hours=1 if bst else 0))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)

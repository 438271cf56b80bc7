"""The Taipei calendar: the one place that knows the time zone, the working
week and how many working days lie between two moments. Deadlines
(``core.deadlines``) count on it; nothing else adds working days."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def to_taipei(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(TAIPEI)


def taipei_date(value: datetime) -> date:
    return to_taipei(value).date()


def today() -> date:
    """Today in Taipei: what a worker means by 「今天」 (the server's own date is UTC, a day behind
    between midnight and 08:00 in Taiwan)."""
    return datetime.now(TAIPEI).date()


def is_working_day(day: date) -> bool:
    """Monday to Friday. (National holidays and make-up days are not yet in the
    calendar: a deadline that falls on one is counted as a working day.)"""
    return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """``days`` working days later, at the same time of day (Taipei calendar; weekends skipped)."""
    local = to_taipei(start)
    added = 0
    while added < days:
        local += timedelta(days=1)
        if is_working_day(local.date()):
            added += 1
    return local.astimezone(start.tzinfo or timezone.utc)


def end_of_day(day: date) -> datetime:
    """The last moment of a Taipei calendar day (a date-only due date)."""
    return datetime.combine(day, datetime.max.time(), TAIPEI)

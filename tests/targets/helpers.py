"""What the board's tests share that is not a fixture."""
from datetime import date, datetime

from app.core.filters import TAIPEI

YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)  # 115年


def at(month, day, hour=10, year=2026):
    """A time in 2026, Taipei time."""
    return datetime(year, month, day, hour, tzinfo=TAIPEI)

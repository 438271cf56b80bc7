"""What the report tests share that is not a fixture."""
from datetime import datetime

from app.core.filters import TAIPEI


def at(month, day, hour=10):
    """A time in 2026, Taipei time."""
    return datetime(2026, month, day, hour, tzinfo=TAIPEI)

"""Ages as the programme counts them: whole years on a given day."""
from __future__ import annotations

from datetime import date


def age_on(birth_date: date | None, day: date, estimated: int | None = None) -> int | None:
    """Whole years on ``day`` (a birthday on ``day`` counts); the estimate when the birth date is unknown."""
    if birth_date is None:
        return estimated
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))

"""Deadlines in one place: the rule table every workflow asks.

Each rule has a name, a length (hours, calendar days or working days), whether a
county may set its own length, and the legal or programme source it comes from.
``due(name, start, county_id=...)`` answers the due time; where a county may
choose, a provider registered by the owning area (``register_override``) gives
the county's value in force. Nothing outside this module holds a deadline length.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from . import calendar


@dataclass(frozen=True)
class Rule:
    name: str
    label: str  # as a person reads it: 「首次訪視（10 日內）」
    hours: int = 0
    days: int = 0
    working_days: int = 0
    county_may_set: bool = False
    source: str = ""

    def after(self, start: datetime, *, hours: int | None = None, days: int | None = None,
              working_days: int | None = None) -> datetime:
        h = self.hours if hours is None else hours
        d = self.days if days is None else days
        w = self.working_days if working_days is None else working_days
        due = start + timedelta(hours=h, days=d)
        return calendar.add_working_days(due, w) if w else due


RULES: dict[str, Rule] = {}

# (rule name, county id, start) -> dict of length overrides, or None: the county's setting in force.
Override = Callable[[str, int, datetime], dict | None]
_overrides: dict[str, Override] = {}


def rule(name: str, label: str, *, source: str, hours: int = 0, days: int = 0, working_days: int = 0,
         county_may_set: bool = False) -> Rule:
    """Declare a rule (each area declares its own at import; a name is declared once)."""
    if name in RULES:
        raise ValueError(f"deadline rule {name} declared twice")
    RULES[name] = Rule(name, label, hours, days, working_days, county_may_set, source)
    return RULES[name]


def register_override(name: str, provider: Override) -> None:
    if not RULES[name].county_may_set:
        raise ValueError(f"deadline rule {name} is fixed; a county cannot set it")
    _overrides[name] = provider


def due(name: str, start: datetime, *, county_id: int | None = None, **lengths) -> datetime:
    """When rule ``name`` started at ``start`` falls due (a county's own setting where it may choose)."""
    r = RULES[name]
    if county_id is not None and name in _overrides:
        lengths = {**(_overrides[name](name, county_id, start) or {}), **lengths}
    return r.after(start, **lengths)


def table() -> list[Rule]:
    return sorted(RULES.values(), key=lambda r: r.name)

"""Dispatch deadlines (seed 004 item 4): 24 hours for what the law wants handled
within 24 hours and for high-risk intimate-partner violence, 3 days for the
rest. The numbers are the county's ``DispatchRule`` in force at receipt."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ..core.filters import TAIPEI
from .reference import Concern


@dataclass(frozen=True)
class Rule:
    urgent_hours: int = 24
    other_days: int = 3
    other_in_working_days: bool = False
    tipvda_threshold: int = 8
    urgent_concerns: tuple = (Concern.SEXUAL_ASSAULT.value,)
    urgent_flag_counts: bool = True  # a report marked urgent (e.g. child 第一級 situations) runs on 24 hours

    @classmethod
    def from_model(cls, model) -> "Rule":
        return cls(model.urgent_hours, model.other_days, model.other_in_working_days, model.tipvda_threshold,
                   tuple(model.urgent_concerns or ()), model.urgent_flag_counts)


NATIONAL_DEFAULT = Rule()


def rule_model_in_force(county_id: int, on: date | None = None):
    """The county's ``DispatchRule`` whose effective date is the latest on or before
    ``on`` (today in Taipei by default), or None when the county has set none."""
    from ..core import tenancy
    from ..core.models import utcnow
    from ..extensions import db
    from .models import DispatchRule

    on = on or utcnow().astimezone(TAIPEI).date()
    with tenancy.tenant_scope(county_id):
        return db.session.scalars(
            sa.select(DispatchRule).where(DispatchRule.effective_from <= on)
            .order_by(DispatchRule.effective_from.desc(), DispatchRule.id.desc())
        ).first()


def rule_in_force(county_id: int, on: date):
    model = rule_model_in_force(county_id, on)
    return Rule.from_model(model) if model is not None else NATIONAL_DEFAULT


def is_24_hour(concerns, urgent: bool, tipvda_score: int | None, rule: Rule) -> bool:
    concerns = set(concerns or ())
    if concerns & set(rule.urgent_concerns):
        return True
    if urgent and rule.urgent_flag_counts:
        return True
    return tipvda_score is not None and tipvda_score >= rule.tipvda_threshold


def add_working_days(start: datetime, days: int) -> datetime:
    """``days`` working days later, at the same time of day (Taipei calendar; weekends skipped)."""
    local = start.astimezone(TAIPEI)
    added = 0
    while added < days:
        local += timedelta(days=1)
        if local.weekday() < 5:
            added += 1
    return local.astimezone(start.tzinfo)


def compute_deadline(received_at: datetime, concerns, urgent: bool, tipvda_score: int | None,
                     rule: Rule = NATIONAL_DEFAULT):
    from .models import DeadlineKind

    if is_24_hour(concerns, urgent, tipvda_score, rule):
        return received_at + timedelta(hours=rule.urgent_hours), DeadlineKind.HOURS_24
    if rule.other_in_working_days:
        return add_working_days(received_at, rule.other_days), DeadlineKind.DAYS_3
    return received_at + timedelta(days=rule.other_days), DeadlineKind.DAYS_3


@dataclass(frozen=True)
class Clock:
    level: str  # ok | amber | red
    text: str


def clock(received_at: datetime, deadline_at: datetime, now: datetime) -> Clock:
    """How the queue shows the time left: amber in the last quarter of the window, red once past."""
    left = deadline_at - now
    window = deadline_at - received_at
    if left <= timedelta(0):
        return Clock("red", f"逾期 {_duration(-left)}")
    level = "amber" if left <= window / 4 else "ok"
    return Clock(level, f"剩 {_duration(left)}")


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小時"
    if hours:
        return f"{hours} 小時 {mins} 分"
    return f"{mins} 分"

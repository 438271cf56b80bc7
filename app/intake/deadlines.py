"""Dispatch deadlines (seed 004 item 4): which rule of ``core.deadlines`` a report
runs on, with the county's ``DispatchRule`` in force at receipt (this area keeps
the model and gives its values to the rule table through ``register_override``),
and how the queue shows the time left.

Every child-protection report is one the law wants handled within 24 hours:
兒少法 §53 III has the authority grade and classify (分級分類處理) each report at
once and within 24 hours at the latest, whether urgent or not. No county rule can
lengthen that, so those concerns and the 24-hour ceiling hold whatever a county
sets. ``SOURCES`` groups the rule table by source for the settings page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ..core import calendar
from ..core import deadlines as table
from ..core import tenancy
from ..core.models import utcnow
from ..extensions import db
from .models import DeadlineKind, DispatchRule
from .reference import Concern

# Concerns the law itself wants handled within 24 hours of the report (the county cannot remove them).
STATUTORY_24_HOUR = (Concern.CHILD_PROTECTION.value, Concern.SEXUAL_ASSAULT.value)

Rule = table.DispatchSetting  # a county's dispatch choices (the national defaults unless it set its own)
NATIONAL_DEFAULT = table.NATIONAL_DISPATCH
add_working_days = calendar.add_working_days  # the Taipei calendar's count, under the name callers used here


def rule_model_in_force(county_id: int, on: date | None = None):
    """The county's ``DispatchRule`` whose effective date is the latest on or before
    ``on`` (today in Taipei by default), or None when the county has set none."""
    on = on or calendar.taipei_date(utcnow())
    with tenancy.tenant_scope(county_id):
        return db.session.scalars(
            sa.select(DispatchRule).where(DispatchRule.effective_from <= on)
            .order_by(DispatchRule.effective_from.desc(), DispatchRule.id.desc())
        ).first()


def rule_in_force(county_id: int, on: date):
    model = rule_model_in_force(county_id, on)
    return Rule.from_model(model) if model is not None else NATIONAL_DEFAULT


# The county's working days for referrals and disputes (columns of its DispatchRule).
_WORKING_DAY_COLUMNS = {"referral.response": "referral_response_days", "dispute.response": "dispute_response_days",
                        "dispute.decision": "dispute_decision_days"}


def _county_lengths(name: str, county_id: int, start: datetime) -> dict | None:
    """The rule table's override provider: the lengths of the county's DispatchRule in force on ``start``."""
    model = rule_model_in_force(county_id, calendar.taipei_date(start))
    if model is None:
        return None
    if name in _WORKING_DAY_COLUMNS:
        return {"working_days": getattr(model, _WORKING_DAY_COLUMNS[name])}
    return Rule.from_model(model).lengths(name)


for _name in (*table.DISPATCH_24_HOURS, "dispatch.other", *_WORKING_DAY_COLUMNS):
    table.register_override(_name, _county_lengths)


def compute_deadline(received_at: datetime, concerns, urgent: bool, tipvda_score: int | None,
                     rule: Rule = NATIONAL_DEFAULT):
    """The report's dispatch due time and kind, on the rule the table picks with the county's ``rule``."""
    name = table.dispatch_rule(concerns, urgent, tipvda_score, rule)
    kind = DeadlineKind.HOURS_24 if name in table.DISPATCH_24_HOURS else DeadlineKind.DAYS_3
    return table.due(name, received_at, **rule.lengths(name)), kind


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


# --- Where each rule comes from: the settings page's table, the rule table grouped by source -------------

@dataclass(frozen=True)
class RuleSource:
    key: str
    rule: str  # the rule as a person reads it
    fixed: bool  # set by law: a county's setting cannot change it
    source: str
    county_may_set: bool = True  # not set by law: may a county's setting change it


_GROUPS = {  # rules that share one source are shown on one row; every other rule has its own row
    "child_protection": ("dispatch.child_protection",), "child_first_grade": ("case.child_seen",),
    "sexual_assault": ("dispatch.sexual_assault",), "urgent_flag": ("dispatch.urgent",), "tipvda": ("dispatch.tipvda",),
    "other": ("dispatch.other",), "vulnerable_visit": ("case.first_visit", "case.assessment_report"),
    "referral_dispute": ("referral.response", "dispute.response", "dispute.decision"),
}


def _sources() -> tuple[RuleSource, ...]:
    grouped = {n for names in _GROUPS.values() for n in names}
    groups = [*_GROUPS.items(), *((r.name.replace(".", "-"), (r.name,)) for r in table.table() if r.name not in grouped)]
    out = []
    for key, names in groups:
        rules = [table.RULES[n] for n in names]
        sources = list(dict.fromkeys(r.source for r in rules))
        out.append(RuleSource(key, "、".join(r.label for r in rules), all(r.statutory for r in rules), "；".join(sources),
                              any(r.county_may_set for r in rules)))
    return tuple(out)


SOURCES = _sources()

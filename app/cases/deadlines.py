"""The clocks of a family case, computed from stored times so they are right on
any day the page is opened: 脆弱家庭 first visit within 10 days of receipt and
the assessment report within 30 days; child protection 第一級: the child seen
face to face within 24 hours; the service plan's review date. The lengths, labels
and sources are rules of ``core.deadlines``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..core import calendar, deadlines
from ..core.models import utcnow


@dataclass(frozen=True)
class Due:
    key: str
    label: str
    due_at: datetime
    done_at: datetime | None
    state: str  # done | late | soon | due | overdue

    @property
    def css(self) -> str:
        return {"done": "ok", "late": "amber", "soon": "amber", "due": "ok", "overdue": "red"}[self.state]

    @property
    def text(self) -> str:
        return {"done": "已完成", "late": "逾期完成", "soon": "即將到期", "due": "未到期", "overdue": "已逾期"}[self.state]


def _state(due_at: datetime, done_at: datetime | None, now: datetime, soon: timedelta) -> str:
    if done_at is not None:
        return "done" if done_at <= due_at else "late"
    if now > due_at:
        return "overdue"
    return "soon" if due_at - now <= soon else "due"


def case_deadlines(case, now: datetime | None = None, plan_review_due: date | None = None) -> list[Due]:
    now = now or utcnow()
    out = []

    def clock(name: str, start, done_at: datetime | None) -> None:
        rule = deadlines.RULES[name]
        due_at = deadlines.due(name, start, county_id=case.tenant_id)
        out.append(Due(name.split(".")[1], rule.label, due_at, done_at, _state(due_at, done_at, now, rule.soon)))

    if case.is_vulnerable_family:
        clock("case.first_visit", case.received_at, case.first_visit_at)
        clock("case.assessment_report", case.received_at, case.assessment_report_at)
    if case.child_grade == "1":
        clock("case.child_seen", case.received_at, case.child_seen_at)
    if plan_review_due is not None:
        clock("case.plan_review", calendar.end_of_day(plan_review_due), None)
    if case.status.value in ("closed", "not_opened"):
        # nothing is due on a case that is no longer served: keep only what was done
        out = [d for d in out if d.done_at is not None]
    return out


def worst(dues: list[Due]) -> str:
    """The colour of a case in a list: red if anything is overdue, amber if soon."""
    states = {d.state for d in dues}
    if "overdue" in states:
        return "red"
    if "soon" in states:
        return "amber"
    return "ok"

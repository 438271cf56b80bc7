"""The clocks of a family case, computed from stored times so they are right on
any day the page is opened: 脆弱家庭 first visit within 10 days of receipt and
the assessment report within 30 days; child protection 第一級: the child seen
face to face within 24 hours; the service plan's review date; approvals waiting."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..core.filters import TAIPEI
from ..core.models import utcnow

FIRST_VISIT_DAYS = 10
ASSESSMENT_REPORT_DAYS = 30
CHILD_SEEN_HOURS = 24


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
    if case.is_vulnerable_family:
        first = case.received_at + timedelta(days=FIRST_VISIT_DAYS)
        out.append(Due("first_visit", "首次訪視（10 日內）", first, case.first_visit_at,
                       _state(first, case.first_visit_at, now, timedelta(days=2))))
        report = case.received_at + timedelta(days=ASSESSMENT_REPORT_DAYS)
        out.append(Due("assessment_report", "評估報告（30 日內）", report, case.assessment_report_at,
                       _state(report, case.assessment_report_at, now, timedelta(days=5))))
    if case.child_grade == "1":
        seen = case.received_at + timedelta(hours=CHILD_SEEN_HOURS)
        out.append(Due("child_seen", "第一級：24 小時內親見兒少", seen, case.child_seen_at,
                       _state(seen, case.child_seen_at, now, timedelta(hours=6))))
    if plan_review_due is not None:
        due_at = datetime.combine(plan_review_due, datetime.max.time(), TAIPEI)
        out.append(Due("plan_review", "服務計畫檢討", due_at, None, _state(due_at, None, now, timedelta(days=7))))
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

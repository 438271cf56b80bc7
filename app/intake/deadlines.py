"""Dispatch deadlines (seed 004 item 4): 24 hours for what the law wants handled
within 24 hours and for high-risk intimate-partner violence, 3 days for the
rest. The numbers are the county's ``DispatchRule`` in force at receipt.

Every child-protection report is one the law wants handled within 24 hours:
兒少法 §53 III has the authority grade and classify (分級分類處理) each report at
once and within 24 hours at the latest, whether urgent or not. No county rule can
lengthen that, so those concerns and the 24-hour ceiling hold whatever a county
sets. ``SOURCES`` names the source of every rule; the settings page shows them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ..core import tenancy
from ..core.filters import TAIPEI
from ..core.models import utcnow
from ..extensions import db
from .models import DeadlineKind, DispatchRule
from .reference import Concern


# Concerns the law itself wants handled within 24 hours of the report (the county cannot remove them).
STATUTORY_24_HOUR = (Concern.CHILD_PROTECTION.value, Concern.SEXUAL_ASSAULT.value)
MAX_URGENT_HOURS = 24  # 「至遲不得超過二十四小時」


@dataclass(frozen=True)
class Rule:
    urgent_hours: int = 24
    other_days: int = 3
    other_in_working_days: bool = False
    tipvda_threshold: int = 8
    urgent_concerns: tuple = STATUTORY_24_HOUR
    urgent_flag_counts: bool = True  # a report marked urgent (e.g. child 第一級 situations) runs on 24 hours

    @classmethod
    def from_model(cls, model) -> "Rule":
        return cls(model.urgent_hours, model.other_days, model.other_in_working_days, model.tipvda_threshold,
                   tuple(model.urgent_concerns or ()), model.urgent_flag_counts)


NATIONAL_DEFAULT = Rule()


def rule_model_in_force(county_id: int, on: date | None = None):
    """The county's ``DispatchRule`` whose effective date is the latest on or before
    ``on`` (today in Taipei by default), or None when the county has set none."""
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
    if concerns & (set(rule.urgent_concerns) | set(STATUTORY_24_HOUR)):
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
    if is_24_hour(concerns, urgent, tipvda_score, rule):
        return received_at + timedelta(hours=min(rule.urgent_hours, MAX_URGENT_HOURS)), DeadlineKind.HOURS_24
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


# --- Where each rule comes from -----------------------------------------------------------

MEETING_108 = ("衛生福利部 108 年 6 月 10 日「集中篩派案機制調整案」研商會議決議第 3 點（第 34 次社安網工作進度會議"
               "列管事項第 4 案）：「針對法令規定應24小時內處理之案件，及經評估為高度風險之親密關係暴力案件，應於24小時內"
               "完成派案評估，其餘則於3日內完成」")


@dataclass(frozen=True)
class RuleSource:
    key: str
    rule: str  # the rule as a person reads it
    fixed: bool  # set by law: a county's setting cannot change it
    source: str


SOURCES = (
    RuleSource("child_protection", "兒少保護通報（不論是否緊急）：24 小時內完成分級分類與派案", True,
               "兒童及少年福利與權益保障法第 53 條第 3 項：主管機關知悉或接獲通報，應立即進行分級分類處理，"
               "至遲不得超過 24 小時；" + MEETING_108[:MEETING_108.index("：")] + "（法令規定應 24 小時內處理之案件）"),
    RuleSource("child_first_grade", "兒少保護第一級（緊急）：立即指派，24 小時內親見兒少", True,
               "兒童及少年福利與權益保障法第 56 條第 1 項所列情形（第一級），立即處理、24 小時內親自訪視兒少；"
               "未能親見應記錄原因"),
    RuleSource("sexual_assault", "性侵害通報：24 小時內派案", True, MEETING_108 + "（法令規定應 24 小時內處理之案件）"),
    RuleSource("urgent_flag", "標記「情況緊急」的通報：24 小時內派案", False, MEETING_108),
    RuleSource("tipvda", "親密關係暴力 TIPVDA 達高度危險門檻（預設 8 分）：24 小時內派案", False,
               MEETING_108 + "；門檻依 TIPVDA 量表分級（8 分以上為高度危險；春節加強關懷弱勢實施計畫則以「大於 8 分」"
               "界定高危機成人保護案件）"),
    RuleSource("other", "其他通報（含脆弱家庭）：3 日內派案", False, MEETING_108),
    RuleSource("vulnerable_visit", "脆弱家庭：受理後 10 日內訪視評估、30 日內完成評估報告", True,
               "脆弱家庭之兒童及少年通報與協助辦法第 5 條"),
    RuleSource("referral_dispute", "轉介回覆 3 個工作日、爭議回應 3 個工作日、爭議裁決 5 個工作日", False,
               "本平台預設值（爭議案件處理機制未定日數，由各縣市依府內規定調整）"),
)

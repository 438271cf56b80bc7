"""Deadlines in one place: the rule table every workflow asks.

Every deadline the product has is declared here, once: its name, its length
(hours, calendar days or working days), whether a county may set its own length,
whether the length is a legal ceiling a county may shorten but never lengthen,
and the legal or programme source it comes from. ``due(name, start,
county_id=...)`` answers the due time; where a county may choose, a provider
registered by the area that keeps the county's settings (``register_override``)
gives the county's value in force. Nothing outside this module holds a deadline
length; working days are counted by ``core.calendar``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
    ceiling: bool = False  # the length is the law's 「至遲」: a county's setting may shorten it, never lengthen it
    statutory: bool = False  # set by law: it applies whatever a county sets
    soon: timedelta = timedelta(0)  # how long before the due time a clock turns amber

    def after(self, start: datetime, *, hours: int | None = None, days: int | None = None,
              working_days: int | None = None) -> datetime:
        h = self.hours if hours is None else hours
        d = self.days if days is None else days
        w = self.working_days if working_days is None else working_days
        due = start + timedelta(hours=h, days=d)  # a date start (days only) stays a date
        return calendar.add_working_days(due, w) if w else due

    @property
    def length(self) -> timedelta:
        """The national length as a span (calendar rules only: working days have no fixed span)."""
        if self.working_days:
            raise ValueError(f"deadline rule {self.name} counts working days: it has no fixed length")
        return timedelta(hours=self.hours, days=self.days)

    @property
    def length_text(self) -> str:
        if self.working_days:
            return f"{self.working_days} 個工作日"
        if self.hours:
            return f"{self.hours} 小時"
        if self.days < 0:
            return f"前 {-self.days} 日"
        return f"{self.days} 日" if self.days else "所訂日期當日"


RULES: dict[str, Rule] = {}

# (rule name, county id, start) -> dict of length overrides, or None: the county's setting in force.
Override = Callable[[str, int, datetime], dict | None]
_overrides: dict[str, Override] = {}


def rule(name: str, label: str, *, source: str, hours: int = 0, days: int = 0, working_days: int = 0,
         county_may_set: bool = False, ceiling: bool = False, statutory: bool = False,
         soon: timedelta = timedelta(0)) -> Rule:
    """Declare a rule (a name is declared once)."""
    if name in RULES:
        raise ValueError(f"deadline rule {name} declared twice")
    if not source.strip():
        raise ValueError(f"deadline rule {name} states no source")
    RULES[name] = Rule(name, label, hours, days, working_days, county_may_set, source, ceiling, statutory, soon)
    return RULES[name]


def register_override(name: str, provider: Override) -> None:
    """The area that keeps a county's settings gives the county's lengths in force (core names no area)."""
    if not RULES[name].county_may_set:
        raise ValueError(f"deadline rule {name} is fixed; a county cannot set it")
    _overrides[name] = provider


def due(name: str, start: datetime | date, *, county_id: int | None = None, **lengths) -> datetime | date:
    """When rule ``name`` started at ``start`` falls due (a county's own setting where it may choose;
    explicit ``lengths`` — hours=, days=, working_days= — win over both). A legal ceiling always holds."""
    r = RULES[name]
    if county_id is not None and name in _overrides:
        lengths = {**(_overrides[name](name, county_id, start) or {}), **lengths}
    at = r.after(start, **lengths)
    return min(at, r.after(start)) if r.ceiling else at


def latest_start(name: str, now: datetime) -> datetime:
    """The latest start whose deadline (national length) has passed by ``now``: for a query of what is overdue."""
    return now - RULES[name].length


def table() -> list[Rule]:
    return list(RULES.values())


# --- The rules ----------------------------------------------------------------------------------------

MEETING_108 = ("衛生福利部 108 年 6 月 10 日「集中篩派案機制調整案」研商會議決議第 3 點（第 34 次社安網工作進度會議"
               "列管事項第 4 案）：「針對法令規定應24小時內處理之案件，及經評估為高度風險之親密關係暴力案件，應於24小時內"
               "完成派案評估，其餘則於3日內完成」")
_MEETING_108_TITLE = MEETING_108[:MEETING_108.index("：")]
PLATFORM_DEFAULT = "本平台預設值（爭議案件處理機制未定日數，由各縣市依府內規定調整）"
SPRING_FESTIVAL = "「春節加強關懷弱勢實施計畫」（seed 004）：關懷期間自春節假期前二週起至假期結束後一週止"

# Dispatch (集中篩派案): from receipt of a report to the dispatch decision. Every 24-hour rule is a
# ceiling: the county's 「緊急案件時限」 may shorten it, never lengthen it (「至遲不得超過二十四小時」).
rule("dispatch.child_protection", "兒少保護通報（不論是否緊急）：24 小時內完成分級分類與派案", hours=24,
     county_may_set=True, ceiling=True, statutory=True,
     source="兒童及少年福利與權益保障法第 53 條第 3 項：主管機關知悉或接獲通報，應立即進行分級分類處理，"
            "至遲不得超過 24 小時；" + _MEETING_108_TITLE + "（法令規定應 24 小時內處理之案件）")
rule("dispatch.sexual_assault", "性侵害通報：24 小時內派案", hours=24, county_may_set=True, ceiling=True, statutory=True,
     source=MEETING_108 + "（法令規定應 24 小時內處理之案件）")
rule("dispatch.county_concern", "縣市指定一律 24 小時的類別：24 小時內派案", hours=24, county_may_set=True, ceiling=True,
     source=MEETING_108 + "；類別由縣市派案時限設定勾選")
rule("dispatch.urgent", "標記「情況緊急」的通報：24 小時內派案", hours=24, county_may_set=True, ceiling=True,
     source=MEETING_108)
rule("dispatch.tipvda", "親密關係暴力 TIPVDA 達高度危險門檻（預設 8 分）：24 小時內派案", hours=24, county_may_set=True,
     ceiling=True,
     source=MEETING_108 + "；門檻依 TIPVDA 量表分級（8 分以上為高度危險；春節加強關懷弱勢實施計畫則以「大於 8 分」"
                          "界定高危機成人保護案件）")
rule("dispatch.other", "其他通報（含脆弱家庭）：3 日內派案", days=3, county_may_set=True, source=MEETING_108)
rule("dispatch.rate_24h", "篩派率指標：受理後 24 小時內完成篩派", hours=24,
     source="集中篩派案績效指標「24 小時內完成篩派率」，時限依" + _MEETING_108_TITLE)

# The family case: clocks measured from receipt.
rule("case.first_visit", "首次訪視（10 日內）", days=10, statutory=True, soon=timedelta(days=2),
     source="脆弱家庭之兒童及少年通報與協助辦法第 5 條：受理後 10 日內訪視評估")
rule("case.assessment_report", "評估報告（30 日內）", days=30, statutory=True, soon=timedelta(days=5),
     source="脆弱家庭之兒童及少年通報與協助辦法第 5 條：受理後 30 日內完成評估報告")
rule("case.child_seen", "第一級：24 小時內親見兒少", hours=24, statutory=True, soon=timedelta(hours=6),
     source="兒童及少年福利與權益保障法第 56 條第 1 項所列情形（第一級），立即處理、24 小時內親自訪視兒少；"
            "未能親見應記錄原因")
rule("case.plan_review", "服務計畫檢討", soon=timedelta(days=7),
     source="服務計畫與案家共同訂定之檢討日（當日臺北時間結束前完成檢討）")

# 通報調查處理中心 (社安網2.0, 116年起): the centre's own clocks, chosen by the platform until the ministry's
# operating rules fix them (README, 「通報調查處理中心」). First contact: 24 hours for a 第一級 or urgent report
# (as the law's 24-hour handling of 兒少保護), 4 days otherwise; investigation concluded 30 days after receipt.
INVESTIGATION = ("強化社會安全網計畫2.0（115–119年）：通報調查處理中心（116年起）；本平台訂定之作業時限，"
                 "依兒童及少年福利與權益保障法第 53 條第 3 項（24 小時內分級分類處理）類推第一級案件")
rule("investigation.contact_urgent", "調查中心：第一級或緊急案件 24 小時內首次接觸", hours=24, statutory=False,
     soon=timedelta(hours=6), source=INVESTIGATION)
rule("investigation.contact", "調查中心：其他案件 4 日內首次接觸", days=4, soon=timedelta(days=1), source=INVESTIGATION)
rule("investigation.conclude", "調查中心：受理後 30 日內完成調查", days=30, soon=timedelta(days=5), source=INVESTIGATION)

# Referrals and disputes between units: working days, the county's setting in force.
rule("referral.response", "轉介回覆：3 個工作日", working_days=3, county_may_set=True, source=PLATFORM_DEFAULT)
rule("dispute.response", "爭議回應：3 個工作日", working_days=3, county_may_set=True, source=PLATFORM_DEFAULT)
rule("dispute.decision", "爭議裁決：5 個工作日", working_days=5, county_may_set=True, source=PLATFORM_DEFAULT)

# The spring-festival care campaign's period (dates; the ministry may set other dates when it opens one).
rule("campaign.period_start", "春節關懷期間開始：春節假期前二週", days=-14, source=SPRING_FESTIVAL)
rule("campaign.period_end", "春節關懷訪視期限：春節假期結束後一週", days=7, source=SPRING_FESTIVAL)


# --- Which dispatch rule applies --------------------------------------------------------------------

# Concerns the law itself wants handled within 24 hours of the report (the county cannot remove them).
STATUTORY_CONCERNS = {"child_protection": "dispatch.child_protection", "sexual_assault": "dispatch.sexual_assault"}
DISPATCH_24_HOURS = ("dispatch.child_protection", "dispatch.sexual_assault", "dispatch.county_concern",
                     "dispatch.urgent", "dispatch.tipvda")
TIPVDA_HIGH_DANGER = 8  # TIPVDA 8 and over: high danger


@dataclass(frozen=True)
class DispatchSetting:
    """A county's choices for the dispatch rule (the 108-06-10 decision leaves them to the county); the
    defaults are the national ones. The county's settings area keeps them and builds one ``from_model``."""
    urgent_hours: int = RULES["dispatch.urgent"].hours
    other_days: int = RULES["dispatch.other"].days
    other_in_working_days: bool = False
    tipvda_threshold: int = TIPVDA_HIGH_DANGER
    urgent_concerns: tuple = tuple(STATUTORY_CONCERNS)
    urgent_flag_counts: bool = True  # a report marked urgent (e.g. child 第一級 situations) runs on 24 hours

    @classmethod
    def from_model(cls, model) -> "DispatchSetting":
        return cls(model.urgent_hours, model.other_days, model.other_in_working_days, model.tipvda_threshold,
                   tuple(model.urgent_concerns or ()), model.urgent_flag_counts)

    def lengths(self, name: str) -> dict:
        """The lengths this setting gives rule ``name`` (for ``due(..., **lengths)`` or an override provider)."""
        if name == "dispatch.other":
            return {"days": 0, "working_days": self.other_days} if self.other_in_working_days else {"days": self.other_days}
        if name in DISPATCH_24_HOURS:
            return {"hours": self.urgent_hours}
        return {}


NATIONAL_DISPATCH = DispatchSetting()


def dispatch_rule(concerns, urgent: bool, tipvda_score: int | None, setting: DispatchSetting = NATIONAL_DISPATCH) -> str:
    """The dispatch rule a report runs on: the law's concerns first, then the county's choices."""
    concerns = set(concerns or ())
    for concern, name in STATUTORY_CONCERNS.items():
        if concern in concerns:
            return name
    if concerns & set(setting.urgent_concerns):
        return "dispatch.county_concern"
    if urgent and setting.urgent_flag_counts:
        return "dispatch.urgent"
    if tipvda_score is not None and tipvda_score >= setting.tipvda_threshold:
        return "dispatch.tipvda"
    return "dispatch.other"

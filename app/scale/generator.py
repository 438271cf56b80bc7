"""What ``seed-scale`` makes, phase by phase.

Phases: ``directory`` (a 社福中心 network for counties without one, front-line staff
and their memberships), then for each county in a fixed order ``cases`` (families,
members, lead and collaborating units, state history, timeline), ``reports`` (every
channel and state, the dispatched ones opening or joining those cases), ``casework``
(contacts, services, assessments, plans) and ``referrals`` (every kind and status with
history, disputes at every stage, lead hand-overs); then ``meetings`` (national and
county series, meetings, action items with 案號, units, progress, decisions),
``numbering`` (counters and id sequences past what was generated) and ``derived``
(:func:`rebuild_derived`).

Proportions follow seed 001: 22.6% of reports screened out; of the valid, 71%
dispatched to the 家防中心 (protective), 15% to the 社福中心 (vulnerable family) and 14%
not dispatched (referred elsewhere, a few transferred to another county). Volumes are
spread over the counties by population and over the five years up to ``today``.

Every random choice comes from a ``random.Random`` seeded by (seed, phase, county):
the same seed and sizes give the same rows, ids included, on the same starting
database. The only clock read is ``today`` (the anchor: midnight at its start, Taipei).
"""
from __future__ import annotations

import bisect
import hashlib
import json
import math
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate

import sqlalchemy as sa
from flask import current_app

from ..accounts.passwords import hash_password
from ..cases import search_index
from ..cases.models import PLAN_REVIEW_ON_SQL
from ..core import deadlines
from ..core.normalise import normalise_address, normalise_phone
from ..intake.reference import ReportingChannel

from . import names as N
from .loader import (
    UTC,
    Writer,
    after_commit,
    begin_session,
    dump,
    dump_bools,
    dump_ints,
    end_session,
    verify_references,
)

DAY = 86400.0
YEARS = 5
SPAN_DAYS = 365 * YEARS + 1


@dataclass(frozen=True)
class Sizes:
    reports: int
    cases: int
    contacts: int
    referrals: int
    meetings: int
    items: int


FULL = Sizes(reports=1_500_000, cases=500_000, contacts=5_000_000, referrals=200_000, meetings=2_000, items=20_000)
FULL_STAFF = 9_000
OPEN_QUEUE_SHARE = 0.002  # of a county's reports still waiting to be screened

SCREENED_OUT = 0.226
PROTECTIVE, VULNERABLE = 0.71, 0.15  # of the valid; the rest is not dispatched

# Population in 10,000s (2024): volumes follow it.
POPULATION = {
    "6500000000": 404, "6300000000": 249, "1000300000": 232, "6600000000": 285, "6700000000": 185,
    "6400000000": 272, "1000200000": 45, "1000400000": 59, "1000500000": 54, "1000700000": 123,
    "1000800000": 48, "1000900000": 66, "1001000000": 48, "1001300000": 80, "1001400000": 21,
    "1001500000": 32, "1001600000": 10.5, "1001700000": 36, "1001800000": 46, "1002000000": 26,
    "0902000000": 14, "0900700000": 1.4,
}

# Channel mix of the centres' reports (twss-reporting-unit code → weight).
CHANNELS = (("24", 20), ("15", 12), ("16", 11), ("35", 10), ("13", 8), ("10", 8), ("7", 5), ("6", 4),
            ("36", 3), ("11", 3), ("26", 2), ("4", 2), ("39", 2), ("25", 1.5), ("34", 1.5), ("2", 1), ("5", 1),
            ("17", 1), ("37", 0.5), ("28", 0.5), ("29", 0.5), ("30", 0.5), ("38", 0.5), ("22", 0.5))
CHANNEL_CODES = tuple(c for c, _ in CHANNELS)
CHANNEL_CUM = tuple(accumulate(w for _, w in CHANNELS))
MANDATED_BY_CHANNEL = {"24": "police", "15": "education", "13": "education", "11": "education", "16": "medical",
                       "17": "medical", "10": "social_work", "6": "social_work", "4": "social_work", "26": "judicial",
                       "25": "village", "28": "immigration", "29": "household_registration", "2": "childcare",
                       "5": "social_work", "34": "village", "22": "other", "30": "other"}

PROTECTIVE_CONCERNS = (("child_protection", 42), ("ipv", 33), ("elder", 9), ("family_member", 7),
                       ("sexual_assault", 6), ("disability", 3))
CONCERN_LABELS = {"child_protection": "兒少保護", "ipv": "成人保護－親密關係暴力", "family_member": "成人保護－其他家庭成員",
                  "elder": "成人保護－老人", "disability": "成人保護－身心障礙者", "sexual_assault": "性侵害",
                  "vulnerable_family": "脆弱家庭", "mental_health": "精神疾病或自殺企圖"}
DIMENSIONS = ("economic", "event", "relationship", "child_development", "disability_illness", "adjustment")

CASE_STATUS_LABEL = {"awaiting_assignment": "待指派社工", "assessing": "評估中", "opening_review": "開案審查中",
                     "open": "開案服務中", "closing_review": "結案審查中", "closed": "已結案", "not_opened": "不開案"}
CASE_STATUSES = tuple(CASE_STATUS_LABEL)
# Status mix of today's caseload, by kind (weights).
CASE_MIX = {
    "v": (1.0, 6.0, 1.5, 12.0, 1.5, 26.0, 52.0),
    "p": (0.8, 3.5, 1.2, 14.0, 1.5, 54.0, 25.0),
}
# Days ago the family was reported, by status: (from, to, skew towards recent).
CASE_AGE = {"awaiting_assignment": (0.05, 2.5, 1.0), "assessing": (0.5, 28, 1.0), "opening_review": (12, 45, 1.0),
            "open": (30, 1100, 1.8), "closing_review": (150, 1300, 1.3), "closed": (75, SPAN_DAYS - 1, 1.0),
            "not_opened": (8, SPAN_DAYS - 1, 1.0)}
OPENED = ("open", "closing_review", "closed")
OPEN_CASE = ("awaiting_assignment", "assessing", "opening_review", "open", "closing_review")
NOT_OPENED_OUTCOMES = (("welfare_consultation", 55), ("refer_network", 25), ("duplicate_or_error", 12),
                       ("refer_protective", 8))
OUTCOME_LABEL = {"case_management": "列入個案管理", "refer_protective": "轉介保護服務", "refer_network": "轉介其他網絡服務",
                 "welfare_consultation": "福利諮詢服務", "duplicate_or_error": "重複通報及資料錯誤"}

CONTACT_METHODS = (("A", 30, 5, 30), ("B", 25, 30, 120), ("D", 15, 5, 40), ("E", 8, 5, 20), ("G", 7, 30, 90),
                   ("C", 5, 60, 180), ("F", 5, 20, 60), ("H", 1, 5, 15), ("I", 1, 10, 30), ("J", 1, 20, 60),
                   ("K", 1, 30, 90), ("Z", 1, 10, 30))
CONTACT_CUM = tuple(accumulate(m[1] for m in CONTACT_METHODS))
CONTACT_LABEL = {"A": "電訪家庭", "B": "面訪家庭", "C": "陪同服務", "D": "網絡聯繫", "E": "案家來電", "F": "校園訪視",
                 "G": "面談", "H": "信箱回覆", "I": "公文回覆", "J": "資源拜訪", "K": "機構訪視", "Z": "其他"}
IN_PERSON = {"B", "C", "F", "G", "K"}
SERVICE_ITEMS_V = ("s1_consultation", "s1_referral", "s1_parenting", "s1_cash", "s1_in_kind", "s1_emergency",
                   "s1_poverty_exit", "s1_support", "s4_employment", "s4_family_education", "s4_student_counselling")
SERVICE_ITEMS_P = ("s2_rescue", "s2_recovery", "s2_early_warning", "s1_support", "s3_community_mh", "s3_suicide",
                   "s3_offender", "s4_victim", "s4_judicial", "s1_emergency", "s4_youth")
SERVICE_LABEL = {"s1_consultation": "福利諮詢", "s1_referral": "資源轉介", "s1_parenting": "親職教育",
                 "s1_cash": "生活扶助（現金給付）", "s1_in_kind": "實物給付", "s1_emergency": "急難紓困",
                 "s1_poverty_exit": "脫貧服務（兒少教育發展帳戶）", "s1_support": "支持服務（關懷訪視、照顧服務、親職示範、家務指導、心理輔導）",
                 "s4_employment": "就業協助", "s4_family_education": "家庭教育", "s4_student_counselling": "學生輔導",
                 "s2_rescue": "緊急救援／危機處理", "s2_recovery": "關係修復／創傷復原", "s2_early_warning": "風險預警／及時介入",
                 "s3_community_mh": "社區心理衛生服務", "s3_suicide": "自殺防治", "s3_offender": "加害人處遇",
                 "s4_victim": "犯罪被害人服務", "s4_judicial": "司法保護", "s4_youth": "少年輔導"}
WITH_AMOUNT = {"s1_cash", "s1_in_kind", "s1_emergency", "s1_poverty_exit"}

REFERRAL_STATUS_LABEL = {"waiting": "轉介等待中", "in_service": "受案服務中", "declined": "不受案", "returned": "退回",
                         "forwarded": "再轉", "completed": "轉介完成", "failed": "轉介失敗", "withdrawn": "撤回"}
REFERRAL_MIX = (("completed", 55), ("in_service", 15), ("declined", 9), ("failed", 6), ("waiting", 5),
                ("withdrawn", 5), ("forwarded", 3), ("returned", 2))
REFERRAL_KIND_LABEL = {"unit": "縣市內單位", "county": "跨縣市轉銜", "partner": "民間團體"}
DECLINE = (("not_in_scope", "非本單位服務範疇"), ("no_capacity", "服務量能已滿"), ("out_of_area", "不在服務區域"),
           ("family_refused", "案家拒絕服務"), ("already_served", "已由其他單位服務"), ("other", "其他"))
REFERRAL_OUTCOMES = (("goal_met", "服務目標達成"), ("partly_met", "部分達成"), ("linked", "已連結其他資源"),
                     ("family_stopped", "案家終止服務"))
REFERRAL_REASONS = ("案家需要就業協助與經濟支持。", "兒少需課後照顧與學業輔導。", "案主有情緒困擾，需心理諮商。",
                    "案家遷居，請協助後續服務。", "被害人需法律協助與陪同出庭。", "照顧者身心負荷重，需喘息與照顧資源。",
                    "兒少疑似發展遲緩，需早療評估。", "案家有保護性議題，請協助評估。")

DISPUTE_LABEL = {"awaiting_response": "待對方回應", "agreed": "雙方同意", "awaiting_arbiter": "待縣市裁決",
                 "decided": "已裁決", "withdrawn": "已撤回"}
DISPUTE_MIX = (("decided", 45), ("agreed", 20), ("awaiting_response", 12), ("awaiting_arbiter", 12), ("withdrawn", 11))
HANDOVER_MIX = (("accepted", 50), ("declined", 20), ("pending", 20), ("cancelled", 10))
OUTCOME_NAME = {"maintain": "維持原派", "return": "退回篩派案中心重新篩派", "reassign": "改派", "joint": "共案"}
DISPUTE_REASONS = ("案家主要需求為經濟協助，無保護性議題，宜由社福中心主責。",
                   "經訪視確認有兒少受虐情事，宜由家防中心主責。", "案主精神狀況不穩合併家暴，宜由心衛社工主責並共案。",
                   "案家已遷居他區，非本中心服務區域。")

SERIES_NAMES = {
    "central_local": "中央與地方社會安全網政策會議", "cross_ministry": "強化社會安全網跨部會政策平台",
    "county_platform": "{county}社會安全網跨網絡平台會議", "case_conference": "{county}跨網絡個案研討會議",
    "high_risk": "{county}高危機網絡會議",
}
ITEM_TITLES_NATIONAL = ("社福中心人力進用與留任", "集中篩派案 24 小時派案率", "脆弱家庭 10 日內訪視率", "跨網絡資料介接",
                        "精神疾病合併家暴加害人處遇", "自殺防治通報與關懷訪視", "兒少保護個案再通報率", "學生輔導與社政轉銜",
                        "治安顧慮人口查訪與社政合作", "社工人身安全與執業環境", "春節加強關懷訪視成果", "少年輔導委員會轉型")
ITEM_TITLES_COUNTY = ("高危機個案網絡分工", "學校疑似受虐通報流程", "警政與家防中心協同處理", "社區心理衛生中心轉介",
                      "社福中心與區公所急難救助銜接", "保護令執行與追蹤", "兒少安置返家後追蹤", "毒品列管個案家庭訪視",
                      "長照與身障資源連結", "村里幹事關懷名單")
PROGRESS_TEXTS = ("已召開跨網絡協調會議，研擬分工方案。", "已完成相關人員教育訓練，持續追蹤執行情形。", "本月已訪視完成，列冊持續追蹤。",
                  "已函請相關單位配合辦理，刻正彙整回復。", "已完成資料介接測試，預計下月正式上線。", "持續辦理中，執行率已達八成。",
                  "相關經費已納入年度預算，按季檢討。", "已完成，建議解除列管。")


class ScaleError(RuntimeError):
    """A refusal, said in Chinese, before anything is written."""


def allocate(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder; ties by position)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    out = [int(x) for x in exact]
    rest = total - sum(out)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[:rest]:
        out[i] += 1
    return out


def mixed(rng, options, count: int) -> list:
    """``count`` values in the proportions of ``options`` ((value, weight) …), shuffled; every value
    present when there are at least as many as values."""
    values = [v for v, _ in options]
    counts = allocate(count, [w for _, w in options])
    if count >= len(values):
        for i, c in enumerate(counts):
            if c == 0:
                top = max(range(len(counts)), key=lambda j: counts[j])
                counts[top] -= 1
                counts[i] = 1
    out = [v for v, c in zip(values, counts) for _ in range(c)]
    rng.shuffle(out)
    return out


def pick(rng, options):
    """One value of ((value, weight) …)."""
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def due_after(rule: str, start: datetime) -> datetime:
    """The national length of a ``core.deadlines`` rule from ``start`` (naive UTC stays naive)."""
    due = deadlines.due(rule, start)
    return due.replace(tzinfo=None) if start.tzinfo is None else due


def roc_compact(day: date) -> str:
    return f"{day.year - 1911:03d}{day.month:02d}{day.day:02d}"


def taipei_day(moment: datetime) -> date:
    return (moment + timedelta(hours=8)).date()


# --- What the generator keeps in memory per county ---------------------------------------

class Unit:
    __slots__ = ("districts", "id", "kind", "name", "short", "supervisors", "workers")

    def __init__(self, id, name, short, kind):
        self.id, self.name, self.short, self.kind = id, name, short or name, kind
        self.workers: list[tuple[int, str]] = []
        self.supervisors: list[tuple[int, str]] = []
        self.districts: list[int] = []

    def worker(self, rng) -> tuple[int | None, str]:
        if self.workers:
            return rng.choice(self.workers)
        if self.supervisors:
            return rng.choice(self.supervisors)
        return None, f"{self.short}承辦人"

    def supervisor(self, rng) -> tuple[int | None, str]:
        if self.supervisors:
            return rng.choice(self.supervisors)
        return self.worker(rng)


class County:
    __slots__ = (
        "bureau",
        "code",
        "dispatch",
        "dispatchers",
        "districts",
        "dv",
        "id",
        "letter",
        "mh",
        "name",
        "partner_services",
        "serving",
        "units",
        "welfare",
        "welfare_by_district",
    )

    def __init__(self, id, code, name):
        self.id, self.code, self.name = id, code, name
        self.districts: list[tuple[int, str]] = []
        self.units: dict[str, list[Unit]] = {}
        self.welfare: list[Unit] = []
        self.welfare_by_district: dict[int, Unit] = {}
        self.partner_services: list[tuple[int, int, str, str]] = []  # (service id, org id, service name, org name)
        self.dispatchers: list[tuple[int, str]] = []
        self.dv = self.mh = self.dispatch = self.bureau = None
        self.serving: list[Unit] = []
        self.letter = N.ID_LETTER.get(code, "A")

    def one(self, kind: str) -> Unit | None:
        units = self.units.get(kind) or []
        return units[0] if units else None


class Fam:
    """A family case being generated."""

    __slots__ = (
        "address",
        "assigned",
        "case_no",
        "child_class",
        "child_grade",
        "child_seen",
        "children",
        "closed",
        "closing_at",
        "closing_level",
        "closing_reason",
        "collaborators",
        "concerns",
        "decided",
        "dimensions",
        "district",
        "end",
        "events",
        "family_name",
        "first_lead",
        "first_visit",
        "id",
        "kind",
        "lead",
        "members",
        "opened",
        "opening_level",
        "outcome",
        "outcome_at",
        "phone",
        "re_report_of",
        "received",
        "report_at",
        "reports",
        "status",
        "subject",
        "supervisor",
        "tipvda_score",
        "urgent",
        "worker",
    )

    def __init__(self):
        self.reports: list = []
        self.events: list = []
        self.collaborators: list[Unit] = []
        self.re_report_of = None
        self.opening_level = self.closing_level = None
        self.closing_reason = ""
        self.dimensions: list[str] = []
        self.child_grade = self.child_class = ""
        self.urgent = False
        self.tipvda_score = None


class Rep:
    """A report being generated."""

    __slots__ = (
        "address",
        "cat",
        "concerns",
        "decided",
        "district",
        "dup_of",
        "fam",
        "first",
        "id",
        "no",
        "open_claimed",
        "persons",
        "received",
        "transfer_to",
    )

    def __init__(self, received, cat, fam=None, first=False):
        self.received, self.cat, self.fam, self.first = received, cat, fam, first
        self.decided = None
        self.dup_of = None
        self.persons = None
        self.concerns = None
        self.transfer_to = None
        self.open_claimed = False


MEMBER_COLS = ("id", "tenant_id", "case_id", "name", "sex", "birth_date", "estimated_age", "id_number", "relation",
               "phone", "flags", "placement_ended_on", "welfare_type")
CASE_COLS = ("id", "tenant_id", "case_no", "family_name", "status", "district_id", "address", "phone", "received_at",
             "concerns", "child_grade", "child_class", "assigned_worker_id", "assigned_at", "first_visit_at",
             "child_seen_at", "assessment_report_at", "outcome", "outcome_at", "opening_level", "closing_level",
             "closing_reason", "opened_at", "closed_at", "re_report_of_id", "version", "created_at", "updated_at",
             "address_key")
CASE_UNIT_COLS = ("id", "tenant_id", "case_id", "unit_id", "role", "since")
TRANSITION_COLS = ("id", "tenant_id", "case_id", "from_status", "to_status", "actor_id", "actor_name", "at", "reason")
EVENT_COLS = ("id", "tenant_id", "case_id", "at", "actor_id", "actor_name", "unit_name", "kind", "summary")
REPORT_COLS = ("id", "tenant_id", "report_no", "lookup_hash", "channel", "source_name", "received_at", "learned_at",
               "district_id", "address", "child_location", "concerns", "dimensions", "narrative", "urgent",
               "actions_taken", "tipvda_answers", "tipvda_score", "victim_wishes", "status", "deadline_at",
               "deadline_kind", "claimed_by_id", "claimed_at", "decided_by_id", "decided_at", "invalid_reason",
               "duplicate_of_id", "directed_to", "child_grade", "child_class", "lead_unit_id", "collaborator_unit_ids",
               "referred_to", "transferred_to_county_id", "transferred_from_id", "transferred_to_id", "decision_note",
               "case_id", "version", "created_at", "updated_at", "address_key")
PERSON_COLS = ("id", "tenant_id", "report_id", "position", "name", "sex", "birth_date", "estimated_age", "id_number",
               "relation", "school", "phone", "phone_key")
REPORTER_COLS = ("id", "tenant_id", "report_id", "reporter_type", "anonymous", "name", "phone", "email", "profession",
                 "organisation")
REPORT_TRANSITION_COLS = ("id", "tenant_id", "report_id", "from_status", "to_status", "actor_id", "actor_name", "at",
                          "reason")
CONTACT_COLS = ("id", "tenant_id", "case_id", "contacted_at", "method", "duration_minutes", "persons_seen",
                "child_seen", "note", "worker_id", "worker_name", "created_at")
SERVICE_COLS = ("id", "tenant_id", "case_id", "item", "status", "on", "amount", "note", "recorded_by_id", "recorded_at")
VULN_COLS = ("id", "tenant_id", "case_id", "table_id", "dimensions", "factor_ids", "derived_level", "override_level",
             "override_reason", "assessed_by_id", "assessed_at")
AREPORT_COLS = ("id", "tenant_id", "case_id", "reason_confirmed", "diagnosis", "goals", "plan_proposal",
                "written_by_id", "written_at")
TIPVDA_COLS = ("id", "tenant_id", "case_id", "version_id", "answers", "score", "band", "assessed_by_id", "assessed_at")
SAFETY_COLS = ("id", "tenant_id", "case_id", "member_id", "result", "note", "assessed_by_id", "assessed_at")
PLAN_COLS = ("id", "tenant_id", "case_id", "unit_id", "goals", "agreed_by", "agreed_on", "review_due",
             "created_by_id", "created_at")
PLAN_REVIEW_COLS = ("id", "tenant_id", "plan_id", "reviewed_on", "note", "next_review", "reviewed_by_id")
REFERRAL_COLS = ("id", "tenant_id", "to_county_id", "to_partner_org_id", "referral_no", "kind", "case_id",
                 "from_unit_id", "to_unit_id", "partner_service_id", "reason", "services_requested", "shared_sections",
                 "shared_snapshot", "consent", "consent_by", "legal_basis", "legal_basis_by_id", "urgency",
                 "deadline_at", "status", "sent_by_id", "responded_at", "served_by", "decline_reason", "outcome",
                 "closing_text", "forwarded_to_id", "forwarded_from_id", "received_case_id", "version", "created_at",
                 "updated_at", "case_lead_unit_id")
REFERRAL_EVENT_COLS = ("id", "tenant_id", "to_county_id", "to_partner_org_id", "referral_id", "at", "kind",
                       "from_status", "to_status", "actor_id", "actor_name", "actor_side", "sender_unit", "receiver",
                       "text")
PARTNER_RECORD_COLS = ("id", "tenant_id", "to_county_id", "to_partner_org_id", "referral_id", "on", "description",
                       "recorded_by_id", "recorded_by_name")
DISPUTE_COLS = ("id", "tenant_id", "case_id", "filed_by_unit_id", "other_unit_id", "reason", "proposed",
                "proposed_unit_id", "status", "filed_by_id", "filed_at", "response_due", "response_agrees",
                "response_reason", "responded_at", "escalated_at", "decision_due", "decision", "decision_lead_unit_id",
                "decision_collaborator_ids", "decision_reason", "decided_by_id", "decided_at", "version", "created_at",
                "updated_at")
HANDOVER_COLS = ("id", "tenant_id", "case_id", "from_unit_id", "to_unit_id", "reason", "status", "requested_by_id",
                 "requested_at", "answered_by_id", "answered_at", "answer_note")


class Generator:
    def __init__(self, *, seed: int, sizes: Sizes, today: date, scale: float = 1.0, staff: int | None = None,
                 counties: list[str] | None = None, echo=print):
        self.seed = seed
        self.sizes = sizes
        self.today = today
        self.staff = staff if staff is not None else max(1, round(FULL_STAFF * scale))
        self.wanted = counties
        self.echo = echo
        # The anchor: midnight at the start of ``today`` in Taipei, in UTC.
        self.anchor = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(hours=8)
        self.today_ord = today.toordinal()
        self.phase_seconds: dict[str, float] = {}
        self.report_day_counter: dict[str, int] = {}
        self.case_counter: dict[tuple[str, int], int] = {}
        self.referral_counter: dict[int, int] = {}
        self.item_counter: dict[tuple[int, str], int] = {}
        self.existing_counters: dict[tuple[str, str], int] = {}
        self.totals: dict[str, int] = {}
        self._pending_events: list = []
        self._rows_before = 0
        self._open_protective: dict[int, list[int]] = {}

    def rng(self, phase: str, key: str = "") -> random.Random:
        return random.Random(f"seed-scale:{self.seed}:{phase}:{key}")

    def ago(self, days: float) -> datetime:
        return self.anchor - timedelta(seconds=days * DAY)

    # --- running ---------------------------------------------------------------------

    def run(self, url: str) -> dict:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        started = time.perf_counter()
        try:
            with engine.connect() as conn:
                self.conn = conn
                self.w = Writer(conn)
                conn.begin()
                self.unchecked = begin_session(conn)
                self._load_reference()
                self._announce()
                with self._phase("directory"):
                    self._directory()
                self._commit()
                self._rows_before = sum(self.w.rows.values())
                allocations = self._allocations()
                for county in self.counties:
                    sizes = allocations[county.id]
                    if not any(sizes.values()):
                        continue
                    self._county(county, sizes)
                    self._commit()
                with self._phase("meetings"):
                    self._meetings(allocations)
                self._commit()
                with self._phase("numbering"):
                    self._counters()
                    self.w.finish()
                self._commit()
                if self.unchecked:
                    with self._phase("verify"):
                        self._verify()
                    end_session(conn)
                with self._phase("derived"):
                    rebuild_derived(conn, self.echo)
                self._commit()
        finally:
            if getattr(self, "w", None) is not None:
                self.w.close()
            engine.dispose()
        total = time.perf_counter() - started
        self._summary(total)
        return {"rows": dict(self.w.rows), "phases": dict(self.phase_seconds), "total_seconds": total}

    def _commit(self):
        self.w.drain()
        self.conn.commit()
        self.conn.begin()
        after_commit(self.conn)

    class _Timer:
        def __init__(self, gen, name):
            self.gen, self.name = gen, name

        def __enter__(self):
            self.t0 = time.perf_counter()

        def __exit__(self, *exc):
            self.gen.phase_seconds[self.name] = self.gen.phase_seconds.get(self.name, 0.0) + time.perf_counter() - self.t0

    def _phase(self, name: str):
        return self._Timer(self, name)

    def _announce(self):
        s = self.sizes
        self.echo(f"seed-scale：種子 {self.seed}，基準日 {self.today.isoformat()}（{len(self.counties)} 縣市，"
                  f"{'PostgreSQL COPY' if self.w.pg else 'SQLite 批次寫入'}）")
        self.echo(f"  目標：通報 {s.reports:,}、個案 {s.cases:,}、訪視/服務紀錄 {s.contacts:,}、轉介 {s.referrals:,}、"
                  f"會議 {s.meetings:,}、列管事項 {s.items:,}、第一線人員 {self.staff:,}"
                  + ("（全國數量；所選縣市各取其人口占比）" if self.wanted else ""))

    def _progress(self, label: str, county: County, counts: dict[str, int], seconds: float):
        parts = []
        for table, n in counts.items():
            self.totals[table] = self.totals.get(table, 0) + n
            parts.append(f"{table} {n:,}（累計 {self.totals[table]:,}）")
        rows = sum(counts.values())
        rate = rows / seconds if seconds > 0 else 0
        self.echo(f"  [{label}] {county.name}：" + "、".join(parts) + f"　{rows:,} 列，{seconds:.1f} 秒，{rate:,.0f} 列/秒")

    def _summary(self, total: float):
        self.echo("\n完成。各表列數（寫入秒數）：")
        for table in sorted(self.w.rows):
            self.echo(f"  {table:<28} {self.w.rows[table]:>12,}  {self.w.seconds[table]:>8.1f} 秒")
        self.echo("各階段時間：")
        for name, seconds in self.phase_seconds.items():
            self.echo(f"  {name:<12} {seconds:>9.1f} 秒")
        self.echo(f"  {'total':<12} {total:>9.1f} 秒（{sum(self.w.rows.values()):,} 列）")

    # --- reference data --------------------------------------------------------------

    def _load_reference(self):
        q = lambda sql, **p: self.conn.execute(sa.text(sql), p).all()
        rows = q("SELECT id, code, name FROM counties WHERE is_active ORDER BY sort_order, id")
        if not rows or not q("SELECT 1 FROM districts LIMIT 1"):
            raise ScaleError("尚未載入參考資料（縣市、行政區、單位）。請先執行 flask --app app db upgrade 與 flask --app app seed-demo。")
        tables = q("SELECT id FROM risk_factor_tables WHERE effective_from <= :d ORDER BY effective_from DESC",
                   d=self.today)
        tipvda = q("SELECT id, notice_from, high_from FROM tipvda_versions WHERE effective_from <= :d "
                   "ORDER BY effective_from DESC", d=self.today)
        if not tables or not tipvda:
            raise ScaleError("尚未載入脆弱家庭風險因子表或 TIPVDA 版本。請先執行 flask --app app seed-demo。")
        if q("SELECT 1 FROM users WHERE username LIKE 'scale-%' LIMIT 1"):
            raise ScaleError("此資料庫已有 seed-scale 產生的資料（帳號 scale-…）。請在新的資料庫上執行（先 db upgrade 與 seed-demo）。")
        self.factor_table = tables[0][0]
        self.factors = {lvl: [(fid, dim) for fid, l, dim in q(
            "SELECT id, level, dimension FROM risk_factors WHERE table_id = :t ORDER BY position, id", t=tables[0][0])
            if l == lvl] for lvl in ("H", "M", "L")}
        self.tipvda = tipvda[0]
        all_counties = [County(*r) for r in rows]
        self.all_counties = {c.id: c for c in all_counties}
        if self.wanted:
            keys = set(self.wanted)
            chosen = [c for c in all_counties if c.name in keys or c.code in keys]
            unknown = keys - {c.name for c in chosen} - {c.code for c in chosen}
            if unknown:
                raise ScaleError(f"找不到縣市：{'、'.join(sorted(unknown))}")
            self.counties = chosen
        else:
            self.counties = all_counties
        for cid, did, name in q("SELECT county_id, id, name FROM districts ORDER BY county_id, sort_order, id"):
            if cid in self.all_counties:
                self.all_counties[cid].districts.append((did, name))
        for uid, kind, name, short, cid in q("SELECT id, kind, name, short_name, county_id FROM units "
                                            "WHERE county_id IS NOT NULL AND is_active ORDER BY id"):
            county = self.all_counties.get(cid)
            if county is not None:
                county.units.setdefault(kind, []).append(Unit(uid, name, short, kind))
        self._index_welfare(q("SELECT unit_id, district_id FROM unit_districts ORDER BY unit_id, district_id"))
        for sid, org, sname, oname, counties in q(
                "SELECT s.id, s.partner_org_id, s.name, o.name, s.county_ids FROM partner_services s "
                "JOIN partner_organisations o ON o.id = s.partner_org_id WHERE s.is_active AND o.is_active ORDER BY s.id"):
            ids = counties if isinstance(counties, list) else json.loads(counties or "[]")
            for cid in ids:
                if cid in self.all_counties:
                    self.all_counties[cid].partner_services.append((sid, org, sname, oname))
        self.channel_label = {m.value: m.label for m in ReportingChannel}
        self.ministry = [Unit(*r) for r in q("SELECT id, name, short_name, kind FROM units WHERE county_id IS NULL "
                                             "AND partner_org_id IS NULL AND is_active ORDER BY id")]
        for (name, period), value in {(r[0], r[1]): r[2] for r in q("SELECT name, period, value FROM counters")}.items():
            self.existing_counters[(name, period)] = value

    def _index_welfare(self, links):
        by_unit: dict[int, list[int]] = {}
        for uid, did in links:
            by_unit.setdefault(uid, []).append(did)
        for county in self.all_counties.values():
            county.welfare = county.units.get("welfare_centre", [])
            for unit in county.welfare:
                unit.districts = by_unit.get(unit.id, [])
                for did in unit.districts:
                    county.welfare_by_district.setdefault(did, unit)
            county.dv = county.one("dv_centre")
            county.mh = county.one("mental_health")
            county.dispatch = county.one("dispatch_centre")
            county.bureau = county.one("social_affairs_bureau")
            county.serving = [u for u in (county.dv, county.mh) if u is not None] + county.welfare

    # --- directory: welfare centres where the reference data has none, staff --------------

    def _directory(self):
        started = time.perf_counter()
        units, links = [], []
        now = self.anchor - timedelta(days=SPAN_DAYS + 30)
        for county in self.counties:
            if county.welfare or not county.districts:
                continue
            groups = [county.districts[i:i + 3] for i in range(0, len(county.districts), 3)]
            for group in groups:
                stem = N.district_stem(group[0][1])
                uid = self.w.reserve("units")
                name = f"{county.name}{stem}社會福利服務中心"
                units.append((uid, "welfare_centre", name, f"{stem}社福中心", county.id, None, "", "", True, now, now))
                unit = Unit(uid, name, f"{stem}社福中心", "welfare_centre")
                unit.districts = [d for d, _ in group]
                county.units.setdefault("welfare_centre", []).append(unit)
                links += [(uid, d) for d in unit.districts]
        self.w.write("units", ("id", "kind", "name", "short_name", "county_id", "partner_org_id", "agency", "phone",
                               "is_active", "created_at", "updated_at"), units)
        self.w.write("unit_districts", ("unit_id", "district_id"), links)
        # re-index so the new centres serve their districts
        for county in self.counties:
            county.welfare = county.units.get("welfare_centre", [])
            for unit in county.welfare:
                for did in unit.districts:
                    county.welfare_by_district.setdefault(did, unit)
            county.serving = [u for u in (county.dv, county.mh) if u is not None] + county.welfare
        self._staff(now)
        self.echo(f"  [directory] 新增社福中心 {len(units)} 處、第一線人員 {self.w.rows.get('users', 0):,} 人、"
                  f"職務 {self.w.rows.get('memberships', 0):,} 筆（{time.perf_counter() - started:.1f} 秒）")

    def _staff(self, created):
        password = hash_password(current_app.config["DEMO_PASSWORD"])
        weights = [POPULATION.get(c.code, 20) for c in self.counties]
        per_county = allocate(self.staff, weights)
        users, memberships = [], []
        for county, count in zip(self.counties, per_county):
            rng = self.rng("staff", county.code)
            plan = [(county.dispatch, 0.06), (county.dv, 0.38), (county.mh, 0.12)]
            plan += [(u, 0.44 / len(county.welfare)) for u in county.welfare]
            plan = [(u, share) for u, share in plan if u is not None]
            counts = allocate(count, [s for _, s in plan])
            n = 0
            for (unit, _), k in zip(plan, counts):
                k = max(k, 2)  # a worker and a supervisor in every serving unit
                for i in range(k):
                    n += 1
                    uid = self.w.reserve("users")
                    sex = "F" if rng.random() < 0.78 else "M"
                    name = N.surname(rng) + N.given_name(rng, sex, rng.randint(1965, 2000))
                    username = f"scale-{county.code[:5]}-{n:05d}"
                    users.append((uid, username, name, "", password, True, False, False, 0, 1, created, created))
                    supervisor = i % 7 == 0
                    if unit is county.dispatch:
                        role = "supervisor" if supervisor else "dispatcher"
                        (unit.supervisors if supervisor else unit.workers).append((uid, name))
                    else:
                        role = "supervisor" if supervisor else "social_worker"
                        (unit.supervisors if supervisor else unit.workers).append((uid, name))
                    memberships.append((self.w.reserve("memberships"), uid, unit.id, role, created, created))
            county.dispatchers = (county.dispatch.workers or county.dispatch.supervisors) if county.dispatch else []
        self.w.write("users", ("id", "username", "display_name", "email", "password_hash", "is_active", "is_sysadmin",
                               "must_change_password", "failed_login_count", "session_version", "created_at",
                               "updated_at"), users)
        self.w.write("memberships", ("id", "user_id", "unit_id", "role", "created_at", "updated_at"), memberships)

    # --- sizes per county ----------------------------------------------------------------

    def _allocations(self) -> dict[int, dict[str, int]]:
        everyone = list(self.all_counties.values())
        weights = [POPULATION.get(c.code, 20) for c in everyone]
        out = {c.id: {} for c in everyone}
        for field in ("reports", "cases", "contacts", "referrals"):
            for county, n in zip(everyone, allocate(getattr(self.sizes, field), weights)):
                out[county.id][field] = n
        return {c.id: out[c.id] for c in self.counties}

    # --- one county --------------------------------------------------------------------------

    def _county(self, county: County, sizes: dict[str, int]):
        started = time.perf_counter()
        with self._phase("cases"):
            fams = self._make_cases(county, sizes["cases"])
        self._open_protective[county.id] = [f.id for f in fams if f.kind == "p" and f.status in ("open", "assessing")][:500]
        with self._phase("reports"):
            reports = self._make_reports(county, sizes["reports"], fams)
        with self._phase("referrals"):
            plan = self._plan_case_changes(county, fams)
        with self._phase("cases"):
            t0 = time.perf_counter()
            counts = self._write_cases(county, fams)
            self._progress("cases", county, counts, time.perf_counter() - t0)
        with self._phase("reports"):
            t0 = time.perf_counter()
            counts = self._write_reports(county, reports)
            self._progress("reports", county, counts, time.perf_counter() - t0)
        with self._phase("casework"):
            t0 = time.perf_counter()
            counts = self._casework(county, fams, sizes["contacts"])
            self._progress("casework", county, counts, time.perf_counter() - t0)
        with self._phase("referrals"):
            t0 = time.perf_counter()
            counts = self._referrals(county, fams, sizes["referrals"], plan)
            self._progress("referrals", county, counts, time.perf_counter() - t0)
        self.w.drain()  # the county's rows are all written: the rate below is the real one
        seconds = time.perf_counter() - started
        rows = sum(self.w.rows.values()) - self._rows_before
        self._rows_before += rows
        self.echo(f"  {county.name} 完成：{rows:,} 列，{seconds:.1f} 秒（{rows / max(seconds, 1e-9):,.0f} 列/秒）")

    # --- families ------------------------------------------------------------------------------

    def _make_cases(self, county: County, count: int) -> list[Fam]:
        rng = self.rng("cases", county.code)
        n_v = round(count * VULNERABLE / (PROTECTIVE + VULNERABLE))
        kinds = ["v"] * n_v + ["p"] * (count - n_v)
        statuses = {k: mixed(rng, list(zip(CASE_STATUSES, CASE_MIX[k])), kinds.count(k)) for k in ("v", "p")}
        rng.shuffle(kinds)
        fams = []
        for kind in kinds:
            fam = Fam()
            fam.kind = kind
            fam.status = statuses[kind].pop()
            self._family_times(rng, fam)
            self._family_people(rng, county, fam)
            self._family_units(rng, county, fam)
            fams.append(fam)
        fams.sort(key=lambda f: f.received)
        first = self.w.reserve("family_cases", len(fams))
        for i, fam in enumerate(fams):
            fam.id = first + i
            roc_year = taipei_day(fam.received).year - 1911
            key = (county.code, roc_year)
            if key not in self.case_counter:
                self.case_counter[key] = self.existing_counters.get((f"case:{county.code}", str(roc_year)), 0)
            self.case_counter[key] += 1
            fam.case_no = f"{roc_year}-{county.code[:5]}-{self.case_counter[key]:06d}"
        # 再通報: a family reported again within 12 months of an earlier case's closing
        for i, fam in enumerate(fams):
            if i < 10 or rng.random() > 0.03:
                continue
            for _ in range(4):
                prev = fams[rng.randrange(i)]
                if (prev.closed is not None and prev.kind == fam.kind and prev.closed < fam.received
                        and fam.received - prev.closed < timedelta(days=365)):
                    fam.re_report_of = prev
                    break
        return fams

    def _family_times(self, rng, fam: Fam):
        lo, hi, skew = CASE_AGE[fam.status]
        days = lo + (hi - lo) * (rng.random() ** skew)
        fam.received = self.ago(days)
        hours = rng.uniform(0.2, 6) if rng.random() < 0.7 else rng.uniform(6, 23.5) if rng.random() < 0.93 else rng.uniform(24, 70)
        fam.decided = min(fam.received + timedelta(hours=hours), self.anchor - timedelta(minutes=rng.randint(5, 120)))
        if fam.decided <= fam.received:
            fam.decided = fam.received + timedelta(minutes=10)
        s = fam.status
        fam.assigned = fam.first_visit = fam.child_seen = fam.report_at = fam.outcome = fam.outcome_at = None
        fam.opened = fam.closing_at = fam.closed = None
        if s == "awaiting_assignment":
            fam.end = self.anchor
            return
        fam.assigned = fam.decided + timedelta(hours=rng.uniform(1, 30))
        if fam.kind == "v":
            visit_days = rng.uniform(1, 9.5) if rng.random() < 0.9 else rng.uniform(10, 16)
        else:
            visit_days = rng.uniform(0.1, 3)
        visit = max(fam.received + timedelta(days=visit_days), fam.assigned + timedelta(hours=rng.uniform(0.5, 6)))
        office = self._daytime(rng, visit)
        visit = office if office > fam.assigned else visit
        fam.first_visit = visit if visit < self.anchor else None
        if s == "assessing":
            if fam.assigned > self.anchor:
                fam.assigned = fam.decided + timedelta(minutes=30)
            if fam.kind == "v" and fam.first_visit and rng.random() < 0.3:
                at = fam.received + timedelta(days=rng.uniform(10, 29))
                fam.report_at = at if at < self.anchor else None
            fam.end = self.anchor
            return
        decide_days = rng.uniform(14, 30) if fam.kind == "v" else rng.uniform(7, 25)
        fam.outcome_at = min(fam.received + timedelta(days=decide_days), self.anchor - timedelta(hours=rng.uniform(2, 48)))
        if fam.first_visit is None or fam.first_visit > fam.outcome_at:
            fam.first_visit = fam.assigned + (fam.outcome_at - fam.assigned) * 0.3
        if fam.kind == "v" and (s != "not_opened" or rng.random() < 0.6):
            fam.report_at = min(fam.received + timedelta(days=rng.uniform(10, 29) if rng.random() < 0.95 else rng.uniform(31, 40)),
                                fam.outcome_at)
        if s == "not_opened":
            fam.outcome = pick(rng, NOT_OPENED_OUTCOMES)
            fam.closed = fam.outcome_at
            fam.end = fam.closed
            return
        fam.outcome = "case_management"
        if s == "opening_review":
            fam.end = self.anchor
            return
        fam.opened = min(fam.outcome_at + timedelta(days=rng.uniform(1, 5)), self.anchor - timedelta(hours=1))
        if s == "open":
            fam.end = self.anchor
        elif s == "closing_review":
            fam.closing_at = max(self.anchor - timedelta(days=rng.uniform(1, 14)), fam.opened + timedelta(days=1))
            fam.end = self.anchor
        else:
            close = fam.opened + timedelta(days=rng.uniform(90, 720))
            limit = self.anchor - timedelta(days=rng.uniform(1, 30))
            if close > limit:
                close = max(limit, fam.opened + timedelta(days=20))
            fam.closed = close
            fam.closing_at = close - timedelta(days=rng.uniform(1, 10))
            if fam.closing_at <= fam.opened:
                fam.closing_at = fam.opened + (close - fam.opened) / 2
            fam.end = close
        fam.closing_reason = rng.choice(N.CLOSING_REASONS) if fam.closing_at else ""

    def _person(self, rng, county: County, sex, relation, lo_ord, hi_ord, surname=None, *, adult=True):
        birth = rng.randint(lo_ord, max(lo_ord, hi_ord))
        year = date.fromordinal(birth).year
        if sex is None:
            sex = "F" if rng.random() < 0.5 else "M"
        name = (surname or N.surname(rng)) + N.given_name(rng, sex, year)
        flags = []
        resident = False
        if adult:
            r = rng.random()
            if r < 0.04:
                flags.append("mental_health")
            elif r < 0.055:
                flags.append("suicide")
            elif r < 0.075:
                flags.append("drug")
            elif r < 0.1:
                flags.append("disability")
            if sex == "F" and relation in ("mother", "subject") and rng.random() < 0.06:
                flags.append("new_resident")
                resident = True
        else:
            r = rng.random()
            if r < 0.03:
                flags.append("disability")
            elif r < 0.07:
                flags.append("developmental_delay")
        if rng.random() < (0.25 if county.code in ("1001500000", "1001400000") else 0.02):
            flags.append("indigenous")
        if rng.random() < 0.88:
            letter = county.letter if rng.random() < 0.8 else rng.choice(N.ALL_LETTERS)
            idno = N.id_number(rng, letter, sex, resident=resident)
        else:
            idno = ""
        phone = N.mobile(rng) if adult and rng.random() < 0.65 else ""
        birth_date = date.fromordinal(birth)
        estimated = None
        if adult and rng.random() < 0.08:
            estimated = self.today.year - birth_date.year - ((self.today.month, self.today.day) < (birth_date.month, birth_date.day))
            birth_date = None
        welfare = None
        if relation in ("mother", "subject", "father") and adult:
            w = rng.random()
            welfare = "1" if w < 0.09 else "2" if w < 0.16 else "3" if w < 0.19 else "0" if w < 0.5 else None
        placement = None
        if not adult and relation in ("child", "subject") and rng.random() < 0.02:
            placement = date.fromordinal(self.today_ord - rng.randint(10, 180))
        # [id, name, sex, birth, estimated, idno, relation, phone, flags, placement, welfare, birth_ord]
        return [None, name, sex, birth_date, estimated, idno, relation, phone, flags, placement, welfare, birth]

    def _family_people(self, rng, county: County, fam: Fam):
        concern = "vulnerable_family" if fam.kind == "v" else pick(rng, PROTECTIVE_CONCERNS)
        fam.concerns = [concern]
        if fam.kind == "p" and rng.random() < 0.06:
            fam.concerns.append("mental_health")
        received_ord = taipei_day(fam.received).toordinal()
        today = self.today_ord
        child_lo, child_hi = today - 6570, received_ord - 1  # 17 or younger today, born before the report
        adult_lo, adult_hi = today - 21900 + 3, today - 7305 - 3  # 20–60 today
        members = []
        children = []
        father_surname = N.surname(rng)

        def kids(n, relation_first="child"):
            for k in range(n):
                relation = relation_first if k == 0 else "child"
                child = self._person(rng, county, None, relation, child_lo, child_hi, father_surname, adult=False)
                members.append(child)
                children.append(child)

        def parents(p_mother, p_father):
            oldest = min((c[11] for c in children), default=None)
            hi = adult_hi if oldest is None else min(adult_hi, oldest - 6575)
            lo = adult_lo
            if rng.random() < p_mother:
                members.insert(0, self._person(rng, county, "F", "mother", lo, hi))
            if rng.random() < p_father:
                members.insert(1 if members and members[0][6] == "mother" else 0,
                               self._person(rng, county, "M", "father", lo, hi, father_surname))

        if concern in ("child_protection", "vulnerable_family"):
            if concern == "vulnerable_family" and rng.random() < 0.1:
                members.append(self._person(rng, county, None, "subject", adult_lo, adult_hi))
            else:
                kids(pick(rng, ((1, 45), (2, 35), (3, 20))), "subject" if concern == "child_protection" else "child")
                parents(0.9, 0.6 if concern == "child_protection" else 0.5)
                if concern == "child_protection" and rng.random() < 0.15:
                    members.append(self._person(rng, county, "M", "cohabitant", adult_lo, adult_hi))
            if rng.random() < 0.15:
                members.append(self._person(rng, county, None, "grandparent", today - 31000, today - 20100))
        elif concern == "ipv":
            sex = "F" if rng.random() < 0.85 else "M"
            members.append(self._person(rng, county, sex, "subject", adult_lo, adult_hi))
            members.append(self._person(rng, county, "M" if sex == "F" else "F", "respondent", adult_lo, adult_hi))
            kids(pick(rng, ((0, 40), (1, 35), (2, 25))))
        elif concern == "elder":
            members.append(self._person(rng, county, None, "subject", today - 34500, today - 23800))
            members.append(self._person(rng, county, None, "respondent", adult_lo, today - 12800,
                                         members[0][1][0] if rng.random() < 0.7 else None))
            if rng.random() < 0.3:
                members.append(self._person(rng, county, "F", "carer", adult_lo, adult_hi))
        elif concern == "family_member":
            members.append(self._person(rng, county, None, "subject", adult_lo, adult_hi))
            members.append(self._person(rng, county, None, "respondent", adult_lo, adult_hi))
        elif concern == "disability":
            subject = self._person(rng, county, None, "subject", today - 15300, today - 6600)
            members.append(subject)
            hi = min(adult_hi, subject[11] - 6575)
            members.append(self._person(rng, county, "F", "mother", adult_lo, hi))
        else:  # sexual assault
            if rng.random() < 0.7:
                kids(1, "subject")
                parents(0.85, 0.3)
            else:
                members.append(self._person(rng, county, "F", "subject", adult_lo, adult_hi))
            if rng.random() < 0.6:
                members.append(self._person(rng, county, "M", "respondent", adult_lo, adult_hi))
        fam.members = members
        fam.children = children
        fam.subject = next((m for m in members if m[6] == "subject"), None) or members[0]
        named = fam.subject
        fam.family_name = f"{named[1][0]}○○家"
        fam.phone = next((m[7] for m in members if m[7]), "")
        district = rng.choice(county.districts)
        fam.district = district[0]
        fam.address = N.address(rng, county.name, district[1])
        if fam.kind == "v":
            fam.dimensions = rng.sample(DIMENSIONS, rng.choice((1, 1, 2, 2, 3)))
        if concern == "child_protection":
            fam.child_grade = "1" if rng.random() < 0.15 else "2"
            fam.child_class = "1" if rng.random() < 0.85 else "2" if rng.random() < 0.66 else "3"
            fam.urgent = fam.child_grade == "1"
        if concern == "ipv":
            fam.tipvda_score = min(15, max(0, int(rng.gauss(6.5, 3.2))))

    def _family_units(self, rng, county: County, fam: Fam):
        if fam.kind == "v":
            lead = county.welfare_by_district.get(fam.district) or (rng.choice(county.welfare) if county.welfare else county.dv)
        else:
            lead = county.dv or (county.welfare[0] if county.welfare else county.mh)
        fam.lead = fam.first_lead = lead
        if rng.random() < 0.12:
            options = [u for u in ([county.mh, county.dv] + ([county.welfare_by_district.get(fam.district)]))
                       if u is not None and u is not lead]
            if options:
                fam.collaborators.append(rng.choice(options))
        fam.worker = lead.worker(rng) if fam.assigned else (None, "")
        fam.supervisor = lead.supervisor(rng)
        if fam.kind == "v" and fam.outcome == "case_management":
            fam.opening_level = pick(rng, (("H", 14.65), ("M", 68.95), ("L", 16.3)))
        if fam.kind == "v" and fam.status in ("closed", "closing_review"):
            fam.closing_level = pick(rng, (("H", 4.57), ("M", 7.74), ("L", 87.69)))

    # --- reports ----------------------------------------------------------------------------------

    def _report_time(self, rng) -> datetime:
        u = rng.random()
        days = SPAN_DAYS * u if rng.random() < 0.7 else SPAN_DAYS * (1 - math.sqrt(u))
        return self.ago(max(days, 0.1))

    def _make_reports(self, county: County, count: int, fams: list[Fam]) -> list[Rep]:
        rng = self.rng("reports", county.code)
        n_open = min(count, round(count * OPEN_QUEUE_SHARE) + (2 if count >= 40 else 0))
        decided = count - n_open
        n_out = round(decided * SCREENED_OUT)
        valid = decided - n_out
        n_p = round(valid * PROTECTIVE)
        n_v = round(valid * VULNERABLE)
        rest = valid - n_p - n_v
        n_transfer = min(rest, round(rest * 0.02) + (1 if rest >= 20 else 0))
        n_ref = rest - n_transfer
        reps: list[Rep] = []
        dispatched: list[Rep] = []
        for kind, n in (("p", n_p), ("v", n_v)):
            pool = [f for f in fams if f.kind == kind]
            # every family's first report, as far as the reports go
            firsts = pool if n >= len(pool) else sorted(rng.sample(pool, n), key=lambda f: f.received)
            for fam in firsts:
                rep = Rep(fam.received, "dispatched", fam, True)
                rep.decided = fam.decided
                fam.reports.append(rep)
                reps.append(rep)
            extra = n - len(firsts)
            if extra > 0 and pool:
                windows = [max((f.end - f.received).total_seconds() - DAY, 1.0) for f in pool]
                cum = []
                total = 0.0
                for w in windows:
                    total += w
                    cum.append(total)
                for _ in range(extra):
                    fam = pool[bisect.bisect_left(cum, rng.random() * total)]
                    span = (fam.end - fam.received).total_seconds()
                    offset = DAY + rng.random() * max(span - DAY, 0) if span > DAY else span * rng.random()
                    rep = Rep(fam.received + timedelta(seconds=offset), "dispatched", fam, False)
                    reps.append(rep)
                    fam.reports.append(rep)
            elif extra > 0:  # no family of this kind: reported, then referred on
                n_ref += extra
        dispatched = [r for r in reps]
        for rep in reps:
            if rep.decided is None:
                rep.decided = self._decision_time(rng, rep.received)
        out_reasons = mixed(rng, (("duplicate", 40), ("data_error", 45), ("out_of_scope", 15)), n_out)
        for reason in out_reasons:
            if reason == "duplicate" and dispatched:
                original = rng.choice(dispatched)
                received = original.received + timedelta(days=rng.uniform(0.05, 12))
                if received >= self.anchor:
                    received = original.received + (self.anchor - original.received) / 2
                rep = Rep(received, "out:duplicate", original.fam)
                rep.dup_of = original
            else:
                rep = Rep(self._report_time(rng), f"out:{reason if reason != 'duplicate' else 'data_error'}")
            rep.decided = self._decision_time(rng, rep.received)
            reps.append(rep)
        for cat, n in (("referred", n_ref), ("transferred", n_transfer)):
            for _ in range(n):
                rep = Rep(self._report_time(rng), cat)
                rep.decided = self._decision_time(rng, rep.received)
                if cat == "transferred":
                    others = [c for c in self.all_counties.values() if c.id != county.id]
                    rep.transfer_to = rng.choice(others).id if others else None
                    if rep.transfer_to is None:
                        rep.cat = "referred"
                reps.append(rep)
        for k in range(n_open):
            hours = rng.uniform(0.5, 70)
            rep = Rep(self.anchor - timedelta(hours=hours), "open")
            rep.open_claimed = k == 0 or (k > 1 and rng.random() < 0.25)
            reps.append(rep)
        reps.sort(key=lambda r: r.received)
        first = self.w.reserve("reports", len(reps))
        for i, rep in enumerate(reps):
            rep.id = first + i
            day = taipei_day(rep.received).isoformat()
            if day not in self.report_day_counter:
                self.report_day_counter[day] = self.existing_counters.get(("report", day), 0)
            self.report_day_counter[day] += 1
            rep.no = f"{roc_compact(taipei_day(rep.received))}{self.report_day_counter[day]:05d}"
        return reps

    def _decision_time(self, rng, received: datetime) -> datetime:
        r = rng.random()
        hours = rng.uniform(0.2, 6) if r < 0.7 else rng.uniform(6, 23.5) if r < 0.98 else rng.uniform(24, 70)
        out = received + timedelta(hours=hours)
        limit = self.anchor - timedelta(minutes=1)
        if out > limit:
            out = received + (limit - received) / 2 if limit > received else received + timedelta(minutes=5)
        return out

    # --- changes planned before the case rows are written (disputes, hand-overs) ---------------------

    def _plan_case_changes(self, county: County, fams: list[Fam]) -> dict:
        rng = self.rng("disputes", county.code)
        eligible = [f for f in fams if f.assigned is not None and len(county.serving) > 1]
        count = min(len(eligible), round(len(fams) * 0.006) + (5 if len(fams) >= 30 else 0))
        statuses = mixed(rng, DISPUTE_MIX, count)
        open_fams = [f for f in eligible if f.status in OPEN_CASE]
        disputes = []
        used = set()
        for status in statuses:
            pool = open_fams if status in ("awaiting_response", "awaiting_arbiter") else eligible
            fam = None
            for _ in range(6):
                cand = rng.choice(pool) if pool else None
                if cand is not None and cand.id not in used:
                    fam = cand
                    break
            if fam is None:
                continue
            used.add(fam.id)
            disputes.append(self._plan_dispute(rng, county, fam, status))
        handovers = []
        with_collab = [f for f in fams if f.collaborators and f.assigned is not None and f.id not in used]
        for status in mixed(rng, HANDOVER_MIX, min(len(with_collab), round(len(fams) * 0.003))):
            fam = rng.choice(with_collab)
            if fam.id in used:
                continue
            used.add(fam.id)
            handovers.append(self._plan_handover(rng, fam, status))
        return {"disputes": disputes, "handovers": handovers}

    def _plan_dispute(self, rng, county: County, fam: Fam, status: str) -> dict:
        lead = fam.lead
        others = [u for u in county.serving if u is not lead]
        proposed = pick(rng, (("reassign", 40), ("joint", 30), ("return", 30)))
        proposed_unit = rng.choice(others) if proposed != "return" else None
        if status == "awaiting_response":
            filed = self.anchor - timedelta(hours=rng.uniform(2, 60))
        elif status == "awaiting_arbiter":
            filed = self.anchor - timedelta(days=rng.uniform(5, 10))
        else:
            lo = fam.first_visit or fam.assigned
            hi = min(fam.end, self.anchor - timedelta(days=1))
            filed = lo + (hi - lo) * rng.uniform(0.05, 0.6) if hi > lo else lo
        filed = max(filed, (fam.first_visit or fam.assigned) + timedelta(hours=1))
        d = {"fam": fam, "status": status, "proposed": proposed, "proposed_unit": proposed_unit, "filed": filed,
             "filer": lead, "other": county.dispatch or others[0], "reason": rng.choice(DISPUTE_REASONS),
             "by": lead.worker(rng), "decision": None}
        effect = None
        if status == "agreed":
            effect = proposed
        elif status == "decided":
            d["decision"] = pick(rng, (("maintain", 40), ("joint", 30), ("reassign", 20), ("return", 10)))
            if d["decision"] in ("reassign", "joint") and proposed_unit is None:
                d["proposed_unit"] = proposed_unit = rng.choice(others)
            effect = d["decision"]
            d["arbiter"] = (county.bureau or lead).supervisor(rng) if county.bureau else lead.supervisor(rng)
        if effect == "reassign" and proposed_unit is not None:
            fam.lead = proposed_unit
            fam.collaborators = [u for u in fam.collaborators if u is not proposed_unit]
            fam.worker = proposed_unit.worker(rng)
            fam.supervisor = proposed_unit.supervisor(rng)
        elif effect == "joint" and proposed_unit is not None and proposed_unit not in fam.collaborators:
            fam.collaborators.append(proposed_unit)
        d["effect"] = effect
        return d

    def _plan_handover(self, rng, fam: Fam, status: str) -> dict:
        to = fam.collaborators[0]
        lo = fam.first_visit or fam.assigned
        if status == "pending":
            at = self.anchor - timedelta(days=rng.uniform(0.2, 3))
        else:
            hi = min(fam.end, self.anchor - timedelta(days=1))
            at = lo + (hi - lo) * rng.uniform(0.1, 0.7) if hi > lo else lo
        at = max(at, lo + timedelta(hours=1))
        h = {"fam": fam, "status": status, "from": fam.lead, "to": to, "at": at, "by": fam.lead.supervisor(rng),
             "answer_by": to.supervisor(rng)}
        if status == "accepted":
            old = fam.lead
            fam.lead = to
            fam.collaborators = [old] + [u for u in fam.collaborators if u is not to]
            fam.worker = to.worker(rng)
            fam.supervisor = to.supervisor(rng)
        return h

    # --- writing the cases -----------------------------------------------------------------------------

    def _write_cases(self, county: County, fams: list[Fam]) -> dict[str, int]:
        rng = self.rng("case-rows", county.code)
        cid = county.id
        case_rows, unit_rows, member_rows, transition_rows = [], [], [], []
        n_members = sum(len(f.members) for f in fams)
        member_id = self.w.reserve("case_members", n_members)
        for fam in fams:
            for m in fam.members:
                m[0] = member_id
                member_id += 1
                member_rows.append((m[0], cid, fam.id, m[1], m[2], m[3], m[4], m[5], m[6], m[7], dump(m[8]), m[9], m[10]))
            last = fam.closed or fam.closing_at or fam.opened or fam.outcome_at or fam.first_visit or fam.assigned or fam.decided
            case_rows.append((
                fam.id, cid, fam.case_no, fam.family_name, fam.status, fam.district, fam.address, fam.phone,
                fam.received, dump(fam.concerns), fam.child_grade, fam.child_class, fam.worker[0], fam.assigned,
                fam.first_visit, fam.first_visit if (fam.children and fam.first_visit and fam.kind == "p") else None,
                fam.report_at, fam.outcome, fam.outcome_at, fam.opening_level, fam.closing_level, fam.closing_reason,
                fam.opened, fam.closed, fam.re_report_of.id if fam.re_report_of else None, 1, fam.received, last,
                normalise_address(fam.address)))
            unit_rows.append((None, cid, fam.id, fam.lead.id, "lead", fam.decided))
            for unit in fam.collaborators:
                unit_rows.append((None, cid, fam.id, unit.id, "collaborator", fam.decided + timedelta(hours=rng.uniform(1, 200))))
            self._case_history(rng, cid, fam, transition_rows)
        unit_rows = self.w.numbered("case_units", [r[1:] for r in unit_rows])
        transition_rows = self.w.numbered("case_transitions", transition_rows)
        self.w.write("family_cases", CASE_COLS, case_rows)
        self.w.write("case_units", CASE_UNIT_COLS, unit_rows)
        self.w.write("case_members", MEMBER_COLS, member_rows)
        self.w.write("case_transitions", TRANSITION_COLS, transition_rows)
        return {"family_cases": len(case_rows), "case_members": len(member_rows), "case_units": len(unit_rows),
                "case_transitions": len(transition_rows)}

    def _case_history(self, rng, tenant: int, fam: Fam, transitions: list):
        """State changes (case_transitions) and their timeline lines (kept on ``fam.events``)."""
        unit_name = fam.lead.short
        worker, sup = fam.worker, fam.supervisor
        ev = fam.events

        def move(frm, to, actor, at, reason):
            transitions.append((tenant, fam.id, frm, to, actor[0], actor[1], at, reason))
            text = f"狀態：{CASE_STATUS_LABEL[frm]} → {CASE_STATUS_LABEL[to]}" + (f"（{reason}）" if reason else "")
            ev.append((at, actor[0], actor[1], unit_name, "status", text))

        if fam.re_report_of is not None:
            prev = fam.re_report_of
            ev.append((fam.decided + timedelta(seconds=1), None, "系統", "", "re_report",
                       f"再通報：同一家庭於 {taipei_day(prev.closed).isoformat()} 結案（{prev.case_no}），12 個月內再次通報"))
        if fam.assigned is None:
            return
        move("awaiting_assignment", "assessing", sup, fam.assigned, f"指派 {worker[1]}")
        if fam.outcome_at is None:
            return
        if fam.status == "not_opened":
            move("assessing", "not_opened", worker, fam.outcome_at, f"評估結果：{OUTCOME_LABEL[fam.outcome]}")
            return
        move("assessing", "opening_review", worker, fam.outcome_at, "評估結果：列入個案管理，送督導審核")
        if fam.opened is None:
            return
        move("opening_review", "open", sup, fam.opened, "督導核准開案")
        if fam.closing_at is None:
            return
        move("open", "closing_review", worker, fam.closing_at, f"申請結案：{fam.closing_reason}")
        if fam.closed is not None and fam.status == "closed":
            move("closing_review", "closed", sup, fam.closed, "督導核准結案")

    # --- writing the reports ------------------------------------------------------------------------------

    def _write_reports(self, county: County, reps: list[Rep]) -> dict[str, int]:
        rng = self.rng("report-rows", county.code)
        counts = {"reports": 0, "report_persons": 0, "report_reporters": 0, "report_transitions": 0}
        chunk = 20000
        for start in range(0, len(reps), chunk):
            part = reps[start:start + chunk]
            rows, persons, reporters, transitions = [], [], [], []
            for rep in part:
                self._report_rows(rng, county, rep, rows, persons, reporters, transitions)
            persons = self.w.numbered("report_persons", persons)
            reporters = self.w.numbered("report_reporters", reporters)
            transitions = self.w.numbered("report_transitions", transitions)
            self.w.write("reports", REPORT_COLS, rows)
            self.w.write("report_persons", PERSON_COLS, persons)
            self.w.write("report_reporters", REPORTER_COLS, reporters)
            self.w.write("report_transitions", REPORT_TRANSITION_COLS, transitions)
            counts["reports"] += len(rows)
            counts["report_persons"] += len(persons)
            counts["report_reporters"] += len(reporters)
            counts["report_transitions"] += len(transitions)
        return counts

    def _fresh_persons(self, rng, county: County, concerns: list[str], received: datetime) -> list:
        received_ord = taipei_day(received).toordinal()
        out = []
        surname = N.surname(rng)
        first = concerns[0]
        if first in ("child_protection", "vulnerable_family", "sexual_assault"):
            out.append(self._person(rng, county, None, "subject" if first != "vulnerable_family" else "child",
                                    self.today_ord - 6570, received_ord - 1, surname, adult=False))
            if rng.random() < 0.7:
                out.append(self._person(rng, county, "F", "mother", self.today_ord - 21897, self.today_ord - 9500))
        else:
            out.append(self._person(rng, county, None, "subject", self.today_ord - 25000, self.today_ord - 7400))
            if rng.random() < 0.6:
                out.append(self._person(rng, county, None, "respondent", self.today_ord - 21897, self.today_ord - 7400))
        for p in out:
            if rng.random() < 0.6:
                p[5] = ""  # reporters often do not know the ID
        return out

    def _report_rows(self, rng, county: County, rep: Rep, rows, persons, reporters, transitions):
        cid = county.id
        fam = rep.fam
        cat = rep.cat
        district_name = None
        if fam is not None:
            concerns = list(fam.concerns)
            district, address = fam.district, fam.address
            if rep.first:
                people = fam.members[:5]
            else:
                people = [fam.subject] + [m for m in fam.members if m is not fam.subject][:rng.randint(0, 2)]
        else:
            # a report not (yet) tied to a family: the concern in the national mix
            vulnerable = rng.random() < VULNERABLE / (PROTECTIVE + VULNERABLE)
            concerns = ["vulnerable_family"] if vulnerable else [pick(rng, PROTECTIVE_CONCERNS)]
            d = rng.choice(county.districts)
            district, district_name = d
            address = N.address(rng, county.name, district_name) if rng.random() < 0.85 else ""
            people = self._fresh_persons(rng, county, concerns, rep.received)
        if district_name is None:
            district_name = next((n for i, n in county.districts if i == district), county.districts[0][1])
        channel = N.weighted(rng, CHANNEL_CODES, CHANNEL_CUM)
        primary = concerns[0]
        child = next((p for p in people if p[3] is not None and (self.today.year - p[3].year) < 18), None)
        adult = next((p for p in people if p is not child), people[0])
        template = rng.choice(N.NARRATIVES.get(primary, N.NARRATIVES["vulnerable_family"]))
        narrative = template.format(c=(child or people[0])[1], a=adult[1], d=district_name)
        if cat.startswith("out:"):
            narrative = rng.choice(N.SCREENED_OUT_NARRATIVES[cat[4:]]) + narrative
        urgent = bool(fam.urgent) if fam is not None else (primary == "child_protection" and rng.random() < 0.12)
        tipvda_answers = tipvda_score = None
        wishes = ""
        if primary == "ipv":
            score = fam.tipvda_score if fam is not None and fam.tipvda_score is not None else min(15, max(0, int(rng.gauss(6, 3.2))))
            if rng.random() < 0.85:
                answers = [True] * score + [False] * (15 - score)
                rng.shuffle(answers)
                tipvda_answers, tipvda_score = dump_bools(answers), score
            wishes = rng.choice(("願意接受社工聯繫，希望聲請保護令。", "希望暫時不要聯繫相對人。", "需要庇護安置。", "僅希望有人關心。"))
        dims = dump(fam.dimensions if fam is not None and fam.kind == "v" else
                    (rng.sample(DIMENSIONS, 1) if primary == "vulnerable_family" else []))
        hours24 = urgent or "sexual_assault" in concerns or (tipvda_score is not None and tipvda_score >= 8)
        deadline = rep.received + (timedelta(hours=24) if hours24 else timedelta(days=3))
        dispatchers = county.dispatchers or [(None, "篩派案人員")]
        screener = rng.choice(dispatchers)
        received = rep.received
        claimed_at = decided_by = decided_at = claimed_by = None
        invalid = dup = None
        directed = referred = note = ""
        grade = klass = None
        lead = None
        collab = "[]"
        transfer_to = None
        case_id = None
        if cat == "open":
            status = "screening" if rep.open_claimed else "received"
            if rep.open_claimed:
                claimed_by = screener[0]
                claimed_at = received + timedelta(minutes=rng.uniform(3, 50))
                if claimed_at > self.anchor:
                    claimed_at = received + (self.anchor - received) / 2
        else:
            claimed_by = screener[0]
            decided_by = screener[0]
            decided_at = rep.decided
            claimed_at = received + (decided_at - received) * rng.uniform(0.05, 0.6)
            if cat == "dispatched":
                status = "dispatched"
                lead = fam.first_lead.id
                collab = dump([u.id for u in fam.collaborators if rep.first and u is not fam.first_lead][:1])
                case_id = fam.id
                if primary == "child_protection":
                    grade, klass = fam.child_grade or "2", fam.child_class or "1"
                reason = f"派案至 {fam.first_lead.name}"
            elif cat.startswith("out:"):
                status = "screened_out"
                invalid = cat[4:]
                if invalid == "duplicate":
                    dup = rep.dup_of.id
                    case_id = rep.dup_of.fam.id if rep.dup_of.fam else None
                elif invalid == "out_of_scope":
                    directed = rng.choice(N.DIRECTED_TO)
                reason = {"duplicate": "重複通報", "data_error": "資料錯誤或不全", "out_of_scope": "非屬服務範疇"}[invalid]
            elif cat == "referred":
                status = "referred"
                referred = rng.choice(N.REFERRED_TO)
                reason = f"轉介：{referred}"
            else:
                status = "transferred"
                transfer_to = rep.transfer_to
                note = "兒少現在所在地為" + self.all_counties[transfer_to].name
                reason = f"移轉至 {self.all_counties[transfer_to].name}"
        lookup = hashlib.sha256(rep.no.encode()).hexdigest() if channel == "7" else ""
        learned = received - timedelta(hours=rng.uniform(0.5, 20)) if rng.random() < 0.5 else None
        child_location = ("學校" if rng.random() < 0.5 else "家中") if child is not None else ""
        rows.append((rep.id, cid, rep.no, lookup, channel, "", received, learned, district, address, child_location,
                     dump(concerns), dims, narrative, urgent, "", tipvda_answers, tipvda_score, wishes, status, deadline,
                     "24h" if hours24 else "3d", claimed_by, claimed_at, decided_by, decided_at, invalid, dup, directed,
                     grade, klass, lead, collab, referred, transfer_to, None, None, note, case_id, 1, received,
                     decided_at or claimed_at or received, normalise_address(address)))
        for position, p in enumerate(people):
            school = ""
            if p[3] is not None and p[6] in ("child", "subject") and rng.random() < 0.4:
                age = self.today.year - p[3].year
                if 3 <= age < 18:
                    school = N.school(rng, county.name, district_name, age)
            persons.append((cid, rep.id, position, p[1], p[2], p[3], p[4], p[5] if rng.random() < 0.75 else "",
                            p[6], school, p[7], normalise_phone(p[7])))
        # the reporter (confidential)
        mandated = MANDATED_BY_CHANNEL.get(channel)
        if mandated:
            rtype, profession = "mandated", mandated
            org = N.organisation(rng, profession, county.name, district_name)
        elif channel in ("35", "36", "37", "38"):
            rtype = "self" if rng.random() < 0.3 else "public"
            profession, org = None, ""
        elif channel == "7":
            rtype, profession, org = "public", None, ""
        else:
            rtype, profession, org = "network", None, N.organisation(rng, "social_work", county.name, district_name)
        anonymous = rtype == "public" and rng.random() < 0.25
        if anonymous:
            rname = rphone = ""
        elif rtype == "self":
            rname, rphone = adult[1], adult[7] or N.mobile(rng)
        else:
            sex = "F" if rng.random() < 0.6 else "M"
            rname = N.surname(rng) + N.given_name(rng, sex, rng.randint(1960, 2000))
            rphone = N.mobile(rng) if rng.random() < 0.8 else ""
        reporters.append((cid, rep.id, rtype, anonymous, rname, rphone, "", profession, org))
        actor = "線上通報" if channel == "7" else "系統"
        label = self.channel_label.get(channel, "")
        transitions.append((cid, rep.id, None, "received", None, actor, received, f"{label}受理"))
        if claimed_at is not None:
            transitions.append((cid, rep.id, "received", "screening", screener[0], screener[1], claimed_at, "認領"))
        if decided_at is not None:
            transitions.append((cid, rep.id, "screening", status, screener[0], screener[1], decided_at, reason))
        if fam is not None and cat == "dispatched":
            labels = "、".join(CONCERN_LABELS[c] for c in concerns)
            if rep.first:
                text = f"通報 {rep.no} 派案至 {fam.first_lead.name}（{labels}）"
            else:
                text = f"新通報 {rep.no} 併入本案（{labels}）"
            self._event(county, fam, decided_at, screener, county.dispatch.short if county.dispatch else "", "report", text)

    def _event(self, county, fam, at, actor, unit_name, kind, summary):
        self._pending_events.append((county.id, fam.id, at, actor[0], actor[1], unit_name, kind, summary))

    def _flush_events(self):
        rows = self._pending_events
        if rows:
            self.w.write("case_events", EVENT_COLS, self.w.numbered("case_events", rows))
        self._pending_events = []
        return len(rows)

    # --- casework: contacts, services, assessments, plans --------------------------------------------------

    def _casework(self, county: County, fams: list[Fam], total: int) -> dict[str, int]:
        rng = self.rng("casework", county.code)
        weights = {"awaiting_assignment": 0, "assessing": 1.5, "opening_review": 3, "open": 12, "closing_review": 14,
                   "closed": 12, "not_opened": 2}
        active = [f for f in fams if f.first_visit is not None]
        counts = allocate(total, [weights[f.status] * (1.3 if f.kind == "p" else 1.0) for f in active])
        cid = county.id
        tallies = {k: 0 for k in ("case_contacts", "case_services", "case_events", "vulnerability_assessments",
                                  "assessment_reports", "case_tipvda", "safety_assessments", "service_plans",
                                  "plan_reviews")}
        buf = {k: [] for k in tallies}
        # the timeline lines made while writing cases and reports come first
        events_done = 0
        for fam in fams:
            for at, actor_id, actor_name, unit_name, kind, summary in fam.events:
                self._pending_events.append((cid, fam.id, at, actor_id, actor_name, unit_name, kind, summary))
            fam.events = []

        def flush():
            nonlocal events_done
            for table, cols in (("case_contacts", CONTACT_COLS), ("case_services", SERVICE_COLS),
                                ("vulnerability_assessments", VULN_COLS), ("assessment_reports", AREPORT_COLS),
                                ("case_tipvda", TIPVDA_COLS), ("safety_assessments", SAFETY_COLS),
                                ("service_plans", PLAN_COLS), ("plan_reviews", PLAN_REVIEW_COLS)):
                rows = buf[table]
                if rows:
                    if table != "service_plans":  # plans carry the id their reviews point at
                        rows = self.w.numbered(table, rows)
                    self.w.write(table, cols, rows)
                    tallies[table] += len(rows)
                    buf[table] = []
            events_done += self._flush_events()

        for n, (fam, k) in enumerate(zip(active, counts)):
            self._one_casework(rng, cid, fam, k, buf)
            if n % 5000 == 4999:
                flush()
        flush()
        # each case's next plan review, from the plans and reviews just written (as the app keeps it)
        self.w.execute(PLAN_REVIEW_ON_SQL + " AND family_cases.tenant_id = :county", {"county": cid})
        tallies["case_events"] = events_done
        return tallies

    def _one_casework(self, rng, cid, fam: Fam, k: int, buf):
        worker = fam.worker
        unit_name = fam.lead.short
        start = fam.first_visit
        end = min(fam.end, self.anchor - timedelta(minutes=30))
        span = max((end - start).total_seconds(), 60.0)
        opened = fam.status in OPENED
        service_share = 0.28 if opened else 0.06
        contacts, services = [], []
        for i in range(k):
            if i > 0 and rng.random() < service_share:
                services.append(start + timedelta(seconds=rng.random() * span))
            else:
                contacts.append(start if i == 0 else self._daytime(rng, start + timedelta(seconds=rng.random() * span)))
        contacts.sort()
        members = fam.members
        child_ids = [m[0] for m in fam.children]
        events = self._pending_events
        for j, at in enumerate(contacts):
            if j == 0:
                method, lo, hi = "B", 30, 120
            else:
                method, _, lo, hi = CONTACT_METHODS[bisect.bisect_left(CONTACT_CUM, rng.random() * CONTACT_CUM[-1])]
            minutes = rng.randint(lo, hi)
            in_person = method in IN_PERSON
            seen = []
            child_seen = False
            if in_person:
                seen = [m[0] for m in rng.sample(members, min(len(members), rng.randint(1, 3)))]
                if child_ids and (j == 0 or rng.random() < 0.5):
                    if not any(s in child_ids for s in seen):
                        seen.append(child_ids[0])
                    child_seen = True
            note = rng.choice(N.CONTACT_NOTES[N.CONTACT_NOTE_KIND[method]])
            buf["case_contacts"].append((cid, fam.id, at, method, minutes, dump_ints(seen), child_seen, note, worker[0],
                                         worker[1], at + timedelta(minutes=minutes + rng.randint(5, 600))))
            if j == 0 or j >= len(contacts) - 2:
                names = "、".join(m[1] for m in members if m[0] in seen) or "—"
                events.append((cid, fam.id, at, worker[0], worker[1], unit_name, "contact",
                               f"{CONTACT_LABEL[method]}（{minutes} 分鐘），會見：{names}" + ("，已親見兒少" if child_seen else "")))
        items = SERVICE_ITEMS_V if fam.kind == "v" else SERVICE_ITEMS_P
        services.sort()
        for j, at in enumerate(services):
            item = rng.choice(items) if opened else "s1_consultation"
            delivered = rng.random() < 0.88 or fam.status == "closed"
            amount = rng.randint(10, 150) * 100 if item in WITH_AMOUNT and delivered else None
            on = taipei_day(at)
            buf["case_services"].append((cid, fam.id, item, "delivered" if delivered else "planned", on, amount,
                                         N.SERVICE_NOTES.get(item, ""), worker[0], at))
            if j == len(services) - 1:
                text = f"{'已提供' if delivered else '規劃中'}：{SERVICE_LABEL[item]}" + (f" 新臺幣 {amount:,} 元" if amount else "")
                events.append((cid, fam.id, at, worker[0], worker[1], unit_name, "service", text))
        # assessments
        after_visit = min(start + timedelta(days=rng.uniform(0.5, 8)), end)
        if fam.kind == "v" and (fam.outcome == "case_management" or fam.report_at or rng.random() < 0.4):
            level = fam.opening_level or pick(rng, (("H", 15), ("M", 69), ("L", 16)))
            factors = self._factors(rng, level)
            dims = list(dict.fromkeys([d for _, d in factors] + fam.dimensions))[:3]
            buf["vulnerability_assessments"].append((cid, fam.id, self.factor_table, dump(dims),
                                                     dump([f for f, _ in factors]), level, None, "", worker[0], after_visit))
            events.append((cid, fam.id, after_visit, worker[0], worker[1], unit_name, "vulnerability",
                           f"脆弱性評估：{len(factors)} 項因子，程度「{ {'H': '高', 'M': '中', 'L': '低'}[level]}」"))
        if fam.report_at is not None:
            parts = [rng.choice(p) for p in N.ASSESSMENT_PARTS]
            buf["assessment_reports"].append((cid, fam.id, *parts, worker[0], fam.report_at))
            events.append((cid, fam.id, fam.report_at, worker[0], worker[1], unit_name, "assessment_report",
                           "完成評估報告（四部分）"))
        if fam.tipvda_score is not None and rng.random() < 0.7:
            score = fam.tipvda_score
            answers = [True] * score + [False] * (15 - score)
            rng.shuffle(answers)
            _, notice, high = self.tipvda
            band = "高度危險" if score >= high else "注意危險" if score >= notice else "潛在危險"
            buf["case_tipvda"].append((cid, fam.id, self.tipvda[0], dump_bools(answers), score, band, worker[0], after_visit))
            events.append((cid, fam.id, after_visit, worker[0], worker[1], unit_name, "tipvda", f"TIPVDA：{score} 分（{band}）"))
        if "child_protection" in fam.concerns and fam.children and rng.random() < 0.8:
            child = fam.children[0]
            result = pick(rng, (("safe", 55), ("safe_with_plan", 35), ("unsafe", 10)))
            buf["safety_assessments"].append((cid, fam.id, child[0], result, "", worker[0], start))
            label = {"safe": "安全", "safe_with_plan": "有計畫才安全", "unsafe": "不安全"}[result]
            events.append((cid, fam.id, start, worker[0], worker[1], unit_name, "safety", f"SDM 安全評估（{child[1]}）：{label}"))
        if opened and fam.opened is not None:
            agreed_on = taipei_day(fam.opened)
            review_due = agreed_on + timedelta(days=90)
            plan_id = self.w.reserve("service_plans")
            agreed_by = next((m[1] for m in members if m[6] in ("mother", "subject", "father")), members[0][1])
            # service_plans ids are reserved one by one here so reviews can point at them
            buf["service_plans"].append((plan_id, cid, fam.id, fam.lead.id, rng.choice(N.PLAN_GOALS), agreed_by,
                                         agreed_on, review_due, worker[0], fam.opened))
            events.append((cid, fam.id, fam.opened, worker[0], worker[1], unit_name, "plan",
                           f"訂定服務計畫（與 {agreed_by} 共同訂定，{review_due.isoformat()} 檢討）"))
            day = review_due
            last_day = taipei_day(end)
            while day < last_day and rng.random() < 0.93:
                nxt = day + timedelta(days=90)
                buf["plan_reviews"].append((cid, plan_id, day, "依計畫執行，持續追蹤。", nxt if nxt < last_day else None,
                                            fam.supervisor[0]))
                day = nxt

    def _daytime(self, rng, moment: datetime) -> datetime:
        """The same Taipei day, in office hours (08:30–17:30), never after the anchor."""
        local_midnight = (moment + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=8)
        out = local_midnight + timedelta(seconds=30600 + rng.random() * 32400)
        return out if out < self.anchor else moment

    def _factors(self, rng, level: str) -> list[tuple[int, str]]:
        high, medium, low = self.factors["H"], self.factors["M"], self.factors["L"]
        if level == "H" and high:
            return [rng.choice(high)] + (rng.sample(medium, min(len(medium), rng.randint(0, 2))) if medium else [])
        if level == "M" and medium:
            return rng.sample(medium, min(len(medium), rng.randint(1, 3)))
        if low:
            return [rng.choice(low)]
        return [rng.choice(medium or high)]

    # --- referrals, disputes, hand-overs ---------------------------------------------------------------------

    def _referrals(self, county: County, fams: list[Fam], total: int, plan: dict) -> dict[str, int]:
        rng = self.rng("referrals", county.code)
        senders = [f for f in fams if f.assigned is not None]
        open_senders = [f for f in senders if f.status in OPEN_CASE]
        long_open = [f for f in open_senders if (self.anchor - f.assigned) > timedelta(days=10)]
        rows, events, records, case_units = [], [], [], []
        statuses = mixed(rng, REFERRAL_MIX, total)
        kinds_mix = (("unit", 70), ("partner", 18 if county.partner_services else 0), ("county", 12))
        kinds = mixed(rng, [k for k in kinds_mix if k[1] > 0], total)
        made = 0
        on_case = {f.id: {f.lead.id, *(u.id for u in f.collaborators)} for f in senders}
        i = 0
        while made < total and senders and i < 3 * total + 10:
            status, kind = statuses[i % len(statuses)], kinds[i % len(kinds)]
            i += 1
            if status in ("waiting", "returned"):
                pool = open_senders
            elif status == "in_service":
                pool = long_open or open_senders
            else:
                pool = senders
            if not pool:
                status, pool = "completed", senders
            fam = rng.choice(pool)
            made += self._one_referral(rng, county, fam, status, kind, rows, events, records, case_units, on_case,
                                       remaining=total - made)
        forwards = [(r[0], r[27]) for r in rows if r[27] is not None]
        rows = [r[:27] + (None,) + r[28:] for r in rows]
        self.w.write("referrals", REFERRAL_COLS, rows)
        self.w.update_many("referrals", "forwarded_to_id", forwards)
        self.w.write("referral_events", REFERRAL_EVENT_COLS, self.w.numbered("referral_events", events))
        self.w.write("partner_service_records", PARTNER_RECORD_COLS, self.w.numbered("partner_service_records", records))
        self.w.write("case_units", CASE_UNIT_COLS, self.w.numbered("case_units", case_units))
        disputes, handovers = self._disputes(county, plan)
        n_events = self._flush_events()
        return {"referrals": len(rows), "referral_events": len(events), "partner_service_records": len(records),
                "disputes": disputes, "lead_handovers": handovers, "case_events": n_events}

    def _referral_no(self, sent: datetime) -> str:
        year = taipei_day(sent).year
        if year not in self.referral_counter:
            self.referral_counter[year] = self.existing_counters.get(("referral", str(year)), 0)
        self.referral_counter[year] += 1
        return f"R{year - 1911}{self.referral_counter[year]:06d}"

    def _one_referral(self, rng, county, fam: Fam, status, kind, rows, events, records, case_units, on_case,
                      *, remaining: int, forwarded_from=None, sent=None, fixed=None) -> int:
        cid = county.id
        sender_unit = fam.lead
        worker = fam.worker
        if sent is None:
            lo = fam.assigned + timedelta(days=1)
            hi = min(fam.end, self.anchor) - timedelta(hours=2)
            if status in ("waiting", "returned"):
                lo = max(lo, self.anchor - timedelta(days=12 if status == "returned" else 6))
                hi = self.anchor - timedelta(hours=2)
            elif status == "in_service":
                hi = min(hi, self.anchor - timedelta(days=3))
            if hi <= lo:
                lo = fam.assigned + timedelta(minutes=30)
                hi = max(lo + timedelta(minutes=30), min(fam.end, self.anchor) - timedelta(minutes=10))
            sent = lo + (hi - lo) * rng.random()
        to_county = to_partner = service = None
        to_unit = None
        if fixed is not None:  # 再轉: the successor goes to the unit named by the forwarding one
            to_unit, to_county = fixed
            destination = to_unit.name
        elif kind == "partner" and county.partner_services:
            service = rng.choice(county.partner_services)
            to_partner = service[1]
            destination = service[3]
        elif kind == "county":
            others = [c for c in self.all_counties.values() if c.id != cid and c.dispatch is not None]
            if not others:
                kind = "unit"
            else:
                target = rng.choices(others, weights=[POPULATION.get(c.code, 20) for c in others])[0]
                to_county = target.id
                to_unit = target.dispatch
                destination = target.name
        if fixed is None and (kind == "unit" or (kind == "partner" and service is None)):
            kind = "unit"
            choices = [u for u in county.serving if u is not sender_unit]
            if not choices:
                return 0
            to_unit = rng.choice(choices)
            destination = to_unit.name
        ref_id = self.w.reserve("referrals")
        no = self._referral_no(sent)
        reason = rng.choice(REFERRAL_REASONS)
        sections = ["members", "reports", "assessment"] if kind != "partner" else ["members", "assessment"]
        snapshot = {"family_name": fam.family_name, "case_no": fam.case_no,
                    "concerns": [CONCERN_LABELS[c] for c in fam.concerns],
                    "members": [{"name": m[1], "relation": RELATION_LABEL[m[6]], "sex": {"F": "女", "M": "男"}[m[2]],
                                 "age": _age(self.today, m), "flags": m[8]} for m in fam.members]}
        consent = kind != "partner" or rng.random() < 0.9
        consent_by = f"{fam.subject[1]}" if consent and kind == "partner" else ""
        legal = "" if consent else "兒童及少年福利與權益保障法第 53 條"
        legal_by = None if consent else fam.supervisor[0]
        urgency = "urgent" if rng.random() < 0.1 else "normal"
        deadline = due_after("referral.response", sent)
        receiver_name = (to_unit.worker(rng) if to_unit is not None else
                         (None, N.surname(rng) + N.given_name(rng, "F", 1985)))
        receiver_side = destination if kind != "county" else to_unit.name
        responded = decline = outcome = None
        served_by = ""
        closing = ""
        forward_to = None
        latest = min(fam.end, self.anchor) if status not in ("waiting", "returned", "in_service") else self.anchor
        resp = sent + timedelta(hours=rng.uniform(2, 96))
        if resp > self.anchor - timedelta(minutes=5):
            resp = sent + (self.anchor - sent) / 2
        to_pid = to_partner
        ev = []

        def event(at, frm, to, actor, side, text, kind_="status"):
            ev.append((cid, to_county, to_pid, ref_id, at, kind_, frm, to, actor[0], actor[1], side,
                       sender_unit.name, destination, text))

        event(sent, "", "waiting", worker, sender_unit.name, f"轉介理由：{reason}")
        if status == "returned":
            responded = resp
            event(resp, "waiting", "returned", receiver_name, receiver_side, "退回補件：請補充案家近期訪視紀錄。")
        elif status == "declined":
            responded = resp
            decline, label = rng.choice(DECLINE)
            closing = "經評估非本單位可提供之服務。"
            event(resp, "waiting", "declined", receiver_name, receiver_side, f"{label}：{closing}")
        elif status == "withdrawn":
            at = sent + (min(resp, latest) - sent) * 0.5
            closing = "案家需求已由其他資源滿足，撤回轉介。"
            event(at, "waiting", "withdrawn", worker, sender_unit.name, f"撤回：{closing}")
        elif status == "forwarded":
            responded = resp
            county_of = self.all_counties[to_county] if to_county else county
            choices = [u for u in county_of.serving if u is not to_unit and u is not sender_unit]
            if not choices or kind == "partner":
                status = "declined"
                decline, label = DECLINE[0]
                closing = "非本單位服務範疇。"
                event(resp, "waiting", "declined", receiver_name, receiver_side, f"{label}：{closing}")
            else:
                nxt = rng.choice(choices)
                forward_to = (nxt, to_county)
                event(resp, "waiting", "forwarded", receiver_name, receiver_side, f"再轉至 {nxt.name}：由該單位服務較合適。")
        elif status in ("in_service", "completed", "failed"):
            responded = resp
            served_by = receiver_name[1]
            event(resp, "waiting", "in_service", receiver_name, receiver_side, f"受案，由 {served_by} 服務")
            if kind == "unit" and to_unit.id not in on_case[fam.id]:
                on_case[fam.id].add(to_unit.id)
                case_units.append((cid, fam.id, to_unit.id, "collaborator", resp))
                self._pending_events.append((cid, fam.id, resp, receiver_name[0], receiver_name[1], to_unit.short,
                                             "referral", f"{to_unit.name} 受案（轉介 {no}），加入協力"))
            if kind == "partner" and rng.random() < 0.8:
                records.append((cid, None, to_partner, ref_id, resp + timedelta(days=rng.uniform(1, 20)),
                                rng.choice(("課後陪讀", "物資提供", "親職諮詢", "心理諮商", "家庭訪視")), None, served_by))
            if status != "in_service":
                done = resp + timedelta(days=rng.uniform(20, 200))
                if done >= latest:
                    done = resp + (latest - resp) * 0.9 if latest > resp else resp + timedelta(hours=1)
                if status == "completed":
                    outcome, label = rng.choice(REFERRAL_OUTCOMES)
                    closing = "已完成轉介服務，案家需求獲得滿足。"
                    event(done, "in_service", "completed", receiver_name, receiver_side, f"{label}：{closing}")
                else:
                    closing = "案家失聯，無法持續提供服務。"
                    event(done, "in_service", "failed", receiver_name, receiver_side, f"轉介失敗：{closing}")
        if rng.random() < 0.2:
            event(sent + timedelta(hours=rng.uniform(1, 48)), "", "", worker, sender_unit.name,
                  "已補充案家聯絡方式，請協助聯繫。", "message")
        updated = max(e[4] for e in ev)
        row = [ref_id, cid, to_county, to_partner, no, kind, fam.id, sender_unit.id, to_unit.id if to_unit else None,
               service[0] if service else None, reason, "", dump(sections), dump(snapshot), consent, consent_by, legal,
               legal_by, urgency, deadline, status, worker[0], responded, served_by, decline, outcome, closing,
               None, forwarded_from, None, 1, sent, updated, fam.lead.id]
        position = len(rows)
        rows.append(row)
        events.extend(ev)
        self._pending_events.append((cid, fam.id, sent, worker[0], worker[1], sender_unit.short, "referral",
                                     f"轉介 {no} 至 {destination}（{REFERRAL_KIND_LABEL[kind]}）"))
        made = 1
        if status == "forwarded" and forward_to is not None and remaining > 1:
            nxt_status = pick(rng, (("completed", 50), ("in_service", 25), ("declined", 15), ("waiting", 10)))
            if nxt_status == "waiting" and fam.status not in OPEN_CASE:
                nxt_status = "completed"
            successor_sent = min(responded + timedelta(minutes=5), self.anchor - timedelta(minutes=5))
            before = len(rows)
            made += self._one_referral(rng, county, fam, nxt_status, kind, rows, events, records, case_units, on_case,
                                       remaining=remaining - 1, forwarded_from=ref_id, sent=successor_sent,
                                       fixed=forward_to)
            if len(rows) > before:
                row[27] = rows[before][0]
        rows[position] = tuple(row)
        return made

    def _disputes(self, county: County, plan: dict) -> tuple[int, int]:
        rng = self.rng("dispute-rows", county.code)
        cid = county.id
        rows = []
        for d in plan["disputes"]:
            fam, status = d["fam"], d["status"]
            filed = d["filed"]
            due = due_after("dispute.response", filed)
            by = d["by"]
            responded = escalated = decision_due = decided_at = None
            agrees = None
            response_reason = decision_reason = ""
            decided_by = None
            lead_id = None
            collabs: list[int] = []
            ev = [(filed, by, d["filer"].short, f"提出爭議（建議{OUTCOME_NAME[d['proposed']]}"
                   + (f"：{d['proposed_unit'].name}" if d["proposed_unit"] else "") + f"）：{d['reason']}")]
            if status in ("agreed", "awaiting_arbiter", "decided") or (status == "withdrawn" and rng.random() < 0.5):
                responded = filed + (due - filed) * rng.uniform(0.2, 0.9)
                if responded > self.anchor:
                    responded = filed + (self.anchor - filed) / 2
                agrees = status == "agreed"
                response_reason = "同意改由建議單位處理。" if agrees else "經評估仍宜由原單位主責。"
                if status == "awaiting_arbiter" and rng.random() < 0.3:
                    responded, agrees, response_reason = None, None, ""  # silence: escalated at the deadline
                if responded is not None:
                    ev.append((responded, d["other"].supervisor(rng), d["other"].short,
                               f"{DISPUTE_LABEL['agreed'] if agrees else '不同意'}：{response_reason}"))
            if status in ("awaiting_arbiter", "decided"):
                escalated = responded if responded is not None else due
                if escalated > self.anchor:
                    escalated = filed + (self.anchor - filed) * 0.8
                decision_due = due_after("dispute.decision", escalated)
                ev.append((escalated, (None, "系統"), "", "送縣市裁決"))
            if status == "decided":
                decided_at = escalated + (decision_due - escalated) * rng.uniform(0.2, 0.9)
                if decided_at > self.anchor:
                    decided_at = escalated + (self.anchor - escalated) / 2
                arbiter = d.get("arbiter") or (None, "社會局")
                decided_by = arbiter[0]
                decision_reason = "依雙方陳述與訪視紀錄裁決。"
                if d["decision"] == "reassign":
                    lead_id = d["proposed_unit"].id
                elif d["decision"] == "joint":
                    lead_id = fam.lead.id
                    collabs = [d["proposed_unit"].id]
                else:
                    lead_id = fam.lead.id
                ev.append((decided_at, arbiter, county.bureau.short if county.bureau else "", f"已裁決：{OUTCOME_NAME[d['decision']]}"))
            if status == "withdrawn":
                at = (responded or filed) + timedelta(hours=rng.uniform(1, 40))
                ev.append((min(at, self.anchor - timedelta(minutes=1)), by, d["filer"].short, "撤回爭議"))
            dispute_id = self.w.reserve("disputes")
            for at, actor, unit_name, text in ev:
                self._pending_events.append((cid, fam.id, at, actor[0], actor[1], unit_name, "dispute",
                                             f"爭議 #{dispute_id}：{text}"))
            updated = max(e[0] for e in ev)
            rows.append((dispute_id, cid, fam.id, d["filer"].id, d["other"].id, d["reason"], d["proposed"],
                         d["proposed_unit"].id if d["proposed_unit"] else None, status, by[0], filed, due, agrees,
                         response_reason, responded, escalated, decision_due, d["decision"], lead_id, dump(collabs),
                         decision_reason, decided_by, decided_at, 1, filed, updated))
        self.w.write("disputes", DISPUTE_COLS, rows)
        handovers = []
        for h in plan["handovers"]:
            fam = h["fam"]
            answered = answer_by = None
            note = ""
            if h["status"] in ("accepted", "declined"):
                answered = min(h["at"] + timedelta(hours=rng.uniform(2, 72)), self.anchor - timedelta(minutes=1))
                answer_by = h["answer_by"][0]
                note = "同意接任主責。" if h["status"] == "accepted" else "目前服務量能不足，暫不接任。"
            hid = self.w.reserve("lead_handovers")
            handovers.append((hid, cid, fam.id, h["from"].id, h["to"].id, "案家主要需求已轉變，建議由協力單位主責。",
                              h["status"], h["by"][0], h["at"], answer_by, answered, note))
            self._pending_events.append((cid, fam.id, h["at"], h["by"][0], h["by"][1], h["from"].short, "handover",
                                         f"提出主責移轉至 {h['to'].name}：案家主要需求已轉變"))
            if answered is not None:
                self._pending_events.append((cid, fam.id, answered, h["answer_by"][0], h["answer_by"][1], h["to"].short,
                                             "handover", f"{h['to'].name}{'接受' if h['status'] == 'accepted' else '不接受'}主責移轉"))
        self.w.write("lead_handovers", HANDOVER_COLS, handovers)
        return len(rows), len(handovers)

    # --- meetings --------------------------------------------------------------------------------------------

    def _meetings(self, allocations):
        rng = self.rng("meetings")
        started = time.perf_counter()
        total_m, total_i = self.sizes.meetings, self.sizes.items
        if total_m <= 0:
            return
        # (kind, county or None, meetings a year): the national series, then each county's, biggest first
        by_size = sorted(self.counties, key=lambda c: (-POPULATION.get(c.code, 20), c.id))
        series_specs = [("central_local", None, 6)]
        series_specs += [("high_risk", c, 12) for c in by_size]
        series_specs += [("cross_ministry", None, 3)]
        series_specs += [("county_platform", c, 4) for c in by_size] + [("case_conference", c, 2) for c in by_size]
        # a small run keeps a few series with several meetings each rather than many with one
        series_specs = series_specs[:max(1, min(len(series_specs), total_m // 4))]
        per_series = allocate(total_m, [w for _, _, w in series_specs])
        items_per_series = allocate(total_i, per_series)
        created = self.anchor - timedelta(days=SPAN_DAYS + 20)
        series_rows, meeting_rows, item_rows, number_rows, unit_rows = [], [], [], [], []
        instruction_rows, progress_rows, decision_rows, event_rows = [], [], [], []
        bureaus = [c.bureau for c in self.all_counties.values() if c.bureau is not None]
        ministry = [u for u in self.ministry if u.kind == "ministry_department"] or self.ministry
        for (kind, county, _), n_meetings, n_items in zip(series_specs, per_series, items_per_series):
            if n_meetings == 0:
                continue
            srng = self.rng("meetings", f"{kind}:{county.code if county else 'national'}")
            if county is None:
                secretariat = next((u for u in self.ministry if u.short in ("社工司", "保護司")), self.ministry[0] if self.ministry else None)
                eligible = ministry + (bureaus if kind == "central_local" else [])
                name = SERIES_NAMES[kind]
                titles = ITEM_TITLES_NATIONAL
                county_id = None
            else:
                secretariat = county.dv if kind in ("high_risk", "case_conference") else (county.bureau or county.dv)
                eligible = [u for kind_units in county.units.values() for u in kind_units if u.kind != "partner_branch"]
                name = SERIES_NAMES[kind].format(county=county.name)
                titles = ITEM_TITLES_COUNTY
                county_id = county.id
            if secretariat is None or not eligible:
                continue
            series_id = self.w.reserve("meeting_series")
            series_rows.append((series_id, kind, name, secretariat.id, county_id, created, created))
            # meetings evenly over five years; the last one is the coming meeting (draft)
            step = SPAN_DAYS / n_meetings
            meetings = []
            for k in range(n_meetings):
                held = self.today - timedelta(days=int(SPAN_DAYS - step * (k + 1)) ) + timedelta(days=srng.randint(0, 3))
                if k == n_meetings - 1:
                    held = self.today + timedelta(days=srng.randint(1, 20))
                meetings.append((self.w.reserve("meetings"), k + 1, held))
            links = self._open_protective.get(county.id, []) if county is not None and kind in ("high_risk", "case_conference") else []
            for mid, number, held in meetings:
                final = number < n_meetings
                at = datetime(held.year, held.month, held.day, 6, tzinfo=UTC)
                meeting_rows.append((mid, series_id, number, held, "下午 2 時", f"{secretariat.short}會議室", f"{secretariat.short}主任" if county else "政務次長",
                                     "、".join(u.short for u in eligible[:8]), "、".join(u.short for u in eligible[:6]) if final else "",
                                     "感謝各單位出席。" if final else "", "確認" if final else "", "詳列管事項追蹤表" if final else "",
                                     "[]", "[]", "請各單位持續落實分工。" if final else "", "無" if final else "",
                                     "下午 4 時 30 分" if final else "", "final" if final else "draft",
                                     at + timedelta(days=7) if final else None, None, 1, county_id, at - timedelta(days=14),
                                     at + timedelta(days=7) if final else at - timedelta(days=14)))
            # items: raised at meetings (not the coming one), each on the table until closed
            raising = meetings[:-1] or meetings
            per_meeting = allocate(n_items, [1] * len(raising))
            for (mid, number, held), n in zip(raising, per_meeting):
                for seq in range(1, n + 1):
                    iid = self.w.reserve("action_items")
                    section = 3 if srng.random() < 0.6 else 4
                    prefix = f"{roc_compact(held)}-{section}"
                    key = (series_id, prefix)
                    self.item_counter[key] = self.item_counter.get(key, 0) + 1
                    numbers = [f"{prefix}-{self.item_counter[key]}"]
                    if srng.random() < 0.03:
                        self.item_counter[key] += 1
                        numbers.append(f"{prefix}-{self.item_counter[key]}")
                    life = 1 + int(srng.expovariate(1 / 2.5))
                    close_index = number - 1 + life  # index in meetings of the closing meeting
                    closed_at = meetings[close_index][0] if close_index < len(meetings) - 1 else None
                    title = srng.choice(titles)
                    leads = srng.sample(eligible, 1)
                    assists = srng.sample([u for u in eligible if u not in leads], min(len(eligible) - 1, srng.randint(0, 3)))
                    case_id = None
                    if links and srng.random() < 0.6:
                        case_id = srng.choice(links)
                    origin = f"{held.year - 1911}年{held.month}月{held.day}日{name}第{number}次會議"
                    due = held + timedelta(days=srng.choice((30, 60, 90, 180)))
                    item_rows.append((iid, series_id, mid, origin, title,
                                      f"請{leads[0].short}會同相關單位研議「{title}」之具體作法，並於下次會議報告。",
                                      due, case_id, closed_at, None, county_id, datetime(held.year, held.month, held.day, 7, tzinfo=UTC),
                                      datetime(held.year, held.month, held.day, 7, tzinfo=UTC)))
                    for num in numbers:
                        number_rows.append((self.w.reserve("action_item_numbers"), iid, num, series_id, county_id))
                    for u in leads:
                        unit_rows.append((self.w.reserve("action_item_units"), iid, u.id, True, county_id, closed_at))
                    for u in assists:  # a closed item's parts are released with it, at its closing meeting
                        unit_rows.append((self.w.reserve("action_item_units"), iid, u.id, False, county_id, closed_at))
                    if case_id is not None:
                        event_rows.append((county_id, case_id, datetime(held.year, held.month, held.day, 7, tzinfo=UTC),
                                           None, "系統", "", "meeting", f"{name}第 {number} 次會議列管：{numbers[0]} {title}"))
                    # progress at each later meeting until closed (the coming meeting: some units still to write)
                    last = close_index if closed_at is not None else len(meetings) - 1
                    for j in range(number, min(last, len(meetings) - 1) + 1):
                        pmid, _, pheld = meetings[j]
                        coming = j == len(meetings) - 1
                        closing_here = closed_at == pmid
                        for u in leads + assists:
                            if coming and srng.random() < 0.4:
                                continue
                            text = PROGRESS_TEXTS[-1] if closing_here and u in leads else srng.choice(PROGRESS_TEXTS[:-1])
                            rec = "close" if closing_here and u in leads else "continue"
                            written = datetime(pheld.year, pheld.month, pheld.day, 2, tzinfo=UTC) - timedelta(days=srng.randint(2, 10))
                            progress_rows.append((self.w.reserve("progress_entries"), iid, u.id, pmid, text, rec, None,
                                                  written, county_id))
                        if not coming:
                            decision_rows.append((self.w.reserve("item_decisions"), iid, pmid,
                                                  "close" if closing_here else "continue", None,
                                                  datetime(pheld.year, pheld.month, pheld.day, 8, tzinfo=UTC), county_id))
                    if srng.random() < 0.2 and number < len(meetings):
                        imid, _, iheld = meetings[min(number, len(meetings) - 1)]
                        instruction_rows.append((self.w.reserve("chair_instructions"), iid, imid,
                                                 f"{roc_compact(iheld)} 主席提示 一、請{leads[0].short}加速辦理，並將執行成果列入下次會議報告。",
                                                 county_id))
        self.w.write("meeting_series", ("id", "kind", "name", "secretariat_unit_id", "county_id", "created_at",
                                        "updated_at"), series_rows)
        self.w.write("meetings", ("id", "series_id", "number", "held_on", "starts_at", "place", "chair", "invited",
                                  "attendees", "opening_remarks", "previous_minutes", "items_review", "reports",
                                  "discussions", "chair_instructions", "motions", "adjourned_at", "status", "finalised_at",
                                  "finalised_by_id", "version", "county_id", "created_at", "updated_at"), meeting_rows)
        self.w.write("action_items", ("id", "series_id", "raised_at_id", "origin", "title", "instruction", "due_on",
                                      "case_id", "closed_at_id", "merged_into_id", "county_id", "created_at",
                                      "updated_at"), item_rows)
        self.w.write("action_item_numbers", ("id", "item_id", "number", "series_id", "county_id"), number_rows)
        self.w.write("action_item_units", ("id", "item_id", "unit_id", "lead", "county_id", "released_at_id"), unit_rows)
        self.w.write("chair_instructions", ("id", "item_id", "meeting_id", "text", "county_id"), instruction_rows)
        self.w.write("progress_entries", ("id", "item_id", "unit_id", "meeting_id", "text", "recommendation",
                                          "written_by_id", "written_at", "county_id"), progress_rows)
        self.w.write("item_decisions", ("id", "item_id", "meeting_id", "decision", "decided_by_id", "decided_at",
                                        "county_id"), decision_rows)
        if event_rows:
            self.w.write("case_events", EVENT_COLS, self.w.numbered("case_events", event_rows))
        rows = (len(series_rows) + len(meeting_rows) + len(item_rows) + len(number_rows) + len(unit_rows)
                + len(instruction_rows) + len(progress_rows) + len(decision_rows))
        del rng
        self.echo(f"  [meetings] 會議系列 {len(series_rows):,}、會議 {len(meeting_rows):,}、列管事項 {len(item_rows):,}、"
                  f"案號 {len(number_rows):,}、辦理情形 {len(progress_rows):,}、決定 {len(decision_rows):,}"
                  f"（{rows:,} 列，{time.perf_counter() - started:.1f} 秒）")

    def _verify(self):
        t0 = time.perf_counter()
        problems = verify_references(self.conn, set(self.w.rows))
        if problems:
            raise ScaleError("資料參照檢查未通過（已寫入的資料請捨棄，重建資料庫）：\n" + "\n".join(problems))
        self.echo(f"  [verify] 外鍵參照檢查通過（{time.perf_counter() - t0:.1f} 秒）")

    # --- numbering -------------------------------------------------------------------------------------------

    def _counters(self):
        self.w.drain()
        values = {}
        for day, n in self.report_day_counter.items():
            values[("report", day)] = n
        for (code, roc_year), n in self.case_counter.items():
            values[(f"case:{code}", str(roc_year))] = n
        for year, n in self.referral_counter.items():
            values[("referral", str(year))] = n
        for (series_id, prefix), n in self.item_counter.items():
            values[(f"item:{series_id}", prefix)] = n
        greatest = "greatest" if self.w.pg else "max"
        stmt = sa.text("INSERT INTO counters (name, period, value) VALUES (:n, :p, :v) "
                       f"ON CONFLICT (name, period) DO UPDATE SET value = {greatest}(counters.value, excluded.value)")
        rows = [{"n": n, "p": p, "v": v} for (n, p), v in sorted(values.items())]
        for start in range(0, len(rows), 1000):
            self.conn.execute(stmt, rows[start:start + 1000])
        self.echo(f"  [numbering] 編號計數器 {len(rows):,} 筆已推進至產生的最大號碼之後")


RELATION_LABEL = {"subject": "案主／被害人", "father": "父", "mother": "母", "child": "子女", "sibling": "兄弟姊妹",
                  "grandparent": "祖父母", "partner": "配偶／伴侶", "cohabitant": "同居人", "carer": "照顧者",
                  "respondent": "相對人／加害人", "other": "其他"}


def _age(today: date, m) -> int | None:
    if m[3] is None:
        return m[4]
    return today.year - m[3].year - ((today.month, today.day) < (m[3].month, m[3].day))


def rebuild_derived(conn, echo=print) -> None:
    """What is derived from the loaded rows: the case search index (names and phones) and
    the planner's statistics. Called at the end of every load."""
    started = time.perf_counter()
    if sa.inspect(conn).has_table("case_search_grams"):
        grams = search_index.rebuild(conn)
        echo(f"  [derived] 個案搜尋索引重建：{grams:,} 筆（{time.perf_counter() - started:.1f} 秒）")
    else:  # a database not yet migrated to the search index
        echo("  [derived] 資料庫尚無個案搜尋索引表（case_search_grams），略過")
    t0 = time.perf_counter()
    conn.exec_driver_sql("ANALYZE")
    echo(f"  [derived] ANALYZE（{time.perf_counter() - t0:.1f} 秒）")

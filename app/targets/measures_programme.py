"""The board's measures drawn from the casework the platform already records:
兒少保家庭服務涵蓋率 (a 2.0 target, seed 003 六、) and the figures the reports
already print (開案率, 轉介率, 脆弱程度改善; no programme target, drawn without
a target line).

Every count is *as at the end of the period*: a report decided, an outcome, a
contact or a closing recorded after the period's last day does not count for
it, so a period's figure stays what it was when the period ended.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import g, has_app_context, url_for

from ..cases import catalogue, history
from ..cases.models import CaseContact, CaseUnit, CaseUnitRole, FamilyCase
from ..cases.reference import LEVEL_RANK, AssessmentOutcome
from ..core.filters import TAIPEI
from ..extensions import db
from ..intake.models import Report, ReportStatus
from ..intake.reference import Concern
from ..tenants.models import Unit, UnitKind
from .registry import GapRow, Measure, register

# 兒少保家庭服務涵蓋率 is one of seed 003's 六、落實社安網常態化 targets, strategy 4 (常態落實); the figures the
# reports already print are the routine monitoring of the same strategy.
ROUTINE = catalogue.strategy(4)


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start, end] as [midnight Taipei of start, midnight Taipei of the day after end)."""
    return datetime.combine(start, time(), TAIPEI), datetime.combine(end + timedelta(days=1), time(), TAIPEI)


def _case_url(case_id: int) -> str:
    return url_for("cases.case_detail", case_id=case_id)


def _label(case_no: str, family_name: str) -> str:
    return f"{case_no} {family_name}"


# --- 兒少保家庭服務涵蓋率 ------------------------------------------------------------------

def _child_protection_families(county_id: int, start: date, end: date):
    """{case id: served by the end} of each family whose 兒少保護 report was dispatched in the period."""
    lo, hi = bounds(start, end)
    rows = db.session.execute(
        sa.select(Report.case_id, Report.concerns)
        .where(Report.tenant_id == county_id, Report.status == ReportStatus.DISPATCHED,
               Report.received_at < hi,  # implied by the decision's date; lets the index on received_at work
               Report.decided_at >= lo, Report.decided_at < hi, Report.case_id.is_not(None))
    ).all()
    ids = sorted({case_id for case_id, concerns in rows if Concern.CHILD_PROTECTION.value in (concerns or [])})
    served: set[int] = set()
    for chunk in range(0, len(ids), 5000):
        served.update(db.session.scalars(
            sa.select(CaseContact.case_id).distinct()
            .where(CaseContact.tenant_id == county_id, CaseContact.case_id.in_(ids[chunk:chunk + 5000]),
                   CaseContact.contacted_at < hi, CaseContact.created_at < hi)))
    return {case_id: case_id in served for case_id in ids}


def child_protection_counts(county_id: int, start: date, end: date) -> tuple[int, int]:
    families = _child_protection_families(county_id, start, end)
    return sum(families.values()), len(families)


def child_protection_gap(county_id: int, start: date, end: date) -> list[GapRow]:
    families = _child_protection_families(county_id, start, end)
    missing = [case_id for case_id, served in families.items() if not served]
    return _case_rows(county_id, missing, "派案後至期末尚無訪視或聯繫紀錄")


def _case_rows(county_id: int, case_ids: list[int], reason) -> list[GapRow]:
    if not case_ids:
        return []
    cases = db.session.execute(
        sa.select(FamilyCase.id, FamilyCase.case_no, FamilyCase.family_name, FamilyCase.received_at)
        .where(FamilyCase.tenant_id == county_id, FamilyCase.id.in_(case_ids)).order_by(FamilyCase.received_at)
    ).all()
    return [GapRow(c.id, _label(c.case_no, c.family_name), reason if isinstance(reason, str) else reason(c.id),
                   _case_url(c.id)) for c in cases]


# --- 開案率 and 轉介率 (the visits report's definitions, app/reports/queries.py count_visits) ---

def _welfare_centre_families(county_id: int, start: date, end: date):
    """(case id, outcome as at the end) of each family a 社福中心 received in the period (read once per
    request for both rates that share it)."""
    key = ("targets.welfare_centre_families", county_id, start, end)
    cache = (g.get("targets_cache") if has_app_context() else None)
    if cache is None:  # outside a board's computation: read it
        return _read_welfare_centre_families(county_id, start, end)
    if key not in cache:
        cache[key] = _read_welfare_centre_families(county_id, start, end)
    return cache[key]


def _read_welfare_centre_families(county_id: int, start: date, end: date):
    lo, hi = bounds(start, end)
    rows = db.session.execute(
        sa.select(FamilyCase.id, FamilyCase.outcome, FamilyCase.outcome_at)
        .join(CaseUnit, (CaseUnit.case_id == FamilyCase.id) & (CaseUnit.role == CaseUnitRole.LEAD))
        .join(Unit, Unit.id == history.received_by())  # the unit dispatched to, not the lead today
        .where(FamilyCase.tenant_id == county_id, Unit.kind == UnitKind.WELFARE_CENTRE,
               FamilyCase.received_at >= lo, FamilyCase.received_at < hi)
    ).all()
    # a case reopened or sent back after the end keeps the outcome it had at the end (cases.history)
    return {case_id: state[0] for case_id, state in
            history.at_end(((case_id, outcome, outcome_at, None) for case_id, outcome, outcome_at in rows), hi).items()}


REFERRED = (AssessmentOutcome.REFER_PROTECTIVE, AssessmentOutcome.REFER_NETWORK)


def opening_counts(county_id: int, start: date, end: date) -> tuple[int, int]:
    families = _welfare_centre_families(county_id, start, end)
    return sum(o == AssessmentOutcome.CASE_MANAGEMENT for o in families.values()), len(families)


def referral_counts(county_id: int, start: date, end: date) -> tuple[int, int]:
    families = _welfare_centre_families(county_id, start, end)
    return sum(o in REFERRED for o in families.values()), len(families)


def _outcome_reason(outcome) -> str:
    return "至期末尚未完成評估" if outcome is None else f"評估結果：{outcome.label}"


def opening_gap(county_id: int, start: date, end: date) -> list[GapRow]:
    families = _welfare_centre_families(county_id, start, end)
    rest = {c: o for c, o in families.items() if o != AssessmentOutcome.CASE_MANAGEMENT}
    return _case_rows(county_id, list(rest), lambda case_id: _outcome_reason(rest[case_id]))


def referral_gap(county_id: int, start: date, end: date) -> list[GapRow]:
    families = _welfare_centre_families(county_id, start, end)
    rest = {c: o for c, o in families.items() if o not in REFERRED}
    return _case_rows(county_id, list(rest), lambda case_id: _outcome_reason(rest[case_id]))


# --- 脆弱程度改善 (the vulnerability report's families, app/reports/queries.py count_vulnerability) ---

def _closed_families(county_id: int, start: date, end: date):
    lo, hi = bounds(start, end)
    return {case_id: (opening, closing) for opening, closing, case_id in history.closed_between(county_id, lo, hi)}


def improved(opening, closing) -> bool:
    return LEVEL_RANK[closing] < LEVEL_RANK[opening]


def vulnerability_counts(county_id: int, start: date, end: date) -> tuple[int, int]:
    families = _closed_families(county_id, start, end)
    return sum(improved(o, c) for o, c in families.values()), len(families)


def vulnerability_gap(county_id: int, start: date, end: date) -> list[GapRow]:
    families = _closed_families(county_id, start, end)
    rest = {c: oc for c, oc in families.items() if not improved(*oc)}
    return _case_rows(county_id, list(rest),
                      lambda case_id: f"開案時{rest[case_id][0].label}度、結案時{rest[case_id][1].label}度")


CHILD_PROTECTION_COVERAGE = register(Measure(
    code="child_protection_coverage",
    label="兒少保家庭服務涵蓋率",
    strategy=ROUTINE,
    targets={115: 85.0, 116: 90.0, 117: 95.0, 118: 100.0, 119: 100.0},
    numerator="分母之家庭中，至期末已有社工訪視或聯繫紀錄（面訪、電訪等，聯繫時間與登錄時間皆在期末以前）者",
    denominator="期間內派案（篩派決定日在期間內）且通報類型含「兒少保護」之家庭（以個案計，一家多件通報計一戶）",
    source="分子：個案訪視紀錄（case_contacts）；分母：通報篩派紀錄（reports，已派案）",
    counts=child_protection_counts, gap=child_protection_gap,
    note="目標值依強化社會安全網計畫2.0（六、落實社安網常態化）。"))

OPENING_RATE = register(Measure(
    code="opening_rate", label="開案率（脆弱家庭）", strategy=ROUTINE, targets={},
    numerator="分母之家庭中，至期末評估結果為「列入個案管理」者",
    denominator="期間內由社福中心受理（主責）之家庭",
    source="分子、分母：個案紀錄（family_cases，評估結果與其登錄時間）；同「脆弱家庭訪視評估」報表之開案率",
    counts=opening_counts, gap=opening_gap, note="計畫未訂目標值，圖上不畫目標線。"))

REFERRAL_RATE = register(Measure(
    code="referral_rate", label="轉介率（脆弱家庭）", strategy=ROUTINE, targets={},
    numerator="分母之家庭中，至期末評估結果為「轉介保護服務」或「轉介其他網絡服務」者",
    denominator="期間內由社福中心受理（主責）之家庭",
    source="分子、分母：個案紀錄（family_cases，評估結果與其登錄時間）；同「脆弱家庭訪視評估」報表之轉介率",
    counts=referral_counts, gap=referral_gap, note="計畫未訂目標值，圖上不畫目標線。"))

VULNERABILITY_CHANGE = register(Measure(
    code="vulnerability_change", label="脆弱程度改善", strategy=ROUTINE, targets={},
    numerator="分母之家庭中，結案時脆弱程度低於開案時者（高→中、高→低、中→低）",
    denominator="期間內結案且開案時與結案時皆有脆弱程度之家庭",
    source="分子、分母：個案紀錄（family_cases，開案與結案之脆弱程度、結案日）；同「脆弱性變化」報表",
    counts=vulnerability_counts, gap=vulnerability_gap, note="計畫未訂目標值，圖上不畫目標線。"))

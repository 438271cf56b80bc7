"""The target board's measures on the 2.0 programme's new groups (seed 003, 四、策略一 and 二):
育兒指導 coverage of new parents, 獨居老人 reach, and the 性影像移除率.

Figures are as at the end of the period: a target-group mark counts from its date if it was recorded by
the end of the period, until its end (an end recorded after the period does not change it); a removal
counts when it was removed, and recorded, by the end of the period. A corrected outcome counts as
corrected (the current value: the correction fixes a mistake). Services count by their date, when recorded
by the end of the period (a service recorded late does not change a finished period).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import url_for

from ..cases import catalogue
from ..cases.models import CaseMember, CaseService, CaseTargetGroup, FamilyCase, ImageRemovalRequest
from ..cases.reference import RemovalOutcome, ServiceStatus
from ..core.filters import TAIPEI, roc_date
from ..extensions import db
from .registry import YEARS, GapRow, Measure, register

PARENTING = ("g_parenting_guidance",)
ELDER_SERVICES = ("g_elder_visit", "g_elder_meals", "g_elder_emergency")


def end_of(day: date) -> datetime:
    """The first instant after ``day`` in Taipei (records made before it were there at the day's end)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=TAIPEI)


def _marks(county_id: int, group: str, start: date, end: date):
    """The marks of ``group`` in force at some time in the period, as recorded by its end: a mark ended before
    the period started no longer counts, unless its end was recorded only after the period's end."""
    limit = end_of(end)
    return db.session.execute(
        sa.select(CaseTargetGroup.case_id, CaseTargetGroup.member_id)
        .where(CaseTargetGroup.tenant_id == county_id, CaseTargetGroup.group_code == group,
               CaseTargetGroup.since <= end, CaseTargetGroup.recorded_at < limit,
               sa.or_(CaseTargetGroup.ended_on.is_(None), CaseTargetGroup.ended_on >= start,
                      CaseTargetGroup.ended_at >= limit))).all()


def _served(county_id: int, items, start: date, end: date) -> set[int]:
    """The families given one of ``items`` in the period, as recorded by its end (a service dated in the period
    but recorded after it does not count)."""
    return set(db.session.scalars(
        sa.select(CaseService.case_id).where(CaseService.tenant_id == county_id, CaseService.item.in_(items),
                                             CaseService.status == ServiceStatus.DELIVERED,
                                             CaseService.on >= start, CaseService.on <= end,
                                             CaseService.recorded_at < end_of(end)).distinct()))


def _case_rows(county_id: int, case_ids) -> dict[int, FamilyCase]:
    if not case_ids:
        return {}
    return {c.id: c for c in db.session.scalars(sa.select(FamilyCase).where(FamilyCase.tenant_id == county_id,
                                                                             FamilyCase.id.in_(case_ids)))}


def _member_names(county_id: int, member_ids) -> dict[int, str]:
    ids = {m for m in member_ids if m}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(CaseMember.id, CaseMember.name)
                                   .where(CaseMember.tenant_id == county_id, CaseMember.id.in_(ids))).all())


def _case_url(case_id: int) -> str:
    return url_for("cases.case_detail", case_id=case_id) + "#programme"


# --- 育兒指導涵蓋率 ------------------------------------------------------------------------------------------

def parenting_counts(county_id: int, start: date, end: date) -> tuple[int, int | None]:
    families = {case_id for case_id, _ in _marks(county_id, "new_parent", start, end)}
    return len(families & _served(county_id, PARENTING, start, end)), None


def parenting_gap(county_id: int, start: date, end: date) -> list[GapRow]:
    families = {case_id for case_id, _ in _marks(county_id, "new_parent", start, end)}
    behind = sorted(families - _served(county_id, PARENTING, start, end))
    cases = _case_rows(county_id, behind)
    return [GapRow(case_id=cid, label=f"{cases[cid].case_no} {cases[cid].family_name}",
                   reason=f"新手父母，{roc_date(start, 'short')}–{roc_date(end, 'short')} 尚未提供育兒指導",
                   url=_case_url(cid)) for cid in behind if cid in cases]


# --- 獨居老人服務觸及率 ------------------------------------------------------------------------------------

def _elders(county_id: int, start: date, end: date) -> set[tuple[int, int | None]]:
    return {(case_id, member_id) for case_id, member_id in _marks(county_id, "elder_alone", start, end)}


def elder_counts(county_id: int, start: date, end: date) -> tuple[int, int | None]:
    reached = _served(county_id, ELDER_SERVICES, start, end)
    return sum(1 for case_id, _ in _elders(county_id, start, end) if case_id in reached), None


def elder_gap(county_id: int, start: date, end: date) -> list[GapRow]:
    reached = _served(county_id, ELDER_SERVICES, start, end)
    behind = sorted(e for e in _elders(county_id, start, end) if e[0] not in reached)
    cases = _case_rows(county_id, {case_id for case_id, _ in behind})
    names = _member_names(county_id, {member_id for _, member_id in behind})
    return [GapRow(case_id=cid, label=f"{cases[cid].case_no} {cases[cid].family_name}"
                   + (f"（{names.get(mid) or '成員'}）" if mid else ""),
                   reason="獨居老人，期間內未有關懷訪視、營養餐飲或緊急救援", url=_case_url(cid))
            for cid, mid in behind if cid in cases]


# --- 性影像移除率 -----------------------------------------------------------------------------------------

def _asked(county_id: int, start: date, end: date) -> list[ImageRemovalRequest]:
    return list(db.session.scalars(
        sa.select(ImageRemovalRequest).where(ImageRemovalRequest.tenant_id == county_id,
                                             ImageRemovalRequest.asked_on >= start, ImageRemovalRequest.asked_on <= end,
                                             ImageRemovalRequest.recorded_at < end_of(end))
        .order_by(ImageRemovalRequest.asked_on, ImageRemovalRequest.id)))


def removed_by(request: ImageRemovalRequest, end: date) -> bool:
    """Removed as at the end of the period: removed on or before it, and recorded by then."""
    return (request.outcome == RemovalOutcome.REMOVED and request.outcome_on is not None and request.outcome_on <= end
            and request.outcome_recorded_at is not None and request.outcome_recorded_at < end_of(end))


def removal_counts(county_id: int, start: date, end: date) -> tuple[int, int | None]:
    asked = _asked(county_id, start, end)
    return sum(1 for r in asked if removed_by(r, end)), len(asked)


def removal_gap(county_id: int, start: date, end: date) -> list[GapRow]:
    behind = [r for r in _asked(county_id, start, end) if not removed_by(r, end)]
    cases = _case_rows(county_id, {r.case_id for r in behind})
    rows = []
    for r in behind:
        if r.case_id not in cases:
            continue
        refused = r.outcome == RemovalOutcome.REFUSED and r.outcome_on is not None and r.outcome_on <= end
        state = "平台拒絕移除" if refused else "期末尚未移除"
        rows.append(GapRow(case_id=r.case_id, label=f"{cases[r.case_id].case_no} {cases[r.case_id].family_name}",
                           reason=f"{r.platform}（{roc_date(r.asked_on, 'short')} 申請）{state}", url=_case_url(r.case_id)))
    return rows


PARENTING_GUIDANCE = register(Measure(
    code="parenting_guidance", label="育兒指導涵蓋率", strategy=catalogue.strategy(1),
    targets={year: 50.0 for year in YEARS},
    numerator="期間內獲提供育兒指導（已提供）的新手父母家庭數（不重複）",
    denominator="縣市新手父母人數（由縣市填報）",
    source="分子：個案服務紀錄（服務項目「育兒指導」）與服務對象註記「新手父母」；分母：縣市填報，並註明資料來源（如戶政出生登記）",
    counts=parenting_counts, gap=parenting_gap, external_denominator=True,
    note="名單列出已註記為新手父母、期間內尚未提供育兒指導的家庭。"))

ELDER_ALONE_REACH = register(Measure(
    code="elder_alone_reach", label="獨居老人服務觸及率", strategy=catalogue.strategy(1),
    targets={year: 80.0 for year in YEARS},
    numerator="期間內獲關懷訪視、營養餐飲或緊急救援（已提供）的獨居老人數（不重複）",
    denominator="縣市獨居老人人數（由縣市填報）",
    source="分子：個案服務紀錄（獨老關懷訪視、營養餐飲、緊急救援）與服務對象註記「獨居老人」；分母：縣市填報，並註明資料來源（如獨居老人列冊）",
    counts=elder_counts, gap=elder_gap, external_denominator=True,
    note="名單列出已註記為獨居老人、期間內尚未觸及者。"))

IMAGE_REMOVAL = register(Measure(
    code="image_removal", label="性影像移除率", strategy=catalogue.strategy(2),
    targets={year: 87.0 for year in YEARS},
    numerator="期間內提出的移除申請中，期末前已移除者",
    denominator="期間內提出的性影像移除申請數",
    source="個案的性影像移除申請紀錄（平台、申請日期、結果與結果日期）；以期末為準，期末後才記錄的結果不計",
    counts=removal_counts, gap=removal_gap))

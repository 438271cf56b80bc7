"""Entering a county's denominator (services never commit; the request edge does)."""
from __future__ import annotations

import sqlalchemy as sa

from ..cases.models import SERVING_ROLES, CaseUnit
from ..core.errors import DomainError
from ..core.models import utcnow
from ..extensions import db
from .models import TargetDenominator
from .registry import MEASURES, YEARS, GapRow


class TargetError(DomainError):
    status = 422


def save_denominator(county_id: int, user, code: str, roc_year: int, value: int, source: str) -> TargetDenominator:
    """Enter (or replace) the county's denominator of a measure for a year, with its source."""
    measure = MEASURES.get(code)
    if measure is None or not measure.external_denominator:
        raise TargetError("這項指標的分母由平台紀錄計算，不需填報。", field="measure")
    if roc_year not in YEARS:
        raise TargetError(f"年度需為民國 {YEARS[0]} 至 {YEARS[-1]} 年。", field="roc_year")
    if value < 1:
        raise TargetError("分母需為正整數。", field="value")
    if not source.strip():
        raise TargetError("請寫明分母的資料來源。", field="source")
    row = db.session.scalar(sa.select(TargetDenominator).where(
        TargetDenominator.tenant_id == county_id, TargetDenominator.measure_code == code,
        TargetDenominator.roc_year == roc_year))
    if row is None:
        row = TargetDenominator(tenant_id=county_id, measure_code=code, roc_year=roc_year)
        db.session.add(row)
    row.value, row.source = value, source.strip()
    row.entered_by_id, row.entered_by_name, row.entered_at = user.id, user.display_name, utcnow()
    db.session.flush()
    return row


def entered(county_id: int) -> list[TargetDenominator]:
    return list(db.session.scalars(sa.select(TargetDenominator).where(TargetDenominator.tenant_id == county_id)
                                   .order_by(TargetDenominator.measure_code, TargetDenominator.roc_year)))


def served_by(unit_id: int, rows: list[GapRow]) -> list[GapRow]:
    """The gap rows of the families the unit serves (lead or collaborator); rows without a case go."""
    ids = [r.case_id for r in rows if r.case_id is not None]
    if not ids:
        return []
    served = set(db.session.scalars(sa.select(CaseUnit.case_id).where(
        CaseUnit.unit_id == unit_id, CaseUnit.role.in_(SERVING_ROLES), CaseUnit.case_id.in_(ids))))
    return [r for r in rows if r.case_id in served]

"""Rules for the organisational directory."""
from __future__ import annotations

import sqlalchemy as sa

from ..core.errors import DomainError
from ..extensions import db
from .models import (
    COUNTY_UNIT_KINDS,
    County,
    District,
    InstitutionArea,
    MINISTRY_UNIT_KINDS,
    PartnerOrganisation,
    Unit,
    UnitKind,
    unit_districts,
)


class DirectoryError(DomainError):
    """A change to the directory that cannot be made, said in Chinese (``field`` names the form field)."""

    status = 422

    def __init__(self, message: str, field: str = "name"):
        super().__init__(message, field)


def _name_taken(name: str, *, county_id, partner_org_id=None, exclude_id=None) -> bool:
    stmt = sa.select(Unit.id).where(Unit.name == name, Unit.county_id.is_(None) if county_id is None else Unit.county_id == county_id)
    if partner_org_id is not None:
        stmt = stmt.where(Unit.partner_org_id == partner_org_id)
    if exclude_id is not None:
        stmt = stmt.where(Unit.id != exclude_id)
    return db.session.scalars(stmt).first() is not None


def district_conflicts(county: County, district_ids: list[int], exclude_unit_id: int | None) -> list[str]:
    """Districts already served by another active 社福中心: each district has one."""
    if not district_ids:
        return []
    rows = db.session.execute(
        sa.select(District.name, Unit.name)
        .join(unit_districts, unit_districts.c.district_id == District.id)
        .join(Unit, Unit.id == unit_districts.c.unit_id)
        .where(
            District.id.in_(district_ids),
            Unit.kind == UnitKind.WELFARE_CENTRE,
            Unit.is_active.is_(True),
            Unit.county_id == county.id,
            Unit.id != (exclude_unit_id or 0),
        )
    ).all()
    return [f"{district}已由「{unit}」服務" for district, unit in rows]


def save_county_unit(county: County, unit: Unit | None, *, kind: UnitKind, name: str, short_name: str,
                     phone: str, district_ids: list[int], is_active: bool) -> Unit:
    if kind not in COUNTY_UNIT_KINDS:
        raise DirectoryError("縣市只能設立縣市單位。", "kind")
    name = name.strip()
    if _name_taken(name, county_id=county.id, exclude_id=unit.id if unit else None):
        raise DirectoryError(f"{county.name}已有名為「{name}」的單位。")
    districts: list[District] = []
    if kind == UnitKind.WELFARE_CENTRE:
        valid = {d.id: d for d in county.districts}
        districts = [valid[i] for i in district_ids if i in valid]
        if not districts:
            raise DirectoryError("社福中心需至少服務一個行政區。", "districts")
        if is_active:
            conflicts = district_conflicts(county, [d.id for d in districts], unit.id if unit else None)
            if conflicts:
                raise DirectoryError("每個行政區只能由一個社福中心服務：" + "；".join(conflicts) + "。", "districts")
    if unit is None:
        unit = Unit(county_id=county.id)
        db.session.add(unit)
    unit.kind = kind
    unit.name = name
    unit.short_name = short_name.strip()
    unit.phone = phone.strip()
    unit.districts = districts
    unit.is_active = is_active
    db.session.flush()
    return unit


def save_partner(org: PartnerOrganisation | None, *, name: str, short_name: str, county_ids: list[int],
                 is_active: bool) -> PartnerOrganisation:
    name = name.strip()
    stmt = sa.select(PartnerOrganisation.id).where(PartnerOrganisation.name == name)
    if org is not None:
        stmt = stmt.where(PartnerOrganisation.id != org.id)
    if db.session.scalars(stmt).first() is not None:
        raise DirectoryError(f"已有名為「{name}」的民間團體。")
    if org is None:
        org = PartnerOrganisation()
        db.session.add(org)
    org.name = name
    org.short_name = short_name.strip()
    org.is_active = is_active
    org.counties = list(db.session.scalars(sa.select(County).where(County.id.in_(county_ids or [0]))))
    db.session.flush()
    return org


def add_branch(org: PartnerOrganisation, *, name: str, county_id: int, phone: str) -> Unit:
    name = name.strip()
    if _name_taken(name, county_id=county_id, partner_org_id=org.id):
        raise DirectoryError(f"「{org.name}」已有名為「{name}」的服務單位。")
    if county_id not in {c.id for c in org.counties}:
        raise DirectoryError("服務單位所在縣市需為此團體的服務縣市之一。", "county_id")
    unit = Unit(kind=UnitKind.PARTNER_BRANCH, partner_org_id=org.id, county_id=county_id, name=name,
                short_name=org.short_name, phone=phone.strip())
    db.session.add(unit)
    db.session.flush()
    return unit


def save_ministry_unit(unit: Unit | None, *, kind: UnitKind, agency: str, name: str, short_name: str,
                       county_ids: list[int], is_active: bool) -> Unit:
    if kind not in MINISTRY_UNIT_KINDS:
        raise DirectoryError("請選擇中央部會單位或部屬機構。", "kind")
    name = name.strip()
    if _name_taken(name, county_id=None, exclude_id=unit.id if unit else None):
        raise DirectoryError(f"已有名為「{name}」的中央單位。")
    if unit is None:
        unit = Unit()
        db.session.add(unit)
    unit.kind = kind
    unit.agency = agency.strip()
    unit.name = name
    unit.short_name = short_name.strip()
    unit.is_active = is_active
    keep = {a.county_id: a for a in unit.responsibility_areas}
    unit.responsibility_areas = [keep.get(cid) or InstitutionArea(county_id=cid) for cid in county_ids]
    db.session.flush()
    return unit


def active_county_units(county_id: int) -> list[Unit]:
    """A county's active units, in the order forms list them (by kind, then as created)."""
    return list(db.session.scalars(sa.select(Unit).where(Unit.county_id == county_id, Unit.is_active.is_(True))
                                   .order_by(Unit.kind, Unit.id)))


def counties() -> list[County]:
    return list(db.session.scalars(sa.select(County).order_by(County.sort_order)))

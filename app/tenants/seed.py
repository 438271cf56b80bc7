"""Reference data every installation has: the 22 counties and their districts,
each county's standard units, the ministry's units and institutions, and the
partner organisations named in seed 004. Idempotent: running it again changes
nothing that is already there."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from ..extensions import db
from .models import County, District, InstitutionArea, PartnerOrganisation, Unit, UnitKind

DATA = Path(__file__).parent / "data"

# The areas above the directory seed their own national reference data (the vulnerability-factor table,
# the partner directory) after it: they register here through the app factory, so tenants names no area.
_AREA_SEEDERS: list[Callable[[], object]] = []


def register_seeder(seeder: Callable[[], object]) -> None:
    """Run ``seeder()`` after the directory's reference data, in the order registered (idempotent)."""
    if seeder not in _AREA_SEEDERS:
        _AREA_SEEDERS.append(seeder)


# Order of twss-county-city-code (the ministry's own list).
MUNICIPALITIES = {"6500000000", "6300000000", "1000300000", "6600000000", "6700000000", "6400000000"}

MINISTRY_DEPARTMENTS = [
    # (agency, name, short name)
    ("衛生福利部", "保護服務司", "保護司"),
    ("衛生福利部", "社會及家庭署", "社家署"),
    ("衛生福利部", "社會救助及社工司", "社工司"),
    ("衛生福利部", "心理健康司", "心口司"),
    ("衛生福利部", "資訊處", "資訊處"),
    ("衛生福利部", "疾病管制署", "疾管署"),
    ("衛生福利部", "國民健康署", "國健署"),
    ("教育部", "教育部", "教育部"),
    ("內政部", "內政部警政署", "警政署"),
    ("內政部", "內政部消防署", "消防署"),
    ("內政部", "內政部民政司", "民政司"),
    ("內政部", "內政部移民署", "移民署"),
    ("法務部", "法務部", "法務部"),
    ("勞動部", "勞動部", "勞動部"),
]

# Seed 004, 附件1: 衛生福利部辦理急迫性急難救助案件責任區分配表.
RESPONSIBILITY_AREAS = [
    ("社會救助及社工司", [("金門縣", ""), ("連江縣", "")]),
    ("北區老人之家", [("臺北市", ""), ("基隆市", ""), ("宜蘭縣", "")]),
    ("北區兒童之家", [("桃園市", ""), ("新北市", "")]),
    ("少年之家", [("新竹縣", ""), ("新竹市", ""), ("苗栗縣", "")]),
    ("中區兒童之家", [("臺中市", "合併升格前臺中市部分")]),
    ("彰化老人養護中心", [("臺中市", "合併升格前臺中縣部分")]),
    ("中區老人之家", [("彰化縣", "")]),
    ("南投啟智教養院", [("南投縣", "")]),
    ("雲林教養院", [("雲林縣", ""), ("嘉義縣", ""), ("嘉義市", "")]),
    ("臺南教養院", [("臺南市", "")]),
    ("南區兒童之家", [("高雄市", "")]),
    ("南區老人之家", [("屏東縣", "")]),
    ("東區老人之家", [("花蓮縣", ""), ("臺東縣", "")]),
    ("澎湖老人之家", [("澎湖縣", "")]),
]

PARTNERS = [
    # (name, short name, counties served)
    ("財團法人臺灣兒童暨家庭扶助基金會", "家扶基金會", ["臺北市", "花蓮縣", "基隆市"]),
    ("財團法人台灣世界展望會", "世界展望會", ["臺北市", "花蓮縣"]),
    ("財團法人天主教善牧社會福利事業基金會", "善牧基金會", ["臺北市", "基隆市"]),
]


def county_units(county: County) -> list[tuple[UnitKind, str, str]]:
    """The standard units every county has (社福中心 come from data per county)."""
    gov = f"{county.name}政府"
    bureau = "局" if county.code in MUNICIPALITIES else "處"
    return [
        (UnitKind.SOCIAL_AFFAIRS_BUREAU, f"{gov}社會{bureau}", f"社會{bureau}"),
        (UnitKind.DISPATCH_CENTRE, f"{county.name}集中篩派案中心", "篩派案中心"),
        (UnitKind.DV_CENTRE, f"{county.name}家庭暴力暨性侵害防治中心", "家防中心"),
        (UnitKind.MENTAL_HEALTH, f"{gov}衛生局社區心理衛生中心", "心衛社工"),
        (UnitKind.EDUCATION, f"{gov}教育{bureau}", f"教育{bureau}"),
        (UnitKind.POLICE, f"{gov}警察局", "警察局"),
        (UnitKind.LABOUR, f"{gov}勞工{bureau}", f"勞工{bureau}"),
        (UnitKind.CIVIL_AFFAIRS, f"{gov}民政{bureau}", f"民政{bureau}"),
        (UnitKind.FIRE, f"{gov}消防局", "消防局"),
    ]


def _get_or_create(model, lookup: dict, defaults: dict | None = None):
    obj = db.session.scalars(sa.select(model).filter_by(**lookup)).first()
    if obj is None:
        obj = model(**lookup, **(defaults or {}))
        db.session.add(obj)
    return obj


def seed_reference_data() -> dict[str, int]:
    districts = json.loads((DATA / "districts.json").read_text(encoding="utf-8"))
    centres = json.loads((DATA / "welfare_centres.json").read_text(encoding="utf-8"))

    counties: dict[str, County] = {}
    for order, (code, entry) in enumerate(districts.items()):
        county = _get_or_create(County, {"code": code}, {"name": entry["name"], "sort_order": order})
        counties[entry["name"]] = county
        db.session.flush()
        existing = {d.name for d in county.districts}
        for d_order, name in enumerate(entry["districts"]):
            if name not in existing:
                county.districts.append(District(name=name, sort_order=d_order))
        for kind, name, short in county_units(county):
            _get_or_create(Unit, {"county_id": county.id, "name": name}, {"kind": kind, "short_name": short})
    db.session.flush()

    for code, centre_list in centres.items():
        county = next(c for c in counties.values() if c.code == code)
        by_name = {d.name: d for d in county.districts}
        for centre in centre_list:
            unit = _get_or_create(
                Unit,
                {"county_id": county.id, "name": centre["name"]},
                {"kind": UnitKind.WELFARE_CENTRE, "short_name": _centre_short(centre["name"], county.name)},
            )
            if not unit.districts:
                unit.districts = [by_name[n] for n in centre["districts"]]
    db.session.flush()

    ministry: dict[str, Unit] = {}
    for agency, name, short in MINISTRY_DEPARTMENTS:
        ministry[name] = _get_or_create(
            Unit,
            {"county_id": None, "partner_org_id": None, "name": name},
            {"kind": UnitKind.MINISTRY_DEPARTMENT, "agency": agency, "short_name": short},
        )
    for name, areas in RESPONSIBILITY_AREAS:
        unit = ministry.get(name) or _get_or_create(
            Unit,
            {"county_id": None, "partner_org_id": None, "name": name},
            {"kind": UnitKind.MINISTRY_INSTITUTION, "agency": "衛生福利部"},
        )
        db.session.flush()
        have = {(a.county_id, a.note) for a in unit.responsibility_areas}
        for county_name, note in areas:
            county = counties[county_name]
            if (county.id, note) not in have and county.id not in {a.county_id for a in unit.responsibility_areas}:
                unit.responsibility_areas.append(InstitutionArea(county_id=county.id, note=note))

    for name, short, served in PARTNERS:
        org = _get_or_create(PartnerOrganisation, {"name": name}, {"short_name": short})
        db.session.flush()
        if not org.counties:
            org.counties = [counties[n] for n in served]
        for county_name in served:
            _get_or_create(
                Unit,
                {"partner_org_id": org.id, "name": f"{short}{county_name}服務處"},
                {"kind": UnitKind.PARTNER_BRANCH, "county_id": counties[county_name].id, "short_name": short},
            )
    db.session.flush()
    for seeder in _AREA_SEEDERS:
        seeder()
    return {
        "counties": db.session.scalar(sa.select(sa.func.count()).select_from(County)),
        "districts": db.session.scalar(sa.select(sa.func.count()).select_from(District)),
        "units": db.session.scalar(sa.select(sa.func.count()).select_from(Unit)),
        "partners": db.session.scalar(sa.select(sa.func.count()).select_from(PartnerOrganisation)),
    }


def _centre_short(name: str, county_name: str) -> str:
    short = name.removeprefix(county_name).replace("社會福利服務中心", "社福中心")
    return short[:30]

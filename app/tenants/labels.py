"""How a unit is named wherever someone chooses one: the branch and where it works, never a bare short name.

``unit_label`` is the one label of a unit in a choice list (dispatch, referral, dispute, hand-over, meeting,
campaign, account forms): the unit's full name (which carries its county), the districts a 社福中心 serves,
and for a partner organisation's branch that it is a 民間團體 and the county it sits in. ``unit_choices``
labels a list at once (one query for the districts) and keeps labels unique, so no two options read alike.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from ..extensions import db
from .models import District, Unit, unit_districts

MAX_DISTRICTS = 3


def _districts_of(units: list[Unit]) -> dict[int, list[str]]:
    ids = [u.id for u in units if u.id is not None]
    out: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return out
    rows = db.session.execute(
        sa.select(unit_districts.c.unit_id, District.name).join(District, District.id == unit_districts.c.district_id)
        .where(unit_districts.c.unit_id.in_(ids)).order_by(unit_districts.c.unit_id, District.sort_order)).all()
    for unit_id, name in rows:
        out[unit_id].append(name)
    return out


def _where(names: list[str]) -> str:
    if not names:
        return ""
    shown = "、".join(names[:MAX_DISTRICTS])
    return shown + (f"等 {len(names)} 區" if len(names) > MAX_DISTRICTS else "")


def unit_label(unit: Unit, districts: list[str] | None = None, *, with_organisation: bool = False) -> str:
    """``臺北市中正社會福利服務中心（中正區）``, ``家扶基金會臺北市服務處（民間團體・臺北市）``."""
    if districts is None:
        districts = [d.name for d in unit.districts]
    name = unit.name
    county = unit.county.name if unit.county is not None else ""
    notes = []
    if unit.is_partner_unit:
        org = unit.partner_org
        if org is not None and (org.short_name or org.name) not in name:
            name = f"{org.short_name or org.name} {name}"
        notes.append("民間團體")
        if county and county not in name:
            notes.append(county)
    elif county and county not in name:
        notes.append(county)
    if districts:
        notes.append(_where(districts))
    label = name + (f"（{'・'.join(notes)}）" if notes else "")
    if with_organisation and unit.organisation_name not in label:
        label = f"{unit.organisation_name}｜{label}"
    return label


def unit_choices(units, *, with_organisation: bool = False) -> list[tuple[int, str]]:
    """``(id, label)`` for a choice list, labels unique (a clash, which only bad data can cause, shows the id)."""
    units = list(units)
    districts = _districts_of(units)
    labels = [(u.id, unit_label(u, districts.get(u.id, []), with_organisation=with_organisation)) for u in units]
    counts: dict[str, int] = defaultdict(int)
    for _, label in labels:
        counts[label] += 1
    return [(uid, label if counts[label] == 1 else f"{label}（編號 {uid}）") for uid, label in labels]


def unit_labels(units, **kwargs) -> dict[int, str]:
    return dict(unit_choices(units, **kwargs))

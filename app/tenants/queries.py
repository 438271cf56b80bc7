"""Read models of the directory's administration pages: a county's units, partner
organisations, ministry units."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from .models import COUNTY_UNIT_KINDS, MINISTRY_UNIT_KINDS, County, PartnerOrganisation, Unit


def county_units(county: County) -> list[Unit]:
    """The county's own units (centre, service centres, …), in the order of their kinds."""
    rows = db.session.scalars(
        sa.select(Unit).where(Unit.county_id == county.id, Unit.kind.in_(COUNTY_UNIT_KINDS)).order_by(Unit.kind, Unit.name)
    ).all()
    order = {k: i for i, k in enumerate(COUNTY_UNIT_KINDS)}
    return sorted(rows, key=lambda u: (order[u.kind], u.id))


def units_in_county(county: County) -> list[Unit]:
    """Every unit located in the county (partners' branches too), by name."""
    return db.session.scalars(sa.select(Unit).where(Unit.county_id == county.id).order_by(Unit.name)).all()


def partners() -> list[PartnerOrganisation]:
    return db.session.scalars(sa.select(PartnerOrganisation).order_by(PartnerOrganisation.name)).all()


def ministry_units() -> list[Unit]:
    return db.session.scalars(
        sa.select(Unit).where(Unit.kind.in_(MINISTRY_UNIT_KINDS)).order_by(Unit.agency, Unit.kind, Unit.id)
    ).all()

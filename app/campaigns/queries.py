"""Read models of the spring-festival campaign that pages share: a visiting unit's families to visit."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ..core import tenancy
from ..extensions import db
from .models import Campaign, CampaignVisit, VisitEntry


def visits_to_make(unit_id: int, today: date, *, partner: bool) -> list[tuple[Campaign, int]]:
    """Campaigns still running (or about to) with the number of families assigned to the unit that have
    no visit recorded yet. A partner's unit works for no county: its families are read across counties
    through the campaign area's one crossing, filtered on the visiting unit. One query."""
    stmt = (sa.select(Campaign, sa.func.count(VisitEntry.id))
            .join(VisitEntry, VisitEntry.campaign_id == Campaign.id)
            .where(VisitEntry.visiting_unit_id == unit_id, Campaign.ends_on >= today,
                   ~sa.exists().where(CampaignVisit.entry_id == VisitEntry.id))
            .group_by(Campaign.id).order_by(Campaign.holiday_start))
    if partner:
        with tenancy.all_tenants("partner visiting unit: the families assigned to it"):
            return [tuple(r) for r in db.session.execute(stmt).all()]
    return [tuple(r) for r in db.session.execute(stmt).all()]

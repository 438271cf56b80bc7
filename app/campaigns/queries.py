"""Read models of the spring-festival campaign: a visiting unit's families to visit (pages share it),
and what each campaign page reads (the county's list, the visiting unit's families, the visit form)."""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..cases.models import CaseMember
from ..core import tenancy
from ..extensions import db
from ..tenants.models import County, Unit
from .models import Campaign, CampaignVisit, ManualIndicator, RuleSet, VisitEntry

PARTNER_CROSSING = "partner visiting unit: the families assigned to it"


def assigned_families(partner: bool):
    """A partner organisation's staff act for no county: the families assigned to their unit are read
    across counties through this one named crossing (every query under it filters on the visiting unit),
    and nothing else of the county is visible to them."""
    return tenancy.all_tenants(PARTNER_CROSSING) if partner else nullcontext()


def visits_to_make(unit_id: int, today: date, *, partner: bool) -> list[tuple[Campaign, int]]:
    """Campaigns still running (or about to) with the number of families assigned to the unit that have
    no visit recorded yet. A partner's unit works for no county: its families are read across counties
    through the campaign area's one crossing, filtered on the visiting unit. One query."""
    stmt = (sa.select(Campaign, sa.func.count(VisitEntry.id))
            .join(VisitEntry, VisitEntry.campaign_id == Campaign.id)
            .where(VisitEntry.visiting_unit_id == unit_id, Campaign.ends_on >= today,
                   ~sa.exists().where(CampaignVisit.entry_id == VisitEntry.id))
            .group_by(Campaign.id).order_by(Campaign.holiday_start))
    with assigned_families(partner):
        return [tuple(r) for r in db.session.execute(stmt).all()]


# --- The pages' read models ---------------------------------------------------------------------------

def campaigns() -> list[Campaign]:
    """Every campaign, the latest holiday first."""
    return db.session.scalars(sa.select(Campaign).order_by(Campaign.holiday_start.desc())).all()


def rule_versions() -> list[RuleSet]:
    return db.session.scalars(sa.select(RuleSet).order_by(RuleSet.version.desc())).all()


@dataclass
class CountyList:
    """The county's visit list: the families listed (in-person visits first), the rule version the list was
    computed with, how many families each indicator listed, and the indicators a worker ticked by hand
    (case id → code → reason)."""

    entries: list[VisitEntry]
    rule_set: RuleSet
    counts: dict[str, int]
    ticks: dict[int, dict[str, str]]


def county_list(campaign: Campaign) -> CountyList:
    entries = db.session.scalars(sa.select(VisitEntry).where(VisitEntry.campaign_id == campaign.id)
                                 .order_by(VisitEntry.in_person.desc(), VisitEntry.case_id)).all()
    rule_set = db.session.get(RuleSet, campaign.rule_set_id)
    counts: dict[str, int] = {}
    for e in entries:
        for code in e.indicators:
            counts[code] = counts.get(code, 0) + 1
    ticks: dict = {}
    for mark in db.session.scalars(sa.select(ManualIndicator).where(ManualIndicator.campaign_id == campaign.id)):
        ticks.setdefault(mark.case_id, {})[mark.code] = mark.reason
    return CountyList(entries, rule_set, counts, ticks)


def assigned_counts(unit_id: int, *, partner: bool) -> dict[int, int]:
    """Campaign id → the number of families the unit is to visit in it."""
    with assigned_families(partner):
        return dict(db.session.execute(sa.select(VisitEntry.campaign_id, sa.func.count(VisitEntry.id)).where(
            VisitEntry.visiting_unit_id == unit_id).group_by(VisitEntry.campaign_id)).all())


def my_visits(campaign: Campaign, unit_id: int, *, partner: bool) -> tuple[list[VisitEntry], dict[int, list[CampaignVisit]]]:
    """The families the unit is to visit in the campaign (in-person visits first), with their families
    loaded, and the visits recorded for each, oldest first."""
    with assigned_families(partner):
        entries = db.session.scalars(sa.select(VisitEntry).options(joinedload(VisitEntry.case)).where(
            VisitEntry.campaign_id == campaign.id, VisitEntry.visiting_unit_id == unit_id)
            .order_by(VisitEntry.in_person.desc(), VisitEntry.case_id)).all()
        visits: dict = {}
        for v in db.session.scalars(sa.select(CampaignVisit).where(CampaignVisit.entry_id.in_([e.id for e in entries]))
                                    .order_by(CampaignVisit.visited_on)):
            visits.setdefault(v.entry_id, []).append(v)
    return entries, visits


def children_of(entry: VisitEntry, day: date) -> list[tuple[CaseMember, int | None]]:
    """The visit form's children: the family's members recorded as a child, or under 18 on ``day``, with their age."""
    members = db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == entry.case_id)
                                 .order_by(CaseMember.id)).all()
    out = []
    for m in members:
        age = m.age(day)
        if getattr(m.relation, "value", m.relation) == "child" or (age is not None and age < 18):
            out.append((m, age))
    return out


def county_names() -> dict[int, str]:
    return {c.id: c.name for c in db.session.scalars(sa.select(County))}


def unit_names(ids: Iterable[int]) -> dict[int, str]:
    return {u.id: u.name for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(list(ids))))}


def active_counties() -> list[County]:
    return db.session.scalars(sa.select(County).where(County.is_active.is_(True)).order_by(County.sort_order)).all()

"""Read models of the spring-festival campaign: a visiting unit's families to visit (pages share it),
and what each campaign page reads (the county's list, the visiting unit's families, the visit form)."""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..cases.models import CaseMember, FamilyCase
from ..core import tenancy
from ..core.documents import DocumentStatus
from ..extensions import db
from ..tenants.models import County, Unit
from .models import Campaign, CampaignVisit, ListRun, ManualIndicator, RuleSet, VisitEntry

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


LIST_PAGE = 50


@dataclass
class CountyList:
    """A page of the county's visit list (in-person visits first, then by case), as filtered: the
    families on it with their cases, the list's totals (all of it, and as filtered), the rule version,
    how many families each indicator listed, and the indicators ticked by hand for the families shown
    (case id → code → reason)."""

    pagination: object
    rule_set: RuleSet
    total: int
    in_person: int
    counts: dict[str, int]
    ticks: dict[int, dict[str, str]]

    @property
    def entries(self) -> list[VisitEntry]:
        return self.pagination.items


def county_list(campaign: Campaign, county_id: int, *, page: int = 1, unit_id: int | None = None,
                way: str = "", case_no: str = "", latest_run: ListRun | None = None) -> CountyList:
    """One page of the county's list (at 100,000 open families about 10,000 are listed: read 50 at a
    time, the totals counted in the database). The count by indicator is the latest computation's
    (an entry's indicators change only when the list is computed); without one, counted here."""
    base = sa.select(VisitEntry).where(VisitEntry.campaign_id == campaign.id, VisitEntry.tenant_id == county_id)
    total, in_person = db.session.execute(
        sa.select(sa.func.count(VisitEntry.id), sa.func.count(VisitEntry.id).filter(VisitEntry.in_person.is_(True)))
        .where(VisitEntry.campaign_id == campaign.id, VisitEntry.tenant_id == county_id)).one()
    stmt = base
    if unit_id:
        stmt = stmt.where(VisitEntry.visiting_unit_id == unit_id)
    if way in ("in_person", "phone"):
        stmt = stmt.where(VisitEntry.in_person.is_(way == "in_person"))
    if case_no.strip():
        stmt = stmt.join(FamilyCase, FamilyCase.id == VisitEntry.case_id).where(
            FamilyCase.case_no.contains(case_no.strip().upper(), autoescape=True))
    # the page's 50 cases by key after the page is chosen, not joined to every listed family before it is
    stmt = stmt.options(selectinload(VisitEntry.case)).order_by(VisitEntry.in_person.desc(), VisitEntry.case_id)
    pagination = db.paginate(stmt, page=page, per_page=LIST_PAGE, error_out=False)
    if pagination.pages and page > pagination.pages:  # past the end (an old link, an edited URL): the last page
        pagination = db.paginate(stmt, page=pagination.pages, per_page=LIST_PAGE, error_out=False)
    rule_set = db.session.get(RuleSet, campaign.rule_set_id)
    if latest_run is not None and latest_run.status == DocumentStatus.DONE:
        counts = dict(latest_run.counts or {})
    else:
        counts = {}
        for (codes,) in db.session.execute(sa.select(VisitEntry.indicators).where(
                VisitEntry.campaign_id == campaign.id, VisitEntry.tenant_id == county_id)):
            for code in codes or ():
                counts[code] = counts.get(code, 0) + 1
    ticks: dict = {}
    shown = [e.case_id for e in pagination.items]
    if shown:
        for case_id, code, reason in db.session.execute(sa.select(
                ManualIndicator.case_id, ManualIndicator.code, ManualIndicator.reason).where(
                ManualIndicator.campaign_id == campaign.id, ManualIndicator.case_id.in_(shown))):
            ticks.setdefault(case_id, {})[code] = reason
    return CountyList(pagination, rule_set, total, in_person, counts, ticks)


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

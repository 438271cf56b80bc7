"""Demo campaigns (development only): last Lunar New Year's campaign, over, with
臺北市's families visited (so the results report has something to count), and
the coming one, opened with seed 004's rules and 臺北市's list computed."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from ..accounts.models import Membership, User
from ..cases.models import CaseMember, FamilyCase
from ..core import tenancy
from ..extensions import db
from ..tenants.models import County
from . import services
from .models import Campaign, VisitEntry, VisitMethod

# 116年 (2027) 春節: 除夕 2/5 through 初五 2/10 (the ministry adjusts dates when it opens a real campaign).
HOLIDAY = (date(2027, 2, 5), date(2027, 2, 10))
# 115年 (2026) 春節: 2/14 through 2/22.
LAST_HOLIDAY = (date(2026, 2, 14), date(2026, 2, 22))


def seed_demo_campaign() -> int:
    if db.session.scalars(sa.select(Campaign.id)).first():
        return 0
    ministry = db.session.scalars(sa.select(User).where(User.username == "moh.protect")).one()
    taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
    last = services.open_campaign("115年春節加強關懷弱勢實施計畫", *LAST_HOLIDAY, ministry)
    campaign = services.open_campaign("116年春節加強關懷弱勢實施計畫", *HOLIDAY, ministry)
    with tenancy.tenant_scope(taipei.id):
        _give_demo_families_indicators(campaign, ministry)
        services.compute_list(last, taipei.id, on=last.starts_on)
        _visit_last_years_families(last)
        result = services.compute_list(campaign, taipei.id)
    return result["listed"] + 1


def _visit_last_years_families(campaign) -> None:
    """Each listed family visited by its visiting unit: in person where required (the first one after an
    attempt, with 急難紓困), by phone otherwise (實物給付, a referral)."""
    entries = db.session.scalars(sa.select(VisitEntry).where(VisitEntry.campaign_id == campaign.id)
                                 .order_by(VisitEntry.id)).all()
    for n, entry in enumerate(entries):
        membership = db.session.scalars(sa.select(Membership).where(Membership.unit_id == entry.visiting_unit_id)
                                        .order_by(Membership.id)).first()
        if membership is None:
            continue
        on = campaign.holiday_start - timedelta(days=5 - n % 4)
        children = [{"member_id": m.id, "name": m.name, "seen": entry.in_person, "care_ok": True}
                    for m in db.session.scalars(sa.select(CaseMember).where(
                        CaseMember.case_id == entry.case_id, CaseMember.relation == "child").order_by(CaseMember.id))]
        if not children:
            continue
        if n == 0:
            services.record_visit(entry, membership.user, membership, visited_on=on - timedelta(days=1),
                                  method=VisitMethod.NOT_REACHED)
        if entry.in_person:
            services.record_visit(entry, membership.user, membership, visited_on=on, method=VisitMethod.IN_PERSON,
                                  persons_seen="案母、兒少", children=children, needs="年節期間經濟壓力",
                                  services=[{"kind": "emergency_cash", "amount": 6000}])
        else:
            services.record_visit(entry, membership.user, membership, visited_on=on, method=VisitMethod.PHONE,
                                  persons_seen="案母", children=children, services=[{"kind": "in_kind"}],
                                  referrals="轉介食物銀行")


def _give_demo_families_indicators(campaign, user) -> None:
    """Make a few demo families meet the rules: a mother under drug-risk tracking (一級C), a child home
    from placement two months ago (一級B), a young mother with a toddler (二級A + C), a major event (一級D)."""
    def members(family_name):
        case = db.session.scalars(sa.select(FamilyCase).where(FamilyCase.family_name == family_name)
                                  .order_by(FamilyCase.id)).first()
        return case, (db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == case.id)
                                         .order_by(CaseMember.id)).all() if case else [])

    case, people = members("洪○○家")
    if people:
        people[0].flags = list(set(people[0].flags or []) | {"drug"})
    case, people = members("郭○○家")
    if len(people) > 1:
        # two months before the campaign, but never a day in the future (the household form refuses those)
        people[1].placement_ended_on = min(campaign.starts_on - timedelta(days=60), services.today() - timedelta(days=1))
    case, people = members("邱○○家")
    if len(people) > 1:
        people[0].birth_date = campaign.starts_on.replace(year=campaign.starts_on.year - 19)
        people[1].birth_date = campaign.starts_on.replace(year=campaign.starts_on.year - 2)
    case, _ = members("曾○○家")
    if case is not None:
        services.tick(campaign, case, "1D", "案父 12 月遭資遣，家庭經濟驟變", user)
    db.session.flush()

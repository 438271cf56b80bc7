"""Demo campaign (development only): the coming Lunar New Year's campaign,
opened with seed 004's rules, and 臺北市's visit list computed."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ..accounts.models import User
from ..core import tenancy
from ..extensions import db
from ..tenants.models import County
from . import services
from .models import Campaign

# 116年 (2027) 春節: 除夕 2/5 through 初五 2/10 (the ministry adjusts dates when it opens a real campaign).
HOLIDAY = (date(2027, 2, 5), date(2027, 2, 10))


def seed_demo_campaign() -> int:
    if db.session.scalars(sa.select(Campaign.id)).first():
        return 0
    ministry = db.session.scalars(sa.select(User).where(User.username == "moh.protect")).one()
    campaign = services.open_campaign("116年春節加強關懷弱勢實施計畫", *HOLIDAY, ministry)
    taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
    with tenancy.tenant_scope(taipei.id):
        _give_demo_families_indicators(campaign, ministry)
        result = services.compute_list(campaign, taipei.id)
    return result["listed"] + 1


def _give_demo_families_indicators(campaign, user) -> None:
    """Make a few demo families meet the rules: a mother under drug-risk tracking (一級C), a child home
    from placement two months ago (一級B), a young mother with a toddler (二級A + C), a major event (一級D)."""
    from datetime import timedelta

    from ..cases.models import CaseMember, FamilyCase

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
        people[1].placement_ended_on = campaign.starts_on - timedelta(days=60)
    case, people = members("邱○○家")
    if len(people) > 1:
        people[0].birth_date = campaign.starts_on.replace(year=campaign.starts_on.year - 19)
        people[1].birth_date = campaign.starts_on.replace(year=campaign.starts_on.year - 2)
    case, _ = members("曾○○家")
    if case is not None:
        services.tick(campaign, case, "1D", "案父 12 月遭資遣，家庭經濟驟變", user)
    db.session.flush()

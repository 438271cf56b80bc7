"""The partner directory's starting entries (HSDS core: organisation, service,
service area), for the three partner organisations of the reference data."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..tenants.models import PartnerOrganisation
from .models import PartnerService

SERVICES = [
    ("家扶基金會", "兒少及家庭支持服務", "經濟扶助、兒少課後照顧、親職教育與家庭訪視。", "（02）2351-6948", "本季尚可收案約 15 戶"),
    ("家扶基金會", "急難救助與物資", "急難救助金、食物與生活物資提供。", "（02）2351-6948", ""),
    ("世界展望會", "兒少資助與陪伴", "弱勢兒少長期資助、課業輔導與陪伴。", "0800-078-585", "額滿時列入候補"),
    ("善牧基金會", "婦女及兒少保護服務", "受暴婦女庇護、目睹暴力兒少輔導、創傷復原。", "（02）2381-5402", "庇護床位需先電洽"),
]


def seed_partner_services() -> int:
    made = 0
    for short, name, description, contact, capacity in SERVICES:
        org = db.session.scalars(sa.select(PartnerOrganisation).where(PartnerOrganisation.short_name == short)).first()
        if org is None:
            continue
        exists = db.session.scalars(sa.select(PartnerService.id).where(PartnerService.partner_org_id == org.id,
                                                                       PartnerService.name == name)).first()
        if exists:
            continue
        db.session.add(PartnerService(partner_org_id=org.id, name=name, description=description,
                                      county_ids=[c.id for c in org.counties], contact=contact, capacity_note=capacity))
        made += 1
    db.session.flush()
    return made

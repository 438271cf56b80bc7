"""Read models of referrals that pages share: a unit's two boxes and their counts."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..cases.models import CaseUnit, CaseUnitRole
from ..core.models import utcnow
from ..extensions import db
from .models import OPEN_REFERRAL_STATUSES, Referral, ReferralStatus

BOXES = ("received", "sent")
STATUS_FILTERS = ("waiting", "returned", "in_service")


def received_by(membership):
    """The condition of referrals addressed to the membership's unit (a partner: to its organisation)."""
    unit = membership.unit
    if unit.is_partner_unit:
        return Referral.to_partner_org_id == unit.partner_org_id
    return Referral.to_unit_id == unit.id


def sent_by(membership):
    """What the unit sent, and what it took over with the lead of a case (a referral follows the
    case to its current lead)."""
    led = sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == membership.unit_id, CaseUnit.role == CaseUnitRole.LEAD)
    return sa.or_(Referral.from_unit_id == membership.unit_id,
                  sa.and_(Referral.case_id.in_(led), Referral.tenant_id == membership.county_id,
                          sa.or_(Referral.to_unit_id.is_(None), Referral.to_unit_id != membership.unit_id)))


def box_condition(membership, box: str):
    return sent_by(membership) if box == "sent" else received_by(membership)


def work(membership, now: datetime | None = None) -> dict:
    """The unit's referral counts in one query: waiting for its answer (and past the reply deadline),
    in service (a partner records services on these), open either way, and all-time totals of each box
    (which box the unit mostly works in)."""
    now = now or utcnow()
    count = sa.func.count(Referral.id)
    received, sent = received_by(membership), sent_by(membership)
    is_open = Referral.status.in_(OPEN_REFERRAL_STATUSES)
    waiting = Referral.status == ReferralStatus.WAITING
    if membership.unit.is_partner_unit:
        sent = sa.false()  # a partner sends none
    row = db.session.execute(sa.select(
        count.filter(received, waiting),
        count.filter(received, waiting, Referral.deadline_at < now),
        count.filter(received, Referral.status == ReferralStatus.IN_SERVICE),
        count.filter(received, is_open),
        count.filter(sent, is_open),
        count.filter(sent, Referral.status == ReferralStatus.RETURNED),
        count.filter(received),
        count.filter(sent),
    ).where(sa.or_(received, sent))).one()
    return {"waiting": row[0], "waiting_overdue": row[1], "in_service": row[2], "received_open": row[3],
            "sent_open": row[4], "sent_returned": row[5], "received_all": row[6], "sent_all": row[7]}


def home_box(membership) -> str:
    """The tab a referral list opens on: 收到的 for a unit that mostly receives (and a partner, which only
    receives), 送出的 for one that mostly sends."""
    if membership.unit.is_partner_unit:
        return "received"
    counts = work(membership)
    return "sent" if counts["sent_all"] > counts["received_all"] else "received"

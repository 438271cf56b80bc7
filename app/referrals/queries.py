"""Read models of referrals: a unit's two boxes and their counts (pages share them), and what each
referral page reads (the inbox, one referral's history, the directory, disputes, notifications)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import Role
from ..core.models import utcnow
from ..extensions import db
from ..tenants.models import SERVING_UNIT_KINDS, PartnerOrganisation, Unit
from . import disputes
from .models import (
    OPEN_REFERRAL_STATUSES,
    Dispute,
    LeadHandover,
    Notification,
    PartnerService,
    PartnerServiceRecord,
    Referral,
    ReferralEvent,
    ReferralStatus,
)

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
    case to its current lead, ``Referral.case_lead_unit_id``). Both sides are index look-ups with
    status and deadline (``ix_referrals_sent``, ``ix_referrals_led``)."""
    unit_id = membership.unit_id
    return sa.or_(Referral.from_unit_id == unit_id,
                  sa.and_(Referral.case_lead_unit_id == unit_id, Referral.tenant_id == membership.county_id,
                          sa.or_(Referral.to_unit_id.is_(None), Referral.to_unit_id != unit_id)))


def box_condition(membership, box: str):
    return sent_by(membership) if box == "sent" else received_by(membership)


def work(membership, now: datetime | None = None) -> dict:
    """The unit's open referral counts in one query over its open referrals (index look-ups by unit,
    status and deadline): waiting for its answer (and past the reply deadline), in service (a partner
    records services on these), open in either box, and returned to the sender."""
    now = now or utcnow()
    count = sa.func.count(Referral.id)
    received, sent = received_by(membership), sent_by(membership)
    waiting = Referral.status == ReferralStatus.WAITING
    if membership.unit.is_partner_unit:
        sent = sa.false()  # a partner sends none
    row = db.session.execute(sa.select(
        count.filter(received, waiting),
        count.filter(received, waiting, Referral.deadline_at < now),
        count.filter(received, Referral.status == ReferralStatus.IN_SERVICE),
        count.filter(received),
        count.filter(sent),
        count.filter(sent, Referral.status == ReferralStatus.RETURNED),
    ).where(sa.or_(received, sent), Referral.status.in_(OPEN_REFERRAL_STATUSES))).one()
    return {"waiting": row[0], "waiting_overdue": row[1], "in_service": row[2], "received_open": row[3],
            "sent_open": row[4], "sent_returned": row[5]}


def home_box(membership) -> str:
    """The tab a referral list opens on: where the unit has more open referrals, 收到的 or 送出的
    (收到的 on a tie, and always for a partner, which only receives)."""
    if membership.unit.is_partner_unit:
        return "received"
    counts = work(membership)
    return "sent" if counts["sent_open"] > counts["received_open"] else "received"


# --- The pages' read models ---------------------------------------------------------------------

def receiving_units(county_id: int) -> list[Unit]:
    """The county's active units a referral, a hand-over or a decision can name (centres and teams)."""
    return db.session.scalars(sa.select(Unit).where(Unit.county_id == county_id, Unit.kind.in_(SERVING_UNIT_KINDS),
                                                    Unit.is_active.is_(True)).order_by(Unit.kind, Unit.id)).all()


def units(county_id: int | None = None) -> list[Unit]:
    """Every unit (or the county's): what a posted unit choice is checked against."""
    stmt = sa.select(Unit)
    if county_id is not None:
        stmt = stmt.where(Unit.county_id == county_id)
    return db.session.scalars(stmt).all()


def partner_services(county_id: int | None = None) -> list[PartnerService]:
    """The directory's active services, with their organisation; only those serving the county when given."""
    rows = db.session.scalars(sa.select(PartnerService).options(joinedload(PartnerService.organisation))
                              .where(PartnerService.is_active.is_(True)).order_by(PartnerService.partner_org_id)).all()
    return [s for s in rows if county_id is None or county_id in s.county_ids]


def partner_organisations() -> list[PartnerOrganisation]:
    return db.session.scalars(sa.select(PartnerOrganisation).order_by(PartnerOrganisation.name)).all()


def inbox(membership, box: str, *, status: str, only_open: bool, page: int):
    """One page (30) of a box, soonest reply deadline first: a status filter, or open ones only."""
    # the units, partner and county of the page's 30 rows are read after the sort, not joined to every
    # row of the box before it (thousands for a 家防中心)
    stmt = sa.select(Referral).where(box_condition(membership, box)).options(
        selectinload(Referral.from_unit), selectinload(Referral.to_unit), selectinload(Referral.to_partner),
        selectinload(Referral.to_county))
    if status:
        stmt = stmt.where(Referral.status == status)
    elif only_open:
        stmt = stmt.where(Referral.status.in_(OPEN_REFERRAL_STATUSES))
    stmt = stmt.order_by(Referral.deadline_at, Referral.id)
    return db.paginate(stmt, page=page, per_page=30, error_out=False)


@dataclass
class ReferralPage:
    """What one referral's page shows beside the referral: its history and the partner's service records."""

    events: list[ReferralEvent]
    records: list[PartnerServiceRecord]


def referral_page(referral: Referral) -> ReferralPage:
    events = db.session.scalars(sa.select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                                .order_by(ReferralEvent.at, ReferralEvent.id)).all()
    records = db.session.scalars(sa.select(PartnerServiceRecord).where(PartnerServiceRecord.referral_id == referral.id)
                                 .order_by(PartnerServiceRecord.on)).all()
    return ReferralPage(events, records)


def notifications(user_id: int, limit: int = 100) -> list[Notification]:
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id)
                              .order_by(Notification.at.desc()).limit(limit)).all()


def handover(case_id: int, handover_id: int) -> LeadHandover | None:
    return db.session.scalars(sa.select(LeadHandover).where(LeadHandover.id == handover_id,
                                                            LeadHandover.case_id == case_id)).first()


def open_disputes(membership) -> list[Dispute]:
    """The disputes still open, oldest first: all of the county's for its administrator, else the unit's own."""
    stmt = disputes.open_disputes_stmt().options(joinedload(Dispute.case), joinedload(Dispute.filed_by_unit),
                                                 joinedload(Dispute.other_unit))
    if membership.role != Role.COUNTY_ADMIN:
        stmt = stmt.where(sa.or_(Dispute.filed_by_unit_id == membership.unit_id,
                                 Dispute.other_unit_id == membership.unit_id))
    return db.session.scalars(stmt).all()

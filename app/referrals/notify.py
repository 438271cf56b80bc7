"""In-app notifications: one row per person, unread until opened.

The notices of the referral area's workflows (referrals, county transfers, disputes, lead
hand-overs) are written here, by a subscriber to the engine's signal (``core.workflow.fired``),
connected by the app factory (``install``): the services fire transitions and name nobody."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import Membership, Role, User
from ..cases.models import FamilyCase
from ..core import workflow
from ..core.models import utcnow
from ..extensions import db
from ..tenants.models import Unit, UnitKind
from . import sides
from .models import DisputeStatus, HandoverStatus, Notification, Referral, ReferralKind


def people_of_unit(unit_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Membership.user_id).join(User).where(
        Membership.unit_id == unit_id, User.active.is_(True)).distinct()))


def supervisors_of_unit(unit_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Membership.user_id).join(User).where(
        Membership.unit_id == unit_id, Membership.role == Role.SUPERVISOR, User.active.is_(True)).distinct()))


def people_of_partner(org_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Membership.user_id).join(Unit, Unit.id == Membership.unit_id).join(User)
                                   .where(Unit.partner_org_id == org_id, User.active.is_(True)).distinct()))


def notify(user_ids, text: str, url: str, *, skip: int | None = None) -> None:
    for user_id in set(user_ids) - {skip}:
        db.session.add(Notification(user_id=user_id, text=text[:300], url=url))


def unread_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)))


def mark_read(user_id: int) -> None:
    db.session.execute(sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))


def other_side(referral: Referral, membership: Membership | None, text: str) -> None:
    """A referral's news to the side that did not act: the sending side (the case's lead and the
    unit that sent it) and, unless the receiver acted, the receiver."""
    url = f"/referrals/{referral.id}"
    side = sides.side_of(referral, membership) if membership is not None else None
    actor_unit = membership.unit_id if membership is not None else None
    for unit_id in sides.sender_units(referral) - {actor_unit}:
        notify(people_of_unit(unit_id), text, url)
    if side != "receiver":
        if referral.kind == ReferralKind.PARTNER:
            notify(people_of_partner(referral.to_partner_org_id), text, url)
        elif referral.to_unit_id:
            notify(people_of_unit(referral.to_unit_id), text, url)


# --- the workflows' notices ------------------------------------------------------------------

def _referral_fired(firing: workflow.Firing) -> None:
    referral, name = firing.record, firing.transition.name
    if name == "send":
        other_side(referral, firing.membership,
                   f"新轉介 {referral.referral_no}：{firing.extra.get('family_name', '')}（{referral.reason[:40]}）")
    elif name == "receive_forwarded":
        notify(people_of_unit(referral.to_unit_id), f"再轉轉介 {referral.referral_no}", f"/referrals/{referral.id}")
    else:
        other_side(referral, firing.membership, f"轉介 {referral.referral_no}：{firing.after.label}"
                   + (f"（{firing.reason[:60]}）" if firing.reason else ""))


def _bureau_of(county_id: int) -> Unit | None:
    return db.session.scalars(sa.select(Unit).where(Unit.county_id == county_id,
                                                    Unit.kind == UnitKind.SOCIAL_AFFAIRS_BUREAU)).first()


def _dispute_fired(firing: workflow.Firing) -> None:
    dispute, name = firing.record, firing.transition.name
    case = dispute.case
    url = f"/disputes/{dispute.id}"
    if name == "file":
        notify(people_of_unit(dispute.other_unit_id), f"{case.case_no} 有新的爭議案件待回應", url)
    elif firing.after == DisputeStatus.AWAITING_ARBITER:
        bureau = _bureau_of(case.tenant_id)
        if bureau is not None:
            notify(people_of_unit(bureau.id), f"{case.case_no} 爭議案件待裁決", url)
    elif name == "decide":
        for unit_id in {dispute.filed_by_unit_id, dispute.other_unit_id}:
            notify(people_of_unit(unit_id), f"{case.case_no} 爭議已裁決：{firing.extra['outcome'].label}", url,
                   skip=firing.actor_id)
    elif name == "withdraw":
        told = {dispute.other_unit_id}
        bureau = _bureau_of(case.tenant_id) if firing.before == DisputeStatus.AWAITING_ARBITER else None
        if bureau is not None:
            told.add(bureau.id)  # it was waiting for the arbiter's decision
        said = firing.reason.removeprefix(f"{dispute.filed_by_unit.name}撤回：")  # the unit is named once
        for unit_id in told:
            notify(people_of_unit(unit_id), f"{case.case_no} 爭議 #{dispute.id} 已由{dispute.filed_by_unit.name}撤回："
                   f"{said}", url, skip=firing.actor_id)


def _handover_fired(firing: workflow.Firing) -> None:
    handover = firing.record
    case = db.session.get(FamilyCase, handover.case_id)
    url = f"/cases/{case.id}"
    if firing.after == HandoverStatus.PENDING:
        notify(people_of_unit(handover.to_unit_id), f"{case.case_no} 請求由貴單位接任主責", url)
    elif firing.after == HandoverStatus.DECLINED:  # an accepted hand-over is told by joint.change_lead
        notify(people_of_unit(handover.from_unit_id), f"{case.case_no} 主責移轉未被接受", url)
    elif firing.after == HandoverStatus.CANCELLED:
        notify(people_of_unit(handover.to_unit_id), f"{case.case_no} 主責移轉請求已由{handover.from_unit.name}取消"
               + (f"：{firing.reason}" if firing.reason else ""), url, skip=firing.actor_id)


def _case_fired(firing: workflow.Firing) -> None:
    """Approvals wait for the supervisors of the case's lead unit: they are told when one is asked."""
    case, name = firing.record, firing.transition.name
    waiting = {"submit_opening": "待開案審核", "propose_closing": "待結案審核"}.get(name)
    lead = case.lead_unit
    if waiting is not None and lead is not None:
        notify(supervisors_of_unit(lead.id), f"{case.case_no} {case.family_name} {waiting}（{firing.actor_name} 送審）",
               f"/cases/{case.id}", skip=firing.actor_id)


_BY_WORKFLOW = {"case": _case_fired, "referral": _referral_fired, "county_transfer": _referral_fired, "dispute": _dispute_fired,
                "lead_handover": _handover_fired}


def _fired(sender, firing: workflow.Firing) -> None:
    told = _BY_WORKFLOW.get(sender.name)
    if told is not None:
        told(firing)


def install(app) -> None:
    """Connected by the app factory (connecting twice is one connection)."""
    workflow.fired.connect(_fired)

"""Joint cases (共案): one lead unit and collaborating units; the lead can be
handed to a collaborator, who must accept. There is always exactly one lead."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import Membership, Role, User
from ..cases import services as cases
from ..cases.models import CaseUnit, CaseUnitRole, FamilyCase
from ..core.models import utcnow
from ..extensions import db
from ..tenants.models import Unit
from . import notify
from .models import HandoverStatus, LeadHandover


class JointError(ValueError):
    pass


def leads(case: FamilyCase) -> list[CaseUnit]:
    return [u for u in case.units if u.role == CaseUnitRole.LEAD]


def set_lead(case: FamilyCase, unit_id: int, *, old_lead: str = "collaborator") -> None:
    """Make ``unit_id`` the one lead. The old lead stays as a collaborator or leaves
    (``old_lead='remove'``). Demote first, then promote: the database allows at
    most one lead per case, and nobody outside this transaction sees the step between."""
    current = leads(case)
    for unit in current:
        if unit.unit_id == unit_id:
            continue
        if old_lead == "remove":
            case.units.remove(unit)
        else:
            unit.role = CaseUnitRole.COLLABORATOR
    db.session.flush()
    target = cases.unit_on_case(case, unit_id)
    if target is None:
        case.units.append(CaseUnit(tenant_id=case.tenant_id, unit_id=unit_id, role=CaseUnitRole.LEAD))
    else:
        target.role = CaseUnitRole.LEAD
    db.session.flush()
    assert len(leads(case)) == 1, "a case must have exactly one lead unit"


def request_handover(case: FamilyCase, user: User, membership: Membership, to_unit_id: int, reason: str) -> LeadHandover:
    if not cases.is_lead_supervisor(case, membership):
        raise JointError("主責移轉需由主責單位督導提出。")
    target = cases.unit_on_case(case, to_unit_id)
    if target is None or target.role != CaseUnitRole.COLLABORATOR:
        raise JointError("只能移轉給本案的協力單位。")
    if not reason.strip():
        raise JointError("請寫明移轉主責的理由。")
    pending = db.session.scalars(sa.select(LeadHandover).where(LeadHandover.case_id == case.id,
                                                               LeadHandover.status == HandoverStatus.PENDING)).first()
    if pending is not None:
        raise JointError("已有一筆待接受的主責移轉。")
    unit = db.session.get(Unit, to_unit_id)
    handover = LeadHandover(tenant_id=case.tenant_id, case_id=case.id, from_unit_id=membership.unit_id,
                            to_unit=unit, reason=reason.strip(), requested_by_id=user.id)  # the entry names it
    db.session.add(handover)
    cases.add_event(case, "handover", f"提出主責移轉至 {unit.name}：{reason.strip()}", user, membership)
    notify.notify(notify.people_of_unit(to_unit_id), f"{case.case_no} 請求由貴單位接任主責", f"/cases/{case.id}")
    db.session.flush()
    return handover


def answer_handover(handover: LeadHandover, case: FamilyCase, user: User, membership: Membership, accept: bool,
                    note: str = "") -> None:
    if handover.status != HandoverStatus.PENDING:
        raise JointError("此主責移轉已處理。")
    if membership.unit_id != handover.to_unit_id or membership.role != Role.SUPERVISOR:
        raise JointError("需由受移轉單位的督導回應。")
    if not accept and not note.strip():
        raise JointError("不接受時請說明理由。")
    handover.status = HandoverStatus.ACCEPTED if accept else HandoverStatus.DECLINED
    handover.answered_by_id = user.id
    handover.answered_at = utcnow()
    handover.answer_note = note.strip()
    if accept:
        set_lead(case, handover.to_unit_id)
        case.assigned_worker_id = None  # the new lead assigns its own worker
    cases.add_event(case, "handover", f"{membership.unit.name}{'接受' if accept else '不接受'}主責移轉" + (f"：{note.strip()}" if note.strip() else ""),
                    user, membership)
    notify.notify(notify.people_of_unit(handover.from_unit_id),
                  f"{case.case_no} 主責移轉{'已被接受' if accept else '未被接受'}", f"/cases/{case.id}")
    db.session.flush()

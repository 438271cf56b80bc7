"""Joint cases (共案): one lead unit and collaborating units; the lead can be
handed to a collaborator, who must accept. There is always exactly one lead.

A lead hand-over is a workflow on the engine (``WORKFLOW``): proposed by the lead's
supervisor, accepted or declined by the collaborator's supervisor, or cancelled by
the unit that proposed it before it is answered. Each firing is an entry in the
family's timeline; the audit entry and the notices come from the engine's signal."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import Membership, Role, User
from ..cases import services as cases
from ..cases.models import CaseService, CaseUnit, CaseUnitRole, FamilyCase
from ..cases.reference import ServiceStatus
from ..core.errors import DomainError
from ..core.models import utcnow
from ..core.workflow import Firing, Transition, Workflow
from ..extensions import db
from ..tenants.models import Unit
from . import notify
from .models import FORMER_CHOICES, OPEN_REFERRAL_STATUSES, HandoverStatus, LeadHandover, Referral

H = HandoverStatus


class JointError(DomainError, ValueError):
    """A refusal, said in Chinese (the pages answer it with a flash; the workflow's refusals keep
    the engine's status: 409 state, 403 who)."""

    status = 422


# --- The hand-over workflow --------------------------------------------------------------

def _timeline(firing: Firing) -> None:
    """A hand-over's history is the family's timeline."""
    handover, m = firing.record, firing.membership
    if firing.after == H.PENDING:
        text = f"提出主責移轉至 {handover.to_unit.name}：{firing.reason}"
    else:
        verb = {H.ACCEPTED: "接受", H.DECLINED: "不接受", H.CANCELLED: "取消"}[firing.after]
        text = f"{m.unit.name}{verb}主責移轉" + (f"：{firing.reason}" if firing.reason else "")
    cases.add_event(db.session.get(FamilyCase, handover.case_id), "handover", text, firing.actor, m)


def _receiving_supervisor(handover, membership) -> bool:
    return membership is not None and membership.unit_id == handover.to_unit_id and membership.role == Role.SUPERVISOR


def _proposing_supervisor(handover, membership) -> bool:
    return membership is not None and membership.unit_id == handover.from_unit_id and membership.role == Role.SUPERVISOR


ANSWERER = "需由受移轉單位的督導回應。"
WORKFLOW = Workflow("lead_handover", label="主責移轉", states=HandoverStatus, record_type="lead_handovers",
                    describe=lambda h: f"主責移轉 #{h.id}", history=_timeline, error=JointError, transitions=[
    Transition("request", (None,), H.PENDING, "提出主責移轉"),
    Transition("accept", (H.PENDING,), H.ACCEPTED, "接受主責", may=_receiving_supervisor, refused=ANSWERER),
    Transition("decline", (H.PENDING,), H.DECLINED, "不接受", may=_receiving_supervisor, refused=ANSWERER),
    Transition("cancel", (H.PENDING,), H.CANCELLED, "取消移轉", may=_proposing_supervisor,
               refused="只有提出移轉的單位督導可以取消。"),
])


def _require(handover: LeadHandover, membership, name: str) -> None:
    t = WORKFLOW.transition(name)
    if t.may is not None and not t.may(handover, membership):
        raise JointError(t.refused, status=403)



def leads(case: FamilyCase) -> list[CaseUnit]:
    return [u for u in case.units if u.role == CaseUnitRole.LEAD]




def has_open_work(case: FamilyCase, unit_id: int) -> bool:
    """Whether the unit still serves the family here: an open referral it sent or receives on the
    case, or a planned service recorded by its people."""
    referral = db.session.scalars(sa.select(Referral.id).where(
        Referral.case_id == case.id, Referral.status.in_(OPEN_REFERRAL_STATUSES),
        sa.or_(Referral.from_unit_id == unit_id, Referral.to_unit_id == unit_id)).limit(1)).first()
    if referral is not None:
        return True
    people = sa.select(Membership.user_id).where(Membership.unit_id == unit_id)
    return db.session.scalars(sa.select(CaseService.id).where(
        CaseService.case_id == case.id, CaseService.status == ServiceStatus.PLANNED,
        CaseService.recorded_by_id.in_(people)).limit(1)).first() is not None


def _former_role(case: FamilyCase, unit_id: int, former: str) -> CaseUnitRole:
    if former == "collaborator":
        return CaseUnitRole.COLLABORATOR
    if former == "former":
        return CaseUnitRole.FORMER
    if former != "auto":
        raise JointError("請選擇原主責單位的去留。")
    return CaseUnitRole.COLLABORATOR if has_open_work(case, unit_id) else CaseUnitRole.FORMER


def set_lead(case: FamilyCase, unit_id: int, *, old_lead: str = "collaborator") -> dict[int, CaseUnitRole]:
    """Make ``unit_id`` the one lead. The old lead stays as a collaborator or as a read-only
    former lead (``old_lead``: 'collaborator', 'former', or 'auto' = collaborator while it has
    open referrals or services): a change of lead never takes a unit off the case. Demote
    first, then promote: the database allows at most one lead per case, and nobody outside
    this transaction sees the step between. Returns {former lead unit id: its new role}."""
    changed: dict[int, CaseUnitRole] = {}
    for unit in leads(case):
        if unit.unit_id == unit_id:
            continue
        unit.role = _former_role(case, unit.unit_id, old_lead)
        changed[unit.unit_id] = unit.role
    db.session.flush()
    target = cases.unit_on_case(case, unit_id)
    if target is None:
        case.units.append(CaseUnit(tenant_id=case.tenant_id, unit_id=unit_id, role=CaseUnitRole.LEAD))
    else:
        target.role = CaseUnitRole.LEAD
    db.session.flush()
    assert len(leads(case)) == 1, "a case must have exactly one lead unit"
    # the case's referrals follow it: the new lead's 送出的 box finds them by this column
    db.session.execute(sa.update(Referral).where(Referral.case_id == case.id).values(case_lead_unit_id=unit_id)
                       .execution_options(synchronize_session="fetch"))
    return changed


def step_back(case: FamilyCase, unit_id: int) -> None:
    """A unit a decision takes off the case keeps reading it (what it wrote, the referrals it sent)."""
    on = cases.unit_on_case(case, unit_id)
    if on is not None and on.role != CaseUnitRole.LEAD:
        on.role = CaseUnitRole.FORMER


def change_lead(case: FamilyCase, unit_id: int, *, old_lead: str, why: str, user=None, membership=None) -> None:
    """Every change of lead (dispute decision or agreement, hand-over) goes through here: one
    lead after it, the former lead kept on the case as the decision says, the open referrals
    following the case to the new lead (``services.side_of``), and both units told."""
    before = case.lead_unit
    changed = set_lead(case, unit_id, old_lead=old_lead)
    if before is None or before.id == unit_id:
        return
    case.assigned_worker_id = None  # the new lead assigns its own worker
    new = db.session.get(Unit, unit_id)
    role = changed.get(before.id)
    stays = "留任協力單位" if role == CaseUnitRole.COLLABORATOR else "保留唯讀閱覽"
    cases.add_event(case, "lead", f"主責由 {before.name} 改為 {new.name}（{why}）；{before.name}{stays}；"
                    "進行中的轉介改由新主責接續", user, membership)
    url = f"/cases/{case.id}"
    skip = getattr(user, "id", None)
    notify.notify(notify.supervisors_of_unit(unit_id),
                  f"{case.case_no} {case.family_name} 改由貴單位主責（{why}），請指派社工", url, skip=skip)
    notify.notify(notify.people_of_unit(before.id),
                  f"{case.case_no} {case.family_name} 主責已改為 {new.name}（{why}）；貴單位{stays}", url, skip=skip)
    db.session.flush()


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
    WORKFLOW.start(handover, "request", actor=user, membership=membership, reason=reason.strip())
    db.session.flush()
    return handover


def answer_handover(handover: LeadHandover, case: FamilyCase, user: User, membership: Membership, accept: bool,
                    note: str = "") -> None:
    if handover.status != HandoverStatus.PENDING:
        raise JointError(f"此主責移轉已處理（目前為「{handover.status.label}」），無法再回應。", status=409)
    _require(handover, membership, "accept")
    if not accept and not note.strip():
        raise JointError("不接受時請說明理由。")
    handover.answered_by_id = user.id
    handover.answered_at = utcnow()
    handover.answer_note = note.strip()
    if accept:
        change_lead(case, handover.to_unit_id, old_lead="collaborator", why="主責移轉", user=user, membership=membership)
    WORKFLOW.fire(handover, "accept" if accept else "decline", actor=user, membership=membership,
                  reason=note.strip(), check_may=False)
    db.session.flush()


def cancel_handover(handover: LeadHandover, user: User, membership: Membership, note: str = "") -> None:
    """The unit that proposed a hand-over takes it back before it is answered: the lead stays where
    it is, the unit it was offered to is told."""
    _require(handover, membership, "cancel")
    if handover.status != HandoverStatus.PENDING:
        raise JointError(f"此主責移轉目前為「{handover.status.label}」，已無法取消。", status=409)
    handover.answered_by_id = user.id
    handover.answered_at = utcnow()
    handover.answer_note = note.strip()
    WORKFLOW.fire(handover, "cancel", actor=user, membership=membership, reason=note.strip(), check_may=False)
    db.session.flush()

"""爭議案件處理機制: the serving unit files, the other side answers within the
county's working days, agreement carries the outcome out, disagreement or
silence goes to the county arbiter, who decides. The current lead keeps serving
throughout: no family is ever without a lead unit."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import Membership, Role, User
from ..cases import services as cases
from ..cases.models import CaseStatus, CaseUnit, CaseUnitRole, FamilyCase
from ..core.errors import DomainError
from ..core.models import utcnow
from ..core.workflow import Firing, Transition, Workflow
from ..extensions import db
from ..intake import services as intake
from ..tenants.models import Unit, UnitKind
from . import joint
from .models import Dispute, DisputeOutcome, DisputeStatus, Referral, ReferralStatus
from .services import RECEIVING_KINDS

D = DisputeStatus


class DisputeError(DomainError, ValueError):
    """A refusal, said in Chinese (422 where the pages answer it; the workflow's refusals keep
    the engine's status: 409 state, 403 who)."""

    status = 422


# --- The workflow -----------------------------------------------------------------------

def _timeline(firing: Firing) -> None:
    """A dispute's history is the family's timeline: one entry a firing (filing says what was proposed)."""
    dispute = firing.record
    text = (firing.extra.get("timeline") or "").replace("{id}", str(dispute.id), 1) or f"爭議 #{dispute.id}：{firing.after.label}（{firing.reason}）"
    cases.add_event(dispute.case, "dispute", text, firing.actor, firing.membership)


def _other_side(dispute, membership) -> bool:
    return membership is not None and membership.unit_id == dispute.other_unit_id


def _arbiter(dispute, membership) -> bool:
    return (membership is not None and membership.role == Role.COUNTY_ADMIN
            and membership.county_id == dispute.case.tenant_id)


def _filer(dispute, membership) -> bool:
    return membership is not None and membership.unit_id == dispute.filed_by_unit_id


RESPONDER = "需由原派案或轉介單位回應。"
# The response deadline (``response_due``) is started by filing, the decision deadline (``decision_due``)
# by sending the dispute to the arbiter: rules "dispute.response" and "dispute.decision" of ``core.deadlines``.
WORKFLOW = Workflow("dispute", label="爭議", states=DisputeStatus, record_type="disputes",
                    describe=lambda d: f"爭議 #{d.id}", history=_timeline, error=DisputeError, transitions=[
    Transition("file", (None,), D.AWAITING_RESPONSE, "提出爭議", deadline="dispute.response", due_attr="response_due"),
    Transition("agree", (D.AWAITING_RESPONSE,), D.AGREED, "同意", may=_other_side, refused=RESPONDER),
    Transition("disagree", (D.AWAITING_RESPONSE,), D.AWAITING_ARBITER, "不同意，送縣市裁決", may=_other_side,
               refused=RESPONDER, deadline="dispute.decision", due_attr="decision_due"),
    Transition("escalate", (D.AWAITING_RESPONSE,), D.AWAITING_ARBITER, "逾期未回應，送縣市裁決",
               deadline="dispute.decision", due_attr="decision_due"),  # the daily sweep
    Transition("decide", (D.AWAITING_ARBITER,), D.DECIDED, "裁決", may=_arbiter, refused="爭議由縣市管理者（社會局／處）裁決。"),
    Transition("withdraw", (D.AWAITING_RESPONSE, D.AWAITING_ARBITER), D.WITHDRAWN, "撤回爭議", may=_filer,
               refused="只有提出爭議的單位可以撤回爭議。"),
])
OPEN = (D.AWAITING_RESPONSE, D.AWAITING_ARBITER)


def _require(dispute: Dispute, membership, name: str) -> None:
    t = WORKFLOW.transition(name)
    if t.may is not None and not t.may(dispute, membership):
        raise DisputeError(t.refused, status=403)



def sender_of(case: FamilyCase, unit_id: int) -> Unit:
    """Who sent the family to this unit: the referring unit, else the county's dispatch centre."""
    referral = db.session.scalars(sa.select(Referral).where(
        Referral.case_id == case.id, Referral.to_unit_id == unit_id, Referral.status == ReferralStatus.IN_SERVICE)
        .order_by(Referral.id.desc())).first()
    if referral is not None:
        return referral.from_unit
    return db.session.scalars(sa.select(Unit).where(Unit.county_id == case.tenant_id,
                                                    Unit.kind == UnitKind.DISPATCH_CENTRE)).first()


def file(case: FamilyCase, user: User, membership: Membership, *, reason: str, proposed: DisputeOutcome,
         proposed_unit: Unit | None = None) -> Dispute:
    if not cases.can_write(case, membership):
        raise DisputeError("只有正在服務此家庭的單位可以提出爭議。")
    if case.status in (CaseStatus.CLOSED, CaseStatus.NOT_OPENED):
        raise DisputeError("已結案的個案不能提出爭議。")
    if proposed == DisputeOutcome.MAINTAIN:
        raise DisputeError("請提出建議的處理方式：退回、改派或共案。")
    if proposed in (DisputeOutcome.REASSIGN, DisputeOutcome.JOINT):
        if proposed_unit is None or proposed_unit.county_id != case.tenant_id or proposed_unit.kind not in RECEIVING_KINDS:
            raise DisputeError("改派或共案需指明本縣市的單位。")
    if not reason.strip():
        raise DisputeError("請寫明爭議理由。")
    if db.session.scalars(sa.select(Dispute.id).where(Dispute.case_id == case.id, Dispute.status.in_(OPEN))).first():
        raise DisputeError("此案已有進行中的爭議。")
    other = sender_of(case, membership.unit_id)
    dispute = Dispute(tenant_id=case.tenant_id, case_id=case.id, filed_by_unit_id=membership.unit_id,
                      other_unit_id=other.id, reason=reason.strip(), proposed=proposed,
                      proposed_unit_id=proposed_unit.id if proposed_unit else None, filed_by_id=user.id)
    db.session.add(dispute)
    WORKFLOW.start(dispute, "file", actor=user, membership=membership,
                   reason=reason.strip(), timeline=f"提出爭議 #{{id}}（建議{proposed.label}"
          + (f"：{proposed_unit.name}" if proposed_unit else "") + f"）：{reason.strip()}；服務持續中")
    db.session.flush()
    return dispute


def respond(dispute: Dispute, user: User, membership: Membership, *, agrees: bool, reason: str) -> None:
    case = dispute.case
    _require(dispute, membership, "agree")
    if not reason.strip():
        raise DisputeError("請寫明同意或不同意的理由。")
    dispute.response_agrees = agrees
    dispute.response_reason = reason.strip()
    dispute.responded_at = utcnow()
    if agrees:
        WORKFLOW.fire(dispute, "agree", actor=user, membership=membership,
                      reason=f"{membership.unit.name}同意：{reason.strip()}", check_may=False)
        carry_out(dispute, case, dispute.proposed, dispute.proposed_unit_id, [], user, membership)
    else:
        _escalate(dispute, case, "disagree", user, membership, f"{membership.unit.name}不同意：{reason.strip()}")
    db.session.flush()


def _escalate(dispute, case, name, user, membership, text):
    WORKFLOW.fire(dispute, name, actor=user, membership=membership, reason=text, check_may=False)
    dispute.escalated_at = utcnow()


def escalate_silent(now: datetime | None = None) -> int:
    """Disputes the other side left unanswered past the deadline go to the arbiter."""
    now = now or utcnow()
    overdue = db.session.scalars(sa.select(Dispute).where(Dispute.status == D.AWAITING_RESPONSE,
                                                          Dispute.response_due < now)).all()
    for dispute in overdue:
        _escalate(dispute, dispute.case, "escalate", None, None, "逾期未回應，送縣市裁決")
    db.session.flush()
    return len(overdue)


def decide(dispute: Dispute, user: User, membership: Membership, *, outcome: DisputeOutcome, reason: str,
           lead_unit: Unit | None = None, collaborators: list[Unit] | None = None, former_lead: str = "auto") -> None:
    """``former_lead``: what becomes of the lead a 改派 or 共案 replaces ('auto': it stays as
    協力 while it has open referrals or services, else keeps read access; 'collaborator'; 'former')."""
    case = dispute.case
    check_decision(dispute, membership, outcome=outcome, reason=reason, lead_unit=lead_unit)
    if former_lead not in joint.FORMER_CHOICES:
        raise DisputeError("請選擇原主責單位的去留。")
    collaborators = [u for u in collaborators or [] if u is not None]
    if outcome in (DisputeOutcome.REASSIGN, DisputeOutcome.JOINT):
        check_lead_not_collaborator(lead_unit.id, [u.id for u in collaborators])
        if any(u.county_id != case.tenant_id or u.kind not in RECEIVING_KINDS for u in collaborators):
            raise DisputeError("協力單位需為本縣市的社福中心、家防中心或衛生局心衛社工。")
    before = case.lead_unit
    WORKFLOW.fire(dispute, "decide", actor=user, membership=membership,
                  reason=f"裁決：{outcome.label}：{reason.strip()}", outcome=outcome, check_may=False)
    dispute.decision = outcome
    dispute.decision_reason = reason.strip()
    dispute.decision_lead_unit_id = lead_unit.id if lead_unit else None
    dispute.decision_collaborator_ids = [u.id for u in collaborators]
    dispute.decided_by_id = user.id
    dispute.decided_at = utcnow()
    carry_out(dispute, case, outcome, lead_unit.id if lead_unit else None, [u.id for u in collaborators], user, membership,
              former_lead=former_lead)
    if before is not None and case.lead_unit is not None and before.id != case.lead_unit.id:
        on = cases.unit_on_case(case, before.id)
        dispute.decision_former_role = on.role.value if on is not None else ""
    db.session.flush()


def check_lead_not_collaborator(lead_unit_id: int | None, collaborator_ids: list[int]) -> None:
    """One unit cannot be the lead and a collaborator of the same case at once."""
    if lead_unit_id and lead_unit_id in collaborator_ids:
        unit = db.session.get(Unit, lead_unit_id)
        raise DisputeError(f"「{unit.name if unit else '此單位'}」不能同時是主責單位與協力單位，請取消其中一項。")


def carry_out(dispute, case, outcome, lead_unit_id, collaborator_ids, user, membership, *, former_lead: str = "auto") -> None:
    if outcome == DisputeOutcome.MAINTAIN:
        return
    check_lead_not_collaborator(lead_unit_id, collaborator_ids)
    why = f"爭議 #{dispute.id} {outcome.label}"
    if outcome == DisputeOutcome.REASSIGN:
        joint.change_lead(case, lead_unit_id, old_lead=former_lead, why=why, user=user, membership=membership)
        if (dispute.filed_by_unit_id != lead_unit_id and dispute.filed_by_unit_id not in collaborator_ids
                and cases.unit_on_case(case, dispute.filed_by_unit_id) is not None):
            on = cases.unit_on_case(case, dispute.filed_by_unit_id)
            if on.role == CaseUnitRole.COLLABORATOR and not joint.has_open_work(case, on.unit_id):
                joint.step_back(case, on.unit_id)  # the filer asked to leave: it keeps reading what it wrote
        _keep_as_collaborators(case, collaborator_ids)  # a unit the arbiter ticked as 協力 serves on as 協力
    elif outcome == DisputeOutcome.JOINT:
        joint.change_lead(case, lead_unit_id, old_lead="collaborator", why=why, user=user, membership=membership)
        _keep_as_collaborators(case, [dispute.filed_by_unit_id, *collaborator_ids])
    elif outcome == DisputeOutcome.RETURN:
        # Back to the screening centre: a new entry in its queue, linked to the case; the
        # current lead keeps serving until the centre dispatches again.
        intake.requeue(case.tenant_id, source_name=f"爭議退回（{case.case_no}）", concerns=list(case.concerns),
                       narrative=f"爭議 #{dispute.id} 退回重新篩派：{dispute.reason}", case_id=case.id,
                       district_id=case.district_id, address=case.address, actor=user, membership=membership)
    db.session.flush()
    cases.add_event(case, "dispute", f"爭議結果執行：{outcome.label}；主責：{case.lead_unit.name if case.lead_unit else '—'}",
                    user, membership)


def open_disputes_stmt():
    return sa.select(Dispute).where(Dispute.status.in_(OPEN)).order_by(Dispute.filed_at)


def _keep_as_collaborators(case: FamilyCase, unit_ids) -> None:
    for unit_id in unit_ids:
        on = cases.unit_on_case(case, unit_id)
        if on is None:
            case.units.append(CaseUnit(tenant_id=case.tenant_id, unit_id=unit_id, role=CaseUnitRole.COLLABORATOR))
        elif on.role == CaseUnitRole.FORMER:
            on.role = CaseUnitRole.COLLABORATOR


def check_decision(dispute: Dispute, membership: Membership, *, outcome: DisputeOutcome, reason: str,
                   lead_unit: Unit | None = None) -> None:
    """The refusals of decide() that the confirmation step can tell before anything is done
    (DisputeError): who may decide, the dispute's state, a reason, a lead unit for 改派 / 共案."""
    case = dispute.case
    _require(dispute, membership, "decide")
    if dispute.status != D.AWAITING_ARBITER:
        raise DisputeError("此爭議目前不在待裁決。")
    if not reason.strip():
        raise DisputeError("請寫明裁決理由。")
    if outcome in (DisputeOutcome.REASSIGN, DisputeOutcome.JOINT):
        if lead_unit is None or lead_unit.county_id != case.tenant_id or lead_unit.kind not in RECEIVING_KINDS:
            raise DisputeError("改派或共案需指定本縣市的主責單位。")


def check_withdrawal(dispute: Dispute, membership: Membership, reason: str) -> None:
    """The refusals of withdraw() the confirmation step can tell first: who (the unit that raised
    it: 403), when (while it waits for the other side or the arbiter: 409), and a reason (422)."""
    _require(dispute, membership, "withdraw")
    if dispute.status not in OPEN:
        raise DisputeError(f"爭議目前為「{dispute.status.label}」，已無法撤回。", status=409)
    if not reason.strip():
        raise DisputeError("請寫明撤回爭議的理由。")


def withdraw(dispute: Dispute, user: User, membership: Membership, reason: str) -> None:
    """The unit that raised the dispute takes it back: the case's units stay as they are, the other
    side (and the arbiter, when it was waiting for a decision) is told."""
    check_withdrawal(dispute, membership, reason)
    dispute.withdrawn_at = utcnow()
    WORKFLOW.fire(dispute, "withdraw", actor=user, membership=membership,
                  reason=f"{membership.unit.name}撤回：{reason.strip()}", check_may=False)
    db.session.flush()

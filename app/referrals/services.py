"""Referrals as a closed loop (HL7 Gravity's social-care referral): every status
change visible to both sides, a reason for each refusal, an outcome at the end.

Two workflows on the engine (``core.workflow``), declared once below: a referral
within the county or to a partner (``WORKFLOW``), and a county transfer
(跨縣市轉銜, ``COUNTY_TRANSFER_WORKFLOW``: the receiving county's dispatch centre
accepts it by opening its own case). A firing writes the referral's history
(``ReferralEvent``: who, when, why and both sides); the audit entry and the
notices (``referrals.notify``) come from the engine's signal."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import Membership, Role, User
from ..cases import catalogue
from ..cases import documents as case_documents
from ..cases import services as cases
from ..cases.models import (
    AssessmentReport,
    CaseContact,
    CaseNote,
    CaseService,
    CaseStatus,
    CaseUnit,
    CaseUnitRole,
    FamilyCase,
    ServicePlan,
)
from ..core import tenancy
from ..core.errors import DomainError
from ..core.filters import TAIPEI, roc_date
from ..core.models import utcnow
from ..core.sequences import next_value
from ..core.workflow import Firing, Transition, Workflow
from ..extensions import db
from ..intake.models import Report
from ..intake.reference import Relation, Sex
from ..tenants.models import SERVING_UNIT_KINDS, County, Unit, UnitKind
from . import notify, sides
from .models import (
    SHAREABLE,
    DeclineReason,
    PartnerService,
    PartnerServiceRecord,
    Referral,
    ReferralEvent,
    ReferralKind,
    ReferralOutcome,
    ReferralStatus,
    Urgency,
)

R = ReferralStatus
RECEIVING_KINDS = SERVING_UNIT_KINDS


class ReferralError(DomainError, ValueError):
    """Something the rules do not allow, said in Chinese (422 where the views answer it; a
    refusal of the workflow keeps the engine's status: 409 state, 403 who)."""

    status = 422


# --- Sides (``sides``; named here too, as the pages and tests call them) ----------------

case_roles, side_of, can_read, sender_units = sides.case_roles, sides.side_of, sides.can_read, sides.sender_units


def _side_label(membership: Membership) -> str:
    unit = membership.unit
    return unit.partner_org.name if unit.partner_org is not None else unit.name


def _event(referral, kind, user, membership, text="", from_status="", to_status=""):
    event = ReferralEvent(
        tenant_id=referral.tenant_id, to_county_id=referral.to_county_id, to_partner_org_id=referral.to_partner_org_id,
        referral_id=referral.id, kind=kind, from_status=from_status, to_status=to_status,
        actor_id=getattr(user, "id", None), actor_name=getattr(user, "display_name", "系統"),
        actor_side=_side_label(membership) if membership is not None else "",
        sender_unit=referral.from_unit.name if referral.from_unit else "", receiver=referral.destination, text=text,
    )
    db.session.add(event)
    return event


# --- The workflows ------------------------------------------------------------------

def _history(firing: Firing) -> None:
    """The referral's own history: one status row a firing, seen by both sides."""
    _event(firing.record, "status", firing.actor, firing.membership, firing.reason,
           firing.before.value if firing.before is not None else "", firing.after.value)


def _by(side: str):
    return lambda referral, membership: side_of(referral, membership) == side


SENDER, RECEIVER = _by("sender"), _by("receiver")
BY_SENDER, BY_RECEIVER = "此操作需由轉出單位進行。", "此操作需由受轉介單位進行。"


def _transitions(accept_label: str) -> list[Transition]:
    """The moves of a referral (the same for a county transfer, whose acceptance opens a case)."""
    return [
        Transition("send", (None,), R.WAITING, "送出", deadline="referral.response"),
        Transition("receive_forwarded", (None,), R.WAITING, "再轉", deadline="referral.response"),  # the new referral a 再轉 makes
        Transition("accept", (R.WAITING,), R.IN_SERVICE, accept_label, may=RECEIVER, refused=BY_RECEIVER),
        Transition("decline", (R.WAITING,), R.DECLINED, "不受案", may=RECEIVER, refused=BY_RECEIVER),
        Transition("return", (R.WAITING,), R.RETURNED, "退回補件", may=RECEIVER, refused=BY_RECEIVER),
        Transition("forward", (R.WAITING,), R.FORWARDED, "再轉", may=RECEIVER, refused=BY_RECEIVER),
        # the sender completes what was missing and sends it again
        Transition("resubmit", (R.RETURNED,), R.WAITING, "補件重送", may=SENDER, refused=BY_SENDER,
                   deadline="referral.response"),
        Transition("withdraw", (R.WAITING, R.RETURNED), R.WITHDRAWN, "撤回", may=SENDER, refused=BY_SENDER),
        Transition("complete", (R.IN_SERVICE,), R.COMPLETED, "轉介完成", may=RECEIVER, refused=BY_RECEIVER),
        Transition("fail", (R.IN_SERVICE,), R.FAILED, "轉介失敗", may=RECEIVER, refused=BY_RECEIVER),
    ]


def _describe(referral: Referral) -> str:
    return f"轉介 {referral.referral_no}"


# The reply deadline, ``deadline_at``, is started by ``send``, ``receive_forwarded`` and ``resubmit``:
# rule "referral.response" of ``core.deadlines`` (the county's working days in force).
WORKFLOW = Workflow("referral", label="轉介", states=ReferralStatus, transitions=_transitions("受案"),
                    record_type="referrals", describe=_describe, history=_history, due_attr="deadline_at",
                    error=ReferralError)
COUNTY_TRANSFER_WORKFLOW = Workflow("county_transfer", label="轉介", states=ReferralStatus,
                                    transitions=_transitions("轉銜受案"), record_type="referrals", describe=_describe,
                                    history=_history, due_attr="deadline_at", error=ReferralError)
TRANSITIONS = WORKFLOW.moves()  # {state: {states it may move to}}


def workflow_of(referral: Referral) -> Workflow:
    return COUNTY_TRANSFER_WORKFLOW if referral.kind == ReferralKind.COUNTY else WORKFLOW


def _require(referral: Referral, membership, name: str) -> None:
    """Who may fire ``name``, asked before what was typed is checked (as the pages always answered)."""
    t = workflow_of(referral).transition(name)
    if t.may is not None and not t.may(referral, membership):
        raise ReferralError(t.refused)



# --- Sending ----------------------------------------------------------------------

def _new_referral_no() -> str:
    """R + ROC year + a sequence from the database counter: R115000001."""
    now = utcnow().astimezone(TAIPEI)
    return f"R{now.year - 1911}{next_value('referral', str(now.year)):06d}"


def snapshot(case: FamilyCase, sections: list[str], documents: list | None = None) -> dict:
    """What the referral shares, frozen at sending: never the reporter's identity. ``documents``: the
    case documents the worker ticked (listed by what they are; the receiver downloads exactly these)."""
    out: dict = {"family_name": case.family_name, "case_no": case.case_no, "concerns": case.concern_labels}
    if "documents" in sections:
        out["documents"] = [{"id": d.id, "kind": d.kind.label, "description": d.description, "filename": d.filename,
                             "type": d.file_type.label, "size": case_documents.human_size(d.size)}
                            for d in documents or []]
    if "members" in sections:
        out["members"] = [{"name": m.name, "relation": Relation(m.relation).label, "sex": Sex(m.sex).label,
                           "age": m.age(), "flags": list(m.flags or [])}
                          for m in case.members if m.is_current]  # who lives in the family now
    if "reach" in sections:  # how the receiver reaches the family for the service asked
        out["reach"] = {"address": case.address or "", "phone": case.phone or "",
                        "phones": [{"name": m.name, "phone": m.phone} for m in case.members if m.is_current and m.phone]}
    if "reports" in sections:
        out["reports"] = [{"received": roc_date(r.received_at, "short"), "narrative": r.narrative}
                          for r in db.session.scalars(sa.select(Report).where(Report.case_id == case.id))]
    if "assessment" in sections:
        latest = cases.latest_vulnerability(case)
        report = db.session.scalars(sa.select(AssessmentReport).where(AssessmentReport.case_id == case.id)
                                    .order_by(AssessmentReport.written_at.desc())).first()
        out["assessment"] = {"level": latest.level.label if latest and latest.level else "",
                             "diagnosis": report.diagnosis if report else "", "goals": report.goals if report else ""}
    if "contacts" in sections:
        out["contacts"] = [{"at": roc_date(c.contacted_at, "short"), "method": c.method.label, "note": c.note}
                           for c in db.session.scalars(sa.select(CaseContact).where(CaseContact.case_id == case.id))]
    if "plan" in sections:
        out["plan"] = [p.goals for p in db.session.scalars(sa.select(ServicePlan).where(ServicePlan.case_id == case.id))]
        done = db.session.scalars(sa.select(CaseService).where(CaseService.case_id == case.id)).all()
        labels = catalogue.ServiceLabels(s.item for s in done)  # each by the catalogue version of its date
        out["services"] = [f"{roc_date(s.on, 'short')} {labels.of(s.item, s.on).label}" for s in done]
    if "notes" in sections:
        out["notes"] = [n.text for n in db.session.scalars(sa.select(CaseNote).where(CaseNote.case_id == case.id))]
    return out


def _documents_to_share(case: FamilyCase, document_ids: list[int]) -> list:
    wanted = list(dict.fromkeys(document_ids))
    found = {d.id: d for d in case_documents.case_documents(case) if not d.is_deleted}
    if any(i not in found for i in wanted):
        raise ReferralError("勾選的文件不在本案（或已刪除），請重新勾選。", field="document_ids")
    return [found[i] for i in wanted]


def shared_document(referral: Referral, document_id: int):
    """A case document the referral shares (ticked when it was sent, still not deleted), read as the
    case's county: the receiver may be a partner or another county. None otherwise."""
    if "documents" not in (referral.shared_sections or []):
        return None
    if document_id not in {d.get("id") for d in (referral.shared_snapshot or {}).get("documents", [])}:
        return None
    with tenancy.tenant_scope(referral.tenant_id):
        document = db.session.get(case_documents.CaseDocument, document_id)
        if document is None or document.case_id != referral.case_id or document.is_deleted:
            return None
        return document, case_documents.content_of(document)


def send(case: FamilyCase, user: User, membership: Membership, *, kind: ReferralKind, reason: str,
         services_requested: str, sections: list[str], to_unit: Unit | None = None, to_county: County | None = None,
         partner_service: PartnerService | None = None, consent: bool = False, consent_by: str = "",
         legal_basis: str = "", urgency: Urgency = Urgency.NORMAL, document_ids: list[int] | None = None) -> Referral:
    if not cases.can_write(case, membership):
        raise ReferralError("只有主責或協力單位的社工、督導可以轉介此案。")
    return _send(case, user, membership, membership.unit_id, kind=kind, reason=reason,
                 services_requested=services_requested, sections=sections, to_unit=to_unit, to_county=to_county,
                 partner_service=partner_service, consent=consent, consent_by=consent_by, legal_basis=legal_basis,
                 urgency=urgency, document_ids=document_ids)


def send_at_investigation_dispatch(case: FamilyCase, lead: Unit, user: User, membership: Membership, *,
                                   partner_service: PartnerService | None, reason: str, services_requested: str,
                                   sections: list[str], consent: bool = False, consent_by: str = "",
                                   legal_basis: str = "") -> Referral:
    """The 通報調查處理中心, dispatching a family it investigated, also refers it to a partner: the case has
    just been opened at ``lead`` (the county unit), and the referral is sent in that unit's name (its
    sending side follows the case's lead) by the centre's worker, who is not on the case. The partner's
    rules (the directory's service in this county, the family's consent or a supervisor's legal basis)
    are those of any referral to a partner."""
    on = cases.unit_on_case(case, lead.id)
    if on is None or on.role != CaseUnitRole.LEAD:
        raise ReferralError("轉介民間團體須在案家已由本縣市單位主責後送出。")
    unit = membership.unit if membership is not None else None
    if (unit is None or unit.kind != UnitKind.INVESTIGATION_CENTRE or unit.county_id != case.tenant_id
            or membership.role not in (Role.SOCIAL_WORKER, Role.SUPERVISOR)):
        raise ReferralError("只有本縣市通報調查處理中心的社工或督導可以於派案時轉介民間團體。")
    return _send(case, user, membership, lead.id, kind=ReferralKind.PARTNER, reason=reason,
                 services_requested=services_requested, sections=sections, partner_service=partner_service,
                 consent=consent, consent_by=consent_by, legal_basis=legal_basis)


def _send(case: FamilyCase, user: User, membership: Membership, from_unit_id: int, *, kind: ReferralKind, reason: str,
          services_requested: str, sections: list[str], to_unit: Unit | None = None, to_county: County | None = None,
          partner_service: PartnerService | None = None, consent: bool = False, consent_by: str = "",
          legal_basis: str = "", urgency: Urgency = Urgency.NORMAL, document_ids: list[int] | None = None) -> Referral:
    if case.status in (CaseStatus.CLOSED, CaseStatus.NOT_OPENED):
        raise ReferralError("已結案或不開案的個案不能轉介，請先重新開啟。")
    if not reason.strip():
        raise ReferralError("請寫明轉介理由。")
    sections = [s for s in sections if s in SHAREABLE and s != "documents"]
    shared_documents = _documents_to_share(case, document_ids or [])
    if shared_documents:
        sections.append("documents")  # only the documents ticked one by one; none ticked, none shared
    referral = Referral(tenant_id=case.tenant_id, kind=kind, case_id=case.id, from_unit_id=from_unit_id,
                        reason=reason.strip(), services_requested=services_requested.strip(), shared_sections=sections,
                        urgency=urgency, sent_by_id=user.id, consent=consent, consent_by=consent_by.strip(),
                        case_lead_unit_id=getattr(case.lead_unit, "id", None))
    if kind == ReferralKind.UNIT:
        if to_unit is None or to_unit.county_id != case.tenant_id or to_unit.kind not in RECEIVING_KINDS or not to_unit.is_active:
            raise ReferralError("請選擇本縣市的社福中心、家防中心或衛生局心衛社工。", field="to_unit_id")
        if to_unit.id == from_unit_id:
            raise ReferralError("不能轉介給自己的單位。", field="to_unit_id")
        referral.to_unit_id = to_unit.id
    elif kind == ReferralKind.COUNTY:
        if to_county is None or to_county.id == case.tenant_id:
            raise ReferralError("請選擇案家遷入的其他縣市。", field="to_county_id")
        centre = db.session.scalars(sa.select(Unit).where(Unit.county_id == to_county.id,
                                                          Unit.kind == UnitKind.DISPATCH_CENTRE)).first()
        referral.to_county_id = to_county.id
        referral.to_unit_id = centre.id if centre else None
    else:
        if partner_service is None or not partner_service.is_active:
            raise ReferralError("請從民間團體資源目錄選擇服務。", field="partner_service_id")
        if case.tenant_id not in partner_service.county_ids:
            raise ReferralError(f"「{partner_service.name}」不在本縣市提供服務。", field="partner_service_id")
        if not consent:
            if not legal_basis.strip():
                raise ReferralError("轉介民間團體需有案家同意；未取得同意時，須由督導記錄法律依據。", field="consent")
            if membership.role != Role.SUPERVISOR:
                raise ReferralError("未取得案家同意而依法律依據轉介，需由督導操作。", field="legal_basis")
            referral.legal_basis = legal_basis.strip()
            referral.legal_basis_by_id = user.id
        elif not consent_by.strip():
            raise ReferralError("請寫明由案家哪一位成員同意。", field="consent_by")
        referral.to_partner_org_id = partner_service.partner_org_id
        referral.partner_service_id = partner_service.id
    referral.shared_snapshot = snapshot(case, sections, shared_documents)
    referral.referral_no = _new_referral_no()
    db.session.add(referral)
    workflow_of(referral).start(referral, "send", actor=user, membership=membership,
                reason=f"轉介理由：{referral.reason}", family_name=case.family_name)
    cases.add_event(case, "referral", f"轉介 {referral.referral_no} 至 {referral.destination}（{kind.label}）", user, membership)
    db.session.flush()
    return referral


# --- Answering ------------------------------------------------------------------

def accept(referral: Referral, user: User, membership: Membership, *, served_by: str,
           lead_unit: Unit | None = None) -> None:
    _require(referral, membership, "accept")
    if not served_by.strip():
        raise ReferralError("請寫明由誰提供服務。")
    if referral.kind == ReferralKind.COUNTY:
        if lead_unit is None or lead_unit.county_id != referral.to_county_id or lead_unit.kind not in RECEIVING_KINDS:
            raise ReferralError("跨縣市轉銜受案時，請指定本縣市的主責單位。")
    workflow_of(referral).fire(referral, "accept", actor=user, membership=membership,
                reason=f"受案，由 {served_by.strip()} 服務", check_may=False)
    referral.served_by = served_by.strip()
    referral.responded_at = utcnow()
    if referral.kind == ReferralKind.UNIT:
        with tenancy.tenant_scope(referral.tenant_id):
            case = db.session.get(FamilyCase, referral.case_id)
            if cases.unit_on_case(case, referral.to_unit_id) is None:
                case.units.append(CaseUnit(unit_id=referral.to_unit_id, role=CaseUnitRole.COLLABORATOR))
            cases.add_event(case, "referral", f"{referral.to_unit.name} 受案（轉介 {referral.referral_no}），加入協力", user, membership)
    elif referral.kind == ReferralKind.COUNTY:
        referral.received_case_id = _open_received_case(referral, lead_unit, user, membership).id
    db.session.flush()


def _open_received_case(referral: Referral, lead: Unit, user, membership) -> FamilyCase:
    """跨縣市轉銜: the receiving county opens its own case (``cases.open_case``) with the history the
    referral shares."""
    snap = referral.shared_snapshot
    relation_by_label = {r.label: r for r in Relation}
    sex_by_label = {s.label: s for s in Sex}
    members = [{"name": m.get("name", ""), "relation": relation_by_label.get(m.get("relation"), Relation.OTHER),
                "sex": sex_by_label.get(m.get("sex"), Sex.UNKNOWN), "estimated_age": m.get("age")}
               for m in snap.get("members", [])]
    case = cases.open_case(referral.to_county_id, family_name=snap.get("family_name", "（轉銜）案家"),
                           lead_unit_id=lead.id, concerns=["vulnerable_family"], members=members)
    cases.add_event(case, "referral", f"跨縣市轉銜受案：{referral.referral_no}（由{referral.from_unit.name}轉出：{referral.reason}）",
                    user, membership)
    # The new lead's supervisors assign a worker; the sending side (the former lead, which keeps its
    # own case and reads the referral) hears of it through the referral's status change.
    notify.notify(notify.supervisors_of_unit(lead.id),
                  f"{case.case_no} 跨縣市轉銜案家由貴單位主責（轉介 {referral.referral_no}），請指派社工", f"/cases/{case.id}",
                  skip=getattr(user, "id", None))
    return case


def decline(referral: Referral, user, membership, reason: DeclineReason, comment: str) -> None:
    _require(referral, membership, "decline")
    if not comment.strip():
        raise ReferralError("不受案需說明理由。")
    workflow_of(referral).fire(referral, "decline", actor=user, membership=membership,
                reason=f"{reason.label}：{comment.strip()}", check_may=False)
    referral.decline_reason = reason
    referral.closing_text = comment.strip()
    referral.responded_at = utcnow()
    db.session.flush()


def return_for_information(referral: Referral, user, membership, comment: str) -> None:
    _require(referral, membership, "return")
    if not comment.strip():
        raise ReferralError("退回時請寫明需要補充的資料。")
    workflow_of(referral).fire(referral, "return", actor=user, membership=membership,
                reason=f"退回補件：{comment.strip()}", check_may=False)
    db.session.flush()


def resubmit(referral: Referral, user, membership, note: str) -> None:
    _require(referral, membership, "resubmit")
    if not note.strip():
        raise ReferralError("請寫明補充了哪些資料。")
    workflow_of(referral).fire(referral, "resubmit", actor=user, membership=membership,
                reason=f"補件後重送：{note.strip()}", check_may=False)
    db.session.flush()


def forward(referral: Referral, user, membership, to_unit: Unit, note: str) -> Referral:
    """再轉: the receiver passes the referral to a better-placed unit of its county."""
    _require(referral, membership, "forward")
    if referral.kind == ReferralKind.PARTNER:
        raise ReferralError("民間團體收到的轉介請以「不受案」說明理由，由轉出單位另行轉介。")
    county_id = referral.to_county_id or referral.tenant_id
    if to_unit.county_id != county_id or to_unit.kind not in RECEIVING_KINDS or to_unit.id == referral.to_unit_id:
        raise ReferralError("請選擇同縣市、且不是本單位的社福中心、家防中心或衛生局心衛社工。")
    if not note.strip():
        raise ReferralError("請寫明再轉的理由。")
    workflow_of(referral).fire(referral, "forward", actor=user, membership=membership,
                reason=f"再轉至 {to_unit.name}：{note.strip()}", check_may=False)
    new = Referral(tenant_id=referral.tenant_id, to_county_id=referral.to_county_id, kind=referral.kind,
                   case_id=referral.case_id, from_unit_id=referral.from_unit_id, to_unit_id=to_unit.id,
                   reason=referral.reason, services_requested=referral.services_requested,
                   shared_sections=list(referral.shared_sections), shared_snapshot=dict(referral.shared_snapshot),
                   consent=referral.consent, consent_by=referral.consent_by, legal_basis=referral.legal_basis,
                   urgency=referral.urgency, sent_by_id=referral.sent_by_id, forwarded_from_id=referral.id,
                   case_lead_unit_id=referral.case_lead_unit_id,
                   referral_no=_new_referral_no())
    db.session.add(new)
    workflow_of(new).start(new, "receive_forwarded", actor=user, membership=membership,
                reason=f"由 {referral.to_unit.name} 再轉（原轉介 {referral.referral_no}）")
    referral.forwarded_to_id = new.id
    db.session.flush()
    return new


def withdraw(referral: Referral, user, membership, note: str) -> None:
    _require(referral, membership, "withdraw")
    workflow_of(referral).fire(referral, "withdraw", actor=user, membership=membership,
                reason=f"撤回：{note.strip()}" if note.strip() else "撤回", check_may=False)
    db.session.flush()


def complete(referral: Referral, user, membership, outcome: ReferralOutcome, text: str) -> None:
    _require(referral, membership, "complete")
    if not text.strip():
        raise ReferralError("請寫下服務成果。")
    workflow_of(referral).fire(referral, "complete", actor=user, membership=membership,
                reason=f"{outcome.label}：{text.strip()}", check_may=False)
    referral.outcome = outcome
    referral.closing_text = text.strip()
    db.session.flush()


def fail(referral: Referral, user, membership, text: str) -> None:
    _require(referral, membership, "fail")
    if not text.strip():
        raise ReferralError("請寫明轉介失敗的原因。")
    workflow_of(referral).fire(referral, "fail", actor=user, membership=membership,
                reason=text.strip(), check_may=False)
    referral.closing_text = text.strip()
    db.session.flush()


def message(referral: Referral, user, membership, text: str) -> None:
    if side_of(referral, membership) is None:
        raise ReferralError("只有轉介雙方可以留言。")
    if not text.strip():
        raise ReferralError("留言不可空白。")
    _event(referral, "message", user, membership, text.strip())
    notify.other_side(referral, membership, f"轉介 {referral.referral_no} 新留言：{text.strip()[:60]}")
    db.session.flush()


def record_partner_service(referral: Referral, user, membership, text: str) -> PartnerServiceRecord:
    if side_of(referral, membership) != "receiver":
        raise ReferralError(BY_RECEIVER)
    if referral.status != R.IN_SERVICE:
        raise ReferralError("受案服務中的轉介才能記錄服務。")
    if not text.strip():
        raise ReferralError("請描述提供的服務。")
    record = PartnerServiceRecord(tenant_id=referral.tenant_id, to_county_id=referral.to_county_id,
                                  to_partner_org_id=referral.to_partner_org_id, referral_id=referral.id,
                                  description=text.strip(), recorded_by_id=user.id, recorded_by_name=user.display_name)
    db.session.add(record)
    _event(referral, "service", user, membership, f"服務紀錄：{text.strip()}")
    notify.other_side(referral, membership, f"轉介 {referral.referral_no} 新增服務紀錄")
    db.session.flush()
    return record


def is_overdue(referral: Referral, now: datetime | None = None) -> bool:
    return referral.status == R.WAITING and (now or utcnow()) > referral.deadline_at

"""Referrals as a closed loop (HL7 Gravity's social-care referral): every status
change visible to both sides, a reason for each refusal, an outcome at the end.
One table of states and moves; ``_move`` records who, when, why and both sides."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import Membership, Role, User
from ..audit import services as audit
from ..audit.models import AuditAction
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
from ..core import deadlines, tenancy
from ..core.filters import TAIPEI, roc_date
from ..core.models import utcnow
from ..core.sequences import next_value
from ..extensions import db
from ..intake.models import Report
from ..tenants.models import SERVING_UNIT_KINDS, County, Unit, UnitKind
from . import notify
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
TRANSITIONS: dict[ReferralStatus, set[ReferralStatus]] = {
    R.WAITING: {R.IN_SERVICE, R.DECLINED, R.RETURNED, R.FORWARDED, R.WITHDRAWN},
    R.RETURNED: {R.WAITING, R.WITHDRAWN},  # the sender completes what was missing and sends it again
    R.IN_SERVICE: {R.COMPLETED, R.FAILED},
    R.DECLINED: set(),
    R.FORWARDED: set(),
    R.COMPLETED: set(),
    R.FAILED: set(),
    R.WITHDRAWN: set(),
}
RECEIVING_KINDS = SERVING_UNIT_KINDS


class ReferralError(ValueError):
    """Something the rules do not allow, said in Chinese."""


# --- Sides ----------------------------------------------------------------------

def case_roles(referral: Referral) -> dict[int, CaseUnitRole]:
    """The units on the referral's case and their roles (read as the case's county: the
    other side of a referral may be a partner or another county)."""
    with tenancy.tenant_scope(referral.tenant_id):
        return dict(db.session.execute(sa.select(CaseUnit.unit_id, CaseUnit.role)
                                       .where(CaseUnit.case_id == referral.case_id)).all())


def side_of(referral: Referral, membership: Membership | None) -> str | None:
    """'sender', 'receiver' or None for someone not party to the referral. The sending side
    follows the case: the unit that sent it while it still serves the family, and the case's
    current lead (a change of lead hands it the open referrals). A sender that became a
    read-only former lead only reads (``can_read``)."""
    if membership is None:
        return None
    unit = membership.unit
    if membership.role not in (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.PARTNER_STAFF, Role.UNIT_ADMIN, Role.DISPATCHER):
        return None  # (dispatchers answer what is addressed to their centre: 跨縣市轉銜)
    if unit.id == referral.from_unit_id:
        if case_roles(referral).get(unit.id) != CaseUnitRole.FORMER:
            return "sender"
    if referral.kind == ReferralKind.PARTNER:
        if unit.partner_org_id is not None and unit.partner_org_id == referral.to_partner_org_id:
            return "receiver"
    elif unit.id == referral.to_unit_id:
        return "receiver"
    if (unit.county_id == referral.tenant_id and membership.role in (Role.SOCIAL_WORKER, Role.SUPERVISOR)
            and case_roles(referral).get(unit.id) == CaseUnitRole.LEAD):
        return "sender"
    return None


def can_read(referral: Referral, membership: Membership | None) -> bool:
    """Both sides, the unit that sent it (even after it left the lead), and the county
    administrators of both counties."""
    if membership is None:
        return False
    if side_of(referral, membership) is not None:
        return True
    if membership.unit_id == referral.from_unit_id and membership.role in (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.UNIT_ADMIN):
        return True
    return membership.role == Role.COUNTY_ADMIN and membership.county_id in (referral.tenant_id, referral.to_county_id)


def sender_units(referral: Referral) -> set[int]:
    """The units the sending side's notices go to: the current lead of the case (unless it is the
    receiver) and the unit that sent it while it can still read the case."""
    roles = case_roles(referral)
    out = {unit_id for unit_id, role in roles.items() if role == CaseUnitRole.LEAD}
    from_unit = referral.from_unit
    if referral.from_unit_id in roles or (from_unit is not None and from_unit.kind in (
            UnitKind.DISPATCH_CENTRE, UnitKind.SOCIAL_AFFAIRS_BUREAU)):
        out.add(referral.from_unit_id)
    if referral.kind != ReferralKind.PARTNER and referral.to_unit_id:
        out.discard(referral.to_unit_id)
    return out


def _side_label(membership: Membership) -> str:
    unit = membership.unit
    return unit.partner_org.name if unit.partner_org is not None else unit.name


def _move(referral: Referral, to: ReferralStatus, user: User, membership: Membership, text: str = "") -> None:
    if to not in TRANSITIONS[referral.status]:
        raise ReferralError(f"轉介目前為「{referral.status.label}」，不能改為「{to.label}」。")
    before = referral.status
    referral.status = to
    _event(referral, "status", user, membership, text, before.value, to.value)
    audit.record(AuditAction.STATE_CHANGE, record_type="referrals", record_id=referral.id, tenant_id=referral.tenant_id,
                 summary=f"轉介 {referral.referral_no}：{before.label} → {to.label}" + (f"（{text}）" if text else ""))
    _notify_other_side(referral, membership, f"轉介 {referral.referral_no}：{to.label}" + (f"（{text[:60]}）" if text else ""))


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


def _notify_other_side(referral: Referral, membership: Membership | None, text: str) -> None:
    url = f"/referrals/{referral.id}"
    side = side_of(referral, membership) if membership is not None else None
    actor_unit = membership.unit_id if membership is not None else None
    for unit_id in sender_units(referral) - {actor_unit}:
        notify.notify(notify.people_of_unit(unit_id), text, url)
    if side != "receiver":
        if referral.kind == ReferralKind.PARTNER:
            notify.notify(notify.people_of_partner(referral.to_partner_org_id), text, url)
        elif referral.to_unit_id:
            notify.notify(notify.people_of_unit(referral.to_unit_id), text, url)


def _require(referral, membership, side: str):
    if side_of(referral, membership) != side:
        who = "轉出單位" if side == "sender" else "受轉介單位"
        raise ReferralError(f"此操作需由{who}進行。")


# --- Sending ----------------------------------------------------------------------

def _new_referral_no() -> str:
    """R + ROC year + a sequence from the database counter: R115000001."""
    now = utcnow().astimezone(TAIPEI)
    return f"R{now.year - 1911}{next_value('referral', str(now.year)):06d}"


def snapshot(case: FamilyCase, sections: list[str]) -> dict:
    """What the referral shares, frozen at sending: never the reporter's identity."""
    out: dict = {"family_name": case.family_name, "case_no": case.case_no, "concerns": case.concern_labels}
    if "members" in sections:
        from ..intake.reference import Relation, Sex

        out["members"] = [{"name": m.name, "relation": Relation(m.relation).label, "sex": Sex(m.sex).label,
                           "age": m.age(), "flags": list(m.flags or [])}
                          for m in case.members if m.is_current]  # who lives in the family now
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
        out["services"] = [f"{roc_date(s.on, 'short')} {s.item_label}" for s in
                           db.session.scalars(sa.select(CaseService).where(CaseService.case_id == case.id))]
    if "notes" in sections:
        out["notes"] = [n.text for n in db.session.scalars(sa.select(CaseNote).where(CaseNote.case_id == case.id))]
    return out


def send(case: FamilyCase, user: User, membership: Membership, *, kind: ReferralKind, reason: str,
         services_requested: str, sections: list[str], to_unit: Unit | None = None, to_county: County | None = None,
         partner_service: PartnerService | None = None, consent: bool = False, consent_by: str = "",
         legal_basis: str = "", urgency: Urgency = Urgency.NORMAL) -> Referral:
    if not cases.can_write(case, membership):
        raise ReferralError("只有主責或協力單位的社工、督導可以轉介此案。")
    if case.status in (CaseStatus.CLOSED, CaseStatus.NOT_OPENED):
        raise ReferralError("已結案或不開案的個案不能轉介，請先重新開啟。")
    if not reason.strip():
        raise ReferralError("請寫明轉介理由。")
    sections = [s for s in sections if s in SHAREABLE]
    referral = Referral(tenant_id=case.tenant_id, kind=kind, case_id=case.id, from_unit_id=membership.unit_id,
                        reason=reason.strip(), services_requested=services_requested.strip(), shared_sections=sections,
                        urgency=urgency, sent_by_id=user.id, consent=consent, consent_by=consent_by.strip())
    if kind == ReferralKind.UNIT:
        if to_unit is None or to_unit.county_id != case.tenant_id or to_unit.kind not in RECEIVING_KINDS or not to_unit.is_active:
            raise ReferralError("請選擇本縣市的社福中心、家防中心或衛生局心衛社工。")
        if to_unit.id == membership.unit_id:
            raise ReferralError("不能轉介給自己的單位。")
        referral.to_unit_id = to_unit.id
    elif kind == ReferralKind.COUNTY:
        if to_county is None or to_county.id == case.tenant_id:
            raise ReferralError("請選擇案家遷入的其他縣市。")
        centre = db.session.scalars(sa.select(Unit).where(Unit.county_id == to_county.id,
                                                          Unit.kind == UnitKind.DISPATCH_CENTRE)).first()
        referral.to_county_id = to_county.id
        referral.to_unit_id = centre.id if centre else None
    else:
        if partner_service is None or not partner_service.is_active:
            raise ReferralError("請從民間團體資源目錄選擇服務。")
        if case.tenant_id not in partner_service.county_ids:
            raise ReferralError(f"「{partner_service.name}」不在本縣市提供服務。")
        if not consent:
            if not legal_basis.strip():
                raise ReferralError("轉介民間團體需有案家同意；未取得同意時，須由督導記錄法律依據。")
            if membership.role != Role.SUPERVISOR:
                raise ReferralError("未取得案家同意而依法律依據轉介，需由督導操作。")
            referral.legal_basis = legal_basis.strip()
            referral.legal_basis_by_id = user.id
        elif not consent_by.strip():
            raise ReferralError("請寫明由案家哪一位成員同意。")
        referral.to_partner_org_id = partner_service.partner_org_id
        referral.partner_service_id = partner_service.id
    referral.shared_snapshot = snapshot(case, sections)
    referral.deadline_at = deadlines.due("referral.response", utcnow(), county_id=case.tenant_id)
    referral.referral_no = _new_referral_no()
    db.session.add(referral)
    db.session.flush()
    _event(referral, "status", user, membership, f"轉介理由：{referral.reason}", "", R.WAITING.value)
    _notify_other_side(referral, membership, f"新轉介 {referral.referral_no}：{case.family_name}（{referral.reason[:40]}）")
    cases.add_event(case, "referral", f"轉介 {referral.referral_no} 至 {referral.destination}（{kind.label}）", user, membership)
    db.session.flush()
    return referral


# --- Answering ------------------------------------------------------------------

def accept(referral: Referral, user: User, membership: Membership, *, served_by: str,
           lead_unit: Unit | None = None) -> None:
    _require(referral, membership, "receiver")
    if not served_by.strip():
        raise ReferralError("請寫明由誰提供服務。")
    if referral.kind == ReferralKind.COUNTY:
        if lead_unit is None or lead_unit.county_id != referral.to_county_id or lead_unit.kind not in RECEIVING_KINDS:
            raise ReferralError("跨縣市轉銜受案時，請指定本縣市的主責單位。")
    _move(referral, R.IN_SERVICE, user, membership, f"受案，由 {served_by.strip()} 服務")
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
    """跨縣市轉銜: the receiving county opens its own case with the history the referral shares."""
    snap = referral.shared_snapshot
    from ..cases.models import CaseMember
    from ..intake.reference import Relation, Sex

    case = FamilyCase(tenant_id=referral.to_county_id, case_no=cases._case_no(referral.to_county_id),
                      family_name=snap.get("family_name", "（轉銜）案家"), status=CaseStatus.AWAITING_ASSIGNMENT,
                      received_at=utcnow(), concerns=["vulnerable_family"])
    case.units.append(CaseUnit(unit_id=lead.id, role=CaseUnitRole.LEAD))
    relation_by_label = {r.label: r for r in Relation}
    sex_by_label = {s.label: s for s in Sex}
    for m in snap.get("members", []):
        case.members.append(CaseMember(name=m.get("name", ""), relation=relation_by_label.get(m.get("relation"), Relation.OTHER),
                                       sex=sex_by_label.get(m.get("sex"), Sex.UNKNOWN), estimated_age=m.get("age")))
    db.session.add(case)
    db.session.flush()
    cases.add_event(case, "referral", f"跨縣市轉銜受案：{referral.referral_no}（由{referral.from_unit.name}轉出：{referral.reason}）",
                    user, membership)
    # The new lead's supervisors assign a worker; the sending side (the former lead, which keeps its
    # own case and reads the referral) hears of it through the referral's status change.
    notify.notify(notify.supervisors_of_unit(lead.id),
                  f"{case.case_no} 跨縣市轉銜案家由貴單位主責（轉介 {referral.referral_no}），請指派社工", f"/cases/{case.id}",
                  skip=getattr(user, "id", None))
    return case


def decline(referral: Referral, user, membership, reason: DeclineReason, comment: str) -> None:
    _require(referral, membership, "receiver")
    if not comment.strip():
        raise ReferralError("不受案需說明理由。")
    _move(referral, R.DECLINED, user, membership, f"{reason.label}：{comment.strip()}")
    referral.decline_reason = reason
    referral.closing_text = comment.strip()
    referral.responded_at = utcnow()
    db.session.flush()


def return_for_information(referral: Referral, user, membership, comment: str) -> None:
    _require(referral, membership, "receiver")
    if not comment.strip():
        raise ReferralError("退回時請寫明需要補充的資料。")
    _move(referral, R.RETURNED, user, membership, f"退回補件：{comment.strip()}")
    db.session.flush()


def resubmit(referral: Referral, user, membership, note: str) -> None:
    _require(referral, membership, "sender")
    if not note.strip():
        raise ReferralError("請寫明補充了哪些資料。")
    _move(referral, R.WAITING, user, membership, f"補件後重送：{note.strip()}")
    referral.deadline_at = deadlines.due("referral.response", utcnow(), county_id=referral.tenant_id)
    db.session.flush()


def forward(referral: Referral, user, membership, to_unit: Unit, note: str) -> Referral:
    """再轉: the receiver passes the referral to a better-placed unit of its county."""
    _require(referral, membership, "receiver")
    if referral.kind == ReferralKind.PARTNER:
        raise ReferralError("民間團體收到的轉介請以「不受案」說明理由，由轉出單位另行轉介。")
    county_id = referral.to_county_id or referral.tenant_id
    if to_unit.county_id != county_id or to_unit.kind not in RECEIVING_KINDS or to_unit.id == referral.to_unit_id:
        raise ReferralError("請選擇同縣市、且不是本單位的社福中心、家防中心或衛生局心衛社工。")
    if not note.strip():
        raise ReferralError("請寫明再轉的理由。")
    _move(referral, R.FORWARDED, user, membership, f"再轉至 {to_unit.name}：{note.strip()}")
    new = Referral(tenant_id=referral.tenant_id, to_county_id=referral.to_county_id, kind=referral.kind,
                   case_id=referral.case_id, from_unit_id=referral.from_unit_id, to_unit_id=to_unit.id,
                   reason=referral.reason, services_requested=referral.services_requested,
                   shared_sections=list(referral.shared_sections), shared_snapshot=dict(referral.shared_snapshot),
                   consent=referral.consent, consent_by=referral.consent_by, legal_basis=referral.legal_basis,
                   urgency=referral.urgency, sent_by_id=referral.sent_by_id, forwarded_from_id=referral.id,
                   deadline_at=deadlines.due("referral.response", utcnow(), county_id=referral.tenant_id),
                   referral_no=_new_referral_no())
    db.session.add(new)
    db.session.flush()
    referral.forwarded_to_id = new.id
    _event(new, "status", user, membership, f"由 {referral.to_unit.name} 再轉（原轉介 {referral.referral_no}）", "", R.WAITING.value)
    notify.notify(notify.people_of_unit(to_unit.id), f"再轉轉介 {new.referral_no}", f"/referrals/{new.id}")
    db.session.flush()
    return new


def withdraw(referral: Referral, user, membership, note: str) -> None:
    _require(referral, membership, "sender")
    _move(referral, R.WITHDRAWN, user, membership, f"撤回：{note.strip()}" if note.strip() else "撤回")
    db.session.flush()


def complete(referral: Referral, user, membership, outcome: ReferralOutcome, text: str) -> None:
    _require(referral, membership, "receiver")
    if not text.strip():
        raise ReferralError("請寫下服務成果。")
    _move(referral, R.COMPLETED, user, membership, f"{outcome.label}：{text.strip()}")
    referral.outcome = outcome
    referral.closing_text = text.strip()
    db.session.flush()


def fail(referral: Referral, user, membership, text: str) -> None:
    _require(referral, membership, "receiver")
    if not text.strip():
        raise ReferralError("請寫明轉介失敗的原因。")
    _move(referral, R.FAILED, user, membership, text.strip())
    referral.closing_text = text.strip()
    db.session.flush()


def message(referral: Referral, user, membership, text: str) -> None:
    if side_of(referral, membership) is None:
        raise ReferralError("只有轉介雙方可以留言。")
    if not text.strip():
        raise ReferralError("留言不可空白。")
    _event(referral, "message", user, membership, text.strip())
    _notify_other_side(referral, membership, f"轉介 {referral.referral_no} 新留言：{text.strip()[:60]}")
    db.session.flush()


def record_partner_service(referral: Referral, user, membership, text: str) -> PartnerServiceRecord:
    _require(referral, membership, "receiver")
    if referral.status != R.IN_SERVICE:
        raise ReferralError("受案服務中的轉介才能記錄服務。")
    if not text.strip():
        raise ReferralError("請描述提供的服務。")
    record = PartnerServiceRecord(tenant_id=referral.tenant_id, to_county_id=referral.to_county_id,
                                  to_partner_org_id=referral.to_partner_org_id, referral_id=referral.id,
                                  description=text.strip(), recorded_by_id=user.id, recorded_by_name=user.display_name)
    db.session.add(record)
    _event(referral, "service", user, membership, f"服務紀錄：{text.strip()}")
    _notify_other_side(referral, membership, f"轉介 {referral.referral_no} 新增服務紀錄")
    db.session.flush()
    return record


def is_overdue(referral: Referral, now: datetime | None = None) -> bool:
    return referral.status == R.WAITING and (now or utcnow()) > referral.deadline_at

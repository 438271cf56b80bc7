"""The 通報調查處理中心's workflow: from a report dispatched to it, through the investigation and its
outcome, to the family's dispatch to a serving unit (or the end, with no service need).

The states and who may fire each transition are declared once, in ``WORKFLOW``:

- 收案 (system, when intake dispatches the report to the centre): 待調查, with the first-contact clock
  (24 hours for 第一級 or urgent, 4 days otherwise) and the 30-day conclusion clock from receipt;
- 開始調查: 待調查 → 調查中, by the centre's social worker or supervisor (first contact made);
- 調查完成: 調查中 → 調查完成, same people, with the outcome (成立/不成立, 有無服務需求, a note);
- 派案服務: 調查完成 → 已派案服務, same people, only with a service need: the family's case is opened at
  the chosen 家防中心 or 社福中心 (``cases.services.open_from_report``) in the same transaction, so the
  family is never between units (the centre keeps it in its queue until the case exists); optionally the
  family is also referred to a partner (民間團體) in that same transaction, through the referrals area
  (``referrals.services.send_at_investigation_dispatch``): the county unit stays the case's lead and
  follows the referral, the partner finds it in its inbox like any other;
- 結束（無需服務）: 調查完成 → 結束, by the centre's supervisor only, only when no service need was found.

Every firing writes the investigation's own history row and the audit entry (the engine's signal).
Services flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..accounts.models import Role
from ..cases import services as cases
from ..core import deadlines
from ..core.errors import DomainError
from ..core.models import utcnow
from ..core.workflow import Firing, Transition, Workflow
from ..extensions import db
from ..intake.models import ChildGrade, Report
from ..referrals import notify
from ..referrals import services as referrals
from ..referrals.models import PartnerService
from ..tenants.models import Unit, UnitKind
from .models import Investigation, InvestigationEvent, InvestigationStatus

S = InvestigationStatus
# The units a family is dispatched to after investigation.
SERVICE_KINDS = (UnitKind.DV_CENTRE, UnitKind.WELFARE_CENTRE)


class InvestigationError(DomainError):
    """A move that cannot be made, said in Chinese (the page answers 422)."""

    status = 422


def _centre_staff(roles):
    def may(record, membership) -> bool:
        return (membership is not None and membership.role in roles
                and membership.unit.kind == UnitKind.INVESTIGATION_CENTRE
                and membership.unit.county_id == record.tenant_id)
    return may


STAFF = _centre_staff((Role.SOCIAL_WORKER, Role.SUPERVISOR))
SUPERVISOR = _centre_staff((Role.SUPERVISOR,))


def _history(firing: Firing) -> None:
    inv = firing.record
    inv.events.append(InvestigationEvent(tenant_id=inv.tenant_id, from_status=firing.before, to_status=firing.after,
                                         actor_id=firing.actor_id, actor_name=firing.actor_name, at=firing.at,
                                         reason=firing.reason))


WORKFLOW = Workflow(
    "investigation", label="調查", states=InvestigationStatus, record_type="investigations",
    describe=lambda i: f"調查 {i.report.report_no}", history=_history, error=InvestigationError,
    transitions=[
        Transition("open_urgent", (None,), S.PENDING, "收案", deadline="investigation.contact_urgent",
                   due_attr="contact_due_at"),
        Transition("open", (None,), S.PENDING, "收案", deadline="investigation.contact", due_attr="contact_due_at"),
        Transition("start", (S.PENDING,), S.INVESTIGATING, "開始調查", may=STAFF,
                   refused="只有本縣市通報調查處理中心的社工或督導可以開始調查。"),
        Transition("conclude", (S.INVESTIGATING,), S.CONCLUDED, "調查完成", may=STAFF,
                   refused="只有本縣市通報調查處理中心的社工或督導可以完成調查。"),
        Transition("dispatch", (S.CONCLUDED,), S.DISPATCHED, "派案服務", may=STAFF,
                   refused="只有本縣市通報調查處理中心的社工或督導可以派案服務。"),
        Transition("close", (S.CONCLUDED,), S.CLOSED, "結束（無需服務）", may=SUPERVISOR,
                   refused="無服務需求而結束，需由通報調查處理中心的督導確認。"),
    ],
)


def open_from_report(report: Report, centre: Unit, actor=None) -> Investigation:
    """The report intake dispatched to the centre enters its queue (待調查) with its clocks."""
    urgent = bool(report.urgent or report.child_grade == ChildGrade.FIRST)
    received = report.received_at
    inv = Investigation(tenant_id=report.tenant_id, report_id=report.id, centre_unit_id=centre.id,
                        family_name=cases.family_name_for(report), received_at=received, urgent=urgent,
                        conclude_due_at=deadlines.due("investigation.conclude", received, county_id=report.tenant_id),
                        contact_due_at=received, events=[])
    db.session.add(inv)
    WORKFLOW.start(inv, "open_urgent" if urgent else "open", actor=actor,
                   reason=f"通報 {report.report_no} 派至 {centre.name} 調查" + ("（第一級／緊急）" if urgent else ""))
    # The first-contact clock runs from receipt, not from the dispatch decision.
    inv.contact_due_at = deadlines.due("investigation.contact_urgent" if urgent else "investigation.contact", received,
                                       county_id=report.tenant_id)
    db.session.flush()
    notify.notify(notify.supervisors_of_unit(centre.id), f"通報 {report.report_no} 待調查（{inv.family_name}）",
                  f"/investigations/{inv.id}", skip=getattr(actor, "id", None))
    return inv


def start(inv: Investigation, user, membership, note: str = "") -> None:
    WORKFLOW.check(inv, "start", membership)
    WORKFLOW.fire(inv, "start", actor=user, membership=membership, reason=note.strip() or "首次接觸，開始調查")
    inv.worker_id = user.id
    inv.first_contact_at = utcnow()
    db.session.flush()


def conclude(inv: Investigation, user, membership, *, substantiated: bool, service_need: bool, note: str) -> None:
    WORKFLOW.check(inv, "conclude", membership)
    if not (note or "").strip():
        raise InvestigationError("請寫明調查結果說明。")
    outcome = f"{'成立' if substantiated else '不成立'}，{'有' if service_need else '無'}服務需求"
    WORKFLOW.fire(inv, "conclude", actor=user, membership=membership, reason=f"{outcome}：{note.strip()}")
    inv.substantiated = substantiated
    inv.service_need = service_need
    inv.outcome_note = note.strip()
    inv.concluded_at = utcnow()
    db.session.flush()


@dataclass
class PartnerReferral:
    """同時轉介民間團體: the directory's service, why, what is asked and what is shared (as any referral)."""

    service: PartnerService | None
    reason: str = ""
    services_requested: str = ""
    sections: list[str] = field(default_factory=list)
    consent: bool = False
    consent_by: str = ""
    legal_basis: str = ""


def _check_partner(inv: Investigation, partner: PartnerReferral, membership) -> None:
    """What typed for the partner is checked before anything is stored, each message beside its field."""
    service = partner.service
    if service is None or not service.is_active or inv.tenant_id not in (service.county_ids or []):
        raise InvestigationError("此民間團體服務不在本縣市提供，請從清單重新選擇。", field="partner_service_id")
    if not partner.reason.strip():
        raise InvestigationError("轉介民間團體時，請寫明轉介理由。", field="partner_reason")
    if not partner.consent:
        if not partner.legal_basis.strip():
            raise InvestigationError("轉介民間團體需有案家同意；未取得同意時，須由督導記錄法律依據。",
                                     field="partner_consent")
        if membership.role != Role.SUPERVISOR:
            raise InvestigationError("未取得案家同意而依法律依據轉介，需由督導操作。", field="partner_legal_basis")
    elif not partner.consent_by.strip():
        raise InvestigationError("請寫明由案家哪一位成員同意。", field="partner_consent_by")


def dispatch(inv: Investigation, user, membership, unit: Unit | None, note: str = "",
             partner: PartnerReferral | None = None):
    """The family goes to a serving unit: its case is opened there in this same transaction, and when
    ``partner`` is given the family is referred to that partner as well (the county unit stays the lead).
    Returns the case."""
    WORKFLOW.check(inv, "dispatch", membership)
    if inv.status == S.DISPATCHED:
        raise InvestigationError(f"此案已於先前派案至 {inv.dispatched_unit.name}（個案 {inv.dispatched_case.case_no}），"
                                 "不會重複派案。")
    if inv.status == S.CONCLUDED and not inv.service_need:
        raise InvestigationError("調查結果為無服務需求；如需服務，請由督導確認後另行通報或結束本案。")
    if unit is None or unit.county_id != inv.tenant_id or unit.kind not in SERVICE_KINDS or not unit.is_active:
        raise InvestigationError("請選擇本縣市的家防中心或社福中心。")
    if inv.status != S.CONCLUDED:
        raise InvestigationError(f"調查目前為「{inv.status.label}」，調查完成後才能派案服務。")
    if partner is not None:
        _check_partner(inv, partner, membership)
    # The case first, then the move: the investigation is never 已派案服務 without the unit holding the family.
    report = inv.report
    case = cases.open_from_report(report, unit, [])
    cases.add_event(case, "report", f"通報調查處理中心調查完成（{inv.outcome_label}）後派案：{inv.outcome_note}", user,
                    membership)
    report.case_id = case.id
    inv.dispatched_unit = unit
    inv.dispatched_case = case
    inv.dispatched_at = utcnow()
    said = f"派案至 {unit.name}（個案 {case.case_no}）"
    if partner is not None:
        referral = referrals.send_at_investigation_dispatch(
            case, unit, user, membership, partner_service=partner.service, reason=partner.reason,
            services_requested=partner.services_requested, sections=partner.sections, consent=partner.consent,
            consent_by=partner.consent_by, legal_basis=partner.legal_basis)
        said += f"，同時轉介 {referral.destination}（轉介 {referral.referral_no}，由 {unit.name} 主責追蹤）"
    WORKFLOW.fire(inv, "dispatch", actor=user, membership=membership,
                  reason=said + (f"：{note.strip()}" if note.strip() else ""))
    db.session.flush()
    notify.notify(notify.supervisors_of_unit(unit.id), f"{case.case_no} 由通報調查處理中心派案，請指派社工",
                  f"/cases/{case.id}", skip=getattr(user, "id", None))
    return case


def close(inv: Investigation, user, membership, reason: str) -> None:
    WORKFLOW.check(inv, "close", membership)
    if inv.service_need:
        raise InvestigationError("調查結果有服務需求，須派案服務，不能結束。")
    if not (reason or "").strip():
        raise InvestigationError("請寫明結束理由。")
    WORKFLOW.fire(inv, "close", actor=user, membership=membership, reason=reason.strip())
    inv.closed_at = utcnow()
    db.session.flush()


def service_units(county_id: int) -> list[Unit]:
    """The units a family is dispatched to after investigation, in the order intake lists them (by district)."""
    return list(db.session.scalars(sa.select(Unit).where(Unit.county_id == county_id, Unit.kind.in_(SERVICE_KINDS),
                                                         Unit.is_active.is_(True)).order_by(Unit.kind, Unit.id)))


def centre_units(county_id: int) -> list[Unit]:
    return list(db.session.scalars(sa.select(Unit).where(Unit.county_id == county_id,
                                                         Unit.kind == UnitKind.INVESTIGATION_CENTRE)
                                   .order_by(Unit.name)))

"""The workflow of a report, from receipt to its one decision.

States and the moves between them are listed once, in ``TRANSITIONS``; every
move goes through ``_move``, which records who, when and why (the report's
own history and the audit log). Concurrent moves are caught by the report's
version column: the second of two dispatchers gets a clear message, never a
lost update. Services flush; the caller commits.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app

from ..audit import services as audit
from ..audit.models import AuditAction
from ..core import idnumbers, tenancy
from ..core.errors import DomainError
from ..core.filters import TAIPEI, roc_date
from ..core.models import utcnow
from ..core.sequences import next_value
from ..extensions import db
from ..tenants.models import SERVING_UNIT_KINDS, County, District, Unit, UnitKind
from . import deadlines
from .models import (
    ChildClass,
    ChildGrade,
    InvalidReason,
    Report,
    ReportPerson,
    ReportReporter,
    ReportStatus,
    ReportTransition,
)
from .reference import Concern, ReporterType, ReportingChannel

S = ReportStatus
TRANSITIONS: dict[ReportStatus | None, set[ReportStatus]] = {
    None: {S.RECEIVED},
    S.RECEIVED: {S.SCREENING},
    S.SCREENING: {S.RECEIVED, S.DISPATCHED, S.REFERRED, S.SCREENED_OUT, S.TRANSFERRED},
    S.DISPATCHED: set(),
    S.REFERRED: set(),
    S.SCREENED_OUT: set(),
    S.TRANSFERRED: set(),
}

PUBLIC_STATUS = {
    S.RECEIVED: "已受理",
    S.SCREENING: "處理中",
    S.DISPATCHED: "已派案",
    S.REFERRED: "已轉介其他單位",
    S.SCREENED_OUT: "不受理",
    S.TRANSFERRED: "處理中",
}
# The same, as codes for other systems (GET /api/v1/reports/{report_no}).
PUBLIC_STATE = {
    S.RECEIVED: "received",
    S.SCREENING: "processing",
    S.DISPATCHED: "dispatched",
    S.REFERRED: "referred",
    S.SCREENED_OUT: "not_accepted",
    S.TRANSFERRED: "processing",
}


class IntakeError(DomainError):
    """A move that cannot be made, said in Chinese for the person who tried (422)."""

    status = 422


@dataclass
class PersonInput:
    name: str = ""
    sex: str = "U"
    birth_date: date | None = None
    estimated_age: int | None = None
    id_number: str = ""
    relation: str = "other"
    school: str = ""
    phone: str = ""


@dataclass
class ReporterInput:
    reporter_type: str = ReporterType.PUBLIC.value
    anonymous: bool = False
    name: str = ""
    phone: str = ""
    email: str = ""
    profession: str | None = None
    organisation: str = ""


@dataclass
class ReportInput:
    district_id: int | None
    concerns: list[str]
    narrative: str
    persons: list[PersonInput] = field(default_factory=list)
    reporter: ReporterInput = field(default_factory=ReporterInput)
    dimensions: list[str] = field(default_factory=list)
    address: str = ""
    child_location: str = ""
    urgent: bool = False
    actions_taken: str = ""
    received_at: datetime | None = None
    learned_at: datetime | None = None
    tipvda_answers: list[bool] | None = None
    victim_wishes: str = ""
    source_name: str = ""
    api_token_id: int | None = None


def _lookup_hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _new_report_no(received_at: datetime) -> str:
    day = received_at.astimezone(TAIPEI).date()
    n = next_value("report", day.isoformat(), own_transaction=True)
    return f"{roc_date(day, 'compact')}{n:05d}"


def _move(report: Report, to: ReportStatus, actor, reason: str = "") -> None:
    if to not in TRANSITIONS[report.status]:
        raise IntakeError(f"通報 {report.report_no} 目前為「{report.status.label}」，不能改為「{to.label}」。")
    before = report.status
    report.status = to
    report.transitions.append(ReportTransition(
        from_status=before, to_status=to, actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "display_name", "系統"), at=utcnow(), reason=reason,
    ))
    audit.record(AuditAction.STATE_CHANGE, record_type="reports", record_id=report.id,
                 summary=f"通報 {report.report_no}：{before.label} → {to.label}" + (f"（{reason}）" if reason else ""),
                 tenant_id=report.tenant_id)


def receive(county: County, data: ReportInput, channel: ReportingChannel, actor=None) -> tuple[Report, str]:
    """Record a report in the county's queue. Returns the report and its lookup code (shown once)."""
    received_at = data.received_at or utcnow()
    for person in data.persons:
        person.id_number = idnumbers.normalise(person.id_number)
        if person.id_number and not idnumbers.is_valid(person.id_number):
            raise IntakeError(f"{person.name or '相關人員'}的證號 {person.id_number} 不正確；不確定時請留空（記為不詳）。")
    rule = deadlines.rule_in_force(county.id, received_at.astimezone(TAIPEI).date())
    tipvda_score = sum(1 for a in data.tipvda_answers if a) if data.tipvda_answers is not None else None
    deadline_at, kind = deadlines.compute_deadline(received_at, data.concerns, data.urgent, tipvda_score, rule)
    code = "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(8))
    with tenancy.tenant_scope(county.id):
        report = Report(
            tenant_id=county.id,
            report_no=_new_report_no(received_at),
            lookup_hash=_lookup_hash(code),
            channel=channel,
            source_name=data.source_name,
            api_token_id=data.api_token_id,
            received_at=received_at,
            learned_at=data.learned_at,
            district_id=data.district_id,
            address=data.address,
            child_location=data.child_location,
            concerns=list(dict.fromkeys(data.concerns)),
            dimensions=list(dict.fromkeys(data.dimensions)),
            narrative=data.narrative,
            urgent=data.urgent,
            actions_taken=data.actions_taken,
            tipvda_answers=data.tipvda_answers,
            tipvda_score=tipvda_score,
            victim_wishes=data.victim_wishes,
            status=ReportStatus.RECEIVED,
            deadline_at=deadline_at,
            deadline_kind=kind,
        )
        for position, p in enumerate(data.persons):
            report.persons.append(ReportPerson(position=position, name=p.name, sex=p.sex, birth_date=p.birth_date,
                                               estimated_age=p.estimated_age, id_number=p.id_number,
                                               relation=p.relation, school=p.school, phone=p.phone))
        r = data.reporter
        report.reporter = ReportReporter(reporter_type=r.reporter_type, anonymous=r.anonymous,
                                         name="" if r.anonymous else r.name, phone="" if r.anonymous else r.phone,
                                         email="" if r.anonymous else r.email, profession=r.profession or None,
                                         organisation=r.organisation)
        # the first transition joins the new report before the flush (afterwards the list would be read back)
        report.transitions.append(ReportTransition(
            from_status=None, to_status=ReportStatus.RECEIVED, actor_id=getattr(actor, "id", None),
            actor_name=getattr(actor, "display_name", "線上通報" if channel.value == "7" else "系統"),
            at=received_at, reason=f"{channel.label}受理",
        ))
        db.session.add(report)
        db.session.flush()
    return report, code


def claim(report: Report, user) -> None:
    if report.status == S.SCREENING and report.claimed_by_id == user.id:
        return
    if report.status == S.SCREENING:
        raise IntakeError(f"此通報已由 {report.claimed_by.display_name} 於 {_hm(report.claimed_at)} 認領處理中。")
    _move(report, S.SCREENING, user, "認領")
    report.claimed_by_id = user.id
    report.claimed_at = utcnow()
    db.session.flush()


def release(report: Report, user, reason: str = "") -> None:
    _require_claimed_by(report, user)
    _move(report, S.RECEIVED, user, reason or "釋回待篩")
    report.claimed_by_id = None
    report.claimed_at = None
    db.session.flush()


def _hm(value) -> str:
    from ..core.filters import roc_datetime

    return roc_datetime(value)


def _require_claimed_by(report: Report, user) -> None:
    if report.status in (S.DISPATCHED, S.REFERRED, S.SCREENED_OUT, S.TRANSFERRED):
        who = f"由 {report.decided_by.display_name} " if report.decided_by else ""
        raise IntakeError(f"通報 {report.report_no} 已{who}於 {_hm(report.decided_at)} 完成決定（{report.status.label}），"
                          "不能再次決定；您的決定未儲存。")
    if report.status != S.SCREENING:
        raise IntakeError("請先認領此通報再做決定。")
    if report.claimed_by_id != user.id:
        raise IntakeError(f"此通報由 {report.claimed_by.display_name} 認領處理中，只有認領人可以決定。")


def _decide(report: Report, user, to: ReportStatus, note: str, reason: str) -> None:
    _require_claimed_by(report, user)
    _move(report, to, user, reason)
    report.decided_by_id = user.id
    report.decided_at = utcnow()
    report.decision_note = note


def screen_out(report: Report, user, reason: InvalidReason, *, duplicate_of: Report | None = None,
               duplicate_case=None, directed_to: str = "", note: str = "") -> None:
    if reason == InvalidReason.DUPLICATE and duplicate_of is None and duplicate_case is None:
        raise IntakeError("重複通報需指明原通報或個案。")
    if reason == InvalidReason.OUT_OF_SCOPE and not directed_to.strip():
        raise IntakeError("非屬服務範疇需寫明已引導通報人至何處。")
    _decide(report, user, S.SCREENED_OUT, note, reason.label)
    report.invalid_reason = reason
    report.directed_to = directed_to.strip()
    if duplicate_of is not None:
        if duplicate_of.id == report.id:
            raise IntakeError("不能標記為與自己重複。")
        report.duplicate_of_id = duplicate_of.id
        report.case_id = duplicate_of.case_id
    if duplicate_case is not None:
        report.case_id = duplicate_case.id  # the family's record then shows this report too
    db.session.flush()


def refer(report: Report, user, referred_to: str, note: str = "") -> None:
    if not referred_to.strip():
        raise IntakeError("請寫明轉介的資源或單位（例如 長照管理中心、身障個管、就業服務站、民間團體）。")
    _decide(report, user, S.REFERRED, note, f"轉介：{referred_to.strip()}")
    report.referred_to = referred_to.strip()
    db.session.flush()


def proposed_lead_unit(report: Report) -> Unit | None:
    """The unit the rules point to: 家防中心 for protective concerns, the 社福中心
    serving the family's district for a vulnerable family, 心衛社工 for mental health."""
    concerns = set(report.concerns)
    kind = None
    if concerns & {c.value for c in (Concern.CHILD_PROTECTION, Concern.IPV, Concern.FAMILY_MEMBER, Concern.ELDER,
                                      Concern.DISABILITY, Concern.SEXUAL_ASSAULT)}:
        kind = UnitKind.DV_CENTRE
    elif Concern.MENTAL_HEALTH.value in concerns:
        kind = UnitKind.MENTAL_HEALTH
    elif Concern.VULNERABLE_FAMILY.value in concerns:
        return welfare_centre_for(report.tenant_id, report.district_id)
    if kind is None:
        return None
    return db.session.scalars(sa.select(Unit).where(Unit.county_id == report.tenant_id, Unit.kind == kind,
                                                    Unit.is_active.is_(True)).order_by(Unit.id)).first()


def welfare_centre_for(county_id: int, district_id: int | None) -> Unit | None:
    if district_id is None:
        return None
    from ..tenants.models import unit_districts

    return db.session.scalars(
        sa.select(Unit).join(unit_districts, unit_districts.c.unit_id == Unit.id)
        .where(unit_districts.c.district_id == district_id, Unit.county_id == county_id,
               Unit.kind == UnitKind.WELFARE_CENTRE, Unit.is_active.is_(True))
    ).first()


DISPATCHABLE = SERVING_UNIT_KINDS


def dispatch(report: Report, user, lead: Unit, *, collaborators: list[Unit] | None = None,
             child_grade: ChildGrade | None = None, child_class: ChildClass | None = None,
             attach_to_case=None, note: str = ""):
    """Send the report to its lead unit (and collaborators) as a new family case,
    or attach it to the family's open case. Returns the case."""
    from ..cases import services as cases

    collaborators = [u for u in (collaborators or []) if u.id != lead.id]
    for unit in [lead, *collaborators]:
        if unit.county_id != report.tenant_id or unit.kind not in DISPATCHABLE or not unit.is_active:
            raise IntakeError(f"「{unit.name}」不是本縣市可派案的單位。")
    if Concern.CHILD_PROTECTION.value in report.concerns and lead.kind == UnitKind.DV_CENTRE:
        if child_grade is None or child_class is None:
            raise IntakeError("兒少保護案件派案需選定分級（第一級／第二級）與分類（第一類／第二類／第三類）。")
    _decide(report, user, S.DISPATCHED, note, f"派案至 {lead.name}")
    report.lead_unit_id = lead.id
    report.collaborator_unit_ids = [u.id for u in collaborators]
    report.child_grade = child_grade
    report.child_class = child_class
    if attach_to_case is not None:
        case = cases.attach_report(attach_to_case, report, lead, collaborators)
    else:
        case = cases.open_from_report(report, lead, collaborators)
    report.case_id = case.id
    db.session.flush()
    return case


def transfer(report: Report, user, county: County, note: str = "") -> Report:
    """Move the report to another county's centre (兒少保護辦法 §16): it enters
    that county's queue as a new report; this county keeps the record of sending it."""
    if county.id == report.tenant_id:
        raise IntakeError("移轉的縣市不能是本縣市。")
    if not note.strip():
        raise IntakeError("請寫明移轉理由（例如 兒少現在所在地、案家居住地）。")
    _decide(report, user, S.TRANSFERRED, note, f"移轉至 {county.name}")
    report.transferred_to_county_id = county.id
    db.session.flush()
    with tenancy.all_tenants("transfer a report to another county's screening centre"):
        copy = Report(
            tenant_id=county.id,
            report_no=_new_report_no(utcnow()),
            lookup_hash=report.lookup_hash,  # the reporter's code follows the report
            channel=report.channel, source_name=f"{_county_name(report.tenant_id)}移轉",
            received_at=utcnow(), learned_at=report.learned_at, district_id=None, address=report.address,
            child_location=report.child_location, concerns=list(report.concerns), dimensions=list(report.dimensions),
            narrative=report.narrative, urgent=report.urgent, actions_taken=report.actions_taken,
            tipvda_answers=report.tipvda_answers, tipvda_score=report.tipvda_score,
            victim_wishes=report.victim_wishes, status=S.RECEIVED, transferred_from_id=report.id,
        )
        rule = deadlines.rule_in_force(county.id, utcnow().astimezone(TAIPEI).date())
        copy.deadline_at, copy.deadline_kind = deadlines.compute_deadline(copy.received_at, copy.concerns,
                                                                          copy.urgent, copy.tipvda_score, rule)
        for p in report.persons:
            copy.persons.append(ReportPerson(tenant_id=county.id, position=p.position, name=p.name, sex=p.sex,
                                             birth_date=p.birth_date, estimated_age=p.estimated_age,
                                             id_number=p.id_number, relation=p.relation, school=p.school,
                                             phone=p.phone))
        if report.reporter is not None:
            r = report.reporter
            copy.reporter = ReportReporter(tenant_id=county.id, reporter_type=r.reporter_type, anonymous=r.anonymous,
                                           name=r.name, phone=r.phone, email=r.email, profession=r.profession,
                                           organisation=r.organisation)
        copy.transitions.append(ReportTransition(tenant_id=county.id, from_status=None, to_status=S.RECEIVED,
                                                 actor_id=user.id, actor_name=user.display_name,
                                                 reason=f"由{_county_name(report.tenant_id)}移轉：{note.strip()}"))
        db.session.add(copy)
        db.session.flush()
        report.transferred_to_id = copy.id
        db.session.flush()
    return copy


def _county_name(county_id: int) -> str:
    return db.session.get(County, county_id).name


def public_status(report_no: str, code: str) -> str | None:
    """The coarse status a reporter may see, or None when the pair does not match."""
    report_no = (report_no or "").strip()
    code = (code or "").strip().upper()
    if not report_no or not code:
        return None
    with tenancy.all_tenants("public status lookup by report number and private code"):
        report = db.session.scalars(sa.select(Report).where(Report.report_no == report_no)).first()
        if report is None or not hmac.compare_digest(report.lookup_hash, _lookup_hash(code)):
            return None
        return PUBLIC_STATUS[_where_it_stands(report)]


def sender_status(report_no: str, token) -> ReportStatus | None:
    """Where a report sent through the API stands, for the organisation that sent it: any of
    its county's tokens under the same organisation name (a rotated key keeps following its
    reports), or None for a number it did not send or that does not exist."""
    from .models import ApiToken

    senders = sa.select(ApiToken.id).where(ApiToken.tenant_id == token.tenant_id,
                                           ApiToken.organisation == token.organisation)
    with tenancy.all_tenants("the sending organisation follows its reports, also after a transfer"):
        report = db.session.scalars(sa.select(Report).where(Report.report_no == (report_no or "").strip(),
                                                            Report.tenant_id == token.tenant_id,
                                                            Report.api_token_id.in_(senders))).first()
        return None if report is None else _where_it_stands(report)


def _where_it_stands(report: Report) -> ReportStatus:
    """A report moved to another county stands where its copy there stands."""
    seen = set()
    while report.status == S.TRANSFERRED and report.transferred_to_id and report.id not in seen:
        seen.add(report.id)
        report = db.session.get(Report, report.transferred_to_id)
    return report.status


def district_in_county(county_id: int, district_id: int | None) -> bool:
    if district_id is None:
        return False
    district = db.session.get(District, district_id)
    return district is not None and district.county_id == county_id

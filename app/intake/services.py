"""The workflow of a report, from receipt to its one decision.

The states and the transitions between them are declared once, in ``WORKFLOW``
(the engine, ``core.workflow``); every transition is fired through it, which
records who, when and why (the report's own history; the audit log subscribes).
Concurrent moves are caught by the report's version column: the second of two
dispatchers gets a clear message, never a lost update. A dispatch is heard by
cases, which opens or joins the family's case. Services flush; the caller commits.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app

from ..core import idnumbers, tenancy
from ..core.errors import DomainError
from ..core.filters import TAIPEI, roc_date, roc_datetime
from ..core.models import utcnow
from ..core.sequences import next_value
from ..core.workflow import Firing, Transition, Workflow
from ..extensions import db
from ..tenants.models import (
    SERVING_UNIT_KINDS,
    County,
    District,
    Unit,
    UnitKind,
    unit_districts,
)
from . import deadlines
from .models import (
    ApiToken,
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


class IntakeError(DomainError):
    """A move that cannot be made, said in Chinese for the person who tried (the page answers 422)."""

    status = 422


def _history(firing: Firing) -> None:
    """The report's own history row: who, when, from, to, why."""
    report = firing.record
    name = firing.actor_name
    if firing.actor is None and firing.before is None and report.channel.value == "7":
        name = "線上通報"
    report.transitions.append(ReportTransition(
        tenant_id=report.tenant_id, from_status=firing.before, to_status=firing.after, actor_id=firing.actor_id,
        actor_name=name, at=firing.at, reason=firing.reason,
    ))


# Decisions are the claimer's alone (``_require_claimed_by``, which names who holds the report);
# the dispatch deadline is the county's rule of the report's concerns (``deadlines``), set at receipt.
WORKFLOW = Workflow(
    "report", label="通報", states=ReportStatus, record_type="reports", describe=lambda r: f"通報 {r.report_no}",
    history=_history, error=IntakeError,
    transitions=[
        Transition("receive", (None,), S.RECEIVED, "受理"),
        Transition("claim", (S.RECEIVED,), S.SCREENING, "認領"),
        Transition("release", (S.SCREENING,), S.RECEIVED, "釋回"),
        Transition("dispatch", (S.SCREENING,), S.DISPATCHED, "派案"),
        Transition("refer", (S.SCREENING,), S.REFERRED, "轉介"),
        Transition("screen_out", (S.SCREENING,), S.SCREENED_OUT, "不受理"),
        Transition("transfer", (S.SCREENING,), S.TRANSFERRED, "移轉"),
    ],
)
TRANSITIONS = WORKFLOW.moves()

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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(organisation: str, channel: ReportingChannel, created_by_id: int | None) -> tuple[ApiToken, str]:
    """A new token of the session's county: the row (only its hash is kept) and the token, shown once."""
    prefix = secrets.token_hex(4)
    token = f"snk_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiToken(organisation=organisation, channel=channel, token_prefix=prefix, token_hash=hash_token(token),
                      created_by_id=created_by_id)
    db.session.add(record)
    return record, token


def token_for_bearer(header: str) -> ApiToken | None:
    """The unrevoked token an ``Authorization: Bearer …`` header carries, of whichever county."""
    if not header.startswith("Bearer "):
        return None
    digest = hash_token(header[len("Bearer "):].strip())
    with tenancy.all_tenants("find the county an API token belongs to"):
        token = db.session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if token is None or token.revoked_at is not None:
        return None
    return token


def _lookup_hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _new_report_no(received_at: datetime) -> str:
    day = received_at.astimezone(TAIPEI).date()
    n = next_value("report", day.isoformat(), own_transaction=True)
    return f"{roc_date(day, 'compact')}{n:05d}"


def _move(report: Report, to: ReportStatus, actor, reason: str = "") -> None:
    """Fire whichever transition leads to ``to`` (kept for callers that name the target state)."""
    WORKFLOW.to(report, to, actor=actor, reason=reason)


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
            transitions=[],  # the start transition's row joins it without reading the list back
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
        db.session.add(report)
        WORKFLOW.start(report, actor=actor, reason=f"{channel.label}受理", at=received_at)
        db.session.flush()
    return report, code


def requeue(county_id: int, *, source_name: str, concerns: list[str], narrative: str, case_id: int | None = None,
            district_id: int | None = None, address: str = "", actor=None, membership=None) -> Report:
    """A report the system itself puts back in the county's screening queue (a dispute decided 退回重新篩派):
    channel 10, received now, deadline by the rules, linked to the case."""
    received_at = utcnow()
    channel = ReportingChannel("10")
    rule = deadlines.rule_in_force(county_id, received_at.astimezone(TAIPEI).date())
    deadline_at, kind = deadlines.compute_deadline(received_at, concerns, False, None, rule)
    with tenancy.tenant_scope(county_id):
        report = Report(tenant_id=county_id, report_no=_new_report_no(received_at), channel=channel,
                        source_name=source_name, received_at=received_at, district_id=district_id, address=address,
                        concerns=list(dict.fromkeys(concerns)), narrative=narrative, status=ReportStatus.RECEIVED,
                        deadline_at=deadline_at, deadline_kind=kind, case_id=case_id, transitions=[])
        db.session.add(report)
        WORKFLOW.start(report, actor=actor, membership=membership, reason=source_name or f"{channel.label}受理",
                       at=received_at)
        db.session.flush()
    return report


def claim(report: Report, user) -> None:
    if report.status == S.SCREENING and report.claimed_by_id == user.id:
        return
    if report.status == S.SCREENING:
        raise IntakeError(f"此通報已由 {report.claimed_by.display_name} 於 {_hm(report.claimed_at)} 認領處理中。")
    WORKFLOW.fire(report, "claim", actor=user, reason="認領")
    report.claimed_by_id = user.id
    report.claimed_at = utcnow()
    db.session.flush()


def release(report: Report, user, reason: str = "") -> None:
    _require_claimed_by(report, user)
    WORKFLOW.fire(report, "release", actor=user, reason=reason or "釋回待篩")
    report.claimed_by_id = None
    report.claimed_at = None
    db.session.flush()


def _hm(value) -> str:
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


def _decide(report: Report, user, transition: str, note: str, reason: str, **extra) -> Firing:
    _require_claimed_by(report, user)
    report.decided_by_id = user.id
    report.decided_at = utcnow()
    report.decision_note = note
    return WORKFLOW.fire(report, transition, actor=user, reason=reason, **extra)


def screen_out(report: Report, user, reason: InvalidReason, *, duplicate_of: Report | None = None,
               duplicate_case=None, duplicate_case_id: int | None = None, directed_to: str = "", note: str = "") -> None:
    """``duplicate_case`` (or its id, ``duplicate_case_id``): the family's case this report repeats."""
    if duplicate_case is not None:
        duplicate_case_id = duplicate_case.id
    if reason == InvalidReason.DUPLICATE and duplicate_of is None and duplicate_case_id is None:
        raise IntakeError("重複通報需指明原通報或個案。")
    if reason == InvalidReason.OUT_OF_SCOPE and not directed_to.strip():
        raise IntakeError("非屬服務範疇需寫明已引導通報人至何處。")
    _decide(report, user, "screen_out", note, reason.label)
    report.invalid_reason = reason
    report.directed_to = directed_to.strip()
    if duplicate_of is not None:
        if duplicate_of.id == report.id:
            raise IntakeError("不能標記為與自己重複。")
        report.duplicate_of_id = duplicate_of.id
        report.case_id = duplicate_of.case_id
    if duplicate_case_id is not None:
        report.case_id = duplicate_case_id  # the family's record then shows this report too
    db.session.flush()


def refer(report: Report, user, referred_to: str, note: str = "") -> None:
    if not referred_to.strip():
        raise IntakeError("請寫明轉介的資源或單位（例如 長照管理中心、身障個管、就業服務站、民間團體）。")
    _decide(report, user, "refer", note, f"轉介：{referred_to.strip()}")
    report.referred_to = referred_to.strip()
    db.session.flush()


@dataclass(frozen=True)
class Route:
    """Where a report goes for its first handling: the county's 通報調查處理中心 (``centre``) or the old
    route (``centre`` None: 家防中心 for protective concerns); ``reason`` says why, for the dispatcher."""

    centre: Unit | None
    reason: str
    applies: bool = False  # a child-protection report, so the investigation-centre rule was asked


def investigation_route(report: Report) -> Route:
    """社安網2.0: a report with 兒少保護 among its concerns, received (Taipei date) on or after the county's
    start date, in a county with an active 通報調查處理中心, goes to the centre for investigation; one
    received before keeps the old route (家防中心)."""
    if Concern.CHILD_PROTECTION.value not in set(report.concerns):
        return Route(None, "")
    county = db.session.get(County, report.tenant_id)
    received = report.received_at.astimezone(TAIPEI).date()
    start = county.investigation_from
    centre = db.session.scalars(sa.select(Unit).where(Unit.county_id == report.tenant_id,
                                                      Unit.kind == UnitKind.INVESTIGATION_CENTRE,
                                                      Unit.is_active.is_(True)).order_by(Unit.id)).first()
    if received < start:
        return Route(None, f"兒少保護通報，受理日 {roc_date(received, 'short')} 早於本縣市通報調查處理中心啟用日 {roc_date(start, 'short')}："
                           "依原路徑派至家防中心。", True)
    if centre is None:
        return Route(None, f"兒少保護通報，受理日 {roc_date(received, 'short')} 已屆本縣市通報調查處理中心啟用日 {roc_date(start, 'short')}，"
                           "但本縣市尚無啟用中的通報調查處理中心：派至家防中心。", True)
    return Route(centre, f"兒少保護通報，受理日 {roc_date(received, 'short')} 在本縣市通報調查處理中心啟用日 {roc_date(start, 'short')} "
                         f"當日或之後：應派至「{centre.name}」調查。", True)


def proposed_lead_unit(report: Report) -> Unit | None:
    """The unit the rules point to: the 通報調查處理中心 for a child-protection report on its route,
    else 家防中心 for protective concerns, the 社福中心 serving the family's district for a vulnerable
    family, 心衛社工 for mental health."""
    route = investigation_route(report)
    if route.centre is not None:
        return route.centre
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
    return db.session.scalars(
        sa.select(Unit).join(unit_districts, unit_districts.c.unit_id == Unit.id)
        .where(unit_districts.c.district_id == district_id, Unit.county_id == county_id,
               Unit.kind == UnitKind.WELFARE_CENTRE, Unit.is_active.is_(True))
    ).first()


DISPATCHABLE = (*SERVING_UNIT_KINDS, UnitKind.INVESTIGATION_CENTRE)


def dispatch(report: Report, user, lead: Unit, *, collaborators: list[Unit] | None = None,
             child_grade: ChildGrade | None = None, child_class: ChildClass | None = None,
             attach_to_case=None, attach_to_case_id: int | None = None, note: str = ""):
    """Send the report to its lead unit (and collaborators) as a new family case, or attach it to
    the family's open case (``attach_to_case``, or its id): cases hears the dispatch and does either;
    ``report.case_id`` then names the case. Returns the case. A child-protection report on the
    investigation centre's route (``investigation_route``) goes to the centre only, and the centre's
    area opens the investigation instead (``firing.extra["investigation"]``; no case yet: returns None)."""
    collaborators = [u for u in (collaborators or []) if u.id != lead.id]
    for unit in [lead, *collaborators]:
        if unit.county_id != report.tenant_id or unit.kind not in DISPATCHABLE or not unit.is_active:
            raise IntakeError(f"「{unit.name}」不是本縣市可派案的單位。")
    route = investigation_route(report)
    if route.centre is not None and lead.id != route.centre.id:
        raise IntakeError(f"{route.reason}主責單位請選「{route.centre.name}」；您的決定未儲存。")
    if lead.kind == UnitKind.INVESTIGATION_CENTRE:
        if route.centre is None:
            raise IntakeError(f"「{lead.name}」只受理本縣市啟用日起受理的兒少保護通報。"
                              f"{route.reason or '此通報不含兒少保護：依原派案規則。'}您的決定未儲存。")
        if collaborators or attach_to_case is not None or attach_to_case_id:
            raise IntakeError("送通報調查處理中心調查的通報不指定協力單位、不併入既有個案：調查後由中心派案服務。")
    if Concern.CHILD_PROTECTION.value in report.concerns and lead.kind in (UnitKind.DV_CENTRE,
                                                                           UnitKind.INVESTIGATION_CENTRE):
        if child_grade is None or child_class is None:
            raise IntakeError("兒少保護案件派案需選定分級（第一級／第二級）與分類（第一類／第二類／第三類）。")
    _require_claimed_by(report, user)
    report.lead_unit_id = lead.id
    report.collaborator_unit_ids = [u.id for u in collaborators]
    report.child_grade = child_grade
    report.child_class = child_class
    firing = _decide(report, user, "dispatch", note, f"派案至 {lead.name}", lead=lead, collaborators=collaborators,
                     attach_to_case=attach_to_case, attach_to_case_id=attach_to_case_id)
    db.session.flush()
    return firing.extra.get("case")


def transfer(report: Report, user, county: County, note: str = "") -> Report:
    """Move the report to another county's centre (兒少保護辦法 §16): it enters
    that county's queue as a new report; this county keeps the record of sending it."""
    if county.id == report.tenant_id:
        raise IntakeError("移轉的縣市不能是本縣市。")
    if not note.strip():
        raise IntakeError("請寫明移轉理由（例如 兒少現在所在地、案家居住地）。")
    _decide(report, user, "transfer", note, f"移轉至 {county.name}")
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
            victim_wishes=report.victim_wishes, status=S.RECEIVED, transferred_from_id=report.id, transitions=[],
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
        db.session.add(copy)
        WORKFLOW.start(copy, actor=user, reason=f"由{_county_name(report.tenant_id)}移轉：{note.strip()}")
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

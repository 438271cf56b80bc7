"""Family-case rules: who may do what, the state machine, deadlines' stored times,
assessments, approvals, plans and services. One function per use case; each
records who, when and why and flushes. The caller commits.

The case's states and transitions are declared once, in ``WORKFLOW`` (the engine,
``core.workflow``), with who may fire each; the engine writes the case's history
(``CaseTransition``), audit subscribes, and the family timeline's status line is
written by this area's subscriber (``cases.wiring``), which writes the timeline
entry of every workflow that declares ``case_of``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..accounts.models import Membership, Role, User
from ..core.errors import DomainError
from ..core.filters import TAIPEI, roc_date, roc_datetime, to_taipei
from ..core.models import utcnow
from ..core.sequences import next_value
from ..core.workflow import Firing, Transition, Workflow
from ..extensions import db
from ..intake.duplicates import find_possible_duplicates
from ..intake.models import Report
from ..intake.reference import Relation, Sex
from ..intake.services import IntakeError
from ..tenants.models import County, Unit, UnitKind
from . import catalogue
from .models import (
    OPEN_STATUSES,
    SERVING_ROLES,
    AssessmentReport,
    CaseContact,
    CaseEvent,
    CaseMember,
    CaseMemberChange,
    CaseNote,
    CaseService,
    CaseStatus,
    CaseTipvda,
    CaseTransition,
    CaseUnit,
    CaseUnitRole,
    FamilyCase,
    MembershipEnd,
    PlanReview,
    RiskFactor,
    RiskFactorTable,
    SafetyAssessment,
    ServicePlan,
    TipvdaVersion,
    VulnerabilityAssessment,
)
from .reference import (
    IN_PERSON,
    LEVEL_RANK,
    AssessmentOutcome,
    ContactMethod,
    Level,
    MemberFlag,
    SafetyResult,
    ServiceStatus,
    WelfareType,
)

C = CaseStatus
RE_REPORT_MONTHS = 12


class CaseError(DomainError):
    """Something a person tried that the rules do not allow, said in Chinese; ``field`` names the
    form field it is about (the page shows the message beside it too)."""

    status = 422


class StaleEdit(CaseError):
    """Someone else saved the record since this form was opened."""

    status = 409


# --- Who may act ------------------------------------------------------------

# Who hears that a case's household facts changed (members, their flags and placements, TIPVDA): the
# household picture's risk flags, connected by the app factory (cases names no listener).
_household_listeners: list = []


def on_household_change(listener) -> None:
    if listener not in _household_listeners:
        _household_listeners.append(listener)


def _household_changed(case: FamilyCase) -> None:
    for listener in _household_listeners:
        listener(case)


def unit_on_case(case: FamilyCase, unit_id: int) -> CaseUnit | None:
    return next((u for u in case.units if u.unit_id == unit_id), None)


def find_by_number(case_no: str, county_id: int | None = None) -> FamilyCase | None:
    """The family case with this 案號, of the county in scope (another county's is not found either)."""
    stmt = sa.select(FamilyCase).where(FamilyCase.case_no == (case_no or "").strip())
    if county_id is not None:
        stmt = stmt.where(FamilyCase.tenant_id == county_id)
    return db.session.scalars(stmt).first()


def can_read(case: FamilyCase, membership: Membership | None) -> bool:
    if membership is None or membership.county_id != case.tenant_id:
        return False
    if membership.role == Role.COUNTY_ADMIN or membership.unit.kind == UnitKind.DISPATCH_CENTRE:
        return True
    return unit_on_case(case, membership.unit_id) is not None  # a former lead too: it reads, it no longer writes


def unit_can_read(case: FamilyCase, unit: Unit | None) -> bool:
    """Whether the people of ``unit`` can read the case (what notices may be addressed to it)."""
    if unit is None or unit.county_id != case.tenant_id:
        return False
    return unit.kind in (UnitKind.DISPATCH_CENTRE, UnitKind.SOCIAL_AFFAIRS_BUREAU) or unit_on_case(case, unit.id) is not None


def can_write(case: FamilyCase, membership: Membership | None) -> bool:
    on = unit_on_case(case, membership.unit_id) if membership is not None else None
    return (membership is not None and membership.role in (Role.SOCIAL_WORKER, Role.SUPERVISOR)
            and on is not None and on.role in SERVING_ROLES)


def is_lead_supervisor(case: FamilyCase, membership: Membership | None) -> bool:
    on = unit_on_case(case, membership.unit_id) if membership is not None else None
    return on is not None and on.role == CaseUnitRole.LEAD and membership.role == Role.SUPERVISOR


def can_edit_household(case: FamilyCase, membership: Membership | None) -> bool:
    """Members are added, corrected and ended by the lead unit's workers and supervisors; 協力 units read."""
    return is_lead_unit_staff(case, membership)


def is_lead_unit_staff(case: FamilyCase, membership: Membership | None) -> bool:
    on = unit_on_case(case, membership.unit_id) if membership is not None else None
    return (on is not None and on.role == CaseUnitRole.LEAD
            and membership.role in (Role.SOCIAL_WORKER, Role.SUPERVISOR))


def is_decider(case: FamilyCase, membership: Membership | None) -> bool:
    """The case's assigned worker, or the lead unit's supervisor."""
    return membership is not None and (case.assigned_worker_id == membership.user_id
                                        or is_lead_supervisor(case, membership))


def _require_write(case, membership):
    if not can_write(case, membership):
        raise CaseError("只有主責或協力單位的社工、督導可以記錄此案。")


# --- The workflow ------------------------------------------------------------

def _history(firing: Firing) -> None:
    """The case's own history row. A case's creation is recorded by its first timeline entry
    (what opened it), not as a status change."""
    if firing.before is None:
        return
    case = firing.record
    db.session.add(CaseTransition(tenant_id=case.tenant_id, case_id=case.id, from_status=firing.before,
                                  to_status=firing.after, actor_id=firing.actor_id, actor_name=firing.actor_name,
                                  at=firing.at, reason=firing.reason))


SUPERVISOR_ONLY = "此操作需由主責單位督導進行。"
DECIDER_ONLY = "此操作需由承辦社工或主責單位督導進行。"
# The clocks of a case (first visit, assessment report, child seen) run from the report's receipt, not
# from a transition: ``cases.deadlines`` reads them from the stored times.
WORKFLOW = Workflow(
    "case", label="個案", states=CaseStatus, record_type="family_cases", describe=lambda c: f"個案 {c.case_no}",
    history=_history, case_of=lambda c: c, error=CaseError,
    transitions=[
        Transition("open", (None,), C.AWAITING_ASSIGNMENT, "受案"),
        Transition("assign", (C.AWAITING_ASSIGNMENT,), C.ASSESSING, "指派社工", may=is_lead_supervisor,
                   refused=SUPERVISOR_ONLY),
        Transition("submit_opening", (C.ASSESSING,), C.OPENING_REVIEW, "送開案審核", may=is_decider,
                   refused=DECIDER_ONLY),
        Transition("not_open", (C.ASSESSING,), C.NOT_OPENED, "不開案", may=is_decider, refused=DECIDER_ONLY),
        Transition("approve_opening", (C.OPENING_REVIEW,), C.OPEN, "核准開案", may=is_lead_supervisor,
                   refused=SUPERVISOR_ONLY),
        Transition("return_opening", (C.OPENING_REVIEW,), C.ASSESSING, "退回開案", may=is_lead_supervisor,
                   refused=SUPERVISOR_ONLY),
        Transition("propose_closing", (C.OPEN,), C.CLOSING_REVIEW, "申請結案", may=is_decider, refused=DECIDER_ONLY),
        Transition("approve_closing", (C.CLOSING_REVIEW,), C.CLOSED, "核准結案", may=is_lead_supervisor,
                   refused=SUPERVISOR_ONLY),
        Transition("return_closing", (C.CLOSING_REVIEW,), C.OPEN, "退回結案", may=is_lead_supervisor,
                   refused=SUPERVISOR_ONLY),
        Transition("reopen", (C.CLOSED, C.NOT_OPENED), C.ASSESSING, "重新開啟", may=is_lead_supervisor,
                   refused=SUPERVISOR_ONLY),
    ],
)
TRANSITIONS = WORKFLOW.moves()


# --- Timeline and state ------------------------------------------------------

def add_event(case: FamilyCase, kind: str, summary: str, user=None, membership=None, at: datetime | None = None):
    event = CaseEvent(tenant_id=case.tenant_id, case_id=case.id, at=at or utcnow(),
                      actor_id=getattr(user, "id", None), actor_name=getattr(user, "display_name", "系統"),
                      unit_name=membership.unit.display_short if membership is not None else "", kind=kind,
                      summary=summary)
    db.session.add(event)
    return event


def _move(case: FamilyCase, to: CaseStatus, user, membership, reason: str = "") -> None:
    """Fire whichever transition leads to ``to`` (kept for callers that name the target state)."""
    WORKFLOW.to(case, to, actor=user, membership=membership, reason=reason)


def check_version(case: FamilyCase, submitted_version: int | None) -> None:
    """Refuse a save made from a stale form: the other person's save stands, this one is kept on screen."""
    if submitted_version is not None and submitted_version != case.version:
        last = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)
                                  .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())).first()
        who = f"{last.actor_name}" if last else "其他人"
        raise StaleEdit(f"此案在您開啟後已由 {who} 更新過；您的內容尚未儲存，仍保留在畫面上。請重新載入後再送出。")


# --- Opening a case from a report (step 2 calls these) ----------------------

def _case_no(county_id: int) -> str:
    county = db.session.get(County, county_id)
    year = utcnow().astimezone(TAIPEI).year - 1911
    n = next_value(f"case:{county.code}", str(year))
    return f"{year}-{county.code[:5]}-{n:06d}"


def family_name_for(report) -> str:
    subject = next((p for p in report.persons if p.relation == Relation.SUBJECT and p.name), None)
    named = subject or next((p for p in report.persons if p.name), None)
    if named is None:
        return "（姓名不詳）案家"
    return f"{named.name[0]}○○家" if len(named.name) > 1 else f"{named.name}家"


def recently_closed_case_for(persons, county_id: int, now: datetime | None = None) -> FamilyCase | None:
    """A case of the same family closed within 12 months: the new report is a re-report (再通報)."""
    now = now or utcnow()
    ids = {p.id_number for p in persons if p.id_number}
    name_birth = {(p.name, p.birth_date) for p in persons if p.name and p.birth_date}
    if not ids and not name_birth:
        return None
    conditions = []
    if ids:
        conditions.append(CaseMember.id_number.in_(ids))
    if name_birth:
        conditions.append(sa.tuple_(CaseMember.name, CaseMember.birth_date).in_(list(name_birth)))
    return db.session.scalars(
        sa.select(FamilyCase).join(CaseMember, CaseMember.case_id == FamilyCase.id)
        .where(FamilyCase.tenant_id == county_id,
               FamilyCase.status.in_([CaseStatus.CLOSED, CaseStatus.NOT_OPENED]),
               FamilyCase.closed_at >= now - timedelta(days=365), sa.or_(*conditions))
        .order_by(FamilyCase.closed_at.desc())
    ).first()


def open_from_report(report, lead: Unit, collaborators: list[Unit]) -> FamilyCase:
    previous = recently_closed_case_for(report.persons, report.tenant_id)
    case = FamilyCase(
        tenant_id=report.tenant_id, case_no=_case_no(report.tenant_id), family_name=family_name_for(report),
        status=CaseStatus.AWAITING_ASSIGNMENT, district_id=report.district_id, address=report.address,
        received_at=report.received_at, concerns=list(report.concerns),
        child_grade=report.child_grade.value if report.child_grade else "",
        child_class=report.child_class.value if report.child_class else "",
        re_report_of_id=previous.id if previous else None,
    )
    case.units.append(CaseUnit(unit_id=lead.id, role=CaseUnitRole.LEAD))
    for unit in collaborators:
        case.units.append(CaseUnit(unit_id=unit.id, role=CaseUnitRole.COLLABORATOR))
    for person in report.persons:
        case.members.append(CaseMember(name=person.name, sex=person.sex, birth_date=person.birth_date,
                                       estimated_age=person.estimated_age, id_number=person.id_number,
                                       relation=person.relation, phone=person.phone))
    db.session.add(case)
    WORKFLOW.start(case, reason=f"通報 {report.report_no} 派案至 {lead.name}（{'、'.join(report.concern_labels)}）",
                   at=report.decided_at or utcnow(), timeline_kind="report")
    if previous is not None:
        add_event(case, "re_report", f"再通報：同一家庭於 {roc_date(previous.closed_at, 'short')} 結案（{previous.case_no}），12 個月內再次通報")
    db.session.flush()
    return case


def open_case(county_id: int, *, family_name: str, lead_unit_id: int, concerns: list[str], received_at=None,
              members: list[dict] = (), actor=None, membership=None, reason: str = "") -> FamilyCase:
    """Open a family case with no report behind it (跨縣市轉銜受案): AWAITING_ASSIGNMENT, the given unit as lead;
    members are dicts with name, relation (intake Relation), sex (Sex), estimated_age."""
    case = FamilyCase(tenant_id=county_id, case_no=_case_no(county_id), family_name=family_name,
                      status=CaseStatus.AWAITING_ASSIGNMENT, received_at=received_at or utcnow(),
                      concerns=list(concerns))
    case.units.append(CaseUnit(unit_id=lead_unit_id, role=CaseUnitRole.LEAD))
    for m in members:
        member = CaseMember(name=m.get("name") or "", estimated_age=m.get("estimated_age"))
        if m.get("relation") is not None:
            member.relation = m["relation"]
        if m.get("sex") is not None:
            member.sex = m["sex"]
        case.members.append(member)
    db.session.add(case)
    WORKFLOW.start(case, actor=actor, membership=membership, reason=reason, timeline_kind="opened")
    db.session.flush()
    return case


def attach_report(case: FamilyCase, report, lead: Unit, collaborators: list[Unit]) -> FamilyCase:
    """A new report about a family with an open case joins that case; units not
    yet on it join as collaborators (the lead stays the lead: one lead, always)."""
    if case.status not in OPEN_STATUSES:
        raise IntakeError(f"個案 {case.case_no} 已{case.status.label}，請改為開新案。")
    on_case = {u.unit_id for u in case.units}
    for unit in [lead, *collaborators]:
        if unit.id not in on_case:
            case.units.append(CaseUnit(unit_id=unit.id, role=CaseUnitRole.COLLABORATOR))
            on_case.add(unit.id)
    known = {(m.name, m.birth_date) for m in case.members}
    for person in report.persons:
        if (person.name, person.birth_date) not in known:
            case.members.append(CaseMember(name=person.name, sex=person.sex, birth_date=person.birth_date,
                                           estimated_age=person.estimated_age, id_number=person.id_number,
                                           relation=person.relation, phone=person.phone))
    case.concerns = list(dict.fromkeys([*case.concerns, *report.concerns]))
    db.session.flush()
    add_event(case, "report", f"新通報 {report.report_no} 併入本案（{'、'.join(report.concern_labels)}）")
    db.session.flush()
    return case


# --- Inbox: assignment and caseload ----------------------------------------

@dataclass
class Load:
    user: User
    open_cases: int


def workers_with_load(unit_id: int) -> list[Load]:
    """The unit's social workers (and supervisors) with their current open caseload (負荷比)."""
    workers = db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, Membership.role.in_([Role.SOCIAL_WORKER, Role.SUPERVISOR]),
               User.active.is_(True)).order_by(User.display_name).distinct()
    ).all()
    counts = dict(db.session.execute(
        sa.select(FamilyCase.assigned_worker_id, sa.func.count(FamilyCase.id))
        .where(FamilyCase.assigned_worker_id.in_([w.id for w in workers] or [0]),
               FamilyCase.status.in_(OPEN_STATUSES))
        .group_by(FamilyCase.assigned_worker_id)
    ).all())
    return [Load(w, counts.get(w.id, 0)) for w in workers]


def assign(case: FamilyCase, supervisor: User, membership: Membership, worker: User, *,
           version: int | None = None) -> None:
    WORKFLOW.check(case, "assign", membership)
    check_version(case, version)
    if worker.id not in {load.user.id for load in workers_with_load(membership.unit_id)}:
        raise CaseError(f"{worker.display_name} 不是本單位的社工，不能指派。")
    previous = case.assigned_worker
    case.assigned_worker = worker
    case.assigned_at = utcnow()
    if case.status == CaseStatus.AWAITING_ASSIGNMENT:
        WORKFLOW.fire(case, "assign", actor=supervisor, membership=membership, reason=f"指派 {worker.display_name}")
    else:
        add_event(case, "assign", f"改派：{previous.display_name if previous else '未指派'} → {worker.display_name}",
                  supervisor, membership)
    db.session.flush()


# --- Visits and assessments ----------------------------------------------------

def record_contact(case: FamilyCase, user: User, membership: Membership, *, contacted_at: datetime,
                   method: ContactMethod, duration_minutes: int | None, persons_seen: list[int], child_seen: bool,
                   note: str) -> CaseContact:
    _require_write(case, membership)
    if contacted_at > utcnow() + timedelta(minutes=5):
        raise CaseError("訪視時間不可晚於現在。")
    if contacted_at < case.received_at.replace(second=0, microsecond=0):
        # A contact before the report was received is not a visit of this case and must never count
        # as its first visit (the 10-day first-visit deadline runs from the report).
        raise CaseError(f"訪視時間（{roc_datetime(contacted_at)}）早於本案受理通報的時間（{roc_datetime(case.received_at)}），"
                        "請確認日期；受理前的聯繫不列為訪視，請寫在工作紀錄。", field="contacted_at")
    members = {m.id: m for m in case.members}
    seen = [i for i in persons_seen if i in members]
    if child_seen and method not in IN_PERSON:
        raise CaseError("「親見兒少」需為面訪、陪同、校園訪視、面談或機構訪視。")
    if child_seen and not any(members[i].is_child for i in seen):
        raise CaseError("勾選了「親見兒少」，請在「會見對象」中勾選見到的兒少。")
    contact = CaseContact(tenant_id=case.tenant_id, case_id=case.id, contacted_at=contacted_at, method=method,
                          duration_minutes=duration_minutes, persons_seen=seen, child_seen=child_seen, note=note,
                          worker_id=user.id, worker_name=user.display_name)
    db.session.add(contact)
    if method in IN_PERSON and contacted_at >= case.received_at.replace(second=0, microsecond=0) and (
            case.first_visit_at is None or contacted_at < case.first_visit_at):
        case.first_visit_at = contacted_at
    if child_seen and (case.child_seen_at is None or contacted_at < case.child_seen_at):
        case.child_seen_at = contacted_at
    names = "、".join(members[i].name or "（不詳）" for i in seen) or "—"
    add_event(case, "contact", f"{method.label}（{duration_minutes or '—'} 分鐘），會見：{names}"
              + ("，已親見兒少" if child_seen else ""), user, membership, at=contacted_at)
    db.session.flush()
    return contact


def factor_table_in_force(on: date | None = None) -> RiskFactorTable | None:
    on = on or utcnow().astimezone(TAIPEI).date()
    return db.session.scalars(sa.select(RiskFactorTable).where(RiskFactorTable.effective_from <= on)
                              .options(selectinload(RiskFactorTable.factors))
                              .order_by(RiskFactorTable.effective_from.desc())).first()


def tipvda_in_force(on: date | None = None) -> TipvdaVersion | None:
    on = on or utcnow().astimezone(TAIPEI).date()
    return db.session.scalars(sa.select(TipvdaVersion).where(TipvdaVersion.effective_from <= on)
                              .order_by(TipvdaVersion.effective_from.desc())).first()


def derive_level(factors: list[RiskFactor]) -> Level | None:
    """The family's level is the highest level among its factors."""
    if not factors:
        return None
    return max((f.level for f in factors), key=lambda level: LEVEL_RANK[level])


def assess_vulnerability(case: FamilyCase, user: User, membership: Membership, *, dimensions: list[str],
                         factor_ids: list[int], override_level: Level | None = None,
                         override_reason: str = "") -> VulnerabilityAssessment:
    _require_write(case, membership)
    table = factor_table_in_force()
    if table is None:
        raise CaseError("尚無生效的脆弱家庭風險因子表，請洽中央管理者。")
    dimensions = [d for d in dimensions if d]
    if not dimensions:
        raise CaseError("請至少選擇主要的脆弱面向（第一面向）。")
    if len(set(dimensions)) != len(dimensions):
        raise CaseError("第一、第二、第三面向不可重複。")
    by_id = {f.id: f for f in table.factors}
    chosen = [by_id[i] for i in factor_ids if i in by_id]
    if not chosen:
        raise CaseError("請勾選至少一項風險因子。")
    if override_level is not None and not override_reason.strip():
        raise CaseError("調整脆弱程度需寫明理由。")
    derived = derive_level(chosen)
    assessment = VulnerabilityAssessment(
        tenant_id=case.tenant_id, case_id=case.id, table_id=table.id, dimensions=dimensions[:3],
        factor_ids=[f.id for f in chosen], derived_level=derived,
        override_level=override_level if override_level != derived else None,
        override_reason=override_reason.strip() if override_level not in (None, derived) else "",
        assessed_by_id=user.id,
    )
    db.session.add(assessment)
    level = assessment.level
    add_event(case, "vulnerability", f"脆弱性評估：{len(chosen)} 項因子，程度「{level.label}」"
              + (f"（依因子為「{derived.label}」，調整理由：{assessment.override_reason}）" if assessment.override_level else ""),
              user, membership)
    db.session.flush()
    return assessment


def latest_vulnerability(case: FamilyCase) -> VulnerabilityAssessment | None:
    return db.session.scalars(sa.select(VulnerabilityAssessment).where(VulnerabilityAssessment.case_id == case.id)
                              .order_by(VulnerabilityAssessment.assessed_at.desc(), VulnerabilityAssessment.id.desc())).first()


REPORT_PARTS = (("reason_confirmed", "通報事由之確認"), ("diagnosis", "問題診斷及評估"),
                ("goals", "服務目標之訂定"), ("plan_proposal", "服務計畫之建議"))


def write_assessment_report(case: FamilyCase, user: User, membership: Membership, **parts: str) -> AssessmentReport:
    _require_write(case, membership)
    missing = [label for key, label in REPORT_PARTS if not (parts.get(key) or "").strip()]
    if missing:
        raise CaseError("評估報告需包含四個部分，尚缺：" + "、".join(missing) + "。")
    report = AssessmentReport(tenant_id=case.tenant_id, case_id=case.id, written_by_id=user.id,
                              **{key: parts[key].strip() for key, _ in REPORT_PARTS})
    db.session.add(report)
    if case.assessment_report_at is None:
        case.assessment_report_at = utcnow()
    add_event(case, "assessment_report", "完成評估報告（四部分）", user, membership)
    db.session.flush()
    return report


def record_tipvda(case: FamilyCase, user: User, membership: Membership, answers: list[bool]) -> CaseTipvda:
    _require_write(case, membership)
    version = tipvda_in_force()
    if version is None:
        raise CaseError("尚無生效的 TIPVDA 版本，請洽中央管理者。")
    if len(answers) != len(version.items):
        raise CaseError(f"TIPVDA 需逐題回答（共 {len(version.items)} 題）。")
    score = sum(1 for a in answers if a)
    previous = db.session.scalars(sa.select(CaseTipvda).where(CaseTipvda.case_id == case.id)
                                  .order_by(CaseTipvda.assessed_at.desc())).first()
    record = CaseTipvda(tenant_id=case.tenant_id, case_id=case.id, version_id=version.id, answers=list(answers),
                        score=score, band=version.band(score), assessed_by_id=user.id)
    db.session.add(record)
    add_event(case, "tipvda", f"TIPVDA{'重測' if previous else ''}：{score} 分（{record.band}）"
              + (f"，前次 {previous.score} 分" if previous else ""), user, membership)
    db.session.flush()
    _household_changed(case)
    return record


def record_safety(case: FamilyCase, user: User, membership: Membership, member_id: int, result: SafetyResult,
                  note: str = "") -> SafetyAssessment:
    _require_write(case, membership)
    member = next((m for m in case.members if m.id == member_id), None)
    if member is None or not member.is_child:
        raise CaseError("SDM 安全評估需針對案家中的兒少成員。")
    record = SafetyAssessment(tenant_id=case.tenant_id, case_id=case.id, member_id=member.id, result=result,
                              note=note.strip(), assessed_by_id=user.id)
    db.session.add(record)
    add_event(case, "safety", f"SDM 安全評估（{member.name}）：{result.label}", user, membership)
    db.session.flush()
    return record


# --- Decision, approvals, closing -------------------------------------------

def decide(case: FamilyCase, user: User, membership: Membership, outcome: AssessmentOutcome, note: str = "") -> None:
    WORKFLOW.check(case, "submit_opening", membership)
    if case.status != CaseStatus.ASSESSING:
        raise CaseError(f"個案目前為「{case.status.label}」，評估中的個案才能做評估結果。")
    if outcome == AssessmentOutcome.CASE_MANAGEMENT:
        if case.is_vulnerable_family and latest_vulnerability(case) is None:
            raise CaseError("脆弱家庭開案前需完成脆弱性評估（面向與因子）。")
        case.outcome = outcome
        case.outcome_at = utcnow()
        WORKFLOW.fire(case, "submit_opening", actor=user, membership=membership,
                      reason=f"評估結果：{outcome.label}，送督導審核" + (f"；{note}" if note else ""))
    else:
        case.outcome = outcome
        case.outcome_at = utcnow()
        case.closed_at = utcnow()
        WORKFLOW.fire(case, "not_open", actor=user, membership=membership,
                      reason=f"評估結果：{outcome.label}" + (f"；{note}" if note else ""))
    db.session.flush()


def review_opening(case: FamilyCase, supervisor: User, membership: Membership, approve: bool, comment: str = "") -> None:
    WORKFLOW.check(case, "approve_opening", membership)
    if case.status != CaseStatus.OPENING_REVIEW:
        raise CaseError("此案不在開案審查中。")
    if approve:
        assessment = latest_vulnerability(case)
        case.opening_level = assessment.level if assessment is not None else None
        case.opened_at = utcnow()
        WORKFLOW.fire(case, "approve_opening", actor=supervisor, membership=membership,
                      reason="督導核准開案" + (f"：{comment}" if comment else ""))
    else:
        if not comment.strip():
            raise CaseError("退回時請寫明意見，讓社工知道要補充什麼。")
        case.outcome = None
        WORKFLOW.fire(case, "return_opening", actor=supervisor, membership=membership, reason=f"督導退回：{comment.strip()}")
    db.session.flush()


def propose_closing(case: FamilyCase, user: User, membership: Membership, reason: str, closing_level: Level | None) -> None:
    WORKFLOW.check(case, "propose_closing", membership)
    if case.status != CaseStatus.OPEN:
        raise CaseError("開案服務中的個案才能申請結案。")
    if not reason.strip():
        raise CaseError("請寫明結案理由。")
    if case.is_vulnerable_family and closing_level is None:
        raise CaseError("脆弱家庭結案需評定結案時的脆弱程度（高／中／低）。")
    case.closing_reason = reason.strip()
    case.closing_level = closing_level
    WORKFLOW.fire(case, "propose_closing", actor=user, membership=membership, reason=f"申請結案：{reason.strip()}")
    db.session.flush()


def review_closing(case: FamilyCase, supervisor: User, membership: Membership, approve: bool, comment: str = "") -> None:
    WORKFLOW.check(case, "approve_closing", membership)
    if case.status != CaseStatus.CLOSING_REVIEW:
        raise CaseError("此案不在結案審查中。")
    if approve:
        case.closed_at = utcnow()
        WORKFLOW.fire(case, "approve_closing", actor=supervisor, membership=membership,
                      reason="督導核准結案" + (f"：{comment}" if comment else ""))
    else:
        if not comment.strip():
            raise CaseError("退回時請寫明意見。")
        WORKFLOW.fire(case, "return_closing", actor=supervisor, membership=membership,
                      reason=f"督導退回結案：{comment.strip()}")
    db.session.flush()


def reopen(case: FamilyCase, supervisor: User, membership: Membership, reason: str) -> None:
    WORKFLOW.check(case, "reopen", membership)
    if not reason.strip():
        raise CaseError("請寫明重新開啟的理由。")
    case.outcome = None
    case.closed_at = None
    WORKFLOW.fire(case, "reopen", actor=supervisor, membership=membership, reason=f"重新開啟：{reason.strip()}（歷程保留）")
    db.session.flush()


# --- Service ------------------------------------------------------------------

def received_on(case: FamilyCase) -> date:
    """The Taipei day the case's report was received: nothing done for the family is dated before it."""
    return to_taipei(case.received_at).date()


def _not_before_report(case: FamilyCase, on: date, what: str, field: str) -> None:
    if on < received_on(case):
        raise CaseError(f"{what}（{roc_date(on, 'short')}）早於本案受理通報的日期（{roc_date(received_on(case), 'short')}），"
                        "請確認日期。", field=field)


def add_plan(case: FamilyCase, user: User, membership: Membership, *, goals: str, agreed_by: str, agreed_on: date,
             review_due: date) -> ServicePlan:
    _require_write(case, membership)
    _not_before_report(case, agreed_on, "計畫訂定日期", "agreed_on")
    if case.status not in (CaseStatus.OPEN, CaseStatus.OPENING_REVIEW):
        raise CaseError("開案後才能訂定服務計畫。")
    if not goals.strip() or not agreed_by.strip():
        raise CaseError("請寫明服務目標，以及與案家哪一位成員共同訂定。")
    if review_due <= agreed_on:
        raise CaseError("檢討日期需晚於訂定日期。")
    plan = ServicePlan(tenant_id=case.tenant_id, case_id=case.id, unit_id=membership.unit_id, goals=goals.strip(),
                       agreed_by=agreed_by.strip(),
                       agreed_on=agreed_on, review_due=review_due, created_by_id=user.id)
    db.session.add(plan)
    case.plan_review_on = review_due  # the newest plan is the one reviewed next
    add_event(case, "plan", f"訂定服務計畫（與 {agreed_by.strip()} 共同訂定，{roc_date(review_due, 'short')} 檢討）", user, membership)
    db.session.flush()
    return plan


def review_plan(case: FamilyCase, plan: ServicePlan, user: User, membership: Membership, *, note: str,
                next_review: date | None) -> PlanReview:
    _require_write(case, membership)
    if not note.strip():
        raise CaseError("請寫下檢討內容。")
    review = PlanReview(tenant_id=case.tenant_id, plan_id=plan.id, reviewed_on=utcnow().astimezone(TAIPEI).date(),
                        note=note.strip(), next_review=next_review, reviewed_by_id=user.id)
    plan.reviews.append(review)
    latest = db.session.scalar(sa.select(ServicePlan.id).where(ServicePlan.case_id == case.id)
                               .order_by(ServicePlan.created_at.desc(), ServicePlan.id.desc()).limit(1))
    if latest == plan.id:  # reviewing an older plan moves nothing: the latest plan's date counts
        case.plan_review_on = next_review
    add_event(case, "plan_review", "服務計畫檢討" + (f"，下次 {roc_date(next_review, 'short')}" if next_review else ""), user, membership)
    db.session.flush()
    return review


def next_plan_review(case: FamilyCase) -> date | None:
    """When the open case's service plan is next to be reviewed (None: no plan, none planned, not open)."""
    return case.plan_review_on if case.status == CaseStatus.OPEN else None


def add_service(case: FamilyCase, user: User, membership: Membership, *, item: str, status: ServiceStatus, on: date,
                amount: int | None, note: str) -> CaseService:
    _require_write(case, membership)
    entry = catalogue.service_on(item, on)
    if entry is None:
        versions = catalogue.service_versions(item)
        if not versions:
            raise CaseError("請從服務項目清單選擇。", field="item")
        spans = "、".join(f"{roc_date(v.effective_from, 'short')} 起" + (f"至 {roc_date(v.effective_to, 'short')}" if v.effective_to else "")
                         for v in versions)
        raise CaseError(f"「{versions[-1].label}」在 {roc_date(on, 'short')} 不在服務項目中（適用期間：{spans}），"
                        "請核對服務日期或改選當時的服務項目。", field="item")
    label, has_amount = entry.label, entry.has_amount
    if has_amount and status == ServiceStatus.DELIVERED and amount is None:
        raise CaseError(f"「{label}」已提供時需填寫金額（新臺幣元）。")
    if amount is not None and amount < 0:
        raise CaseError("金額不可為負數。")
    _not_before_report(case, on, "服務日期", "on")
    service = CaseService(tenant_id=case.tenant_id, case_id=case.id, item=item, status=status, on=on,
                          amount=amount if has_amount else None, note=note.strip(), recorded_by_id=user.id)
    db.session.add(service)
    add_event(case, "service", f"{status.label}：{label}" + (f" 新臺幣 {amount:,} 元" if has_amount and amount is not None else ""),
              user, membership)
    db.session.flush()
    return service


def add_note(case: FamilyCase, user: User, membership: Membership, text: str) -> CaseNote:
    _require_write(case, membership)
    if not text.strip():
        raise CaseError("紀錄內容不可空白。")
    note = CaseNote(tenant_id=case.tenant_id, case_id=case.id, text=text.strip(), written_by_id=user.id)
    db.session.add(note)
    add_event(case, "note", "工作紀錄：" + (text.strip()[:60] + ("…" if len(text.strip()) > 60 else "")), user, membership)
    db.session.flush()
    return note


def update_household(case: FamilyCase, user: User, membership: Membership, *, version: int, address: str, phone: str,
                     members: dict[int, dict]) -> None:
    """Edit the household (address, phone, members' flags, welfare type and a child's return home from
    placement), refusing a stale form."""
    _require_write(case, membership)
    check_version(case, version)
    case.address = address.strip()
    case.phone = phone.strip()
    by_id = {m.id: m for m in case.members}
    offered = {code for code, _ in catalogue.welfare_choices(to_taipei(utcnow()).date())} & {w.value for w in WelfareType}
    for member_id, values in members.items():
        member = by_id.get(member_id)
        if member is None:
            continue
        who = member.name or "成員"
        flags = set(values.get("flags", []))
        if not flags <= {f.value for f in MemberFlag}:
            raise CaseError(f"{who}的註記不在選項中，請重新載入頁面後再選。")
        welfare = values.get("welfare_type") or None
        if welfare is not None and welfare not in offered | ({member.welfare_type.value} if member.welfare_type else set()):
            raise CaseError(f"{who}的福利身分別不在選項中，請重新載入頁面後再選。")
        member.flags = sorted(flags)
        member.welfare_type = WelfareType(welfare) if welfare else None
        if "phone" in values:
            if len(values["phone"].strip()) > 30:
                raise CaseError(f"{who}的電話最多 30 個字。")
            member.phone = values["phone"].strip()
        if "placement_ended_on" in values:
            returned = values["placement_ended_on"]
            if returned is not None and returned > to_taipei(utcnow()).date():
                raise CaseError(f"{member.name or '成員'}的結束安置返家日期不可晚於今天。")
            member.placement_ended_on = returned
    case.updated_at = utcnow()  # the case row changes, so its version moves on
    add_event(case, "household", "更新案家資料（地址、電話、成員註記）", user, membership)
    db.session.flush()
    _household_changed(case)


# --- Household members: add, correct, end ---------------------------------------------------

def _require_household_editor(case: FamilyCase, membership: Membership) -> None:
    if not can_edit_household(case, membership):
        raise CaseError("只有主責單位的社工、督導可以新增或更正案家成員；協力單位可以查看。")
    if case.status in (CaseStatus.CLOSED, CaseStatus.NOT_OPENED):
        raise CaseError(f"個案已{case.status.label}，不能修改成員；請先由督導重新開啟。")


def _roc(d: date | None) -> str:
    return roc_date(d, "short") if d else ""


def _same_id_in_case(case: FamilyCase, id_number: str, but: CaseMember | None = None) -> CaseMember | None:
    if not id_number:
        return None
    return next((m for m in case.members if m.is_current and m.id_number == id_number and m is not but), None)


def _record_change(case, member, user, field: str, old: str, new: str, reason: str) -> CaseMemberChange:
    change = CaseMemberChange(tenant_id=case.tenant_id, case_id=case.id, member_id=member.id, field=field,
                              old_value=old, new_value=new, reason=reason, actor_id=getattr(user, "id", None),
                              actor_name=getattr(user, "display_name", "系統"))
    db.session.add(change)
    return change


def add_member(case: FamilyCase, user: User, membership: Membership, *, relation, name: str, sex, birth_date: date | None,
               id_number: str, flags: list[str], welfare_type: WelfareType | None, phone: str = ""):
    """A new member of the household; returns the member and its possible duplicates elsewhere in the county."""
    _require_household_editor(case, membership)
    name = (name or "").strip()
    if not name:
        raise CaseError("請填寫成員姓名（不詳時可寫「不詳」）。")
    if not set(flags) <= {f.value for f in MemberFlag}:
        raise CaseError("成員註記不在選項中，請重新載入頁面後再選。")
    other = _same_id_in_case(case, id_number)
    if other is not None:
        raise CaseError(f"身分證號 {id_number} 已是本案成員「{other.name}」的證號，請勿重複新增。")
    member = CaseMember(tenant_id=case.tenant_id, name=name, relation=Relation(relation), sex=Sex(sex),
                        birth_date=birth_date, id_number=id_number, flags=sorted(set(flags)),
                        welfare_type=welfare_type, phone=(phone or "").strip())
    case.members.append(member)
    db.session.flush()
    matches = member_duplicates(case, member)
    note = ("；可能與 " + "、".join(f"{m.label}（{'、'.join(m.reasons)}）" for m in matches) + " 重複") if matches else ""
    add_event(case, "household", f"新增成員 {name}（{member.relation.label}）{note}", user, membership)
    db.session.flush()
    _household_changed(case)
    return member, matches


def correct_member(case: FamilyCase, user: User, membership: Membership, member: CaseMember, *, name: str,
                   id_number: str, birth_date: date | None, reason: str):
    """Correct a member's name, ID number or birth date; each previous value is kept in the member's history
    (and the flush hook audits the member's row with before and after)."""
    _require_household_editor(case, membership)
    if not member.is_current:
        raise CaseError(f"{member.name}已離開本案家，不能更正；歷程仍保留。")
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("請填寫更正原因。")
    name = (name or "").strip()
    if not name:
        raise CaseError("姓名不可空白（不詳時可寫「不詳」）。")
    changes = [(f, old, new) for f, old, new in (
        ("name", member.name, name),
        ("id_number", member.id_number, id_number),
        ("birth_date", _roc(member.birth_date), _roc(birth_date)),
    ) if old != new]
    if not changes:
        raise CaseError("姓名、身分證號與出生日期都與原本相同，沒有需要更正的內容。")
    other = _same_id_in_case(case, id_number, but=member)
    if other is not None:
        raise CaseError(f"身分證號 {id_number} 已是本案成員「{other.name}」的證號。")
    for field, old, new in changes:
        _record_change(case, member, user, field, old, new, reason)
    member.name, member.id_number, member.birth_date = name, id_number, birth_date
    db.session.flush()
    matches = member_duplicates(case, member) if any(f in ("name", "id_number", "birth_date") for f, *_ in changes) else []
    labels = "、".join(CaseMemberChange.FIELD_LABELS[f] for f, *_ in changes)
    note = ("；可能與 " + "、".join(f"{m.label}（{'、'.join(m.reasons)}）" for m in matches) + " 重複") if matches else ""
    add_event(case, "household", f"更正成員 {name} 的{labels}（{reason}）{note}", user, membership)
    db.session.flush()
    _household_changed(case)
    return matches


def end_membership(case: FamilyCase, user: User, membership: Membership, member: CaseMember, *,
                   reason: MembershipEnd, on: date, note: str = ""):
    """A member leaves the household (遷出, 死亡, 其他): nothing of theirs is deleted."""
    _require_household_editor(case, membership)
    if not member.is_current:
        raise CaseError(f"{member.name}已於 {_roc(member.ended_on)} 離開本案家。")
    today = to_taipei(utcnow()).date()
    if on > today:
        raise CaseError("離開日期不可晚於今天。")
    if member.birth_date and on < member.birth_date:
        raise CaseError("離開日期不可早於出生日期。")
    note = (note or "").strip()
    if reason == MembershipEnd.OTHER and not note:
        raise CaseError("離開原因為「其他」時，請說明。")
    member.ended_on, member.end_reason, member.end_note = on, reason.value, note
    _record_change(case, member, user, "membership", "在籍", f"{reason.label}（{_roc(on)}）", note)
    add_event(case, "household", f"成員 {member.name} {reason.label}（{_roc(on)}）" + (f"：{note}" if note else ""),
              user, membership)
    db.session.flush()
    _household_changed(case)


def member_duplicates(case: FamilyCase, member: CaseMember):
    """The intake duplicate detection, for one member: other open cases and recent reports of the same
    county with the same ID number, the same name and birth date, or a similar name at the same address.
    This case and its own reports are left out; other counties are never searched."""
    probe = SimpleNamespace(id=None, received_at=utcnow(), address=case.address or "", persons=[member],
                            tenant_id=case.tenant_id)
    own_reports = set(db.session.scalars(sa.select(Report.id).where(Report.case_id == case.id)))
    matches = []
    for match in find_possible_duplicates(probe):
        if (match.kind == "case" and match.id == case.id) or (match.kind == "report" and match.id in own_reports):
            continue
        matches.append(match)
    if not matches:
        return []
    # The county's own records only, whatever scope the session is in.
    case_ids = {m.id for m in matches if m.kind == "case"}
    report_ids = {m.id for m in matches if m.kind == "report"}
    same_county_cases = set(db.session.scalars(sa.select(FamilyCase.id).where(
        FamilyCase.id.in_(case_ids or {0}), FamilyCase.tenant_id == case.tenant_id)))
    same_county_reports = set(db.session.scalars(sa.select(Report.id).where(
        Report.id.in_(report_ids or {0}), Report.tenant_id == case.tenant_id)))
    return [m for m in matches if (m.id in same_county_cases if m.kind == "case" else m.id in same_county_reports)]

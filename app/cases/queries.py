"""Read models of family cases that pages share: visibility, the unit inbox,
search, a worker's cases. Tenant scoping is automatic; the unit boundary
inside a county is drawn here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import Membership, Role, User
from ..core import deadlines as core_deadlines
from ..core.filters import TAIPEI
from ..core.models import utcnow
from ..extensions import db
from ..intake.duplicates import Probe
from ..intake.models import Report
from ..tenants.models import UnitKind
from . import deadlines, search_index
from .models import (
    OPEN_STATUSES,
    AssessmentReport,
    CaseContact,
    CaseEvent,
    CaseMember,
    CaseMemberChange,
    CaseNote,
    CaseService,
    CaseStatus,
    CaseTipvda,
    CaseUnit,
    FamilyCase,
    RiskFactorTable,
    SafetyAssessment,
    ServicePlan,
    TipvdaVersion,
    mask_id,  # noqa: F401  (the lists read it here)
)



def sees_whole_county(membership: Membership) -> bool:
    return membership.role == Role.COUNTY_ADMIN or membership.unit.kind == UnitKind.DISPATCH_CENTRE


def visible(stmt, membership: Membership):
    """Cases the membership may see: all of the county for administrators and the
    dispatch centre, otherwise those its unit leads or collaborates on."""
    if sees_whole_county(membership):
        return stmt
    on_case = sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == membership.unit_id)
    return stmt.where(FamilyCase.id.in_(on_case))


def list_options():
    return (selectinload(FamilyCase.units).joinedload(CaseUnit.unit), joinedload(FamilyCase.assigned_worker),
            selectinload(FamilyCase.members))


def inbox_stmt(unit_id: int, *, status: str = "", lead_only: bool = False):
    on_case = sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == unit_id)
    if lead_only:  # what the unit's supervisor decides on: the cases it leads
        on_case = on_case.where(CaseUnit.role == "lead")
    stmt = sa.select(FamilyCase).where(FamilyCase.id.in_(on_case)).options(*list_options())
    if status == "open":
        stmt = stmt.where(FamilyCase.status.in_(OPEN_STATUSES))
    elif status:
        stmt = stmt.where(FamilyCase.status == status)
    # waiting for assignment first, then the oldest receipt (its clocks run first)
    waiting_first = sa.case((FamilyCase.status == CaseStatus.AWAITING_ASSIGNMENT, 0), else_=1)
    return stmt.order_by(waiting_first, FamilyCase.received_at)


@dataclass
class Filters:
    name: str = ""
    id_number: str = ""
    case_no: str = ""
    phone: str = ""
    address: str = ""
    worker_id: int | None = None
    status: str = ""
    due: str = ""  # first_visit_overdue | report_overdue | child_seen_overdue


def _containing(text: str) -> str:
    """A LIKE pattern as one bound value, so PostgreSQL plans it against the trigram index."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


DUE_FILTERS = ("first_visit_overdue", "report_overdue", "child_seen_overdue", "plan_review_overdue")


def due_condition(due: str, now: datetime):
    """The cases with one clock past its deadline (the same rules as ``deadlines.case_deadlines``)."""
    vulnerable = FamilyCase.concerns.cast(sa.String).contains('"vulnerable_family"')
    if due == "first_visit_overdue":
        return sa.and_(vulnerable, FamilyCase.first_visit_at.is_(None), FamilyCase.status.in_(OPEN_STATUSES),
                       FamilyCase.received_at < core_deadlines.latest_start("case.first_visit", now))
    if due == "report_overdue":
        return sa.and_(vulnerable, FamilyCase.assessment_report_at.is_(None), FamilyCase.status.in_(OPEN_STATUSES),
                       FamilyCase.received_at < core_deadlines.latest_start("case.assessment_report", now))
    if due == "child_seen_overdue":
        return sa.and_(FamilyCase.child_grade == "1", FamilyCase.child_seen_at.is_(None),
                       FamilyCase.status.in_(OPEN_STATUSES),
                       FamilyCase.received_at < core_deadlines.latest_start("case.child_seen", now))
    if due == "plan_review_overdue":  # a review is due by the end of its day in Taipei
        return sa.and_(FamilyCase.status == CaseStatus.OPEN, FamilyCase.plan_review_on < now.astimezone(TAIPEI).date())
    raise ValueError(due)


def search_stmt(filters: Filters, membership: Membership, now: datetime | None = None):
    now = now or utcnow()
    stmt = visible(sa.select(FamilyCase), membership).options(*list_options())
    name = filters.name.strip()
    if filters.id_number.strip():
        # the ID number's index finds the member; a name given as well is checked on that member
        member_match = [CaseMember.id_number == filters.id_number.strip().upper()]
        if name:
            member_match.append(CaseMember.name.like(_containing(name), escape="/"))
        stmt = stmt.where(FamilyCase.id.in_(sa.select(CaseMember.case_id).where(*member_match)))
    elif name:
        stmt = stmt.where(search_index.name_condition(name))  # n-grams by equality: indexed under RLS
    digits = "".join(c for c in filters.phone if c.isdigit())
    if digits:
        stmt = stmt.where(search_index.phone_condition(digits))
    if filters.case_no.strip():
        stmt = stmt.where(FamilyCase.case_no.like(_containing(filters.case_no.strip()), escape="/"))
    if filters.address.strip():
        stmt = stmt.where(FamilyCase.address.like(_containing(filters.address.strip().replace("台", "臺")), escape="/"))
    if filters.worker_id:
        stmt = stmt.where(FamilyCase.assigned_worker_id == filters.worker_id)
    if filters.status == "open":
        stmt = stmt.where(FamilyCase.status.in_(OPEN_STATUSES))
    elif filters.status:
        stmt = stmt.where(FamilyCase.status == filters.status)
    if filters.due in DUE_FILTERS:
        stmt = stmt.where(due_condition(filters.due, now))
    return stmt.order_by(FamilyCase.received_at.desc(), FamilyCase.id.desc())


def my_cases_stmt(user_id: int):
    return (sa.select(FamilyCase).where(FamilyCase.assigned_worker_id == user_id, FamilyCase.status.in_(OPEN_STATUSES))
            .options(*list_options()).order_by(FamilyCase.received_at))


def awaiting_my_approval_stmt(unit_id: int):
    lead_here = sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == unit_id, CaseUnit.role == "lead")
    return (sa.select(FamilyCase).where(FamilyCase.id.in_(lead_here),
                                        FamilyCase.status.in_([CaseStatus.OPENING_REVIEW, CaseStatus.CLOSING_REVIEW]))
            .options(*list_options()).order_by(FamilyCase.updated_at))


def recent_activity_stmt(case_ids, limit: int = 15):
    return (sa.select(CaseEvent).where(CaseEvent.case_id.in_(case_ids))
            .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(limit))


# --- Work lists (the home page) ------------------------------------------------------------------

def unit_work(membership: Membership, now: datetime | None = None) -> dict:
    """Counts for a serving unit's supervisor: cases to assign, approvals waiting (on cases the unit
    leads), and clocks past their deadline on the cases the membership may see. One query."""
    now = now or utcnow()
    lead_here = sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == membership.unit_id, CaseUnit.role == "lead")
    on_case = sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == membership.unit_id)
    count = sa.func.count(FamilyCase.id)
    stmt = visible(sa.select(
        count.filter(FamilyCase.status == CaseStatus.AWAITING_ASSIGNMENT, FamilyCase.id.in_(on_case)),
        count.filter(FamilyCase.status == CaseStatus.OPENING_REVIEW, FamilyCase.id.in_(lead_here)),
        count.filter(FamilyCase.status == CaseStatus.CLOSING_REVIEW, FamilyCase.id.in_(lead_here)),
        *[count.filter(due_condition(key, now)) for key in DUE_FILTERS],
    ).select_from(FamilyCase).where(FamilyCase.status.in_(OPEN_STATUSES)), membership)  # every count is of open
    # cases: the (tenant, status, received) index reads those alone, not the closed years (step 14)
    row = db.session.execute(stmt).one()
    return {"awaiting_assignment": row[0], "opening_review": row[1], "closing_review": row[2],
            **{key: row[3 + i] for i, key in enumerate(DUE_FILTERS)}}


def county_overdue(membership: Membership, now: datetime | None = None) -> dict:
    """The county administrator's clocks past their deadline, over the whole county. One query."""
    now = now or utcnow()
    count = sa.func.count(FamilyCase.id)
    row = db.session.execute(visible(sa.select(*[count.filter(due_condition(key, now)) for key in DUE_FILTERS])
                                       .select_from(FamilyCase).where(FamilyCase.status.in_(OPEN_STATUSES)),
                                       membership)).one()  # every clock is of an open case (step 14)
    return {key: row[i] for i, key in enumerate(DUE_FILTERS)}


@dataclass
class NextDue:
    due: deadlines.Due
    days: int  # calendar days in Taipei from today to the due date; negative when past

    @property
    def countdown(self) -> str:
        if self.due.state == "overdue":
            return f"逾期 {-self.days} 天" if self.days < 0 else "今天已逾期"
        return f"剩 {self.days} 天" if self.days > 0 else "今天到期"


def my_work(user_id: int, now: datetime | None = None) -> list[tuple[FamilyCase, NextDue | None]]:
    """The worker's open cases, each with its next deadline (the earliest clock not yet done),
    those with the nearest deadline first. One query, however many cases."""
    now = now or utcnow()
    cases = db.session.scalars(
        sa.select(FamilyCase).where(FamilyCase.assigned_worker_id == user_id, FamilyCase.status.in_(OPEN_STATUSES))
        .options(joinedload(FamilyCase.district))).all()
    today = now.astimezone(TAIPEI).date()
    rows = []
    for case in cases:
        pending = [d for d in deadlines.case_deadlines(case, now, case.plan_review_on if case.status == CaseStatus.OPEN else None) if d.done_at is None]
        first = min(pending, key=lambda d: d.due_at, default=None)
        rows.append((case, NextDue(first, (first.due_at.astimezone(TAIPEI).date() - today).days) if first else None))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda r: (r[1] is None, r[1].due.due_at if r[1] else far, r[0].received_at))
    return rows


def open_case_duplicates(probe: Probe, add) -> None:
    """Members of the county's open cases like the probe's persons (intake's duplicate search asks):
    the same ID number, name and birth date, or a case at the same address (a similar name is
    compared by the probe). Each from an index, none capped: a cap could drop the real match."""
    by_person = []
    if probe.ids:
        by_person.append(CaseMember.id_number.in_(probe.ids))
    if probe.name_birth:
        by_person.append(sa.tuple_(CaseMember.name, CaseMember.birth_date).in_(list(probe.name_birth)))
    conditions = [sa.or_(*by_person)] if by_person else []
    if probe.names and probe.address:
        conditions.append(FamilyCase.address_key == probe.address)
    seen = set()
    for condition in conditions:
        rows = db.session.execute(
            sa.select(CaseMember, FamilyCase).join(FamilyCase, FamilyCase.id == CaseMember.case_id)
            .where(FamilyCase.status.in_(OPEN_STATUSES), condition)).all()
        for member, case in rows:
            if member.id in seen:
                continue
            seen.add(member.id)
            for reason in probe.reasons(member, case.address, phones=False):
                add("case", case.id, f"個案 {case.case_no} {case.family_name}", case.status.label, reason,
                    f"/cases/{case.id}")


# --- The family record page -------------------------------------------------------

def case_for_page(case_id: int) -> FamilyCase | None:
    """One case with what every page about it shows (its units, members, worker, district)."""
    return db.session.scalars(
        sa.select(FamilyCase).where(FamilyCase.id == case_id)
        .options(selectinload(FamilyCase.units).joinedload(CaseUnit.unit), selectinload(FamilyCase.members),
                 joinedload(FamilyCase.assigned_worker), joinedload(FamilyCase.district))
    ).first()


def plan_of(case: FamilyCase, plan_id: int) -> ServicePlan | None:
    return db.session.scalars(sa.select(ServicePlan).where(ServicePlan.id == plan_id,
                                                           ServicePlan.case_id == case.id)).first()


def unit_workers(unit_id: int) -> list[User]:
    """The people with a membership in the unit, by name (the search form's worker choices)."""
    return db.session.scalars(sa.select(User).join(User.memberships).where(
        User.memberships.any(unit_id=unit_id)).order_by(User.display_name).distinct()).all()


# Areas above cases add their part of the family record (referrals: its referrals, hand-over,
# disputes): a function of the case giving the template's names and values.
RECORD_PARTS: list[Callable[[FamilyCase], dict]] = []


def record_part(part: Callable[[FamilyCase], dict]):
    """Register another area's part of the family record (a decorator)."""
    RECORD_PARTS.append(part)
    return part


@dataclass
class FamilyRecord:
    """What the family record shows besides the case itself: its reports, timeline, contacts,
    assessments, plans, services, notes, who wrote what, and the other areas' parts."""

    reports: list
    events: "Timeline"  # the first page of the timeline
    contacts: "Page"  # the latest visits (``RECORD_PAGE``) and how many there are
    assessment_report: AssessmentReport | None
    tipvdas: list
    safeties: list
    plans: list
    services_done: list
    notes: "Page"  # the latest work notes (with their writers) and how many there are
    member_changes: dict = field(default_factory=dict)
    parts: dict = field(default_factory=dict)  # the other areas' names and values for the template


TIMELINE_PAGE = 50  # the family record shows the latest entries; older ones a page at a time
RECORD_PAGE = 20  # the latest visits and work notes on the family record; older ones a page at a time


@dataclass
class Timeline:
    events: list
    more: bool  # older entries remain (the last of ``events`` is where the next page starts)


@dataclass
class Page:
    """A page of one of the record's lists, newest first: older rows remain when ``more``; ``total`` is
    counted for the record's first page only (None on the older pages)."""

    items: list
    more: bool
    total: int | None = None


def _newest_first(model, at_column, case: FamilyCase, before: int | None, size: int, options=()) -> tuple[list, bool]:
    """``size`` rows of the case, newest first, older than the row ``before`` (an id of this case's rows;
    another one starts from the newest): keyset paging on (time, id), so a page never repeats or skips a
    row however many there are."""
    stmt = sa.select(model).where(model.case_id == case.id).options(*options)
    start = db.session.get(model, before) if before else None
    if start is not None and start.case_id == case.id:
        at = getattr(start, at_column.key)
        stmt = stmt.where(sa.or_(at_column < at, sa.and_(at_column == at, model.id < start.id)))
    rows = db.session.scalars(stmt.order_by(at_column.desc(), model.id.desc()).limit(size + 1)).all()
    return rows[:size], len(rows) > size


def timeline(case: FamilyCase, before: int | None = None) -> Timeline:
    """A page of the family's timeline, newest first: the latest ``TIMELINE_PAGE`` entries, or those older
    than the entry ``before``."""
    return Timeline(*_newest_first(CaseEvent, CaseEvent.at, case, before, TIMELINE_PAGE))


def contacts_page(case: FamilyCase, before: int | None = None) -> Page:
    return Page(*_newest_first(CaseContact, CaseContact.contacted_at, case, before, RECORD_PAGE))


def notes_page(case: FamilyCase, before: int | None = None) -> Page:
    """A page of work notes, each with its writer."""
    return Page(*_newest_first(CaseNote, CaseNote.written_at, case, before, RECORD_PAGE,
                               options=(joinedload(CaseNote.written_by),)))


def family_record(case: FamilyCase) -> FamilyRecord:
    def of_case(model, *order, options=()):
        return db.session.scalars(sa.select(model).where(model.case_id == case.id).options(*options).order_by(*order)).all()

    contacts, notes = contacts_page(case), notes_page(case)
    contacts.total, notes.total = db.session.execute(sa.select(
        sa.select(sa.func.count(CaseContact.id)).where(CaseContact.case_id == case.id).scalar_subquery(),
        sa.select(sa.func.count(CaseNote.id)).where(CaseNote.case_id == case.id).scalar_subquery())).one()
    changes: dict[int, list] = {}
    for change in of_case(CaseMemberChange, CaseMemberChange.at, CaseMemberChange.id):
        changes.setdefault(change.member_id, []).append(change)
    return FamilyRecord(
        reports=of_case(Report, Report.received_at),
        events=timeline(case),
        contacts=contacts,
        assessment_report=db.session.scalars(sa.select(AssessmentReport).where(AssessmentReport.case_id == case.id)
                                             .order_by(AssessmentReport.written_at.desc())).first(),
        tipvdas=of_case(CaseTipvda, CaseTipvda.assessed_at.desc()),
        safeties=of_case(SafetyAssessment, SafetyAssessment.assessed_at.desc(),
                         options=(joinedload(SafetyAssessment.member),)),
        plans=of_case(ServicePlan, ServicePlan.created_at.desc(), options=(selectinload(ServicePlan.reviews),)),
        services_done=of_case(CaseService, CaseService.on.desc(), CaseService.id.desc()),
        notes=notes,
        member_changes=changes,
        parts={name: value for part in RECORD_PARTS for name, value in part(case).items()},
    )


# --- The national reference tables (risk factors, TIPVDA) ----------------------------

def reference_versions() -> tuple[list[RiskFactorTable], list[TipvdaVersion]]:
    """Every version of the risk-factor table and of TIPVDA, newest first."""
    tables = db.session.scalars(sa.select(RiskFactorTable).order_by(RiskFactorTable.effective_from.desc())).all()
    tipvdas = db.session.scalars(sa.select(TipvdaVersion).order_by(TipvdaVersion.effective_from.desc())).all()
    return tables, tipvdas


def reference_version_taken(model, version: str) -> bool:
    """Whether a version of this reference table (RiskFactorTable, TipvdaVersion) already has the name."""
    return db.session.scalars(sa.select(model.id).where(model.version == version)).first() is not None

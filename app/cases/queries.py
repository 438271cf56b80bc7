"""Read models of family cases that pages share: visibility, the unit inbox,
search, a worker's cases. Tenant scoping is automatic; the unit boundary
inside a county is drawn here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import Membership, Role
from ..core.models import utcnow
from ..tenants.models import UnitKind
from . import deadlines, search_index
from .models import OPEN_STATUSES, CaseEvent, CaseMember, CaseStatus, CaseUnit, FamilyCase


def mask_id(value: str) -> str:
    """A12****789: enough to tell people apart on a list, not enough to misuse."""
    if not value:
        return "不詳"
    if len(value) < 7:
        return value[0] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 6) + value[-3:]


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


def inbox_stmt(unit_id: int, *, status: str = ""):
    stmt = (sa.select(FamilyCase).where(FamilyCase.id.in_(sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == unit_id)))
            .options(*list_options()))
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
    vulnerable = FamilyCase.concerns.cast(sa.String).contains('"vulnerable_family"')
    if filters.due == "first_visit_overdue":
        stmt = stmt.where(vulnerable, FamilyCase.first_visit_at.is_(None), FamilyCase.status.in_(OPEN_STATUSES),
                          FamilyCase.received_at < now - timedelta(days=deadlines.FIRST_VISIT_DAYS))
    elif filters.due == "report_overdue":
        stmt = stmt.where(vulnerable, FamilyCase.assessment_report_at.is_(None), FamilyCase.status.in_(OPEN_STATUSES),
                          FamilyCase.received_at < now - timedelta(days=deadlines.ASSESSMENT_REPORT_DAYS))
    elif filters.due == "child_seen_overdue":
        stmt = stmt.where(FamilyCase.child_grade == "1", FamilyCase.child_seen_at.is_(None),
                          FamilyCase.status.in_(OPEN_STATUSES),
                          FamilyCase.received_at < now - timedelta(hours=deadlines.CHILD_SEEN_HOURS))
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

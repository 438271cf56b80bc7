"""What the centre's pages and the target board read (scoped to the county by the session)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..core.filters import TAIPEI
from ..extensions import db
from ..referrals.models import Referral, ReferralKind
from .models import IN_QUEUE, Investigation, InvestigationStatus

S = InvestigationStatus


def next_due(inv: Investigation) -> datetime | None:
    """The clock that matters now: first contact while 待調查, conclusion while 調查中; none once concluded."""
    if inv.status == S.PENDING:
        return inv.contact_due_at
    if inv.status == S.INVESTIGATING:
        return inv.conclude_due_at
    return None


def queue(*, include_done: bool = False) -> list[Investigation]:
    """The centre's queue: every investigation the centre still holds, the earliest deadline first
    (concluded ones awaiting dispatch or closing last, oldest conclusion first)."""
    stmt = sa.select(Investigation).options(selectinload(Investigation.report), selectinload(Investigation.worker),
                                            selectinload(Investigation.dispatched_unit))
    if not include_done:
        stmt = stmt.where(Investigation.status.in_(IN_QUEUE))
    due = sa.case((Investigation.status == S.PENDING, Investigation.contact_due_at),
                  (Investigation.status == S.INVESTIGATING, Investigation.conclude_due_at),
                  else_=None)
    stmt = stmt.order_by(due.is_(None), due, Investigation.concluded_at, Investigation.id).limit(500)
    return list(db.session.scalars(stmt))


def counts(now: datetime) -> dict:
    rows = db.session.execute(sa.select(Investigation.status, sa.func.count()).group_by(Investigation.status)).all()
    by = {status: n for status, n in rows}
    overdue = db.session.scalar(sa.select(sa.func.count()).select_from(Investigation).where(sa.or_(
        sa.and_(Investigation.status == S.PENDING, Investigation.contact_due_at < now),
        sa.and_(Investigation.status == S.INVESTIGATING, Investigation.conclude_due_at < now))))
    return {"pending": by.get(S.PENDING, 0), "investigating": by.get(S.INVESTIGATING, 0),
            "awaiting_dispatch": by.get(S.CONCLUDED, 0), "overdue": overdue or 0}


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` ends in Taipei."""
    return datetime.combine(day + timedelta(days=1), time(), TAIPEI)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), TAIPEI)


@dataclass(frozen=True)
class DispatchFigure:
    dispatched: list[Investigation]
    not_dispatched: list[Investigation]


def dispatch_figure(start: date, end: date) -> DispatchFigure:
    """Investigations concluded in ``start``–``end`` (Taipei dates, inclusive) with a service need, split by
    whether the family was dispatched to a service unit by the period's end: as at the end of the period."""
    limit = _end_of(end)
    rows = db.session.scalars(
        sa.select(Investigation).options(selectinload(Investigation.report))
        .where(Investigation.concluded_at >= _start_of(start), Investigation.concluded_at < limit,
               Investigation.service_need.is_(True))
        .order_by(Investigation.concluded_at, Investigation.id))
    done, gap = [], []
    for inv in rows:
        (done if inv.dispatched_at is not None and inv.dispatched_at < limit else gap).append(inv)
    return DispatchFigure(done, gap)


def partner_referrals(inv: Investigation) -> list[Referral]:
    """The referrals to partners sent with the investigation's dispatch (同時轉介民間團體)."""
    by = next((e.actor_id for e in inv.events if e.to_status == S.DISPATCHED), None)
    if inv.dispatched_case_id is None or by is None:
        return []
    # Sent in the lead unit's name by the centre's worker who dispatched: no one else sends that way.
    return list(db.session.scalars(sa.select(Referral).where(
        Referral.case_id == inv.dispatched_case_id, Referral.kind == ReferralKind.PARTNER,
        Referral.from_unit_id == inv.dispatched_unit_id, Referral.sent_by_id == by).order_by(Referral.id)))

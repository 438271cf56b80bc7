"""Read models the intake pages share: the screening queue, today's figures, the choices of
the recording and decision forms, the county's settings."""
from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..core import deadlines as core_deadlines
from ..core.filters import TAIPEI
from ..core.models import utcnow
from ..extensions import db
from ..tenants.models import County, District, Unit, UnitKind
from ..household import queries as household_queries
from . import deadlines
from .models import OPEN_REPORT_STATUSES, ApiToken, DispatchRule, IdempotencyKey, Report, ReportStatus
from .reference import Concern


RISK_FILTERS = {"1": "有一級", "2": "有二級（無一級）", "none": "無風險預警"}


def queue_stmt(*, mine_only_user_id: int | None = None, concern: str = "", overdue_at: datetime | None = None,
               risk: str = "", by_risk: bool = False):
    """The open reports by deadline; ``overdue_at``: only those past their deadline at that time. ``risk``
    filters by the household picture's flags (``RISK_FILTERS``); ``by_risk`` puts 一級 first, then 二級,
    each by deadline. The flags inform the order, never the decision."""
    top = household_queries.report_top_level(Report.id)
    stmt = (
        sa.select(Report)
        .where(Report.status.in_(OPEN_REPORT_STATUSES))
        .options(joinedload(Report.claimed_by), joinedload(Report.district), selectinload(Report.persons))
    )
    stmt = stmt.order_by(sa.func.coalesce(top, 3), Report.deadline_at, Report.id) if by_risk \
        else stmt.order_by(Report.deadline_at, Report.id)
    if risk == "none":
        stmt = stmt.where(top.is_(None))
    elif risk in ("1", "2"):
        stmt = stmt.where(top == int(risk))
    if mine_only_user_id:
        stmt = stmt.where(Report.claimed_by_id == mine_only_user_id)
    if overdue_at is not None:
        stmt = stmt.where(Report.deadline_at < overdue_at)
    return stmt


def _open_counts(now: datetime, user_id: int | None = None) -> dict:
    """The open queue in one query: open, past the deadline, being screened, and (for a user) claimed by them."""
    columns = [sa.func.count(Report.id),
               sa.func.count(Report.id).filter(Report.deadline_at < now),
               sa.func.count(Report.id).filter(Report.status == ReportStatus.SCREENING)]
    if user_id is not None:
        columns.append(sa.func.count(Report.id).filter(Report.claimed_by_id == user_id))
    row = db.session.execute(sa.select(*columns).where(Report.status.in_(OPEN_REPORT_STATUSES))).one()
    counts = {"open": row[0], "overdue": row[1], "claimed": row[2]}
    if user_id is not None:
        counts["mine"] = row[3]
    return counts


def queue_counts(now: datetime | None = None) -> dict:
    return _open_counts(now or utcnow())


@dataclass
class DispatchWork:
    """The dispatcher's home: the queue's counts and the reports whose clocks run out first."""
    open: int
    overdue: int
    claimed: int
    mine: int
    first: list  # [(Report, Clock)] by deadline


def dispatch_work(user_id: int, now: datetime | None = None, limit: int = 8) -> DispatchWork:
    now = now or utcnow()
    reports = db.session.scalars(
        sa.select(Report).where(Report.status.in_(OPEN_REPORT_STATUSES))
        .options(joinedload(Report.claimed_by), joinedload(Report.district))
        .order_by(Report.deadline_at, Report.id).limit(limit)).all()
    return DispatchWork(**_open_counts(now, user_id),
                        first=[(r, deadlines.clock(r.received_at, r.deadline_at, now)) for r in reports])


def overdue_open_count(now: datetime | None = None) -> int:
    """Reports of the county still waiting past their dispatch deadline (the county administrator's home)."""
    return db.session.scalar(sa.select(sa.func.count(Report.id)).where(
        Report.status.in_(OPEN_REPORT_STATUSES), Report.deadline_at < (now or utcnow())))


def taipei_day_bounds(day) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, TAIPEI).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


@dataclass
class Share:
    decided: int = 0
    within_24h: int = 0
    within_deadline: int = 0

    def pct(self, part: int) -> str:
        return f"{part / self.decided * 100:.1f}%" if self.decided else "—"


@dataclass
class DayFigures:
    received: int = 0
    screened_out: int = 0
    referred: int = 0
    transferred: int = 0
    dispatched: dict = field(default_factory=dict)  # destination label -> count
    overdue_open: int = 0
    total: Share = field(default_factory=Share)
    by_channel: dict = field(default_factory=dict)
    by_concern: dict = field(default_factory=dict)


DESTINATIONS = {UnitKind.DV_CENTRE: "家防中心（保護）", UnitKind.WELFARE_CENTRE: "社福中心（脆家）",
                UnitKind.MENTAL_HEALTH: "衛生局（心衛）"}


def day_figures(day, now: datetime | None = None) -> DayFigures:
    """Today's work of the county's centre: reports received today, decisions made today."""
    now = now or utcnow()
    start, end = taipei_day_bounds(day)
    figures = DayFigures()
    figures.received = db.session.scalar(
        sa.select(sa.func.count(Report.id)).where(Report.received_at >= start, Report.received_at < end))
    figures.overdue_open = db.session.scalar(
        sa.select(sa.func.count(Report.id)).where(Report.status.in_(OPEN_REPORT_STATUSES), Report.deadline_at < now))
    decided = db.session.execute(
        sa.select(Report.status, Report.channel, Report.concerns, Report.received_at, Report.decided_at,
                  Report.deadline_at, Unit.kind)
        .outerjoin(Unit, Unit.id == Report.lead_unit_id)
        .where(Report.decided_at >= start, Report.decided_at < end)
    ).all()
    dispatched = Tally()
    for status, channel, concerns, received_at, decided_at, deadline_at, lead_kind in decided:
        if status == ReportStatus.SCREENED_OUT:
            figures.screened_out += 1
        elif status == ReportStatus.REFERRED:
            figures.referred += 1
        elif status == ReportStatus.TRANSFERRED:
            figures.transferred += 1
        elif status == ReportStatus.DISPATCHED:
            dispatched[DESTINATIONS.get(lead_kind, "其他")] += 1
        in_24h = decided_at <= core_deadlines.due("dispatch.rate_24h", received_at)
        in_deadline = decided_at <= deadline_at
        primary = Concern(concerns[0]).label if concerns else "未分類"
        for share in (figures.total, figures.by_channel.setdefault(channel.label, Share()),
                      figures.by_concern.setdefault(primary, Share())):
            share.decided += 1
            share.within_24h += in_24h
            share.within_deadline += in_deadline
    figures.dispatched = dict(dispatched)
    return figures


# --- Choices of the recording, decision and public forms ------------------------------

def districts(county_id: int) -> list[District]:
    return db.session.scalars(sa.select(District).where(District.county_id == county_id)
                              .order_by(District.sort_order)).all()


def district_named(county_id: int, name: str) -> District | None:
    return db.session.scalars(sa.select(District).where(District.county_id == county_id,
                                                        District.name == name)).first()


def active_counties() -> list[County]:
    return db.session.scalars(sa.select(County).where(County.is_active.is_(True)).order_by(County.sort_order)).all()


def counties_except(county_id: int) -> list[County]:
    """Every other county (where a report may be transferred to)."""
    return [c for c in db.session.scalars(sa.select(County).order_by(County.sort_order)) if c.id != county_id]


def active_units(county_id: int, kinds) -> list[Unit]:
    """The county's active units of these kinds (where a report may be dispatched)."""
    return db.session.scalars(
        sa.select(Unit).where(Unit.county_id == county_id, Unit.kind.in_(kinds),
                              Unit.is_active.is_(True)).order_by(Unit.kind, Unit.id)).all()


def units_by_id(ids) -> dict[int, Unit]:
    return {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(list(ids))))}


# --- One report ----------------------------------------------------------------

def report_by_no(report_no: str) -> Report | None:
    return db.session.scalars(sa.select(Report).where(Report.report_no == report_no)).first()


def repeats_of(report: Report) -> list[Report]:
    """The reports screened out as repeats of this one, oldest first."""
    return db.session.scalars(sa.select(Report).where(Report.duplicate_of_id == report.id)
                              .order_by(Report.received_at)).all()


# --- The county's settings, the API's tokens ------------------------------------------

def dispatch_rules() -> list[DispatchRule]:
    return db.session.scalars(sa.select(DispatchRule).order_by(DispatchRule.effective_from.desc())).all()


def api_tokens() -> list[ApiToken]:
    return db.session.scalars(sa.select(ApiToken).order_by(ApiToken.created_at.desc())).all()


def idempotency_key(token_id: int, key: str) -> IdempotencyKey | None:
    return db.session.scalars(sa.select(IdempotencyKey).where(IdempotencyKey.token_id == token_id,
                                                              IdempotencyKey.key == key)).first()

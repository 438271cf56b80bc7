"""Read models of meetings: action items still waiting for units' progress (pages share it), and what
each meeting page reads (the series, a meeting, the tracking table, an item's history, the PDFs)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..tenants.models import Unit
from . import services
from .models import (
    ActionItem,
    ItemUnit,
    Meeting,
    MeetingAmendment,
    MeetingDocument,
    MeetingSeries,
    MeetingStatus,
    ProgressEntry,
)


@dataclass
class Awaiting:
    series: MeetingSeries
    meeting: Meeting  # the coming meeting (minutes still a draft) units write for
    items: int  # open items with at least one unit that has not written
    units: int  # (item, unit) pairs not written


def _missing(meeting_of_series: dict):
    """No progress entry of the item's unit for the coming meeting of the item's series."""
    coming = sa.case(meeting_of_series, value=ActionItem.series_id)
    return ~sa.exists().where(ProgressEntry.item_id == ItemUnit.item_id, ProgressEntry.unit_id == ItemUnit.unit_id,
                              ProgressEntry.meeting_id == coming)


def _open_items():
    return [ActionItem.closed_at_id.is_(None), ActionItem.merged_into_id.is_(None)]


def awaiting_updates(unit_id: int) -> tuple[list[Awaiting], int]:
    """(for each series the unit runs as secretariat: the coming meeting and the items waiting for units'
    progress; the open items the unit itself has not yet written for). Three queries."""
    own_series = sa.select(ActionItem.series_id).join(ItemUnit, ItemUnit.item_id == ActionItem.id).where(
        ItemUnit.unit_id == unit_id)
    drafts = db.session.execute(
        sa.select(MeetingSeries, Meeting).join(Meeting, Meeting.series_id == MeetingSeries.id)
        .where(Meeting.status == MeetingStatus.DRAFT,
               sa.or_(MeetingSeries.secretariat_unit_id == unit_id, MeetingSeries.id.in_(own_series)))
        .order_by(MeetingSeries.id, Meeting.number.desc())).all()
    coming: dict = {}
    for series, meeting in drafts:
        coming.setdefault(series.id, (series, meeting))
    if not coming:
        return [], 0
    meeting_of_series = {sid: m.id for sid, (_, m) in coming.items()}
    run_here = [sid for sid, (s, _) in coming.items() if s.secretariat_unit_id == unit_id]
    awaiting = []
    if run_here:
        rows = db.session.execute(
            sa.select(ActionItem.series_id, sa.func.count(sa.distinct(ActionItem.id)), sa.func.count(ItemUnit.id))
            .join(ItemUnit, ItemUnit.item_id == ActionItem.id)
            .where(ActionItem.series_id.in_(run_here), *_open_items(), _missing(meeting_of_series))
            .group_by(ActionItem.series_id)).all()
        counts = {sid: (items, units) for sid, items, units in rows}
        awaiting = [Awaiting(coming[sid][0], coming[sid][1], *counts.get(sid, (0, 0))) for sid in run_here]
    mine = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(ActionItem.id))).join(ItemUnit, ItemUnit.item_id == ActionItem.id)
        .where(ItemUnit.unit_id == unit_id, ActionItem.series_id.in_(list(coming)), *_open_items(),
               _missing(meeting_of_series)))
    return awaiting, mine


# --- The pages' read models ------------------------------------------------------------------------

def national_units() -> list[Unit]:
    """The ministry's own active units (a national series' secretariat is one of them)."""
    return db.session.scalars(sa.select(Unit).where(Unit.county_id.is_(None), Unit.partner_org_id.is_(None),
                                                    Unit.is_active.is_(True)).order_by(Unit.id)).all()


def series_index(membership) -> tuple[list[MeetingSeries], dict[int, Meeting | None]]:
    """The series the person may see (national first) and the latest meeting of each."""
    all_series = db.session.scalars(sa.select(MeetingSeries).order_by(MeetingSeries.county_id.nullsfirst(),
                                                                      MeetingSeries.id)).all()
    visible = [s for s in all_series if services.can_see_series(s, membership)]
    latest = {s.id: db.session.scalars(sa.select(Meeting).where(Meeting.series_id == s.id)
                                       .order_by(Meeting.number.desc())).first() for s in visible}
    return visible, latest


def meetings_of(series: MeetingSeries) -> list[Meeting]:
    """The series' meetings, newest first."""
    return db.session.scalars(sa.select(Meeting).where(Meeting.series_id == series.id)
                              .order_by(Meeting.number.desc())).all()


def items_page(series: MeetingSeries, *, q: str, state: str, unit_id: int | None, page: int):
    """One page (30) of the series' items found (``services.search_items``)."""
    return db.paginate(services.search_items(series, q=q, state=state, unit_id=unit_id), page=page, per_page=30,
                       error_out=False)


@dataclass
class MeetingPage:
    raised: list[ActionItem]  # the items raised at the meeting the person may see
    amendments: list[MeetingAmendment]


def meeting_page(meeting: Meeting, membership, *, manager: bool) -> MeetingPage:
    raised = db.session.scalars(sa.select(ActionItem).where(ActionItem.raised_at_id == meeting.id)
                                .order_by(ActionItem.id)).all()
    if not manager:
        raised = [i for i in raised if services.responsible_on(i, membership)]
    amendments = db.session.scalars(sa.select(MeetingAmendment).where(MeetingAmendment.meeting_id == meeting.id)
                                    .order_by(MeetingAmendment.at)).all()
    return MeetingPage(raised, amendments)


def documents_of(meeting: Meeting) -> list[MeetingDocument]:
    """The PDFs asked for at the meeting, newest first."""
    return db.session.scalars(sa.select(MeetingDocument).where(MeetingDocument.meeting_id == meeting.id)
                              .order_by(MeetingDocument.id.desc())).all()


@dataclass
class TrackingPage:
    """The tracking table (列管事項追蹤表) as a page shows it: the rows (one unit's only, for a unit), the
    units still to write their progress on each item (the secretariat's view) and their short names."""

    rows: list[services.TableRow]
    previous: Meeting | None
    missing: dict[int, list[int]]
    unit_names: dict[int, str]


def tracking_page(meeting: Meeting, *, manager: bool, unit_id: int) -> TrackingPage:
    rows = services.tracking_table(meeting, unit_id=None if manager else unit_id)
    # services.missing_units from the rows already loaded: a unit without this meeting's entry has no current text
    missing = {row.item.id: units for row in rows if (units := [p.unit_id for p in row.progress if not p.current])} \
        if manager else {}
    unit_names = {u.id: u.display_short for u in db.session.scalars(
        sa.select(Unit).where(Unit.id.in_({u for units in missing.values() for u in units})))} if missing else {}
    return TrackingPage(rows, services.previous_meeting(meeting), missing, unit_names)


@dataclass
class ItemPage:
    """One item's page: its history meeting by meeting, the meeting units write for now, and (for a
    responsible unit) whether it is the person's to write and what the unit wrote already."""

    history: list[dict]
    coming: Meeting | None
    mine: bool
    entry: ProgressEntry | None


def item_page(item: ActionItem, series: MeetingSeries, membership) -> ItemPage:
    coming = services.coming_meeting(series)
    mine = services.responsible_on(item, membership)
    history = services.history(item)
    entry = None
    if coming is not None and mine:
        entry = next((e for h in history if h["meeting"].id == coming.id for e in h["progress"]
                      if e.unit_id == membership.unit_id), None)
    return ItemPage(history, coming, mine, entry)


def series_by_ids(ids) -> dict[int, MeetingSeries]:
    ids = set(ids)
    return {s.id: s for s in db.session.scalars(sa.select(MeetingSeries).where(MeetingSeries.id.in_(ids)))} if ids else {}


def recent_meetings(county_id: int, limit: int = 10) -> list:
    """(series, meeting) of the county's latest meetings, the latest held first."""
    return db.session.execute(
        sa.select(MeetingSeries, Meeting).join(Meeting, Meeting.series_id == MeetingSeries.id)
        .where(MeetingSeries.county_id == county_id).order_by(Meeting.held_on.desc()).limit(limit)).all()

"""Read models of meetings: action items still waiting for units' progress (pages share it), and what
each meeting page reads (the series, a meeting, the tracking table, an item's history, the PDFs)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..core import calendar
from ..extensions import db
from ..tenants.models import Unit
from . import services
from .diff import marked, marked_html
from .models import (
    ActionItem,
    ItemDecision,
    ItemNumber,
    ItemUnit,
    ItemUnitEvent,
    Meeting,
    MeetingAmendment,
    MeetingDocument,
    MeetingSeries,
    MeetingStatus,
    ProgressEntry,
    Recommendation,
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
    return sa.and_(ItemUnit.released_at_id.is_(None),  # a part released is not waited for
                   ~sa.exists().where(ProgressEntry.item_id == ItemUnit.item_id, ProgressEntry.unit_id == ItemUnit.unit_id,
                                      ProgressEntry.meeting_id == coming))


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
    """One page (30) of the series' items found (``search_items``)."""
    return db.paginate(search_items(series, q=q, state=state, unit_id=unit_id), page=page, per_page=30,
                       error_out=False)


@dataclass
class MeetingPage:
    raised: list[ActionItem]  # the items raised at the meeting the person may see
    amendments: list[MeetingAmendment]


def meeting_page(meeting: Meeting, membership, *, manager: bool) -> MeetingPage:
    raised = db.session.scalars(sa.select(ActionItem).where(ActionItem.raised_at_id == meeting.id)
                                .options(selectinload(ActionItem.numbers),  # each row's 案號 and units: one query each
                                         selectinload(ActionItem.units).joinedload(ItemUnit.unit))
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

    rows: list[TableRow]
    previous: Meeting | None
    missing: dict[int, list[int]]
    unit_names: dict[int, str]


def tracking_page(meeting: Meeting, *, manager: bool, unit_id: int) -> TrackingPage:
    rows = tracking_table(meeting, unit_id=None if manager else unit_id)
    # services.missing_units from the rows already loaded: a unit without this meeting's entry has no current text
    missing = {row.item.id: units for row in rows
               if (units := [p.unit_id for p in row.progress if not p.current and not p.released])} \
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
    meetings = history(item)
    entry = None
    if coming is not None and mine:
        entry = next((e for h in meetings if h["meeting"].id == coming.id for e in h["progress"]
                      if e.unit_id == membership.unit_id), None)
    return ItemPage(meetings, coming, mine, entry)


def series_by_ids(ids) -> dict[int, MeetingSeries]:
    ids = set(ids)
    return {s.id: s for s in db.session.scalars(sa.select(MeetingSeries).where(MeetingSeries.id.in_(ids)))} if ids else {}


def recent_meetings(county_id: int, limit: int = 10) -> list:
    """(series, meeting) of the county's latest meetings, the latest held first."""
    return db.session.execute(
        sa.select(MeetingSeries, Meeting).join(Meeting, Meeting.series_id == MeetingSeries.id)
        .where(MeetingSeries.county_id == county_id).order_by(Meeting.held_on.desc()).limit(limit)).all()


# --- The tracking table, an item's history, finding items (read models) --------------------

@dataclass
class UnitProgress:
    unit_name: str
    previous: str
    current: str
    current_marked: list = field(default_factory=list)  # (segment, changed) for red
    recommendation: Recommendation | None = None
    unit_id: int | None = None
    released: bool = False  # this unit's part is released (at this meeting or before)

    @property
    def current_html(self):
        """The current text with the changed parts in ``<span class="changed">`` (escaped, cached per text pair)."""
        return marked_html(self.previous, self.current)


@dataclass
class TableRow:
    position: int
    item: ActionItem
    lead_units: list[str]
    assist_units: list[str]
    progress: list[UnitProgress]
    overdue: bool
    recommendation: Recommendation  # the units' proposal: close only when every unit still tracked proposes it
    decision: Recommendation | None
    note: str = ""  # free text under 列管建議, printed across its two columns instead of the V
    released: dict = field(default_factory=dict)  # unit short name → number of the meeting that released its part

    @property
    def mark(self) -> Recommendation:
        """The V printed under 列管建議: the chair's decision, else the units' proposal."""
        return self.decision or self.recommendation


def tracking_table(meeting: Meeting, today: date | None = None, unit_id: int | None = None) -> list[TableRow]:
    """強化社會安全網工作進度會議提示或交辦事項辦理情形追蹤表 for a meeting
    (only one unit's rows when ``unit_id`` is given: what a responsible unit may see)."""
    today = today or calendar.today()
    previous = services.previous_meeting(meeting)
    items = services.open_items(meeting, eager=True)
    ids = [i.id for i in items]
    meeting_ids = [meeting.id] + ([previous.id] if previous else [])
    by_item: dict[int, dict] = {}  # item → (unit, meeting) → (text, recommendation); rows, not entities: ~500 of them
    for item_id, entry_unit, entry_meeting, text, proposal in db.session.execute(
            sa.select(ProgressEntry.item_id, ProgressEntry.unit_id, ProgressEntry.meeting_id, ProgressEntry.text,
                      ProgressEntry.recommendation).where(ProgressEntry.item_id.in_(ids),
                                                          ProgressEntry.meeting_id.in_(meeting_ids))):
        by_item.setdefault(item_id, {})[(entry_unit, entry_meeting)] = (text, proposal)
    decisions = {item_id: (decision, note) for item_id, decision, note in db.session.execute(
        sa.select(ItemDecision.item_id, ItemDecision.decision, ItemDecision.note).where(
            ItemDecision.item_id.in_(ids), ItemDecision.meeting_id == meeting.id))}
    released_ids = {u.released_at_id for i in items for u in i.units if u.released_at_id}
    numbers = dict(db.session.execute(sa.select(Meeting.id, Meeting.number).where(
        Meeting.id.in_(released_ids))).all()) if released_ids else {}
    rows = []
    for position, item in enumerate(items, start=1):
        if unit_id is not None and not any(u.unit_id == unit_id for u in item.units):
            continue  # numbered as on the full table
        entries = by_item.get(item.id, {})
        progress = []
        for unit in item.units:
            before = entries.get((unit.unit_id, previous.id)) if previous else None
            now = entries.get((unit.unit_id, meeting.id))
            previous_text, current_text = before[0] if before else "", now[0] if now else ""
            progress.append(UnitProgress(unit.unit.display_short, previous_text, current_text,
                                         marked(previous_text, current_text), now[1] if now else None, unit.unit_id,
                                         unit.released))
        proposals = [p.recommendation for p in progress if p.recommendation is not None and not p.released]
        recommendation = Recommendation.CLOSE if proposals and all(p == Recommendation.CLOSE for p in proposals) \
            else Recommendation.CONTINUE
        decision, note = decisions.get(item.id, (None, ""))
        rows.append(TableRow(position, item, [u.unit.display_short for u in item.units if u.lead],
                             [u.unit.display_short for u in item.units if not u.lead], progress,
                             bool(item.due_on and item.due_on < today and item.is_open), recommendation, decision,
                             note or "", {u.unit.display_short: numbers.get(u.released_at_id)
                                          for u in item.units if u.released_at_id}))
    return rows


# --- Finding items (read models) -------------------------------------------------------------------

def my_items(membership, *, include_closed: bool = False) -> list[ActionItem]:
    """The items the person's unit leads or assists on, across every series it can see."""
    stmt = (sa.select(ActionItem).join(ItemUnit).where(ItemUnit.unit_id == membership.unit_id,
                                                       ActionItem.merged_into_id.is_(None))
            .options(selectinload(ActionItem.numbers), selectinload(ActionItem.units))  # the page prints both
            .order_by(ActionItem.series_id, ActionItem.id))
    if not include_closed:  # nor the items where this unit's own part is released
        stmt = stmt.where(ActionItem.closed_at_id.is_(None), ItemUnit.released_at_id.is_(None))
    return list(db.session.scalars(stmt).unique())


def search_items(series: MeetingSeries, *, q: str = "", state: str = "open", unit_id: int | None = None):
    """Items of a series by 案號 or words of the title/instruction; open, closed or all.
    ``unit_id`` limits to one unit's items (what a responsible unit may see)."""
    stmt = sa.select(ActionItem).where(ActionItem.series_id == series.id, ActionItem.merged_into_id.is_(None))
    if state == "open":
        stmt = stmt.where(ActionItem.closed_at_id.is_(None))
    elif state == "closed":
        stmt = stmt.where(ActionItem.closed_at_id.is_not(None))
    if unit_id is not None:
        stmt = stmt.where(ActionItem.id.in_(sa.select(ItemUnit.item_id).where(ItemUnit.unit_id == unit_id)))
    q = q.strip()
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(sa.or_(ActionItem.title.like(like), ActionItem.instruction.like(like),
                                 ActionItem.id.in_(sa.select(ItemNumber.item_id).where(ItemNumber.number.like(like)))))
    return stmt.order_by(ActionItem.id)


def history(item: ActionItem) -> list[dict]:
    """Every meeting the item was on, oldest first: that meeting's instructions, each unit's progress and the decision."""
    meetings = db.session.scalars(sa.select(Meeting).where(Meeting.series_id == item.series_id)
                                  .order_by(Meeting.number)).all()
    entries = db.session.scalars(sa.select(ProgressEntry).where(ProgressEntry.item_id == item.id)).all()
    decisions = {d.meeting_id: d for d in db.session.scalars(sa.select(ItemDecision).where(ItemDecision.item_id == item.id))}
    parts = db.session.scalars(sa.select(ItemUnitEvent).where(ItemUnitEvent.item_id == item.id)
                               .order_by(ItemUnitEvent.at, ItemUnitEvent.id)).all()
    raised = next((m for m in meetings if m.id == item.raised_at_id), None)
    out = []
    for meeting in meetings:
        if raised is not None and meeting.number < raised.number:
            continue
        progress = [e for e in entries if e.meeting_id == meeting.id]
        instructions = [i for i in item.instructions if i.meeting_id == meeting.id]
        decision = decisions.get(meeting.id)
        released = [e for e in parts if e.meeting_id == meeting.id]  # each unit's part released or reopened here
        if progress or instructions or decision or released or meeting.id == item.raised_at_id:
            out.append({"meeting": meeting, "progress": progress, "instructions": instructions, "decision": decision,
                        "parts": released})
        if item.closed_at_id == meeting.id:
            break
    return out


def decisions_at(meeting: Meeting) -> list[tuple[ActionItem, ItemDecision]]:
    """The chair's decisions taken at a meeting, in table order."""
    rows = db.session.execute(sa.select(ActionItem, ItemDecision).join(ItemDecision, ItemDecision.item_id == ActionItem.id)
                              .where(ItemDecision.meeting_id == meeting.id).order_by(ActionItem.id)).all()
    return [(item, decision) for item, decision in rows]


def written_for(items: list[ActionItem], coming: dict[int, Meeting | None], unit_id: int) -> dict[int, ProgressEntry]:
    """Item id → this unit's entry for the coming meeting of the item's series, where written."""
    meeting_ids = [m.id for m in coming.values() if m is not None]
    if not items or not meeting_ids:
        return {}
    entries = db.session.scalars(sa.select(ProgressEntry).where(
        ProgressEntry.item_id.in_([i.id for i in items]), ProgressEntry.unit_id == unit_id,
        ProgressEntry.meeting_id.in_(meeting_ids)))
    return {e.item_id: e for e in entries}

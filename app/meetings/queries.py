"""Read models of meetings that pages share: action items still waiting for units' progress."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from .models import ActionItem, ItemUnit, Meeting, MeetingSeries, MeetingStatus, ProgressEntry


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

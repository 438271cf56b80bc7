"""Action items tracked meeting after meeting until the chair closes them.

Rules: 案號 are given by the database counter and unique per series (two items
created at once never share one); progress entries are kept per unit per
meeting and never overwritten; 前次辦理情形 is the entry of the previous
meeting of the same series; an item stays on the table until 解除列管."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..core.filters import roc_date
from ..core.models import utcnow
from ..core.sequences import next_value
from ..extensions import db
from .diff import marked
from .models import (
    ActionItem,
    ChairInstruction,
    ItemDecision,
    ItemNumber,
    ItemUnit,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    ProgressEntry,
    Recommendation,
)

CHINESE_NUMERALS = "一二三四五六七八九十"


class MeetingError(ValueError):
    pass


def case_number(meeting: Meeting, section: int) -> str:
    """The next 案號 of a meeting's agenda section: 1070124-3-1, 1070124-3-2 …"""
    if not 1 <= section <= 9:
        raise MeetingError("議程段落需為 1 到 9（如 3 = 參、歷次會議列管事項）。")
    prefix = f"{roc_date(meeting.held_on, 'compact')}-{section}"
    n = next_value(f"item:{meeting.series_id}", prefix)
    return f"{prefix}-{n}"


def new_meeting(series: MeetingSeries, held_on: date, **fields) -> Meeting:
    number = (db.session.scalar(sa.select(sa.func.max(Meeting.number)).where(Meeting.series_id == series.id)) or 0) + 1
    meeting = Meeting(series_id=series.id, number=fields.pop("number", number), held_on=held_on, **fields)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def add_item(meeting: Meeting, *, section: int, title: str, instruction: str, lead_unit_ids: list[int],
             assist_unit_ids: list[int] = (), due_on: date | None = None, number: str | None = None,
             case_id: int | None = None) -> ActionItem:
    if not title.strip() or not instruction.strip():
        raise MeetingError("請寫明列管事項的標題與提示或交辦內容。")
    if not lead_unit_ids:
        raise MeetingError("請至少指定一個主辦單位。")
    item = ActionItem(series_id=meeting.series_id, raised_at_id=meeting.id, title=title.strip(),
                      instruction=instruction.strip(), due_on=due_on, case_id=case_id)
    item.numbers.append(ItemNumber(number=number or case_number(meeting, section), series_id=meeting.series_id))
    for unit_id in dict.fromkeys(lead_unit_ids):
        item.units.append(ItemUnit(unit_id=unit_id, lead=True))
    for unit_id in dict.fromkeys(assist_unit_ids):
        if unit_id not in lead_unit_ids:
            item.units.append(ItemUnit(unit_id=unit_id, lead=False))
    db.session.add(item)
    db.session.flush()
    return item


def merge(into: ActionItem, others: list[ActionItem]) -> ActionItem:
    """Merged items: one item carrying every 案號 (e.g. 1070314-3-1 1070314-3-2 1070411-4)."""
    for other in others:
        if other.id == into.id:
            continue
        for n in list(other.numbers):
            other.numbers.remove(n)
            db.session.flush()
            into.numbers.append(ItemNumber(number=n.number, series_id=n.series_id))
        other.merged_into_id = into.id
    db.session.flush()
    return into


def instruct(item: ActionItem, meeting: Meeting, text: str) -> ChairInstruction:
    if not text.strip():
        raise MeetingError("主席提示不可空白。")
    instruction = ChairInstruction(meeting_id=meeting.id, text=text.strip())
    item.instructions.append(instruction)
    db.session.flush()
    return instruction


def instruction_lines(item: ActionItem) -> list[str]:
    """「1080605 主席提示」 followed by its numbered points, as the seed prints them."""
    lines = []
    for instruction in item.instructions:
        lines.append(f"{roc_date(instruction.meeting.held_on, 'compact')} 主席提示")
        points = [p.strip() for p in instruction.text.splitlines() if p.strip()]
        lines += [p if p[:1] in CHINESE_NUMERALS else f"{CHINESE_NUMERALS[i % 10]}、{p}" for i, p in enumerate(points)]
    return lines


def _responsible(item: ActionItem, unit_id: int) -> bool:
    return any(u.unit_id == unit_id for u in item.units)


def write_progress(item: ActionItem, meeting: Meeting, unit_id: int, text: str, recommendation: Recommendation,
                   user=None) -> ProgressEntry:
    """A unit's 辦理情形 for the coming meeting; rewriting before that meeting edits
    this meeting's entry, earlier meetings' entries are never touched."""
    if not item.is_open:
        raise MeetingError("此事項已解除列管。")
    if not _responsible(item, unit_id):
        raise MeetingError("只有主辦或協辦單位可以填寫辦理情形。")
    if meeting.status == MeetingStatus.FINAL:
        raise MeetingError("會議紀錄已確定，不能再填寫此次的辦理情形。")
    if not text.strip():
        raise MeetingError("辦理情形不可空白。")
    entry = db.session.scalars(sa.select(ProgressEntry).where(
        ProgressEntry.item_id == item.id, ProgressEntry.unit_id == unit_id, ProgressEntry.meeting_id == meeting.id)).first()
    if entry is None:
        entry = ProgressEntry(item_id=item.id, unit_id=unit_id, meeting_id=meeting.id)
        db.session.add(entry)
    entry.text = text.strip()
    entry.recommendation = recommendation
    entry.written_by_id = getattr(user, "id", None)
    entry.written_at = utcnow()
    db.session.flush()
    return entry


def previous_meeting(meeting: Meeting) -> Meeting | None:
    return db.session.scalars(sa.select(Meeting).where(Meeting.series_id == meeting.series_id,
                                                       Meeting.number < meeting.number)
                              .order_by(Meeting.number.desc())).first()


def missing_units(meeting: Meeting) -> dict[int, list[int]]:
    """Item id → units that have not yet written their progress for this meeting."""
    out = {}
    for item in open_items(meeting):
        written = {e.unit_id for e in db.session.scalars(sa.select(ProgressEntry).where(
            ProgressEntry.item_id == item.id, ProgressEntry.meeting_id == meeting.id))}
        missing = [u.unit_id for u in item.units if u.unit_id not in written]
        if missing:
            out[item.id] = missing
    return out


def open_items(meeting: Meeting) -> list[ActionItem]:
    """Items on the table at this meeting: raised at or before it and not closed before it."""
    earlier_or_this = sa.select(Meeting.id).where(Meeting.series_id == meeting.series_id, Meeting.number <= meeting.number)
    closed_before = sa.select(Meeting.id).where(Meeting.series_id == meeting.series_id, Meeting.number < meeting.number)
    return list(db.session.scalars(
        sa.select(ActionItem).where(ActionItem.series_id == meeting.series_id, ActionItem.merged_into_id.is_(None),
                                    ActionItem.raised_at_id.in_(earlier_or_this),
                                    sa.or_(ActionItem.closed_at_id.is_(None), ActionItem.closed_at_id.notin_(closed_before)))
        .order_by(ActionItem.id)))


def decide(item: ActionItem, meeting: Meeting, decision: Recommendation, user=None) -> ItemDecision:
    existing = db.session.scalars(sa.select(ItemDecision).where(ItemDecision.item_id == item.id,
                                                                ItemDecision.meeting_id == meeting.id)).first()
    record = existing or ItemDecision(item_id=item.id, meeting_id=meeting.id, decision=decision)
    record.decision = decision
    record.decided_by_id = getattr(user, "id", None)
    db.session.add(record)
    item.closed_at_id = meeting.id if decision == Recommendation.CLOSE else None
    db.session.flush()
    return record


@dataclass
class UnitProgress:
    unit_name: str
    previous: str
    current: str
    current_marked: list = field(default_factory=list)  # (segment, changed) for red
    recommendation: Recommendation | None = None


@dataclass
class TableRow:
    position: int
    item: ActionItem
    lead_units: list[str]
    assist_units: list[str]
    progress: list[UnitProgress]
    overdue: bool
    recommendation: Recommendation  # the units' proposal: close only when every unit proposes it
    decision: Recommendation | None


def tracking_table(meeting: Meeting, today: date | None = None) -> list[TableRow]:
    """強化社會安全網工作進度會議提示或交辦事項辦理情形追蹤表 for a meeting."""
    today = today or utcnow().date()
    previous = previous_meeting(meeting)
    rows = []
    for position, item in enumerate(open_items(meeting), start=1):
        entries = {(e.unit_id, e.meeting_id): e for e in db.session.scalars(
            sa.select(ProgressEntry).where(ProgressEntry.item_id == item.id,
                                           ProgressEntry.meeting_id.in_([meeting.id] + ([previous.id] if previous else []))))}
        progress = []
        for unit in item.units:
            before = entries.get((unit.unit_id, previous.id)) if previous else None
            now = entries.get((unit.unit_id, meeting.id))
            previous_text, current_text = before.text if before else "", now.text if now else ""
            progress.append(UnitProgress(unit.unit.display_short, previous_text, current_text,
                                         marked(previous_text, current_text), now.recommendation if now else None))
        proposals = [p.recommendation for p in progress if p.recommendation is not None]
        recommendation = Recommendation.CLOSE if proposals and all(p == Recommendation.CLOSE for p in proposals) \
            else Recommendation.CONTINUE
        decision = db.session.scalars(sa.select(ItemDecision.decision).where(
            ItemDecision.item_id == item.id, ItemDecision.meeting_id == meeting.id)).first()
        rows.append(TableRow(position, item, [u.unit.display_short for u in item.units if u.lead],
                             [u.unit.display_short for u in item.units if not u.lead], progress,
                             bool(item.due_on and item.due_on < today and item.is_open), recommendation, decision))
    return rows

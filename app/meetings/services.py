"""Action items tracked meeting after meeting until the chair closes them.

Rules: 案號 are given by the database counter and unique per series (two items
created at once never share one); progress entries are kept per unit per
meeting and never overwritten; 前次辦理情形 is the entry of the previous
meeting of the same series; an item stays on the table until 解除列管."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload

from ..accounts.models import Role
from ..core.errors import Invalid
from ..cases import services as cases
from ..cases.models import FamilyCase
from ..core.filters import roc_date
from ..core.models import utcnow
from ..core.sequences import next_value
from ..extensions import db
from ..referrals import notify
from ..tenants.models import MINISTRY_UNIT_KINDS, Unit, UnitKind
from .models import (
    COUNTY_KINDS,
    ITEM_WORKFLOW,
    MEETING_WORKFLOW,
    NATIONAL_KINDS,
    PART_WORKFLOW,
    ActionItem,
    ChairInstruction,
    ItemDecision,
    ItemNumber,
    ItemStatus,
    ItemUnit,
    Meeting,
    PartStatus,
    MeetingAmendment,
    MeetingSeries,
    MeetingStatus,
    ProgressEntry,
    Recommendation,
    SeriesKind,
)

CHINESE_NUMERALS = "一二三四五六七八九十"


class MeetingError(Invalid):
    pass


# Fields of the minutes, in the order of seed 004, with their headings.
MINUTES_FIELDS = {
    "starts_at": "時間", "place": "地點", "chair": "主持人", "invited": "應出席", "attendees": "出(列)席",
    "opening_remarks": "壹、主持人致詞", "previous_minutes": "貳、前次會議紀錄確認",
    "items_review": "參、歷次會議列管事項辦理情形", "reports": "肆、報告案", "discussions": "伍、討論案",
    "chair_instructions": "陸、主席裁示事項", "motions": "柒、臨時動議", "adjourned_at": "捌、散會",
}


# --- Who may do what -----------------------------------------------------------

def is_manager(series: MeetingSeries, membership) -> bool:
    """The secretariat and the chair's side: members of the secretariat unit and,
    for a county's series, the county's administrators."""
    if membership is None:
        return False
    if membership.unit_id == series.secretariat_unit_id and membership.role != Role.SOCIAL_WORKER:
        return True
    return series.county_id is not None and membership.role == Role.COUNTY_ADMIN and membership.county_id == series.county_id


def responsible_on(item: ActionItem, membership) -> bool:
    return membership is not None and any(u.unit_id == membership.unit_id for u in item.units)


def can_see_item(item: ActionItem, series: MeetingSeries, membership) -> bool:
    return is_manager(series, membership) or responsible_on(item, membership)


def has_items_in(series: MeetingSeries, membership) -> bool:
    if membership is None:
        return False
    return db.session.scalar(sa.select(sa.func.count(ItemUnit.id)).join(ActionItem).where(
        ActionItem.series_id == series.id, ItemUnit.unit_id == membership.unit_id)) > 0


def can_see_series(series: MeetingSeries, membership) -> bool:
    """The secretariat side sees all of a series; a unit sees it when it leads or assists on an item.
    (A county's series is invisible outside the county before this is asked: the query scope hides it.)"""
    if membership is None:
        return False
    if series.county_id is not None and membership.county_id != series.county_id:
        return False
    return is_manager(series, membership) or has_items_in(series, membership)


def kinds_for(membership) -> tuple[SeriesKind, ...]:
    """Which series a person may set up: the ministry's staff the national ones, county administrators the county's."""
    if membership is None:
        return ()
    if membership.role == Role.MINISTRY_STAFF:
        return NATIONAL_KINDS
    if membership.role == Role.COUNTY_ADMIN:
        return COUNTY_KINDS
    return ()


def eligible_units(series: MeetingSeries) -> list[Unit]:
    """Units an item may be given to: a county series, the county's units; a national one,
    the ministry's departments and institutions and the counties' bureaus."""
    stmt = sa.select(Unit).where(Unit.is_active.is_(True))
    if series.county_id is not None:
        stmt = stmt.where(Unit.county_id == series.county_id)
    else:
        kinds = MINISTRY_UNIT_KINDS + ((UnitKind.SOCIAL_AFFAIRS_BUREAU,) if series.kind != SeriesKind.PROGRESS else ())
        stmt = stmt.where(Unit.kind.in_(kinds))
    return list(db.session.scalars(stmt.order_by(Unit.county_id.nullsfirst(), Unit.kind, Unit.id)))


# --- Series and meetings -----------------------------------------------------------

def create_series(kind: SeriesKind, name: str, membership, secretariat_unit_id: int | None = None) -> MeetingSeries:
    if kind not in kinds_for(membership):
        raise MeetingError("您不能建立這一類的會議。中央人員建立中央會議，縣市管理者建立縣市會議。")
    if not name.strip():
        raise MeetingError("請填寫會議名稱。")
    county_id = membership.county_id if kind in COUNTY_KINDS else None
    secretariat = db.session.get(Unit, secretariat_unit_id or membership.unit_id)
    if secretariat is None or secretariat.county_id != county_id:
        raise MeetingError("幕僚（秘書）單位需為同一縣市或中央的單位。")
    series = MeetingSeries(kind=kind, name=name.strip(), county_id=county_id, secretariat_unit_id=secretariat.id)
    db.session.add(series)
    db.session.flush()
    return series


def case_number(meeting: Meeting, section: int) -> str:
    """The next 案號 of a meeting's agenda section: 1070124-3-1, 1070124-3-2 …
    The database counter hands each caller its own value; numbers typed in by
    hand (imports) are skipped over."""
    if not 1 <= section <= 9:
        raise MeetingError("議程段落需為 1 到 9（如 3 = 參、歷次會議列管事項）。")
    prefix = f"{roc_date(meeting.held_on, 'compact')}-{section}"
    while True:
        candidate = f"{prefix}-{next_value(f'item:{meeting.series_id}', prefix)}"
        taken = db.session.scalar(sa.select(sa.func.count(ItemNumber.id)).where(
            ItemNumber.series_id == meeting.series_id, ItemNumber.number == candidate))
        if not taken:
            return candidate


def _lock(model, row_id: int) -> None:
    """Hold the row until commit (PostgreSQL; SQLite writes one at a time anyway). FOR NO KEY UPDATE:
    rows that merely refer to it (items, numbers) are not held up."""
    db.session.execute(sa.select(model.id).where(model.id == row_id).with_for_update(key_share=True))


def new_meeting(series: MeetingSeries, held_on: date, **fields) -> Meeting:
    """The series is locked first: two secretariats creating the next meeting at once get
    consecutive numbers (or, for a number typed twice, the second is told it exists)."""
    _lock(MeetingSeries, series.id)
    number = (db.session.scalar(sa.select(sa.func.max(Meeting.number)).where(Meeting.series_id == series.id)) or 0) + 1
    number = fields.pop("number", None) or number
    if db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(Meeting.series_id == series.id,
                                                                     Meeting.number == number)):
        raise MeetingError(f"第 {number} 次會議已存在。")
    meeting = Meeting(series_id=series.id, county_id=series.county_id, number=number, held_on=held_on, **fields)
    db.session.add(meeting)
    MEETING_WORKFLOW.start(meeting)
    return meeting


def coming_meeting(series: MeetingSeries) -> Meeting | None:
    """The meeting units write their progress for: the latest one whose minutes are still a draft."""
    return db.session.scalars(sa.select(Meeting).where(Meeting.series_id == series.id,
                                                       Meeting.status == MeetingStatus.DRAFT)
                              .order_by(Meeting.number.desc())).first()


def update_minutes(meeting: Meeting, changes: dict, user=None, reason: str = "") -> list[MeetingAmendment]:
    """Edit a draft freely; a finalised meeting changes only through a recorded amendment (with a reason)."""
    changed = {k: v for k, v in changes.items() if k in MINUTES_FIELDS and getattr(meeting, k) != v}
    amendments = []
    if meeting.status == MeetingStatus.FINAL and changed:
        if not reason.strip():
            raise MeetingError("會議紀錄已確定，修正時請寫明修正理由。")
        for key, value in changed.items():
            amendments.append(MeetingAmendment(meeting_id=meeting.id, county_id=meeting.county_id, field=key,
                                               before=_as_text(key, getattr(meeting, key)), after=_as_text(key, value),
                                               reason=reason.strip(), by_id=getattr(user, "id", None)))
        db.session.add_all(amendments)
    for key, value in changed.items():
        setattr(meeting, key, value)
    db.session.flush()
    return amendments


def _as_text(key: str, value) -> str:
    if key in ("reports", "discussions"):
        return "\n".join(f"{i}. {r.get('case', '')}（{r.get('unit', '')}）：" + "；".join(r.get("decisions", []))
                         for i, r in enumerate(value or [], start=1))
    return value or ""


def frozen_on_finalise(meeting: Meeting) -> list[str]:
    """What finalising the minutes freezes, as the confirmation step names it."""
    raised = db.session.scalars(sa.select(ActionItem).where(ActionItem.raised_at_id == meeting.id)
                                .order_by(ActionItem.id)).all()
    numbers = "、".join(i.case_numbers for i in raised[:8]) + ("…" if len(raised) > 8 else "")
    return ["會議紀錄全文（壹、主持人致詞至捌、散會）成為唯讀；之後每一處修改都要寫明理由，並留下修正紀錄",
            f"本次會議新增的 {len(raised)} 項列管事項" + (f"（{numbers}）" if raised else "") + "不能再新增或刪除",
            "各單位在本次會議的辦理情形與主席的決定不能再修改"]


def finalise(meeting: Meeting, user=None) -> Meeting:
    if meeting.status == MeetingStatus.FINAL:
        raise MeetingError("會議紀錄已確定。")
    MEETING_WORKFLOW.fire(meeting, "finalise", actor=user)
    meeting.finalised_at = utcnow()
    meeting.finalised_by_id = getattr(user, "id", None)
    db.session.flush()
    return meeting


def add_item_to_open_meeting(meeting: Meeting, **fields) -> ActionItem:
    """An item from the meeting's page. The meeting is locked and its status read again, so an
    item and the finalising of the minutes cannot cross: the item is in the minutes, or refused."""
    _lock(Meeting, meeting.id)
    if db.session.scalar(sa.select(Meeting.status).where(Meeting.id == meeting.id)) == MeetingStatus.FINAL:
        raise MeetingError("會議紀錄已確定，不能再新增列管事項。")
    return add_item(meeting, **fields)


def add_item(meeting: Meeting, *, section: int, title: str, instruction: str, lead_unit_ids: list[int],
             assist_unit_ids: list[int] = (), due_on: date | None = None, number: str | None = None,
             case_id: int | None = None, origin: str = "") -> ActionItem:
    if not title.strip() or not instruction.strip():
        raise MeetingError("請寫明列管事項的標題與提示或交辦內容。")
    if not lead_unit_ids:
        raise MeetingError("請至少指定一個主辦單位。")
    series = meeting.series
    allowed = {u.id for u in eligible_units(series)}
    if not set(lead_unit_ids) | set(assist_unit_ids) <= allowed:
        raise MeetingError("主辦或協辦單位不在此會議的範圍內。")
    if case_id is not None:
        _check_case_link(series, case_id)
    item = ActionItem(series_id=meeting.series_id, county_id=series.county_id, raised_at_id=meeting.id,
                      title=title.strip(), instruction=instruction.strip(), due_on=due_on, case_id=case_id,
                      origin=origin.strip())
    item.numbers.append(ItemNumber(number=number or case_number(meeting, section), series_id=meeting.series_id,
                                   county_id=series.county_id))
    for unit_id in dict.fromkeys(lead_unit_ids):
        item.units.append(ItemUnit(unit_id=unit_id, lead=True, county_id=series.county_id))
    for unit_id in dict.fromkeys(assist_unit_ids):
        if unit_id not in lead_unit_ids:
            item.units.append(ItemUnit(unit_id=unit_id, lead=False, county_id=series.county_id))
    db.session.add(item)
    ITEM_WORKFLOW.start(item)
    for part in item.units:
        PART_WORKFLOW.start(part)
    if case_id is not None:
        _case_event(item, f"{meeting}列管：{item.case_numbers} {item.title}")
    return item


CASE_LINK_KINDS = (SeriesKind.HIGH_RISK, SeriesKind.CASE_CONFERENCE)


def _check_case_link(series: MeetingSeries, case_id: int):
    if series.kind not in CASE_LINK_KINDS:
        raise MeetingError("只有高危機網絡會議與個案研討的事項可以連結個案。")
    case = db.session.get(FamilyCase, case_id)  # another county's case: None
    if case is None or case.tenant_id != series.county_id:
        raise MeetingError("找不到此個案（只能連結本縣市的個案）。")
    return case


def link_case(item: ActionItem, case_id: int | None) -> None:
    if case_id is not None:
        _check_case_link(item_series(item), case_id)
    item.case_id = case_id
    db.session.flush()
    if case_id is not None:
        _case_event(item, f"{item.raised_at}列管：{item.case_numbers} {item.title}")


def item_series(item: ActionItem) -> MeetingSeries:
    return db.session.get(MeetingSeries, item.series_id)


def _case_event(item: ActionItem, summary: str, user=None, membership=None) -> None:
    """The family's timeline shows what the meeting decided about it."""
    case = db.session.get(FamilyCase, item.case_id) if item.case_id else None
    if case is not None:
        cases.add_event(case, "meeting", summary, user, membership)


def open_items_by_numbers(series: MeetingSeries, numbers: list[str]) -> list[ActionItem]:
    """The open items of a series carrying these 案號 (for a merge); an unknown or closed one is refused."""
    if not numbers:
        raise MeetingError("請填寫要併入的案號。")
    items = []
    for number in numbers:
        item = db.session.scalars(sa.select(ActionItem).join(ItemNumber).where(
            ItemNumber.series_id == series.id, ItemNumber.number == number)).first()
        if item is None or not item.is_open:
            raise MeetingError(f"找不到仍在列管中的案號 {number}。")
        items.append(item)
    return items


def merge(into: ActionItem, others: list[ActionItem]) -> ActionItem:
    """Merged items: one item carrying every 案號 (e.g. 1070314-3-1 1070314-3-2 1070411-4)."""
    for other in others:
        if other.id == into.id:
            continue
        for n in list(other.numbers):
            other.numbers.remove(n)
            db.session.flush()
            into.numbers.append(ItemNumber(number=n.number, series_id=n.series_id, county_id=into.county_id))
        ITEM_WORKFLOW.fire(other, "merge", reason=f"併入{into}")
        other.merged_into_id = into.id
    db.session.flush()
    return into


def instruct(item: ActionItem, meeting: Meeting, text: str, user=None) -> ChairInstruction:
    if not text.strip():
        raise MeetingError("主席提示不可空白。")
    if meeting.status == MeetingStatus.FINAL:
        raise MeetingError("會議紀錄已確定，不能再加主席提示。")
    instruction = ChairInstruction(meeting_id=meeting.id, county_id=item.county_id, text=text.strip())
    item.instructions.append(instruction)
    db.session.flush()
    _case_event(item, f"{meeting}主席提示（{item.case_numbers}）：{text.strip()}", user)
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
    if _part(item, unit_id).released:
        raise MeetingError("貴單位在此事項的部分已解除列管，不需再填寫辦理情形。")
    if meeting.status == MeetingStatus.FINAL:
        raise MeetingError("會議紀錄已確定，不能再填寫此次的辦理情形。")
    if not text.strip():
        raise MeetingError("辦理情形不可空白。")
    entry = db.session.scalars(sa.select(ProgressEntry).where(
        ProgressEntry.item_id == item.id, ProgressEntry.unit_id == unit_id, ProgressEntry.meeting_id == meeting.id)).first()
    if entry is None:
        entry = ProgressEntry(item_id=item.id, unit_id=unit_id, meeting_id=meeting.id, county_id=item.county_id)
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
                              .order_by(Meeting.number.desc()).limit(1)).first()


def missing_units(meeting: Meeting) -> dict[int, list[int]]:
    """Item id → units that have not yet written their progress for this meeting."""
    items = open_items(meeting, units=True)
    written = set()
    if items:
        written = set(db.session.execute(sa.select(ProgressEntry.item_id, ProgressEntry.unit_id).where(
            ProgressEntry.item_id.in_([i.id for i in items]), ProgressEntry.meeting_id == meeting.id)).all())
    out = {}
    for item in items:
        missing = [u.unit_id for u in item.units if not u.released and (item.id, u.unit_id) not in written]
        if missing:
            out[item.id] = missing
    return out


def open_items(meeting: Meeting, *, eager: bool = False, units: bool = False) -> list[ActionItem]:
    """Items on the table at this meeting: raised at or before it and not closed before it.
    ``eager`` loads what the tracking table prints (numbers, units, instructions) in a few queries;
    ``units`` only the responsible units (one query for all items, not one per item)."""
    earlier_or_this = sa.select(Meeting.id).where(Meeting.series_id == meeting.series_id, Meeting.number <= meeting.number)
    closed_before = sa.select(Meeting.id).where(Meeting.series_id == meeting.series_id, Meeting.number < meeting.number)
    stmt = (sa.select(ActionItem).where(ActionItem.series_id == meeting.series_id, ActionItem.merged_into_id.is_(None),
                                        ActionItem.raised_at_id.in_(earlier_or_this),
                                        sa.or_(ActionItem.closed_at_id.is_(None),
                                               ActionItem.closed_at_id.notin_(closed_before)))
            .order_by(ActionItem.id))
    if eager:
        # Meetings by selectin, not joined: a joined meeting row (with its JSON minutes) would come
        # once per instruction and per item, decoded each time, for about 40 distinct meetings.
        stmt = stmt.options(selectinload(ActionItem.numbers), selectinload(ActionItem.units).joinedload(ItemUnit.unit),
                            selectinload(ActionItem.instructions).selectinload(ChairInstruction.meeting),
                            selectinload(ActionItem.raised_at))
    elif units:
        stmt = stmt.options(selectinload(ActionItem.units))
    return list(db.session.scalars(stmt))


def _on_table_at(item: ActionItem, meeting: Meeting) -> None:
    """What every decision on a row of the table checks: the minutes still a draft, the item on this table."""
    if meeting.status == MeetingStatus.FINAL:
        raise MeetingError("會議紀錄已確定，決定不能再改。")
    if item.merged_into_id is not None:
        raise MeetingError("此事項已併入其他事項。")
    if item.closed_at_id is not None and item.closed_at_id != meeting.id:
        raise MeetingError("此事項已於先前的會議解除列管。")
    if item not in open_items(meeting):
        raise MeetingError("此事項不在這次會議的列管表上。")


def _decision_record(item: ActionItem, meeting: Meeting, decision: Recommendation, user=None) -> ItemDecision:
    record = db.session.scalars(sa.select(ItemDecision).where(ItemDecision.item_id == item.id,
                                                              ItemDecision.meeting_id == meeting.id)).first()
    if record is None:
        record = ItemDecision(item_id=item.id, meeting_id=meeting.id, decision=decision, county_id=item.county_id)
        db.session.add(record)
    record.decision = decision
    record.decided_by_id = getattr(user, "id", None)
    record.decided_at = utcnow()
    return record


def _part(item: ActionItem, unit_id: int) -> ItemUnit:
    part = next((p for p in item.units if p.unit_id == unit_id), None)
    if part is None:
        raise MeetingError("此單位不是這個事項的主辦或協辦單位。")
    return part


def release_sentence(item: ActionItem, meeting: Meeting) -> str:
    """The ministry's sentence under 列管建議 when some units' parts were released at this meeting and
    others continue: 「本案資訊處解除列管，其他司署繼續列管」 (「…，社家署繼續列管」 when one remains)."""
    released = [p for p in item.units if p.released_at_id == meeting.id]
    remaining = [p for p in item.units if not p.released]
    if not released or not remaining:
        return ""
    names = "、".join(p.unit.display_short for p in released)
    if len(remaining) == 1:
        rest = remaining[0].unit.display_short
    else:
        rest = "其他司署" if item.county_id is None else "其他單位"
    return f"本案{names}解除列管，{rest}繼續列管"


def _refresh_sentence(record: ItemDecision, item: ActionItem, meeting: Meeting) -> None:
    """A sentence the system wrote follows the parts; one a person wrote (or cleared) stays as written."""
    if record.note_generated or not record.note:
        record.note = release_sentence(item, meeting)
        record.note_generated = bool(record.note)


def _release(part: ItemUnit, meeting: Meeting, user, reason: str) -> None:
    PART_WORKFLOW.fire(part, "release", actor=user, reason=reason, meeting_id=meeting.id)
    part.released_at_id = meeting.id


def _reopen(part: ItemUnit, meeting: Meeting, user, reason: str) -> None:
    PART_WORKFLOW.fire(part, "reopen", actor=user, reason=reason, meeting_id=meeting.id)


def _close_item(item: ActionItem, meeting: Meeting, user) -> None:
    ITEM_WORKFLOW.fire(item, "close", actor=user, reason=str(meeting))
    item.closed_at_id = meeting.id


def decide(item: ActionItem, meeting: Meeting, decision: Recommendation, user=None) -> ItemDecision:
    """The chair's 解除列管 or 繼續追蹤 for an item at a meeting (changeable until the minutes are final).
    解除列管 releases every unit's part still tracked; 繼續追蹤 on an item released at this very meeting
    reopens it with the parts released at this meeting (parts released at earlier meetings stay released)."""
    _on_table_at(item, meeting)
    record = _decision_record(item, meeting, decision, user)
    if decision == Recommendation.CLOSE and item.status == ItemStatus.OPEN:
        for part in item.units:
            if part.status == PartStatus.TRACKING:
                _release(part, meeting, user, f"{meeting}決定解除列管")
        _close_item(item, meeting, user)
    elif decision == Recommendation.CONTINUE and item.status == ItemStatus.CLOSED:
        for part in item.units:
            if part.released_at_id == meeting.id:
                _reopen(part, meeting, user, f"{meeting}決定改為繼續追蹤")
        ITEM_WORKFLOW.fire(item, "reopen", actor=user, reason=str(meeting))
    if record.note_generated:
        _refresh_sentence(record, item, meeting)
    db.session.flush()
    _case_event(item, f"{meeting}決定（{item.case_numbers}）：{decision.label}", user)
    return record


def release_parts(item: ActionItem, meeting: Meeting, unit_ids: list[int], user=None, reason: str = "") -> ItemDecision:
    """Release these units' parts of the item at this meeting (解除列管 for them) while the others continue;
    the item itself is released when no part is left. The sentence under 列管建議 is written for the
    secretariat (「本案資訊處解除列管，其他司署繼續列管」), which may edit it."""
    _on_table_at(item, meeting)
    if item.status != ItemStatus.OPEN:
        raise MeetingError("此事項已解除列管。")
    unit_ids = list(dict.fromkeys(unit_ids or []))
    if not unit_ids:
        raise MeetingError("請勾選要解除列管的單位。")
    parts = [_part(item, unit_id) for unit_id in unit_ids]
    for part in parts:
        if part.released:
            raise MeetingError(f"{part.unit.display_short}的部分已解除列管。")
    why = reason.strip() or f"{meeting}決定"
    for part in parts:
        _release(part, meeting, user, why)
    if all(p.released for p in item.units):
        record = _decision_record(item, meeting, Recommendation.CLOSE, user)
        _close_item(item, meeting, user)
    else:
        record = _decision_record(item, meeting, Recommendation.CONTINUE, user)
    _refresh_sentence(record, item, meeting)
    db.session.flush()
    names = "、".join(p.unit.display_short for p in parts)
    _case_event(item, f"{meeting}決定（{item.case_numbers}）：{names}解除列管", user)
    return record


def reopen_part(item: ActionItem, meeting: Meeting, unit_id: int, user=None, reason: str = "") -> ItemDecision:
    """The explicit action that brings a released part back under tracking (恢復列管), with a reason,
    at the meeting still being prepared; an item released altogether is reopened with it."""
    if meeting.status == MeetingStatus.FINAL:
        raise MeetingError("會議紀錄已確定，請在下一次會議恢復列管。")
    if item.merged_into_id is not None:
        raise MeetingError("此事項已併入其他事項。")
    part = _part(item, unit_id)
    if not part.released:
        raise MeetingError(f"{part.unit.display_short}的部分仍在列管中。")
    if not reason.strip():
        raise MeetingError("請寫明恢復列管的理由。")
    raised = db.session.get(Meeting, item.raised_at_id)
    if raised is not None and raised.number > meeting.number:
        raise MeetingError("此事項在這次會議之後才列管。")
    _reopen(part, meeting, user, reason.strip())
    if item.status == ItemStatus.CLOSED:
        ITEM_WORKFLOW.fire(item, "reopen", actor=user, reason=f"{part.unit.display_short}恢復列管：{reason.strip()}")
    record = _decision_record(item, meeting, Recommendation.CONTINUE, user)
    _refresh_sentence(record, item, meeting)
    db.session.flush()
    _case_event(item, f"{meeting}（{item.case_numbers}）：{part.unit.display_short}恢復列管", user)
    return record


def set_note(item: ActionItem, meeting: Meeting, text: str, user=None) -> ItemDecision:
    """Free text under 列管建議 (「報告完後即可解除列管」), printed across both columns instead of the V.
    The decision it goes with stays what it is (繼續追蹤 until the item is released)."""
    _on_table_at(item, meeting)
    text = (text or "").strip()
    if len(text) > 200:
        raise MeetingError(f"列管建議文字最多 200 個字，目前 {len(text)} 個字。")
    decision = Recommendation.CLOSE if item.status == ItemStatus.CLOSED else Recommendation.CONTINUE
    record = db.session.scalars(sa.select(ItemDecision).where(ItemDecision.item_id == item.id,
                                                              ItemDecision.meeting_id == meeting.id)).first()
    if record is None:
        record = _decision_record(item, meeting, decision, user)
    record.note, record.note_generated = text, False
    db.session.flush()
    return record


def set_table(meeting: Meeting, *, table_date: date | None, annex: str, note: str) -> Meeting:
    """The tracking table as made: its 製表日期 (ROC, today when none is given), 附件 label and 註 line."""
    previous = previous_meeting(meeting)
    if table_date is not None and previous is not None and table_date < previous.held_on:
        raise MeetingError(f"製表日期早於前次會議（{roc_date(previous.held_on)}），請再核對年份。", field="table_date")
    meeting.table_date = table_date
    meeting.table_annex = (annex or "").strip()
    meeting.table_note = (note or "").strip()
    db.session.flush()
    return meeting


def remind(meeting: Meeting, user=None) -> int:
    """Remind, in the app, everyone of the units that have not yet written their progress. Returns how many people."""
    missing = missing_units(meeting)
    people = set()
    for unit_id in {u for units in missing.values() for u in units}:
        count = sum(unit_id in units for units in missing.values())
        ids = notify.people_of_unit(unit_id)
        notify.notify(ids, f"{meeting}：尚有 {count} 項列管事項未填寫辦理情形",
                      url_for("meetings.mine"), skip=getattr(user, "id", None))
        people |= set(ids)
    return len(people - {getattr(user, "id", None)})

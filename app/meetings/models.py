"""Meeting series, meetings (minutes in the structure of seed 004), action items
(列管事項) with their 案號, the chair's instructions, each unit's progress per
meeting, and the chair's decision per item per meeting."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.documents import TRANSITIONS as QUEUED_DOCUMENT, DocumentStatus, QueuedDocumentMixin
from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.tenancy import CountyOrNationalMixin
from ..core.workflow import Transition, Workflow
from ..extensions import db


class SeriesKind(LabeledEnum):
    PROGRESS = ("progress", "強化社會安全網工作進度會議")
    CENTRAL_LOCAL = ("central_local", "中央與地方政策會議")
    CROSS_MINISTRY = ("cross_ministry", "跨部會政策平台")
    COUNTY_PLATFORM = ("county_platform", "縣市跨網絡平台會議")
    CASE_CONFERENCE = ("case_conference", "跨網絡個案研討")
    HIGH_RISK = ("high_risk", "高危機網絡會議")


class MeetingStatus(LabeledEnum):
    DRAFT = ("draft", "紀錄草稿")
    FINAL = ("final", "紀錄確定")


class ItemStatus(LabeledEnum):
    """An action item's state. It is not stored: the meeting that closed it (``closed_at_id``) and the
    item it was merged into (``merged_into_id``) hold it, as they always have."""

    OPEN = ("open", "列管中")
    CLOSED = ("closed", "解除列管")
    MERGED = ("merged", "已併案")


class PartStatus(LabeledEnum):
    """One unit's part of an action item (its 主辦 or 協辦 share). Not stored either: the meeting that
    released it (``ItemUnit.released_at_id``) holds it. The item is released when every part is."""

    TRACKING = ("tracking", "列管中")
    RELEASED = ("released", "解除列管")


class Recommendation(LabeledEnum):
    CLOSE = ("close", "解除列管")
    CONTINUE = ("continue", "繼續追蹤")


NATIONAL_KINDS = (SeriesKind.PROGRESS, SeriesKind.CENTRAL_LOCAL, SeriesKind.CROSS_MINISTRY)
COUNTY_KINDS = (SeriesKind.COUNTY_PLATFORM, SeriesKind.CASE_CONFERENCE, SeriesKind.HIGH_RISK)


class DocumentKind(LabeledEnum):
    TRACKING = ("tracking", "列管事項追蹤表")
    MINUTES = ("minutes", "會議紀錄")


class MeetingSeries(CountyOrNationalMixin, TimestampMixin, db.Model):
    """A standing meeting: national (``county_id`` empty, run by the ministry) or a county's."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SeriesKind] = mapped_column(enum_column_type(SeriesKind, "series_kind"), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    secretariat_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False)

    meetings: Mapped[list[Meeting]] = relationship(back_populates="series", order_by="Meeting.number")
    secretariat = relationship("Unit")

    __audited__ = True

    def __str__(self) -> str:
        return self.name


class Meeting(CountyOrNationalMixin, TimestampMixin, db.Model):
    __tablename__ = "meetings"
    __table_args__ = (sa.UniqueConstraint("series_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_series.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(nullable=False)  # 第 N 次
    held_on: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    starts_at: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    place: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    chair: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    # The tracking table as the ministry prints it: 製表日期 (chosen when the table is made), the
    # 附件 label (「附件2」: the table is an annex of the minutes) and the 註 line under the table.
    table_date: Mapped[date | None] = mapped_column(sa.Date())
    table_annex: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    table_note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    invited: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")  # 應出席
    attendees: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")  # 出(列)席
    # Minutes in the order of seed 004: 壹 … 柒.
    opening_remarks: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    previous_minutes: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    items_review: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    reports: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)  # [{case, unit, decisions: [..]}]
    discussions: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    chair_instructions: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    motions: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    adjourned_at: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    status: Mapped[MeetingStatus] = mapped_column(enum_column_type(MeetingStatus, "meeting_status"), nullable=False,
                                                  default=MeetingStatus.DRAFT)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    series: Mapped[MeetingSeries] = relationship(back_populates="meetings")
    finalised_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version",)

    def __str__(self) -> str:
        return f"{self.series.name}第 {self.number} 次會議"

    @property
    def table_note_line(self) -> str:
        """The 註 line printed under the tracking table, as the secretariat wrote it (「註：」 added if missing)."""
        text = (self.table_note or "").strip()
        return text if not text or text.startswith("註") else f"註：{text}"


class ActionItem(CountyOrNationalMixin, TimestampMixin, db.Model):
    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_series.id"), nullable=False, index=True)
    raised_at_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), nullable=False)
    origin: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")  # e.g. 108年1月29日強化社會安全網跨平台第2次會議
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    instruction: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    due_on: Mapped[date | None] = mapped_column(sa.Date())
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("family_cases.id"), index=True)
    closed_at_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"))
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("action_items.id"))

    numbers: Mapped[list[ItemNumber]] = relationship(back_populates="item", order_by="ItemNumber.id",
                                                     cascade="all, delete-orphan")
    units: Mapped[list[ItemUnit]] = relationship(back_populates="item", cascade="all, delete-orphan",
                                                 order_by="ItemUnit.id")
    instructions: Mapped[list[ChairInstruction]] = relationship(back_populates="item", cascade="all, delete-orphan",
                                                                order_by="ChairInstruction.id")
    raised_at: Mapped[Meeting] = relationship(foreign_keys=[raised_at_id])
    closed_at: Mapped[Meeting | None] = relationship(foreign_keys=[closed_at_id])

    __audited__ = True

    @property
    def case_numbers(self) -> str:
        return " ".join(n.number for n in self.numbers)

    @property
    def is_open(self) -> bool:
        return self.closed_at_id is None and self.merged_into_id is None

    @property
    def status(self) -> ItemStatus:
        if self.merged_into_id is not None:
            return ItemStatus.MERGED
        return ItemStatus.CLOSED if self.closed_at_id is not None else ItemStatus.OPEN

    @status.setter
    def status(self, value: ItemStatus) -> None:
        """Set by the workflow engine. Reopening clears the closing meeting; closing and merging are
        written by the service that fires them (the meeting that closes it, the item it joins)."""
        if value == ItemStatus.OPEN:
            self.closed_at_id = None

    def __str__(self) -> str:
        return f"列管事項 {self.case_numbers}"


MEETING_WORKFLOW = Workflow(
    "meeting", label="會議紀錄", states=MeetingStatus, record_type="meetings", describe=str,
    transitions=[
        Transition("open", (None,), MeetingStatus.DRAFT, "新增會議"),
        Transition("finalise", (MeetingStatus.DRAFT,), MeetingStatus.FINAL, "確定紀錄"),
    ])
"""A meeting's minutes: a draft until the secretariat finalises them, then changed only by recorded
amendments (``MeetingAmendment``). No history table of its own: the audit entry each transition
writes is its history (``finalised_at``/``finalised_by`` say who finalised)."""

ITEM_WORKFLOW = Workflow(
    "action_item", label="列管事項", states=ItemStatus, record_type="action_items", describe=str,
    transitions=[
        Transition("raise", (None,), ItemStatus.OPEN, "列管"),
        Transition("close", (ItemStatus.OPEN,), ItemStatus.CLOSED, "解除列管"),
        # the chair's decision at the same meeting changed back to 繼續追蹤 (until the minutes are final)
        Transition("reopen", (ItemStatus.CLOSED,), ItemStatus.OPEN, "繼續追蹤"),
        Transition("merge", (ItemStatus.OPEN,), ItemStatus.MERGED, "併案"),
    ])
"""An action item (列管事項), tracked meeting after meeting. Its decisions are kept per meeting
(``ItemDecision``); the audit entry each transition writes is the history of its state."""


class ItemNumber(CountyOrNationalMixin, db.Model):
    """A 案號 such as 1070124-3-1: the meeting's ROC date, the agenda section, a sequence."""

    __tablename__ = "action_item_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False, index=True)
    number: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_series.id"), nullable=False)

    item: Mapped[ActionItem] = relationship(back_populates="numbers")

    __table_args__ = (sa.UniqueConstraint("series_id", "number"),)


class ItemUnit(CountyOrNationalMixin, db.Model):
    __tablename__ = "action_item_units"
    __table_args__ = (sa.UniqueConstraint("item_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False, index=True)
    lead: Mapped[bool] = mapped_column(nullable=False, default=False)  # 主辦 (else 協辦)

    # The meeting at which this unit's part was released (解除列管) while others may continue.
    released_at_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"))

    item: Mapped[ActionItem] = relationship(back_populates="units")
    unit = relationship("Unit")
    released_at: Mapped[Meeting | None] = relationship(foreign_keys=[released_at_id])

    __audited__ = True  # who leads an item (主辦) and who helps is a decision of the secretariat

    @property
    def released(self) -> bool:
        return self.released_at_id is not None

    @property
    def status(self) -> PartStatus:
        return PartStatus.RELEASED if self.released_at_id is not None else PartStatus.TRACKING

    @status.setter
    def status(self, value: PartStatus) -> None:
        """Set by the workflow engine: reopening clears the releasing meeting; releasing is written by
        the service that fires it (it knows the meeting)."""
        if value == PartStatus.TRACKING and self.released_at_id is not None:
            self.released_at_id = None

    def __str__(self) -> str:
        return f"列管事項{'主辦' if self.lead else '協辦'}單位"


class ItemUnitEvent(CountyOrNationalMixin, db.Model):
    """The history of one unit's part of an item: each release (解除列管) and each explicit reopening
    (恢復列管), at which meeting, who, when and why. Written by ``PART_WORKFLOW``'s history hook."""

    __tablename__ = "action_item_unit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False)
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"))
    action: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # the transition: release / reopen
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    unit = relationship("Unit")
    meeting = relationship("Meeting")
    by = relationship("User")

    @property
    def label(self) -> str:
        return "解除列管" if self.action == "release" else "恢復列管"


def _part_history(firing) -> None:
    if firing.before is None:
        return  # a part's start (given to the unit) is the item's own 列管 and its audit entry
    part = firing.record
    db.session.add(ItemUnitEvent(item_id=part.item_id, unit_id=part.unit_id, county_id=part.county_id,
                                 meeting_id=firing.extra.get("meeting_id"), action=firing.transition.name,
                                 reason=firing.reason, by_id=firing.actor_id, at=firing.at))


def _describe_part(part) -> str:
    return f"列管事項 {part.item.case_numbers}（{part.unit.display_short}）"


PART_WORKFLOW = Workflow(
    "action_item_unit", label="單位列管", states=PartStatus, record_type="action_item_units",
    describe=_describe_part, history=_part_history,
    transitions=[
        Transition("assign", (None,), PartStatus.TRACKING, "列管"),
        Transition("release", (PartStatus.TRACKING,), PartStatus.RELEASED, "解除列管"),
        # only by an explicit action: the secretariat's 恢復列管 with a reason, or the chair's decision
        # at the same meeting changed back to 繼續追蹤 (until the minutes are final)
        Transition("reopen", (PartStatus.RELEASED,), PartStatus.TRACKING, "恢復列管"),
    ])
"""One unit's part of an action item: released separately (「本案資訊處解除列管，其他司署繼續列管」);
the item is released (``ITEM_WORKFLOW`` close) when every part is, and reopened with a part."""


class ChairInstruction(CountyOrNationalMixin, db.Model):
    """The chair's later instructions, dated: 「1080605 主席提示 一、…」."""

    __tablename__ = "chair_instructions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False, index=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), nullable=False)
    text: Mapped[str] = mapped_column(sa.Text(), nullable=False)

    item: Mapped[ActionItem] = relationship(back_populates="instructions")
    meeting = relationship("Meeting")

    __audited__ = True

    def __str__(self) -> str:
        return "主席指示"


class ProgressEntry(CountyOrNationalMixin, db.Model):
    """One unit's 辦理情形 for one item, written for one meeting. Never overwritten:
    the next meeting gets a new row, and the previous one becomes 前次辦理情形."""

    __tablename__ = "progress_entries"
    __table_args__ = (sa.UniqueConstraint("item_id", "unit_id", "meeting_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), nullable=False, index=True)
    text: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    recommendation: Mapped[Recommendation] = mapped_column(enum_column_type(Recommendation, "recommendation"),
                                                           nullable=False, default=Recommendation.CONTINUE)
    written_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    unit = relationship("Unit")
    meeting = relationship("Meeting")
    written_by = relationship("User")

    __audited__ = True

    def __str__(self) -> str:
        return f"辦理情形（{self.recommendation.label}）"


class ItemDecision(CountyOrNationalMixin, db.Model):
    """The chair's decision on an item at a meeting."""

    __tablename__ = "item_decisions"
    __table_args__ = (sa.UniqueConstraint("item_id", "meeting_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False, index=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), nullable=False)
    decision: Mapped[Recommendation] = mapped_column(enum_column_type(Recommendation, "decision"), nullable=False)
    # Free text under 列管建議, printed across its two columns instead of the V
    # (「報告完後即可解除列管」, 「本案資訊處解除列管，其他司署繼續列管」). ``note_generated``: the
    # sentence was written by the system from the parts released and nobody has edited it since.
    note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    note_generated: Mapped[bool] = mapped_column(nullable=False, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    meeting = relationship("Meeting")

    __audited__ = True

    def __str__(self) -> str:
        return f"列管決定（{self.decision.label}）"


class MeetingAmendment(CountyOrNationalMixin, db.Model):
    """A change to finalised minutes: which section, what it said, what it says now, why and who."""

    __tablename__ = "meeting_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), nullable=False, index=True)
    field: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    before: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    after: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    by = relationship("User")

    __audited__ = True

    def __str__(self) -> str:
        return f"會議紀錄更正（{self.field}）"


class MeetingDocument(QueuedDocumentMixin, CountyOrNationalMixin, db.Model):
    """A PDF made for a meeting by a job and kept with it (tracking table or minutes)."""

    __tablename__ = "meeting_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), nullable=False, index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column_type(DocumentKind, "document_kind"), nullable=False)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    pages: Mapped[int] = mapped_column(nullable=False, default=0)
    seconds: Mapped[float] = mapped_column(sa.Float(), nullable=False, default=0.0)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    table_date: Mapped[date | None] = mapped_column(sa.Date())  # the 製表日期 printed (tracking table)

    requested_by = relationship("User")

    __audited__ = True
    __audit_exclude__ = ("pdf", "seconds")  # the PDF itself is kept with its SHA-256, which is recorded

    def __str__(self) -> str:
        return f"會議文件（{self.kind.label}）"

    # A job still "queued" or "running" after this long has died with its worker (RQ's own
    # timeout is 10 minutes): it is shown as failed, with a retry, never as endless progress.
    STALE_AFTER_SECONDS = 15 * 60
    __status_type__ = "document_status"

    @property
    def filename(self) -> str:
        return f"meeting-{self.meeting_id}-{self.kind.value}-{self.id}.pdf"


DOCUMENT_WORKFLOW = Workflow(
    "meeting_document", label="會議文件", states=DocumentStatus, transitions=QUEUED_DOCUMENT,
    record_type="meeting_documents", describe=str)
"""A meeting's PDF, made by a job (the shared queued-document lifecycle). It keeps no history of its
own: the audit entry each transition writes is its history."""
MeetingDocument.WORKFLOW = DOCUMENT_WORKFLOW

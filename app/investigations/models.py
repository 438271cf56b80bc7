"""通報調查處理中心: an investigation of a child-protection report, its outcome and where the family went.

One investigation per report dispatched to the county's centre. The centre keeps it in its queue
until the family is held by a serving unit (``dispatched_case_id``: the case opened at the 家防中心 or
社福中心) or a supervisor ends it with no service need.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db


class InvestigationStatus(LabeledEnum):
    PENDING = ("pending", "待調查")
    INVESTIGATING = ("investigating", "調查中")
    CONCLUDED = ("concluded", "調查完成")
    DISPATCHED = ("dispatched", "已派案服務")
    CLOSED = ("closed", "結束（無需服務）")


# The states in which the centre still holds the family (its queue).
IN_QUEUE = (InvestigationStatus.PENDING, InvestigationStatus.INVESTIGATING, InvestigationStatus.CONCLUDED)


class Investigation(TenantMixin, TimestampMixin, db.Model):
    __tablename__ = "investigations"
    __table_args__ = (
        sa.Index("ix_investigations_queue", "tenant_id", "status", "contact_due_at"),
        sa.CheckConstraint("status != 'dispatched' OR (dispatched_unit_id IS NOT NULL AND dispatched_case_id IS NOT NULL)",
                           name="dispatched_has_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("reports.id"), unique=True, nullable=False)
    centre_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False, index=True)
    family_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    urgent: Mapped[bool] = mapped_column(nullable=False, default=False)  # 第一級 or marked urgent: 24 hours
    status: Mapped[InvestigationStatus] = mapped_column(enum_column_type(InvestigationStatus, "investigation_status"),
                                                        nullable=False, default=InvestigationStatus.PENDING)
    contact_due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    conclude_due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The outcome (調查完成).
    substantiated: Mapped[bool | None] = mapped_column()  # 成立 / 不成立
    service_need: Mapped[bool | None] = mapped_column()  # 有 / 無服務需求
    outcome_note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Where the family went (已派案服務), or why it ended (結束).
    dispatched_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    dispatched_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("family_cases.id"), index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    report = relationship("Report")
    centre_unit = relationship("Unit", foreign_keys=[centre_unit_id])
    dispatched_unit = relationship("Unit", foreign_keys=[dispatched_unit_id])
    dispatched_case = relationship("FamilyCase", foreign_keys=[dispatched_case_id])
    worker = relationship("User", foreign_keys=[worker_id])
    events: Mapped[list[InvestigationEvent]] = relationship(back_populates="investigation", cascade="all, delete-orphan",
                                                            order_by="InvestigationEvent.id")

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version",)

    @property
    def outcome_label(self) -> str:
        if self.concluded_at is None:
            return ""
        parts = ["成立" if self.substantiated else "不成立", "有服務需求" if self.service_need else "無服務需求"]
        return "、".join(parts)

    def __str__(self) -> str:
        return f"調查 {self.report.report_no if self.report else self.id}"


class InvestigationEvent(TenantMixin, db.Model):
    """Every state change of an investigation: who, when, from, to, why."""

    __tablename__ = "investigation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(sa.ForeignKey("investigations.id", ondelete="CASCADE"),
                                                  nullable=False, index=True)
    from_status: Mapped[InvestigationStatus | None] = mapped_column(
        enum_column_type(InvestigationStatus, "investigation_from_status"))
    to_status: Mapped[InvestigationStatus] = mapped_column(
        enum_column_type(InvestigationStatus, "investigation_to_status"), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")

    investigation: Mapped[Investigation] = relationship(back_populates="events")

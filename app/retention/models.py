"""A county administrator's decision on a closed case past its retention period."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db


class RetentionChoice(LabeledEnum):
    RETAIN_UNTIL = ("retain_until", "延長保存")
    DISPOSE = ("dispose", "銷毀")


class RetentionDecision(TenantMixin, db.Model):
    """One decision; a case's current decision is its latest. Decisions outlive the case:
    after disposal ``case_id`` is cleared and ``case_no`` says which case it was."""

    __tablename__ = "retention_decisions"
    __table_args__ = (
        sa.CheckConstraint("(decision = 'retain_until') = (retain_until IS NOT NULL)", name="retain_has_date"),
        sa.Index("ix_retention_decisions_case", "tenant_id", "case_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("family_cases.id", ondelete="SET NULL"), index=True)
    case_no: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    decision: Mapped[RetentionChoice] = mapped_column(enum_column_type(RetentionChoice, "retention_choice"),
                                                      nullable=False)
    retain_until: Mapped[date | None] = mapped_column(sa.Date())
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    # What the rule said when the decision was made: closing date and period.
    closed_on: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    retention_years: Mapped[int] = mapped_column(nullable=False)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    # Set by the purge that carried out a dispose decision.
    disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __audited__ = True

    def __str__(self) -> str:
        return f"保存期限決定 {self.case_no}：{self.decision.label}"

"""What a county enters for the board: the denominators that live outside the platform
(e.g. all new parents in the county, from the 戶政司's birth registrations), with their source."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db


class TargetDenominator(TenantMixin, TimestampMixin, db.Model):
    """One county's denominator of one measure for one ROC year (the latest entry replaces the last;
    every change is in the audit log with the value before and after)."""

    __tablename__ = "target_denominators"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("tenant_id", "measure_code", "roc_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_code: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    roc_year: Mapped[int] = mapped_column(nullable=False)
    value: Mapped[int] = mapped_column(nullable=False)
    source: Mapped[str] = mapped_column(sa.String(200), nullable=False)  # 「戶政司出生登記（115年）」
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    entered_by_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    def __str__(self) -> str:
        return f"目標分母 {self.measure_code}（{self.roc_year}年）{self.value:,}"


class TargetSnapshot(TenantMixin, db.Model):
    """One county's counts of one measure for one period, computed by the nightly job
    (:mod:`app.targets.snapshot`) or a county's 「重新計算」, with the moment they were computed.

    A finished period's counts are figures as at the period's end, so its row keeps its meaning and
    is kept; the running period's rows are replaced each night. ``denominator`` is None for a measure
    whose denominator the county enters (the board adds the entered value when it reads the row)."""

    __tablename__ = "target_snapshots"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "measure_code", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_code: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    period_kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # PeriodKind value
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)  # inclusive
    numerator: Mapped[int] = mapped_column(nullable=False)
    denominator: Mapped[int | None] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    def __str__(self) -> str:
        return f"目標看板快照 {self.measure_code}（{self.period_start}–{self.period_end}）"

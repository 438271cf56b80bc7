"""Reports a county submits to the ministry: one row per generated version,
with its figures (counts, from which every rate is derived), its PDF, CSV and
XLSX, and once submitted, frozen (a correction is a new version that names
the one it replaces)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.enums import LabeledEnum, enum_column_type
from ..core.filters import roc_date
from ..core.jobs import progress_state
from ..core.errors import DomainError
from ..core.models import UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db


class ReportKind(LabeledEnum):
    SCREENING = ("screening", "集中篩派案統計")
    VISITS = ("visits", "脆弱家庭訪視評估")
    VULNERABILITY = ("vulnerability", "脆弱性變化")
    REFERRALS = ("referrals", "轉介與爭議")
    SPRING = ("spring", "春節關懷訪視服務成果")


class PeriodKind(LabeledEnum):
    MONTH = ("month", "月報")
    QUARTER = ("quarter", "季報")
    YEAR = ("year", "年報")
    SPRING = ("spring", "春節關懷期間")  # a campaign's own dates (step 7)


class RunStatus(LabeledEnum):
    QUEUED = ("queued", "排隊中")
    RUNNING = ("running", "產製中")
    DONE = ("done", "已完成（未送出）")
    FAILED = ("failed", "產製失敗")


class ReportRun(TenantMixin, db.Model):
    __tablename__ = "report_runs"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "kind", "period_start", "period_end", "version"),
        sa.Index("ix_report_runs_period", "kind", "period_start", "period_end"),
    )

    # A job "queued" or "running" for longer than this died with its worker: shown as failed, with a retry.
    STALE_AFTER_SECONDS = 20 * 60

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(enum_column_type(ReportKind, "report_kind"), nullable=False)
    period_kind: Mapped[PeriodKind] = mapped_column(enum_column_type(PeriodKind, "period_kind"), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date(), nullable=False)  # inclusive
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("report_runs.id"))
    correction_note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    status: Mapped[RunStatus] = mapped_column(enum_column_type(RunStatus, "run_status"), nullable=False,
                                              default=RunStatus.QUEUED)
    figures: Mapped[dict | None] = mapped_column(sa.JSON())
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    csv: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    xlsx: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    pages: Mapped[int] = mapped_column(nullable=False, default=0)
    seconds: Mapped[float] = mapped_column(sa.Float(), nullable=False, default=0.0)
    peak_memory_kb: Mapped[int] = mapped_column(nullable=False, default=0)
    error: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    job_id: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")  # the RQ job, to notice a dead worker
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    county = relationship("County", foreign_keys="ReportRun.tenant_id")
    replaces = relationship("ReportRun", remote_side=[id])

    __audited__ = True
    __audit_exclude__ = ("pdf", "csv", "xlsx", "figures")

    def __str__(self) -> str:
        return f"{self.kind.label} {roc_date(self.period_start, 'short')}–{roc_date(self.period_end, 'short')} 第 {self.version} 版"

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    def state(self, now: datetime | None = None) -> str:
        """'done', 'failed' or 'busy' (queued/running and not yet stale)."""
        return progress_state(self.status.value, self.requested_at, self.STALE_AFTER_SECONDS, now)


class FrozenReport(DomainError):
    """A submitted report was about to change (the submit page answers it as it answers a ReportError)."""

    status = 422


FROZEN_FIELDS = ("figures", "pdf", "csv", "xlsx", "sha256", "kind", "period_start", "period_end", "version",
                 "tenant_id", "submitted_at", "submitted_by_id", "status")


@event.listens_for(ReportRun, "before_update")
def _refuse_changes_once_submitted(mapper, connection, target: ReportRun) -> None:
    state = sa.inspect(target)
    history = state.attrs.submitted_at.history
    was_submitted = any(v is not None for v in history.deleted) or (
        target.submitted_at is not None and not history.has_changes())
    if not was_submitted:
        return
    changed = [key for key in FROZEN_FIELDS if state.attrs[key].history.has_changes()]
    if changed:
        raise FrozenReport(f"送出的報表不能再修改（{', '.join(changed)}）；請產製更正版。")

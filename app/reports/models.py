"""Reports a county submits to the ministry: one row per generated version,
with its figures (counts, from which every rate is derived), its PDF, CSV and
XLSX, and once submitted, frozen (a correction is a new version that names
the one it replaces)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.documents import TRANSITIONS as QUEUED_DOCUMENT, DocumentStatus, QueuedDocumentMixin
from ..core.errors import DomainError
from ..core.enums import LabeledEnum, enum_column_type
from ..core.filters import roc_date
from ..core.models import UTCDateTime
from ..core.tenancy import TenantMixin
from ..core.workflow import Workflow
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
    HALF = ("half", "半年報")  # 上半年 1–6月, 下半年 7–12月
    YEAR = ("year", "年報")
    SPRING = ("spring", "春節關懷期間")  # a campaign's own dates (step 7)


#: A run's state is the shared queued-document lifecycle's (core.documents); the stored codes are unchanged.
RunStatus = DocumentStatus


class ReportRun(QueuedDocumentMixin, TenantMixin, db.Model):
    __tablename__ = "report_runs"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "kind", "period_start", "period_end", "version"),
        sa.Index("ix_report_runs_period", "kind", "period_start", "period_end"),
    )

    # A job "queued" or "running" for longer than this died with its worker: shown as failed, with a retry.
    STALE_AFTER_SECONDS = 20 * 60
    __status_type__ = "run_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(enum_column_type(ReportKind, "report_kind"), nullable=False)
    period_kind: Mapped[PeriodKind] = mapped_column(enum_column_type(PeriodKind, "period_kind"), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date(), nullable=False)  # inclusive
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("report_runs.id"))
    correction_note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    figures: Mapped[dict | None] = mapped_column(sa.JSON())
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    csv: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    xlsx: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    pages: Mapped[int] = mapped_column(nullable=False, default=0)
    seconds: Mapped[float] = mapped_column(sa.Float(), nullable=False, default=0.0)
    peak_memory_kb: Mapped[int] = mapped_column(nullable=False, default=0)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
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

    def job_started(self, at: datetime) -> None:
        self.started_at, self.attempts = at, self.attempts + 1


RUN_WORKFLOW = Workflow(
    "report_run", label="報表", states=DocumentStatus, transitions=QUEUED_DOCUMENT, record_type="report_runs",
    describe=lambda run: f"報表 {run}")
"""A version of a report, made by a job (the shared queued-document lifecycle). It keeps no history
of its own: the audit entry each transition writes is its history. Submitting (then frozen) is not a
state of this workflow: ``submitted_at`` records it, and the audit log the change."""
ReportRun.WORKFLOW = RUN_WORKFLOW


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

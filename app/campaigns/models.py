"""The spring-festival care campaign: the ministry's rule sets (versioned data)
and campaigns, and each county's visit list — one entry per family, recording
which rule version chose it, why, and who visits."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cases.models import case_number_of
from ..core.documents import TRANSITIONS as QUEUED_DOCUMENT, DocumentStatus, QueuedDocumentMixin
from ..core.enums import LabeledEnum, enum_column_type
from ..core.filters import roc_date
from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..core.workflow import Workflow
from ..extensions import db


class RuleSet(db.Model):
    """A version of the national rules. Never edited once a campaign uses it: a change is a new version."""

    __tablename__ = "campaign_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(nullable=False, unique=True)
    rules: Mapped[dict] = mapped_column(sa.JSON(), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __audited__ = True

    def __str__(self) -> str:
        return f"關懷對象規則第 {self.version} 版"


class Campaign(TimestampMixin, db.Model):
    """One Lunar New Year's campaign, opened by the ministry for every county."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    holiday_start: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    holiday_end: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    starts_on: Mapped[date] = mapped_column(sa.Date(), nullable=False)  # default: two weeks before the holiday
    ends_on: Mapped[date] = mapped_column(sa.Date(), nullable=False)  # default: one week after it
    rule_set_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_rule_sets.id"), nullable=False)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    rule_set: Mapped[RuleSet] = relationship()

    __audited__ = True

    def __str__(self) -> str:
        return self.name


class EntrySource(LabeledEnum):
    RULES = ("rules", "社政列管（風險指標）")
    ADULT_PROTECTION = ("adult_protection", "高危機成人保護（家有 6 歲以下兒童）")
    NETWORK = ("network", "網絡單位查訪")


class NetworkKind(LabeledEnum):
    HEALTH = ("health", "衛生（精神照護／自殺防治／毒危列管、未完成預防接種）")
    EDUCATION = ("education", "教育（高關懷個案）")
    POLICE = ("police", "警政（毒品治安顧慮人口且家有未滿 12 歲兒童）")
    CIVIL = ("civil", "民政（村里長、村里幹事）")
    FIRE = ("fire", "消防（住宅用火災警報器補助）")


class VisitEntry(TenantMixin, TimestampMixin, db.Model):
    """A family on the county's visit list for a campaign."""

    __tablename__ = "campaign_entries"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "case_id"),
                      # the county's list, in its order (in person first, then by case), read a page at a time
                      sa.Index("ix_campaign_entries_list", "campaign_id", "tenant_id", "in_person", "case_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), nullable=False, index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("family_cases.id"), nullable=False, index=True)
    source: Mapped[EntrySource] = mapped_column(enum_column_type(EntrySource, "entry_source"), nullable=False)
    network_kind: Mapped[NetworkKind | None] = mapped_column(enum_column_type(NetworkKind, "network_kind"))
    indicators: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)  # ["1C", "2A"]
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")  # manual ticks, network note
    rule_set_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign_rule_sets.id"))
    computed_on: Mapped[date | None] = mapped_column(sa.Date())
    in_person: Mapped[bool] = mapped_column(nullable=False, default=False)
    visiting_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    lead_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))  # the case's lead at computation

    case = relationship("FamilyCase")
    visiting_unit = relationship("Unit", foreign_keys=[visiting_unit_id])

    __audited__ = True

    def __str__(self) -> str:
        return f"春節關懷名單 {case_number_of(self, self.case_id)}"


class ManualIndicator(TenantMixin, db.Model):
    """An indicator the case data cannot hold (一級D major event, 一級E other high risk), ticked by a worker with a reason."""

    __tablename__ = "campaign_manual_indicators"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "case_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), nullable=False, index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("family_cases.id"), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(4), nullable=False)  # "1D"
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __audited__ = True

    def __str__(self) -> str:
        return f"人工勾選指標 {self.code}"


class VisitMethod(LabeledEnum):
    IN_PERSON = ("in_person", "面訪")
    PHONE = ("phone", "電訪")
    NOT_REACHED = ("not_reached", "未遇（聯繫未果）")


class CampaignVisit(TenantMixin, db.Model):
    """One visit (or attempt) to a family on the list: who was seen, each child's care, needs, services, findings."""

    __tablename__ = "campaign_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_entries.id"), nullable=False, index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("family_cases.id"), nullable=False, index=True)
    visited_on: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    method: Mapped[VisitMethod] = mapped_column(enum_column_type(VisitMethod, "visit_method"), nullable=False)
    persons_seen: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    children: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)  # [{member_id, name, seen, care_ok, note}]
    needs: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    services: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)  # [{kind, amount}]
    referrals: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    finding: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")  # abuse or neglect found
    new_report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reports.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    worker_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __audited__ = True

    def __str__(self) -> str:
        return f"春節關懷訪視 {roc_date(self.visited_on, 'short')}"


class DutyContact(TenantMixin, db.Model):
    """A line of the county's holiday duty roster (值勤): who answers, for which unit, on which day."""

    __tablename__ = "campaign_duty_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), nullable=False, index=True)
    on_date: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    hours: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="")  # 全日 / 08:00–17:00
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    person: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    note: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    unit = relationship("Unit")

    __audited__ = True

    def __str__(self) -> str:
        return f"春節值勤 {roc_date(self.on_date, 'short')} {self.person}"


class ListRun(QueuedDocumentMixin, TenantMixin, db.Model):
    """One computation of a county's visit list, made by a job (the shared queued-document lifecycle):
    at 100,000 open families it is seconds of work, never a web request's. The page polls it and shows
    the job's progress; what the computation found is kept on it."""

    __tablename__ = "campaign_list_runs"

    # A computation still queued or running after this long died with its worker: shown failed, retriable.
    STALE_AFTER_SECONDS = 10 * 60
    __status_type__ = "list_run_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), nullable=False, index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    families: Mapped[int] = mapped_column(nullable=False, default=0)  # open families read
    listed: Mapped[int] = mapped_column(nullable=False, default=0)
    added: Mapped[int] = mapped_column(nullable=False, default=0)
    removed: Mapped[int] = mapped_column(nullable=False, default=0)
    counts: Mapped[dict] = mapped_column(sa.JSON(), nullable=False, default=dict)  # indicator → families listed by it
    seconds: Mapped[float] = mapped_column(sa.Float(), nullable=False, default=0.0)

    requested_by = relationship("User")

    __audited__ = True

    def __str__(self) -> str:
        return "春節關懷名單計算"

    def job_started(self, at: datetime) -> None:
        self.started_at = at


LIST_RUN_WORKFLOW = Workflow(
    "campaign_list_run", label="名單計算", states=DocumentStatus, transitions=QUEUED_DOCUMENT,
    record_type="campaign_list_runs", describe=str)
"""A county's visit-list computation, made by a job; the audit entry each transition writes is its history."""
ListRun.WORKFLOW = LIST_RUN_WORKFLOW

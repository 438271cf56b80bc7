"""Reports, the people in them, their confidential reporter, and every state change."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..core import calendar
from ..core import deadlines
from ..core.dates import age_on
from ..core.enums import LabeledEnum, enum_column_type
from ..core.normalise import normalise_address, normalise_phone
from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db
from .reference import (
    Concern,
    Profession,
    Relation,
    ReporterType,
    ReportingChannel,
    Sex,
    VulnerabilityDimension,
)


def concern_labels(codes) -> list[str]:
    return [Concern(c).label for c in codes or () if c in Concern._value2member_map_]


class ReportStatus(LabeledEnum):
    RECEIVED = ("received", "待篩案")
    SCREENING = ("screening", "篩案中")
    DISPATCHED = ("dispatched", "已派案")
    REFERRED = ("referred", "不派案／已轉介")
    SCREENED_OUT = ("screened_out", "無效（不受理）")
    TRANSFERRED = ("transferred", "已移轉他縣市")


FINAL_STATUSES = (ReportStatus.DISPATCHED, ReportStatus.REFERRED, ReportStatus.SCREENED_OUT,
                  ReportStatus.TRANSFERRED)
OPEN_REPORT_STATUSES = (ReportStatus.RECEIVED, ReportStatus.SCREENING)


class InvalidReason(LabeledEnum):
    DUPLICATE = ("duplicate", "重複通報")
    DATA_ERROR = ("data_error", "資料錯誤或不全")
    OUT_OF_SCOPE = ("out_of_scope", "非屬服務範疇")


class ChildGrade(LabeledEnum):
    FIRST = ("1", "第一級")
    SECOND = ("2", "第二級")


class ChildClass(LabeledEnum):
    FIRST = ("1", "第一類（照顧者或家人所致）")
    SECOND = ("2", "第二類（他人所致）")
    THIRD = ("3", "第三類（其他）")


class DeadlineKind(LabeledEnum):
    HOURS_24 = ("24h", "24 小時")
    DAYS_3 = ("3d", "3 日")


class Report(TenantMixin, TimestampMixin, db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.Index("ix_reports_queue", "tenant_id", "status", "deadline_at"),
        sa.Index("ix_reports_address_key", "tenant_id", "address_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_no: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    lookup_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    channel: Mapped[ReportingChannel] = mapped_column(enum_column_type(ReportingChannel, "channel"), nullable=False)
    source_name: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")  # API client, agency
    # The API token it came in with: that organisation's system may read back its coarse status.
    api_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    learned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    # The address as the duplicate search compares it (core.normalise), kept with the address.
    address_key: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="", server_default="")
    child_location: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    concerns: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    dimensions: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    narrative: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    urgent: Mapped[bool] = mapped_column(nullable=False, default=False)
    actions_taken: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    tipvda_answers: Mapped[list | None] = mapped_column(sa.JSON())
    tipvda_score: Mapped[int | None] = mapped_column()
    victim_wishes: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")

    status: Mapped[ReportStatus] = mapped_column(enum_column_type(ReportStatus, "report_status"), nullable=False,
                                                 default=ReportStatus.RECEIVED)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    deadline_kind: Mapped[DeadlineKind] = mapped_column(enum_column_type(DeadlineKind, "deadline_kind"),
                                                        nullable=False)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The decision, once made (exactly once).
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invalid_reason: Mapped[InvalidReason | None] = mapped_column(enum_column_type(InvalidReason, "invalid_reason"))
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reports.id"), index=True)
    directed_to: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    child_grade: Mapped[ChildGrade | None] = mapped_column(enum_column_type(ChildGrade, "child_grade"))
    child_class: Mapped[ChildClass | None] = mapped_column(enum_column_type(ChildClass, "child_class"))
    lead_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    collaborator_unit_ids: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    referred_to: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    transferred_to_county_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counties.id"))
    transferred_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reports.id"), index=True)
    transferred_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reports.id"), index=True)
    decision_note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("family_cases.id"), index=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    persons: Mapped[list[ReportPerson]] = relationship(back_populates="report", cascade="all, delete-orphan",
                                                       order_by="ReportPerson.position", overlaps="report")
    reporter: Mapped[ReportReporter | None] = relationship(back_populates="report", cascade="all, delete-orphan",
                                                           uselist=False, overlaps="report")
    transitions: Mapped[list[ReportTransition]] = relationship(back_populates="report", cascade="all, delete-orphan",
                                                               order_by="ReportTransition.id", overlaps="report")
    district = relationship("District")
    claimed_by = relationship("User", foreign_keys=[claimed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    lead_unit = relationship("Unit", foreign_keys=[lead_unit_id])
    case = relationship("FamilyCase", foreign_keys=[case_id])
    transferred_to_county = relationship("County", foreign_keys=[transferred_to_county_id])

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("lookup_hash", "version")

    @property
    def concern_labels(self) -> list[str]:
        return concern_labels(self.concerns)

    @property
    def hours_to_decision(self) -> float | None:
        if self.decided_at is None:
            return None
        return round((self.decided_at - self.received_at).total_seconds() / 3600, 1)

    @property
    def dimension_labels(self) -> list[str]:
        return [VulnerabilityDimension(d).label for d in self.dimensions if d in VulnerabilityDimension._value2member_map_]

    @validates("address")
    def _keep_address_key(self, _key, value):
        self.address_key = normalise_address(value)
        return value

    def __str__(self) -> str:
        return f"通報 {self.report_no}"


class ReportPerson(TenantMixin, db.Model):
    __tablename__ = "report_persons"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "report_id"], ["reports.tenant_id", "reports.id"], ondelete="CASCADE"),
        sa.Index("ix_report_persons_name_birth", "tenant_id", "name", "birth_date"),
        sa.Index("ix_report_persons_phone_key", "tenant_id", "phone_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(nullable=False, index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "sex"), nullable=False, default=Sex.UNKNOWN)
    birth_date: Mapped[date | None] = mapped_column(sa.Date())
    estimated_age: Mapped[int | None] = mapped_column()
    id_number: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="", index=True)
    relation: Mapped[Relation] = mapped_column(enum_column_type(Relation, "relation"), nullable=False,
                                               default=Relation.OTHER)
    school: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="", index=True)
    # The phone's digits, as the duplicate search compares them (core.normalise), kept with the phone.
    phone_key: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="", server_default="")

    report: Mapped[Report] = relationship(back_populates="persons", overlaps="persons")

    @validates("phone")
    def _keep_phone_key(self, _key, value):
        self.phone_key = normalise_phone(value)
        return value

    __audited__ = True  # who is named in a report, and any correction of it

    @property
    def age_text(self) -> str:
        if self.birth_date:
            return f"{age_on(self.birth_date, calendar.today())} 歲"
        if self.estimated_age is not None:
            return f"約 {self.estimated_age} 歲"
        return "不詳"

    def __str__(self) -> str:
        return self.name or "（姓名不詳）"


class ReportReporter(TenantMixin, db.Model):
    """Who reported: confidential by law (兒少法 §54 V, 家暴法 §50 II, 老福法 §43 II).

    A table of its own so that reading it is a separate, permission-checked act."""

    __tablename__ = "report_reporters"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "report_id"], ["reports.tenant_id", "reports.id"], ondelete="CASCADE"),
        sa.UniqueConstraint("report_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(nullable=False)
    reporter_type: Mapped[ReporterType] = mapped_column(enum_column_type(ReporterType, "reporter_type"),
                                                        nullable=False)
    anonymous: Mapped[bool] = mapped_column(nullable=False, default=False)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="")
    email: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    profession: Mapped[Profession | None] = mapped_column(enum_column_type(Profession, "profession"))
    organisation: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")

    report: Mapped[Report] = relationship(back_populates="reporter", overlaps="reporter")

    __audited__ = True

    def __str__(self) -> str:
        return "通報人資料"


class ReportTransition(TenantMixin, db.Model):
    """Every state change of a report: who, when, from, to, why."""

    __tablename__ = "report_transitions"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "report_id"], ["reports.tenant_id", "reports.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(nullable=False, index=True)
    from_status: Mapped[ReportStatus | None] = mapped_column(enum_column_type(ReportStatus, "from_status"))
    to_status: Mapped[ReportStatus] = mapped_column(enum_column_type(ReportStatus, "to_status"), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")

    report: Mapped[Report] = relationship(back_populates="transitions", overlaps="transitions")


class DispatchRule(TenantMixin, TimestampMixin, db.Model):
    """A county's dispatch deadlines (seed 004 item 4), as data with the date it takes effect."""

    __tablename__ = "dispatch_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    urgent_hours: Mapped[int] = mapped_column(nullable=False, default=deadlines.NATIONAL_DISPATCH.urgent_hours)
    other_days: Mapped[int] = mapped_column(nullable=False, default=deadlines.NATIONAL_DISPATCH.other_days)
    other_in_working_days: Mapped[bool] = mapped_column(nullable=False, default=False)
    tipvda_threshold: Mapped[int] = mapped_column(nullable=False, default=deadlines.NATIONAL_DISPATCH.tipvda_threshold)
    urgent_concerns: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    urgent_flag_counts: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Working days a unit or partner has to answer a referral, and a dispute; the arbiter's days.
    referral_response_days: Mapped[int] = mapped_column(nullable=False, default=deadlines.RULES["referral.response"].working_days)
    dispute_response_days: Mapped[int] = mapped_column(nullable=False, default=deadlines.RULES["dispute.response"].working_days)
    dispute_decision_days: Mapped[int] = mapped_column(nullable=False, default=deadlines.RULES["dispute.decision"].working_days)
    note: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    __audited__ = True

    def __str__(self) -> str:
        return f"派案時限（{self.effective_from} 起）"


class ApiToken(TenantMixin, TimestampMixin, db.Model):
    """A per-organisation token for POST /api/v1/reports, issued by a county administrator."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    channel: Mapped[ReportingChannel] = mapped_column(enum_column_type(ReportingChannel, "channel"), nullable=False)
    token_prefix: Mapped[str] = mapped_column(sa.String(12), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __audited__ = True
    __audit_exclude__ = ("token_hash", "last_used_at")

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __str__(self) -> str:
        return f"API 金鑰 {self.organisation}（{self.token_prefix}…）"


class IdempotencyKey(TenantMixin, db.Model):
    __tablename__ = "api_idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_tokens.id"), nullable=False, index=True)
    key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("reports.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class QuarantinedSubmission(db.Model):
    """Public submissions held back (honeypot filled): kept, never lost, never queued."""

    __tablename__ = "quarantined_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    reason: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    ip: Mapped[str] = mapped_column(sa.String(45), nullable=False, default="")
    payload: Mapped[dict] = mapped_column(sa.JSON(), nullable=False)

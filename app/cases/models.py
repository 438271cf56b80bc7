"""The family case (案家) and everything recorded on it."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship, validates

from ..core import calendar
from ..core.dates import age_on
from ..core.enums import LabeledEnum, enum_column_type
from ..core.normalise import normalise_address
from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db
from ..intake.models import concern_labels
from ..intake.reference import Relation, Sex, VulnerabilityDimension
from .reference import (
    AssessmentOutcome,
    ContactMethod,
    FamilyTier,
    Level,
    RemovalOutcome,
    SafetyResult,
    ServiceStatus,
    WelfareType,
)


class CaseStatus(LabeledEnum):
    """The case's states; ``service_code`` is twss-service-case-status."""

    AWAITING_ASSIGNMENT = ("awaiting_assignment", "待指派社工")
    ASSESSING = ("assessing", "評估中")
    OPENING_REVIEW = ("opening_review", "開案審查中")
    OPEN = ("open", "開案服務中")
    CLOSING_REVIEW = ("closing_review", "結案審查中")
    CLOSED = ("closed", "已結案")
    NOT_OPENED = ("not_opened", "不開案")

    @property
    def service_code(self) -> str:
        return {"awaiting_assignment": "2", "assessing": "6", "opening_review": "7", "open": "12",
                "closing_review": "8", "closed": "13", "not_opened": "14"}[self.value]


OPEN_STATUSES = (CaseStatus.AWAITING_ASSIGNMENT, CaseStatus.ASSESSING, CaseStatus.OPENING_REVIEW, CaseStatus.OPEN,
                 CaseStatus.CLOSING_REVIEW)


class CaseUnitRole(LabeledEnum):
    LEAD = ("lead", "主責")
    COLLABORATOR = ("collaborator", "協力")
    # A former lead (or a unit taken off the case by a decision) that keeps reading what it
    # wrote and the referrals it sent, without writing any more: nobody loses a family unseen.
    FORMER = ("former", "前主責（唯讀）")


SERVING_ROLES = (CaseUnitRole.LEAD, CaseUnitRole.COLLABORATOR)


def _child_fk():
    return sa.ForeignKeyConstraint(["tenant_id", "case_id"], ["family_cases.tenant_id", "family_cases.id"],
                                   ondelete="CASCADE")


class FamilyCase(TenantMixin, TimestampMixin, db.Model):
    __tablename__ = "family_cases"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.Index("ix_family_cases_status_received", "tenant_id", "status", "received_at"),
        sa.Index("ix_family_cases_address_key", "tenant_id", "address_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(sa.String(30), unique=True, nullable=False)
    family_name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    status: Mapped[CaseStatus] = mapped_column(enum_column_type(CaseStatus, "case_status"), nullable=False,
                                               default=CaseStatus.AWAITING_ASSIGNMENT)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    # The address as the duplicate search compares it (core.normalise), kept with the address.
    address_key: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="", server_default="")
    phone: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="")
    # Received date of the first report: the 10-day / 30-day / 24-hour clocks run from it.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    concerns: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    child_grade: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="")
    child_class: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="")
    assigned_worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Stored times the deadlines are measured against.
    first_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    child_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assessment_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The day the latest service plan is next to be reviewed (its last review's next date, or the plan's
    # first review date before any review; None without a plan or when no review is planned). Set by
    # ``services.add_plan`` and ``services.review_plan`` only; the plan-review clock reads it.
    plan_review_on: Mapped[date | None] = mapped_column(sa.Date())
    outcome: Mapped[AssessmentOutcome | None] = mapped_column(enum_column_type(AssessmentOutcome, "outcome"))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opening_level: Mapped[Level | None] = mapped_column(enum_column_type(Level, "opening_level"))
    closing_level: Mapped[Level | None] = mapped_column(enum_column_type(Level, "closing_level"))
    closing_reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    re_report_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("family_cases.id"))
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    district = relationship("District")
    assigned_worker = relationship("User", foreign_keys=[assigned_worker_id])
    re_report_of = relationship("FamilyCase", remote_side=[id], foreign_keys=[re_report_of_id])
    units: Mapped[list[CaseUnit]] = relationship(back_populates="case", cascade="all, delete-orphan", overlaps="case")
    members: Mapped[list[CaseMember]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                     order_by="CaseMember.id", overlaps="case")

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version",)

    @property
    def concern_labels(self) -> list[str]:
        return concern_labels(self.concerns)

    @property
    def lead_unit(self):
        return next((u.unit for u in self.units if u.role == CaseUnitRole.LEAD), None)

    @property
    def collaborating_units(self):
        return [u.unit for u in self.units if u.role == CaseUnitRole.COLLABORATOR]

    @property
    def is_vulnerable_family(self) -> bool:
        return "vulnerable_family" in (self.concerns or [])

    @validates("address")
    def _keep_address_key(self, _key, value):
        self.address_key = normalise_address(value)
        return value

    def __str__(self) -> str:
        return f"{self.case_no} {self.family_name}"


def mask_id(value: str) -> str:
    """A12****789: enough to tell people apart on a list, not enough to misuse."""
    if not value:
        return "不詳"
    if len(value) < 7:
        return value[0] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 6) + value[-3:]


def case_number_of(record, case_id: int | None) -> str:
    """How a record about a family names it in its ``__str__`` (the audit summary): the case number
    when the record's session holds the case (a one-family action), else 「個案#id」. Never a query:
    it runs inside a flush, for each of a recomputed list's thousands of rows too."""
    session = object_session(record)
    case = session.identity_map.get(session.identity_key(FamilyCase, case_id)) if session and case_id else None
    return case.case_no if case is not None else f"個案#{case_id}"


class CaseUnit(TenantMixin, db.Model):
    """The lead unit and collaborating units of a case (「一主責、多協力」)."""

    __tablename__ = "case_units"
    __table_args__ = (
        _child_fk(),
        sa.UniqueConstraint("case_id", "unit_id"),
        # At most one lead per case, in the database; services make sure there is always one.
        sa.Index("uq_case_units_one_lead", "case_id", unique=True, sqlite_where=sa.text("role = 'lead'"),
                 postgresql_where=sa.text("role = 'lead'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False, index=True)
    role: Mapped[CaseUnitRole] = mapped_column(enum_column_type(CaseUnitRole, "case_unit_role"), nullable=False)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    case: Mapped[FamilyCase] = relationship(back_populates="units", overlaps="units")
    unit = relationship("Unit")

    __audited__ = True

    def __str__(self) -> str:
        name = self.unit.name if self.unit is not None else f"單位#{self.unit_id}"
        return f"{name}（{self.role.label}）"


class CaseMember(TenantMixin, db.Model):
    __tablename__ = "case_members"
    __table_args__ = (_child_fk(), sa.Index("ix_case_members_name", "tenant_id", "name"),
                      # the household picture's matching by name and birth date, also across counties
                      sa.Index("ix_case_members_name_birth", "name", "birth_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "sex"), nullable=False, default=Sex.UNKNOWN)
    birth_date: Mapped[date | None] = mapped_column(sa.Date())
    estimated_age: Mapped[int | None] = mapped_column()
    id_number: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="", index=True)
    relation: Mapped[Relation] = mapped_column(enum_column_type(Relation, "relation"), nullable=False,
                                               default=Relation.OTHER)
    phone: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="", index=True)
    flags: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    placement_ended_on: Mapped[date | None] = mapped_column(sa.Date())  # a child's return home from placement
    welfare_type: Mapped[WelfareType | None] = mapped_column(enum_column_type(WelfareType, "welfare_type"))
    # The end of a membership (moved out, deceased): the member and their history stay on the record.
    ended_on: Mapped[date | None] = mapped_column(sa.Date())
    end_reason: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="", server_default="")
    end_note: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="", server_default="")

    case: Mapped[FamilyCase] = relationship(back_populates="members", overlaps="members")

    __audited__ = True

    @property
    def is_current(self) -> bool:
        return self.ended_on is None

    @property
    def end_reason_label(self) -> str:
        return MembershipEnd.label_of(self.end_reason)

    def age(self, on: date | None = None) -> int | None:
        return age_on(self.birth_date, on or calendar.today(), self.estimated_age)

    @property
    def is_child(self) -> bool:
        age = self.age()
        return age is not None and age < 18

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    def __str__(self) -> str:
        return self.name or "（姓名不詳）"


class MembershipEnd(LabeledEnum):
    """Why a person is no longer a member of the household."""

    MOVED_OUT = ("moved_out", "遷出")
    DECEASED = ("deceased", "死亡")
    OTHER = ("other", "其他")

    @classmethod
    def label_of(cls, value: str) -> str:
        return next((m.label for m in cls if m.value == value), "")


class CaseMemberChange(TenantMixin, db.Model):
    """One correction of a member's name, ID number or birth date, or the end of a membership: the
    previous value stays readable on the family record (append-only; the flush hook also audits the
    member's own row)."""

    __tablename__ = "case_member_changes"
    __table_args__ = (_child_fk(), sa.Index("ix_case_member_changes_member", "member_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("case_members.id", ondelete="CASCADE"), nullable=False)
    field: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # name | id_number | birth_date | membership
    old_value: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    new_value: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    FIELD_LABELS = {"name": "姓名", "id_number": "身分證號", "birth_date": "出生日期", "membership": "成員關係"}

    @property
    def field_label(self) -> str:
        return self.FIELD_LABELS.get(self.field, self.field)


class CaseSearchGram(TenantMixin, db.Model):
    """Search index of names and phones: the n-grams of each member's name and phone and of the
    case's phone, searched by equality (leakproof, so PostgreSQL uses the index under row-level
    security, where LIKE on a trigram index does not). Kept by ``search_index``'s flush hook;
    ``search_index.rebuild`` regenerates it after bulk loads."""

    __tablename__ = "case_search_grams"
    __table_args__ = (
        # the lookup: kind and gram by equality, the county (ORM scope and policy), then what matched
        sa.PrimaryKeyConstraint("kind", "gram", "tenant_id", "source_id", "case_id"),
    )

    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False)  # name | phone (a member's) | case_phone
    gram: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    # The member's id for a member's name or phone, the case's id for the case's phone.
    source_id: Mapped[int] = mapped_column(nullable=False)
    case_id: Mapped[int] = mapped_column(nullable=False)

    def __str__(self) -> str:
        return f"{self.kind}:{self.gram}"


class CaseTransition(TenantMixin, db.Model):
    __tablename__ = "case_transitions"
    __table_args__ = (_child_fk(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_column_type(CaseStatus, "from_status"))
    to_status: Mapped[CaseStatus] = mapped_column(enum_column_type(CaseStatus, "to_status"), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")


class CaseEvent(TenantMixin, db.Model):
    """One line of the family's timeline: what happened, by whom, when."""

    __tablename__ = "case_events"
    __table_args__ = (_child_fk(), sa.Index("ix_case_events_case_at", "case_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    unit_name: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    summary: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")


class CaseContact(TenantMixin, db.Model):
    __tablename__ = "case_contacts"
    __table_args__ = (_child_fk(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    method: Mapped[ContactMethod] = mapped_column(enum_column_type(ContactMethod, "method"), nullable=False)
    duration_minutes: Mapped[int | None] = mapped_column()
    persons_seen: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)  # member ids
    child_seen: Mapped[bool] = mapped_column(nullable=False, default=False)
    note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    worker_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __audited__ = True

    def __str__(self) -> str:
        return f"{self.method.label}紀錄"


class RiskFactorTable(TimestampMixin, db.Model):
    """A version of the ministry's vulnerability-factor table, in force from a date."""

    __tablename__ = "risk_factor_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    effective_from: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    note: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    factors: Mapped[list[RiskFactor]] = relationship(back_populates="table", cascade="all, delete-orphan",
                                                     order_by="RiskFactor.position")

    __audited__ = True

    def __str__(self) -> str:
        return f"脆弱家庭風險因子表 {self.version}"


class RiskFactor(db.Model):
    __tablename__ = "risk_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_factor_tables.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    dimension: Mapped[VulnerabilityDimension] = mapped_column(enum_column_type(VulnerabilityDimension, "dimension"),
                                                              nullable=False)
    text: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    level: Mapped[Level] = mapped_column(enum_column_type(Level, "level"), nullable=False)

    table: Mapped[RiskFactorTable] = relationship(back_populates="factors")

    __audited__ = True  # the ministry's factor rows decide a family's level

    def __str__(self) -> str:
        return f"風險因子 {self.text[:30]}"


class TipvdaVersion(TimestampMixin, db.Model):
    """A version of the TIPVDA form: its 15 items and its bands."""

    __tablename__ = "tipvda_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    effective_from: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    items: Mapped[list] = mapped_column(sa.JSON(), nullable=False)
    notice_from: Mapped[int] = mapped_column(nullable=False, default=6)  # 注意危險 from this score
    high_from: Mapped[int] = mapped_column(nullable=False, default=8)  # 高度危險 from this score
    note: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")

    __audited__ = True

    def band(self, score: int | None) -> str:
        if score is None:
            return ""
        if score >= self.high_from:
            return "高度危險"
        if score >= self.notice_from:
            return "注意危險"
        return "潛在危險"

    def __str__(self) -> str:
        return f"TIPVDA {self.version}"


class VulnerabilityAssessment(TenantMixin, db.Model):
    """The 面向 and factors ticked for a vulnerable family; the level follows from them."""

    __tablename__ = "vulnerability_assessments"
    __table_args__ = (_child_fk(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    table_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_factor_tables.id"), nullable=False)
    dimensions: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)  # first, second, third
    factor_ids: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    derived_level: Mapped[Level | None] = mapped_column(enum_column_type(Level, "derived_level"))
    override_level: Mapped[Level | None] = mapped_column(enum_column_type(Level, "override_level"))
    override_reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    table = relationship("RiskFactorTable")

    __audited__ = True

    @property
    def level(self) -> Level | None:
        return self.override_level or self.derived_level

    def __str__(self) -> str:
        return "脆弱性評估"


class AssessmentReport(TenantMixin, db.Model):
    """脆弱家庭辦法 §5: the assessment report in its four required parts."""

    __tablename__ = "assessment_reports"
    __table_args__ = (_child_fk(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    reason_confirmed: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    diagnosis: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    goals: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    plan_proposal: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    written_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __audited__ = True

    def __str__(self) -> str:
        return "評估報告"


class CaseTipvda(TenantMixin, db.Model):
    __tablename__ = "case_tipvda"
    __table_args__ = (_child_fk(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("tipvda_versions.id"), nullable=False)
    answers: Mapped[list] = mapped_column(sa.JSON(), nullable=False)
    score: Mapped[int] = mapped_column(nullable=False)
    band: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __audited__ = True

    def __str__(self) -> str:
        return f"TIPVDA {self.score} 分"


class SafetyAssessment(TenantMixin, db.Model):
    __tablename__ = "safety_assessments"
    __table_args__ = (_child_fk(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("case_members.id"), nullable=False)
    result: Mapped[SafetyResult] = mapped_column(enum_column_type(SafetyResult, "result"), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    member = relationship("CaseMember")

    __audited__ = True

    def __str__(self) -> str:
        return f"SDM 安全評估：{self.result.label}"


# The stored plan_review_on computed from the plans and reviews (the migration that added it, and the
# national generator after writing plans): the latest plan's last review's next date, else its first.
PLAN_REVIEW_ON_SQL = """
UPDATE family_cases SET plan_review_on = (
  SELECT CASE WHEN EXISTS (SELECT 1 FROM plan_reviews r WHERE r.plan_id = p.id)
              THEN (SELECT r.next_review FROM plan_reviews r WHERE r.plan_id = p.id ORDER BY r.id DESC LIMIT 1)
              ELSE p.review_due END
  FROM service_plans p WHERE p.case_id = family_cases.id ORDER BY p.created_at DESC, p.id DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM service_plans p WHERE p.case_id = family_cases.id)"""


class ServicePlan(TenantMixin, db.Model):
    __tablename__ = "service_plans"
    __table_args__ = (_child_fk(), sa.UniqueConstraint("tenant_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    # On a joint case each unit keeps its own part of the plan.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    goals: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    agreed_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    agreed_on: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    review_due: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    reviews: Mapped[list[PlanReview]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                     order_by="PlanReview.id", overlaps="plan")
    unit = relationship("Unit")

    __audited__ = True

    def __str__(self) -> str:
        return "服務計畫"


class PlanReview(TenantMixin, db.Model):
    __tablename__ = "plan_reviews"
    __table_args__ = (sa.ForeignKeyConstraint(["tenant_id", "plan_id"], ["service_plans.tenant_id", "service_plans.id"],
                                              ondelete="CASCADE"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(nullable=False, index=True)
    reviewed_on: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    next_review: Mapped[date | None] = mapped_column(sa.Date())
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    plan: Mapped[ServicePlan] = relationship(back_populates="reviews", overlaps="reviews")

    __audited__ = True

    def __str__(self) -> str:
        return "計畫檢討"


class CaseService(TenantMixin, db.Model):
    __tablename__ = "case_services"
    __table_args__ = (_child_fk(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    item: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    status: Mapped[ServiceStatus] = mapped_column(enum_column_type(ServiceStatus, "service_status"), nullable=False)
    on: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    amount: Mapped[int | None] = mapped_column()  # NT$, for cash and in-kind aid
    note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # When it was recorded: a service dated in a period but recorded after its end does not count for it.
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __audited__ = True

    def __str__(self) -> str:
        return f"服務：{self.item}"  # the label depends on the catalogue version in force on ``on`` (catalogue.py)


class CaseNote(TenantMixin, db.Model):
    __tablename__ = "case_notes"
    __table_args__ = (_child_fk(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    text: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    written_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    written_by = relationship("User", lazy="raise")  # loaded with the notes a page shows (queries.notes_page)

    __audited__ = True

    def __str__(self) -> str:
        return "工作紀錄"


# --- The programme's versioned reference data: target groups, services, welfare statuses ---------------

class EffectiveMixin:
    """A row of national reference data in force from ``effective_from`` to ``effective_to`` (inclusive, open
    when empty). A new version is a new row; a row in use is never edited in place. The columns and the
    question "in force on this day?" are declared here once for the reference tables that carry them."""

    effective_from: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    effective_to: Mapped[date | None] = mapped_column(sa.Date())

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class TargetGroup(EffectiveMixin, TimestampMixin, db.Model):
    """A group of people the programme serves (獨居老人, 新手父母, 近貧人口, 遭受性影像暴力者...)."""

    __tablename__ = "target_groups"
    __table_args__ = (sa.UniqueConstraint("code", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), nullable=False, index=True)
    label: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    tier: Mapped[FamilyTier] = mapped_column(enum_column_type(FamilyTier, "family_tier"), nullable=False)
    welfare_code: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="")  # also a 福利身分別

    __audited__ = True

    def __str__(self) -> str:
        return f"服務對象 {self.label}"


class ServiceCatalogueItem(EffectiveMixin, TimestampMixin, db.Model):
    """One service of one version of the programme's catalogue, with the strategy it belongs to."""

    __tablename__ = "service_catalogue_items"
    __table_args__ = (sa.UniqueConstraint("code", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    label: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    section: Mapped[str] = mapped_column(sa.String(30), nullable=False)  # 一般家庭, 脆弱家庭, ..., 網絡服務
    strategy: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    has_amount: Mapped[bool] = mapped_column(nullable=False, default=False)
    group_code: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="")  # the target group served
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    __audited__ = True

    def __str__(self) -> str:
        return f"服務項目 {self.label}（{self.version}）"


class WelfareStatus(EffectiveMixin, TimestampMixin, db.Model):
    """A 福利身分別 (twss-welfare-type code) offered from a date."""

    __tablename__ = "welfare_statuses"
    __table_args__ = (sa.UniqueConstraint("code", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    label: Mapped[str] = mapped_column(sa.String(60), nullable=False)

    __audited__ = True

    def __str__(self) -> str:
        return f"福利身分別 {self.label}"


class CaseTargetGroup(TenantMixin, db.Model):
    """A family (or one member) marked as one of the programme's target groups from a date."""

    __tablename__ = "case_target_groups"
    __table_args__ = (_child_fk(), sa.Index("ix_case_target_groups_group", "tenant_id", "group_code", "since"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_members.id", ondelete="CASCADE"))
    group_code: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    since: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    note: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    # Ended (the family or member no longer in the group): the last day it applied, why, who and when
    # (the mark stays on the record, with its dates, for the history and for past periods' figures).
    ended_on: Mapped[date | None] = mapped_column(sa.Date())
    end_reason: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __audited__ = True

    def __str__(self) -> str:
        return f"服務對象註記 {case_number_of(self, self.case_id)}"


class ImageRemovalRequest(TenantMixin, db.Model):
    """A request to a platform to remove an intimate image of a victim of 性影像暴力."""

    __tablename__ = "image_removal_requests"
    __table_args__ = (_child_fk(), sa.Index("ix_image_removal_requests_asked", "tenant_id", "asked_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_members.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    asked_on: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    outcome: Mapped[RemovalOutcome] = mapped_column(enum_column_type(RemovalOutcome, "removal_outcome"), nullable=False,
                                                    default=RemovalOutcome.PENDING)
    outcome_on: Mapped[date | None] = mapped_column(sa.Date())  # the date removed or refused
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # for figures as at a period's end
    note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __audited__ = True

    def __str__(self) -> str:
        return f"性影像移除申請 {case_number_of(self, self.case_id)}"


class ImageRemovalCorrection(TenantMixin, db.Model):
    """One correction of a removal request's recorded outcome (e.g. 已移除 recorded by mistake): the old and
    the new outcome and date, why, who and when. Append-only; the request holds the current value, which
    the board counts."""

    __tablename__ = "image_removal_corrections"
    __table_args__ = (_child_fk(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("image_removal_requests.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    old_outcome: Mapped[RemovalOutcome] = mapped_column(
        enum_column_type(RemovalOutcome, "removal_old_outcome"), nullable=False)
    old_outcome_on: Mapped[date | None] = mapped_column(sa.Date())
    new_outcome: Mapped[RemovalOutcome] = mapped_column(
        enum_column_type(RemovalOutcome, "removal_new_outcome"), nullable=False)
    new_outcome_on: Mapped[date | None] = mapped_column(sa.Date())
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __audited__ = True

    def __str__(self) -> str:
        return f"性影像移除結果更正 {case_number_of(self, self.case_id)}"


# The search index follows every ORM write of names and phones: importing it installs its flush hook.
from . import search_index  # noqa: F401  (at the end: it imports the models above)

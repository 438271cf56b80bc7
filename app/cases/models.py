"""The family case (案家). Step 2 creates cases from dispatched reports; step 3
builds the rest of the record on these tables."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db
from ..intake.reference import Relation, Sex


class CaseStatus(LabeledEnum):
    """twss-case-status / twss-service-case-status, in the order a case moves."""

    AWAITING_ASSIGNMENT = ("awaiting_assignment", "待指派社工")
    ASSESSING = ("assessing", "處理中／評估中")
    UNDER_REVIEW = ("under_review", "督導審核中")
    OPEN = ("open", "開案（提供服務）")
    NOT_OPENED = ("not_opened", "不開案")
    CLOSED = ("closed", "結案")


OPEN_STATUSES = (CaseStatus.AWAITING_ASSIGNMENT, CaseStatus.ASSESSING, CaseStatus.UNDER_REVIEW, CaseStatus.OPEN)


class CaseUnitRole(LabeledEnum):
    LEAD = ("lead", "主責")
    COLLABORATOR = ("collaborator", "協力")


class FamilyCase(TenantMixin, TimestampMixin, db.Model):
    __tablename__ = "family_cases"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(sa.String(30), unique=True, nullable=False)
    family_name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    status: Mapped[CaseStatus] = mapped_column(enum_column_type(CaseStatus, "case_status"), nullable=False,
                                               default=CaseStatus.AWAITING_ASSIGNMENT)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    # Received date of the first report: the 10-day / 30-day / 24-hour clocks of step 3 run from it.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    concerns: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    child_grade: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="")
    child_class: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="")
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    district = relationship("District")
    units: Mapped[list[CaseUnit]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                 overlaps="case")
    members: Mapped[list[CaseMember]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                     order_by="CaseMember.id", overlaps="case")

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True

    @property
    def concern_labels(self) -> list[str]:
        from ..intake.models import concern_labels

        return concern_labels(self.concerns)

    @property
    def lead_unit(self):
        return next((u.unit for u in self.units if u.role == CaseUnitRole.LEAD), None)

    @property
    def collaborating_units(self):
        return [u.unit for u in self.units if u.role == CaseUnitRole.COLLABORATOR]

    def __str__(self) -> str:
        return f"{self.case_no} {self.family_name}"


class CaseUnit(TenantMixin, db.Model):
    """The lead unit and collaborating units of a case (「一主責、多協力」)."""

    __tablename__ = "case_units"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "case_id"], ["family_cases.tenant_id", "family_cases.id"],
                                ondelete="CASCADE"),
        sa.UniqueConstraint("case_id", "unit_id"),
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
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "case_id"], ["family_cases.tenant_id", "family_cases.id"],
                                ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "sex"), nullable=False, default=Sex.UNKNOWN)
    birth_date: Mapped[date | None] = mapped_column(sa.Date())
    estimated_age: Mapped[int | None] = mapped_column()
    id_number: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="", index=True)
    relation: Mapped[Relation] = mapped_column(enum_column_type(Relation, "relation"), nullable=False,
                                               default=Relation.OTHER)

    case: Mapped[FamilyCase] = relationship(back_populates="members", overlaps="members")

    __audited__ = True

    def __str__(self) -> str:
        return self.name or "（姓名不詳）"

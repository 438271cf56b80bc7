"""The organisational directory.

Counties are the tenants. Units are a shared directory (a government
organisation chart is public): county units carry ``county_id``, partner
branches their ``partner_org_id``, ministry units neither. What belongs to a
county and is confidential (families, reports, the audit log) lives in
``TenantMixin`` tables with row-level security.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import TimestampMixin
from ..extensions import db


class UnitKind(LabeledEnum):
    SOCIAL_AFFAIRS_BUREAU = ("social_affairs_bureau", "社會局/處")
    DISPATCH_CENTRE = ("dispatch_centre", "集中篩派案中心")
    DV_CENTRE = ("dv_centre", "家庭暴力暨性侵害防治中心")
    WELFARE_CENTRE = ("welfare_centre", "社會福利服務中心")
    MENTAL_HEALTH = ("mental_health", "衛生局社區心理衛生中心（心衛社工）")
    EDUCATION = ("education", "教育局/處")
    POLICE = ("police", "警察局")
    LABOUR = ("labour", "勞工局/處")
    CIVIL_AFFAIRS = ("civil_affairs", "民政局/處")
    FIRE = ("fire", "消防局")
    INVESTIGATION_CENTRE = ("investigation_centre", "通報調查處理中心")
    PARTNER_BRANCH = ("partner_branch", "民間團體服務單位")
    MINISTRY_DEPARTMENT = ("ministry_department", "中央部會單位")
    MINISTRY_INSTITUTION = ("ministry_institution", "部屬機構")

    @property
    def short_label(self) -> str:
        return _SHORT.get(self, self.label)


_SHORT = {
    UnitKind.DV_CENTRE: "家防中心",
    UnitKind.WELFARE_CENTRE: "社福中心",
    UnitKind.MENTAL_HEALTH: "心衛社工",
    UnitKind.INVESTIGATION_CENTRE: "調查中心",
}

COUNTY_UNIT_KINDS = (
    UnitKind.SOCIAL_AFFAIRS_BUREAU,
    UnitKind.DISPATCH_CENTRE,
    UnitKind.DV_CENTRE,
    UnitKind.WELFARE_CENTRE,
    UnitKind.MENTAL_HEALTH,
    UnitKind.EDUCATION,
    UnitKind.POLICE,
    UnitKind.LABOUR,
    UnitKind.CIVIL_AFFAIRS,
    UnitKind.FIRE,
    UnitKind.INVESTIGATION_CENTRE,
)
MINISTRY_UNIT_KINDS = (UnitKind.MINISTRY_DEPARTMENT, UnitKind.MINISTRY_INSTITUTION)
# The units that serve families: reports are dispatched, referrals sent and disputes settled among them.
SERVING_UNIT_KINDS = (UnitKind.DV_CENTRE, UnitKind.WELFARE_CENTRE, UnitKind.MENTAL_HEALTH)


# The programme's start of the 通報調查處理中心 (seed 003: 「通報調查處理中心(116年起)」): 116-01-01.
INVESTIGATION_DEFAULT_FROM = date(2027, 1, 1)


class County(TimestampMixin, db.Model):
    """A 直轄市/縣市: the tenant. Codes from twss-county-city-code."""

    __tablename__ = "counties"
    __table_args__ = (sa.CheckConstraint("retention_years BETWEEN 1 AND 30", name="retention_years_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Closed cases are listed for retention review this many years after closing.
    retention_years: Mapped[int] = mapped_column(nullable=False, default=7, server_default="7")
    # 社安網2.0: from this date (Taipei date of receipt) child-protection reports go to the county's
    # 通報調查處理中心 for investigation instead of the 家防中心 (the programme: from 116年; a county may
    # start earlier or later; set by the county's administrator, audited with the county).
    investigation_from: Mapped[date] = mapped_column(nullable=False, default=INVESTIGATION_DEFAULT_FROM,
                                                     server_default="2027-01-01")

    districts: Mapped[list[District]] = relationship(
        back_populates="county", order_by="District.sort_order", cascade="all, delete-orphan"
    )

    __audited__ = True

    def audit_tenant_id(self) -> int:
        return self.id

    def __str__(self) -> str:
        return self.name


class District(db.Model):
    """A 鄉鎮市區 of a county."""

    __tablename__ = "districts"
    __table_args__ = (sa.UniqueConstraint("county_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("counties.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)

    county: Mapped[County] = relationship(back_populates="districts")

    def __str__(self) -> str:
        return self.name


unit_districts = sa.Table(
    "unit_districts",
    db.metadata,
    sa.Column("unit_id", sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("district_id", sa.ForeignKey("districts.id"), primary_key=True, index=True),
)

partner_organisation_counties = sa.Table(
    "partner_organisation_counties",
    db.metadata,
    sa.Column("partner_org_id", sa.ForeignKey("partner_organisations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("county_id", sa.ForeignKey("counties.id"), primary_key=True, index=True),
)


class PartnerOrganisation(TimestampMixin, db.Model):
    """A 民間團體 that receives referrals; it may work in several counties."""

    __tablename__ = "partner_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True, nullable=False)
    short_name: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="")
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)

    counties: Mapped[list[County]] = relationship(
        secondary=partner_organisation_counties, order_by="County.sort_order"
    )
    branches: Mapped[list[Unit]] = relationship(back_populates="partner_org", order_by="Unit.name")

    __audited__ = True

    def __str__(self) -> str:
        return self.name


class Unit(TimestampMixin, db.Model):
    """A unit with its own members and inbox."""

    __tablename__ = "units"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind IN ({county}) AND county_id IS NOT NULL AND partner_org_id IS NULL)"
            " OR (kind = 'partner_branch' AND partner_org_id IS NOT NULL)"
            " OR (kind IN ({ministry}) AND county_id IS NULL AND partner_org_id IS NULL)".format(
                county=", ".join(f"'{k.value}'" for k in COUNTY_UNIT_KINDS),
                ministry=", ".join(f"'{k.value}'" for k in MINISTRY_UNIT_KINDS),
            ),
            name="owner_matches_kind",
        ),
        sa.UniqueConstraint("county_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[UnitKind] = mapped_column(enum_column_type(UnitKind, "unit_kind"), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    # The short form officials write in tables (保護司, 社家署, 心口司 …).
    short_name: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="")
    county_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counties.id"), index=True)
    partner_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner_organisations.id"), index=True)
    # For ministry units: the ministry or agency it belongs to (衛生福利部, 內政部 …).
    agency: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="")
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)

    county: Mapped[County | None] = relationship()
    partner_org: Mapped[PartnerOrganisation | None] = relationship(back_populates="branches")
    districts: Mapped[list[District]] = relationship(secondary=unit_districts, order_by="District.sort_order")
    responsibility_areas: Mapped[list[InstitutionArea]] = relationship(
        back_populates="unit", cascade="all, delete-orphan"
    )

    __audited__ = True

    def audit_tenant_id(self) -> int | None:
        return self.county_id if self.is_county_unit else None

    @property
    def display_short(self) -> str:
        return self.short_name or self.name

    @property
    def is_county_unit(self) -> bool:
        return self.kind in COUNTY_UNIT_KINDS

    @property
    def is_partner_unit(self) -> bool:
        return self.kind == UnitKind.PARTNER_BRANCH

    @property
    def is_ministry_unit(self) -> bool:
        return self.kind in MINISTRY_UNIT_KINDS

    @property
    def organisation_name(self) -> str:
        """The name shown at the top of the shell: county, partner or ministry."""
        if self.county is not None and self.is_county_unit:
            return self.county.name
        if self.partner_org is not None:
            return self.partner_org.name
        return self.agency or "衛生福利部"

    def __str__(self) -> str:
        return self.name


class InstitutionArea(db.Model):
    """A ministry institution's responsibility area (seed 004, 附件1)."""

    __tablename__ = "institution_areas"

    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("counties.id"), primary_key=True, index=True)
    note: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")

    unit: Mapped[Unit] = relationship(back_populates="responsibility_areas")
    county: Mapped[County] = relationship()

    # Edited with a ministry unit by the system administrator; the entry stays national
    # (no audit_tenant_id): it is about the ministry's unit, not the county's records.
    __audited__ = True

    def __str__(self) -> str:
        return "部屬機構責任區域"

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.sealed import Sealed
from ..extensions import db
from ..tenants.models import Unit, UnitKind


class Role(LabeledEnum):
    SOCIAL_WORKER = ("social_worker", "社工")
    SUPERVISOR = ("supervisor", "督導")
    DISPATCHER = ("dispatcher", "篩派案人員")
    UNIT_ADMIN = ("unit_admin", "單位管理者")
    COUNTY_ADMIN = ("county_admin", "縣市管理者")
    PARTNER_STAFF = ("partner_staff", "民間團體人員")
    MINISTRY_STAFF = ("ministry_staff", "中央人員")


COUNTY_ROLES = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.DISPATCHER, Role.UNIT_ADMIN, Role.COUNTY_ADMIN)


def roles_allowed_in(unit: Unit) -> tuple[Role, ...]:
    """Which roles a unit of this kind can give."""
    if unit.is_partner_unit:
        return (Role.PARTNER_STAFF, Role.UNIT_ADMIN)
    if unit.is_ministry_unit:
        return (Role.MINISTRY_STAFF,)
    if unit.kind == UnitKind.SOCIAL_AFFAIRS_BUREAU:
        return COUNTY_ROLES
    return (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.DISPATCHER, Role.UNIT_ADMIN)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(50), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    email: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    # Named ``active`` in the database; Flask-Login reads ``is_active``.
    active: Mapped[bool] = mapped_column("is_active", nullable=False, default=True)
    is_sysadmin: Mapped[bool] = mapped_column(nullable=False, default=False)
    must_change_password: Mapped[bool] = mapped_column(nullable=False, default=False)
    failed_login_count: Mapped[int] = mapped_column(nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on password change, reset and deactivation: every older session ends.
    session_version: Mapped[int] = mapped_column(nullable=False, default=1)
    # TOTP second factor (app/accounts/services.py): the base32 secret, set while enrolling and kept once
    # confirmed (never shown again, never logged or audited), stored sealed (app/core/sealed.py);
    # confirmed when totp_enabled_at is set; the last accepted time-step, so that a code is accepted once.
    totp_secret: Mapped[str | None] = mapped_column(Sealed())
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.id"
    )

    __audited__ = True
    __audit_exclude__ = ("password_hash", "failed_login_count", "updated_at", "session_version",
                         "totp_secret", "totp_last_step")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: a new password or deactivation ends old sessions
        return f"{self.id}:{self.session_version}"

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    @property
    def has_totp(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def must_have_totp(self) -> bool:
        """County administrators and system administrators may not work without a second factor."""
        return self.is_sysadmin or any(m.role == Role.COUNTY_ADMIN for m in self.active_memberships)

    @property
    def active_memberships(self) -> list[Membership]:
        return [m for m in self.memberships if m.unit.is_active]

    def __str__(self) -> str:
        return f"{self.display_name}（{self.username}）"


class Membership(TimestampMixin, db.Model):
    """A role a user holds in a unit."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False, index=True)
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "role"), nullable=False)

    user: Mapped[User] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship()

    __audited__ = True

    def audit_tenant_id(self) -> int | None:
        return self.county_id if self.unit is not None else None

    @property
    def county_id(self) -> int | None:
        return self.unit.county_id if self.unit.is_county_unit else None

    def __str__(self) -> str:
        return f"{self.unit.name}・{self.role.label}"

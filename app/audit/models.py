from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db


class AuditAction(LabeledEnum):
    LOGIN = ("login", "登入")
    LOGIN_FAILED = ("login_failed", "登入失敗")
    LOCKOUT = ("lockout", "帳號鎖定")
    LOGOUT = ("logout", "登出")
    UNIT_SWITCH = ("unit_switch", "切換單位")
    CREATE = ("create", "新增")
    UPDATE = ("update", "修改")
    DELETE = ("delete", "刪除")
    STATE_CHANGE = ("state_change", "狀態變更")
    READ = ("read", "查閱")
    PASSWORD_CHANGE = ("password_change", "變更密碼")
    PASSWORD_RESET = ("password_reset", "重設密碼")


class AuditEvent(TenantMixin, db.Model):
    """One entry of the append-only log. The app never updates or deletes it;
    the database refuses to (triggers, and no grants on PostgreSQL)."""

    __tablename__ = "audit_events"
    # No INSERT … RETURNING: PostgreSQL would check the returned row against the
    # read policy, and an entry about another county (or none) must still be
    # writable. The id comes from the sequence before the insert instead.
    __table_args__ = {"implicit_returning": False}
    __tenant_write_check__ = False  # an entry may be about any county; reads stay scoped

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    # Nullable: events outside any county (a partner's login, an unknown username).
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counties.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_username: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    action: Mapped[AuditAction] = mapped_column(enum_column_type(AuditAction, "audit_action"), nullable=False)
    record_type: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="", index=True)
    record_id: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")
    summary: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    changes: Mapped[dict | None] = mapped_column(sa.JSON())
    ip: Mapped[str] = mapped_column(sa.String(45), nullable=False, default="")
    user_agent: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    actor = relationship("User", foreign_keys=[actor_user_id])
    unit = relationship("Unit", foreign_keys=[unit_id])
    county = relationship("County", foreign_keys="AuditEvent.tenant_id")

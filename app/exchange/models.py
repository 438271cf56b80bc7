"""The county's registered client systems and the log of their calls.

A client's credential is an intake ``ApiToken`` (hashed, shown once, revocable, the same token the JSON
report API reads): the client adds what kind of system it is and what it may do (``scopes``).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db


class Scope(LabeledEnum):
    CASE_READ = ("case.read", "讀取個案（FHIR Bundle 匯出）")
    REPORT_WRITE = ("report.write", "送入通報（ServiceRequest）")
    STATUS_WRITE = ("status.write", "送入或解除列管狀態（Flag）")


class SystemKind(LabeledEnum):
    """What the other system is; a 列管 status it sends is recorded under this code as its source."""

    MENTAL_HEALTH = ("mental_health", "衛生局精神照護管理系統")
    SUICIDE_PREVENTION = ("suicide_prevention", "自殺防治通報系統")
    DRUG_CONTROL = ("drug_control", "毒品危害防制個案管理系統")
    HOSPITAL = ("hospital", "醫療院所")
    SCHOOL = ("school", "教育單位")
    POLICE = ("police", "警政單位")
    SOCIAL_WELFARE = ("social_welfare", "社政資訊系統")
    OTHER = ("other", "其他")


class ExchangeClient(TenantMixin, TimestampMixin, db.Model):
    __tablename__ = "exchange_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    system_kind: Mapped[SystemKind] = mapped_column(enum_column_type(SystemKind, "system_kind"), nullable=False)
    scopes: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    api_token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_tokens.id"), nullable=False, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    token = relationship("ApiToken")

    __audited__ = True

    def has(self, scope: Scope) -> bool:
        return scope.value in (self.scopes or [])

    @property
    def active(self) -> bool:
        return self.token is not None and self.token.revoked_at is None

    @property
    def scope_labels(self) -> list[str]:
        return [s.value for s in Scope if s.value in (self.scopes or [])]

    def __str__(self) -> str:
        return f"交換用戶端 {self.name}"


class ExchangeCall(TenantMixin, db.Model):
    """One call of the FHIR API by a client: who, what, with what result (kept when the call failed too)."""

    __tablename__ = "exchange_calls"
    __table_args__ = (sa.Index("ix_exchange_calls_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exchange_clients.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    operation: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    target: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")  # e.g. EpisodeOfCare/12
    status_code: Mapped[int] = mapped_column(nullable=False)
    outcome: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    ip: Mapped[str] = mapped_column(sa.String(45), nullable=False, default="")

    client = relationship("ExchangeClient")

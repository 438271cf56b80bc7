"""What other systems have sent about a person (外部系統列管狀態).

Another system of the county (the health bureau's 精神照護, 自殺防治 or 毒品危害 register, …) sends that a
person is under its 列管 (``status``) or withdraws it. A row is one such status for one person from one
source; withdrawing keeps the row (``withdrawn_at``) so the picture can say what was known when. Persons
are matched as duplicate detection matches them: by ID number, or without one by name and birth date.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import TimestampMixin, UTCDateTime
from ..core.tenancy import TenantMixin
from ..extensions import db


class ExternalStatus(TenantMixin, TimestampMixin, db.Model):
    __tablename__ = "external_statuses"
    __table_args__ = (
        sa.Index("ix_external_statuses_id_number", "tenant_id", "id_number"),
        sa.Index("ix_external_statuses_name_birth", "tenant_id", "name", "birth_date"),
        sa.UniqueConstraint("tenant_id", "source", "source_ref", name="uq_external_statuses_source_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who sent it: the system's code (e.g. "mental_health", "suicide_prevention", "drug_control") and
    # the sender's own identifier of this status, so a resend or a withdrawal finds the same row.
    source: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    source_ref: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    client_id: Mapped[int | None] = mapped_column()  # the registered exchange client that sent it, if any
    # The person, as the sender knows them.
    id_number: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="")
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    birth_date: Mapped[date | None] = mapped_column(sa.Date())
    # The status: a code of the sender's vocabulary and its label (e.g. "精神照護列管").
    status: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    status_label: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    since: Mapped[date | None] = mapped_column(sa.Date())  # from when the sender holds it
    note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdraw_reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")

    __audited__ = True

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    def __str__(self) -> str:
        return f"{self.status_label or self.status}（{self.source}）"


class RiskSubject(LabeledEnum):
    REPORT = ("report", "通報")
    CASE = ("case", "個案")


class RiskFlag(TenantMixin, db.Model):
    """One risk flag (風險預警) in force for a report or an open case: which rule of which version fired,
    on which facts. Recomputed when new facts arrive (``services.reevaluate``); a flag that no longer
    holds is removed, so the rows are the flags as they stand and a new key is a flag gained."""

    __tablename__ = "risk_flags"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "subject", "subject_id", "key", name="uq_risk_flags_subject_key"),
        sa.Index("ix_risk_flags_subject", "subject", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[RiskSubject] = mapped_column(enum_column_type(RiskSubject, "risk_subject"), nullable=False)
    subject_id: Mapped[int] = mapped_column(nullable=False)
    key: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # 1A … 2F, AP
    level: Mapped[int] = mapped_column(nullable=False)  # 1 = 一級, 2 = 二級
    label: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    facts: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)  # [{text, source, on}]
    rules_version: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    @property
    def level_label(self) -> str:
        return "一級" if self.level == 1 else "二級"

    def __str__(self) -> str:
        return f"{self.level_label}{self.key[1:] if self.key[0] in '12' else ''}：{self.label}"

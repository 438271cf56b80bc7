"""Referrals (closed loop), their history and messages, partner services (the
directory), lead hand-overs, disputes, and in-app notifications."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cases.models import case_number_of
from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import TimestampMixin, UTCDateTime, utcnow
from ..core.tenancy import SharedMixin, TenantMixin
from ..extensions import db


class ReferralKind(LabeledEnum):
    UNIT = ("unit", "縣市內單位")
    COUNTY = ("county", "跨縣市轉銜")
    PARTNER = ("partner", "民間團體")


class ReferralStatus(LabeledEnum):
    """twss-referral-handling-status, in the order a referral moves."""

    WAITING = ("waiting", "轉介等待中")
    IN_SERVICE = ("in_service", "受案服務中")
    DECLINED = ("declined", "不受案")
    RETURNED = ("returned", "退回")
    FORWARDED = ("forwarded", "再轉")
    COMPLETED = ("completed", "轉介完成")
    FAILED = ("failed", "轉介失敗")
    WITHDRAWN = ("withdrawn", "撤回")


OPEN_REFERRAL_STATUSES = (ReferralStatus.WAITING, ReferralStatus.RETURNED, ReferralStatus.IN_SERVICE)


class DeclineReason(LabeledEnum):
    NOT_IN_SCOPE = ("not_in_scope", "非本單位服務範疇")
    NO_CAPACITY = ("no_capacity", "服務量能已滿")
    OUT_OF_AREA = ("out_of_area", "不在服務區域")
    FAMILY_REFUSED = ("family_refused", "案家拒絕服務")
    ALREADY_SERVED = ("already_served", "已由其他單位服務")
    OTHER = ("other", "其他")


class ReferralOutcome(LabeledEnum):
    GOAL_MET = ("goal_met", "服務目標達成")
    PARTLY_MET = ("partly_met", "部分達成")
    LINKED = ("linked", "已連結其他資源")
    FAMILY_STOPPED = ("family_stopped", "案家終止服務")


class Urgency(LabeledEnum):
    NORMAL = ("normal", "一般")
    URGENT = ("urgent", "緊急")


SHAREABLE = {
    "members": "家庭成員（姓名、年齡、關係）",
    "reach": "聯絡方式（地址、電話）",
    "reports": "通報事由（不含通報人）",
    "assessment": "評估摘要（脆弱程度、評估報告）",
    "contacts": "訪視紀錄",
    "plan": "服務計畫與服務紀錄",
    "notes": "工作紀錄（內部）",
    "documents": "案件文件（逐份勾選）",
}


class Referral(SharedMixin, TimestampMixin, db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.Index("ix_referrals_inbox", "to_unit_id", "status", "deadline_at"),
        # the 送出的 box: what the unit sent, and the referrals of the cases it now leads
        sa.Index("ix_referrals_sent", "from_unit_id", "status", "deadline_at"),
        sa.Index("ix_referrals_led", "case_lead_unit_id", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_no: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    kind: Mapped[ReferralKind] = mapped_column(enum_column_type(ReferralKind, "referral_kind"), nullable=False)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("family_cases.id"), nullable=False, index=True)
    from_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False, index=True)
    to_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    partner_service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner_services.id"))
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    services_requested: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    shared_sections: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    shared_snapshot: Mapped[dict] = mapped_column(sa.JSON(), nullable=False, default=dict)
    consent: Mapped[bool] = mapped_column(nullable=False, default=False)
    consent_by: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    legal_basis: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    legal_basis_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    urgency: Mapped[Urgency] = mapped_column(enum_column_type(Urgency, "urgency"), nullable=False, default=Urgency.NORMAL)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[ReferralStatus] = mapped_column(enum_column_type(ReferralStatus, "referral_status"), nullable=False,
                                                   default=ReferralStatus.WAITING)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    served_by: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    decline_reason: Mapped[DeclineReason | None] = mapped_column(enum_column_type(DeclineReason, "decline_reason"))
    outcome: Mapped[ReferralOutcome | None] = mapped_column(enum_column_type(ReferralOutcome, "outcome"))
    closing_text: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    forwarded_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"))
    forwarded_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"))
    received_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("family_cases.id"))
    # The unit leading the case now (a referral follows its case to a new lead): set when the referral
    # is made and by every change of lead (``joint.set_lead``), so that the sending side's box is an
    # index look-up. Not shown anywhere; ``case_units`` stays the record of who leads.
    case_lead_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    from_unit = relationship("Unit", foreign_keys=[from_unit_id])
    to_unit = relationship("Unit", foreign_keys=[to_unit_id])
    to_partner = relationship("PartnerOrganisation", foreign_keys="Referral.to_partner_org_id")
    to_county = relationship("County", foreign_keys="Referral.to_county_id")
    partner_service = relationship("PartnerService")
    events: Mapped[list[ReferralEvent]] = relationship(back_populates="referral", cascade="all, delete-orphan",
                                                       order_by="ReferralEvent.id")

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version", "shared_snapshot", "case_lead_unit_id")

    @property
    def destination(self) -> str:
        if self.kind == ReferralKind.PARTNER and self.to_partner is not None:
            return self.to_partner.name
        if self.to_unit is not None:
            return self.to_unit.name
        return self.to_county.name if self.to_county is not None else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES

    def audit_tenant_id(self) -> int:
        return self.tenant_id

    def __str__(self) -> str:
        return f"轉介 {self.referral_no}"


class ReferralEvent(SharedMixin, db.Model):
    """The referral's history, seen by both sides: each status change with who,
    when, why, and the units on both sides at that moment; messages too."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id", ondelete="CASCADE"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # status | message | service
    from_status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    to_status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    actor_side: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")  # the actor's unit/organisation
    sender_unit: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    receiver: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    text: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")

    referral: Mapped[Referral] = relationship(back_populates="events")


class PartnerServiceRecord(SharedMixin, db.Model):
    """A service a partner organisation records against a referral it serves."""

    __tablename__ = "partner_service_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id", ondelete="CASCADE"), nullable=False, index=True)
    on: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    description: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")

    __audited__ = True  # a partner's report-back on a family it serves

    def __str__(self) -> str:
        return "民間團體服務紀錄"


class PartnerService(TimestampMixin, db.Model):
    """The directory (Open Referral HSDS core: organisation, service, service area):
    what a partner organisation offers, where, and how to reach it."""

    __tablename__ = "partner_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("partner_organisations.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    county_ids: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    district_ids: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)  # empty: the whole county
    contact: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    capacity_note: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)

    organisation = relationship("PartnerOrganisation")

    __audited__ = True

    def __str__(self) -> str:
        return self.name


class HandoverStatus(LabeledEnum):
    PENDING = ("pending", "待接受")
    ACCEPTED = ("accepted", "已接受")
    DECLINED = ("declined", "未接受")
    CANCELLED = ("cancelled", "已取消")


class LeadHandover(TenantMixin, db.Model):
    __tablename__ = "lead_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("family_cases.id"), nullable=False, index=True)
    from_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False)
    to_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    status: Mapped[HandoverStatus] = mapped_column(enum_column_type(HandoverStatus, "handover_status"), nullable=False,
                                                   default=HandoverStatus.PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer_note: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")

    from_unit = relationship("Unit", foreign_keys=[from_unit_id])
    to_unit = relationship("Unit", foreign_keys=[to_unit_id])

    __audited__ = True

    def __str__(self) -> str:
        to = self.to_unit.name if self.to_unit is not None else f"單位#{self.to_unit_id}"
        return f"{case_number_of(self, self.case_id)} 主責移轉至 {to}"


class DisputeStatus(LabeledEnum):
    AWAITING_RESPONSE = ("awaiting_response", "待對方回應")
    AGREED = ("agreed", "雙方同意")
    AWAITING_ARBITER = ("awaiting_arbiter", "待縣市裁決")
    DECIDED = ("decided", "已裁決")
    WITHDRAWN = ("withdrawn", "已撤回")


class DisputeOutcome(LabeledEnum):
    MAINTAIN = ("maintain", "維持原派")
    RETURN = ("return", "退回篩派案中心重新篩派")
    REASSIGN = ("reassign", "改派")
    JOINT = ("joint", "共案")


# What a change of lead makes of the former lead (the arbiter's choice on the decision form).
FORMER_CHOICES = {
    "auto": "依現況（預設）",
    "collaborator": "留任協力單位",
    "former": "不再服務，保留唯讀閱覽",
}


class Dispute(TenantMixin, TimestampMixin, db.Model):
    """爭議案件處理機制: filed by a unit serving a family it judges wrongly sent to it."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("family_cases.id"), nullable=False, index=True)
    filed_by_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False)
    other_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), nullable=False)  # who sent the family
    reason: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    proposed: Mapped[DisputeOutcome] = mapped_column(enum_column_type(DisputeOutcome, "proposed"), nullable=False)
    proposed_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    status: Mapped[DisputeStatus] = mapped_column(enum_column_type(DisputeStatus, "dispute_status"), nullable=False,
                                                  default=DisputeStatus.AWAITING_RESPONSE)
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    response_due: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    response_agrees: Mapped[bool | None] = mapped_column()
    response_reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision: Mapped[DisputeOutcome | None] = mapped_column(enum_column_type(DisputeOutcome, "decision"))
    decision_lead_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    decision_collaborator_ids: Mapped[list] = mapped_column(sa.JSON(), nullable=False, default=list)
    # What the decision made of the former lead: collaborator (留任協力) or former (唯讀).
    decision_former_role: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="", server_default="")
    decision_reason: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the filer withdrew it (a report counts it withdrawn only from then on, whatever is edited later).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    filed_by_unit = relationship("Unit", foreign_keys=[filed_by_unit_id])
    other_unit = relationship("Unit", foreign_keys=[other_unit_id])
    proposed_unit = relationship("Unit", foreign_keys=[proposed_unit_id])
    decision_lead_unit = relationship("Unit", foreign_keys=[decision_lead_unit_id])
    case = relationship("FamilyCase")

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = ("version",)

    def __str__(self) -> str:
        return f"爭議 #{self.id}"


class Notification(db.Model):
    """An in-app notice to one person (who, what, where to look). Read per user."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    text: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    url: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

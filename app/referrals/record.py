"""The referrals' part of the family record (cases' page): the case's referrals, the pending
lead hand-over, its disputes, and the hand-over forms. Registered with ``cases.queries`` so
that cases, below referrals, names nothing of referrals."""
from __future__ import annotations

import sqlalchemy as sa

from ..cases.models import FamilyCase
from ..cases.queries import record_part
from ..extensions import db
from ..tenants.labels import unit_choices
from .forms import HandoverAnswerForm, HandoverForm
from .models import Dispute, HandoverStatus, LeadHandover, Referral


@record_part
def referrals_on_record(case: FamilyCase) -> dict:
    handover_form = HandoverForm(formdata=None)
    handover_form.to_unit_id.choices = [(0, "請選擇協力單位")] + unit_choices(u.unit for u in case.units
                                                                         if u.role.value == "collaborator")
    return {
        "case_referrals": db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)
                                             .order_by(Referral.created_at.desc())).all(),
        "pending_handover": db.session.scalars(sa.select(LeadHandover).where(
            LeadHandover.case_id == case.id, LeadHandover.status == HandoverStatus.PENDING)).first(),
        "case_disputes": db.session.scalars(sa.select(Dispute).where(Dispute.case_id == case.id)
                                            .order_by(Dispute.id.desc())).all(),
        "handover_form": handover_form,
        "handover_answer": HandoverAnswerForm(formdata=None),
    }

"""The two sides of a referral, as the workflow's guards, the pages and the notices read
them: who sends (the unit that sent it while it serves the family, and the case's current
lead: a referral follows the case), who receives, and who may read it."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import Membership, Role
from ..cases.models import CaseUnit, CaseUnitRole
from ..core import tenancy
from ..extensions import db
from ..tenants.models import UnitKind
from .models import Referral, ReferralKind


def case_roles(referral: Referral) -> dict[int, CaseUnitRole]:
    """The units on the referral's case and their roles (read as the case's county: the
    other side of a referral may be a partner or another county)."""
    with tenancy.tenant_scope(referral.tenant_id):
        return dict(db.session.execute(sa.select(CaseUnit.unit_id, CaseUnit.role)
                                       .where(CaseUnit.case_id == referral.case_id)).all())


def side_of(referral: Referral, membership: Membership | None) -> str | None:
    """'sender', 'receiver' or None for someone not party to the referral. The sending side
    follows the case: the unit that sent it while it still serves the family, and the case's
    current lead (a change of lead hands it the open referrals). A sender that became a
    read-only former lead only reads (``can_read``)."""
    if membership is None:
        return None
    unit = membership.unit
    if membership.role not in (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.PARTNER_STAFF, Role.UNIT_ADMIN, Role.DISPATCHER):
        return None  # (dispatchers answer what is addressed to their centre: 跨縣市轉銜)
    if unit.id == referral.from_unit_id:
        if case_roles(referral).get(unit.id) != CaseUnitRole.FORMER:
            return "sender"
    if referral.kind == ReferralKind.PARTNER:
        if unit.partner_org_id is not None and unit.partner_org_id == referral.to_partner_org_id:
            return "receiver"
    elif unit.id == referral.to_unit_id:
        return "receiver"
    if (unit.county_id == referral.tenant_id and membership.role in (Role.SOCIAL_WORKER, Role.SUPERVISOR)
            and case_roles(referral).get(unit.id) == CaseUnitRole.LEAD):
        return "sender"
    return None


def can_read(referral: Referral, membership: Membership | None) -> bool:
    """Both sides, the unit that sent it (even after it left the lead), and the county
    administrators of both counties."""
    if membership is None:
        return False
    if side_of(referral, membership) is not None:
        return True
    if membership.unit_id == referral.from_unit_id and membership.role in (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.UNIT_ADMIN):
        return True
    return membership.role == Role.COUNTY_ADMIN and membership.county_id in (referral.tenant_id, referral.to_county_id)


def sender_units(referral: Referral) -> set[int]:
    """The units the sending side's notices go to: the current lead of the case (unless it is the
    receiver) and the unit that sent it while it can still read the case."""
    roles = case_roles(referral)
    out = {unit_id for unit_id, role in roles.items() if role == CaseUnitRole.LEAD}
    from_unit = referral.from_unit
    if referral.from_unit_id in roles or (from_unit is not None and from_unit.kind in (
            UnitKind.DISPATCH_CENTRE, UnitKind.SOCIAL_AFFAIRS_BUREAU)):
        out.add(referral.from_unit_id)
    if referral.kind != ReferralKind.PARTNER and referral.to_unit_id:
        out.discard(referral.to_unit_id)
    return out

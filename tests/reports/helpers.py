"""What the report tests share that is not a fixture."""
from datetime import datetime

from app.cases.models import CaseContact
from app.cases.reference import ContactMethod
from app.core.filters import TAIPEI
from app.extensions import db
from app.referrals.models import ReferralEvent, ReferralStatus


def at(month, day, hour=10):
    """A time in 2026, Taipei time."""
    return datetime(2026, month, day, hour, tzinfo=TAIPEI)


def visit_recorded(case, when, recorded=None):
    """A home visit of ``case`` on ``when``, recorded at ``recorded`` (the same moment unless told)."""

    db.session.add(CaseContact(tenant_id=case.tenant_id, case_id=case.id, contacted_at=when,
                               method=ContactMethod.HOME_VISIT, created_at=recorded or when))
    if case.first_visit_at is None or when < case.first_visit_at:
        case.first_visit_at = when
    db.session.flush()


def answered_in_history(referral):
    """Make a referral's history match its fields: sent at ``created_at``; when it is answered, its status
    change recorded at ``responded_at``."""
    for event in referral.events:
        event.at = referral.created_at
    if referral.responded_at is not None and referral.status != ReferralStatus.WAITING:
        db.session.add(ReferralEvent(tenant_id=referral.tenant_id, to_county_id=referral.to_county_id,
                                     to_partner_org_id=referral.to_partner_org_id, referral_id=referral.id,
                                     kind="status", from_status="waiting", to_status=referral.status.value,
                                     at=referral.responded_at))
    db.session.flush()

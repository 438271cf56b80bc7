"""派案服務 with 同時轉介民間團體: the case opens at the county unit (the lead) and the partner referral is
sent in the same transaction; bad input leaves nothing stored; the partner finds it in its inbox."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.cases.models import CaseEvent, CaseUnitRole, FamilyCase
from app.core import tenancy
from app.core.models import utcnow
from app.investigations import services
from app.investigations.models import Investigation, InvestigationStatus as S
from app.referrals import queries as referral_queries
from app.referrals import sides
from app.referrals.models import PartnerService, Referral, ReferralKind, ReferralStatus
from app.targets.registry import MEASURES

from tests.factories import PASSWORD

from .conftest import to_centre


def _service(db, county_id, short="家扶基金會"):
    return next(s for s in db.session.scalars(sa.select(PartnerService).order_by(PartnerService.id))
                if county_id in s.county_ids and s.organisation.short_name == short)


def _concluded(db, c):
    report = to_centre(c)
    with tenancy.tenant_scope(c["county"].id):
        inv = db.session.scalars(sa.select(Investigation).where(Investigation.report_id == report.id)).one()
        services.start(inv, c["worker"], c["worker_m"])
        services.conclude(inv, c["worker"], c["worker_m"], substantiated=True, service_need=True, note="照顧疏忽成立")
        return inv


def _counts(db):
    with tenancy.all_tenants("test"):
        return (db.session.scalar(sa.select(sa.func.count(Referral.id))),
                db.session.scalar(sa.select(sa.func.count(FamilyCase.id))))


def test_dispatch_with_a_partner_opens_the_case_at_the_county_unit_and_refers_in_one_go(db, centre, factories):
    c = centre
    inv = _concluded(db, c)
    service = _service(db, c["county"].id)
    with tenancy.tenant_scope(c["county"].id):
        partner = services.PartnerReferral(service, reason="需課後照顧與親職教育", services_requested="兒少課後照顧",
                                           sections=["members", "reports"], consent=True, consent_by="案母")
        case = services.dispatch(inv, c["worker"], c["worker_m"], c["welfare"], "家庭支持", partner=partner)
        assert inv.status == S.DISPATCHED
        assert [u.unit_id for u in case.units if u.role == CaseUnitRole.LEAD] == [c["welfare"].id]
        referral = db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)).one()
        assert referral.kind == ReferralKind.PARTNER and referral.status == ReferralStatus.WAITING
        assert referral.from_unit_id == c["welfare"].id and referral.sent_by_id == c["worker"].id
        assert referral.to_partner_org_id == service.partner_org_id and referral.deadline_at is not None
        assert referral.shared_sections == ["members", "reports"] and "reports" in referral.shared_snapshot
        assert "同時轉介" in inv.events[-1].reason and referral.referral_no in inv.events[-1].reason
        timeline = [e.summary for e in db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id))]
        assert any("調查處理中心" in t for t in timeline) and any(referral.referral_no in t for t in timeline)
        # the county lead follows the referral (its sending side); the centre is not a party
        lead_m = factories.membership(factories.UserFactory(unit=c["welfare"], role=Role.SOCIAL_WORKER))
        assert sides.side_of(referral, lead_m) == "sender"
        assert sides.side_of(referral, c["worker_m"]) is None
        ref_id, org_id = referral.id, referral.to_partner_org_id
    # the partner's staff see it in their inbox like any other referral
    staff = factories.user("ngo.staff")
    m = factories.membership(staff)
    assert m.unit.partner_org_id == org_id
    tenancy.set_partner(org_id)
    try:
        page = referral_queries.inbox(m, "received", status="", only_open=True, page=1)
        assert ref_id in [r.id for r in page.items]
    finally:
        tenancy.set_partner(None)


@pytest.mark.parametrize("bad, field, message", [
    ({"reason": " "}, "partner_reason", "轉介理由"),
    ({"elsewhere": True}, "partner_service_id", "不在本縣市"),
    ({"consent": False}, "partner_consent", "法律依據"),
    ({"consent_by": ""}, "partner_consent_by", "同意"),
])
def test_bad_partner_input_stores_nothing(db, centre, bad, field, message, factories):
    c = centre
    inv = _concluded(db, c)
    service = _service(db, c["county"].id)
    if bad.get("elsewhere"):
        service = PartnerService(partner_org_id=service.partner_org_id, name="高雄限定",
                                 county_ids=[factories.county("高雄市").id])
        db.session.add(service)
        db.session.flush()
    before = _counts(db)
    with tenancy.tenant_scope(c["county"].id):
        partner = services.PartnerReferral(service, reason=bad.get("reason", "需支持"), consent=bad.get("consent", True),
                                           consent_by=bad.get("consent_by", "案母"))
        savepoint = db.session.begin_nested()
        with pytest.raises(services.InvestigationError, match=message) as refused:
            services.dispatch(inv, c["worker"], c["worker_m"], c["welfare"], partner=partner)
        savepoint.rollback()
        assert refused.value.field == field
        assert inv.status == S.CONCLUDED and inv.dispatched_case_id is None
    assert _counts(db) == before


def test_a_supervisor_refers_on_a_legal_basis_without_consent(db, centre):
    c = centre
    inv = _concluded(db, c)
    service = _service(db, c["county"].id, "善牧基金會")
    with tenancy.tenant_scope(c["county"].id):
        partner = services.PartnerReferral(service, reason="目睹暴力兒少輔導", legal_basis="兒少權法第53條")
        with pytest.raises(services.InvestigationError, match="督導") as refused:
            services.dispatch(inv, c["worker"], c["worker_m"], c["dv"], partner=partner)
        assert refused.value.field == "partner_legal_basis"
        case = services.dispatch(inv, c["supervisor"], c["supervisor_m"], c["dv"], partner=partner)
        referral = db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)).one()
        assert referral.legal_basis == "兒少權法第53條" and referral.legal_basis_by_id == c["supervisor"].id


def test_the_dispatch_measure_counts_dispatches_with_a_partner(db, centre):
    c = centre
    inv = _concluded(db, c)
    service = _service(db, c["county"].id)
    measure = MEASURES["investigation_dispatch"]
    today = (utcnow() + timedelta(hours=8)).date()
    with tenancy.tenant_scope(c["county"].id):
        assert measure.counts(c["county"].id, today.replace(day=1), today) == (0, 1)
        services.dispatch(inv, c["worker"], c["worker_m"], c["welfare"], partner=services.PartnerReferral(
            service, reason="需支持", consent=True, consent_by="案母"))
        assert measure.counts(c["county"].id, today.replace(day=1), today) == (1, 1)
    assert "民間團體" in measure.numerator


def test_the_dispatch_form_keeps_what_was_typed_and_says_it_beside_the_field(db, centre, as_user):
    c = centre
    inv = _concluded(db, c)
    inv_id = inv.id
    service_id = _service(db, c["county"].id).id
    db.session.commit()
    worker = as_user("tpe.inv1", PASSWORD)
    page = worker.get(f"/investigations/{inv_id}").get_data(as_text=True)
    assert "同時轉介民間團體" in page and "家扶基金會｜兒少及家庭支持服務" in page
    form = {"send-unit_id": c["welfare"].id, "send-note": "我打的派案說明", "send-partner_service_id": service_id,
            "send-partner_reason": "", "send-partner_services_requested": "我要的課後照顧",
            "send-partner_sections": ["members"], "send-partner_consent": "y", "send-partner_consent_by": "案母"}
    refused = worker.post(f"/investigations/{inv_id}/dispatch", form)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "我打的派案說明" in body and "我要的課後照顧" in body
    assert 'id="send-partner_reason"' in body and "is-invalid" in body and "請寫明轉介理由" in body
    assert _counts(db)[0] == 0
    forged = worker.post(f"/investigations/{inv_id}/dispatch", {**form, "send-partner_service_id": 999999,
                                                                "send-partner_reason": "需支持"})
    assert forged.status_code == 422 and "「民間團體服務」的選項不在清單中" in forged.get_data(as_text=True)
    done = worker.post(f"/investigations/{inv_id}/dispatch", {**form, "send-partner_reason": "需課後照顧"})
    again = worker.post(f"/investigations/{inv_id}/dispatch", {**form, "send-partner_reason": "需課後照顧"})
    assert done.status_code in (302, 303) and again.status_code in (409, 422)
    assert "不會重複派案" in again.get_data(as_text=True)
    assert _counts(db)[0] == 1
    page = worker.get(f"/investigations/{inv_id}").get_data(as_text=True)
    assert "同時轉介" in page and "兒童暨家庭扶助基金會（轉介 R" in page
    partner = as_user("ngo.staff")
    inbox = partner.get("/referrals").get_data(as_text=True)
    with tenancy.all_tenants("test"):
        referral = db.session.scalars(sa.select(Referral)).one()
        referral_no, referral_id = referral.referral_no, referral.id
    assert referral_no in inbox
    detail = partner.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "需課後照顧" in detail

"""Service tests of referrals, lead hand-overs and disputes, and the lead-unit
invariant under random sequences of operations (Hypothesis)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from app.cases.models import CaseUnitRole
from app.core import tenancy
from app.core.models import utcnow
from app.referrals import disputes, joint, services
from app.referrals.models import (
    DeclineReason, DisputeOutcome, DisputeStatus, Notification, PartnerService, Referral, ReferralEvent, ReferralKind,
    ReferralOutcome, ReferralStatus,
)
from tests.referrals.helpers import new_case

R = ReferralStatus


def test_unit_referral_accept_complete_and_history(world, db):
    sw, sw_m = world["people"]["sw"]
    dv, dv_m = world["people"]["dv"]
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        referral = services.send(case, sw, sw_m, kind=ReferralKind.UNIT, reason="發現疑似兒虐", services_requested="保護調查",
                                 sections=["members", "reports", "notes"], to_unit=world["factories"].unit("臺北市家庭暴力暨性侵害防治中心"))
        assert referral.status == R.WAITING and referral.deadline_at > utcnow() + timedelta(days=2)
        assert "notes" in referral.shared_snapshot and "reporter" not in str(referral.shared_snapshot)
        with pytest.raises(services.ReferralError, match="受轉介單位"):
            services.accept(referral, sw, sw_m, served_by="x")
        services.accept(referral, dv, dv_m, served_by="黃雅婷")
        assert referral.status == R.IN_SERVICE
        assert {u.unit.name: u.role for u in case.units}["臺北市家庭暴力暨性侵害防治中心"] == CaseUnitRole.COLLABORATOR
        services.message(referral, sw, sw_m, "請問何時家訪？")
        services.complete(referral, dv, dv_m, ReferralOutcome.GOAL_MET, "已完成保護調查，家庭安全。")
        assert referral.status == R.COMPLETED
        with pytest.raises(services.ReferralError, match="不能改為"):
            services.fail(referral, dv, dv_m, "x")
        events = db.session.scalars(sa.select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                                    .order_by(ReferralEvent.id)).all()
        assert [e.to_status for e in events if e.kind == "status"] == ["waiting", "in_service", "completed"]
        assert all(e.sender_unit == "臺北市中正社會福利服務中心" and e.receiver == "臺北市家庭暴力暨性侵害防治中心" for e in events)
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.user_id == sw.id)) >= 2


def test_decline_return_resubmit_forward_withdraw(world, db):
    sw, sw_m = world["people"]["sw"]
    dv, dv_m = world["people"]["dv"]
    f = world["factories"]
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        to_dv = lambda: services.send(case, sw, sw_m, kind=ReferralKind.UNIT, reason="r", services_requested="",  # noqa: E731
                                      sections=[], to_unit=f.unit("臺北市家庭暴力暨性侵害防治中心"))
        a = to_dv()
        with pytest.raises(services.ReferralError, match="說明理由"):
            services.decline(a, dv, dv_m, DeclineReason.NOT_IN_SCOPE, "")
        services.decline(a, dv, dv_m, DeclineReason.NOT_IN_SCOPE, "非保護個案")
        assert a.status == R.DECLINED and a.decline_reason == DeclineReason.NOT_IN_SCOPE
        b = to_dv()
        services.return_for_information(b, dv, dv_m, "請補充家庭成員資料")
        services.resubmit(b, sw, sw_m, "已補充")
        assert b.status == R.WAITING
        new = services.forward(b, dv, dv_m, f.unit("臺北市政府衛生局社區心理衛生中心"), "精神議題較適合心衛社工")
        assert b.status == R.FORWARDED and new.status == R.WAITING and new.forwarded_from_id == b.id
        c = to_dv()
        with pytest.raises(services.ReferralError, match="轉出單位"):
            services.withdraw(c, dv, dv_m, "")
        services.withdraw(c, sw, sw_m, "案家已搬離")
        assert c.status == R.WITHDRAWN
        assert set(services.TRANSITIONS) == set(ReferralStatus)


def test_partner_referral_needs_consent_or_a_supervisors_legal_basis(world, db):
    sw, sw_m = world["people"]["sw"]
    sup, sup_m = world["people"]["sup"]
    ngo, ngo_m = world["people"]["ngo"]
    service = db.session.scalars(sa.select(PartnerService).where(PartnerService.name == "兒少及家庭支持服務")).one()
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        send = lambda user, m, **kw: services.send(case, user, m, kind=ReferralKind.PARTNER, reason="需要課後照顧",  # noqa: E731
                                                   services_requested="課後照顧", sections=["members"], partner_service=service, **kw)
        with pytest.raises(services.ReferralError, match="案家同意"):
            send(sw, sw_m)
        with pytest.raises(services.ReferralError, match="需由督導"):
            send(sw, sw_m, legal_basis="兒少權法第 64 條")
        with pytest.raises(services.ReferralError, match="哪一位成員"):
            send(sw, sw_m, consent=True)
        by_law = send(sup, sup_m, legal_basis="兒少權法第 64 條")
        assert by_law.legal_basis_by_id == sup.id
        referral = send(sw, sw_m, consent=True, consent_by="王媽媽")
        referral_id = referral.id
        db.session.flush()
    # The partner sees only what was referred to it, answers it, records a service, completes it.
    tenancy.set_tenant(None)
    tenancy.set_partner(ngo_m.unit.partner_org_id)
    try:
        mine = db.session.scalars(sa.select(Referral).where(Referral.id == referral_id)).one()
        services.accept(mine, ngo, ngo_m, served_by="周心怡")
        services.record_partner_service(mine, ngo, ngo_m, "課後照顧 4 次")
        services.complete(mine, ngo, ngo_m, ReferralOutcome.PARTLY_MET, "出席穩定")
        from app.cases.models import FamilyCase

        assert db.session.scalars(sa.select(FamilyCase)).all() == []  # nothing of the county's case
    finally:
        tenancy.set_partner(None)


def test_cross_county_transition_opens_a_case_in_the_receiving_county(world, db, factories):
    sw, sw_m = world["people"]["sw"]
    hualien = factories.county("花蓮縣")
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        referral = services.send(case, sw, sw_m, kind=ReferralKind.COUNTY, reason="案家遷居花蓮", services_requested="持續關懷",
                                 sections=["members", "reports"], to_county=hualien)
        referral_id = referral.id
        assert referral.to_unit.name == "花蓮縣集中篩派案中心"
    hua_dispatch = factories.user("hua.dispatch")
    with tenancy.tenant_scope(hualien.id):
        theirs = db.session.get(Referral, referral_id)
        assert theirs is not None
        services.accept(theirs, hua_dispatch, hua_dispatch.memberships[0], served_by="高志偉",
                        lead_unit=factories.unit("花蓮縣花蓮社會福利服務中心"))
        from app.cases.models import FamilyCase

        received = db.session.get(FamilyCase, theirs.received_case_id)
        assert received.tenant_id == hualien.id and received.lead_unit.name == "花蓮縣花蓮社會福利服務中心"
        assert [m.name for m in received.members] == ["王小明"]


def test_lead_handover_keeps_one_lead(world, db):
    sup, sup_m = world["people"]["sup"]
    dvsup, dvsup_m = world["people"]["dvsup"]
    f = world["factories"]
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        with pytest.raises(joint.JointError, match="協力單位"):
            joint.request_handover(case, sup, sup_m, f.unit("臺北市家庭暴力暨性侵害防治中心").id, "x")
        joint.set_lead(case, case.lead_unit.id)  # no-op keeps one lead
        from app.cases.models import CaseUnit

        case.units.append(CaseUnit(unit_id=f.unit("臺北市家庭暴力暨性侵害防治中心").id, role=CaseUnitRole.COLLABORATOR))
        db.session.flush()
        handover = joint.request_handover(case, sup, sup_m, f.unit("臺北市家庭暴力暨性侵害防治中心").id, "保護階段")
        with pytest.raises(joint.JointError, match="受移轉單位的督導"):
            joint.answer_handover(handover, case, sup, sup_m, True)
        joint.answer_handover(handover, case, dvsup, dvsup_m, True)
        roles = {u.unit.name: u.role for u in case.units}
        assert roles == {"臺北市家庭暴力暨性侵害防治中心": CaseUnitRole.LEAD, "臺北市中正社會福利服務中心": CaseUnitRole.COLLABORATOR}


def test_dispute_disagreement_goes_to_the_arbiter_who_decides_a_joint_case(world, db):
    sup, sup_m = world["people"]["sup"]
    dispatcher, dispatch_m = world["people"]["dispatch"]
    admin, admin_m = world["people"]["admin"]
    f = world["factories"]
    dv = f.unit("臺北市家庭暴力暨性侵害防治中心")
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        dispute = disputes.file(case, sup, sup_m, reason="有家暴議題，應由家防中心主責", proposed=DisputeOutcome.REASSIGN,
                                proposed_unit=dv)
        assert dispute.other_unit.name == "臺北市集中篩派案中心" and case.lead_unit.name == "臺北市中正社會福利服務中心"
        with pytest.raises(disputes.DisputeError, match="進行中"):
            disputes.file(case, sup, sup_m, reason="again", proposed=DisputeOutcome.RETURN)
        with pytest.raises(disputes.DisputeError, match="原派案"):
            disputes.respond(dispute, sup, sup_m, agrees=True, reason="x")
        disputes.respond(dispute, dispatcher, dispatch_m, agrees=False, reason="通報內容屬脆弱家庭")
        assert dispute.status == DisputeStatus.AWAITING_ARBITER and case.lead_unit.name == "臺北市中正社會福利服務中心"
        with pytest.raises(disputes.DisputeError, match="縣市管理者"):
            disputes.decide(dispute, sup, sup_m, outcome=DisputeOutcome.MAINTAIN, reason="x")
        disputes.decide(dispute, admin, admin_m, outcome=DisputeOutcome.JOINT, reason="保護與脆弱議題並存", lead_unit=dv,
                        collaborators=[f.unit("臺北市中正社會福利服務中心")])
        roles = {u.unit.name: u.role for u in case.units}
        assert roles == {dv.name: CaseUnitRole.LEAD, "臺北市中正社會福利服務中心": CaseUnitRole.COLLABORATOR}


def test_silence_sends_a_dispute_to_the_arbiter(world, db):
    sup, sup_m = world["people"]["sup"]
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        dispute = disputes.file(case, sup, sup_m, reason="r", proposed=DisputeOutcome.RETURN)
        assert disputes.escalate_silent(now=dispute.response_due - timedelta(minutes=1)) == 0
        assert disputes.escalate_silent(now=dispute.response_due + timedelta(minutes=1)) == 1
        assert dispute.status == DisputeStatus.AWAITING_ARBITER and dispute.decision_due is not None


def test_agreement_carries_out_the_proposal(world, db):
    sup, sup_m = world["people"]["sup"]
    dispatcher, dispatch_m = world["people"]["dispatch"]
    f = world["factories"]
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        wanhua = f.unit("臺北市萬華社會福利服務中心")
        dispute = disputes.file(case, sup, sup_m, reason="案家住萬華", proposed=DisputeOutcome.REASSIGN, proposed_unit=wanhua)
        disputes.respond(dispute, dispatcher, dispatch_m, agrees=True, reason="同意")
        assert dispute.status == DisputeStatus.AGREED
        # The former lead, with nothing open on the case, keeps read access (never taken off unseen).
        assert {u.unit.name: u.role for u in case.units} == {wanhua.name: CaseUnitRole.LEAD,
                                                             "臺北市中正社會福利服務中心": CaseUnitRole.FORMER}
        from app.cases import services as case_services

        assert case_services.can_read(case, sup_m) and not case_services.can_write(case, sup_m)


OPS = st.lists(st.sampled_from(["refer_dv", "accept_all", "handover", "dispute_joint", "dispute_reassign",
                                "dispute_maintain", "dispute_return"]), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(ops=OPS)
def test_every_open_case_always_has_exactly_one_lead(world, db, ops):
    """Random sequences of referrals, acceptances, hand-overs and dispute outcomes:
    after every step the case has exactly one lead unit."""
    f = world["factories"]
    p = world["people"]
    units = {name: f.unit(name) for name in ("臺北市家庭暴力暨性侵害防治中心", "臺北市萬華社會福利服務中心",
                                             "臺北市中正社會福利服務中心")}
    with tenancy.tenant_scope(world["taipei"].id):
        nested = db.session.begin_nested()
        case = new_case(world)
        for op in ops:
            lead_unit = case.lead_unit
            lead_sup = next((v for k, v in p.items() if v[1].unit_id == lead_unit.id and v[1].role.value == "supervisor"), None)
            try:
                if op == "refer_dv" and lead_sup:
                    services.send(case, lead_sup[0], lead_sup[1], kind=ReferralKind.UNIT, reason="r", services_requested="",
                                  sections=[], to_unit=units["臺北市家庭暴力暨性侵害防治中心"])
                elif op == "accept_all":
                    for r in db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id, Referral.status == R.WAITING)):
                        services.accept(r, p["dv"][0], p["dv"][1], served_by="x")
                elif op == "handover" and lead_sup:
                    collaborators = [u for u in case.units if u.role == CaseUnitRole.COLLABORATOR]
                    if collaborators:
                        target = collaborators[0].unit_id
                        handover = joint.request_handover(case, lead_sup[0], lead_sup[1], target, "r")
                        target_sup = next(v for v in p.values() if v[1].unit_id == target and v[1].role.value == "supervisor")
                        joint.answer_handover(handover, case, target_sup[0], target_sup[1], True)
                elif op.startswith("dispute") and lead_sup:
                    outcome = {"dispute_joint": DisputeOutcome.JOINT, "dispute_reassign": DisputeOutcome.REASSIGN,
                               "dispute_maintain": DisputeOutcome.MAINTAIN, "dispute_return": DisputeOutcome.RETURN}[op]
                    d = disputes.file(case, lead_sup[0], lead_sup[1], reason="r", proposed=DisputeOutcome.RETURN)
                    disputes.respond(d, d.other_unit_id and _responder(p, d), _responder_m(p, d), agrees=False, reason="r")
                    target = units["臺北市萬華社會福利服務中心"] if outcome != DisputeOutcome.JOINT else units["臺北市家庭暴力暨性侵害防治中心"]
                    disputes.decide(d, p["admin"][0], p["admin"][1], outcome=outcome, reason="r",
                                    lead_unit=target if outcome in (DisputeOutcome.JOINT, DisputeOutcome.REASSIGN) else None)
            except (services.ReferralError, joint.JointError, disputes.DisputeError):
                pass  # a refused step changes nothing
            db.session.flush()
            db.session.refresh(case)
            assert len([u for u in case.units if u.role == CaseUnitRole.LEAD]) == 1, ops
        nested.rollback()


def _responder(people, dispute):
    return next(v[0] for v in people.values() if v[1].unit_id == dispute.other_unit_id)


def _responder_m(people, dispute):
    return next(v[1] for v in people.values() if v[1].unit_id == dispute.other_unit_id)


def test_demo_data_has_referrals_and_disputes_in_every_state(db):
    from app.cases.demo import seed_demo_cases
    from app.intake.demo import seed_demo_reports
    from app.referrals.demo import seed_demo_referrals
    from app.referrals.models import Dispute, HandoverStatus, LeadHandover

    seed_demo_reports()
    seed_demo_cases()
    seed_demo_referrals()
    with tenancy.all_tenants("test"):
        states = {r.status for r in db.session.scalars(sa.select(Referral))}
        kinds = {r.kind for r in db.session.scalars(sa.select(Referral))}
        dispute_states = {d.status for d in db.session.scalars(sa.select(Dispute))}
        handovers = db.session.scalars(sa.select(LeadHandover)).all()
    assert states == set(ReferralStatus)
    assert kinds == set(ReferralKind)
    assert {DisputeStatus.AWAITING_RESPONSE, DisputeStatus.AWAITING_ARBITER, DisputeStatus.DECIDED} <= dispute_states
    assert any(h.status == HandoverStatus.PENDING for h in handovers)


def test_directory_is_kept_by_sysadmin_and_searched_by_county_users(as_user, db, factories):
    taipei = factories.county("臺北市")
    org = factories.unit("家扶基金會臺北市服務處").partner_org_id
    sysadmin = as_user("sysadmin")
    bad = sysadmin.post("/directory/services/new", {"partner_org_id": 0, "name": ""})
    assert bad.status_code == 422 and "請選擇民間團體" in bad.get_data(as_text=True)
    ok = sysadmin.post("/directory/services/new", {"partner_org_id": org, "name": "親職教育團體", "description": "每週一次",
                                                   "county_ids": [taipei.id], "contact": "02-1234", "is_active": "y"})
    assert ok.status_code == 303
    worker = as_user("tpe.sw1")
    assert "親職教育團體" in worker.get("/directory?q=親職").get_data(as_text=True)
    assert "親職教育團體" not in worker.get(f"/directory?county_id={factories.county('高雄市').id}").get_data(as_text=True)


def test_daily_sweep_command_escalates_silent_disputes(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["escalate-disputes"])
    assert result.exit_code == 0 and "送縣市裁決" in result.output

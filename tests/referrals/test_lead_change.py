"""A change of lead never leaves the family between units (issue 18, defect 2), walked over
HTTP as the users did in the browser: the arbiter decides 改派 from the 社福中心 to the
家防中心 on the decision form; the former lead still opens the case and its partner
referral; the new lead opens the referral; the partner completes it; both leads see the
outcome; the new lead's supervisor and the former lead were notified. And the
supervisor hears of an 開案審核 request (defect 10)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.calendar import today as taipei_today
from app.cases import services as case_services
from app.cases.models import CaseUnitRole, FamilyCase
from app.cases.reference import AssessmentOutcome, Level
from app.core import tenancy
from app.referrals import disputes, services
from app.referrals.models import DisputeOutcome, DisputeStatus, Notification, PartnerService, ReferralKind
from tests.referrals.helpers import new_case

CENTRE = "臺北市中正社會福利服務中心"
DV = "臺北市家庭暴力暨性侵害防治中心"


def _notes(db, user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.text).where(Notification.user_id == user.id)))


def _open_case_with_plan_and_partner_referral(world, db):
    """The 社福中心 opens the case (the supervisor is told of the approval request), writes the
    service plan and refers the family to a partner, which takes it on; then it disputes the
    dispatch, the dispatch centre disagrees, and the dispute waits for the arbiter."""
    p = world["people"]
    sw, sw_m = p["sw"]
    sup, sup_m = p["sup"]
    ngo, ngo_m = p["ngo"]
    dispatcher, dispatch_m = p["dispatch"]
    f = world["factories"]
    service = db.session.scalars(sa.select(PartnerService).where(PartnerService.name == "兒少及家庭支持服務")).one()
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        case_services.assign(case, sup, sup_m, sw)
        table = case_services.factor_table_in_force()
        medium = next(x for x in table.factors if x.level == Level.MEDIUM)
        case_services.assess_vulnerability(case, sw, sw_m, dimensions=["economic"], factor_ids=[medium.id])
        before = len(_notes(db, sup))
        case_services.decide(case, sw, sw_m, AssessmentOutcome.CASE_MANAGEMENT)
        approval = [t for t in _notes(db, sup)[before:] if "待開案審核" in t]
        assert approval and case.case_no in approval[0]  # defect 10: the supervisor hears of the request
        assert not any("待開案審核" in t for t in _notes(db, sw))  # not the worker who sent it
        case_services.review_opening(case, sup, sup_m, approve=True)
        case_services.add_plan(case, sw, sw_m, goals="穩定就學與經濟", agreed_by="王媽媽", agreed_on=taipei_today(),
                               review_due=taipei_today() + timedelta(days=90))
        referral = services.send(case, sw, sw_m, kind=ReferralKind.PARTNER, reason="需要課後照顧", services_requested="課後照顧",
                                 sections=["members", "plan"], partner_service=service, consent=True, consent_by="王媽媽")
        ids = {"case": case.id, "referral": referral.id}
        db.session.flush()
    tenancy.set_tenant(None)
    tenancy.set_partner(ngo_m.unit.partner_org_id)
    try:
        services.accept(db.session.get(services.Referral, ids["referral"]), ngo, ngo_m, served_by="周心怡")
    finally:
        tenancy.set_partner(None)
    with tenancy.tenant_scope(world["taipei"].id):
        case = db.session.get(FamilyCase, ids["case"])
        dispute = disputes.file(case, sup, sup_m, reason="有家暴議題，應由家防中心主責", proposed=DisputeOutcome.REASSIGN,
                                proposed_unit=f.unit(DV))
        disputes.respond(dispute, dispatcher, dispatch_m, agrees=False, reason="通報內容屬脆弱家庭")
        assert dispute.status == DisputeStatus.AWAITING_ARBITER
        ids["dispute"] = dispute.id
    db.session.commit()
    return ids


def test_reassignment_keeps_the_family_between_no_units(world, as_user, db):
    ids = _open_case_with_plan_and_partner_referral(world, db)
    f, p = world["factories"], world["people"]
    dv, centre = f.unit(DV), f.unit(CENTRE)
    arbiter = as_user("tpe.admin")
    page = arbiter.get(f"/disputes/{ids['dispute']}").get_data(as_text=True)
    assert "原主責單位的去留" in page and "依現況" in page

    # The arbiter ticks the 家防中心 as both lead and 協力: refused beside the field, input kept.
    refused = arbiter.post(f"/disputes/{ids['dispute']}/decide", {
        "dd-outcome": "reassign", "dd-lead_unit_id": dv.id, "dd-collaborator_ids": [dv.id], "dd-former_lead": "auto",
        "dd-reason": "家暴議題為主，改由家防中心主責"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "不能同時是主責單位與協力單位" in text
    assert "家暴議題為主，改由家防中心主責" in text  # what the arbiter typed is kept
    with tenancy.tenant_scope(world["taipei"].id):
        assert db.session.get(FamilyCase, ids["case"]).lead_unit.name == CENTRE

    decided = arbiter.post(f"/disputes/{ids['dispute']}/decide", {
        "dd-outcome": "reassign", "dd-lead_unit_id": dv.id, "dd-former_lead": "auto", "dd-reason": "家暴議題為主，改由家防中心主責",
        "confirm": "1"})
    assert decided.status_code in (302, 303), decided.get_data(as_text=True)[:500]
    with tenancy.tenant_scope(world["taipei"].id):
        case = db.session.get(FamilyCase, ids["case"])
        roles = {u.unit_id: u.role for u in case.units}
        # the former lead has an open partner referral: by default it stays as 協力
        assert roles == {dv.id: CaseUnitRole.LEAD, centre.id: CaseUnitRole.COLLABORATOR}

    # The former lead still opens the case (its plan is there) and its referral.
    former = as_user("tpe.sw1")
    case_page = former.get(f"/cases/{ids['case']}")
    assert case_page.status_code == 200 and "穩定就學與經濟" in case_page.get_data(as_text=True)
    assert former.get(f"/referrals/{ids['referral']}").status_code == 200

    # The new lead opens the open partner referral from the case, and finds it among its sent referrals.
    new_lead = as_user("tpe.dvsup")
    assert f"/referrals/{ids['referral']}" in new_lead.get(f"/cases/{ids['case']}").get_data(as_text=True)
    referral_page = new_lead.get(f"/referrals/{ids['referral']}")
    assert referral_page.status_code == 200
    assert f"/referrals/{ids['referral']}" in new_lead.get("/referrals?box=sent").get_data(as_text=True)
    assert new_lead.post(f"/referrals/{ids['referral']}/messages", {"ms-text": "家防中心接手主責，請續提供服務"}).status_code in (302, 303)

    # Notifications: the new lead's supervisor and the former lead.
    dvsup, sup, sw = p["dvsup"][0], p["sup"][0], p["sw"][0]
    assert any("改由貴單位主責" in t for t in _notes(db, dvsup))
    assert any("主責已改為" in t and DV in t for t in _notes(db, sup))
    assert any("主責已改為" in t for t in _notes(db, sw))

    # The partner completes; the outcome reaches the new lead and the former lead, both read it.
    partner = as_user("ngo.staff")
    done = partner.post(f"/referrals/{ids['referral']}/complete", {"co-outcome": "goal_met", "co-text": "孩子已穩定就學"})
    assert done.status_code in (302, 303)
    for user in (p["dvsup"][0], p["dv"][0], sup, sw):
        assert any("轉介完成" in t for t in _notes(db, user)), user.username
    for client in (new_lead, former):
        assert "孩子已穩定就學" in client.get(f"/referrals/{ids['referral']}").get_data(as_text=True)


def test_a_former_lead_kept_read_only_reads_but_no_longer_writes(world, as_user, db):
    ids = _open_case_with_plan_and_partner_referral(world, db)
    dv, centre = world["factories"].unit(DV), world["factories"].unit(CENTRE)
    decided = as_user("tpe.admin").post(f"/disputes/{ids['dispute']}/decide", {
        "dd-outcome": "reassign", "dd-lead_unit_id": dv.id, "dd-former_lead": "former", "dd-reason": "改由家防中心主責",
        "confirm": "1"})
    assert decided.status_code in (302, 303)
    with tenancy.tenant_scope(world["taipei"].id):
        case = db.session.get(FamilyCase, ids["case"])
        assert {u.unit_id: u.role for u in case.units} == {dv.id: CaseUnitRole.LEAD, centre.id: CaseUnitRole.FORMER}
    assert "原主責保留唯讀" in as_user("tpe.admin").get(f"/disputes/{ids['dispute']}").get_data(as_text=True)
    former = as_user("tpe.sw1")
    page = former.get(f"/cases/{ids['case']}").get_data(as_text=True)
    assert "穩定就學與經濟" in page and "前主責（唯讀）" in page
    assert former.get(f"/referrals/{ids['referral']}").status_code == 200  # what it sent stays readable
    refused = former.post(f"/referrals/{ids['referral']}/messages", {"ms-text": "仍想留言"})
    assert refused.status_code == 422  # it reads, the new lead acts
    assert former.post(f"/cases/{ids['case']}/notes", {"text": "x"}).status_code in (403, 404, 422)
    # The outcome still reaches it (it can read the case) and the new lead.
    done = as_user("ngo.staff").post(f"/referrals/{ids['referral']}/complete", {"co-outcome": "goal_met", "co-text": "完成"})
    assert done.status_code in (302, 303)
    assert any("轉介完成" in t for t in _notes(db, world["people"]["sw"][0]))
    assert any("轉介完成" in t for t in _notes(db, world["people"]["dvsup"][0]))


def test_the_service_refuses_one_unit_as_lead_and_collaborator(world, db):
    ids = _open_case_with_plan_and_partner_referral(world, db)
    dv = world["factories"].unit(DV)
    admin, admin_m = world["people"]["admin"]
    with tenancy.tenant_scope(world["taipei"].id):
        dispute = db.session.get(disputes.Dispute, ids["dispute"])
        with pytest.raises(disputes.DisputeError, match="不能同時是主責單位與協力單位"):
            disputes.decide(dispute, admin, admin_m, outcome=DisputeOutcome.JOINT, reason="r", lead_unit=dv, collaborators=[dv])
        assert dispute.status == DisputeStatus.AWAITING_ARBITER


def test_a_hand_over_tells_the_new_leads_supervisors_and_keeps_referrals_with_the_case(world, db):
    ids = _open_case_with_plan_and_partner_referral(world, db)
    p, f = world["people"], world["factories"]
    from app.cases.models import CaseUnit
    from app.referrals import joint

    with tenancy.tenant_scope(world["taipei"].id):
        case = db.session.get(FamilyCase, ids["case"])
        dispute = db.session.get(disputes.Dispute, ids["dispute"])
        disputes.decide(dispute, p["admin"][0], p["admin"][1], outcome=DisputeOutcome.MAINTAIN, reason="維持")
        case.units.append(CaseUnit(unit_id=f.unit(DV).id, role=CaseUnitRole.COLLABORATOR))
        db.session.flush()
        handover = joint.request_handover(case, p["sup"][0], p["sup"][1], f.unit(DV).id, "保護議題為主")
        joint.answer_handover(handover, case, p["dvsup"][0], p["dvsup"][1], True)
        referral = db.session.get(services.Referral, ids["referral"])
        assert services.side_of(referral, p["dv"][1]) == "sender"  # the referral followed the case
        assert services.side_of(referral, p["sw"][1]) == "sender"  # its sender, still 協力, keeps it too
        # (the supervisor who accepted knows; the unit's other supervisors and the former lead are told)
        assert not any("改由貴單位主責" in t for t in _notes(db, p["dvsup"][0]))
        assert any("主責已改為" in t for t in _notes(db, p["sup"][0]))
        assert any("主責已改為" in t for t in _notes(db, p["sw"][0]))


def test_a_former_lead_the_arbiter_ticks_as_collaborator_stays_collaborator(world, as_user, db):
    """改派 with the former lead ticked under 協力: it serves on as 協力, whatever 「依現況」 would say."""
    ids = _open_case_with_plan_and_partner_referral(world, db)
    dv, centre = world["factories"].unit(DV), world["factories"].unit(CENTRE)
    decided = as_user("tpe.admin").post(f"/disputes/{ids['dispute']}/decide", {
        "dd-outcome": "reassign", "dd-lead_unit_id": dv.id, "dd-collaborator_ids": [centre.id],
        "dd-former_lead": "former", "dd-reason": "改由家防中心主責，社福中心協力", "confirm": "1"})
    assert decided.status_code in (302, 303)
    with tenancy.tenant_scope(world["taipei"].id):
        case = db.session.get(FamilyCase, ids["case"])
        assert {u.unit_id: u.role for u in case.units} == {dv.id: CaseUnitRole.LEAD, centre.id: CaseUnitRole.COLLABORATOR}

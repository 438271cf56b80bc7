"""Changing an id in a form reaches nothing more: units, services, hand-overs and
directory entries of another county or organisation are refused."""
import sqlalchemy as sa

from app.accounts.models import Membership, Role
from app.core import tenancy
from app.referrals import services as referrals
from app.referrals.models import LeadHandover, PartnerService, Referral
from tests.referrals.helpers import new_case


def _case_id(world):
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        return case.id


def test_referral_form_refuses_another_countys_unit_and_a_partner_service_outside_the_county(world, as_user, db, factories):
    case_id = _case_id(world)
    db.session.commit()
    worker = as_user("tpe.sw1")
    hualien_centre = factories.unit("花蓮縣花蓮社會福利服務中心")
    forged = worker.post(f"/cases/{case_id}/referrals/new", {"kind": "unit", "to_unit_id": hualien_centre.id,
                                                             "reason": "r", "urgency": "normal"})
    assert forged.status_code == 422 and "本縣市" in forged.get_data(as_text=True)
    elsewhere = PartnerService(partner_org_id=factories.unit("家扶基金會臺北市服務處").partner_org_id, name="高雄限定",
                               county_ids=[factories.county("高雄市").id])
    db.session.add(elsewhere)
    db.session.commit()
    forged = worker.post(f"/cases/{case_id}/referrals/new", {"kind": "partner", "partner_service_id": elsewhere.id,
                                                             "reason": "r", "urgency": "normal", "consent": "y",
                                                             "consent_by": "案母"})
    assert forged.status_code == 422 and "不在本縣市" in forged.get_data(as_text=True)
    with tenancy.all_tenants("test"):
        assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 0


def test_dispute_and_decision_refuse_units_of_another_county(world, as_user, db, factories):
    case_id = _case_id(world)
    db.session.commit()
    hualien_centre = factories.unit("花蓮縣花蓮社會福利服務中心")
    response = as_user("tpe.sw1").post(f"/cases/{case_id}/disputes/new", {"reason": "r", "proposed": "reassign",
                                                                         "proposed_unit_id": hualien_centre.id})
    assert response.status_code == 422 and "本縣市的單位" in response.get_data(as_text=True)


def test_a_hand_over_of_another_case_is_not_found(world, as_user, db, factories):
    first, second = _case_id(world), _case_id(world)
    with tenancy.tenant_scope(world["taipei"].id):
        handover = LeadHandover(case_id=first, from_unit_id=factories.unit("臺北市中正社會福利服務中心").id,
                                to_unit_id=factories.unit("臺北市萬華社會福利服務中心").id, reason="r")
        db.session.add(handover)
        db.session.commit()
        handover_id = handover.id
    response = as_user("tpe.sup").post(f"/cases/{second}/handover/{handover_id}", {"ha-decision": "accept"})
    assert response.status_code == 404


def test_a_partner_administrator_keeps_only_its_own_directory_entries(as_user, db, factories):
    vision_branch = factories.unit("世界展望會臺北市服務處")
    admin = factories.make_user(Role.UNIT_ADMIN, vision_branch, username="wv.admin", commit=True)
    theirs = db.session.scalars(sa.select(PartnerService).where(PartnerService.name == "兒少及家庭支持服務")).one()  # 家扶
    before = (theirs.name, theirs.capacity_note)
    client = as_user("wv.admin", factories.PASSWORD)
    assert client.get(f"/directory/services/{theirs.id}").status_code == 404
    assert client.post(f"/directory/services/{theirs.id}", {"partner_org_id": theirs.partner_org_id, "name": "改名"}).status_code == 404
    db.session.refresh(theirs)
    assert (theirs.name, theirs.capacity_note) == before
    assert admin.memberships[0].unit.partner_org_id != theirs.partner_org_id
    assert db.session.scalar(sa.select(sa.func.count(Membership.id)).where(Membership.user_id == admin.id)) == 1


def test_a_refused_referral_says_why_beside_the_field_and_keeps_what_was_typed(world, as_user, db):
    """Issue 21's walk: the service layer's refusal (no partner service, no consent) stands beside its field."""
    case_id = _case_id(world)
    db.session.commit()
    worker = as_user("tpe.sw1")
    no_service = worker.post(f"/cases/{case_id}/referrals/new", {"kind": "partner", "partner_service_id": "0",
                                                                 "reason": "我打的轉介理由", "urgency": "normal"}).get_data(as_text=True)
    beside = no_service.split('id="partner_service_id-error"', 1)
    assert len(beside) == 2 and "請從民間團體資源目錄選擇服務" in beside[1].split("</div>", 1)[0]
    assert "我打的轉介理由" in no_service


def test_the_family_s_address_and_phones_are_shared_only_when_chosen(world, db):
    """Issue 21's walk: a partner asked to visit needs to reach the family — 聯絡方式 is a section the worker
    may tick; without it the snapshot holds no address or phone."""
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        case.address = "臺北市中正區羅斯福路一段1號"
        case.members[0].phone = "0912-000-111"
        db.session.flush()
        shared = referrals.snapshot(case, ["members", "reach"])
        assert shared["reach"] == {"address": "臺北市中正區羅斯福路一段1號", "phone": "",
                                   "phones": [{"name": "王小明", "phone": "0912-000-111"}]}
        assert "reach" not in referrals.snapshot(case, ["members"])
        db.session.rollback()

"""The two ways out that had no code before the workflow engine: the unit that raised a dispute
withdraws it (while it waits for the other side or the arbiter), and the unit that proposed a
lead hand-over cancels it before it is answered. Who may, who may not, a wrong state (409 with a
Chinese message), what is recorded (timeline, audit) and who is told."""
import pytest
import sqlalchemy as sa

from app.audit.models import AuditAction, AuditEvent
from app.cases.models import CaseEvent, CaseUnit, CaseUnitRole
from app.core import tenancy
from app.referrals import disputes, joint
from app.referrals.models import DisputeOutcome, DisputeStatus, HandoverStatus, Notification
from tests.referrals.helpers import new_case

CENTRE, DV = "臺北市中正社會福利服務中心", "臺北市家庭暴力暨性侵害防治中心"


def _notes(db, user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.text).where(Notification.user_id == user.id)))


def _timeline(db, case) -> list[str]:
    return list(db.session.scalars(sa.select(CaseEvent.summary).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))


def _audit(db, record_type, record_id) -> list[str]:
    with tenancy.all_tenants("test: the entries of one record"):
        return list(db.session.scalars(sa.select(AuditEvent.summary).where(
            AuditEvent.record_type == record_type, AuditEvent.record_id == str(record_id),
            AuditEvent.action == AuditAction.STATE_CHANGE)))


def _units(case):
    return sorted((u.unit_id, u.role.value) for u in case.units)


@pytest.fixture
def disputed(world, db):
    """A case of the 社福中心 with the 家防中心 as 協力, disputed by the 社福中心's supervisor."""
    sup, sup_m = world["people"]["sup"]
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        case.units.append(CaseUnit(unit_id=world["factories"].unit(DV).id, role=CaseUnitRole.COLLABORATOR))
        db.session.flush()
        dispute = disputes.file(case, sup, sup_m, reason="應由家防中心主責", proposed=DisputeOutcome.REASSIGN,
                                proposed_unit=world["factories"].unit(DV))
        db.session.flush()
    return case, dispute


def test_the_filer_withdraws_a_dispute_awaiting_a_response(world, db, disputed):
    case, dispute = disputed
    sup, sup_m = world["people"]["sup"]
    dispatcher, dispatch_m = world["people"]["dispatch"]
    dv, dv_m = world["people"]["dv"]
    with tenancy.tenant_scope(world["taipei"].id):
        units = _units(case)
        for who in (dispatch_m, dv_m):  # the other side, and a unit on the case that did not raise it
            with pytest.raises(disputes.DisputeError, match="只有提出爭議的單位") as refused:
                disputes.withdraw(dispute, dispatcher, who, "不必了")
            assert refused.value.status == 403
        with pytest.raises(disputes.DisputeError, match="撤回爭議的理由") as refused:
            disputes.withdraw(dispute, sup, sup_m, "  ")
        assert refused.value.status == 422
        disputes.withdraw(dispute, sup, sup_m, "已與篩派案中心協調")
        assert dispute.status == DisputeStatus.WITHDRAWN and _units(case) == units  # the case's units unchanged
        assert f"爭議 #{dispute.id}：已撤回（{CENTRE}撤回：已與篩派案中心協調）" in _timeline(db, case)
        assert f"爭議 #{dispute.id}：待對方回應 → 已撤回（{CENTRE}撤回：已與篩派案中心協調）" in _audit(db, "disputes", dispute.id)
        assert any("已由" in t and "撤回" in t for t in _notes(db, dispatcher))  # the other side is told
        told = [t for t in _notes(db, dispatcher) if "撤回" in t]  # once, the unit named once
        assert len(told) == 1 and told[0].endswith(f"已由{CENTRE}撤回：已與篩派案中心協調") and told[0].count(CENTRE) == 1
        assert not any("撤回" in t for t in _notes(db, sup))  # not the one who withdrew it
        with pytest.raises(disputes.DisputeError, match="已無法撤回") as refused:
            disputes.withdraw(dispute, sup, sup_m, "再一次")
        assert refused.value.status == 409
        with pytest.raises(disputes.DisputeError, match="不能改為"):  # nor answered after it
            disputes.respond(dispute, dispatcher, dispatch_m, agrees=True, reason="同意")
        # A new dispute may be raised once this one is withdrawn.
        assert disputes.file(case, sup, sup_m, reason="再議", proposed=DisputeOutcome.RETURN).status == DisputeStatus.AWAITING_RESPONSE


def test_a_dispute_waiting_for_the_arbiter_is_withdrawn_and_the_arbiter_told(world, db, disputed):
    case, dispute = disputed
    sup, sup_m = world["people"]["sup"]
    dispatcher, dispatch_m = world["people"]["dispatch"]
    admin, admin_m = world["people"]["admin"]
    with tenancy.tenant_scope(world["taipei"].id):
        disputes.respond(dispute, dispatcher, dispatch_m, agrees=False, reason="不同意")
        assert dispute.status == DisputeStatus.AWAITING_ARBITER
        disputes.withdraw(dispute, sup, sup_m, "雙方已協調")
        assert dispute.status == DisputeStatus.WITHDRAWN
        assert any("撤回" in t for t in _notes(db, admin))
        with pytest.raises(disputes.DisputeError, match="不在待裁決"):
            disputes.decide(dispute, admin, admin_m, outcome=DisputeOutcome.MAINTAIN, reason="x")


def test_withdrawing_over_http_asks_first_then_withdraws_once(world, db, disputed, as_user):
    case, dispute = disputed
    dispute_id, Dispute = dispute.id, type(dispute)  # read before the commit: on PostgreSQL the county's
    db.session.commit()  # scope ends with its transaction (row-level security)
    url = f"/disputes/{dispute_id}/withdraw"
    filer = as_user("tpe.sup")
    page = filer.get(f"/disputes/{dispute_id}").get_data(as_text=True)
    assert url in page and "撤回爭議" in page
    assert url not in as_user("tpe.dispatch").get(f"/disputes/{dispute_id}").get_data(as_text=True)
    asked = filer.post(url, {"dw-reason": "已協調"})
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "確認撤回爭議" in body and 'name="confirm" value="1"' in body
    with tenancy.tenant_scope(world["taipei"].id):
        assert db.session.get(Dispute, dispute_id).status == DisputeStatus.AWAITING_RESPONSE  # nothing yet
    refused = as_user("tpe.dv1").post(url, {"dw-reason": "不是我們提的", "confirm": "1"})
    assert refused.status_code == 403 and "只有提出爭議的單位" in refused.get_data(as_text=True)
    empty = filer.post(url, {"dw-reason": "", "confirm": "1"})
    assert empty.status_code == 422
    done = filer.post(url, {"dw-reason": "已協調", "confirm": "1"})
    assert done.status_code == 303
    db.session.expire_all()
    with tenancy.tenant_scope(world["taipei"].id):
        assert db.session.get(Dispute, dispute_id).status == DisputeStatus.WITHDRAWN
    again = filer.post(url, {"dw-reason": "已協調", "confirm": "1"})
    assert again.status_code == 409 and "已無法撤回" in again.get_data(as_text=True)


@pytest.fixture
def proposed(world, db):
    """The 社福中心's supervisor proposes handing the lead to the 家防中心 (a 協力)."""
    sup, sup_m = world["people"]["sup"]
    with tenancy.tenant_scope(world["taipei"].id):
        case = new_case(world)
        case.units.append(CaseUnit(unit_id=world["factories"].unit(DV).id, role=CaseUnitRole.COLLABORATOR))
        db.session.flush()
        handover = joint.request_handover(case, sup, sup_m, world["factories"].unit(DV).id, "保護階段")
    return case, handover


def test_the_proposer_cancels_a_hand_over_before_it_is_answered(world, db, proposed):
    case, handover = proposed
    sup, sup_m = world["people"]["sup"]
    dvsup, dvsup_m = world["people"]["dvsup"]
    sw, sw_m = world["people"]["sw"]
    with tenancy.tenant_scope(world["taipei"].id):
        units = _units(case)
        for who in (dvsup_m, sw_m):  # the unit it was offered to; a worker (not a supervisor) of the proposer
            with pytest.raises(joint.JointError, match="只有提出移轉的單位督導") as refused:
                joint.cancel_handover(handover, dvsup, who, "")
            assert refused.value.status == 403
        joint.cancel_handover(handover, sup, sup_m, "家防評估後不需移轉")
        assert handover.status == HandoverStatus.CANCELLED and _units(case) == units and case.lead_unit.name == CENTRE
        assert f"{CENTRE}取消主責移轉：家防評估後不需移轉" in _timeline(db, case)
        assert any("待接受 → 已取消" in s for s in _audit(db, "lead_handovers", handover.id))
        assert any("主責移轉請求已由" in t and "取消" in t for t in _notes(db, dvsup))
        with pytest.raises(joint.JointError, match="已無法取消") as refused:
            joint.cancel_handover(handover, sup, sup_m, "")
        assert refused.value.status == 409
        with pytest.raises(joint.JointError, match="已處理"):  # nor answered after it
            joint.answer_handover(handover, case, dvsup, dvsup_m, True)
        # Once cancelled, the lead may propose again.
        assert joint.request_handover(case, sup, sup_m, handover.to_unit_id, "再議").status == HandoverStatus.PENDING


def test_an_answered_hand_over_cannot_be_cancelled_over_http(world, db, proposed, as_user):
    case, handover = proposed
    case_id, handover_id, Handover = case.id, handover.id, type(handover)  # before the commit (see above)
    db.session.commit()
    url = f"/cases/{case_id}/handover/{handover_id}/cancel"
    proposer = as_user("tpe.sup")
    assert url in proposer.get(f"/cases/{case_id}").get_data(as_text=True)
    assert url not in as_user("tpe.dvsup").get(f"/cases/{case_id}").get_data(as_text=True)
    refused = as_user("tpe.dvsup").post(url, {"hc-note": ""})
    assert refused.status_code == 403 and "只有提出移轉的單位督導" in refused.get_data(as_text=True)
    answered = as_user("tpe.dvsup").post(f"/cases/{case_id}/handover/{handover_id}", {"ha-decision": "decline",
                                                                                     "ha-note": "量能不足"})
    assert answered.status_code == 303
    late = proposer.post(url, {"hc-note": ""})
    assert late.status_code == 409 and "已無法取消" in late.get_data(as_text=True)
    db.session.expire_all()
    with tenancy.tenant_scope(world["taipei"].id):
        assert db.session.get(Handover, handover_id).status == HandoverStatus.DECLINED


def test_cancelling_over_http(world, db, proposed, as_user):
    case, handover = proposed
    case_id, handover_id, Handover = case.id, handover.id, type(handover)  # before the commit (see above)
    db.session.commit()
    done = as_user("tpe.sup").post(f"/cases/{case_id}/handover/{handover_id}/cancel", {"hc-note": "不需移轉"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/cases/{case_id}#joint")
    db.session.expire_all()
    with tenancy.tenant_scope(world["taipei"].id):
        assert db.session.get(Handover, handover_id).status == HandoverStatus.CANCELLED


def test_answering_a_cancelled_hand_over_over_http_is_refused_with_its_state(world, db, proposed, as_user):
    """The receiving supervisor answers from a page opened before the cancellation: 409, said in
    Chinese with the hand-over's state (not a redirect that only says 「已處理」); nothing changes."""
    case, handover = proposed
    units = _units(case)
    case_id, handover_id, Handover = case.id, handover.id, type(handover)  # before the commit (see above)
    db.session.commit()
    receiver = as_user("tpe.dvsup")
    answer_url = f"/cases/{case_id}/handover/{handover_id}"
    assert answer_url in receiver.get(f"/cases/{case_id}").get_data(as_text=True)
    assert as_user("tpe.sup").post(f"{answer_url}/cancel", {"hc-note": "不需移轉"}).status_code == 303
    late = receiver.post(answer_url, {"ha-decision": "accept"})
    body = late.get_data(as_text=True)
    assert late.status_code == 409 and "已取消" in body and "無法再回應" in body
    db.session.expire_all()
    with tenancy.tenant_scope(world["taipei"].id):
        assert db.session.get(Handover, handover_id).status == HandoverStatus.CANCELLED
    with tenancy.all_tenants("test: the case's units after the refusal"):
        assert sorted((u.unit_id, u.role.value) for u in db.session.scalars(
            sa.select(CaseUnit).where(CaseUnit.case_id == case_id))) == units
    assert answer_url not in receiver.get(f"/cases/{case_id}").get_data(as_text=True)

"""Deciding a dispute is irreversible: the arbiter's first POST shows what the decision changes at once
and decides nothing; an error keeps what was typed; the confirmed POST decides once."""
import pytest
import sqlalchemy as sa

from app.core import tenancy
from app.referrals.models import Dispute, DisputeOutcome, DisputeStatus


@pytest.fixture
def dispute_id(db, factories):
    from app.intake import services
    from app.intake.reference import ReportingChannel
    from app.referrals import disputes

    taipei = factories.county("臺北市")
    district = next(d for d in taipei.districts if d.name == "中正區")
    dispatcher, sw1 = factories.user("tpe.dispatch"), factories.user("tpe.sw1")
    with tenancy.tenant_scope(taipei.id):
        data = services.ReportInput(district_id=district.id, concerns=["vulnerable_family"], narrative="爭議確認測試",
                                    persons=[services.PersonInput(name="王小明", relation="subject")])
        report, _ = services.receive(taipei, data, ReportingChannel("36"))
        services.claim(report, dispatcher)
        case = services.dispatch(report, dispatcher, factories.unit("臺北市中正社會福利服務中心"))
        dispute = disputes.file(case, sw1, sw1.memberships[0], reason="有家暴議題", proposed=DisputeOutcome.REASSIGN,
                                proposed_unit=factories.unit("臺北市家庭暴力暨性侵害防治中心"))
        dispute.status = DisputeStatus.AWAITING_ARBITER  # as if the other side had not answered in time
        db.session.commit()
        return dispute.id


def _decision(db, dispute_id):
    db.session.expire_all()
    with tenancy.all_tenants("test: the dispute's decision"):
        return db.session.execute(sa.select(Dispute.status, Dispute.decision).where(Dispute.id == dispute_id)).one()


def test_deciding_asks_first_keeps_input_on_error_and_decides_once(as_user, factories, db, dispute_id):
    admin = as_user("tpe.admin")
    dv = factories.unit("臺北市家庭暴力暨性侵害防治中心")
    bad = admin.post(f"/disputes/{dispute_id}/decide", {"dd-outcome": "reassign", "dd-reason": "家暴議題為主"})
    assert bad.status_code == 422 and "主責單位" in bad.text and "家暴議題為主" in bad.text  # typed reason kept
    form = {"dd-outcome": "reassign", "dd-lead_unit_id": str(dv.id), "dd-reason": "家暴議題為主"}
    panel = admin.post(f"/disputes/{dispute_id}/decide", form)
    assert panel.status_code == 200 and 'id="confirm-panel"' in panel.text and "確認送出" in panel.text
    assert "改派" in panel.text and "臺北市家庭暴力暨性侵害防治中心" in panel.text and "不能撤回" in panel.text
    assert f'name="dd-lead_unit_id" value="{dv.id}"' in panel.text and 'name="confirm" value="1"' in panel.text
    assert _decision(db, dispute_id) == (DisputeStatus.AWAITING_ARBITER, None)
    back = admin.post(f"/disputes/{dispute_id}/decide", {**form, "confirm": "1", "edit": "1"})  # 返回修改
    assert back.status_code == 200 and 'id="confirm-panel"' not in back.text and "家暴議題為主" in back.text
    assert _decision(db, dispute_id) == (DisputeStatus.AWAITING_ARBITER, None)
    done = admin.post(f"/disputes/{dispute_id}/decide", {**form, "confirm": "1"})
    assert done.status_code == 303
    assert _decision(db, dispute_id) == (DisputeStatus.DECIDED, DisputeOutcome.REASSIGN)
    again = admin.post(f"/disputes/{dispute_id}/decide", {**form, "confirm": "1"})  # a second click
    assert again.status_code == 422 and "不在待裁決" in again.text

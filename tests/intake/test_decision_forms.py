"""Step 10, defect 10: a refused decision on the dispatcher's report page reopens the form it came
from (無效, 轉介, 移轉 — not 派案) with the message inside it and everything typed; every choice of
the decision forms is checked against the page's own choices."""
import re

from app.core import tenancy
from app.intake import services as intake
from app.intake.models import Report, ReportStatus
from app.intake.reference import ReportingChannel


def _claimed(db, factories):
    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        report, _ = intake.receive(taipei, intake.ReportInput(
            district_id=next(d.id for d in taipei.districts if d.name == "中正區"), concerns=["vulnerable_family"],
            narrative="無效表單", persons=[intake.PersonInput(name="甲童", relation="child")]), ReportingChannel("36"))
        intake.claim(report, factories.user("tpe.dispatch"))
        db.session.commit()
        return taipei, report.id


def _open(body):
    return {m.group(1) for m in re.finditer(r'<details class="decision" id="decision-(\w+)" open>', body)}


def test_the_invalid_form_stays_open_with_its_error_and_input(as_user, db, factories):
    taipei, report_id = _claimed(db, factories)
    dispatcher = as_user("tpe.dispatch")
    assert _open(dispatcher.get(f"/intake/reports/{report_id}").text) == {"dispatch"}
    no_reason = dispatcher.post(f"/intake/reports/{report_id}/screen-out", {"so-note": "已打好的說明"})
    assert no_reason.status_code == 422
    body = no_reason.text
    assert _open(body) == {"screen"}
    assert 'id="so-reason-error"' in body and "請選擇「無效原因」" in body and 'id="screen-error"' in body
    assert "已打好的說明</textarea>" in body
    no_direction = dispatcher.post(f"/intake/reports/{report_id}/screen-out",
                                   {"so-reason": "out_of_scope", "so-note": "第二次"})
    assert no_direction.status_code == 422 and _open(no_direction.text) == {"screen"}
    assert "需寫明已引導通報人至何處" in no_direction.text
    assert re.search(r'<input checked [^>]*value="out_of_scope"', no_direction.text)  # the chosen reason is kept
    with tenancy.tenant_scope(taipei.id):
        assert db.session.get(Report, report_id).status == ReportStatus.SCREENING


def test_refer_and_transfer_reopen_their_own_form(as_user, db, factories):
    taipei, report_id = _claimed(db, factories)
    dispatcher = as_user("tpe.dispatch")
    refer = dispatcher.post(f"/intake/reports/{report_id}/refer", {"r-note": "轉介說明"})
    assert refer.status_code == 422 and _open(refer.text) == {"refer"} and "轉介說明</textarea>" in refer.text
    transfer = dispatcher.post(f"/intake/reports/{report_id}/transfer", {"t-county_id": "0", "t-note": "搬家了"})
    assert transfer.status_code == 422 and _open(transfer.text) == {"transfer"}
    assert "請選擇「移轉至縣市」" in transfer.text and "搬家了</textarea>" in transfer.text
    own = dispatcher.post(f"/intake/reports/{report_id}/transfer", {"t-county_id": str(taipei.id), "t-note": "自己"})
    assert own.status_code == 422 and "「移轉至縣市」的選項不在清單中" in own.text  # its own county is not offered


def test_dispatch_choices_are_checked(as_user, db, factories):
    taipei, report_id = _claimed(db, factories)
    dispatcher = as_user("tpe.dispatch")
    hualien = factories.unit("花蓮縣花蓮社會福利服務中心")
    for data, message in [({"d-lead_unit_id": "0"}, "請選擇「主責單位」"),
                          ({"d-lead_unit_id": str(hualien.id)}, "「主責單位」的選項不在清單中"),
                          ({"d-lead_unit_id": "x"}, "「主責單位」的選項不在清單中"),
                          ({"d-lead_unit_id": str(factories.unit("臺北市中正社會福利服務中心").id),
                            "d-collaborator_ids": [str(hualien.id)]}, "「協力單位（共案）」的選項不在清單中"),
                          ({"d-lead_unit_id": str(factories.unit("臺北市中正社會福利服務中心").id),
                            "d-attach_case_id": "424242"}, "「併入案家既有個案」的選項不在清單中"),
                          ({"d-lead_unit_id": str(factories.unit("臺北市中正社會福利服務中心").id),
                            "d-child_grade": "Z"}, "「兒少保護分級」的選項不在清單中")]:
        response = dispatcher.post(f"/intake/reports/{report_id}/dispatch", {**data, "d-note": "派案說明"})
        assert response.status_code == 422, data
        assert message in response.text and _open(response.text) == {"dispatch"}, data
        assert "派案說明</textarea>" in response.text
    with tenancy.tenant_scope(taipei.id):
        assert db.session.get(Report, report_id).status == ReportStatus.SCREENING


def test_a_dispatch_needs_its_reason_and_the_typed_choices_stay(as_user, db, factories):
    """Issue 21's walk: the flags inform, the dispatcher's decision and its reason are recorded — a dispatch
    without a reason is refused beside the field, with the chosen unit kept."""
    taipei, report_id = _claimed(db, factories)
    dispatcher = as_user("tpe.dispatch")
    centre = factories.unit("臺北市中正社會福利服務中心")
    refused = dispatcher.post(f"/intake/reports/{report_id}/dispatch", {"d-lead_unit_id": str(centre.id), "d-note": "  "})
    assert refused.status_code == 422 and 'id="d-note-error"' in refused.text and "請填寫「派案理由」" in refused.text
    assert re.search(rf'<option selected value="{centre.id}"|<option value="{centre.id}" selected', refused.text)
    with tenancy.tenant_scope(taipei.id):
        assert db.session.get(Report, report_id).status == ReportStatus.SCREENING


def test_a_household_with_an_open_case_is_never_given_a_second_one_by_default(as_user, db, factories):
    """Issue 21's walk: a tired dispatcher pressing 派案 on a report whose household already has an open case
    must choose between a new case and the open one; nothing is preselected."""
    taipei = factories.county("臺北市")
    centre = factories.unit("臺北市中正社會福利服務中心")
    district = next(d.id for d in taipei.districts if d.name == "中正區")
    person = dict(name="林小安", relation="child", id_number="A123456789")
    with tenancy.tenant_scope(taipei.id):
        first, _ = intake.receive(taipei, intake.ReportInput(district_id=district, concerns=["vulnerable_family"],
                                  narrative="第一次", persons=[intake.PersonInput(**person)]), ReportingChannel("36"))
        intake.claim(first, factories.user("tpe.dispatch"))
        case_no = intake.dispatch(first, factories.user("tpe.dispatch"), centre, note="第一次派案").case_no
        second, _ = intake.receive(taipei, intake.ReportInput(district_id=district, concerns=["vulnerable_family"],
                                   narrative="再通報", persons=[intake.PersonInput(**person)]), ReportingChannel("36"))
        intake.claim(second, factories.user("tpe.dispatch"))
        db.session.commit()
        report_id = second.id
    dispatcher = as_user("tpe.dispatch")
    page = dispatcher.get(f"/intake/reports/{report_id}").text
    attach = re.search(r'<select[^>]*name="d-attach_case_id".*?</select>', page, re.S).group(0)
    assert "請選擇：開新案或併入既有個案" in attach and case_no in attach
    assert re.search(r'<option selected value="">|<option value="" selected>', attach)
    unchosen = dispatcher.post(f"/intake/reports/{report_id}/dispatch",
                               {"d-lead_unit_id": str(centre.id), "d-attach_case_id": "", "d-note": "再通報派案"})
    assert unchosen.status_code == 422 and "此家戶已有服務中的個案" in unchosen.text and "再通報派案</textarea>" in unchosen.text
    new = dispatcher.post(f"/intake/reports/{report_id}/dispatch",
                          {"d-lead_unit_id": str(centre.id), "d-attach_case_id": "0", "d-note": "再通報派案"})
    assert new.status_code in (302, 303)

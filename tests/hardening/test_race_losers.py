"""The loser of each race, over HTTP (step 9). Sequential, one connection: the loser's page
was opened before the winner saved, and its POST arrives after. It gets 409/422 with a
Chinese message saying what happened, what it typed comes back on the page, and nothing of
it was saved. (The parallel versions, on PostgreSQL, are in test_races.py, over HTTP too (409 there); the household
form's stale version is tests/cases/test_pages.py::test_stale_household_form_keeps_the_second_persons_input.)"""
from datetime import date

import pytest
import sqlalchemy as sa

from app.cases import services as cases
from app.cases.models import CaseEvent, CaseStatus, CaseTransition, CaseUnit, FamilyCase
from app.cases.reference import AssessmentOutcome
from app.core import tenancy
from app.intake import services as intake
from app.intake.models import Report, ReportStatus, ReportTransition
from app.intake.reference import ReportingChannel
from app.meetings import services as meetings
from app.meetings.models import ActionItem, MeetingStatus, SeriesKind
from app.referrals import services as referrals
from app.referrals.models import Referral, ReferralEvent, ReferralKind, ReferralStatus

ZHONGZHENG = "臺北市中正社會福利服務中心"
DV_CENTRE = "臺北市家庭暴力暨性侵害防治中心"


@pytest.fixture
def taipei(factories):
    return factories.county("臺北市")


def _member(factories, username):
    user = factories.user(username)
    return user, user.memberships[0]


def _claimed_report(db, taipei, factories):
    with tenancy.tenant_scope(taipei.id):
        report, _ = intake.receive(taipei, intake.ReportInput(
            district_id=next(d.id for d in taipei.districts if d.name == "中正區"), concerns=["vulnerable_family"],
            narrative="兩個視窗", persons=[intake.PersonInput(name="甲童", relation="child")]), ReportingChannel("36"))
        intake.claim(report, factories.user("tpe.dispatch"))
        db.session.commit()
        return report.id


def _assigned_case(db, taipei, factories):
    with tenancy.tenant_scope(taipei.id):
        report = db.session.get(Report, _claimed_report(db, taipei, factories))
        case = intake.dispatch(report, factories.user("tpe.dispatch"), factories.unit(ZHONGZHENG))
        sup, sup_m = _member(factories, "tpe.sup")
        cases.assign(case, sup, sup_m, factories.user("tpe.sw1"))
        db.session.commit()
        return case.id


def _transitions(db, model, key, value):
    return db.session.scalar(sa.select(sa.func.count(model.id)).where(key == value))


# --- Report -------------------------------------------------------------------------------------

def test_the_second_decision_on_a_report_is_refused_and_names_who_decided(as_user, db, taipei, factories):
    report_id = _claimed_report(db, taipei, factories)
    first_window, second_window = as_user("tpe.dispatch"), as_user("tpe.dispatch")
    lead = factories.unit(ZHONGZHENG).id
    won = first_window.post(f"/intake/reports/{report_id}/dispatch", {"d-lead_unit_id": lead, "d-note": "派給中正"})
    assert won.status_code == 303
    with tenancy.tenant_scope(taipei.id):
        before = _transitions(db, ReportTransition, ReportTransition.report_id, report_id)
    lost = second_window.post(f"/intake/reports/{report_id}/screen-out", {
        "so-reason": "out_of_scope", "so-directed_to": "第二個視窗打的長照中心", "so-note": "第二個視窗的說明"})
    assert lost.status_code == 422
    body = lost.get_data(as_text=True)
    assert "已由 陳怡君" in body and "完成決定（已派案）" in body and "未儲存" in body
    # the decision forms are gone (the report is decided): what was typed is listed under the message
    assert 'id="unsaved-input"' in body and "第二個視窗打的長照中心" in body and "第二個視窗的說明" in body
    with tenancy.tenant_scope(taipei.id):
        report = db.session.get(Report, report_id)
        assert report.status == ReportStatus.DISPATCHED and report.invalid_reason is None and report.directed_to == ""
        assert report.decision_note == "派給中正"
        assert _transitions(db, ReportTransition, ReportTransition.report_id, report_id) == before


def test_a_dispatcher_who_did_not_claim_is_told_who_holds_it_and_keeps_the_text(as_user, db, taipei, factories):
    report_id = _claimed_report(db, taipei, factories)
    lost = as_user("tpe.dsup").post(f"/intake/reports/{report_id}/refer", {"r-referred_to": "就業服務站", "r-note": "督導的說明"})
    assert lost.status_code == 422
    body = lost.get_data(as_text=True)
    assert "此通報由 陳怡君 認領處理中" in body and "就業服務站" in body and "督導的說明" in body
    with tenancy.tenant_scope(taipei.id):
        report = db.session.get(Report, report_id)
        assert report.status == ReportStatus.SCREENING and report.referred_to == ""


def test_a_refused_decision_while_still_holding_the_report_keeps_the_form(as_user, db, taipei, factories):
    """The claimer's own form stays on the page with what was typed (no list needed)."""
    report_id = _claimed_report(db, taipei, factories)
    lost = as_user("tpe.dispatch").post(f"/intake/reports/{report_id}/screen-out",
                                        {"so-reason": "out_of_scope", "so-directed_to": "", "so-note": "打了一半的說明"})
    assert lost.status_code == 422
    body = lost.get_data(as_text=True)
    assert "需寫明已引導通報人至何處" in body and "打了一半的說明</textarea>" in body and 'id="unsaved-input"' not in body


# --- Case -----------------------------------------------------------------------------------------

def test_the_second_decision_on_a_case_is_refused_and_keeps_the_text(as_user, db, taipei, factories):
    case_id = _assigned_case(db, taipei, factories)
    worker, supervisor = as_user("tpe.sw1"), as_user("tpe.sup")
    with tenancy.tenant_scope(taipei.id):
        before = _transitions(db, CaseTransition, CaseTransition.case_id, case_id)
    won = worker.post(f"/cases/{case_id}/decision", {"d-outcome": "welfare_consultation", "d-note": "社工的評估"})
    assert won.status_code == 303
    lost = supervisor.post(f"/cases/{case_id}/decision", {"d-outcome": "refer_network", "d-note": "督導打的評估說明"})
    assert lost.status_code == 422
    body = lost.get_data(as_text=True)
    assert "個案目前為「不開案」" in body and 'id="unsaved-input"' in body and "督導打的評估說明" in body
    with tenancy.tenant_scope(taipei.id):
        case = db.session.get(FamilyCase, case_id)
        assert case.status == CaseStatus.NOT_OPENED and case.outcome == AssessmentOutcome.WELFARE_CONSULTATION
        assert _transitions(db, CaseTransition, CaseTransition.case_id, case_id) == before + 1
        assert not db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                                  CaseEvent.summary.contains("督導打的"))).first()


def test_a_reassignment_from_a_stale_page_does_not_overwrite_the_one_made_meanwhile(as_user, db, taipei, factories):
    """Found here: 改派 had no version; the second supervisor's page silently replaced the first's choice."""
    case_id = _assigned_case(db, taipei, factories)
    with tenancy.tenant_scope(taipei.id):
        version = db.session.get(FamilyCase, case_id).version
    sw2 = factories.user("tpe.sw2").id
    first_tab, second_tab = as_user("tpe.sup"), as_user("tpe.sup")
    page = first_tab.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'name="a-version" value="{version}"' in page
    assert first_tab.post(f"/cases/{case_id}/assign", {"a-worker_id": sw2, "a-version": version}).status_code == 303
    sw1 = factories.user("tpe.sw1").id
    lost = second_tab.post(f"/cases/{case_id}/assign", {"a-worker_id": sw1, "a-version": version})
    assert lost.status_code == 409
    body = lost.get_data(as_text=True)
    assert "此案在您開啟後已由" in body and "尚未儲存" in body
    assert f'<option selected value="{sw1}">' in body or f'value="{sw1}" selected' in body  # the choice is kept
    with tenancy.tenant_scope(taipei.id):
        assert db.session.get(FamilyCase, case_id).assigned_worker_id == sw2
        assert not db.session.scalars(sa.select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "assign", CaseEvent.summary.endswith("王淑芬"))).first()


# --- Referral -------------------------------------------------------------------------------------

def _waiting_referral(db, taipei, factories):
    case_id = _assigned_case(db, taipei, factories)
    with tenancy.tenant_scope(taipei.id):
        sw, sw_m = _member(factories, "tpe.sw1")
        referral = referrals.send(db.session.get(FamilyCase, case_id), sw, sw_m, kind=ReferralKind.UNIT, reason="請調查",
                                  services_requested="", sections=["members"], to_unit=factories.unit(DV_CENTRE))
        db.session.commit()
        return referral.id, case_id


def test_a_decline_after_a_colleague_accepted_is_refused_and_keeps_the_text(as_user, db, taipei, factories):
    referral_id, case_id = _waiting_referral(db, taipei, factories)
    accepted = as_user("tpe.dv1").post(f"/referrals/{referral_id}/accept", {"ac-served_by": "黃雅婷"})
    assert accepted.status_code == 303
    lost = as_user("tpe.dvsup").post(f"/referrals/{referral_id}/decline",
                                     {"de-reason": "no_capacity", "de-comment": "督導打的不受案理由"})
    assert lost.status_code == 422
    body = lost.get_data(as_text=True)
    assert "轉介目前為「受案服務中」，不能改為「不受案」" in body and "督導打的不受案理由" in body
    with tenancy.tenant_scope(taipei.id):
        referral = db.session.get(Referral, referral_id)
        assert referral.status == ReferralStatus.IN_SERVICE and referral.decline_reason is None
        assert referral.served_by == "黃雅婷" and referral.closing_text == ""
        assert [e.to_status for e in db.session.scalars(sa.select(ReferralEvent).where(
            ReferralEvent.referral_id == referral_id, ReferralEvent.kind == "status").order_by(ReferralEvent.id))] == [
            "waiting", "in_service"]


def test_a_withdrawal_after_the_unit_accepted_is_refused_and_keeps_the_text(as_user, db, taipei, factories):
    referral_id, case_id = _waiting_referral(db, taipei, factories)
    assert as_user("tpe.dv1").post(f"/referrals/{referral_id}/accept", {"ac-served_by": "黃雅婷"}).status_code == 303
    lost = as_user("tpe.sw1").post(f"/referrals/{referral_id}/withdraw", {"cm-comment": "社工打的撤回原因"})
    assert lost.status_code == 422
    body = lost.get_data(as_text=True)
    assert "不能改為「撤回」" in body and "社工打的撤回原因" in body
    with tenancy.tenant_scope(taipei.id):
        assert db.session.get(Referral, referral_id).status == ReferralStatus.IN_SERVICE
        assert db.session.scalar(sa.select(sa.func.count(CaseUnit.id)).where(CaseUnit.case_id == case_id)) == 2


def test_a_bad_answer_to_a_referral_comes_back_with_what_was_typed(as_user, db, taipei, factories):
    """Form errors keep the input too (the page used to come back with empty forms)."""
    referral_id, _ = _waiting_referral(db, taipei, factories)
    bad = as_user("tpe.dvsup").post(f"/referrals/{referral_id}/decline", {"de-reason": "no_such", "de-comment": "已打好的說明"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "已打好的說明</textarea>" in body and 'id="unsaved-input"' not in body
    with tenancy.tenant_scope(taipei.id):
        assert db.session.get(Referral, referral_id).status == ReferralStatus.WAITING


# --- Meeting items --------------------------------------------------------------------------------

def test_two_items_added_from_one_page_both_get_their_own_number(as_user, db, taipei, factories):
    admin, admin_m = _member(factories, "tpe.admin")
    with tenancy.tenant_scope(taipei.id):
        series = meetings.create_series(SeriesKind.HIGH_RISK, "臺北市高危機網絡會議（兩人同時新增）", admin_m)
        meeting = meetings.new_meeting(series, date(2026, 3, 2))
        db.session.commit()
        meeting_id = meeting.id
    unit = factories.unit(ZHONGZHENG).id
    one, two = as_user("tpe.admin"), as_user("tpe.admin")
    item = {"it-section": 3, "it-instruction": "請追蹤", "it-lead_unit_ids": unit}
    assert one.post(f"/meetings/{meeting_id}/items", {**item, "it-title": "甲"}).status_code == 303
    assert two.post(f"/meetings/{meeting_id}/items", {**item, "it-title": "乙"}).status_code == 303
    with tenancy.tenant_scope(taipei.id):
        items = db.session.scalars(sa.select(ActionItem).where(ActionItem.raised_at_id == meeting_id).order_by(ActionItem.id)).all()
        assert [(i.title, i.case_numbers) for i in items] == [("甲", "1150302-3-1"), ("乙", "1150302-3-2")]
    assert one.post(f"/meetings/{meeting_id}/finalise", {"confirm": "1"}).status_code == 303
    late = two.post(f"/meetings/{meeting_id}/items", {**item, "it-title": "定稿後才送出的案由"})
    assert late.status_code == 422
    body = late.get_data(as_text=True)
    assert "會議紀錄已確定，不能再新增列管事項" in body and 'value="定稿後才送出的案由"' in body
    with tenancy.tenant_scope(taipei.id):
        assert db.session.scalar(sa.select(sa.func.count(ActionItem.id)).where(ActionItem.raised_at_id == meeting_id)) == 2
        from app.meetings.models import Meeting

        assert db.session.get(Meeting, meeting_id).status == MeetingStatus.FINAL

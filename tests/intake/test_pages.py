"""The public form, the status lookup, the dispatcher's pages, the unit inbox, over HTTP."""
import re

import sqlalchemy as sa

from app.core import tenancy
from app.extensions import limiter
from app.intake.models import QuarantinedSubmission, Report, ReportStatus
from tests.intake.helpers import report_form


def _receipt(response):
    body = response.get_data(as_text=True)
    return (re.search(r'id="report-no">([^<]+)<', body).group(1), re.search(r'id="lookup-code">([^<]+)<', body).group(1))


def test_public_report_gets_a_number_and_code_and_the_status_is_coarse(client, db, factories):
    client.refresh_csrf("/report")
    response = client.post("/report", report_form(factories))
    assert response.status_code == 303 and response.headers["Location"].endswith("/report/done")
    done = client.get("/report/done")
    report_no, code = _receipt(done)
    assert "只會顯示這一次" in done.get_data(as_text=True)
    assert client.get("/report/done").get_data(as_text=True).count(code) == 0  # shown once
    with tenancy.all_tenants("test"):
        report = db.session.scalars(sa.select(Report).where(Report.report_no == report_no)).one()
        assert report.channel.value == "7" and report.narrative == "案家<script>alert(1)</script>繳不出房租"
        assert report.persons[0].birth_date.isoformat() == "2015-03-05"  # ROC 104/03/05
    client.refresh_csrf("/report/status")
    status = client.post("/report/status", {"report_no": report_no, "code": code.lower()})
    body = status.get_data(as_text=True)
    assert "已受理" in body
    assert "王小明" not in body and "中正" not in body and "篩派案中心" not in body
    wrong = client.post("/report/status", {"report_no": report_no, "code": "AAAAAAAA"})
    assert wrong.status_code == 422 and "查無資料" in wrong.get_data(as_text=True)


def test_public_form_errors_keep_everything_typed(client, db, factories):
    client.refresh_csrf("/report")
    data = report_form(factories, concerns=[], narrative="", **{"persons-0-id_number": "A123456788",
                                                         "persons-0-birth_date": "115/02/30"})
    response = client.post("/report", data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "請至少勾選一項" in body and "請填寫「發生了什麼事」" in body
    assert "檢查碼不正確" in body and "這個日期不存在" in body
    assert 'value="王小明"' in body and 'value="A123456788"' in body and 'value="115/02/30"' in body
    assert 'value="熱心鄰居"' in body and "0912-000-111" in body
    assert db.session.scalar(sa.select(sa.func.count(Report.id)).execution_options(all_tenants=True)) == 0


def test_district_must_belong_to_the_county(client, db, factories):
    client.refresh_csrf("/report")
    hualien_district = factories.county("花蓮縣").districts[0]
    response = client.post("/report", report_form(factories, district_id=hualien_district.id))
    assert response.status_code == 422 and "不在所選的縣市內" in response.get_data(as_text=True)


def test_districts_fragment_for_htmx(client, db, factories):
    hualien = factories.county("花蓮縣")
    body = client.get(f"/report/districts?county_id={hualien.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in body and "吉安鄉" in body and "中正區" not in body


def test_add_person_button_keeps_the_form(client, db, factories):
    client.refresh_csrf("/report")
    response = client.post("/report", report_form(factories, add_person="1"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "相關人員 2" in body and 'value="王小明"' in body


def test_honeypot_submissions_are_kept_aside_not_queued(client, db, factories):
    client.refresh_csrf("/report")
    response = client.post("/report", report_form(factories, website="http://spam.example"))
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(QuarantinedSubmission.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Report.id)).execution_options(all_tenants=True)) == 0


def test_rate_limit_keeps_the_form_filled(app, client, db, factories):
    app.config["PUBLIC_REPORT_RATE"] = "2 per hour"
    limiter.reset()
    try:
        client.refresh_csrf("/report")
        for _ in range(2):
            assert client.post("/report", report_form(factories)).status_code == 303
        limited = client.post("/report", report_form(factories, narrative="第三次送出的內容"))
        assert limited.status_code == 429
        body = limited.get_data(as_text=True)
        assert "稍候幾分鐘" in body and "第三次送出的內容" in body and 'value="王小明"' in body
    finally:
        app.config["PUBLIC_REPORT_RATE"] = "1000 per minute"
        limiter.reset()


def test_dispatcher_claims_checks_duplicates_and_dispatches(as_user, db, factories):
    dispatcher = as_user("tpe.dispatch")
    taipei = factories.county("臺北市")
    district = next(d for d in taipei.districts if d.name == "萬華區")
    response = dispatcher.post("/intake/reports/new", {
        "channel": "35", "received_at": "2026-11-22T08:30", "district_id": district.id,
        "persons-0-name": "林小華", "persons-0-relation": "subject", "persons-0-sex": "F",
        "concerns": ["vulnerable_family"], "narrative": "113 來電", "reporter_type": "public",
        "reporter_name": "秘密通報人",
    })
    assert response.status_code == 303
    report_url = response.headers["Location"]
    report_id = int(report_url.rsplit("/", 1)[1])
    page = dispatcher.get(report_url).get_data(as_text=True)
    assert "秘密通報人" in page and "認領篩案" in page
    assert "林小華" in dispatcher.get("/intake/queue").get_data(as_text=True) or "萬華" in dispatcher.get("/intake/queue").get_data(as_text=True)
    assert dispatcher.post(f"/intake/reports/{report_id}/claim").status_code == 303
    other = as_user("tpe.dsup")
    refused = other.post(f"/intake/reports/{report_id}/refer", {"r-referred_to": "長照"})
    assert refused.status_code == 422 and "只有認領人" in refused.get_data(as_text=True)
    centre = factories.unit("臺北市萬華社會福利服務中心")
    page = dispatcher.get(report_url).get_data(as_text=True)
    assert f'<option selected value="{centre.id}">' in page  # the rule's proposal is preselected
    done = dispatcher.post(f"/intake/reports/{report_id}/dispatch", {"d-lead_unit_id": centre.id, "d-note": "依區派案"})
    assert done.status_code == 303
    with tenancy.tenant_scope(taipei.id):
        report = db.session.get(Report, report_id)
        assert report.status == ReportStatus.DISPATCHED and report.case is not None
        case_no, case_id = report.case.case_no, report.case_id
    again = dispatcher.post(f"/intake/reports/{report_id}/refer", {"r-referred_to": "長照"})
    assert again.status_code == 422 and "不能再次決定" in again.get_data(as_text=True)
    # the receiving centre's worker finds the case, without the reporter
    worker = as_user("tpe.sw2")
    worker.post("/session/unit", {"membership_id": next(m.id for m in factories.user("tpe.sw2").memberships
                                                        if m.unit_id == centre.id)})
    inbox = worker.get("/cases/inbox").get_data(as_text=True)
    assert case_no in inbox
    case_page = worker.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "林小華" in case_page and "113 來電" in case_page and "秘密通報人" not in case_page


def test_narrative_is_rendered_escaped(as_user, db, factories, client):
    client.refresh_csrf("/report")
    client.post("/report", report_form(factories))
    dispatcher = as_user("tpe.dispatch")
    with tenancy.all_tenants("test"):
        report_id = db.session.scalars(sa.select(Report.id)).one()
    body = dispatcher.get(f"/intake/reports/{report_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body


def test_reading_a_report_is_audited(as_user, db, factories, client):
    from app.audit.models import AuditAction, AuditEvent

    client.refresh_csrf("/report")
    client.post("/report", report_form(factories))
    with tenancy.all_tenants("test"):
        report_id = db.session.scalars(sa.select(Report.id)).one()
    as_user("tpe.dispatch").get(f"/intake/reports/{report_id}")
    with tenancy.all_tenants("test"):
        reads = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == AuditAction.READ,
                                                               AuditEvent.record_id == str(report_id))).all()
    assert len(reads) == 1 and reads[0].actor_username == "tpe.dispatch"


def test_figures_for_the_day(as_user, db, factories):
    from app.intake.demo import seed_demo_reports

    seed_demo_reports()
    db.session.commit()
    body = as_user("tpe.dsup").get("/intake/figures").get_data(as_text=True)
    assert "今日受理" in body and "家防中心（保護）" in body and "社福中心（脆家）" in body
    assert "113 專線" in body


def test_county_admin_sets_a_new_deadline_rule(as_user, db, factories):
    admin = as_user("tpe.admin")
    bad = admin.post("/intake/settings/deadlines", {"effective_from": "115/13/01", "urgent_hours": 100, "other_days": 3,
                                                    "tipvda_threshold": 8})
    assert bad.status_code == 422 and "1 到 24 小時" in bad.get_data(as_text=True)
    ok = admin.post("/intake/settings/deadlines", {"effective_from": "115/01/01", "urgent_hours": 24, "other_days": 2,
                                                   "tipvda_threshold": 8, "urgent_concerns": ["sexual_assault"],
                                                   "urgent_flag_counts": "y"})
    assert ok.status_code == 303
    assert "2 日" in admin.get("/intake/settings/deadlines").get_data(as_text=True)


def test_intake_form_requires_tipvda_for_ipv_and_scores_it(as_user, db, factories):
    dispatcher = as_user("tpe.dispatch")
    district = next(d for d in factories.county("臺北市").districts if d.name == "大安區")
    form = {"channel": "16", "received_at": "2026-11-22T08:30", "learned_at": "2026-11-22T09:00",
            "district_id": district.id, "persons-0-name": "張雅琪", "persons-0-relation": "subject",
            "concerns": ["ipv"], "narrative": "急診", "reporter_type": "mandated", "reporter_profession": "medical",
            "reporter_organisation": "臺大醫院", **{f"tipvda-{i}": "1" for i in range(3)}}
    refused = dispatcher.post("/intake/reports/new", form)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "尚未回答第 4、5" in body and "知悉時間不可晚於受理時間" in body
    form["learned_at"] = "2026-11-21T20:00"
    form.update({f"tipvda-{i}": ("1" if i < 9 else "0") for i in range(15)})
    created = dispatcher.post("/intake/reports/new", form)
    assert created.status_code == 303
    page = dispatcher.get(created.headers["Location"]).get_data(as_text=True)
    assert "TIPVDA：9 分（高度危險）" in page and "時限 24 小時" in page and "臺大醫院" in page


def test_original_report_lists_its_duplicates(as_user, db, factories):
    from app.intake.demo import seed_demo_reports

    seed_demo_reports()
    db.session.commit()
    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        dup = db.session.scalars(sa.select(Report).where(Report.duplicate_of_id.isnot(None))).first()
        original_id, dup_no = dup.duplicate_of_id, dup.report_no
    page = as_user("tpe.dispatch").get(f"/intake/reports/{original_id}").get_data(as_text=True)
    assert "後續重複通報" in page and dup_no in page and "距受理" in page


def test_status_lookup_is_rate_limited_in_chinese(app, client, db):
    app.config["STATUS_LOOKUP_RATE"] = "3 per hour"
    limiter.reset()
    try:
        client.refresh_csrf("/report/status")
        for _ in range(3):
            assert client.post("/report/status", {"report_no": "115000000001", "code": "AAAAAAAA"}).status_code == 422
        limited = client.post("/report/status", {"report_no": "115000000001", "code": "AAAAAAAA"})
        assert limited.status_code == 429
        assert "稍候" in limited.get_data(as_text=True)
        assert client.get("/report/status").status_code == 200  # only the lookups (POST) are limited
    finally:
        app.config["STATUS_LOOKUP_RATE"] = "1000 per minute"
        limiter.reset()

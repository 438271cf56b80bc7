"""The county administrator's pages over HTTP, the county setting, and the demo."""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from app.core.calendar import today as taipei_today
from app.core import tenancy
from app.retention.models import RetentionChoice, RetentionDecision

HTMX = {"HX-Request": "true"}


def test_list_shows_roc_dates_years_past_due_and_why_not_disposable(as_user, make_closed, taipei, db):
    plain = make_closed(date(2017, 3, 4), "簡")
    joint = make_closed(date(2018, 5, 6), "溫")
    from app.cases.models import CaseUnit, CaseUnitRole
    from app.tenants.models import Unit

    with tenancy.tenant_scope(taipei.id):
        wanhua = db.session.scalars(sa.select(Unit).where(Unit.name == "臺北市萬華社會福利服務中心")).one()
        joint_case = joint.load()
        joint_case.units.append(CaseUnit(unit_id=wanhua.id, role=CaseUnitRole.COLLABORATOR))
        db.session.commit()
    response = as_user("tpe.admin").get("/admin/retention")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "結案後 <strong>7 年</strong>" in body
    assert "106/03/04" in body and "113/03/04" in body  # closed, and the end of the period, in ROC dates
    assert "107/05/06" in body and plain.case_no in body and joint.case_no in body
    assert "共案：另有 1 個協力單位共有此案家紀錄" in body and "不可銷毀" in body and "可銷毀" in body
    assert "個人資料" in body and "統計報表" in body and "flask retention-purge --county 6300000000" in body
    assert 'href="/admin/retention"' in body  # the admin menu's 保存期限審查


def test_menu_entry_only_for_county_administrators(as_user):
    assert "保存期限審查" in as_user("tpe.admin").get("/").get_data(as_text=True)
    for username in ("tpe.sw1", "tpe.sup", "moh.protect", "sysadmin"):
        assert "保存期限審查" not in as_user(username).get("/").get_data(as_text=True), username


def test_missing_reason_keeps_what_was_typed_and_says_so(as_user, make_closed, db):
    first, second = make_closed(date(2017, 3, 4), "甲"), make_closed(date(2017, 3, 5), "乙")
    admin = as_user("tpe.admin")
    response = admin.post("/admin/retention/decide", {"case_ids": [str(second.id)], "decision": "retain_until",
                                                      "retain_until": "120/12/31", "reason": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "請填寫「理由」。" in body and "資料尚未儲存" in body
    box = {c.id: re.search(rf'<input[^>]*id="case-{c.id}"[^>]*>', body).group(0) for c in (first, second)}
    assert " checked" in box[second.id] and " checked" not in box[first.id]
    assert re.search(r'<input[^>]*name="retain_until"[^>]*value="120/12/31"', body)
    assert re.search(r'<input checked[^>]*value="retain_until"', body)
    assert db.session.scalar(sa.select(sa.func.count(RetentionDecision.id))) == 0


def test_nothing_ticked_and_a_bad_date_are_chinese_422s(as_user, make_closed):
    make_closed(date(2017, 3, 4))
    admin = as_user("tpe.admin")
    none_ticked = admin.post("/admin/retention/decide", {"decision": "dispose", "reason": "逾期"})
    assert none_ticked.status_code == 422 and "請勾選至少一個案家。" in none_ticked.get_data(as_text=True)
    case = make_closed(date(2017, 3, 6), "丙")
    bad_date = admin.post("/admin/retention/decide", {"case_ids": [str(case.id)], "decision": "retain_until",
                                                      "retain_until": "2/30/2031", "reason": "延長"})
    assert bad_date.status_code == 422 and "日期格式看不懂" in bad_date.get_data(as_text=True)


def test_deciding_for_the_ticked_cases(as_user, make_closed, taipei, db):
    first, second, third = (make_closed(date(2017, 3, d), n) for d, n in ((4, "甲"), (5, "乙"), (6, "丙")))
    admin = as_user("tpe.admin")
    response = admin.post("/admin/retention/decide", {"case_ids": [str(first.id), str(third.id), str(third.id)],
                                                      "decision": "dispose", "reason": "逾期無後續服務"})
    assert response.status_code == 303
    with tenancy.tenant_scope(taipei.id):
        rows = db.session.scalars(sa.select(RetentionDecision).order_by(RetentionDecision.case_id)).all()
        assert [(d.case_id, d.decision, d.reason) for d in rows] == [
            (first.id, RetentionChoice.DISPOSE, "逾期無後續服務"), (third.id, RetentionChoice.DISPOSE, "逾期無後續服務")]
        assert all(d.decided_by.username == "tpe.admin" for d in rows)
    body = admin.get("/admin/retention").get_data(as_text=True)
    review, pending = body.split("已決定銷毀、待執行")
    assert second.case_no in review and first.case_no not in review and third.case_no not in review
    assert first.case_no in pending and third.case_no in pending and "將於下次執行時銷毀" in pending


def test_htmx_gets_the_fragment_and_errors_as_a_422_fragment(as_user, make_closed):
    case = make_closed(date(2017, 3, 4))
    admin = as_user("tpe.admin")
    page = admin.get("/admin/retention", headers=HTMX)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and body.lstrip().startswith('<div id="retention-review">')
    assert "<html" not in body and "navbar" not in body and case.case_no in body
    bad = admin.post("/admin/retention/decide", {"case_ids": [str(case.id)], "decision": "dispose", "reason": ""},
                     headers=HTMX)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "<html" not in text and "請填寫「理由」。" in text
    ok = admin.post("/admin/retention/decide", {"case_ids": [str(case.id)], "decision": "dispose", "reason": "逾期"},
                    headers=HTMX)
    assert ok.status_code == 204 and ok.headers["HX-Redirect"] == "/admin/retention"


def test_case_page_decision_and_access(as_user, make_closed, taipei, db):
    case = make_closed(date(2017, 3, 4))
    admin = as_user("tpe.admin")
    page = admin.get(f"/admin/retention/cases/{case.id}").get_data(as_text=True)
    assert "民國106年3月4日" in page and "民國113年3月4日" in page and "沒有未結束的關聯" in page
    bad = admin.post(f"/admin/retention/cases/{case.id}", {"decision": "retain_until", "retain_until": "",
                                                           "reason": "仍有手足在服務"})
    assert bad.status_code == 422
    assert "延長保存請填寫「保存至」日期。" in bad.get_data(as_text=True) and "仍有手足在服務" in bad.get_data(as_text=True)
    fragment = admin.post(f"/admin/retention/cases/{case.id}", {"decision": "dispose", "reason": ""}, headers=HTMX)
    assert fragment.status_code == 422 and fragment.get_data(as_text=True).lstrip().startswith("<div id=\"retention-decision\">")
    ok = admin.post(f"/admin/retention/cases/{case.id}", {"decision": "retain_until", "retain_until": "2031-12-31",
                                                          "reason": "仍有手足在服務"})
    assert ok.status_code == 303
    after = admin.get(f"/admin/retention/cases/{case.id}").get_data(as_text=True)
    assert "延長保存" in after and "民國120年12月31日" in after and "此案目前不在審查清單上" in after
    assert as_user("hua.admin").get(f"/admin/retention/cases/{case.id}").status_code == 404
    assert as_user("hua.admin").post(f"/admin/retention/cases/{case.id}",
                                     {"decision": "dispose", "reason": "x"}).status_code == 404
    for username in ("tpe.sw1", "tpe.sup", "tpe.dispatch", "moh.protect", "sysadmin"):
        assert as_user(username).get(f"/admin/retention/cases/{case.id}").status_code == 404, username  # a URL naming a record
        assert as_user(username).get("/admin/retention").status_code == 403, username


def test_other_county_administrator_sees_none_of_taipei(as_user, make_closed):
    case = make_closed(date(2017, 3, 4))
    body = as_user("hua.admin").get("/admin/retention").get_data(as_text=True)
    assert case.case_no not in body and "王" not in body and "花蓮縣" in body
    response = as_user("hua.admin").post("/admin/retention/decide", {"case_ids": [str(case.id)], "decision": "dispose",
                                                                     "reason": "x"})
    assert response.status_code == 422 and "不在審查清單" in response.get_data(as_text=True)


def test_sysadmin_edits_retention_years_with_chinese_validation(as_user, factories, db):
    taipei = factories.county("臺北市")
    sysadmin = as_user("sysadmin")
    url = f"/system/counties/{taipei.id}"
    for typed, message in (("31", "「結案後保存年限」需為 1 到 30 年。"), ("0", "「結案後保存年限」需為 1 到 30 年。"),
                           ("七", "「結案後保存年限」需為 1 到 30 的整數。"), ("", "請填寫「結案後保存年限」")):
        response = sysadmin.post(url, {"name": "臺北市", "is_active": "y", "retention_years": typed})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and message in body, typed
        assert f'value="{typed}"' in body or typed == "", typed
    assert sysadmin.post(url, {"name": "臺北市", "is_active": "y", "retention_years": "10"}).status_code == 303
    db.session.refresh(taipei)
    assert taipei.retention_years == 10
    assert "結案後 <strong>10 年</strong>" in as_user("tpe.admin").get("/admin/retention").get_data(as_text=True)
    assert 'value="10"' in sysadmin.get(url).get_data(as_text=True)


def test_the_demo_has_cases_past_retention(db, factories):
    from app.cases.demo import seed_demo_cases
    from app.intake.demo import seed_demo_reports
    from app.retention import services

    seed_demo_reports()
    seed_demo_cases()
    db.session.commit()
    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        rows = services.due_for_review(taipei, taipei_today())
    by_name = {r.case.family_name[0]: r for r in rows}
    assert {"簡", "溫"} <= set(by_name)
    assert by_name["簡"].disposable and by_name["簡"].years_past_due >= 1
    assert not by_name["溫"].disposable and "共案" in by_name["溫"].blockers[0]

"""Referrals and disputes in a real browser."""
import re

import pytest

from tests.browser.helpers import fill_dispatch, login, logout, public_report, report_and_dispatch, shot

pytestmark = pytest.mark.browser


def _open_case(page, username, case_no):
    login(page, username)
    page.wait_for_url("**/")
    page.goto(f"/cases/search?case_no={case_no}")
    page.get_by_role("link", name=case_no).click()


def test_welfare_centre_refers_to_a_partner_who_serves_and_reports_back(page):
    case_no = report_and_dispatch(page)
    _open_case(page, "tpe.sw1", case_no)
    page.get_by_role("link", name="轉介此案家").click()
    page.get_by_label("民間團體", exact=True).check()
    page.get_by_label("民間團體服務").select_option(label="家扶基金會｜兒少及家庭支持服務")
    page.get_by_label("轉介理由").fill("案母失業，需要課後照顧與經濟扶助。")
    page.get_by_label("請求的服務").fill("課後照顧")
    page.get_by_role("button", name="送出轉介").click()
    page.locator("#form-errors").wait_for()
    assert "案家同意" in page.locator("#form-errors").inner_text()  # consent is checked on the server
    page.get_by_label("案家已同意轉介並分享上列資料").check()
    page.get_by_label("同意人（案家成員）").fill("案母")
    page.get_by_role("button", name="送出轉介").click()
    page.wait_for_url(re.compile(r".*/referrals/\d+$"))
    referral_url = page.url
    referral_no = page.locator("h1").inner_text().split()[1]
    assert page.locator("#referral-status").inner_text() == "轉介等待中"
    logout(page)

    login(page, "ngo.staff")
    page.wait_for_url("**/")
    assert "shell-partner" in page.locator("body").get_attribute("class")
    page.get_by_role("link", name="轉介", exact=True).click()
    page.get_by_role("link", name=referral_no).click()
    shared = page.locator("#shared").inner_text()
    assert "周小瑜" in shared and "案母失業" in shared or "周小瑜" in shared
    page.get_by_label("服務人員").fill("周心怡")
    page.get_by_role("button", name="受案").click()
    page.wait_for_load_state()
    assert page.locator("#referral-status").inner_text() == "受案服務中"
    page.get_by_label("服務內容").fill("課後照顧 4 次，孩子出席穩定。")
    page.get_by_role("button", name="記錄服務").click()
    page.wait_for_load_state()
    page.get_by_label("服務成果").select_option(label="服務目標達成")
    page.get_by_label("成果說明").fill("孩子已穩定就學，案母找到工作。")
    page.get_by_role("button", name="轉介完成").click()
    page.wait_for_load_state()
    assert page.locator("#referral-status").inner_text() == "轉介完成"
    case_page = page.goto("/cases/1")
    assert case_page.status in (403, 404)  # the partner sees the referral, never the county's case
    logout(page)

    login(page, "tpe.sw1")
    page.wait_for_url("**/")
    badge = page.locator("#notification-badge")
    badge.wait_for()
    page.wait_for_function("document.querySelector('#notification-badge').textContent.trim() !== '…'")
    assert int(badge.inner_text().split()[0]) >= 3  # accepted, service recorded, completed
    page.goto(referral_url)
    history = page.locator("#history").inner_text()
    for step in ("轉介等待中", "受案服務中", "課後照顧 4 次", "轉介完成", "孩子已穩定就學"):
        assert step in history
    shot(page, "referral-closed-loop")


def test_dv_centre_disputes_a_dispatch_and_the_arbiter_decides_a_joint_case(page):
    report_no = public_report(page, name="爭議小朋友", concern="兒少保護", narrative="孩子說家裡常吵架，經濟也很困難。")
    login(page, "tpe.dispatch")
    page.wait_for_url("**/")
    page.goto("/intake/queue")
    page.get_by_role("link", name=report_no).click()
    page.get_by_role("button", name="認領篩案").click()
    page.get_by_label("兒少保護分級").select_option(label="第二級")
    page.get_by_label("兒少保護分類").select_option(label="第三類（其他）")
    fill_dispatch(page)
    page.get_by_role("button", name="派案", exact=True).click()
    page.wait_for_url("**/intake/queue")
    case_no = re.search(r"個案 (\S+?)）", page.locator("#flash").inner_text()).group(1)
    logout(page)

    _open_case(page, "tpe.dv1", case_no)
    case_url = page.url
    page.get_by_role("link", name="提出爭議").click()
    page.get_by_label("爭議理由").fill("經訪視無保護議題，主要為經濟困難，應由社福中心主責。")
    page.get_by_label("建議處理").select_option(label="改派")
    page.get_by_label("改派或共案的單位").select_option(label="臺北市中正社會福利服務中心（中正區）")
    page.get_by_role("button", name="提出爭議").click()
    page.wait_for_url(re.compile(r".*/disputes/\d+$"))
    dispute_url = page.url
    assert page.locator("#dispute-status").inner_text() == "待對方回應"
    assert "家庭暴力" in page.locator("#current-lead").inner_text()  # the lead keeps serving meanwhile
    logout(page)

    login(page, "tpe.dispatch")
    page.wait_for_url("**/")
    page.goto(dispute_url)
    page.get_by_label("不同意").check()
    page.get_by_label("理由").fill("孩子表示家中常有衝突，保護議題仍需評估。")
    page.get_by_role("button", name="送出回應").click()
    page.wait_for_load_state()
    assert page.locator("#dispute-status").inner_text() == "待縣市裁決"
    logout(page)

    login(page, "tpe.admin")
    page.wait_for_url("**/")
    page.goto("/disputes")
    assert case_no in page.locator("main").inner_text()
    page.goto(dispute_url)
    page.get_by_label("裁決", exact=True).select_option(label="共案")
    page.get_by_label("主責單位（改派、共案）").select_option(label="臺北市家庭暴力暨性侵害防治中心")
    page.get_by_label("臺北市中正社會福利服務中心").check()
    page.get_by_label("臺北市家庭暴力暨性侵害防治中心", exact=True).check()  # the lead ticked as 協力 too
    page.get_by_label("裁決理由").fill("保護與脆弱議題並存，家防中心主責、社福中心協力。")
    page.get_by_role("button", name="裁決…", exact=True).click()
    page.locator("#form-errors").wait_for()
    assert "不能同時是主責單位與協力單位" in page.locator("main").inner_text()
    assert page.get_by_label("裁決理由").input_value().startswith("保護與脆弱議題並存")  # nothing typed is lost
    shot(page, "dispute-lead-and-collaborator-refused")
    page.get_by_label("臺北市家庭暴力暨性侵害防治中心", exact=True).uncheck()
    page.get_by_role("button", name="裁決…", exact=True).click()  # first the confirmation: what it changes at once
    panel = page.locator("#confirm-panel")
    panel.wait_for()
    text = panel.inner_text()
    assert "共案" in text and "臺北市家庭暴力暨性侵害防治中心 主責" in text and "臺北市中正社會福利服務中心 協力" in text
    assert "不能撤回" in text and page.locator("#dispute-status").inner_text() == "待縣市裁決"  # nothing decided yet
    shot(page, "dispute-decide-confirm")
    panel.get_by_role("button", name="確認送出").dblclick()  # a double click decides once
    page.locator("#dispute-status", has_text="已裁決").wait_for()
    assert page.locator("#form-errors").count() == 0  # no 「不在待裁決」 from a second request
    shot(page, "dispute-decided")
    logout(page)

    for username in ("tpe.dv1", "tpe.sw1"):
        login(page, username)
        page.wait_for_url("**/")
        response = page.goto(case_url)
        assert response.status == 200
        joint = page.locator("#joint").inner_text()
        assert "臺北市家庭暴力暨性侵害防治中心：主責" in joint and "臺北市中正社會福利服務中心：協力" in joint
        assert "爭議" in page.locator("#timeline").inner_text()
        logout(page)

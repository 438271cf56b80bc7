"""The whole path of a report in a real browser: the public reports it, follows it,
a dispatcher screens and dispatches it, the 社福中心 finds it, another county sees nothing."""
import re

import pytest

from tests.browser.helpers import fill_dispatch, login, logout, shot

pytestmark = pytest.mark.browser


def test_report_from_the_public_to_the_welfare_centre(page):
    # 1. The public: an error first (nothing ticked), then a good submission.
    page.goto("/report")
    page.get_by_label("案家所在縣市").select_option(label="臺北市")
    page.locator("#district-select select option", has_text="萬華區").wait_for(state="attached")  # htmx swapped the list in
    page.get_by_label("案家所在行政區").select_option(label="萬華區")
    page.get_by_label("姓名", exact=True).fill("瀏覽器小朋友")
    page.get_by_label("出生日期").fill("105/04/01")
    page.get_by_label("發生了什麼事（事由）").fill("孩子常一個人在公園待到很晚，家裡好像沒有大人。")
    page.get_by_role("button", name="送出通報").click()
    page.locator("#form-errors").wait_for()
    assert "請至少勾選一項擔心的情形" in page.locator("#form-errors").inner_text()
    assert page.get_by_label("姓名", exact=True).input_value() == "瀏覽器小朋友"
    assert page.get_by_label("出生日期").input_value() == "105/04/01"
    page.get_by_label("脆弱家庭", exact=True).check()
    page.get_by_label("兒少發展不利處境").check()
    page.get_by_role("button", name="送出通報").click()
    page.wait_for_url("**/report/done")
    report_no = page.locator("#report-no").inner_text()
    code = page.locator("#lookup-code").inner_text()
    shot(page, "public-report-done")

    page.goto("/report/status")
    page.get_by_label("通報編號").fill(report_no)
    page.get_by_label("查詢碼").fill(code)
    page.get_by_role("button", name="查詢").click()
    assert "已受理" in page.locator("#public-status").inner_text()

    # 2. The dispatcher: queue, claim, duplicates panel, dispatch to the proposed centre.
    login(page, "tpe.dispatch")
    page.wait_for_url("**/")
    page.get_by_role("link", name="篩派案佇列", exact=True).click()
    row = page.locator("tr", has_text=report_no)
    assert "剩" in row.inner_text()  # time left before the deadline
    shot(page, "dispatch-queue")
    row.get_by_role("link", name=report_no).click()
    page.get_by_role("button", name="認領篩案").click()
    page.locator("#duplicates").wait_for()
    assert "可能重複" in page.locator("#duplicates").inner_text()
    lead = page.get_by_label("主責單位")
    assert lead.locator("option:checked").inner_text() == "臺北市萬華社會福利服務中心（萬華區）"  # units named with the districts they serve
    shot(page, "report-claimed")
    fill_dispatch(page)
    page.get_by_role("button", name="派案", exact=True).click()
    page.wait_for_url("**/intake/queue")
    assert "已派案至 臺北市萬華社會福利服務中心" in page.locator("#flash").inner_text()
    case_no = re.search(r"個案 (\S+?)）", page.locator("#flash").inner_text()).group(1)
    logout(page)

    # 3. The status the public sees has moved on.
    page.goto("/report/status")
    page.get_by_label("通報編號").fill(report_no)
    page.get_by_label("查詢碼").fill(code)
    page.get_by_role("button", name="查詢").click()
    assert "已派案" in page.locator("#public-status").inner_text()
    assert "萬華" not in page.locator("main").inner_text()

    # 4. The worker of 萬華社福中心 (tpe.sw2 switches to that unit) finds the case.
    login(page, "tpe.sw2")
    page.wait_for_url("**/")
    page.locator("#user-menu").click()
    page.get_by_label("切換單位").select_option(label="臺北市｜臺北市萬華社會福利服務中心（社工）")
    page.get_by_role("button", name="切換").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="案件收件匣", exact=True).click()
    page.get_by_role("link", name=case_no).click()
    body = page.locator("main").inner_text()
    assert "瀏覽器小朋友" in body and "孩子常一個人在公園" in body
    shot(page, "case-in-inbox")
    logout(page)

    # 5. 花蓮縣's dispatcher sees none of it, even by address.
    login(page, "hua.dispatch")
    page.wait_for_url("**/")
    page.goto("/intake/queue")
    assert report_no not in page.content()
    response = page.goto("/cases/1")
    assert response.status in (403, 404)
    # 422 (the form with errors) and 403 (the case URL) are answers we asked for; no script error besides
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []

"""A family case through its whole life in a real browser: assigned, visited,
assessed, opened with approval, served, closed with approval; another unit's
worker cannot open it."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.helpers import login, logout, report_and_dispatch, shot

pytestmark = pytest.mark.browser


def _today():
    return datetime.now(ZoneInfo("Asia/Taipei")).date()


def _roc(day):
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"


def _supervisor_approves(page, case_url, expected_status):
    login(page, "tpe.sup")
    page.wait_for_url("**/")
    page.goto(case_url)
    page.get_by_label("核准").check()
    page.get_by_role("button", name="送出審核").click()
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == expected_status


def test_case_from_assignment_to_closing(page):
    case_no = report_and_dispatch(page)

    # The supervisor assigns it from the inbox, seeing each worker's caseload.
    login(page, "tpe.sup")
    page.wait_for_url("**/")
    page.get_by_role("link", name="案件收件匣", exact=True).click()
    row = page.locator("tr", has_text=case_no)
    assert "首次訪視" in row.inner_text()
    select = row.get_by_label(re.compile("指派"))
    select.select_option(select.locator("option", has_text="王淑芬").get_attribute("value"))
    shot(page, "inbox-assign")
    row.get_by_role("button", name="指派").click()
    page.wait_for_load_state()
    assert "指派給 王淑芬" in page.locator("#flash").inner_text()
    logout(page)

    # The worker visits, assesses, writes the report and proposes opening.
    login(page, "tpe.sw1")
    page.wait_for_url("**/")
    page.get_by_role("link", name="我的案件", exact=True).click()
    page.get_by_role("link", name=case_no).click()
    case_url = page.url
    page.locator("summary", has_text="記錄訪視").click()
    page.get_by_label("周小瑜（子女）").check()
    page.get_by_label("已親見兒少（面對面）").check()
    page.get_by_label("時間（分鐘）").fill("50")
    page.locator("#c-note").fill("家訪，孩子在家，冰箱幾乎是空的。")
    page.get_by_role("button", name="儲存訪視").click()
    page.wait_for_load_state()
    assert "已記錄訪視" in page.locator("#flash").inner_text()
    assert "已完成" in page.locator("#status").inner_text()  # first visit done

    page.locator("summary", has_text="勾選面向與風險因子").click()
    page.get_by_label("第一面向").select_option(label="家庭經濟陷困")
    page.get_by_label(re.compile("需依賴借貸或親友接濟")).check()
    page.get_by_role("button", name="儲存脆弱性評估").click()
    page.wait_for_load_state()
    assert "中" in page.locator("#assessment h3").first.inner_text()

    page.locator("summary", has_text="撰寫評估報告").click()
    page.get_by_label("一、通報事由之確認").fill("確認案母失業三個月。")
    page.get_by_label("二、問題診斷及評估").fill("經濟陷困，兒少照顧尚可。")
    page.get_by_label("三、服務目標之訂定").fill("三個月內穩定收入。")
    page.get_by_label("四、服務計畫之建議").fill("急難紓困、就業轉介。")
    page.get_by_role("button", name="儲存評估報告").click()
    page.wait_for_load_state()

    page.get_by_label("列入個案管理").check()
    page.get_by_role("button", name="送出評估結果").click()
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == "開案審查中"
    logout(page)

    # The supervisor approves the opening.
    _supervisor_approves(page, case_url, "開案服務中")
    logout(page)

    # The worker agrees a plan with the family and records services, then asks to close.
    login(page, "tpe.sw1")
    page.wait_for_url("**/")
    page.goto(case_url)
    page.locator("summary", has_text="訂定服務計畫").click()
    page.get_by_label("服務目標", exact=True).fill("穩定家庭經濟，確保兒少三餐。")
    page.get_by_label("與案家誰共同訂定").fill("案母")
    page.get_by_label("訂定日期").fill(_roc(_today()))  # not before the report was received (today)
    page.get_by_label("預定檢討日期").fill(_roc(_today() + timedelta(days=90)))
    page.get_by_role("button", name="儲存服務計畫").click()
    page.wait_for_load_state()
    page.locator("summary", has_text="記錄服務").click()
    page.get_by_label("服務項目").select_option(label="急難紓困")
    page.locator("#sv-on").fill(_roc(_today()))
    page.get_by_label(re.compile("金額")).fill("10000")
    page.get_by_role("button", name="儲存服務", exact=True).click()
    page.wait_for_load_state()
    assert "10,000" in page.locator("#service").inner_text()
    page.locator("summary", has_text="申請結案").click()
    page.get_by_label("結案理由").fill("案母已就業，經濟穩定。")
    page.get_by_label("結案時脆弱程度").select_option(label="低")
    page.get_by_role("button", name="送督導審核").click()
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == "結案審查中"
    logout(page)

    _supervisor_approves(page, case_url, "已結案")
    status = page.locator("#status").inner_text()
    assert "開案 中 → 結案 低" in status
    timeline = page.locator("#timeline").inner_text()
    for text in ("面訪家庭", "脆弱性評估", "督導核准開案", "急難紓困", "督導核准結案"):
        assert text in timeline
    shot(page, "case-closed")
    logout(page)

    # A worker of a unit not on the case: 404.
    login(page, "tpe.dv1")
    page.wait_for_url("**/")
    response = page.goto(case_url)
    assert response.status == 404

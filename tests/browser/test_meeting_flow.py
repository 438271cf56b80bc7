"""Meetings in a real browser: the ministry's secretariat sets up a meeting and
two action items, 社家署 writes its progress, the chair closes one and keeps
the other, and the next meeting's table carries the right columns."""
import re

import pytest

from tests.browser.helpers import login, logout, shot

pytestmark = pytest.mark.browser


def _add_item(page, title, instruction, lead):
    page.locator("summary", has_text="新增列管事項").click()
    page.get_by_label("案由（標題）").fill(title)
    page.get_by_label("提示或交辦事項").fill(instruction)
    page.locator("#it-lead_unit_ids-group").get_by_label(lead, exact=True).check()
    page.get_by_label("預定完成日期").fill("116/03/31")
    page.get_by_role("button", name="新增", exact=True).click()
    page.wait_for_load_state()


def test_secretariat_unit_and_chair_carry_items_to_the_next_meeting(page):
    login(page, "moh.protect")
    page.wait_for_url("**/")
    page.get_by_role("link", name="會議", exact=True).click()
    page.get_by_label("會議類別").select_option(label="強化社會安全網工作進度會議")
    page.get_by_label("會議名稱").fill("強化社會安全網工作進度會議")
    page.get_by_role("button", name="建立", exact=True).click()
    page.wait_for_url(re.compile(r".*/meetings/series/\d+$"))
    series_url = page.url
    page.get_by_label("日期").fill("115/12/02")
    page.get_by_label("地點").fill("本部 304 會議室")
    page.get_by_label("主持人").fill("政務次長")
    page.get_by_role("button", name="建立會議").click()
    page.wait_for_url(re.compile(r".*/meetings/\d+$"))
    meeting_url = page.url
    # bad input first: the message is in Chinese and what was typed stays
    page.locator("summary", has_text="新增列管事項").click()
    lead_group = page.locator("#it-lead_unit_ids-group")  # 主辦單位: required, grouped checkboxes (no Ctrl-click list)
    assert "必填" in lead_group.inner_text() and lead_group.locator("legend.required").count() == 1
    assert lead_group.get_by_label("社會及家庭署", exact=True).get_attribute("aria-required") == "true"
    page.locator("#it-assist_unit_ids-group").get_by_label("保護服務司", exact=True).check()
    page.get_by_label("提示或交辦事項").fill("請社家署規劃共識營。")
    page.get_by_role("button", name="新增", exact=True).click()
    page.locator("#it-title-error").wait_for()
    assert "請填寫「案由」" in page.locator("#it-title-error").inner_text()
    assert "請至少勾選一個主辦單位" in page.locator("#it-lead_unit_ids-error").inner_text()  # beside the group
    assert page.get_by_label("提示或交辦事項").input_value() == "請社家署規劃共識營。"
    assert page.locator("#it-assist_unit_ids-group").get_by_label("保護服務司", exact=True).is_checked()  # kept
    shot(page, "meetings-item-units-required")
    page.locator("#it-assist_unit_ids-group").get_by_label("保護服務司", exact=True).uncheck()
    page.get_by_label("案由（標題）").fill("請社家署規劃共識營")
    page.locator("#it-lead_unit_ids-group").get_by_label("社會及家庭署", exact=True).check()
    page.get_by_role("button", name="新增", exact=True).click()
    page.wait_for_load_state()
    _add_item(page, "請於社安網平台建立文章分享專區", "請社家署建立文章分享專區。", "社會及家庭署")
    items = page.locator("#items").inner_text()
    assert "1151202-3-1" in items and "1151202-3-2" in items
    logout(page)

    login(page, "moh.sfaa")
    page.wait_for_url("**/")
    page.get_by_role("link", name="我的列管事項", exact=True).click()
    assert page.locator("main").inner_text().count("未填寫") == 2
    for title, text, proposal in (("請社家署規劃共識營", "已規劃 3 場共識營，建請解除列管。", "解除列管"),
                                  ("請於社安網平台建立文章分享專區", "已請資訊處新增專區欄位。", "繼續追蹤")):
        page.get_by_role("link", name=title).click()
        page.get_by_label("辦理情形").fill(text)
        page.get_by_label(proposal).check()
        page.get_by_role("button", name="儲存辦理情形").click()
        page.wait_for_load_state()
        assert text in page.locator("#history").inner_text()
        page.get_by_role("link", name="我的列管事項", exact=True).click()
    assert page.locator("main").inner_text().count("已填寫") == 2
    logout(page)

    login(page, "moh.protect")
    page.wait_for_url("**/")
    page.goto(meeting_url)
    page.get_by_role("link", name="列管事項追蹤表").click()
    assert "尚未填寫辦理情形" not in page.locator("main").inner_text()
    page.get_by_role("button", name="1151202-3-1 解除列管").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="1151202-3-2 繼續追蹤").click()
    page.wait_for_load_state()
    table = page.locator("table.tracking-table").inner_text()
    assert "決定：解除列管" in table and "決定：繼續追蹤" in table
    shot(page, "meetings-table-first")
    page.goto(meeting_url)
    draft = page.locator("#meeting-status").inner_text()
    page.get_by_role("button", name="確定會議紀錄").click()  # first the confirmation: what will be frozen
    panel = page.locator("#confirm-panel")
    panel.wait_for()
    assert "唯讀" in panel.inner_text() and "1151202-3-1" in panel.inner_text() and "辦理情形" in panel.inner_text()
    assert page.locator("#meeting-status").inner_text() == draft  # nothing finalised yet
    shot(page, "meetings-finalise-confirm")
    panel.get_by_role("button", name="確認送出").dblclick()  # a double click sends it once
    page.wait_for_url(meeting_url)
    page.locator("#meeting-status", has_text="紀錄確定").wait_for()
    assert page.locator("#form-errors").count() == 0  # no 「已確定」 from a second request

    page.goto(series_url)
    page.get_by_label("日期").fill("115/12/16")
    page.get_by_role("button", name="建立會議").click()
    page.wait_for_url(re.compile(r".*/meetings/\d+$"))
    page.get_by_role("link", name="列管事項追蹤表").click()
    rows = page.locator("table.tracking-table tbody tr")
    assert rows.count() == 1  # the closed item has left the table
    cells = rows.first.locator("td")
    assert "1151202-3-2" in cells.nth(1).inner_text()
    assert "已請資訊處新增專區欄位。" in cells.nth(4).inner_text()  # 前次辦理情形
    assert "尚未填寫" in cells.nth(5).inner_text()  # 更新辦理情形, for this meeting
    assert "社家署" in page.locator("#missing").inner_text()
    page.get_by_role("button", name="在系統中提醒未填寫的單位").click()
    page.wait_for_load_state()
    assert "已提醒 1 位" in page.locator("main").inner_text()
    shot(page, "meetings-table-next")
    page.goto(meeting_url)  # the tracking table as PDF, made by the job (a real RQ worker when Redis is set)
    page.get_by_label("文件").select_option(label="列管事項追蹤表")
    page.get_by_role("button", name="產製 PDF").click()
    page.locator("#documents").get_by_role("link", name="下載 PDF").wait_for(timeout=60000)
    pdf = page.request.get(page.locator("#documents").get_by_role("link", name="下載 PDF").first.get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.goto(series_url + "?state=closed")
    assert "請社家署規劃共識營" in page.locator("#results").inner_text()
    assert [e for e in page.console_errors if "422" not in e] == []  # the 422 is the refused empty title

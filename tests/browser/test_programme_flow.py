"""社安網2.0 on the case page in a real browser (issue 20): a 社福中心 worker marks the family as 新手父母,
records 育兒指導 (the 2.0 catalogue, its strategy shown), and adds a 性影像 removal request with a Western
date typed by mistake (a Chinese message beside the field, everything typed kept), then corrects it."""

import pytest

from app.core import calendar
from app.core.filters import roc_date
from tests.browser.helpers import a_case_of_tpe_sw1, shot

pytestmark = pytest.mark.browser


def test_a_worker_marks_a_new_parent_records_guidance_and_a_removal_request(page):
    a_case_of_tpe_sw1(page)  # reported, dispatched, assigned; its record open as tpe.sw1
    programme = page.locator("#programme")
    programme.wait_for()

    # Mark the family as 新手父母 (the groups offered are those in force today).
    programme.locator("summary", has_text="註記服務對象").click()
    form = page.locator("#mark-group")
    form.get_by_label("服務對象").select_option(label="新手父母（一般家庭）")
    form.get_by_label("說明").fill("案母產後三個月")
    form.get_by_role("button", name="儲存註記").click()
    page.locator("#flash", has_text="已註記服務對象：新手父母").wait_for()
    assert "新手父母（全家）" in page.locator("#target-groups").inner_text()

    # Record 育兒指導 from the 2.0 catalogue.
    page.locator("#service summary", has_text="記錄服務").click()
    page.locator("#sv-item").select_option(label="育兒指導（擴大育兒指導）")
    page.locator("#sv-on").fill(roc_date(calendar.today(), "short"))
    page.locator("#sv-note").fill("到宅育兒指導：副食品與睡眠")
    page.get_by_role("button", name="儲存服務").click()
    page.locator("#flash", has_text="已記錄服務").wait_for()
    services = page.locator("#service table").inner_text()
    assert "育兒指導（擴大育兒指導）" in services and "策略一 攜幼扶老" in services
    shot(page, "programme-new-parent-guidance")

    # A removal request with a Western date typed by mistake: refused beside the field, nothing lost.
    page.locator("#programme summary", has_text="新增移除申請").click()
    form = page.locator("#add-removal")
    form.get_by_label("平台").fill("Instagram 私人帳號")
    form.get_by_label("申請移除日期").fill("03/15/2026")
    form.get_by_label("說明").fill("被害人提供網址三筆")
    form.get_by_role("button", name="儲存申請").click()
    page.wait_for_load_state()
    error = page.locator("#ir-asked_on-error")
    error.wait_for()
    assert "日期格式看不懂" in error.inner_text()
    form = page.locator("#add-removal")
    assert form.get_by_label("平台").input_value() == "Instagram 私人帳號"
    assert form.get_by_label("申請移除日期").input_value() == "03/15/2026"
    assert form.get_by_label("說明").input_value() == "被害人提供網址三筆"
    form.scroll_into_view_if_needed()
    shot(page, "programme-removal-western-date")

    form.get_by_label("申請移除日期").fill(roc_date(calendar.today(), "short"))
    form.get_by_role("button", name="儲存申請").click()
    page.locator("#flash", has_text="已記錄性影像移除申請").wait_for()
    table = page.locator("#removals").inner_text()
    assert "Instagram 私人帳號" in table and "待處理" in table
    page.locator("#programme").scroll_into_view_if_needed()
    shot(page, "programme-removal-listed")

    page.goto("/reference/catalogue")
    assert "策略一 攜幼扶老" in page.locator("main").inner_text()
    shot(page, "programme-catalogue")

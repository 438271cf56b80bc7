"""Reports in a real browser: the county administrator generates the quarterly
report, watches it, previews, submits; the ministry sees the submission and
downloads the national table."""
import re

import pytest

from app.core.calendar import today as taipei_today
from app.reports.models import PeriodKind
from app.reports.periods import recent_periods
from tests.browser.helpers import login, logout, shot

pytestmark = pytest.mark.browser


def test_county_submits_the_quarterly_report_and_the_ministry_sees_it(page):
    quarter = next(p for p in recent_periods(PeriodKind.QUARTER, taipei_today()) if p.is_over(taipei_today()))
    login(page, "tpe.admin")
    page.wait_for_url("**/")
    page.get_by_role("link", name="統計報表", exact=True).click()
    page.get_by_label("報表", exact=True).select_option(label="脆弱家庭訪視評估")
    page.get_by_label("期間").select_option(label=f"季報｜{quarter.label}")
    page.get_by_role("button", name="產製", exact=True).click()
    page.wait_for_url(re.compile(r".*/reports/\d+$"))
    status = page.locator("#run-status")
    status.get_by_text("已完成（未送出）").wait_for(timeout=60000)  # polled without reloading while the job runs
    assert "訪視評估（單位：戶）" in page.locator("#preview").inner_text()
    with page.expect_popup() as popup:
        page.get_by_role("link", name="預覽 PDF").click()
    assert popup.value.url.endswith("/file.pdf")
    popup.value.close()
    shot(page, "report-preview")
    page.get_by_role("button", name="送出衛生福利部").click()  # first the confirmation: what will be frozen
    panel = page.locator("#confirm-panel")
    panel.wait_for()
    assert "統計數字" in panel.inner_text() and "SHA-256" in panel.inner_text() and "不能撤回" in panel.inner_text()
    assert "進行中" not in panel.inner_text()  # a finished quarter: no warning
    assert "已完成（未送出）" in page.locator("#run-status").inner_text()  # nothing sent yet
    shot(page, "report-submit-confirm")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/submit") else None)
    panel.get_by_role("button", name="確認送出").dblclick()  # a double click sends it once
    page.locator("#run-status", has_text="已送出").wait_for()
    assert len(posts) == 1, posts
    assert page.locator("#form-errors").count() == 0  # no 「此版本已送出」 from a second request
    assert page.get_by_role("button", name="送出衛生福利部").count() == 0
    logout(page)

    login(page, "moh.protect")
    page.wait_for_url("**/")
    page.get_by_role("link", name="報表送出情形", exact=True).click()
    page.get_by_label("期間").select_option(label=f"季報｜{quarter.label}")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    row = page.locator("#submissions tr", has_text="臺北市")
    assert "第 1 版" in row.inner_text()
    assert "未送" in page.locator("#submissions tr", has_text="花蓮縣").inner_text()  # 逾期未送 once past the 10th
    shot(page, "report-submissions")
    link = page.locator("#submissions tfoot a", has_text="XLSX").nth(1)  # 脆弱家庭訪視評估
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.body()[:2] == b"PK"
    assert not page.console_errors


def test_a_report_for_a_running_period_warns_and_needs_the_box_ticked(page):
    """The year is still running: the confirmation says so, and the server refuses until the box is ticked."""
    login(page, "tpe.admin")
    page.wait_for_url("**/")
    page.goto("/reports")
    page.get_by_label("報表", exact=True).select_option(label="轉介與爭議")
    page.get_by_label("期間").select_option(label=f"年報｜{taipei_today().year - 1911}年（進行中）")
    page.get_by_role("button", name="產製", exact=True).click()
    page.wait_for_url(re.compile(r".*/reports/\d+$"))
    page.locator("#run-status").get_by_text("已完成（未送出）").wait_for(timeout=60000)
    page.get_by_role("button", name="送出衛生福利部").click()
    panel = page.locator("#confirm-panel")
    panel.wait_for()
    assert "尚未結束" in panel.locator("#confirm-warning").inner_text()
    assert "期間仍在進行中" in panel.inner_text()
    panel.get_by_role("button", name="確認送出").click()  # without ticking: the server refuses, nothing is sent
    page.locator("#confirm-ack-error").wait_for()
    assert "請勾選確認" in page.locator("#confirm-ack-error").inner_text()
    assert "已完成（未送出）" in page.locator("#run-status").inner_text()
    shot(page, "report-running-period-confirm")
    page.locator("#confirm-panel").get_by_label("我了解此期間仍在進行中").check()
    page.locator("#confirm-panel").get_by_role("button", name="確認送出").click()
    page.locator("#run-status", has_text="已送出").wait_for()
    assert [e for e in page.console_errors if "422" not in e] == []  # the 422 is the refused unticked box

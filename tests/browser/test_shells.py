"""Log in as different people in a real Chromium and see the right shell."""
import pytest

from tests.browser.helpers import login, shot

pytestmark = pytest.mark.browser


def test_taipei_worker_sees_county_shell_and_logs_out(page):
    login(page, "tpe.sw1")
    page.wait_for_url("**/")
    header = page.locator("header")
    assert "社安網協作平台" in header.inner_text()
    assert "臺北市" in header.inner_text()
    assert "王淑芬" in header.inner_text()
    assert "中正社福中心" in header.inner_text() or "臺北市中正社會福利服務中心" in header.inner_text()
    assert "使用者管理" not in page.content()  # a social worker has no admin menu
    shot(page, "shell-tpe-sw1")
    page.locator("#user-menu").click()
    page.get_by_role("button", name="登出").click()
    page.wait_for_url("**/login")
    assert "您已登出" in page.content()
    assert page.console_errors == []


def test_hualien_admin_sees_hualien_and_admin_menu(page):
    login(page, "hua.admin")
    page.wait_for_url("**/")
    assert "花蓮縣" in page.locator("header").inner_text()
    page.get_by_role("button", name="管理").or_(page.get_by_role("link", name="管理")).first.click()
    page.get_by_role("link", name="單位管理").click()
    page.wait_for_url("**/admin/units")
    body = page.locator("main").inner_text()
    assert "花蓮縣花蓮社會福利服務中心" in body
    assert "臺北市" not in body
    shot(page, "units-hua-admin")


def test_partner_and_ministry_shells(page):
    login(page, "ngo.staff")
    page.wait_for_url("**/")
    assert "臺灣兒童暨家庭扶助基金會" in page.locator("header").inner_text()
    assert "shell-partner" in page.locator("body").get_attribute("class")
    shot(page, "shell-partner")
    page.locator("#user-menu").click()
    page.get_by_role("button", name="登出").click()
    login(page, "moh.protect")
    page.wait_for_url("**/")
    assert "shell-ministry" in page.locator("body").get_attribute("class")
    assert "保護服務司" in page.locator("header").inner_text()
    shot(page, "shell-ministry")


def test_failed_login_shows_message_and_keeps_username(page):
    login(page, "tpe.sup", "not-the-password")
    error = page.locator("#login-error")
    error.wait_for()
    assert "帳號或密碼錯誤" in error.inner_text()
    assert page.get_by_label("帳號").input_value() == "tpe.sup"
    assert page.get_by_label("密碼").input_value() == ""
    shot(page, "login-failed")


def test_unit_switcher_changes_the_unit(page):
    login(page, "tpe.sw2")
    page.wait_for_url("**/")
    assert "中正" in page.locator(".context-bar").inner_text()
    page.locator("#user-menu").click()
    page.get_by_label("切換單位").select_option(label="臺北市｜臺北市萬華社會福利服務中心（社工）")
    page.get_by_role("button", name="切換").click()
    page.wait_for_load_state()
    assert "萬華" in page.locator(".context-bar").inner_text()


def test_phone_width_menu_collapses_and_opens(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    login(page, "tpe.admin")
    page.wait_for_url("**/")
    toggler = page.get_by_role("button", name="展開選單")
    assert toggler.is_visible()
    toggler.click()
    page.get_by_role("button", name="管理").or_(page.get_by_role("link", name="管理")).first.wait_for(state="visible")
    shot(page, "phone-menu")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways at phone width ({width}px)"
    context.close()

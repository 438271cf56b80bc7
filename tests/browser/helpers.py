"""What the browser tests share: logging in (with the administrators' second step) and out,
screenshots, and a public report dispatched to 臺北市中正社福中心."""
import re
import time

import sqlalchemy as sa
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from app.accounts.demo import DEMO_TOTP_SECRETS
from app.accounts.models import User
from app.accounts.services import next_totp_code
from app.extensions import db
from tests.support import ARTIFACTS, LIVE


def login(page, username, password="demo1234"):
    page.goto("/login")
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼").fill(password)
    page.get_by_role("button", name="登入").click()
    if username in DEMO_TOTP_SECRETS and password == "demo1234":  # an administrator: the second step
        page.wait_for_url("**/login/verify")
        page.get_by_label("驗證碼").fill(_live_totp_code(username))
        page.get_by_role("button", name="驗證並登入").click()


def _live_totp_code(username):
    """What the administrator's authenticator app shows now, from the live server's database."""
    for _ in range(2):
        with LIVE["app"].app_context():
            try:
                code = next_totp_code(db.session.scalars(sa.select(User).where(User.username == username)).one())
            finally:
                db.session.remove()
        if code is not None:
            return code
        time.sleep(30 - time.time() % 30 + 0.5)  # this step's and the next one's codes are used: wait, like a person
    raise AssertionError(f"no TOTP code for {username}")


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_menu(page):
    """On a phone the header's menu is folded behind 「展開選單」: open it, as a person would."""
    toggler = page.locator(".navbar-toggler")
    if toggler.count() and toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#nav-collapse.show").wait_for()


def logout(page):
    """Open the user menu and log out. The menu opens by script: a click before the page's script has
    run does nothing (CI saw it once), so the menu is opened again until 登出 shows."""
    button = page.get_by_role("button", name="登出")
    open_menu(page)
    for _ in range(4):
        page.locator("#user-menu").click()
        try:
            button.wait_for(state="visible", timeout=5_000)
            break
        except PlaywrightTimeoutError:
            continue
    button.click()
    page.wait_for_url("**/login")


def public_report(page, *, name, concern, narrative, relation=None, birth=None, dimension=None, district="中正區"):
    """A member of the public reports a family in 臺北市; returns the 通報編號."""
    page.goto("/report")
    page.get_by_label("案家所在縣市").select_option(label="臺北市")
    page.locator("#district-select select option", has_text=district).wait_for(state="attached")
    page.get_by_label("案家所在行政區").select_option(label=district)
    page.get_by_label("姓名", exact=True).fill(name)
    if relation:
        page.get_by_label("與案主關係").select_option(label=relation)
    if birth:
        page.get_by_label("出生日期").fill(birth)
    page.get_by_label(concern, exact=True).check()
    if dimension:
        page.get_by_label(dimension).check()
    page.get_by_label("發生了什麼事（事由）").fill(narrative)
    page.get_by_role("button", name="送出通報").click()
    page.wait_for_url("**/report/done")
    return page.locator("#report-no").inner_text()


def fill_dispatch(page, reason="依案家居住地派案，請社福中心評估家庭需求。"):
    """The dispatch form's required parts a dispatcher writes: the reason and, when the household has an open
    case, the explicit choice to open a new one."""
    page.get_by_label("派案理由").fill(reason)
    attach = page.get_by_label("併入案家既有個案")
    if attach.input_value() == "":
        attach.select_option(label="開新案")


def report_and_dispatch(page):
    report_no = public_report(page, name="周小瑜", relation="子女", birth="106/08/08", concern="脆弱家庭",
                              dimension="家庭經濟陷困", narrative="案母失業，孩子午餐沒著落。")
    login(page, "tpe.dispatch")
    page.wait_for_url("**/")
    page.goto("/intake/queue")
    page.get_by_role("link", name=report_no).click()
    page.get_by_role("button", name="認領篩案").click()
    fill_dispatch(page)
    page.get_by_role("button", name="派案", exact=True).click()
    page.wait_for_url("**/intake/queue")
    case_no = re.search(r"個案 (\S+?)）", page.locator("#flash").inner_text()).group(1)
    logout(page)
    return case_no


def a_case_of_tpe_sw1(page) -> str:
    """A report dispatched to 中正社福中心, assigned by tpe.sup to 王淑芬 (tpe.sw1), whose family record is then
    open in ``page``; returns the case number."""
    case_no = report_and_dispatch(page)
    login(page, "tpe.sup")
    page.wait_for_url("**/")
    open_menu(page)
    page.get_by_role("link", name="案件收件匣", exact=True).click()
    row = page.locator("tr", has_text=case_no)
    select = row.get_by_label(re.compile("指派"))
    select.select_option(select.locator("option", has_text="王淑芬").get_attribute("value"))
    row.get_by_role("button", name="指派").click()
    page.wait_for_load_state()
    logout(page)

    login(page, "tpe.sw1")
    page.wait_for_url("**/")
    open_menu(page)
    page.get_by_role("link", name="我的案件", exact=True).click()
    page.get_by_role("link", name=case_no).click()
    return case_no

"""Accessible to everyone, usable in the field (step 15), as people use it: the public form with the
keyboard alone, the status lookup's refusal, the notification count as a live region, the statement
linked from every page, and the worker's day on a phone at 375 px. axe runs on every state these
tests reach (tests/browser/axe.py), as on every other browser test's."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.campaigns import services as campaigns
from app.cases.models import FamilyCase
from app.core import tenancy
from app.extensions import db
from app.tenants.models import County
from tests.browser.helpers import a_case_of_tpe_sw1, login, logout, open_menu, shot
from tests.support import ARTIFACTS, LIVE

pytestmark = pytest.mark.browser

FOCUSED = """() => { const e = document.activeElement; if (!e) return '';
  const label = e.labels && e.labels.length ? e.labels[0].textContent.trim() : (e.getAttribute('aria-label') || e.textContent.trim());
  return (e.id || e.tagName.toLowerCase()) + '|' + label.replace(/\\s+/g, ' ').slice(0, 40); }"""


def _wait_focus(page, element_id: str, seconds: float = 10):
    """Wait until the focus is on #element_id (polled from here: the pages' CSP forbids the eval that
    Playwright's wait_for_function uses for a string predicate)."""
    focused = None
    for _ in range(int(seconds * 10)):
        try:
            focused = page.evaluate("() => document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : ''")
        except Exception:  # navigating
            focused = None
        if focused == element_id:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the focus is on {focused!r}, not #{element_id}")


class Walk:
    """Keyboard steps, written down as a person would describe them (the closing note's walk)."""

    def __init__(self, page, name):
        self.page, self.name, self.steps = page, name, []

    def focused(self) -> str:
        for _ in range(3):
            try:
                return self.page.evaluate(FOCUSED)
            except Exception:  # a key that navigates: read the focus on the page it led to
                self.page.wait_for_load_state()
        return self.page.evaluate(FOCUSED)

    def tab_to(self, element_id: str, limit: int = 60) -> int:
        for n in range(1, limit + 1):
            self.page.keyboard.press("Tab")
            if self.focused().split("|")[0] == element_id:
                self.steps.append(f"Tab ×{n} → {self.focused()}")
                return n
        raise AssertionError(f"{element_id} not reached with Tab (at {self.focused()})")

    def press(self, key: str, note: str = ""):
        self.page.keyboard.press(key)
        self.steps.append(f"{key}{'（' + note + '）' if note else ''} → {self.focused()}")

    def type(self, text: str):
        self.page.keyboard.type(text)
        self.steps.append(f"輸入「{text}」")

    def choose(self, element_id: str, option_text: str, limit: int = 40):
        """A native select, with the arrow keys only."""
        for n in range(limit):
            if self.page.evaluate(f"() => document.getElementById('{element_id}').selectedOptions[0].text") == option_text:
                self.steps.append(f"↓ ×{n} → 選到「{option_text}」")
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{option_text} not reached in #{element_id}")

    def save(self):
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"keyboard-{self.name}.txt").write_text("\n".join(self.steps) + "\n", encoding="utf-8")


def test_the_public_form_with_the_keyboard_alone(page):
    walk = Walk(page, "public-form")
    page.goto("/report")
    walk.press("Tab")
    assert "跳至主要內容" in walk.focused()
    walk.press("Enter", "跳過選單")
    assert walk.focused().startswith("main")

    # A tired person types a name and presses Enter: the report is checked, not a blank person added.
    walk.tab_to("persons-0-name")
    walk.type("王小明")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.locator("#form-errors").wait_for()
    _wait_focus(page, "form-errors")
    walk.steps.append(f"Enter（在姓名欄按 Enter：檢查後退回） → {walk.focused()[:60]}")
    assert page.locator(".person-card").count() == 1
    assert page.locator("#persons-0-name").input_value() == "王小明"
    assert page.evaluate("document.activeElement.id") == "form-errors"  # focus on the summary
    assert page.locator("#form-errors").get_attribute("role") == "alert"
    shot(page, "a11y-public-form-refused")

    # The summary's entries are links to their fields; each field's error is tied to it.
    first = page.locator("#form-errors a").first
    assert first.get_attribute("href") == "#county_id"
    walk.press("Tab")
    assert walk.focused().startswith("form-errors") is False and "縣市" in page.evaluate("document.activeElement.textContent")
    walk.press("Enter", "錯誤清單第一項")
    assert walk.focused().startswith("county_id")
    assert "county_id-error" in page.locator("#county_id").get_attribute("aria-describedby")
    concerns = page.locator("#concerns")
    assert concerns.get_attribute("aria-describedby") == "concerns-error"
    assert page.locator("#concerns input").first.get_attribute("aria-describedby") == "concerns-error"
    assert page.locator("#form-errors a[href='#concerns']").count() == 1

    # County and district with the arrow keys (the district list follows the county).
    walk.choose("county_id", "臺北市")
    page.locator("#district_id option", has_text="中正區").wait_for(state="attached")
    walk.tab_to("district_id")
    walk.choose("district_id", "中正區")

    # The concern: back up to the summary's entry for it, follow it to the group, then Space.
    for n in range(1, 30):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "#concerns":
            walk.steps.append(f"Shift+Tab ×{n} → 錯誤清單「{page.evaluate('document.activeElement.textContent')}」")
            break
    else:
        raise AssertionError("the summary's entry for 擔心的情形 is not reached with Shift+Tab")
    walk.press("Enter", "錯誤清單「擔心的情形」")
    assert walk.focused().startswith("concerns-")
    while "脆弱家庭" not in walk.focused():
        walk.press("Tab")
    walk.press("Space", "勾選脆弱家庭")
    assert page.get_by_label("脆弱家庭", exact=True).is_checked()
    walk.tab_to("narrative")
    walk.type("鄰居的孩子晚上常獨自在家。")
    walk.tab_to("reporter_name")
    walk.press("Enter", "在您的姓名欄按 Enter 送出")
    page.wait_for_url("**/report/done")
    assert re.match(r"\S+", page.locator("#report-no").inner_text())
    walk.save()
    shot(page, "a11y-public-form-done")


def test_adding_a_person_takes_the_focus_to_the_new_card(page):
    page.goto("/report")
    page.get_by_label("姓名", exact=True).fill("王小明")
    page.get_by_role("button", name="＋ 再新增一位").click()
    page.wait_for_load_state()
    _wait_focus(page, "persons-1-name")
    assert page.locator("#persons-0-name").input_value() == "王小明"
    assert "已新增相關人員 2" in page.locator(".person-card").nth(1).inner_text()


def test_the_status_lookup_says_what_went_wrong_and_takes_the_focus_there(page):
    page.goto("/report/status")
    page.get_by_role("button", name="查詢").click()
    page.locator("#form-errors").wait_for()
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.locator("#form-errors a[href='#report_no']").count() == 1
    assert "report_no-error" in page.locator("#report_no").get_attribute("aria-describedby")
    page.get_by_label("通報編號").fill("A000000000")
    page.get_by_label("查詢碼").fill("nope")
    page.get_by_role("button", name="查詢").click()
    page.locator("#form-errors", has_text="查無資料").wait_for()
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.get_by_label("通報編號").input_value() == "A000000000"


def test_every_page_links_the_statement_and_the_counts_are_live(page):
    page.goto("/report")
    page.get_by_role("link", name="無障礙聲明").click()
    assert page.locator("h1").inner_text() == "無障礙聲明"
    assert "1957" in page.locator("main").inner_text()
    login(page, "tpe.sw1")
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="無障礙聲明").count() == 1
    # the notification link says how many are unread, and keeps polling after its first answer
    page.wait_for_function("document.querySelector('#notification-badge').textContent.trim() !== '…'")
    count = page.locator("#notification-count")
    assert count.get_attribute("aria-live") == "polite" and count.get_attribute("hx-trigger") == "load, every 30s"
    assert re.search(r"通知 \d+ 則未讀通知", page.locator(".notification-link").evaluate(
        "e => e.textContent.replace(/\\s+/g, ' ').trim()"))
    # the form's controls are at least 24 px square (WCAG 2.2 2.5.8)
    page.goto("/report")
    small = page.evaluate("""() => Array.from(document.querySelectorAll('main input:not([type=hidden]), main select, main button, main textarea'))
      .filter(e => e.offsetParent !== null && !e.classList.contains('visually-hidden'))
      .map(e => [e.id || e.name, e.getBoundingClientRect()]).filter(([, r]) => r.width < 24 || r.height < 24)
      .map(([id, r]) => id + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))""")
    assert small == []


def _no_sideways(pg, what):
    width = pg.evaluate("document.documentElement.scrollWidth")
    wide = pg.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 376
      && !e.closest('.table-responsive, .visually-hidden, .hp')).slice(0, 6)
      .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert width <= 375, f"{what}: the page is {width} px wide on a 375 px phone: {wide}"


def _campaign_for(case_no: str) -> None:
    """A spring campaign running now, with the family on 中正社福中心's visit list (put in place as the
    county's network list would, so the phone test needs no ministry or county set-up of its own)."""
    app = LIVE["app"]
    with app.app_context():
        try:
            taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
            today = campaigns.today()
            with tenancy.tenant_scope(taipei.id):
                case = db.session.scalars(sa.select(FamilyCase).where(FamilyCase.case_no == case_no)).one()
                campaign = campaigns.open_campaign(f"手機測試關懷 {case_no}", today + timedelta(days=20),
                                                   today + timedelta(days=25), None, starts_on=today - timedelta(days=3))
                campaigns.add_network_entry(campaign, taipei.id, case, "health", "衛生所：未完成預防接種")
            db.session.commit()
        finally:
            db.session.remove()


def test_the_workers_day_on_a_phone(phone):
    page = phone
    case_no = a_case_of_tpe_sw1(page)  # the public form, the dispatch and the assignment, all at 375 px
    _no_sideways(page, "family record")
    shot(page, "phone-family-record")

    # Recording a visit: who was seen, a note; the date typed wrong first, nothing typed is lost.
    page.locator("summary", has_text="記錄訪視").click()
    page.get_by_label("周小瑜（子女）").check()
    page.get_by_label("已親見兒少（面對面）").check()
    page.locator("#c-note").fill("家訪，孩子在家，冰箱幾乎是空的。下次帶食物券。")
    date_box = page.get_by_label("訪視時間", exact=True)
    date_box.fill("115/13/05")
    page.get_by_role("button", name="儲存訪視").click()
    page.wait_for_load_state()
    summary = page.locator("#form-errors")
    summary.wait_for()
    assert page.evaluate("document.activeElement.id") == "form-errors"
    for _ in range(30):  # a phone's layout may still be settling
        box = summary.bounding_box()
        if 0 <= box["y"] < 667:
            break
        page.wait_for_timeout(100)
    assert box["y"] >= 0 and box["y"] < 667, "the refusal is on screen, where the focus went"
    assert page.locator("#c-note").input_value() == "家訪，孩子在家，冰箱幾乎是空的。下次帶食物券。"
    shot(page, "phone-visit-refused")
    summary.locator("a").first.click()
    assert page.evaluate("document.activeElement.id").startswith("c-contacted_at")
    page.locator("#c-contacted_at").fill(page.locator("#c-contacted_at").get_attribute("placeholder") or "")
    today = campaigns.today()
    page.locator("#c-contacted_at").fill(f"{today.year - 1911}/{today.month:02d}/{today.day:02d}")
    page.get_by_role("button", name="儲存訪視").click()
    page.wait_for_load_state()
    assert "已記錄訪視" in page.locator("#flash").inner_text()
    # the message is shown in the visits part the page came back at, in view, with the focus
    assert page.locator("#contacts #flash").count() == 1
    _wait_focus(page, "flash")
    for _ in range(30):  # scrolled into view on the next frame
        if 0 <= page.locator("#flash").bounding_box()["y"] < 667:
            break
        page.wait_for_timeout(100)
    assert 0 <= page.locator("#flash").bounding_box()["y"] < 667
    _no_sideways(page, "family record after the visit")
    save = page.get_by_role("button", name="儲存訪視")
    if save.count():
        assert save.bounding_box()["height"] >= 44

    # The spring campaign's visit on the same phone.
    _campaign_for(case_no)
    open_menu(page)
    page.get_by_role("link", name="春節關懷訪視", exact=True).click()
    page.get_by_role("link", name=f"手機測試關懷 {case_no}").click()
    _no_sideways(page, "my visit list")
    record = page.locator("#my-visits tr", has_text=case_no).get_by_role("link", name="登錄訪視")
    rect = record.bounding_box()
    assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 375 and rect["height"] >= 44
    shot(page, "phone-campaign-list")
    record.click()
    _no_sideways(page, "campaign visit form")
    assert page.evaluate("getComputedStyle(document.getElementById('persons_seen')).fontSize") == "16px"
    page.get_by_label("面訪").check()
    page.get_by_label("見到的人").fill("周媽媽、周小瑜")
    page.get_by_role("button", name="登錄訪視").click()
    summary = page.locator("#form-errors", has_text="受照顧情形")
    summary.wait_for()
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert 0 <= summary.bounding_box()["y"] < 667
    assert page.get_by_label("見到的人").input_value() == "周媽媽、周小瑜"
    shot(page, "phone-campaign-visit-refused")
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id").endswith("-care")
    for care in page.get_by_label(re.compile("受照顧情形已確認")).all():
        care.check()
    button = page.get_by_role("button", name="登錄訪視")
    assert button.bounding_box()["height"] >= 44
    button.click()
    page.locator(".alert-success").wait_for()
    _no_sideways(page, "my visit list after the visit")
    shot(page, "phone-campaign-visit-done")
    # nothing about the family is kept in the browser's storage
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    for name in ("我的案件", "首頁"):
        open_menu(page)
        link = page.locator("#nav-collapse").get_by_role("link", name=name, exact=True)
        if not link.count():
            link = page.get_by_role("link", name=re.compile("社安網協作平台"))
        link.first.click()
        page.wait_for_load_state()
        _no_sideways(page, name)
        shot(page, f"phone-{'my-cases' if name == '我的案件' else 'home'}")
    logout(page)


def test_the_campaign_visit_with_the_keyboard_alone(page):
    case_no = a_case_of_tpe_sw1(page)
    # First, on the family record: a household form answered in place (htmx) that is refused takes the
    # focus to its own summary, inside the form; one that is saved comes back with its message focused.
    page.locator("summary", has_text="新增成員").click()
    page.locator("#add-member").get_by_role("button", name="新增成員").click()
    page.locator("#add-member #form-errors").wait_for()
    _wait_focus(page, "form-errors")
    assert page.locator("#add-member #form-errors a").count() >= 1
    page.locator("#add-member").get_by_label("與案主關係").select_option(index=1)
    page.locator("#add-member").get_by_label("姓名").fill("周阿嬤")
    page.locator("#add-member").get_by_role("button", name="新增成員").click()
    page.locator("#current-members", has_text="周阿嬤").wait_for()
    _wait_focus(page, "flash")  # the message takes the focus, so that it is read
    assert "已新增成員 周阿嬤" in page.locator("#flash").inner_text()
    _campaign_for(case_no)
    page.get_by_role("link", name="春節關懷訪視", exact=True).click()
    page.get_by_role("link", name=f"手機測試關懷 {case_no}").click()
    walk = Walk(page, "campaign-visit")
    link = page.locator("#my-visits tr", has_text=case_no).get_by_role("link", name="登錄訪視")
    link_id = "visit-link"
    link.evaluate(f"e => e.id = '{link_id}'")
    walk.tab_to(link_id, limit=80)
    walk.press("Enter", "登錄訪視")
    page.wait_for_load_state()
    page.locator("#visited_on").wait_for()
    walk.tab_to("method-in_person")
    walk.press("Space", "選面訪")
    assert page.locator("#method-in_person").is_checked()
    walk.tab_to("persons_seen")
    walk.type("周媽媽、周小瑜")
    walk.press("Enter", "在見到的人欄按 Enter")
    page.locator("#form-errors").wait_for()
    _wait_focus(page, "form-errors")
    walk.steps.append(f"→ 退回，焦點在錯誤摘要：{page.locator('#form-errors').inner_text()[:40]}")
    walk.press("Tab")
    walk.press("Enter", "錯誤摘要的連結")
    assert "受照顧情形已確認" in walk.focused()  # the link goes to the box to tick
    walk.press("Space", "確認兒少受照顧情形")
    walk.tab_to("needs")
    walk.type("需要年菜")
    for n in range(1, 15):
        page.keyboard.press("Tab")
        if walk.focused() == "button|登錄訪視":
            walk.steps.append(f"Tab ×{n} → 登錄訪視按鈕")
            break
    else:
        raise AssertionError("the 登錄訪視 button is not reached with Tab")
    walk.press("Enter", "登錄訪視")
    page.locator(".alert-success").wait_for()
    walk.save()

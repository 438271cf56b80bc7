"""Household members in a real browser (issue 18, defect 3): the lead worker adds the mother and the father, types
the mother's ID number with a wrong check digit first (the message beside the field, everything typed kept),
corrects it (the previous value in the member's history) and ends the father's membership (遷出: 「已離開」)."""
import pytest

from app.core import idnumbers
from tests.browser.helpers import login, report_and_dispatch, shot

pytestmark = pytest.mark.browser


def _id(first9):
    return next(first9 + str(d) for d in range(10) if idnumbers.is_valid(first9 + str(d)))


MOTHER_TYPED = _id("A22233344")
MOTHER_RIGHT = _id("A22233355")
WRONG = MOTHER_RIGHT[:-1] + str((int(MOTHER_RIGHT[-1]) + 1) % 10)


def _add(page, *, relation, name, sex, birth, id_number="", flag=None, welfare=None):
    page.locator("summary", has_text="新增成員").click()
    form = page.locator("#add-member")
    form.get_by_label("與案主關係").select_option(label=relation)
    form.get_by_label("姓名", exact=True).fill(name)
    form.get_by_label("性別").select_option(label=sex)
    form.get_by_label("出生日期（民國，如 105/03/14）").fill(birth)
    form.get_by_label("身分證號或居留證號（不詳請留空）").fill(id_number)
    if flag:
        form.get_by_label(flag).check()
    if welfare:
        form.get_by_label("福利身分別").select_option(label=welfare)
    form.get_by_role("button", name="新增成員").click()
    page.locator("#flash", has_text=f"已新增成員 {name}").wait_for()


def _member_details(page, name):
    details = page.locator("details", has=page.locator("summary", has_text=f"更正或結束 {name} 的成員關係"))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def test_the_lead_worker_adds_corrects_and_ends_members(page):
    case_no = report_and_dispatch(page)
    login(page, "tpe.sw1")
    page.wait_for_url("**/")
    page.goto(f"/cases/search?case_no={case_no}")
    page.get_by_role("link", name=case_no).first.click()
    page.locator("#household").wait_for()

    _add(page, relation="母", name="周美華", sex="女", birth="75/03/14", id_number=MOTHER_TYPED, flag="新住民",
         welfare="中低收入戶")
    _add(page, relation="父", name="周大明", sex="男", birth="72/07/01")
    members = page.locator("#current-members").inner_text()
    assert "周美華" in members and "周大明" in members and "中低收入戶" in members and "新住民" in members
    shot(page, "household-added")

    # The mother's ID number was mistyped: a wrong check digit first, refused beside the field, input kept.
    details = _member_details(page, "周美華")
    form = details.locator("form[id^=correct-]")
    form.get_by_label("身分證號或居留證號（不詳請留空）").fill(WRONG)
    form.get_by_label("更正原因").fill("依身分證影本更正")
    form.get_by_role("button", name="儲存更正").click()
    error = page.locator("[id$='-id_number-error']", has_text="檢查碼不正確")
    error.wait_for()
    form = _member_details(page, "周美華").locator("form[id^=correct-]")
    assert form.get_by_label("身分證號或居留證號（不詳請留空）").input_value() == WRONG
    assert form.get_by_label("更正原因").input_value() == "依身分證影本更正"
    shot(page, "household-wrong-check-digit")
    form.get_by_label("身分證號或居留證號（不詳請留空）").fill(MOTHER_RIGHT)
    form.get_by_role("button", name="儲存更正").click()
    page.locator("#flash", has_text="已更正 周美華 的資料").wait_for()
    history = page.locator(".member-history", has_text="更正身分證號").inner_text()
    assert MOTHER_TYPED in history and MOTHER_RIGHT in history and "依身分證影本更正" in history
    shot(page, "household-corrected")

    # The father moved out: ended, shown apart under 「已離開」, nothing deleted.
    details = _member_details(page, "周大明")
    form = details.locator("form[id^=end-]")
    form.get_by_label("遷出").check()
    form.get_by_label("離開日期（民國，如 115/12/01）").fill("115/11/30")
    form.get_by_label("說明").fill("遷居高雄")
    form.get_by_role("button", name="結束成員關係").click()
    page.locator("#flash", has_text="周大明已列為「已離開」").wait_for()
    assert "周大明" not in page.locator("#current-members").inner_text()
    former = page.locator(".former-members").inner_text()
    assert "周大明" in former and "遷出 115/11/30" in former and "遷居高雄" in former
    assert "已離開（1）" in page.locator("#former-members").inner_text()
    page.locator("#household").scroll_into_view_if_needed()
    shot(page, "household-ended")


def test_the_deadline_settings_page_cites_the_source_of_each_rule(page):
    login(page, "tpe.admin")
    page.wait_for_url("**/")
    page.goto("/intake/settings/deadlines")
    sources = page.locator("#rule-sources").inner_text()
    assert "兒童及少年福利與權益保障法第 53 條第 3 項" in sources and "依法固定" in sources
    assert "108 年 6 月 10 日" in sources
    shot(page, "deadline-rule-sources")

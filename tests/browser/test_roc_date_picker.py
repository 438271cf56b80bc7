"""The one ROC date picker in a real browser: opened by mouse and by keyboard, it writes 民國 dates into the
text field, a moment has an ROC date and a 24-hour time, and what the server saves reads back in ROC."""
import re

import pytest

from tests.browser.helpers import login, shot

pytestmark = pytest.mark.browser


def test_picker_by_mouse_and_keyboard_on_the_intake_form(page):
    login(page, "tpe.dispatch")
    page.wait_for_url("**/")
    page.goto("/intake/reports/new")
    assert page.locator("input[type=date], input[type=datetime-local]").count() == 0
    received = page.get_by_label("受理時間", exact=True)
    assert re.fullmatch(r"1\d\d/\d\d/\d\d", received.input_value()), received.input_value()  # today, in ROC
    assert re.fullmatch(r"\d\d:\d\d", page.locator("#received_at-time").input_value())
    assert "民國年/月/日，例如 115/12/06" in page.locator("#received_at-help").inner_text()

    # Mouse: open the calendar beside 受理時間, go back a month, pick the 10th.
    page.locator("#received_at").locator("xpath=..").get_by_role("button", name="開啟民國日曆").click()
    dialog = page.get_by_role("dialog", name="民國日曆")
    dialog.wait_for()
    assert re.search(r"民國 1\d\d 年", dialog.locator("select").first.inner_text())
    shot(page, "roc-date-picker-open")
    dialog.get_by_role("button", name="上個月").click()
    dialog.locator(".roc-day:not(.roc-day-outside)", has_text=re.compile(r"^10$")).click()
    assert dialog.is_hidden()
    assert re.fullmatch(r"1\d\d/\d\d/10", received.input_value())

    # Keyboard: Alt+↓ in the 知悉 field opens it on today, → moves a day, Enter picks; Esc closes another time.
    learned = page.get_by_label("通報人知悉時間", exact=True)
    learned.focus()
    learned.press("Alt+ArrowDown")
    focused = page.locator(".roc-calendar:not([hidden]) .roc-day:focus")
    focused.wait_for()
    first = focused.get_attribute("data-date")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowUp")
    shot(page, "roc-date-picker-keyboard")
    chosen = page.locator(".roc-calendar:not([hidden]) .roc-day:focus").get_attribute("data-date")
    assert chosen != first
    page.keyboard.press("Enter")
    assert learned.input_value() == chosen
    assert page.evaluate("document.activeElement.id") == "learned_at"  # focus back in the field
    learned.press("Alt+ArrowDown")
    page.keyboard.press("Escape")
    assert page.locator(".roc-calendar:not([hidden])").count() == 0

    # Typed by hand works as well, and a bad time is refused beside the field with everything kept.
    page.locator("#learned_at-time").fill("25:99")
    page.get_by_role("button", name="受理並加入佇列").click()
    page.wait_for_load_state()
    assert "這個時間不存在" in page.content()
    assert page.get_by_label("通報人知悉時間", exact=True).input_value() == chosen
    shot(page, "roc-date-picker-error")

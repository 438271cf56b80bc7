"""Step 10, defect 1, as the citizen walked it: the public report form with 縣市 and 行政區 left on
「請選擇」 comes back with the message beside each field and everything typed still there; fixed, it
is received. Also the narrative's character counter."""
import pytest

from tests.browser.helpers import shot

pytestmark = pytest.mark.browser


def test_public_report_left_on_placeholder_keeps_everything_then_goes_through(page):
    page.goto("/report")
    page.get_by_label("姓名", exact=True).fill("安安")
    page.get_by_label("出生日期").fill("106/08/15")
    page.get_by_label("案家地址（村里、路街）").fill("西園路二段 50 巷")
    narrative = "孩子這幾天晚上都在樓梯間哭，家裡常傳出摔東西的聲音。"
    page.get_by_label("發生了什麼事（事由）").fill(narrative)
    counter = page.locator("#narrative-count")
    assert counter.inner_text() == f"{len(narrative)} / 5000 字"  # the counter follows what is typed
    page.get_by_label("脆弱家庭", exact=True).check()
    page.get_by_label("通報人姓名").fill("樓上鄰居")
    page.get_by_label("通報人電話").fill("0933-222-111")
    # 縣市 and 行政區 are left on 請選擇
    page.get_by_role("button", name="送出通報").click()
    page.locator("#form-errors").wait_for()
    summary = page.locator("#form-errors li").all_inner_texts()
    assert summary == ["請選擇「案家所在縣市」。", "請選擇「案家所在行政區」。"]  # in the page's order, by Chinese label
    assert page.locator("#county_id-error").inner_text() == "請選擇「案家所在縣市」。"
    assert page.locator("#district_id-error").inner_text() == "請選擇「案家所在行政區」。"
    assert page.get_by_label("案家所在縣市").get_attribute("aria-invalid") == "true"
    for label, value in [("姓名", "安安"), ("出生日期", "106/08/15"), ("案家地址（村里、路街）", "西園路二段 50 巷"),
                         ("發生了什麼事（事由）", narrative), ("通報人姓名", "樓上鄰居"), ("通報人電話", "0933-222-111")]:
        assert page.get_by_label(label, exact=True).input_value() == value, label
    assert page.get_by_label("脆弱家庭", exact=True).is_checked()
    shot(page, "public-report-county-not-chosen")

    # 縣市 chosen, 行政區 still on 請選擇
    page.get_by_label("案家所在縣市").select_option(label="臺北市")
    page.locator("#district-select select option", has_text="萬華區").wait_for(state="attached")
    page.get_by_role("button", name="送出通報").click()
    page.locator("#district_id-error").wait_for()
    assert page.locator("#district_id-error").inner_text() == "請選擇「案家所在行政區」。"
    assert page.locator("#county_id-error").count() == 0
    assert page.get_by_label("案家所在縣市").locator("option:checked").inner_text() == "臺北市"
    assert page.get_by_label("發生了什麼事（事由）").input_value() == narrative
    shot(page, "public-report-district-not-chosen")

    page.get_by_label("案家所在行政區").select_option(label="萬華區")
    page.get_by_role("button", name="送出通報").click()
    page.wait_for_url("**/report/done")
    assert page.locator("#report-no").inner_text().strip()
    shot(page, "public-report-received-after-fix")


def test_over_long_narrative_is_counted_and_refused_not_cut(page):
    page.goto("/report")
    field = page.get_by_label("發生了什麼事（事由）")
    too_long = "很" * 5003
    field.fill(too_long)
    assert field.input_value() == too_long  # the browser does not cut it
    counter = page.locator("#narrative-count")
    assert "超過 3 字" in counter.inner_text()
    assert "text-danger" in counter.get_attribute("class")
    page.get_by_role("button", name="送出通報").click()
    page.locator("#form-errors").wait_for()
    assert "最多 5000 個字" in page.locator("#form-errors").inner_text()
    assert page.get_by_label("發生了什麼事（事由）").input_value() == too_long
    shot(page, "public-report-narrative-too-long")

"""The ways out, walked as the people would: a social worker of the lead unit withdraws the dispute
she raised (an empty reason first, the confirmation, the Back button, a double click), the
dispatch centre is told; a supervisor cancels the lead hand-over he proposed, and the unit it was
offered to can no longer accept it (neither from the page it had open nor by a direct POST)."""
import re

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.helpers import login, logout, report_and_dispatch, shot

pytestmark = pytest.mark.browser

CENTRE = "臺北市中正社會福利服務中心"
DV = "臺北市家庭暴力暨性侵害防治中心"


def _open_case(page, username, case_no):
    login(page, username)
    page.wait_for_url("**/")
    page.goto(f"/cases/search?case_no={case_no}")
    page.get_by_role("link", name=case_no).click()
    page.locator("#joint").wait_for()


def _units(page):
    return page.locator("#joint ul").first.inner_text()


def test_the_filer_withdraws_a_dispute_and_the_other_side_is_told(page):
    case_no = report_and_dispatch(page)
    _open_case(page, "tpe.sw1", case_no)
    case_url = page.url
    units_before = _units(page)
    assert f"{CENTRE}：主責" in units_before
    page.get_by_role("link", name="提出爭議").click()
    page.get_by_label("爭議理由").fill("案家主要為就業問題，建議退回重新篩派。")
    page.get_by_label("建議處理").select_option(label="退回篩派案中心重新篩派")
    page.get_by_role("button", name="提出爭議").click()
    page.wait_for_url(re.compile(r".*/disputes/\d+$"))
    dispute_url = page.url
    assert page.locator("#dispute-status").inner_text() == "待對方回應"
    shot(page, "withdraw-1-filed")

    # An empty reason: refused beside the field, in Chinese; the dispute stays open.
    page.locator("#withdraw summary", has_text="撤回爭議").click()
    with page.expect_response(lambda r: r.url.endswith("/withdraw")) as answer:
        page.get_by_role("button", name="撤回爭議…").click()
    assert answer.value.status == 422
    page.locator("#form-errors").wait_for()
    assert "請填寫「撤回理由」" in page.locator("#withdraw").inner_text()  # beside the field, not only at the top
    assert page.locator("#withdraw .invalid-feedback, #withdraw .is-invalid").count() >= 1
    assert page.get_by_label("撤回理由").is_visible()  # the form stays open
    assert page.locator("#dispute-status").inner_text() == "待對方回應"
    shot(page, "withdraw-2-empty-reason")

    # With a reason: first the confirmation, nothing withdrawn yet.
    reason = "與篩派案中心電話討論後，先由本中心持續服務。"
    page.get_by_label("撤回理由").fill(reason)
    page.get_by_role("button", name="撤回爭議…").click()
    panel = page.locator("#confirm-panel")
    panel.wait_for()
    text = panel.inner_text()
    assert reason in text and "主責與協力單位不變" in text and "會收到撤回通知" in text
    assert page.locator("#dispute-status").inner_text() == "待對方回應"
    shot(page, "withdraw-3-confirm")

    # The Back button once: whatever the browser shows, the app does not fail and nothing is withdrawn.
    # (the page before is the refused POST: Chromium asks to resend it, ERR_CACHE_MISS, and sends nothing)
    try:
        back = page.go_back()
        assert back is None or back.status < 500
    except PlaywrightError as exc:
        assert "ERR_CACHE_MISS" in str(exc)
        page.wait_for_url("chrome-error://**")
    shot(page, "withdraw-4-after-back")
    page.goto(dispute_url)
    assert page.locator("#dispute-status").inner_text() == "待對方回應"

    # Then properly: reason, confirmation, 確認送出 (a double click withdraws once).
    page.locator("#withdraw summary", has_text="撤回爭議").click()
    page.get_by_label("撤回理由").fill(reason)
    page.get_by_role("button", name="撤回爭議…").click()
    panel.wait_for()
    sent = {i.get_attribute("name"): i.get_attribute("value") for i in panel.locator("input[type=hidden]").all()}
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if "/withdraw" in r.url else None)
    panel.get_by_role("button", name="確認送出").dblclick()
    page.locator("#dispute-status", has_text="已撤回").wait_for()
    page.wait_for_load_state()
    assert all(s < 500 for s in statuses) and page.locator("#form-errors").count() == 0
    assert "已撤回爭議" in page.locator("#flash").inner_text()
    assert page.locator("#withdraw").count() == 0  # nothing more to withdraw
    shot(page, "withdraw-5-withdrawn")

    # Back to the confirmation: Chromium does not resend a POST (ERR_CACHE_MISS); nothing happens.
    try:
        page.go_back()
    except PlaywrightError as exc:  # the confirmation was a POST's answer: not resent by the browser
        assert "ERR_CACHE_MISS" in str(exc)
        page.wait_for_url("chrome-error://**")
        shot(page, "withdraw-6-back-after-withdrawal")
    # The confirmation sent again as it was (a stale tab, a resent form): 409 in Chinese, not withdrawn twice.
    again = page.request.post(dispute_url + "/withdraw", form=sent)
    assert again.status == 409 and "已撤回" in again.text() and "已無法撤回" in again.text()

    response = page.goto(case_url)
    assert response.status == 200
    assert _units(page) == units_before  # the lead and collaborators unchanged
    assert "已撤回" in page.locator("#joint").inner_text()
    timeline = page.locator("#timeline").inner_text()
    assert timeline.count(f"撤回：{reason}") == 1  # withdrawn once
    shot(page, "withdraw-7-case-after")
    logout(page)

    login(page, "tpe.dispatch")
    page.wait_for_url("**/")
    page.goto("/notifications")
    notices = page.locator("main").inner_text()
    assert f"{case_no} 爭議" in notices and f"已由{CENTRE}撤回：{reason}" in notices
    assert notices.count(CENTRE) == 1  # the unit named once in the notice
    shot(page, "withdraw-8-dispatch-notice")
    page.goto(dispute_url)
    assert page.locator("#dispute-status").inner_text() == "已撤回"
    assert page.get_by_role("button", name="送出回應").count() == 0  # nothing left to answer
    logout(page)


def _refer_to_dv_centre(page, case_no):
    """The centre refers the family to the 家防中心, which accepts: it joins the case as 協力."""
    _open_case(page, "tpe.sw1", case_no)
    page.get_by_role("link", name="轉介此案家").click()
    page.locator("input[name=kind][value=unit]").check()
    select = page.locator("select[name=to_unit_id]")
    value = select.locator("option", has_text=DV).first.get_attribute("value")
    select.select_option(value=value)
    page.get_by_label("轉介理由").fill("孩子提到家中衝突，請家防中心協助評估。")
    page.get_by_label("案家已同意轉介並分享上列資料").check()
    page.get_by_label("同意人（案家成員）").fill("案母")
    page.get_by_role("button", name="送出轉介").click()
    page.wait_for_url(re.compile(r".*/referrals/\d+$"))
    referral_url = page.url
    logout(page)
    login(page, "tpe.dvsup")
    page.wait_for_url("**/")
    page.goto(referral_url)
    page.get_by_label("服務人員").fill("林社工")
    page.get_by_role("button", name="受案").click()
    page.wait_for_load_state()
    assert page.locator("#referral-status").inner_text() == "受案服務中"
    logout(page)


def test_the_proposer_cancels_a_hand_over_and_it_can_no_longer_be_accepted(page, browser, live_server):
    case_no = report_and_dispatch(page)
    _refer_to_dv_centre(page, case_no)

    _open_case(page, "tpe.sup", case_no)
    case_url = page.url
    units_before = _units(page)
    assert f"{CENTRE}：主責" in units_before and f"{DV}：協力" in units_before
    page.locator("#joint summary", has_text="移轉主責給協力單位").click()
    to_unit = page.get_by_label("移轉主責給")
    to_unit.select_option(value=to_unit.locator("option", has_text=DV).first.get_attribute("value"))
    page.get_by_label("理由", exact=True).fill("保護議題為主，請家防中心接任主責。")
    page.get_by_role("button", name="提出移轉").click()
    page.locator("#pending-handover").wait_for()
    shot(page, "withdraw-h1-proposed")

    # The 家防中心's supervisor has the case open, with the answer form, before the cancellation.
    other = browser.new_context(base_url=live_server, locale="zh-TW", viewport={"width": 1280, "height": 900})
    dv = other.new_page()
    _open_case(dv, "tpe.dvsup", case_no)
    assert dv.get_by_role("button", name="回應").count() == 1
    action = dv.locator("#pending-handover form").first.get_attribute("action")

    page.locator("#pending-handover summary", has_text="取消此主責移轉").click()
    page.get_by_label("取消理由（選填）").fill("家防評估後暫不需移轉。")
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/cancel") else None)
    page.get_by_role("button", name="取消移轉").dblclick()  # a double click cancels once, without an error
    page.locator("#flash", has_text="已取消主責移轉").wait_for()
    page.wait_for_load_state()
    assert statuses.count(303) == 1 and all(s < 500 for s in statuses), statuses  # sent once
    assert page.locator("#form-errors").count() == 0
    assert page.locator("#pending-handover").count() == 0
    assert _units(page) == units_before
    assert page.locator("#timeline").inner_text().count("取消主責移轉：家防評估後暫不需移轉。") == 1
    shot(page, "withdraw-h2-cancelled")

    # The receiving supervisor answers from the page it had open: told in Chinese, nothing changes.
    dv.get_by_label("接受主責").check()
    with dv.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(action)) as answer:
        dv.get_by_role("button", name="回應").click()
    dv.wait_for_load_state()
    shot(dv, "withdraw-h3-stale-accept")
    assert answer.value.status == 409
    message = dv.locator("#form-errors").inner_text()
    assert "已取消" in message and "無法再回應" in message, message
    dv.goto(case_url)
    assert dv.locator("#pending-handover").count() == 0 and dv.get_by_role("button", name="回應").count() == 0
    assert _units(dv) == units_before
    dv.goto("/notifications")
    notices = dv.locator("main").inner_text()
    assert "主責移轉請求已由" in notices and "取消" in notices
    shot(dv, "withdraw-h4-dv-notice")

    # A direct POST to accept: 403/409 with a Chinese message, never a 500.
    dv.goto(case_url)
    token = dv.locator("input[name=csrf_token]").first.get_attribute("value")
    direct = dv.request.post(live_server + action, form={"csrf_token": token, "ha-decision": "accept"},
                             max_redirects=0)
    assert direct.status in (403, 409), direct.status
    assert "取消" in direct.text()
    other.close()
    page.goto(case_url)
    assert _units(page) == units_before and f"{CENTRE}：主責" in _units(page)  # the lead never moved

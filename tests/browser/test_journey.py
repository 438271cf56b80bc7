"""The whole journey as its users walk it, in headless Chromium, clicking as they do.

A citizen reports a family (with the usual mistakes), follows the report; the dispatcher
screens and dispatches it; the supervisor assigns it; the worker keeps the family record,
visits, assesses, proposes opening; the supervisor approves; the worker plans, serves and
refers the family to a partner, who accepts, serves and reports back; the worker disputes
the lead and the county decides 改派 to the 家防中心; both units keep working; the county's
高危機網絡會議 follows the family (item, progress, carry-over, tracking-table PDF); the county
submits its quarterly report; the ministry sees the submissions and national figures and no
family anywhere.

Personas: the public, tpe.dispatch, tpe.sup, tpe.sw1, ngo.staff, tpe.admin, tpe.dv1, moh.protect.
Each step is screenshotted to test-artifacts/journey-NN-<step>.png.

The tests run in order and share the journey's state in ``J``; a test whose predecessor
failed skips. Only the public pages are reached by address; everything else by the links and
buttons a user clicks, from the home page and the menus.

Steps that depend on a step-10 fix not yet merged are marked ``# AWAITS <helper>: <what>`` and
skip only their own assertions while ``AWAITING[<helper>]`` is True; the lead flips the flag
after merging that helper's branch.
"""
import random
import re
import subprocess
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.core.calendar import today as taipei_today
from app.reports.models import PeriodKind
from app.reports.periods import recent_periods
from tests.browser.helpers import fill_dispatch, login, logout, shot
from tests.support import ARTIFACTS, LIVE

pytestmark = pytest.mark.browser

# A step-10 fix this journey needs but main does not have yet: True = skip that step's assertions.
AWAITING = {
    "forms": False,       # defect 1: a choice left on 「請選擇」 comes back as 422 beside the field, input kept
    "household": False,   # defect 3: add a household member on the family record
    "lead": False,        # defect 2: the former lead keeps access; referrals follow the case; lead ≠ 協力
    "confirm": False,     # defect 7: confirmation before deciding a dispute, finalising minutes, submitting a report
    "worklists": False,   # each role's home page is its work list
    "dates": False,       # defect 6: ROC dates everywhere a person reads one (timeline, shared plan)
    "ministry": False,    # defects 4/5: submissions grid per period; one disclosure rule
    # NOT among the defects, assigned to no one yet: on PostgreSQL a double click on 送出通報
    # posts the form twice and creates two reports (SQLite serialises the two posts and hides it).
    "double_submit": False,
}


def awaits(name: str) -> bool:
    """True while the fix named ``name`` is not merged: the caller skips those assertions."""
    return AWAITING[name]


J: dict = {}  # the journey's state, shared by the tests of this module in order
_COUNTER = {"n": 0}

_CHARS = "嘉禾青松澄映晴川柏宇亦晨昀安若彤沐辰宥承芸熙"
_SUFFIX = "".join(random.SystemRandom().sample(_CHARS, 2))
CHILD = f"旅{_SUFFIX}"          # the child reported (its name is unique to this run)
MOTHER = f"旅母{_SUFFIX}"        # the household member the worker adds
FAMILY_NAMES = (CHILD, MOTHER)


def _valid_id(first9: str) -> str:
    from app.core import idnumbers

    return next(first9 + str(d) for d in range(10) if idnumbers.is_valid(first9 + str(d)))


MOTHER_ID = _valid_id("A2" + "".join(random.SystemRandom().choice("0123456789") for _ in range(7)))


def roc(day: date) -> str:
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"


TODAY = datetime.now(ZoneInfo("Asia/Taipei")).date()  # the day the family is reported, visited and served


def step(page, name: str) -> None:
    """Screenshot of a journey step, numbered in order."""
    _COUNTER["n"] += 1
    shot(page, f"journey-{_COUNTER['n']:02d}-{name}")


def need(*keys):
    missing = [k for k in keys if k not in J]
    if missing:
        pytest.skip(f"an earlier journey step failed (missing {', '.join(missing)})")


def go_back(page):
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.go_back()
        page.wait_for_load_state()
    except PlaywrightError as exc:  # net::ERR_CACHE_MISS: the entry was a POST's answer, not posted again
        assert "ERR_CACHE_MISS" in str(exc), exc


def home(page, username):
    login(page, username)
    page.wait_for_url("**/")


def menu(page, label):
    page.locator("header").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state()


def tile(page, label, expect):
    """A count on the home page's work list, followed to its list, which holds ``expect``."""
    link = page.locator("a.work-tile", has_text=label).first
    assert int(link.get_attribute("data-count")) >= 1, f"{label}: 0 on the home page"
    link.click()
    page.wait_for_load_state()
    assert expect in page.locator("main").inner_text(), f"{label}: {expect} not in the list it links to"


def find_case(page, case_no):
    """查詢案家 from the menu, by case number, then open the case."""
    menu(page, "查詢案家")
    page.get_by_label("案號").fill(case_no)
    page.get_by_role("button", name="查詢").click()
    page.wait_for_load_state()
    page.get_by_role("link", name=case_no).click()
    page.wait_for_load_state()


def db_scalar(sql, **params):
    """A count the pages cannot give (how many reports the server holds for this family)."""
    from app.core.tenancy import all_tenants
    from app.extensions import db

    with LIVE["app"].app_context():
        try:
            with all_tenants("browser journey: count what the server holds"):
                return db.session.execute(sa.text(sql), params).scalar()
        finally:
            db.session.remove()


def reports_of_child():
    return db_scalar("SELECT count(*) FROM report_persons WHERE name = :n", n=CHILD)


def fill_public_report(page, *, county=True, district=True, concern=True, birth="106/05/02"):
    if county:
        page.get_by_label("案家所在縣市").select_option(label="臺北市")
        page.locator("#district-select select option", has_text="中正區").wait_for(state="attached")
        if district:
            page.get_by_label("案家所在行政區").select_option(label="中正區")
    page.get_by_label("姓名", exact=True).fill(CHILD)
    page.get_by_label("與案主關係").select_option(label="子女")
    page.get_by_label("出生日期").fill(birth)
    if concern:
        page.get_by_label("脆弱家庭", exact=True).check()
        page.get_by_label("家庭經濟陷困").check()
    page.get_by_label("發生了什麼事（事由）").fill("媽媽失業三個月，孩子常沒吃午餐，晚上一個人在家。")


# ---------------------------------------------------------------------------------------------
def test_01_public_reports_with_mistakes_and_follows_it(page):
    page.goto("/report")
    step(page, "public-form")

    # Mistake 1: 縣市 left on 「請選擇」.
    fill_public_report(page, county=False)
    page.get_by_role("button", name="送出通報").click()
    page.wait_for_load_state()
    step(page, "public-no-county")
    if not awaits("forms"):  # AWAITS forms: 422 beside 縣市, everything typed kept (today: 500, input lost)
        assert "請選擇" in page.locator("#form-errors").inner_text()
        assert page.get_by_label("姓名", exact=True).input_value() == CHILD
        assert page.get_by_label("發生了什麼事（事由）").input_value().startswith("媽媽失業")
    else:
        page.goto("/report")

    # Mistake 2: 縣市 chosen, 行政區 left on 「請選擇」.
    fill_public_report(page, district=False)
    page.get_by_role("button", name="送出通報").click()
    page.wait_for_load_state()
    step(page, "public-no-district")
    if not awaits("forms"):  # AWAITS forms: 422 beside 行政區, input kept
        assert "行政區" in page.locator("#form-errors").inner_text()
        assert page.get_by_label("姓名", exact=True).input_value() == CHILD
    else:
        page.goto("/report")
        fill_public_report(page, concern=False)
    if awaits("forms"):
        pass
    else:
        page.get_by_label("案家所在行政區").select_option(label="中正區")
        page.get_by_label("脆弱家庭", exact=True).uncheck()
        page.get_by_label("家庭經濟陷困").uncheck()

    # Mistake 3: nothing ticked; and a Gregorian birth date typed.
    page.get_by_label("出生日期").fill("2017-05-02")
    page.get_by_role("button", name="送出通報").click()
    page.locator("#form-errors").wait_for()
    assert "請至少勾選一項擔心的情形" in page.locator("#form-errors").inner_text()
    assert page.get_by_label("姓名", exact=True).input_value() == CHILD
    assert page.get_by_label("發生了什麼事（事由）").input_value().startswith("媽媽失業")
    step(page, "public-nothing-ticked")
    assert reports_of_child() == 0  # nothing reached the queue yet

    # Corrected, then a double click on 送出: one report only.
    page.get_by_label("脆弱家庭", exact=True).check()
    page.get_by_label("家庭經濟陷困").check()
    page.get_by_role("button", name="送出通報").dblclick()
    page.wait_for_url("**/report/done")
    report_no = page.locator("#report-no").inner_text()
    code = page.locator("#lookup-code").inner_text()
    step(page, "public-done")
    posted = reports_of_child()
    print(f"JOURNEY: a double click on 送出通報 created {posted} report(s)")
    J["double_click_reports"] = posted
    if not awaits("double_submit"):  # AWAITS double_submit (unassigned): one report however often 送出 is clicked
        assert posted == 1, f"a double click on 送出通報 created {posted} reports"
    else:
        assert posted >= 1

    # The back button after the submission does not post it again (the page before was the
    # answer to a POST: Chromium shows its own "confirm resubmission" page and posts nothing).
    go_back(page)
    step(page, "public-back")
    assert reports_of_child() == posted

    # The status lookup, from the public header.
    page.goto("/report")
    page.get_by_role("link", name="查詢處理進度").click()
    page.get_by_label("通報編號").fill(report_no)
    page.get_by_label("查詢碼").fill(code)
    page.get_by_role("button", name="查詢").click()
    assert "已受理" in page.locator("#public-status").inner_text()
    assert CHILD not in page.locator("main").inner_text()  # the status page names no one
    step(page, "public-status")
    J.update(report_no=report_no, code=code)


def test_02_dispatcher_screens_and_dispatches(page):
    need("report_no")
    home(page, "tpe.dispatch")
    step(page, "dispatch-home")
    tile(page, "待篩派案通報", J["report_no"])  # the dispatcher's home: reports waiting, by deadline
    menu(page, "篩派案佇列")
    row = page.locator("tr", has_text=J["report_no"])
    assert "剩" in row.inner_text()
    row.get_by_role("link", name=J["report_no"]).click()
    page.get_by_role("button", name="認領篩案").click()
    page.locator("#duplicates").wait_for()
    assert page.get_by_label("主責單位").locator("option:checked").inner_text().startswith("臺北市中正社會福利服務中心")
    step(page, "dispatch-claimed")
    fill_dispatch(page)
    page.get_by_role("button", name="派案", exact=True).click()
    page.wait_for_url("**/intake/queue")
    flash = page.locator("#flash").inner_text()
    assert "已派案至 臺北市中正社會福利服務中心" in flash
    J["case_no"] = re.search(r"個案 (\S+?)）", flash).group(1)
    step(page, "dispatch-done")
    logout(page)

    # The public sees the report has moved on, and not to whom.
    page.goto("/report/status")
    page.get_by_label("通報編號").fill(J["report_no"])
    page.get_by_label("查詢碼").fill(J["code"])
    page.get_by_role("button", name="查詢").click()
    assert "已派案" in page.locator("#public-status").inner_text()
    assert "中正社會福利" not in page.locator("main").inner_text()
    step(page, "public-status-dispatched")


def test_03_supervisor_assigns(page):
    need("case_no")
    home(page, "tpe.sup")
    step(page, "sup-home")
    tile(page, "待指派社工", J["case_no"])  # the supervisor's home: cases to assign
    menu(page, "案件收件匣")
    row = page.locator("tr", has_text=J["case_no"])
    select = row.get_by_label(re.compile("指派"))
    select.select_option(select.locator("option", has_text="王淑芬").get_attribute("value"))
    row.get_by_role("button", name="指派").click()
    page.wait_for_load_state()
    assert "指派給 王淑芬" in page.locator("#flash").inner_text()
    step(page, "sup-assigned")
    J["assigned"] = True


def test_04_worker_family_record_visit_assessment_and_approval(page):
    need("case_no", "assigned")
    home(page, "tpe.sw1")
    step(page, "sw1-home")
    assert J["case_no"] in page.locator("main").inner_text()  # the worker's home: my cases with their next deadline
    tile(page, "我的案件", J["case_no"])
    menu(page, "我的案件")
    page.get_by_role("link", name=J["case_no"]).click()
    page.wait_for_load_state()
    J["case_path"] = page.url.split("//", 1)[1].split("/", 1)[1]
    household = page.locator("#household").inner_text()
    assert CHILD in household
    assert "106/05/02" in household  # the Gregorian 2017-05-02 the reporter typed, read in ROC
    step(page, "sw1-family-record")

    # A household member added (relation, name, sex, birth, ID with its check digit).
    page.locator("summary", has_text="新增成員").click()
    form = page.locator("#add-member")
    form.get_by_label("與案主關係").select_option(label="母")
    form.get_by_label("姓名", exact=True).fill(MOTHER)
    form.get_by_label("性別").select_option(label="女")
    form.get_by_label(re.compile("出生日期")).fill("78/03/15")
    form.get_by_label(re.compile("身分證號")).fill(MOTHER_ID[:-1] + str((int(MOTHER_ID[-1]) + 1) % 10))
    form.get_by_role("button", name="新增成員").click()
    page.locator("[id$='-id_number-error']", has_text="檢查碼").wait_for()  # a wrong check digit, beside the field
    form = page.locator("#add-member")
    assert form.get_by_label("姓名", exact=True).input_value() == MOTHER  # everything typed kept
    step(page, "sw1-member-wrong-check-digit")
    form.get_by_label(re.compile("身分證號")).fill(MOTHER_ID)
    form.get_by_role("button", name="新增成員").click()
    page.locator("#flash", has_text=f"已新增成員 {MOTHER}").wait_for()
    assert MOTHER in page.locator("#current-members").inner_text()
    step(page, "sw1-member-added")

    # The first visit; the back button afterwards posts nothing again.
    page.locator("summary", has_text="記錄訪視").click()
    page.get_by_label(f"{CHILD}（子女）").check()
    page.get_by_label("已親見兒少（面對面）").check()
    page.get_by_label("時間（分鐘）").fill("45")
    page.locator("#c-note").fill("家訪，孩子在家，冰箱幾乎是空的。")
    page.get_by_role("button", name="儲存訪視").click()
    page.wait_for_load_state()
    assert "已記錄訪視" in page.locator("#flash").inner_text()
    assert "訪視與聯繫（1）" in page.locator("#contacts").inner_text()
    step(page, "sw1-visit")
    go_back(page)
    page.reload()
    assert "訪視與聯繫（1）" in page.locator("#contacts").inner_text()

    page.locator("summary", has_text="勾選面向與風險因子").click()
    page.get_by_label("第一面向").select_option(label="家庭經濟陷困")
    page.get_by_label(re.compile("需依賴借貸或親友接濟")).check()
    page.get_by_role("button", name="儲存脆弱性評估").click()
    page.wait_for_load_state()
    assert "中" in page.locator("#assessment h3").first.inner_text()
    page.locator("summary", has_text="撰寫評估報告").click()
    page.get_by_label("一、通報事由之確認").fill("確認案母失業三個月。")
    page.get_by_label("二、問題診斷及評估").fill("經濟陷困，兒少照顧不足。")
    page.get_by_label("三、服務目標之訂定").fill("三個月內穩定收入與兒少照顧。")
    page.get_by_label("四、服務計畫之建議").fill("急難紓困、課後照顧轉介。")
    page.get_by_role("button", name="儲存評估報告").click()
    page.wait_for_load_state()
    step(page, "sw1-assessed")
    page.get_by_label("列入個案管理").check()
    page.get_by_role("button", name="送出評估結果").click()
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == "開案審查中"
    step(page, "sw1-proposed-opening")
    logout(page)

    # The supervisor approves the opening.
    home(page, "tpe.sup")
    if not awaits("lead"):  # AWAITS lead: the supervisor is notified of the 開案審核 request
        page.get_by_role("link", name="通知").click()
        assert J["case_no"] in page.locator("main").inner_text()
    page.goto("/")
    tile(page, "開案審核", J["case_no"])  # approvals waiting, on the supervisor's home
    find_case(page, J["case_no"])
    page.get_by_label("核准").check()
    page.get_by_role("button", name="送出審核").click()
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == "開案服務中"
    step(page, "sup-approved-opening")
    J["opened"] = True


def test_05_worker_plans_serves_and_refers_to_a_partner(page):
    need("case_no", "opened")
    home(page, "tpe.sw1")
    menu(page, "我的案件")
    page.get_by_role("link", name=J["case_no"]).click()
    page.locator("summary", has_text="訂定服務計畫").click()
    page.get_by_label("服務目標", exact=True).fill("穩定家庭經濟，確保兒少三餐與課後照顧。")
    page.get_by_label("與案家誰共同訂定").fill("案母")
    page.get_by_label("訂定日期").fill(roc(TODAY))
    page.get_by_label("預定檢討日期").fill(roc(TODAY + timedelta(days=90)))
    page.get_by_role("button", name="儲存服務計畫").click()
    page.wait_for_load_state()
    assert "穩定家庭經濟" in page.locator("#service").inner_text()

    # A service, saved with a double click: recorded once.
    page.locator("summary", has_text="記錄服務").click()
    page.get_by_label("服務項目").select_option(label="急難紓困")
    page.locator("#sv-on").fill(roc(TODAY))
    page.get_by_label(re.compile("金額")).fill("8000")
    page.get_by_role("button", name="儲存服務").dblclick()
    page.wait_for_load_state("networkidle")
    menu(page, "我的案件")
    page.get_by_role("link", name=J["case_no"]).click()
    services = page.locator("#service").inner_text()
    assert "8,000" in services
    J["double_click_services"] = services.count("8,000")
    print(f"JOURNEY: a double click on 儲存服務 recorded {services.count('8,000')} service(s)")
    if not awaits("double_submit"):  # AWAITS double_submit (unassigned): a double click records one service
        assert services.count("8,000") == 1, "a double click on 儲存服務 recorded the service twice"
    step(page, "sw1-plan-and-services")

    # The referral to 家扶基金會: consent forgotten first.
    page.get_by_role("link", name="轉介此案家").click()
    page.get_by_label("民間團體", exact=True).check()
    page.get_by_label("民間團體服務").select_option(label="家扶基金會｜兒少及家庭支持服務")
    page.get_by_label("轉介理由").fill("案母失業，孩子需要課後照顧與經濟扶助。")
    page.get_by_label("請求的服務").fill("課後照顧")
    page.get_by_role("button", name="送出轉介").click()
    page.locator("#form-errors").wait_for()
    assert "案家同意" in page.locator("#form-errors").inner_text()
    assert page.get_by_label("轉介理由").input_value().startswith("案母失業")
    step(page, "sw1-referral-no-consent")
    page.get_by_label("案家已同意轉介並分享上列資料").check()
    page.get_by_label("同意人（案家成員）").fill("案母")
    page.get_by_role("button", name="送出轉介").click()
    page.wait_for_url(re.compile(r".*/referrals/\d+$"))
    J["referral_path"] = re.search(r"/referrals/\d+$", page.url).group(0)
    J["referral_no"] = page.locator("h1").inner_text().split()[1]
    assert page.locator("#referral-status").inner_text() == "轉介等待中"
    shared = page.locator("#shared").inner_text() if page.locator("#shared").count() else ""
    if not awaits("dates"):  # AWAITS dates: the shared plan's dates in ROC
        assert not re.search(r"\d{4}-\d{2}-\d{2}", shared)
    step(page, "sw1-referral-sent")


def test_06_partner_accepts_serves_and_completes(page):
    need("referral_no")
    home(page, "ngo.staff")
    step(page, "ngo-home")
    tile(page, "待回覆的轉介", J["referral_no"])  # referrals waiting, on the partner's home
    menu(page, "轉介")
    if not awaits("worklists"):  # AWAITS worklists: referral lists name the family (case number, masked name)
        assert J["case_no"] in page.locator("tr", has_text=J["referral_no"]).inner_text()
    page.get_by_role("link", name=J["referral_no"]).click()
    assert CHILD in page.locator("#shared").inner_text()  # what the county shared with consent
    page.get_by_label("服務人員").fill("周心怡")
    page.get_by_role("button", name="受案").click()
    page.wait_for_load_state()
    assert page.locator("#referral-status").inner_text() == "受案服務中"
    page.get_by_label("服務內容").fill("課後照顧 4 次，孩子出席穩定。")
    page.get_by_role("button", name="記錄服務").click()
    page.wait_for_load_state()
    page.get_by_label("服務成果").select_option(label="服務目標達成")
    page.get_by_label("成果說明").fill("孩子已穩定參加課後照顧。")
    page.get_by_role("button", name="轉介完成").click()
    page.wait_for_load_state()
    assert page.locator("#referral-status").inner_text() == "轉介完成"
    step(page, "ngo-completed")
    response = page.goto("/" + J["case_path"])
    assert response.status == 404  # the partner sees the referral, never the county's case
    J["referral_done"] = True


def test_07_dispute_over_the_lead_decided_reassign_to_the_dv_centre(page):
    need("case_no", "referral_done")
    home(page, "tpe.sw1")
    menu(page, "我的案件")
    page.get_by_role("link", name=J["case_no"]).click()
    page.get_by_role("link", name=J["referral_no"]).click()
    history = page.locator("#history").inner_text()
    for text in ("受案服務中", "課後照顧 4 次", "轉介完成"):
        assert text in history  # the outcome came back to the referring worker
    page.go_back()
    page.get_by_role("link", name="提出爭議").click()
    page.get_by_label("爭議理由").fill("訪視發現案父曾對案母施暴，應由家防中心主責。")
    page.get_by_label("建議處理").select_option(label="改派")
    page.get_by_label("改派或共案的單位").select_option(label="臺北市家庭暴力暨性侵害防治中心")
    page.get_by_role("button", name="提出爭議").click()
    page.wait_for_url(re.compile(r".*/disputes/\d+$"))
    assert page.locator("#dispute-status").inner_text() == "待對方回應"
    step(page, "sw1-dispute-filed")
    logout(page)

    # The dispatch centre (the unit that sent the family) disagrees: it goes to the county.
    home(page, "tpe.dispatch")
    page.get_by_role("link", name="通知").click()
    page.get_by_role("link", name=f"{J['case_no']} 有新的爭議案件待回應").first.click()
    page.get_by_label("不同意").check()
    page.get_by_label("理由").fill("通報內容以經濟困難為主，請縣市裁決。")
    page.get_by_role("button", name="送出回應").click()
    page.wait_for_load_state()
    assert page.locator("#dispute-status").inner_text() == "待縣市裁決"
    step(page, "dispatch-disagrees")
    logout(page)

    # The arbiter (tpe.admin) decides 改派 to the 家防中心, the 社福中心 staying as 協力.
    home(page, "tpe.admin")
    page.locator("header").get_by_role("button", name="管理", exact=True).click()
    page.get_by_role("link", name="爭議案件").click()
    page.get_by_role("link", name=re.compile(re.escape(J["case_no"]) + "|#\\d+")).first.click()
    page.get_by_label("裁決", exact=True).select_option(label="改派")
    page.get_by_label("主責單位（改派、共案）").select_option(label="臺北市家庭暴力暨性侵害防治中心")
    if not awaits("lead"):  # AWAITS lead: a unit cannot be lead and 協力 at once
        page.get_by_label("臺北市家庭暴力暨性侵害防治中心", exact=True).check()
        page.get_by_label("裁決理由").fill("保護議題為主，家防中心主責。")
        page.get_by_role("button", name="裁決…", exact=True).click()
        page.wait_for_load_state()
        assert "協力" in page.locator("#form-errors").inner_text()
        step(page, "admin-lead-and-collaborator-refused")
        page.get_by_label("臺北市家庭暴力暨性侵害防治中心", exact=True).uncheck()
    page.get_by_label("臺北市中正社會福利服務中心").check()
    page.get_by_label("裁決理由").fill("保護議題為主，家防中心主責；社福中心協力並續提供經濟扶助。")
    page.get_by_role("button", name="裁決…", exact=True).click()
    if not awaits("confirm"):  # AWAITS confirm: deciding a dispute asks for confirmation and says what is frozen
        confirm = page.get_by_role("button", name=re.compile("確定|確認"))
        confirm.wait_for()
        step(page, "admin-decide-confirm")
        confirm.click()
    page.wait_for_load_state()
    assert page.locator("#dispute-status").inner_text() == "已裁決"
    assert "家庭暴力" in page.locator("#current-lead").inner_text()
    step(page, "admin-dispute-decided")
    J["decided"] = True


def test_08_former_and_new_lead_both_still_working(page):
    need("case_no", "decided")
    # The former lead: still opens the case and its referral.
    home(page, "tpe.sw1")
    if not awaits("lead"):  # AWAITS lead: the former lead is notified and keeps access as 協力
        find_case(page, J["case_no"])
        assert "臺北市中正社會福利服務中心：協力" in page.locator("#joint").inner_text()
        page.get_by_role("link", name=J["referral_no"]).click()
        assert page.locator("#referral-status").inner_text() == "轉介完成"
        step(page, "sw1-still-on-the-case")
    logout(page)

    # The new lead: sees the case and the referral the former lead sent.
    home(page, "tpe.dv1")
    find_case(page, J["case_no"])
    joint = page.locator("#joint").inner_text()
    assert "臺北市家庭暴力暨性侵害防治中心：主責" in joint
    timeline = page.locator("#timeline").inner_text()
    assert "爭議" in timeline and "改派" in timeline
    if not awaits("dates"):  # AWAITS dates: the timeline reads ROC dates only
        assert not re.search(r"\d{4}-\d{2}-\d{2}", timeline)
    step(page, "dv1-case")
    if not awaits("lead"):  # AWAITS lead: the referral follows the case to the new lead (today: 404)
        page.get_by_role("link", name=J["referral_no"]).click()
        assert page.locator("#referral-status").inner_text() == "轉介完成"
        assert "孩子已穩定參加課後照顧" in page.locator("#history").inner_text()
        step(page, "dv1-referral")
    J["dv_working"] = True


def test_09_high_risk_meeting_item_progress_carry_over_and_pdf(page, tmp_path):
    need("case_no", "dv_working")
    title = f"{J['case_no']} 案家安全計畫追蹤"
    home(page, "tpe.admin")
    menu(page, "會議")
    page.get_by_label("會議類別").select_option(label="高危機網絡會議")
    page.get_by_label("會議名稱").fill(f"臺北市高危機網絡會議（{_SUFFIX}）")
    page.get_by_role("button", name="建立", exact=True).click()
    page.wait_for_url(re.compile(r".*/meetings/series/\d+$"))
    page.get_by_label("日期").fill("115/11/25")  # not the date of test_meeting_flow's meeting: its own 案號
    page.get_by_label("地點").fill("社會局 1 樓會議室")
    page.get_by_label("主持人").fill("副局長")
    page.get_by_role("button", name="建立會議").click()
    page.wait_for_url(re.compile(r".*/meetings/\d+$"))
    page.locator("summary", has_text="新增列管事項").click()
    page.get_by_label("案由（標題）").fill(title)
    page.get_by_label("提示或交辦事項").fill("請家防中心擬定安全計畫，社福中心協助經濟扶助。")
    if not awaits("confirm"):  # AWAITS confirm: 主辦單位 as checkboxes
        page.locator("fieldset", has_text="主辦單位").get_by_label("臺北市家庭暴力暨性侵害防治中心").check()
    else:
        page.get_by_label("主辦單位", exact=True).select_option(label="臺北市家庭暴力暨性侵害防治中心")
    page.get_by_label("預定完成日期").fill("116/01/31")
    page.get_by_label(re.compile("連結個案")).fill(J["case_no"])
    page.get_by_role("button", name="新增", exact=True).click()
    page.wait_for_load_state()
    assert title in page.locator("#items").inner_text()
    step(page, "admin-meeting-item")
    logout(page)

    # The new lead writes its progress under 我的列管事項.
    home(page, "tpe.dv1")
    menu(page, "我的列管事項")
    page.get_by_role("link", name=title).click()
    page.get_by_label("辦理情形").fill("已與案母擬定安全計畫，案父已聲請保護令。")
    page.get_by_label("繼續追蹤").check()
    page.get_by_role("button", name="儲存辦理情形").click()
    page.wait_for_load_state()
    assert "已與案母擬定安全計畫" in page.locator("#history").inner_text()
    step(page, "dv1-progress")
    logout(page)

    # The chair keeps it; the minutes are finalised; the next meeting carries it over.
    home(page, "tpe.admin")
    menu(page, "會議")
    page.get_by_role("link", name=f"臺北市高危機網絡會議（{_SUFFIX}）").click()
    page.get_by_role("link", name=re.compile("第 1 次")).first.click()
    page.get_by_role("link", name="列管事項追蹤表").click()
    page.get_by_role("button", name=re.compile(r"繼續追蹤$")).first.click()
    page.wait_for_load_state()
    assert "決定：繼續追蹤" in page.locator("table.tracking-table").inner_text()
    step(page, "admin-tracking-decided")
    page.locator(".breadcrumb").get_by_role("link", name="第 1 次").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="確定會議紀錄").click()
    if not awaits("confirm"):  # AWAITS confirm: finalising minutes asks for confirmation
        confirm = page.get_by_role("button", name=re.compile("確定|確認")).last
        confirm.wait_for()
        step(page, "admin-finalise-confirm")
        confirm.click()
    page.wait_for_load_state()
    assert page.locator("#meeting-status").inner_text() == "紀錄確定"
    page.get_by_role("link", name=f"臺北市高危機網絡會議（{_SUFFIX}）").click()
    page.get_by_label("日期", exact=True).fill("115/12/09")
    page.get_by_role("button", name="建立會議").click()
    page.wait_for_url(re.compile(r".*/meetings/\d+$"))
    page.get_by_role("link", name="列管事項追蹤表").click()
    row = page.locator("table.tracking-table tbody tr", has_text=title)
    assert row.count() == 1
    assert "已與案母擬定安全計畫" in row.inner_text()  # 前次辦理情形 carried over
    step(page, "admin-carried-over")

    # The tracking table as PDF (a real RQ worker renders it when Redis is set).
    page.locator(".breadcrumb").get_by_role("link", name="第 2 次").click()
    page.get_by_label("文件").select_option(label="列管事項追蹤表")
    page.get_by_role("button", name="產製 PDF").click()
    link = page.locator("#documents").get_by_role("link", name="下載 PDF").first
    link.wait_for(timeout=90000)
    step(page, "admin-tracking-pdf")
    pdf = page.request.get(link.get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    path = tmp_path / "tracking.pdf"
    path.write_bytes(pdf.body())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=False, capture_output=True, text=True).stdout
    assert J["case_no"] in text.replace(" ", "") or "案家安全計畫追蹤" in text.replace(" ", "")
    ARTIFACTS.mkdir(exist_ok=True)
    _COUNTER["n"] += 1
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
                    str(ARTIFACTS / f"journey-{_COUNTER['n']:02d}-tracking-pdf")], check=False)
    J["meeting_done"] = True


def _current_quarter():
    return recent_periods(PeriodKind.QUARTER, taipei_today())[0]


def test_10_quarterly_report_with_confirmation(page):
    need("case_no")
    quarter = _current_quarter()  # the running quarter: it holds this journey's report and case
    home(page, "tpe.admin")
    step(page, "admin-home")
    if not awaits("worklists"):  # AWAITS worklists: the county administrator's home lists reports due
        assert "統計報表" in page.locator("main").inner_text()
    menu(page, "統計報表")
    page.get_by_label("報表", exact=True).select_option(label="集中篩派案統計")
    page.get_by_label("期間").select_option(label=f"季報｜{quarter.label}（進行中）")
    page.get_by_role("button", name="產製", exact=True).click()
    page.wait_for_url(re.compile(r".*/reports/\d+$"))
    page.locator("#run-status").get_by_text("已完成（未送出）").wait_for(timeout=90000)
    step(page, "admin-report-preview")
    page.get_by_role("button", name="送出衛生福利部").click()
    if not awaits("confirm"):  # AWAITS confirm: submitting asks for confirmation, warns the period is still running
        panel = page.locator("main")
        page.get_by_text(re.compile("尚未結束")).first.wait_for()
        assert "凍結" in panel.inner_text() or "不能再修改" in panel.inner_text()
        step(page, "admin-report-confirm")
        page.get_by_role("button", name="確認送出").click()  # the running period not acknowledged: refused
        page.locator("#confirm-ack-error").wait_for()
        page.locator("#confirm-ack").check()
        page.get_by_role("button", name="確認送出").dblclick()  # a double click sends it once
        page.locator("#run-status", has_text="已送出").wait_for()
    page.wait_for_load_state()
    assert "已送出" in page.locator("#run-status").inner_text()
    assert page.get_by_role("button", name="送出衛生福利部").count() == 0
    step(page, "admin-report-submitted")
    J["quarter_label"] = quarter.label


def test_11_ministry_sees_submissions_and_national_figures_and_no_family(page):
    need("quarter_label")
    seen = []
    home(page, "moh.protect")
    step(page, "moh-home")
    seen.append(page.content())
    menu(page, "報表送出情形")
    page.get_by_label("期間").select_option(label=f"季報｜{J['quarter_label']}（進行中）")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    kinds = [th.inner_text() for th in page.locator("#submissions thead th").all()]
    column = kinds.index("集中篩派案統計")
    tpe = page.locator("#submissions tbody tr", has_text="臺北市")
    assert "第 1 版" in tpe.locator("th, td").nth(column).inner_text()
    if not awaits("ministry"):  # AWAITS ministry: only reports due for a quarter appear in its grid
        assert "春節關懷訪視服務成果" not in kinds
    step(page, "moh-submissions")
    seen.append(page.content())
    page.locator("#submissions tfoot td").nth(column - 1).get_by_role("link", name="畫面").click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "集中篩派案統計" in body and "臺北市" in body
    # One disclosure rule, stated on the page, and no 「<3」 telling a reader a cell is 1 or 2 (that
    # no hidden cell can be worked out from the totals is proven in tests/reports/test_disclosure.py).
    assert "*" in page.locator("#disclosure-rule").inner_text()
    assert "<3" not in body and "‹3" not in body
    step(page, "moh-national")
    seen.append(page.content())
    menu(page, "會議")
    seen.append(page.content())
    step(page, "moh-meetings")
    for html in seen:
        for name in FAMILY_NAMES:
            assert name not in html, f"the ministry sees a family name ({name})"
    # and no case of a county by address either
    assert page.goto("/" + J["case_path"]).status == 404 if "case_path" in J else True
    assert page.goto(J["referral_path"]).status == 404 if "referral_path" in J else True

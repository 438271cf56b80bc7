"""The tracking table in a real browser, as the ministry secretariat (moh.protect) prepares the 35th
progress meeting: release one unit's part of an item (the others continue), edit the sentence written
under 列管建議, make the table with a 製表日期 typed in the Western calendar first (a Chinese message
beside the field, nothing lost), then the PDF, read back and rendered to PNG."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser.helpers import login, shot
from tests.support import ARTIFACTS, LIVE

pytestmark = pytest.mark.browser
LOOK = Path("/tmp/tracking")


def _shot(page, name):
    shot(page, name)
    LOOK.mkdir(exist_ok=True)
    shutil.copy(ARTIFACTS / f"{name}.png", LOOK / f"{name}.png")


@pytest.fixture(scope="module", autouse=True)
def seed_meeting(live_server):
    """Seed 004's progress meeting (34th final, 35th open) on the live server, unless there already."""
    from app.extensions import db
    from app.meetings import demo
    from app.meetings.models import ItemNumber, Meeting

    with LIVE["app"].app_context():
        if db.session.scalars(sa.select(ItemNumber.id).where(ItemNumber.number == "1080315-1")).first() is None:
            demo.import_progress_34()
            db.session.commit()
        # Other browser tests add series of the same name: the seed's is the one holding its item numbers.
        series_id = db.session.scalars(sa.select(ItemNumber.series_id).where(ItemNumber.number == "1080315-1")).first()
        meeting_id = db.session.scalars(sa.select(Meeting.id).where(Meeting.series_id == series_id,
                                                                    Meeting.number == 34)).one()
        db.session.remove()
    return meeting_id


def test_the_secretariat_releases_a_part_writes_the_recommendation_and_makes_the_table(page, tmp_path, seed_meeting):
    login(page, "moh.protect")
    page.wait_for_url("**/")
    page.get_by_role("link", name="會議", exact=True).click()
    page.goto(f"/meetings/{seed_meeting}")
    page.get_by_role("link", name="追蹤表").first.click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "附件2" in main and "製表日期：民國108年6月4日" in main
    assert "本案資訊處解除列管，其他司署繼續列管" in main and "報告完後即可解除列管" in main
    assert "註：請社家署108年9月11日須報告地方政府輔導民間團體發展多元服務方案狀況。" in main
    _shot(page, "tracking-34-as-seed")
    m34_url = page.url
    page.goto(re.sub(r"/meetings/(\d+)/table", lambda m: f"/meetings/{int(m.group(1)) + 1}/table", m34_url))
    assert "第 35 次會議" in page.locator("main").inner_text()

    # 1. release 社家署's part of 1070124-3-1; the others continue
    row = page.locator("tr", has_text="1070124-3-1")
    row.locator("summary", has_text="單位解除列管").click()
    row.get_by_label("社家署（協辦）").check()
    row.get_by_label("理由（空白則為本次會議決定）").fill("已函頒各地方政府依循辦理")
    row.get_by_role("button", name="解除所勾選單位之列管").click()
    page.wait_for_load_state()
    row = page.locator("tr", has_text="1070124-3-1")
    assert "本案社家署解除列管，其他司署繼續列管" in row.inner_text()
    assert "第35次解除列管" in row.inner_text()
    _shot(page, "tracking-35-part-released")

    # 2. the sentence is the secretariat's to edit
    row.locator("summary", has_text="列管建議文字").click() if not row.locator("textarea[name=nt-note]").is_visible() else None
    row.locator("textarea[name=nt-note]").fill("本案社家署解除列管，其他司署繼續列管（系統 7 月 1 日上線）")
    row.get_by_role("button", name="儲存文字").click()
    page.wait_for_load_state()
    assert "（系統 7 月 1 日上線）" in page.locator("tr", has_text="1070124-3-1").inner_text()

    # 3. make the table: the Western year first
    page.locator("summary", has_text="製表（製表日期、附件標示、註）").click()
    page.get_by_label("製表日期").fill("2019/6/18")
    page.get_by_label("附件標示（如：附件2）").fill("附件2")
    page.get_by_label("註（印在表下，如：註：請社家署…）").fill("註：請保護司108年7月3日說明有無縣市提出名單勾稽錯誤問題。")
    page.get_by_role("button", name="儲存並產製 PDF").click()
    page.locator("#ts-table_date-error").wait_for()
    error = page.locator("#ts-table_date-error").inner_text()
    assert "請以民國年填寫" in error and "108/06/18" in error
    assert page.get_by_label("製表日期").input_value() == "2019/6/18"  # nothing typed is lost
    assert "說明有無縣市提出名單勾稽錯誤問題" in page.get_by_label("註（印在表下，如：註：請社家署…）").input_value()
    _shot(page, "tracking-35-wrong-calendar")
    page.get_by_label("製表日期").fill("108/06/18")
    page.get_by_role("button", name="儲存並產製 PDF").click()
    page.wait_for_url(re.compile(r".*/meetings/\d+(#documents)?$"))
    link = page.get_by_role("link", name=re.compile("下載 PDF")).first
    for _ in range(60):
        if link.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
        link = page.get_by_role("link", name=re.compile("下載 PDF")).first
    href = link.get_attribute("href")
    pdf = page.request.get(href).body()
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "tracking-35.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)  # reading order: each cell's lines together
    assert "附件2" in flat and "製表日期：民國108年6月18日" in flat
    assert "本案社家署解除列管，其他司署繼續列管（系統7月1日上線）" in flat
    assert "註：請保護司108年7月3日說明有無縣市提出名單勾稽錯誤問題。" in flat
    LOOK.mkdir(exist_ok=True)
    shutil.copy(path, LOOK / "tracking-35.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(LOOK / "tracking-35-page")], check=True)

    # 4. the item's history: who released which part, when and why
    page.goto(page.url.split("#")[0] + "/table")
    page.locator("tr", has_text="1070124-3-1").get_by_role("link", name="社會安全網資訊系統建置案").click()
    history = page.locator("#history").inner_text()
    assert "解除列管 社家署：已函頒各地方政府依循辦理" in history
    _shot(page, "tracking-item-history")
    assert not [e for e in page.console_errors if "422" not in e]  # the refused 製表日期 answered 422, as it should

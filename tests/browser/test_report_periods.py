"""Reports for any past period, in a real browser: the county administrator types a ROC year (a Western
year typed by mistake is explained beside the field, nothing lost), makes 108年 and 109年1–6月 and sends
them; the ministry picks 108年 and sees them; every page and PDF states the as-of rule."""
import re
import subprocess
from pathlib import Path

import pytest

from app.extensions import db
from app.reports.demo import seed_demo_history
from tests.browser.helpers import login, logout, shot
from tests.support import LIVE, pages_text

pytestmark = pytest.mark.browser
OUT = Path("/tmp/periods")


def _pdf(page, name):
    """The report's PDF as the browser downloads it, its pages as PNGs (pdftoppm) and their text."""
    OUT.mkdir(exist_ok=True)
    href = page.get_by_role("link", name="預覽 PDF").get_attribute("href")
    path = OUT / f"{name}.pdf"
    path.write_bytes(page.request.get(href).body())
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(OUT / name)], check=False)
    return pages_text(path)


def _make(page, year, part, label):
    page.goto("/reports")
    page.get_by_label("報表", exact=True).select_option(label="脆弱家庭訪視評估")
    page.get_by_label("年度（民國）").fill(year)
    page.get_by_label("期別").select_option(label=part)
    page.get_by_role("button", name="產製", exact=True).click()
    page.wait_for_url(re.compile(r".*/reports/\d+$"))
    page.locator("#run-status").get_by_text("已完成（未送出）").wait_for(timeout=60000)
    assert label in page.locator("h1").inner_text()
    assert "本表數字為期末" in page.locator("#as-of-note").inner_text()


def test_county_makes_108_and_the_first_half_of_109_and_the_ministry_sees_them(page):
    with LIVE["app"].app_context():
        seed_demo_history()
        db.session.commit()
        db.session.remove()
    login(page, "tpe.admin")
    page.wait_for_url("**/")
    page.goto("/reports")
    page.get_by_label("年度（民國）").fill("2019")
    page.get_by_role("button", name="產製", exact=True).click()
    error = page.locator("#rq-year-error")
    error.wait_for()
    assert "西元 2019 年即民國 108 年" in error.inner_text()
    assert page.get_by_label("年度（民國）").input_value() == "2019"  # nothing typed is lost
    page.screenshot(path=str(OUT / "picker-western-year.png"), full_page=True)

    _make(page, "108", "全年（年報）", "108年")
    page.screenshot(path=str(OUT / "report-108.png"), full_page=True)
    text = "".join(_pdf(page, "report-108"))
    assert "本表數字為期末（108年12月31日）狀態：期末後登錄之結果不計入本期" in text
    page.get_by_role("button", name="送出衛生福利部").click()
    page.locator("#confirm-panel").get_by_role("button", name="確認送出").click()
    page.locator("#run-status", has_text="已送出").wait_for()

    _make(page, "109", "上半年（1–6月）", "109年1–6月")
    page.screenshot(path=str(OUT / "report-109h1.png"), full_page=True)
    text = "".join(_pdf(page, "report-109h1"))
    assert "期末（109年6月30日）狀態" in text and "評估中" in text
    page.get_by_role("button", name="送出衛生福利部").click()
    page.locator("#confirm-panel").get_by_role("button", name="確認送出").click()
    page.locator("#run-status", has_text="已送出").wait_for()
    shot(page, "report-109h1-sent")
    logout(page)

    login(page, "moh.protect")
    page.wait_for_url("**/")
    page.goto("/reports/submissions")
    page.get_by_label("年度（民國）").fill("108")
    page.get_by_label("期別").select_option(label="全年（年報）")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    assert "期末（108年12月31日）狀態" in page.content()
    row = page.locator("#submissions tr", has_text="臺北市")
    assert "第 1 版" in row.inner_text()
    page.screenshot(path=str(OUT / "ministry-108.png"), full_page=True)
    page.get_by_label("年度（民國）").fill("109")
    page.get_by_label("期別").select_option(label="上半年（1–6月）")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    assert "109年1–6月" in page.content() and "第 1 版" in page.locator("#submissions tr", has_text="臺北市").inner_text()
    page.locator("#submissions tfoot a", has_text="畫面").nth(1).click()
    page.wait_for_load_state()
    assert "本表數字為期末（109年6月30日）" in page.locator("#as-of-note").inner_text()
    page.screenshot(path=str(OUT / "ministry-109h1-national.png"), full_page=True)
    pdf = page.request.get(page.get_by_role("link", name="PDF").get_attribute("href")).body()
    (OUT / "national-109h1.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(OUT / "national-109h1.pdf"), str(OUT / "national-109h1")],
                   check=False)
    assert "本表數字為期末（109年6月30日）" in "".join(pages_text(OUT / "national-109h1.pdf"))

"""The target board from its nightly snapshot in a real browser: 臺北市's administrator chooses 115年1–6月
(typing a Western year first, by mistake), presses 「重新計算本縣市」 and sees the new 資料時點; the ministry
sees the counties and the nation from the snapshot."""
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core import tenancy
from app.extensions import db
from app.targets.demo import seed_demo_targets
from app.targets.models import TargetDenominator, TargetSnapshot
from tests.browser.helpers import login, logout, shot
from tests.support import LIVE

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/board2")


def _clean():
    with LIVE["app"].app_context():
        with tenancy.all_tenants("test: remove the board's snapshot and the demo denominators"):
            db.session.execute(sa.delete(TargetSnapshot))
            db.session.execute(sa.delete(TargetDenominator).where(TargetDenominator.source.in_(
                ["戶政司出生登記（115年）", "本市獨居老人名冊（115年6月）"])))
        db.session.commit()
        db.session.remove()


def test_board_snapshot_walk(page):
    SHOTS.mkdir(exist_ok=True)
    with LIVE["app"].app_context():
        seed_demo_targets()  # the denominators and the night's snapshot of every county
        db.session.remove()
    try:
        login(page, "tpe.admin")
        page.wait_for_url("**/")
        page.goto("/targets")
        as_of = page.locator("#as-of").inner_text()
        assert "資料時點：民國115年" in as_of and "每夜計算之快照" in as_of
        page.screenshot(path=str(SHOTS / "1-board-taipei-year.png"), full_page=True)
        picker = page.locator("#period-picker")
        picker.get_by_label("年度（民國）").fill("2026")
        picker.get_by_label("期別").select_option(label="上半年（1–6月）")
        picker.get_by_role("button", name="顯示").click()
        assert "西元 2026 年即民國 115 年" in page.locator("#period-picker").inner_text()
        assert picker.get_by_label("年度（民國）").input_value() == "2026"  # nothing typed lost
        page.screenshot(path=str(SHOTS / "2-picker-western-year.png"), full_page=True)
        picker.get_by_label("年度（民國）").fill("115")
        picker.get_by_role("button", name="顯示").click()
        page.locator("#period-shown").get_by_text("115年1–6月").wait_for()
        assert "115年7–12月" in page.locator("#measure-child_protection_coverage").inner_text()
        page.screenshot(path=str(SHOTS / "3-board-taipei-h1.png"), full_page=True)
        before = page.locator("#as-of").inner_text()
        page.get_by_role("button", name="重新計算本縣市").click()
        page.get_by_text("已排入計算").wait_for()
        assert "每夜計算之快照" in page.locator("#as-of").inner_text()
        page.screenshot(path=str(SHOTS / "4-board-taipei-refreshed.png"), full_page=True)
        shot(page, "target-board-snapshot-taipei")
        print("as-of before:", before, "after:", page.locator("#as-of").inner_text())
        logout(page)

        login(page, "moh.protect")
        page.wait_for_url("**/")
        page.goto("/targets")
        text = page.locator("main").inner_text()
        assert "各縣市與全國" in text and "每夜計算之快照" in text
        page.screenshot(path=str(SHOTS / "5-board-ministry.png"), full_page=True)
        page.locator("#period-picker").get_by_label("期別").select_option(label="第2季（4–6月）")
        page.locator("#period-picker").get_by_role("button", name="顯示").click()
        page.get_by_text("115年第2季　各縣市與全國").first.wait_for()
        page.screenshot(path=str(SHOTS / "6-board-ministry-q2.png"), full_page=True)
        shot(page, "target-board-snapshot-ministry")
    finally:
        _clean()

"""The target board in a real browser: 臺北市's administrator enters a denominator (a Western year and a
negative number first, by mistake), a 社福中心 worker drills from a figure to the families behind the gap,
and the ministry sees the counties and the nation under the disclosure rule, without any family."""
from pathlib import Path

import re
import pytest
import sqlalchemy as sa

from app.cases import catalogue
from app.core import tenancy
from app.extensions import db
from app.intake import services as intake
from app.intake.models import ChildClass, ChildGrade
from app.intake.reference import ReportingChannel
from app.targets import registry
from app.targets.registry import Measure
from app.tenants.models import County, Unit
from tests.browser.helpers import login, logout, shot
from tests.support import LIVE

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/board")


def _families():
    """Families of 臺北市 and 花蓮縣 dispatched today (115年): what the pages cannot put in place quickly."""
    from app.accounts.models import User

    with LIVE["app"].app_context():
        for county_name, prefix, dispatcher_name, count in (("臺北市", "北", "tpe.dispatch", 4), ("花蓮縣", "花", "hua.dispatch", 1)):
            county = db.session.scalars(sa.select(County).where(County.name == county_name)).one()
            dispatcher = db.session.scalars(sa.select(User).where(User.username == dispatcher_name)).one()
            centre = db.session.scalars(sa.select(Unit).where(Unit.county_id == county.id, Unit.name.like("%社會福利服務中心"))
                                        .order_by(Unit.id)).first()
            dv = db.session.scalars(sa.select(Unit).where(Unit.county_id == county.id, Unit.name.like("%家庭暴力暨性侵害防治中心"))).first()
            if county_name == "臺北市":
                centre = db.session.scalars(sa.select(Unit).where(Unit.name == "臺北市中正社會福利服務中心")).one()
            with tenancy.tenant_scope(county.id):
                for i in range(count):
                    for concerns, lead, options in ((["child_protection"], dv, {"child_grade": ChildGrade.SECOND, "child_class": ChildClass.FIRST}),
                                                    (["vulnerable_family"], centre, {})):
                        r, _ = intake.receive(county, intake.ReportInput(
                            district_id=centre.districts[0].id if centre.districts else county.districts[0].id,
                            concerns=concerns, narrative="看板測試",
                            persons=[intake.PersonInput(name=f"{prefix}{i}家長", relation="subject")]), ReportingChannel("36"))
                        intake.claim(r, dispatcher)
                        case = intake.dispatch(r, dispatcher, lead, **options)
                        case.family_name = f"{prefix}{'甲乙丙丁'[i]}{'保' if lead is dv else '脆'}家"
                db.session.commit()
        db.session.remove()


def test_target_board_walk(page):
    SHOTS.mkdir(exist_ok=True)
    _families()
    measure = registry.register(Measure(
        code="walk_new_parents", label="育兒指導涵蓋率（走查用示範指標）", strategy=catalogue.strategy(1), targets={115: 50.0},
        numerator="接受育兒指導之新手父母", denominator="縣市新手父母數（縣市填報）", source="分子：平台紀錄；分母：縣市填報",
        counts=lambda county_id, start, end: (0, None), external_denominator=True))
    try:
        login(page, "tpe.admin")
        page.wait_for_url("**/")
        page.get_by_role("link", name="目標看板", exact=True).click()
        page.wait_for_url("**/targets")
        assert "尚未填報分母" in page.locator("#measure-walk_new_parents").inner_text()
        page.get_by_role("link", name="填報分母").click()
        page.get_by_label("指標").select_option(label=measure.label)
        page.get_by_label("年度（民國）").fill("2026")
        page.get_by_label("分母").fill("-18000")
        page.get_by_label("資料來源").fill("戶政司出生登記（115年）")
        page.get_by_role("button", name="儲存").click()
        page.locator("#roc_year-error").wait_for()
        assert "西元 2026 年是民國 115 年" in page.locator("#roc_year-error").inner_text()
        assert "不可為負數" in page.locator("#value-error").inner_text()
        assert page.get_by_label("資料來源").input_value() == "戶政司出生登記（115年）"  # nothing typed lost
        page.screenshot(path=str(SHOTS / "1-denominator-refused.png"), full_page=True)
        page.get_by_label("年度（民國）").fill("115")
        page.get_by_label("分母").fill("18000")
        page.get_by_role("button", name="儲存").click()
        page.get_by_text("已儲存 115 年").wait_for()
        page.screenshot(path=str(SHOTS / "2-denominator-saved.png"), full_page=True)
        page.get_by_role("link", name="目標看板").first.click()
        section = page.locator("#measure-walk_new_parents")
        assert "來源：戶政司出生登記（115年）" in section.inner_text()
        page.locator("#measure-child_protection_coverage summary").click()
        page.screenshot(path=str(SHOTS / "3-board-taipei-admin.png"), full_page=True)
        shot(page, "target-board-taipei")
        logout(page)

        login(page, "tpe.sw1")
        page.wait_for_url("**/")
        page.goto("/targets")
        page.locator("#measure-opening_rate").get_by_role("link", name=re.compile(r"^\d+ 戶$")).first.click()  # other tests add families
        page.wait_for_url("**/targets/*/opening_rate/115")
        rows = page.locator("#gap-rows").inner_text()
        assert "北甲脆家" in rows and "花" not in rows and "僅列本單位服務之家庭" in page.content()
        page.screenshot(path=str(SHOTS / "4-gap-worker.png"), full_page=True)
        logout(page)

        login(page, "moh.protect")
        page.wait_for_url("**/")
        page.get_by_role("link", name="目標看板", exact=True).click()
        text = page.locator("main").inner_text()
        assert "各縣市與全國" in text and "揭露規則" in text and "*" in text
        assert "北甲" not in text and page.locator("a[href*='/targets/'][href*='/115']").count() == 0
        page.screenshot(path=str(SHOTS / "5-board-ministry.png"), full_page=True)
        shot(page, "target-board-ministry")
        assert not [e for e in page.console_errors if "422" not in e]  # the refused form answers 422
    finally:
        registry.MEASURES.pop(measure.code, None)

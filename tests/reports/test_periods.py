"""Periods as officials use them: any past year, half-year (1–6月, 7–12月), quarter or month, picked by
a ROC year and its part; what cannot be reported on is explained beside the field, nothing typed lost."""
import re
from datetime import date

import pytest

from app.reports.forms import (PeriodInputError, parse_period, period_choices, period_token, read_roc_year,
                               resolve_period)
from app.reports.models import PeriodKind, ReportRun
from app.reports.periods import Period, recent_periods

TODAY = date(2026, 12, 6)


def test_half_years_are_named_as_officials_write_them():
    h1, h2 = Period.of_roc(PeriodKind.HALF, 109, 1), Period.of(PeriodKind.HALF, 2020, 2)
    assert (h1.start, h1.end, h1.label) == (date(2020, 1, 1), date(2020, 6, 30), "109年1–6月")
    assert (h2.start, h2.end, h2.label) == (date(2020, 7, 1), date(2020, 12, 31), "109年7–12月")
    assert h1.span == "109年1月1日至109年6月30日" and h1.number == 1 and h2.number == 2
    assert PeriodKind.HALF.label == "半年報" and h2.previous() == h1 and h1.previous() == Period.of(PeriodKind.HALF, 2019, 2)
    assert parse_period(period_token(h1)) == h1
    with pytest.raises(ValueError, match="半年別"):
        Period.of(PeriodKind.HALF, 2020, 3)
    with pytest.raises(ValueError):
        parse_period("half:2020-01-01:2020-03-31")  # not a half-year


def test_the_as_of_rule_is_stated_with_the_periods_end():
    assert Period.of_roc(PeriodKind.HALF, 115, 1).as_of_note().startswith("本表數字為期末（115年6月30日）狀態：期末後登錄之結果")
    assert Period.of_roc(PeriodKind.YEAR, 108).end_label == "108年12月31日"


def test_recent_periods_and_the_shortcut_list_still_work_for_every_kind():
    assert [p.label for p in recent_periods(PeriodKind.QUARTER, TODAY, 3)] == ["115年第4季", "115年第3季", "115年第2季"]
    assert [p.label for p in recent_periods(PeriodKind.HALF, TODAY, 3)] == ["115年7–12月", "115年1–6月", "114年7–12月"]
    assert [p.label for p in recent_periods(PeriodKind.MONTH, date(2026, 1, 15), 2)] == ["115年1月", "114年12月"]
    assert len(recent_periods(PeriodKind.YEAR, TODAY, 9)) == 5


def test_shortcut_list_offers_half_years(db):
    labels = [label for _, label in period_choices(TODAY)]
    assert "半年報｜115年1–6月" in labels and "半年報｜115年7–12月（進行中）" in labels


@pytest.mark.parametrize("typed, year", [("108", 108), ("１０８", 108), ("民國108年", 108), (" 99 ", 99)])
def test_a_roc_year_is_read_as_typed(typed, year):
    assert read_roc_year(typed) == year


@pytest.mark.parametrize("typed, message", [
    ("", "請輸入年度"), ("abc", "不是年度"), ("10²", "不是年度"), ("2019", "看來是西元年；本系統使用民國年，西元 2019 年即民國 108 年，請輸入 108"),
    ("0", "民國 1 年以後")])
def test_what_is_not_a_roc_year_is_explained(typed, message):
    with pytest.raises(PeriodInputError, match=message):
        read_roc_year(typed)


def test_any_finished_period_can_be_picked_and_a_future_or_running_one_is_explained():
    assert resolve_period("108", "year", TODAY) == Period.of(PeriodKind.YEAR, 2019)
    assert resolve_period("109", "h1", TODAY).label == "109年1–6月"
    assert resolve_period("100", "q3", TODAY).label == "100年第3季"
    assert resolve_period("115", "m11", TODAY).label == "115年11月"
    with pytest.raises(PeriodInputError, match="116年尚未開始") as future:
        resolve_period("116", "year", TODAY)
    assert future.value.field == "year"
    with pytest.raises(PeriodInputError, match="115年7–12月尚未結束（至 115年12月31日）") as running:
        resolve_period("115", "h2", TODAY)
    assert running.value.field == "part"
    with pytest.raises(PeriodInputError, match="請選擇期別"):
        resolve_period("108", "q9", TODAY)


def test_the_county_picks_108_and_109_first_half_on_the_page(as_user, db, inline_jobs):
    admin = as_user("tpe.admin")
    western = admin.post("/reports", {"rq-kind": "visits", "rq-period": "", "rq-year": "2019", "rq-part": "year"})
    assert western.status_code == 422
    assert re.search(r'id="rq-year-error"[^>]*>[^<]*西元 2019 年即民國 108 年', western.text)
    assert 'value="2019"' in western.text  # what was typed stays
    running = admin.post("/reports", {"rq-kind": "visits", "rq-period": "", "rq-year": "115", "rq-part": "h2"})
    assert running.status_code == 422 and "尚未結束" in running.text and 'id="rq-part-error"' in running.text
    for year, part, label, kind in (("108", "year", "108年", PeriodKind.YEAR), ("109", "h1", "109年1–6月", PeriodKind.HALF)):
        made = admin.post("/reports", {"rq-kind": "visits", "rq-period": "", "rq-year": year, "rq-part": part})
        assert made.status_code == 303, made.text
        run_id = int(re.search(r"/reports/(\d+)", made.headers["Location"]).group(1))
        page = admin.get(f"/reports/{run_id}").text
        assert label in page and "本表數字為期末" in page and "期末後登錄之結果不計入本期" in page
        run = db.session.get(ReportRun, run_id)
        assert run is None or run.period_kind == kind  # (read outside the county's scope: may be hidden)
        assert "本表數字為期末" in admin.get(f"/reports/{run_id}/file.csv").data.decode("utf-8-sig")


def test_the_ministry_picks_a_past_year_and_a_typing_mistake_is_explained(as_user, db):
    ministry = as_user("moh.protect")
    page = ministry.get("/reports/submissions?period=&year=108&part=year")
    assert page.status_code == 200 and "108年（108年1月1日至108年12月31日）" in page.text
    assert "期末（108年12月31日）狀態" in page.text
    half = ministry.get("/reports/submissions?period=&year=109&part=h1")
    assert half.status_code == 200 and "109年1–6月" in half.text
    wrong = ministry.get("/reports/submissions?period=&year=2020&part=h1")
    assert wrong.status_code == 422 and "請輸入 109" in wrong.text and 'value="2020"' in wrong.text

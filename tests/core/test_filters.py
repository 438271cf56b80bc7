from datetime import date, datetime, timezone

from app.core.filters import roc_date, roc_datetime, taipei_time


def test_roc_date_long_and_short():
    assert roc_date(date(2026, 11, 22)) == "民國115年11月22日"
    assert roc_date(date(2026, 11, 22), "short") == "115/11/22"
    assert roc_date(date(2018, 1, 24), "compact") == "1070124"  # as in 案號 1070124-3-1
    assert roc_date(None) == "" and roc_date("") == ""


def test_datetimes_are_shown_in_taipei_time():
    # 2026-11-21 16:30 UTC is already the 22nd in Taipei (UTC+8)
    moment = datetime(2026, 11, 21, 16, 30, tzinfo=timezone.utc)
    assert roc_date(moment) == "民國115年11月22日"
    assert roc_datetime(moment) == "115/11/22 00:30"
    assert taipei_time(moment) == "00:30"


def test_filters_are_registered(app):
    assert app.jinja_env.filters["roc_date"] is roc_date
    assert app.jinja_env.filters["roc_datetime"] is roc_datetime

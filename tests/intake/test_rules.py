"""Pure rules: ID numbers, deadlines (24 h / 3 days, boundaries, weekends), duplicate matching helpers, dates."""
from datetime import date, datetime, timedelta, timezone

import pytest

from app.core import idnumbers
from app.core.forms import parse_flexible_date
from app.intake import deadlines
from app.intake.duplicates import normalise_address, similar_names
from app.intake.models import DeadlineKind

UTC = timezone.utc


@pytest.mark.parametrize("value,kind", [
    ("A123456789", "national"), ("a123456789", "national"), ("Ａ１２３４５６７８９", "national"),
    ("F131104093", "national"), ("A800000014", "resident"), ("AC01234567", "resident"),
])
def test_valid_ids(value, kind):
    assert idnumbers.kind_of(value) == kind


@pytest.mark.parametrize("value", ["A123456788", "A323456789", "1234567890", "A12345678", "AB1234567", "A1234567890"])
def test_invalid_ids_get_a_chinese_message(value):
    assert not idnumbers.is_valid(value)
    assert "證號" in idnumbers.problem(value)


def test_blank_id_is_not_a_problem_it_is_unknown():
    assert idnumbers.problem("") is None and idnumbers.problem("  ") is None


def test_roc_and_gregorian_dates():
    assert parse_flexible_date("76/05/12") == date(1987, 5, 12)
    assert parse_flexible_date("民國115年2月1日") == date(2026, 2, 1)
    assert parse_flexible_date("2026-02-01") == date(2026, 2, 1)
    with pytest.raises(ValueError, match="不存在"):
        parse_flexible_date("115/02/30")
    with pytest.raises(ValueError, match="看不懂"):
        parse_flexible_date("昨天")


RECEIVED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday, 17:00 in Taipei


@pytest.mark.parametrize("concerns,urgent,tipvda,kind", [
    (["sexual_assault"], False, None, DeadlineKind.HOURS_24),
    (["child_protection"], True, None, DeadlineKind.HOURS_24),   # urgent (第一級 situations)
    (["child_protection"], False, None, DeadlineKind.HOURS_24),  # not urgent: 兒少法 §53 III, 24 hours all the same
    (["ipv"], False, 8, DeadlineKind.HOURS_24),                 # TIPVDA ≥ 8: high danger
    (["ipv"], False, 7, DeadlineKind.DAYS_3),                   # 7 is 注意危險
    (["vulnerable_family"], False, None, DeadlineKind.DAYS_3),
])
def test_the_24_hour_and_3_day_split(concerns, urgent, tipvda, kind):
    deadline, got = deadlines.compute_deadline(RECEIVED, concerns, urgent, tipvda)
    assert got == kind
    assert deadline - RECEIVED == (timedelta(hours=24) if kind == DeadlineKind.HOURS_24 else timedelta(days=3))


def test_three_days_are_calendar_days_by_default_and_run_through_weekends():
    deadline, _ = deadlines.compute_deadline(RECEIVED, ["vulnerable_family"], False, None)
    assert deadline == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Friday → Monday, same time


def test_a_county_may_count_working_days():
    rule = deadlines.Rule(other_in_working_days=True)
    deadline, _ = deadlines.compute_deadline(RECEIVED, ["vulnerable_family"], False, None, rule)
    assert deadline == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Fri + 3 working days = Wed
    saturday = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    assert deadlines.add_working_days(saturday, 1) == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_county_may_change_the_threshold_and_hours():
    rule = deadlines.Rule(urgent_hours=12, tipvda_threshold=6, urgent_concerns=("sexual_assault", "elder"))
    assert deadlines.compute_deadline(RECEIVED, ["ipv"], False, 6, rule) == (RECEIVED + timedelta(hours=12), DeadlineKind.HOURS_24)
    assert deadlines.compute_deadline(RECEIVED, ["elder"], False, None, rule)[1] == DeadlineKind.HOURS_24


def test_clock_colours_at_the_boundaries():
    deadline = RECEIVED + timedelta(hours=24)
    assert deadlines.clock(RECEIVED, deadline, RECEIVED + timedelta(hours=17, minutes=59)).level == "ok"
    assert deadlines.clock(RECEIVED, deadline, RECEIVED + timedelta(hours=18)).level == "amber"  # last quarter
    assert deadlines.clock(RECEIVED, deadline, deadline - timedelta(seconds=1)).level == "amber"
    at = deadlines.clock(RECEIVED, deadline, deadline)
    assert at.level == "red" and at.text.startswith("逾期")
    assert deadlines.clock(RECEIVED, deadline, deadline + timedelta(hours=3)).text == "逾期 3 小時 0 分"


def test_name_similarity_and_address_normalising():
    assert similar_names("王小明", "王曉明") and similar_names("王小明", "王小明")
    assert not similar_names("王小明", "李小明") and not similar_names("王小明", "王大華")
    assert normalise_address("台北市中正區 重慶南路1段122號") == normalise_address("臺北市中正區重慶南路１段１２２號")

"""Each indicator and combination of seed 004's rules, on plain facts."""
import json
from datetime import date
from pathlib import Path

import pytest

from app.household.rules import Family, Member, RulesError, evaluate, validate

RULES = json.loads((Path(__file__).resolve().parents[2] / "app/campaigns/data/rules_2019.json").read_text())
START = date(2026, 2, 3)  # the campaign's first day (two weeks before the 2026 holiday)

MOTHER = Member("mother", date(1990, 1, 1))
SCHOOL_CHILD = Member("child", date(2016, 5, 1))  # 9 years old


def family(*members, concerns=("vulnerable_family",), **kw):
    return Family(case_id=1, concerns=tuple(concerns), members=tuple(members), **kw)


def test_no_indicator_no_visit():
    verdict = evaluate(family(MOTHER, SCHOOL_CHILD), RULES, START)
    assert not verdict.qualifies and verdict.indicators == ()


def test_exactly_one_level_one_indicator_qualifies_and_is_seen_in_person():
    verdict = evaluate(family(Member("mother", date(1990, 1, 1), flags=("drug",)), SCHOOL_CHILD), RULES, START)
    assert verdict.qualifies and verdict.indicators == ("1C",) and verdict.in_person and verdict.label == "一級C"


def test_one_level_two_indicator_alone_does_not_qualify():
    verdict = evaluate(family(MOTHER, Member("child", date(2022, 1, 1))), RULES, START)  # under 6 only
    assert not verdict.qualifies and verdict.indicators == ("2A",)


def test_two_level_two_indicators_qualify_without_in_person_requirement():
    young_mother = Member("mother", date(2007, 3, 1))  # 18
    verdict = evaluate(family(young_mother, Member("child", date(2024, 6, 1))), RULES, START)
    assert verdict.qualifies and verdict.indicators == ("2A", "2C") and not verdict.in_person


def test_combined_levels_are_all_listed():
    members = (Member("mother", date(1990, 1, 1), flags=("mental_health",)), Member("child", date(2023, 1, 1)),
               Member("cohabitant", date(1985, 1, 1)))
    verdict = evaluate(family(*members), RULES, START)
    assert verdict.indicators == ("1C", "2A", "2D") and verdict.label == "一級C + 二級A + 二級D"


def test_three_reports_within_a_year():
    two = family(MOTHER, SCHOOL_CHILD, report_dates=(date(2025, 3, 1), date(2025, 9, 1)))
    three = family(MOTHER, SCHOOL_CHILD, report_dates=(date(2025, 3, 1), date(2025, 9, 1), date(2026, 1, 10)))
    old = family(MOTHER, SCHOOL_CHILD, report_dates=(date(2024, 3, 1), date(2025, 9, 1), date(2026, 1, 10)))
    assert not evaluate(two, RULES, START).qualifies
    assert evaluate(three, RULES, START).indicators == ("1A",)
    assert not evaluate(old, RULES, START).qualifies  # the first is more than a year before the campaign


def test_return_home_from_placement_within_half_a_year():
    recent = Member("child", date(2015, 1, 1), placement_ended_on=date(2025, 9, 1))
    long_ago = Member("child", date(2015, 1, 1), placement_ended_on=date(2025, 6, 1))
    assert evaluate(family(MOTHER, recent), RULES, START).indicators == ("1B",)
    assert not evaluate(family(MOTHER, long_ago), RULES, START).qualifies


def test_manual_indicators_need_a_reason():
    assert evaluate(family(MOTHER, SCHOOL_CHILD, manual={"1D": "案父 1 月失業"}), RULES, START).indicators == ("1D",)
    assert not evaluate(family(MOTHER, SCHOOL_CHILD, manual={"1D": "  "}), RULES, START).qualifies


def test_a_child_turning_six_during_the_campaign_still_counts():
    turns_six_mid_campaign = Member("child", date(2020, 2, 10))  # 5 on 2026-02-03, 6 on 2026-02-10
    turned_six_before = Member("child", date(2020, 1, 20))
    young_mother = Member("mother", date(2008, 1, 1))
    assert evaluate(family(young_mother, turns_six_mid_campaign), RULES, START).qualifies
    assert not evaluate(family(young_mother, turned_six_before), RULES, START).qualifies


def test_adult_protection_needs_all_three_conditions():
    toddler = Member("child", date(2023, 1, 1))
    victim = Member("subject", date(1992, 1, 1))
    nine = family(victim, toddler, concerns=("ipv",), tipvda_at_receipt=9)
    eight = family(victim, toddler, concerns=("ipv",), tipvda_at_receipt=8)
    no_child = family(victim, SCHOOL_CHILD, concerns=("ipv",), tipvda_at_receipt=12)
    verdict = evaluate(nine, RULES, START)
    assert verdict.qualifies and verdict.route == "adult_protection" and verdict.in_person
    assert not evaluate(eight, RULES, START).qualifies  # "大於 8 分": 8 is not enough
    assert not evaluate(no_child, RULES, START).qualifies


def test_rules_are_data_checked_before_use():
    assert validate(RULES) is RULES
    broken = json.loads(json.dumps(RULES))
    broken["level2"][0]["test"] = "astrology"
    with pytest.raises(RulesError, match="不認得"):
        validate(broken)
    stricter = json.loads(json.dumps(RULES))
    stricter["qualify"]["level2_min"] = 3  # next year's rule, without a code change
    young_mother = Member("mother", date(2007, 3, 1))
    assert not evaluate(family(young_mother, Member("child", date(2024, 6, 1))), validate(stricter), START).qualifies

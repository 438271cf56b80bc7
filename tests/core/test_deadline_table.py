"""The rule table (core.deadlines): every deadline of the product with its source, the due time of each,
a county's own dispatch setting given through the override, the statutory 24-hour ceiling, and working
days counted on the Taipei calendar across a weekend."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.core import calendar, deadlines
from app.intake import deadlines as intake_deadlines  # noqa: F401  (registers the county's settings)

FRIDAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 17:00 in Taipei
MONDAY_SAME_HOUR = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

EXPECTED = {  # the national length of every rule
    "dispatch.child_protection": FRIDAY + timedelta(hours=24),
    "dispatch.sexual_assault": FRIDAY + timedelta(hours=24),
    "dispatch.county_concern": FRIDAY + timedelta(hours=24),
    "dispatch.urgent": FRIDAY + timedelta(hours=24),
    "dispatch.tipvda": FRIDAY + timedelta(hours=24),
    "dispatch.other": FRIDAY + timedelta(days=3),
    "dispatch.rate_24h": FRIDAY + timedelta(hours=24),
    "case.first_visit": FRIDAY + timedelta(days=10),
    "case.assessment_report": FRIDAY + timedelta(days=30),
    "case.child_seen": FRIDAY + timedelta(hours=24),
    "case.plan_review": FRIDAY,  # the review date the plan sets (its day's end is the start)
    "referral.response": datetime(2026, 11, 25, 9, 0, tzinfo=UTC),  # Fri + 3 working days = Wed
    "dispute.response": datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
    "dispute.decision": datetime(2026, 11, 27, 9, 0, tzinfo=UTC),  # Fri + 5 working days = Fri
    "investigation.contact_urgent": FRIDAY + timedelta(hours=24),
    "investigation.contact": FRIDAY + timedelta(days=4),
    "investigation.conclude": FRIDAY + timedelta(days=30),
    "campaign.period_start": FRIDAY - timedelta(days=14),
    "campaign.period_end": FRIDAY + timedelta(days=7),
}


def test_every_rule_states_its_label_and_source():
    assert set(deadlines.RULES) == set(EXPECTED)
    for rule in deadlines.table():
        assert rule.label.strip() and rule.source.strip(), rule.name
    assert "第 53 條第 3 項" in deadlines.RULES["dispatch.child_protection"].source
    assert "第 5 條" in deadlines.RULES["case.first_visit"].source


def test_a_rule_without_a_source_cannot_be_declared():
    with pytest.raises(ValueError, match="source"):
        deadlines.rule("test.nameless", "無依據", hours=1, source=" ")
    assert "test.nameless" not in deadlines.RULES


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_due_for_each_rule(name):
    assert deadlines.due(name, FRIDAY) == EXPECTED[name]


def test_a_date_start_gives_a_date():
    assert deadlines.due("campaign.period_end", date(2027, 2, 10)) == date(2027, 2, 17)
    assert deadlines.due("campaign.period_start", date(2027, 2, 5)) == date(2027, 1, 22)


def test_the_dispatch_rule_picked_for_a_report():
    pick = deadlines.dispatch_rule
    assert pick(["child_protection"], False, None) == "dispatch.child_protection"
    assert pick(["sexual_assault", "ipv"], False, 9) == "dispatch.sexual_assault"
    assert pick(["ipv"], True, None) == "dispatch.urgent"
    assert pick(["ipv"], False, 8) == "dispatch.tipvda"
    assert pick(["ipv"], False, 7) == "dispatch.other"
    county = deadlines.DispatchSetting(urgent_concerns=("elder",), urgent_flag_counts=False, tipvda_threshold=6)
    assert pick(["elder"], False, None, county) == "dispatch.county_concern"
    assert pick(["ipv"], True, None, county) == "dispatch.other"
    assert pick(["ipv"], False, 6, county) == "dispatch.tipvda"
    assert pick(["child_protection"], False, None, deadlines.DispatchSetting(urgent_concerns=())) == \
        "dispatch.child_protection"


def test_the_statutory_24_hours_cannot_be_lengthened_only_shortened():
    for name in deadlines.DISPATCH_24_HOURS:
        assert deadlines.RULES[name].ceiling
        assert deadlines.due(name, FRIDAY, hours=48) == FRIDAY + timedelta(hours=24)
        assert deadlines.due(name, FRIDAY, hours=12) == FRIDAY + timedelta(hours=12)
    assert deadlines.RULES["dispatch.child_protection"].statutory


def test_a_fixed_rule_takes_no_county_override():
    with pytest.raises(ValueError, match="fixed"):
        deadlines.register_override("case.first_visit", lambda *a: {"days": 20})


def test_working_days_skip_the_weekend():
    assert calendar.add_working_days(FRIDAY, 1) == MONDAY_SAME_HOUR
    saturday = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 10:00 Saturday in Taipei
    assert calendar.add_working_days(saturday, 1) == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    # Friday 23:30 in Taipei is still Friday there (15:30 UTC): one working day is Monday
    late = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    assert calendar.add_working_days(late, 1) == datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    assert deadlines.due("dispatch.other", FRIDAY, days=0, working_days=3) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_the_county_dispatch_rule_in_force_comes_through_the_override(db, factories):
    from app.core import tenancy
    from app.intake.models import DispatchRule

    taipei = factories.county("臺北市")
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert deadlines.due("dispatch.other", start, county_id=taipei.id) == start + timedelta(days=3)
    with tenancy.tenant_scope(taipei.id):
        db.session.add(DispatchRule(effective_from=date(2020, 1, 1), urgent_hours=12, other_days=2,
                                    other_in_working_days=True, tipvda_threshold=8, urgent_concerns=[],
                                    referral_response_days=1, dispute_response_days=2, dispute_decision_days=4))
        db.session.add(DispatchRule(effective_from=date(2030, 1, 1), urgent_hours=6, other_days=9,
                                    tipvda_threshold=8, urgent_concerns=[]))  # not yet in force
        db.session.flush()
    assert deadlines.due("dispatch.other", start, county_id=taipei.id) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert deadlines.due("dispatch.child_protection", start, county_id=taipei.id) == start + timedelta(hours=12)
    assert deadlines.due("referral.response", start, county_id=taipei.id) == MONDAY_SAME_HOUR
    assert deadlines.due("dispute.response", start, county_id=taipei.id) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert deadlines.due("dispute.decision", start, county_id=taipei.id) == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    # a rule the county cannot set keeps the national length
    assert deadlines.due("case.first_visit", start, county_id=taipei.id) == start + timedelta(days=10)
    # another county without a setting runs on the national defaults
    hualien = factories.county("花蓮縣")
    assert deadlines.due("referral.response", start, county_id=hualien.id) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_a_stored_county_rule_of_more_than_24_hours_still_gives_24(db, factories):
    from app.core import tenancy
    from app.intake.models import DispatchRule

    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        db.session.add(DispatchRule(effective_from=date(2020, 1, 1), urgent_hours=48, other_days=3, tipvda_threshold=8,
                                    urgent_concerns=[]))
        db.session.flush()
    for name in deadlines.DISPATCH_24_HOURS:
        assert deadlines.due(name, FRIDAY, county_id=taipei.id) == FRIDAY + timedelta(hours=24)


def test_the_statutory_concerns_are_the_intake_vocabulary():
    assert set(intake_deadlines.STATUTORY_24_HOUR) == set(deadlines.STATUTORY_CONCERNS)

"""Each dispatch-deadline rule checked against its source (兒少法 §53 III, §56 I; the ministry's 108-06-10
篩派案 decision, seed 004 item 4), and the settings page citing the source of every rule (issue 18, defect 10:
a non-urgent public 兒少保護 report got 3 days from the national default)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.intake import deadlines
from app.intake.models import DeadlineKind

RECEIVED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday, 17:00 in Taipei
HOURS_24 = (RECEIVED + timedelta(hours=24), DeadlineKind.HOURS_24)


def test_a_non_urgent_child_protection_report_runs_on_24_hours_by_the_national_default():
    """兒少法 §53 III: every child-protection report is graded and classified within 24 hours, urgent or not."""
    assert deadlines.compute_deadline(RECEIVED, ["child_protection"], False, None) == HOURS_24


def test_no_county_rule_can_take_child_protection_or_sexual_assault_off_24_hours():
    county = deadlines.Rule(urgent_concerns=(), other_days=5)  # a county that ticked nothing
    assert deadlines.compute_deadline(RECEIVED, ["child_protection"], False, None, county) == HOURS_24
    assert deadlines.compute_deadline(RECEIVED, ["sexual_assault"], False, None, county) == HOURS_24


def test_the_24_hour_ceiling_holds_even_for_an_older_county_rule_of_more_hours():
    """「至遲不得超過二十四小時」: a stored rule of 48 hours (allowed before) still gives 24."""
    rule = deadlines.Rule(urgent_hours=48)
    assert deadlines.compute_deadline(RECEIVED, ["child_protection"], True, None, rule) == HOURS_24


def test_an_urgent_child_report_first_grade_runs_on_24_hours():
    """兒少法 §56 I situations (第一級), marked urgent."""
    assert deadlines.compute_deadline(RECEIVED, ["child_protection"], True, None) == HOURS_24


def test_high_risk_ipv_runs_on_24_hours_and_the_rest_of_ipv_on_3_days():
    """108-06-10 decision: 經評估為高度風險之親密關係暴力案件 24 hours, TIPVDA 8 and over high danger."""
    assert deadlines.compute_deadline(RECEIVED, ["ipv"], False, 8) == HOURS_24
    assert deadlines.compute_deadline(RECEIVED, ["ipv"], False, 7) == (RECEIVED + timedelta(days=3), DeadlineKind.DAYS_3)


@pytest.mark.parametrize("concern", ["vulnerable_family", "elder", "disability", "family_member", "mental_health"])
def test_the_other_reports_run_on_3_days(concern):
    """108-06-10 decision: 其餘則於3日內完成."""
    assert deadlines.compute_deadline(RECEIVED, [concern], False, None) == (RECEIVED + timedelta(days=3),
                                                                         DeadlineKind.DAYS_3)


def test_every_rule_names_its_source():
    keys = {s.key for s in deadlines.SOURCES}
    assert {"child_protection", "child_first_grade", "sexual_assault", "urgent_flag", "tipvda", "other",
            "vulnerable_visit", "referral_dispute"} <= keys
    assert all(s.source.strip() and s.rule.strip() for s in deadlines.SOURCES)
    child = next(s for s in deadlines.SOURCES if s.key == "child_protection")
    assert "第 53 條" in child.source and child.fixed


def test_the_settings_page_cites_the_source_of_each_rule(as_user):
    admin = as_user("tpe.admin")
    body = admin.get("/intake/settings/deadlines").get_data(as_text=True)
    assert 'id="rule-sources"' in body
    for source in deadlines.SOURCES:
        assert f'id="source-{source.key}"' in body
        assert source.source.replace("「", "&#34;")[:20] in body or source.source[:20] in body
    assert "兒童及少年福利與權益保障法第 53 條第 3 項" in body and "108 年 6 月 10 日" in body


def test_a_county_rule_always_keeps_the_statutory_concerns_and_refuses_more_than_24_hours(as_user, db):
    admin = as_user("tpe.admin")
    form = {"effective_from": "115/01/01", "urgent_hours": 24, "other_days": 3, "tipvda_threshold": 8,
            "urgent_concerns": ["elder"], "referral_response_days": 3, "dispute_response_days": 3,
            "dispute_decision_days": 5}
    too_long = admin.post("/intake/settings/deadlines", {**form, "urgent_hours": 48})
    assert too_long.status_code == 422 and "至遲不得超過 24 小時" in too_long.get_data(as_text=True)
    assert admin.post("/intake/settings/deadlines", form).status_code in (302, 303)
    import sqlalchemy as sa

    from app.core import tenancy
    from app.intake.models import DispatchRule

    with tenancy.all_tenants("test: the rule just saved"):
        rule = db.session.scalars(sa.select(DispatchRule).order_by(DispatchRule.id.desc())).first()
    assert set(rule.urgent_concerns) == {"elder", "child_protection", "sexual_assault"}

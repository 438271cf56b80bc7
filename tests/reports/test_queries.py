"""Every figure checked against hand-computed expectations: the seed's own
numbers through the derivations, and a fixed data set through the queries."""
from datetime import date, datetime, timedelta

import pytest

from app.cases.reference import AssessmentOutcome, Level
from app.core import tenancy
from app.core.filters import TAIPEI
from app.reports import queries
from app.reports.models import PeriodKind, ReportKind
from app.reports.periods import Period
from tests.reports.helpers import answered_in_history, at, visit_recorded

Q3 = Period.of(PeriodKind.QUARTER, 2026, 3)


def test_periods_are_named_as_officials_name_them():
    assert Q3.label == "115年第3季" and Q3.span == "115年7月1日至115年9月30日"
    assert Period.of(PeriodKind.MONTH, 2026, 2).end == date(2026, 2, 28)
    assert Period.of(PeriodKind.YEAR, 2019).label == "108年"
    start, end = Q3.bounds()
    assert start == datetime(2026, 7, 1, tzinfo=TAIPEI) and end == datetime(2026, 10, 1, tzinfo=TAIPEI)
    with pytest.raises(ValueError):
        Period.of(PeriodKind.QUARTER, 2026, 5)


def _visits(cm, rp, rn, wc, de, assessing):
    bucket = dict(case_management=cm, refer_protective=rp, refer_network=rn, welfare_consultation=wc,
                  duplicate_or_error=de, assessing=assessing, visit_due=0, visit_on_time=0, report_due=0, report_on_time=0)
    return {"total": bucket, "by_centre": {}}


def test_seed_001_visit_assessment_rates():
    d = queries.derive_visits(_visits(15480, 266, 3245, 16772, 620, 1436))  # 108年
    assert d["total"]["total"] == 37819
    assert queries.pct(d["total"]["open_rate"]) == "40.93%" and queries.pct(d["total"]["referral_rate"]) == "9.28%"
    d = queries.derive_visits(_visits(7380, 115, 1831, 9402, 310, 886))  # 109年1–6月
    assert d["total"]["total"] == 19924
    assert queries.pct(d["total"]["open_rate"]) == "37.04%" and queries.pct(d["total"]["referral_rate"]) == "9.77%"


def test_domain_screening_totals_of_108(db):
    counts = queries.count_empty(ReportKind.SCREENING)
    counts.update(received=260681, referred=27287, decided=201853, within_24h=0, within_deadline=0)
    counts["dispatched"].update(protective=144200, vulnerable=30366)
    counts["invalid"].update(duplicate=58828)
    summary = dict((k.strip("　"), v) for k, v in queries.derive_screening(counts)["summary"])
    assert summary["有效"] == 201853 and summary["無效"] == 58828 and summary["受理件次"] == 260681


def test_seed_001_vulnerability_shares():
    counts = {"closed": 10000, "opening": {"H": 1465, "M": 6895, "L": 1640}, "closing": {"H": 457, "M": 774, "L": 8769}}
    rows = queries.derive_vulnerability(counts)["rows"]
    assert [(r[2], r[4]) for r in rows] == [(14.65, 4.57), (68.95, 7.74), (16.4, 87.69)]


def test_national_rates_come_from_summed_counts_not_averaged_rates():
    a, b = _visits(1, 0, 0, 0, 0, 0), _visits(1, 0, 0, 9, 0, 0)  # 1 of 1 (100%) and 1 of 10 (10%)
    total = queries.add_up([a, b])
    assert queries.derive_visits(total)["total"]["open_rate"] == pytest.approx(18.18)  # 2 of 11, not (100+10)/2 = 55


# --- a fixed data set through the queries ---------------------------------------------------------

def in_county(world, fn, *args):
    with tenancy.tenant_scope(world["taipei"].id):  # as the job runs: acting for the county
        return fn(world["taipei"].id, *args)


def test_screening_figures_of_the_fixed_data_set(world):
    counts = in_county(world, queries.count_screening, Q3)
    assert counts["received"] == 8  # 甲乙丙丁戊 + 庚辛壬; 己 is in October
    assert counts["dispatched"] == {"protective": 1, "vulnerable": 4, "mental_health": 0}
    assert counts["referred"] == 1 and counts["invalid"]["out_of_scope"] == 1 and counts["pending"] == 1
    assert counts["by_channel"]["35"] == {"received": 1, "valid": 1, "invalid": 0}
    assert counts["by_concern"]["child_protection"] == 1 and counts["by_concern"]["vulnerable_family"] == 6
    d = queries.derive_screening(counts)
    rates = {name: value for name, value, _ in d["rates"]}
    assert rates["有效率"] == 75.0  # 6 valid of 8
    assert counts["decided"] == 6 and counts["within_24h"] == 4  # 甲 and 庚辛壬 (2 hours); 乙 48 h, 丁 8 days
    # within its deadline: 甲 and 庚辛壬; 乙 (兒少保護, 24 hours by law) and 丁 (8 days) are late
    assert rates["24 小時內完成篩派率"] == pytest.approx(66.67) and counts["within_deadline"] == 4


def test_visit_figures_of_the_fixed_data_set(world):
    c1, c5, c6 = world["c1"], world["庚"], world["辛"]
    c1.outcome, c5.outcome, c6.outcome = (AssessmentOutcome.CASE_MANAGEMENT, AssessmentOutcome.CASE_MANAGEMENT,
                                          AssessmentOutcome.REFER_NETWORK)
    c1.outcome_at, c5.outcome_at, c6.outcome_at = at(7, 26), at(8, 1), at(8, 2)  # recorded in the quarter
    with tenancy.tenant_scope(world["taipei"].id):
        for case, day in ((c1, 3), (c5, 20), (c6, 10)):  # on time, late, on time (recorded the same day)
            visit_recorded(case, at(7, day))
    c1.assessment_report_at = at(7, 25)
    counts = in_county(world, queries.count_visits, Q3)
    total = counts["total"]
    assert (total["case_management"], total["refer_network"], total["assessing"]) == (2, 1, 1)
    assert list(counts["by_centre"]) == ["臺北市中正社會福利服務中心"]  # 乙 went to the 家防中心: not a visit assessment
    d = queries.derive_visits(counts)["total"]
    assert d["total"] == 4 and d["open_rate"] == 50.0 and d["referral_rate"] == 25.0
    assert d["visit"] == (2, 4) and d["report"] == (1, 4)


def test_vulnerability_figures_of_the_fixed_data_set(world):
    for case, before, after, closed in ((world["c1"], Level.HIGH, Level.LOW, at(8, 1)),
                                        (world["庚"], Level.MEDIUM, Level.LOW, at(9, 30, 23)),
                                        (world["辛"], Level.MEDIUM, Level.MEDIUM, at(10, 1, 0))):  # October: outside
        case.opening_level, case.closing_level, case.closed_at = before, after, closed
    counts = in_county(world, queries.count_vulnerability, Q3)
    assert counts == {"closed": 2, "opening": {"H": 1, "M": 1, "L": 0}, "closing": {"H": 0, "M": 0, "L": 2}}
    rows = queries.derive_vulnerability(counts)["rows"]
    assert rows[2] == ("低度脆弱性", 0, 0.0, 2, 100.0)


def test_referral_figures_of_the_fixed_data_set(world, factories):
    from app.referrals import services as referrals
    from app.referrals.models import ReferralKind, ReferralStatus

    sw1 = factories.user("tpe.sw1")
    with tenancy.tenant_scope(world["taipei"].id):
        sent = []
        for case in (world["c1"], world["庚"], world["辛"]):
            sent.append(referrals.send(case, sw1, sw1.memberships[0], kind=ReferralKind.UNIT, reason="r",
                                       services_requested="", sections=["members"],
                                       to_unit=factories.unit("臺北市家庭暴力暨性侵害防治中心")))
        for r, hours, status in ((sent[0], 10, ReferralStatus.IN_SERVICE), (sent[1], 30, ReferralStatus.DECLINED)):
            r.created_at = at(7, 10)
            r.responded_at, r.status = at(7, 10) + timedelta(hours=hours), status
        sent[2].created_at = at(7, 11)
        for r in sent:  # their history as it was recorded in the quarter
            answered_in_history(r)
        from app.extensions import db

        db.session.flush()
        counts = queries.count_referrals(world["taipei"].id, Q3)  # already acting for the county
    d = queries.derive_referrals(counts)
    unit_row = d["sent"]["rows"][0]
    assert unit_row[:5] == ("縣市內單位", 3, 1, 1, 0)  # sent, accepted, declined, returned
    assert d["sent"]["median_hours"] == 20.0 and d["sent"]["p90_hours"] == 28.0
    assert d["received"]["total"][1] == 3  # between the county's own units: both sides count them

"""The measures' counts, as at the end of the period, and the national sums."""
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cases.models import CaseContact, FamilyCase
from app.cases.reference import AssessmentOutcome, ContactMethod
from app.core import tenancy
from app.targets import board, services
from app.targets import measures_programme as mp
from app.targets.registry import MEASURES, Measure
from tests.targets.helpers import YEAR_END, YEAR_START, at

FIRST_HALF_END = date(2026, 6, 30)


def test_every_programme_measure_is_registered_with_its_definition():
    for code in ("child_protection_coverage", "opening_rate", "referral_rate", "vulnerability_change"):
        m = MEASURES[code]
        assert m.numerator and m.denominator and m.source
    assert MEASURES["child_protection_coverage"].targets == {115: 85.0, 116: 90.0, 117: 95.0, 118: 100.0, 119: 100.0}
    assert MEASURES["opening_rate"].targets == {}


def test_counts_of_one_county(world, app):
    tpe = world["taipei"]
    with tenancy.tenant_scope(tpe), app.test_request_context():
        assert mp.child_protection_counts(tpe, YEAR_START, YEAR_END) == (2, 3)
        assert mp.opening_counts(tpe, YEAR_START, YEAR_END) == (2, 4)
        assert mp.referral_counts(tpe, YEAR_START, YEAR_END) == (1, 4)
        assert mp.vulnerability_counts(tpe, YEAR_START, YEAR_END) == (2, 3)
        gap = mp.child_protection_gap(tpe, YEAR_START, YEAR_END)
        assert [row.case_id for row in gap] == [world["tpe"]["cp3"]]
        assert "cp3家" in gap[0].label and gap[0].url.endswith(f"/cases/{world['tpe']['cp3']}")
        assert {r.case_id for r in mp.opening_gap(tpe, YEAR_START, YEAR_END)} == {world["tpe"]["vf3"], world["tpe"]["vf4"]}
        assert [r.case_id for r in mp.vulnerability_gap(tpe, YEAR_START, YEAR_END)] == [world["tpe"]["vf2"]]


def test_what_is_recorded_after_the_period_does_not_change_it(world, db):
    """A contact and an outcome recorded after 6月30日 leave 115年1–6月 as it was (a half-year period)."""
    tpe, ids = world["taipei"], world["tpe"]
    with tenancy.tenant_scope(tpe):
        before = (mp.child_protection_counts(tpe, YEAR_START, FIRST_HALF_END),
                  mp.opening_counts(tpe, YEAR_START, FIRST_HALF_END))
        assert before == ((2, 3), (2, 4))
        # cp3 visited on 6月20日 but recorded on 7月2日; vf4 opened, recorded 8月1日
        db.session.add(CaseContact(tenant_id=tpe, case_id=ids["cp3"], contacted_at=at(6, 20), created_at=at(7, 2),
                                   method=ContactMethod.HOME_VISIT))
        vf4 = db.session.get(FamilyCase, ids["vf4"])
        vf4.outcome, vf4.outcome_at = AssessmentOutcome.CASE_MANAGEMENT, at(8, 1)
        db.session.flush()
        assert (mp.child_protection_counts(tpe, YEAR_START, FIRST_HALF_END),
                mp.opening_counts(tpe, YEAR_START, FIRST_HALF_END)) == before
        # the whole year, whose end is after both, counts them
        assert mp.child_protection_counts(tpe, YEAR_START, YEAR_END) == (3, 3)
        assert mp.opening_counts(tpe, YEAR_START, YEAR_END) == (3, 4)


def test_a_county_sees_none_of_another_countys_records(world, app):
    with tenancy.tenant_scope(world["hualien"]), app.test_request_context():
        assert mp.child_protection_counts(world["hualien"], YEAR_START, YEAR_END) == (1, 1)
        assert mp.child_protection_gap(world["taipei"], YEAR_START, YEAR_END) == []


def test_national_is_the_sum_of_the_counties(world):
    computed = board.compute(date(2026, 12, 6))
    cells = computed.national["child_protection_coverage"]
    assert (cells[0].numerator, cells[0].denominator) == (3, 4)
    assert cells[0].rate == 75.0 and cells[0].met is False
    assert not cells[1].started  # 116年 has not begun
    tpe = computed.by_county[world["taipei"]]["opening_rate"][0]
    assert (tpe.numerator, tpe.denominator, tpe.target) == (2, 4, None)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(counts=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=22))
def test_national_numerator_and_denominator_are_sums_of_the_counties(counts):
    """Property: whatever the counties count, the nation's numerator and denominator are their sums and
    its rate is the rate of the sums (never an average of rates)."""
    m = Measure(code="p", label="p", strategy="", targets={115: 50.0}, numerator="", denominator="", source="",
                counts=lambda *a: (0, 0))
    period = board.year_period(115)
    by_county, names = {}, {}
    for i, (a, b) in enumerate(counts):
        num, den = min(a, b), max(a, b)
        by_county[i] = {"p": [board.Cell(m, period, True, num, den)]}
        names[i] = f"c{i}"
    saved = dict(MEASURES)
    MEASURES.clear()
    MEASURES["p"] = m
    try:
        national = board._national(by_county, names, [period], date(2026, 12, 6))["p"][0]
    finally:
        MEASURES.clear()
        MEASURES.update(saved)
    assert national.numerator == sum(min(a, b) for a, b in counts)
    assert national.denominator == sum(max(a, b) for a, b in counts)
    assert national.rate == (None if not national.denominator else round(100 * national.numerator / national.denominator, 2))


def test_an_entered_denominator_counts_only_where_entered(world, external_measure, db, factories):
    from_tpe = factories.user("tpe.admin")
    with tenancy.tenant_scope(world["taipei"]):
        services.save_denominator(world["taipei"], from_tpe, external_measure.code, 115, 10, "戶政司出生登記（115年）")
    computed = board.compute(date(2026, 12, 6))
    tpe = computed.by_county[world["taipei"]][external_measure.code][0]
    hua = computed.by_county[world["hualien"]][external_measure.code][0]
    assert (tpe.numerator, tpe.denominator, tpe.rate, tpe.source) == (3, 10, 30.0, "戶政司出生登記（115年）")
    assert hua.no_denominator and hua.rate is None
    national = computed.national[external_measure.code][0]
    assert (national.numerator, national.denominator) == (3, 10)
    assert "花蓮縣" in national.missing

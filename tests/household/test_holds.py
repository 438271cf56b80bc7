"""``rules.holds`` (the campaign's fast test, no facts built) answers exactly what ``bool(evidence)``
(the explanation) answers, for every test of the vocabulary, over random families and parameters."""
import json
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.household import rules as R

DAY = date(2027, 1, 22)
RELATIONS = ("mother", "father", "child", "subject", "grandparent", "other")
FLAGS = ("drug", "mental_health", "suicide", "disability", "alcohol")
SOURCES = ("mental_health", "suicide_prevention", "drug_control")

days = st.dates(min_value=DAY - timedelta(days=8000), max_value=DAY + timedelta(days=30))
members = st.builds(R.Member, relation=st.sampled_from(RELATIONS), birth_date=st.none() | days,
                    estimated_age=st.none() | st.integers(0, 90),
                    flags=st.lists(st.sampled_from(FLAGS), max_size=2, unique=True).map(tuple),
                    placement_ended_on=st.none() | days)
families = st.builds(
    R.Family, case_id=st.just(1), report_refs=st.just(()), concerns=st.just(("vulnerable_family",)),
    members=st.lists(members, max_size=5).map(tuple),
    report_dates=st.lists(days, max_size=5).map(tuple),
    manual=st.dictionaries(st.sampled_from(("1D", "1E")), st.sampled_from(("", " ", "失業"))),
    listed=st.lists(st.builds(R.Listed, source=st.sampled_from(SOURCES), label=st.just("列管"),
                              person=st.just("某")), max_size=2).map(tuple),
    closings=st.lists(st.tuples(days, st.just("C1")), max_size=2).map(tuple))
flag_sets = st.lists(st.sampled_from(FLAGS), min_size=1, max_size=3, unique=True)
rules = st.one_of(
    st.fixed_dictionaries({"test": st.just("reports_in_year"), "min": st.integers(0, 4)}),
    st.fixed_dictionaries({"test": st.just("placement_returned_within_days"), "days": st.integers(0, 400)}),
    st.fixed_dictionaries({"test": st.just("member_flag_any"), "flags": flag_sets}),
    st.fixed_dictionaries({"test": st.just("member_listed_any"), "flags": flag_sets,
                           "sources": st.lists(st.sampled_from(SOURCES), max_size=2)}),
    st.fixed_dictionaries({"test": st.just("manual")}),
    st.fixed_dictionaries({"test": st.just("child_under_age"), "age": st.integers(0, 18)}),
    st.fixed_dictionaries({"test": st.just("child_flag_any"), "flags": flag_sets}),
    st.fixed_dictionaries({"test": st.just("parent_under_age"), "age": st.integers(0, 30)}),
    st.fixed_dictionaries({"test": st.just("member_relation_any"),
                           "relations": st.lists(st.sampled_from(RELATIONS), max_size=3)}),
    st.fixed_dictionaries({"test": st.just("case_closed_within_days"), "days": st.integers(0, 400)}))


@settings(max_examples=600, deadline=None)
@given(family=families, rule=rules, key=st.sampled_from(("1D", "1E", "2A")))
def test_holds_is_whether_there_is_evidence(family, rule, key):
    assert R.holds(rule, family, DAY, key) == bool(R.evidence(rule, family, DAY, key))


RULES_2019 = json.loads((Path(__file__).parents[2] / "app/campaigns/data/rules_2019.json").read_text())
campaign_families = st.builds(
    R.Family, case_id=st.just(1), report_refs=st.just(()),
    concerns=st.lists(st.sampled_from(("vulnerable_family", "child_protection", "ipv", "elder", "other")),
                      max_size=2, unique=True).map(tuple),
    members=st.lists(members, max_size=5).map(tuple), report_dates=st.lists(days, max_size=5).map(tuple),
    tipvda_at_receipt=st.none() | st.integers(0, 15),
    manual=st.dictionaries(st.sampled_from(("1D", "1E")), st.sampled_from(("", " ", "失業"))))


@settings(max_examples=400, deadline=None)
@given(family=campaign_families, level1_min=st.integers(1, 2), level2_min=st.integers(1, 3))
def test_the_campaigns_verdict_is_what_the_evidence_says(family, level1_min, level2_min):
    """The compiled evaluator (rules read once, ages worked out once a family) against the rule set read
    the slow way: each indicator's evidence, counted by level, then the adult-protection route."""
    rules = {**RULES_2019, "qualify": {"level1_min": level1_min, "level2_min": level2_min}}
    verdict = R.evaluate(family, rules, DAY)
    found = ()
    if set(family.concerns) & set(rules["case_concerns"]):
        found = tuple(prefix + r["code"] for level, prefix in (("level1", "1"), ("level2", "2"))
                      for r in rules[level] if R.evidence(r, family, DAY, prefix + r["code"]))
        ones, twos = sum(k[0] == "1" for k in found), sum(k[0] == "2" for k in found)
        if ones >= level1_min or twos >= level2_min:
            assert verdict == R.Verdict(True, found, "indicators", ones >= level1_min)
            return
    adult = rules["adult_protection"]
    young = R.evidence({"test": "child_under_age", "age": adult["child_under_age"]}, family, DAY, "AP")
    if set(family.concerns) & set(adult["concerns"]) and (family.tipvda_at_receipt or 0) > adult["tipvda_above"] \
            and young:
        assert verdict == R.Verdict(True, ("AP",), "adult_protection", True)
    else:
        assert verdict == R.Verdict(False, found, "", False)

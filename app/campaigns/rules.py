"""Who must be visited in the spring-festival campaign: the ministry's rules
(data, versioned; see ``data/rules_2019.json``) applied to one family's facts.

A rule set names each indicator's *test* from a fixed vocabulary below and its
parameters (ages, counts, flags, days); changing the parameters or the
labels, or which tests make up each level, is the ministry's to do without a
code change. Ages are taken on the campaign's first day: a child who turns 6
during the campaign still counts as under 6.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ..core.dates import age_on
from ..core.errors import Invalid

TESTS = ("reports_in_year", "placement_returned_within_days", "member_flag_any", "manual", "child_under_age",
         "child_flag_any", "parent_under_age", "member_relation_any")


class RulesError(Invalid):
    pass


@dataclass(frozen=True)
class Member:
    relation: str
    birth_date: date | None = None
    estimated_age: int | None = None
    flags: tuple[str, ...] = ()
    placement_ended_on: date | None = None

    def age_on(self, day: date) -> int | None:
        return age_on(self.birth_date, day, self.estimated_age)


@dataclass(frozen=True)
class Family:
    case_id: int
    concerns: tuple[str, ...]
    members: tuple[Member, ...]
    report_dates: tuple[date, ...] = ()  # protective and vulnerable-family reports about the family
    tipvda_at_receipt: int | None = None
    manual: dict = field(default_factory=dict)  # indicator key ("1D") -> reason ticked by the worker


@dataclass(frozen=True)
class Verdict:
    qualifies: bool
    indicators: tuple[str, ...]  # "1C", "2A" …
    route: str  # "indicators" | "adult_protection" | ""
    in_person: bool  # high risk: seen in person

    @property
    def label(self) -> str:
        return " + ".join(f"{'一' if k[0] == '1' else '二'}級{k[1:]}" for k in self.indicators)


def _children(family: Family, day: date, under: int | None = None) -> list[Member]:
    out = []
    for m in family.members:
        age = m.age_on(day)
        if m.relation == "child" or (m.relation == "subject" and age is not None and age < 18):
            if under is None or (age is not None and age < under):
                out.append(m)
    return out


def _test(rule: dict, family: Family, day: date, key: str) -> bool:
    kind = rule["test"]
    if kind == "reports_in_year":
        return sum(1 for d in family.report_dates if day - timedelta(days=365) <= d <= day) >= rule["min"]
    if kind == "placement_returned_within_days":
        return any(m.placement_ended_on is not None and 0 <= (day - m.placement_ended_on).days < rule["days"]
                   for m in family.members)
    if kind == "member_flag_any":
        return any(set(m.flags) & set(rule["flags"]) for m in family.members)
    if kind == "manual":
        return bool(family.manual.get(key, "").strip())
    if kind == "child_under_age":
        return bool(_children(family, day, rule["age"]))
    if kind == "child_flag_any":
        return any(set(m.flags) & set(rule["flags"]) for m in _children(family, day))
    if kind == "parent_under_age":
        return any(m.relation in ("father", "mother") and (m.age_on(day) is not None and m.age_on(day) < rule["age"])
                   for m in family.members)
    if kind == "member_relation_any":
        return any(m.relation in rule["relations"] for m in family.members)
    raise RulesError(f"不認得的判斷方式：{kind}")


def evaluate(family: Family, rules: dict, day: date) -> Verdict:
    """Does the family qualify on ``day`` (the campaign's first day), and by which indicators?"""
    concerns = set(family.concerns)
    indicators = []
    if concerns & set(rules["case_concerns"]):
        for level, prefix in (("level1", "1"), ("level2", "2")):
            for rule in rules[level]:
                key = prefix + rule["code"]
                if _test(rule, family, day, key):
                    indicators.append(key)
        ones = sum(1 for k in indicators if k[0] == "1")
        twos = sum(1 for k in indicators if k[0] == "2")
        q = rules["qualify"]
        if ones >= q["level1_min"] or twos >= q["level2_min"]:
            return Verdict(True, tuple(indicators), "indicators", in_person=ones >= q["level1_min"])
    adult = rules.get("adult_protection")
    if adult and concerns & set(adult["concerns"]):
        if (family.tipvda_at_receipt or 0) > adult["tipvda_above"] and _children(family, day, adult["child_under_age"]):
            return Verdict(True, ("AP",), "adult_protection", in_person=True)
    return Verdict(False, tuple(indicators), "", in_person=False)


def validate(rules: dict) -> dict:
    """Check a rule set the ministry edits: known tests, parameters present, thresholds sensible."""
    if not isinstance(rules, dict):
        raise RulesError("規則需為 JSON 物件。")
    for key in ("case_concerns", "qualify", "level1", "level2"):
        if key not in rules:
            raise RulesError(f"缺少「{key}」。")
    q = rules["qualify"]
    if not (isinstance(q.get("level1_min"), int) and isinstance(q.get("level2_min"), int)
            and q["level1_min"] >= 1 and q["level2_min"] >= 1):
        raise RulesError("qualify 的 level1_min、level2_min 需為 1 以上的整數。")
    needs = {"reports_in_year": ("min",), "placement_returned_within_days": ("days",), "member_flag_any": ("flags",),
             "manual": (), "child_under_age": ("age",), "child_flag_any": ("flags",), "parent_under_age": ("age",),
             "member_relation_any": ("relations",)}
    seen = set()
    for level in ("level1", "level2"):
        for rule in rules[level]:
            if rule.get("test") not in needs:
                raise RulesError(f"{level} 的指標 {rule.get('code')} 使用不認得的判斷方式「{rule.get('test')}」。")
            missing = [p for p in needs[rule["test"]] if p not in rule]
            if missing or not rule.get("code") or not rule.get("label"):
                raise RulesError(f"{level} 的指標 {rule.get('code')} 缺少 {', '.join(missing) or 'code/label'}。")
            key = level[-1] + rule["code"]
            if key in seen:
                raise RulesError(f"指標代碼 {key} 重複。")
            seen.add(key)
    return rules

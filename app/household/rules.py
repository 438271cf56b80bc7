"""The rule engine of the ministry's risk indicators (seed 004's 一級/二級風險指標 and the TIPVDA > 8 with a
child under 6 rule), applied to one family's facts. Two users: the spring-festival campaign (who must be
visited; its rule sets are ``app/campaigns/data/rules_*.json``, kept in the campaign's table) and the
household picture's risk flags (風險預警; ``data/risk_flags.json``, versions with the date each applies from).

Every test also says *why*: ``evidence`` returns the facts that made it hold (what, from which source,
of which date), so a flag can be explained; ``evaluate`` (the campaign's verdict) only needs whether.

A rule set names each indicator's *test* from a fixed vocabulary below and its
parameters (ages, counts, flags, days); changing the parameters or the
labels, or which tests make up each level, is the ministry's to do without a
code change. Ages are taken on the campaign's first day: a child who turns 6
during the campaign still counts as under 6.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Callable, Mapping, NamedTuple

from ..cases.reference import MemberFlag
from ..core.dates import age_on
from ..core.errors import Invalid

TESTS = ("reports_in_year", "placement_returned_within_days", "member_flag_any", "manual", "child_under_age",
         "child_flag_any", "parent_under_age", "member_relation_any",
         # the household picture's additions: another system's 列管 of a member, a closing within a period
         "member_listed_any", "case_closed_within_days")
# The parameters each test needs.
NEEDS = {"reports_in_year": ("min",), "placement_returned_within_days": ("days",), "member_flag_any": ("flags",),
         "manual": (), "child_under_age": ("age",), "child_flag_any": ("flags",), "parent_under_age": ("age",),
         "member_relation_any": ("relations",), "member_listed_any": ("flags", "sources"),
         "case_closed_within_days": ("days",)}


class RulesError(Invalid):
    pass


@dataclass(frozen=True)
class Fact:
    """One fact behind a rule that fired: what, where it is recorded (a report, a case, another system) and its date."""
    text: str
    source: str = ""
    on: date | None = None

    def as_dict(self) -> dict:
        return {"text": self.text, "source": self.source, "on": self.on.isoformat() if self.on else None}


NO_TICKS: Mapping[str, str] = MappingProxyType({})


# Member, Family and Verdict are named tuples, not frozen dataclasses: the campaign builds 300,000 members and
# 100,000 families and verdicts a computation, and a frozen dataclass costs three times as much to build.
class Member(NamedTuple):
    relation: str
    birth_date: date | None = None
    estimated_age: int | None = None
    flags: tuple[str, ...] = ()
    placement_ended_on: date | None = None
    name: str = ""
    source: str = ""  # where the member's flags and placement are recorded (e.g. 個案 C…)
    placement_source: str = ""

    def age_on(self, day: date) -> int | None:
        return age_on(self.birth_date, day, self.estimated_age)


@dataclass(frozen=True)
class Listed:
    """Another system holds a member under its 列管 (精神照護, 自殺防治, 毒危 …)."""
    source: str  # the sending system's code (mental_health, suicide_prevention, drug_control …)
    label: str
    person: str
    since: date | None = None
    received_on: date | None = None


@dataclass(frozen=True)
class Flag:
    key: str  # "1C", "2A", "AP"
    level: int  # 1 | 2
    label: str
    facts: tuple[Fact, ...]


class Family(NamedTuple):
    case_id: int
    concerns: tuple[str, ...]
    members: tuple[Member, ...]
    report_dates: tuple[date, ...] = ()  # protective and vulnerable-family reports about the family
    tipvda_at_receipt: int | None = None
    manual: Mapping[str, str] = NO_TICKS  # indicator key ("1D") -> reason ticked by the worker
    report_refs: tuple[str, ...] = ()  # beside report_dates: each report's number, for the explanation
    tipvda_source: str = ""
    tipvda_on: date | None = None
    listed: tuple[Listed, ...] = ()  # other systems' 列管 in force for a member
    closings: tuple[tuple[date, str], ...] = ()  # (closed on, case number) of the family's earlier cases


class Verdict(NamedTuple):
    qualifies: bool
    indicators: tuple[str, ...]  # "1C", "2A" …
    route: str  # "indicators" | "adult_protection" | ""
    in_person: bool  # high risk: seen in person

    @property
    def label(self) -> str:
        return " + ".join(f"{'一' if k[0] == '1' else '二'}級{k[1:]}" for k in self.indicators)


def _is_child(m: Member, age: int | None, under: int | None = None) -> bool:
    """A child of the family (a 子女 at any age, the subject while under 18), under ``under`` if given."""
    if m.relation != "child" and not (m.relation == "subject" and age is not None and age < 18):
        return False
    return under is None or (age is not None and age < under)


def _has_flag(m: Member, wanted: frozenset) -> bool:
    return bool(m.flags) and not wanted.isdisjoint(m.flags)


def _children(family: Family, day: date, under: int | None = None) -> list[Member]:
    return [m for m, age in ages_on(family, day) if _is_child(m, age, under)]


FLAG_LABELS = {m.value: m.label for m in MemberFlag}


def _flags_text(flags) -> str:
    return "、".join(FLAG_LABELS.get(f, f) for f in sorted(flags))


def _who(m: Member) -> str:
    return m.name or "（姓名不詳）"


def _age_text(m: Member, day: date) -> str:
    age = m.age_on(day)
    return f"{age} 歲" if age is not None else "年齡不詳"


def evidence(rule: dict, family: Family, day: date, key: str) -> list[Fact]:
    """The facts that make ``rule`` hold for the family on ``day`` (empty: it does not hold)."""
    kind = rule["test"]
    if kind == "reports_in_year":
        refs = family.report_refs or ("",) * len(family.report_dates)
        within = [Fact(f"通報 {ref}".strip(), "通報紀錄", d)
                  for d, ref in zip(family.report_dates, refs) if day - timedelta(days=365) <= d <= day]
        return within if len(within) >= rule["min"] else []
    if kind == "placement_returned_within_days":
        return [Fact(f"{_who(m)} 結束安置返家", m.placement_source or m.source, m.placement_ended_on)
                for m in family.members if m.placement_ended_on is not None
                and 0 <= (day - m.placement_ended_on).days < rule["days"]]
    if kind in ("member_flag_any", "member_listed_any"):
        facts = [Fact(f"{_who(m)}：{_flags_text(set(m.flags) & set(rule['flags']))}", m.source)
                 for m in family.members if set(m.flags) & set(rule["flags"])]
        if kind == "member_listed_any":
            facts += [Fact(f"{x.person}：{x.label}", x.source, x.since or x.received_on)
                      for x in family.listed if x.source in rule["sources"]]
        return facts
    if kind == "manual":
        reason = family.manual.get(key, "").strip()
        return [Fact(reason, "社工勾選")] if reason else []
    if kind == "child_under_age":
        return [Fact(f"{_who(m)}（{_age_text(m, day)}）", m.source, m.birth_date)
                for m in _children(family, day, rule["age"])]
    if kind == "child_flag_any":
        return [Fact(f"{_who(m)}：{_flags_text(set(m.flags) & set(rule['flags']))}", m.source)
                for m in _children(family, day) if set(m.flags) & set(rule["flags"])]
    if kind == "parent_under_age":
        return [Fact(f"{_who(m)}（{_age_text(m, day)}）", m.source, m.birth_date) for m in family.members
                if m.relation in ("father", "mother") and m.age_on(day) is not None and m.age_on(day) < rule["age"]]
    if kind == "member_relation_any":
        return [Fact(f"{_who(m)}（{m.relation}）", m.source) for m in family.members if m.relation in rule["relations"]]
    if kind == "case_closed_within_days":
        return [Fact(f"個案 {no} 結案", "個案紀錄", closed) for closed, no in family.closings
                if 0 <= (day - closed).days < rule["days"]]
    raise RulesError(f"不認得的判斷方式：{kind}")


def holds(rule: dict, family: Family, day: date, key: str) -> bool:
    """Whether ``rule`` holds for the family on ``day``: ``bool(evidence(...))`` without building the
    facts (the campaign tests every rule on 100,000 families; the explanation is for the few shown).
    A property test keeps the two the same."""
    return test_of(rule, day, key)(family, ages_on(family, day))


def ages_on(family: Family, day: date) -> list:
    """Each member with its age on ``day``, worked out once for all the tests of a family."""
    return [(m, m.age_on(day)) for m in family.members]


def test_of(rule: dict, day: date, key: str) -> Callable[[Family, list], bool]:
    """The rule as a function of a family and its members' ages (``ages_on``), its parameters read once
    (``holds`` for many families)."""
    kind = rule["test"]
    if kind == "reports_in_year":
        start, need = day - timedelta(days=365), max(rule["min"], 1)
        return lambda f, ages: len(f.report_dates) >= need and sum(1 for d in f.report_dates if start <= d <= day) >= need
    if kind == "placement_returned_within_days":
        after = day - timedelta(days=rule["days"])  # 0 <= (day - ended).days < days
        return lambda f, ages: any(m.placement_ended_on is not None and after < m.placement_ended_on <= day
                             for m in f.members)
    if kind in ("member_flag_any", "member_listed_any"):
        wanted = frozenset(rule["flags"])
        if kind == "member_flag_any":
            return lambda f, ages: any(_has_flag(m, wanted) for m in f.members)
        sources = frozenset(rule["sources"])
        return lambda f, ages: (any(_has_flag(m, wanted) for m in f.members)
                          or any(x.source in sources for x in f.listed))
    if kind == "manual":
        return lambda f, ages: bool(f.manual) and bool(f.manual.get(key, "").strip())
    if kind == "child_under_age":
        under = rule["age"]
        return lambda f, ages: any(_is_child(m, a, under) for m, a in ages)
    if kind == "child_flag_any":
        wanted = frozenset(rule["flags"])
        return lambda f, ages: any(_has_flag(m, wanted) and _is_child(m, a) for m, a in ages)
    if kind == "parent_under_age":
        under = rule["age"]
        return lambda f, ages: any(a is not None and a < under and m.relation in ("father", "mother") for m, a in ages)
    if kind == "member_relation_any":
        relations = frozenset(rule["relations"])
        return lambda f, ages: any(m.relation in relations for m in f.members)
    if kind == "case_closed_within_days":
        after = day - timedelta(days=rule["days"])
        return lambda f, ages: any(after < closed <= day for closed, _ in f.closings)
    raise RulesError(f"不認得的判斷方式：{kind}")


def evaluate(family: Family, rules: dict, day: date) -> Verdict:
    """Does the family qualify on ``day`` (the campaign's first day), and by which indicators?"""
    return evaluator(rules, day)(family)


def evaluator(rules: dict, day: date) -> Callable[[Family], Verdict]:
    """``evaluate`` for one rule set and day, the rules read once: the campaign applies it to every open family."""
    gate = frozenset(rules["case_concerns"])
    tests = [(prefix + rule["code"], test_of(rule, day, prefix + rule["code"]))
             for level, prefix in (("level1", "1"), ("level2", "2")) for rule in rules[level]]
    q = rules["qualify"]
    level1_min, level2_min = q["level1_min"], q["level2_min"]
    adult = rules.get("adult_protection")
    if adult:
        adult_gate, adult_above = frozenset(adult["concerns"]), adult["tipvda_above"]
        young = test_of({"test": "child_under_age", "age": adult["child_under_age"]}, day, "AP")

    def verdict(family: Family) -> Verdict:
        indicators = ()
        if not gate.isdisjoint(family.concerns):
            ages = ages_on(family, day)
            indicators = tuple(key for key, test in tests if test(family, ages))
            ones = sum(1 for k in indicators if k[0] == "1")
            twos = len(indicators) - ones
            if ones >= level1_min or twos >= level2_min:
                return Verdict(True, indicators, "indicators", in_person=ones >= level1_min)
        if adult and not adult_gate.isdisjoint(family.concerns):
            if (family.tipvda_at_receipt or 0) > adult_above and young(family, ages_on(family, day)):
                return Verdict(True, ("AP",), "adult_protection", in_person=True)
        return Verdict(False, indicators, "", in_person=False)
    return verdict


def validate(rules: dict) -> dict:
    """Check a rule set the ministry edits: known tests, parameters present, thresholds sensible."""
    if not isinstance(rules, dict):
        raise RulesError("規則需為 JSON 物件。")
    required = ("level1", "level2") if rules.get("kind") == "flags" else ("case_concerns", "qualify", "level1", "level2")
    for key in required:
        if key not in rules:
            raise RulesError(f"缺少「{key}」。")
    q = rules.get("qualify", {"level1_min": 1, "level2_min": 1})
    if not (isinstance(q.get("level1_min"), int) and isinstance(q.get("level2_min"), int)
            and q["level1_min"] >= 1 and q["level2_min"] >= 1):
        raise RulesError("qualify 的 level1_min、level2_min 需為 1 以上的整數。")
    needs = NEEDS
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


def flags(family: Family, rules: dict, day: date) -> list[Flag]:
    """Every indicator of ``rules`` that holds for the family on ``day``, with the facts behind it (the
    household picture's risk flags: no qualifying threshold, each indicator is a flag of its level)."""
    concerns = set(family.concerns)
    gate = rules.get("case_concerns")
    out = []
    if not gate or concerns & set(gate):
        for level, prefix in (("level1", "1"), ("level2", "2")):
            for rule in rules[level]:
                facts = evidence(rule, family, day, prefix + rule["code"])
                if facts:
                    out.append(Flag(prefix + rule["code"], int(prefix), rule["label"], tuple(facts)))
    adult = rules.get("adult_protection")
    if adult and concerns & set(adult["concerns"]) and (family.tipvda_at_receipt or 0) > adult["tipvda_above"]:
        children = _children(family, day, adult["child_under_age"])
        if children:
            facts = [Fact(f"TIPVDA {family.tipvda_at_receipt} 分（> {adult['tipvda_above']}）", family.tipvda_source,
                          family.tipvda_on)]
            facts += [Fact(f"{_who(m)}（{_age_text(m, day)}）", m.source, m.birth_date) for m in children]
            out.append(Flag("AP", 1, adult["label"], tuple(facts)))
    return out

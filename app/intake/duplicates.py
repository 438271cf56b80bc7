"""Possible duplicates of a report among the reports of the last 90 days and the
county's open cases: same ID number; same name and date of birth; same phone or
address with a similar name. The open cases are searched by cases, which registers
its search here (``register_source``) when the app is made: intake names no case."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ..core.normalise import normalise_address, normalise_phone
from ..extensions import db
from .models import Report, ReportPerson

LOOKBACK_DAYS = 90


def similar_names(a: str, b: str) -> bool:
    """Same surname and at most one other character different (王小明 ~ 王曉明)."""
    a, b = (a or "").strip(), (b or "").strip()
    if not a or not b or a[0] != b[0]:
        return False
    if a == b:
        return True
    if len(a) != len(b):
        return False
    return sum(x != y for x, y in zip(a, b)) <= 1


@dataclass
class Match:
    kind: str  # report | case
    id: int
    label: str
    status: str
    reasons: list = field(default_factory=list)
    url: str = ""


@dataclass
class Probe:
    """What a search looks for, from one report (or a probe shaped like one)."""

    report: Any
    ids: set
    name_birth: set
    names: list
    phones: set
    address: str

    def reasons(self, person, other_address: str, *, phones: bool = True) -> list[str]:
        return _reasons(self.report, person, other_address, self.ids, self.name_birth, self.names,
                        self.phones if phones else set(), self.address)


# Another area's search: source(probe, add) calls add(kind, id, label, status, reason, url) per reason found.
Source = Callable[[Probe, Callable], None]
_sources: list[Source] = []


def register_source(source: Source) -> None:
    if source not in _sources:
        _sources.append(source)


def find_possible_duplicates(report) -> list[Match]:
    since = report.received_at - timedelta(days=LOOKBACK_DAYS)
    ids = {p.id_number for p in report.persons if p.id_number}
    name_birth = {(p.name, p.birth_date) for p in report.persons if p.name and p.birth_date}
    names = [p.name for p in report.persons if p.name]
    phones = {normalise_phone(p.phone) for p in report.persons if normalise_phone(p.phone)}
    address = normalise_address(report.address)

    matches: dict[tuple, Match] = {}

    def add(kind, obj_id, label, status, reason, url):
        match = matches.setdefault((kind, obj_id), Match(kind, obj_id, label, status, [], url))
        if reason not in match.reasons:
            match.reasons.append(reason)

    # Other reports of the last 90 days: the persons' and reports' few columns the reasons need, never
    # whole reports. Each statement is answered from an index: the same ID number, name and birth
    # date, phone digits (report_persons.phone_key) or address (reports.address_key); the weaker two
    # count only with a similar name, which is compared here.
    columns = (ReportPerson.id_number, ReportPerson.name, ReportPerson.birth_date, ReportPerson.phone,
               Report.id.label("report_id"), Report.report_no, Report.status, Report.address)
    window = sa.select(*columns).join(Report, Report.id == ReportPerson.report_id).where(
        Report.id != report.id, Report.received_at >= since)
    by_person = []  # one statement (the persons' indexes OR-ed), and one for the address
    if ids:
        by_person.append(ReportPerson.id_number.in_(ids))
    if name_birth:
        by_person.append(sa.tuple_(ReportPerson.name, ReportPerson.birth_date).in_(list(name_birth)))
    if names and phones:
        by_person.append(ReportPerson.phone_key.in_(phones))
    rows = list(db.session.execute(window.where(sa.or_(*by_person)))) if by_person else []
    if names and address:
        rows += db.session.execute(window.where(Report.address_key == address))
    for row in rows:
        for reason in _reasons(report, row, row.address, ids, name_birth, names, phones, address):
            add("report", row.report_id, f"通報 {row.report_no}", row.status.label, reason,
                f"/intake/reports/{row.report_id}")

    probe = Probe(report, ids, name_birth, names, phones, address)
    for source in _sources:  # members of open cases (cases)
        source(probe, add)
    return list(matches.values())


def _reasons(report, person, other_address, ids, name_birth, names, phones, address):
    reasons = []
    if person.id_number and person.id_number in ids:
        reasons.append(f"身分證號相同（{person.name or '姓名不詳'}）")
    if person.name and person.birth_date and (person.name, person.birth_date) in name_birth:
        reasons.append(f"姓名與出生日期相同（{person.name}）")
    if reasons:  # the same person by ID number or name and birth date: the weaker reasons add only lines
        return reasons
    similar = [n for n in names if similar_names(n, person.name)]
    if similar:
        names_said = f"姓名相同（{person.name}）" if similar[0] == person.name else f"姓名相近（{person.name}～{similar[0]}）"
        phone = normalise_phone(getattr(person, "phone", ""))
        if phone and phone in phones:
            reasons.append(f"電話相同且{names_said}")
        if address and normalise_address(other_address) == address:
            reasons.append(f"地址相同且{names_said}")
    return reasons

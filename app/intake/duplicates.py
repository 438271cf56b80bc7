"""Possible duplicates of a report among the county's open cases and the
reports of the last 90 days: same ID number; same name and date of birth;
same phone or address with a similar name."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db

LOOKBACK_DAYS = 90


def normalise_address(value: str) -> str:
    value = (value or "").translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)})
    value = value.replace("台", "臺").replace("之", "-")
    return re.sub(r"[\s,，。\.\-－]+", "", value)


def normalise_phone(value: str) -> str:
    return re.sub(r"\D", "", value or "")


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


def find_possible_duplicates(report) -> list[Match]:
    from ..cases.models import CaseMember, FamilyCase, OPEN_STATUSES
    from .models import Report, ReportPerson

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

    # Other reports of the last 90 days.
    conditions = []
    if ids:
        conditions.append(ReportPerson.id_number.in_(ids))
    if name_birth:
        conditions.append(sa.tuple_(ReportPerson.name, ReportPerson.birth_date).in_(list(name_birth)))
    if names and (phones or address):
        conditions.append(sa.func.substr(ReportPerson.name, 1, 1).in_({n[0] for n in names}))
    if conditions:
        rows = db.session.execute(
            sa.select(ReportPerson, Report)
            .join(Report, Report.id == ReportPerson.report_id)
            .where(Report.id != report.id, Report.received_at >= since, sa.or_(*conditions))
            .limit(200)
        ).all()
        for person, other in rows:
            for reason in _reasons(report, person, other.address, ids, name_birth, names, phones, address):
                add("report", other.id, f"通報 {other.report_no}", other.status.label, reason,
                    f"/intake/reports/{other.id}")

    # Members of open cases.
    case_conditions = []
    if ids:
        case_conditions.append(CaseMember.id_number.in_(ids))
    if name_birth:
        case_conditions.append(sa.tuple_(CaseMember.name, CaseMember.birth_date).in_(list(name_birth)))
    if names and address:
        case_conditions.append(sa.func.substr(CaseMember.name, 1, 1).in_({n[0] for n in names}))
    if case_conditions:
        rows = db.session.execute(
            sa.select(CaseMember, FamilyCase)
            .join(FamilyCase, FamilyCase.id == CaseMember.case_id)
            .where(FamilyCase.status.in_(OPEN_STATUSES), sa.or_(*case_conditions))
            .limit(200)
        ).all()
        for member, case in rows:
            for reason in _reasons(report, member, case.address, ids, name_birth, names, set(), address):
                add("case", case.id, f"個案 {case.case_no} {case.family_name}", case.status.label, reason,
                    f"/cases/{case.id}")
    return list(matches.values())


def _reasons(report, person, other_address, ids, name_birth, names, phones, address):
    reasons = []
    if person.id_number and person.id_number in ids:
        reasons.append(f"身分證號相同（{person.name or '姓名不詳'}）")
    if person.name and person.birth_date and (person.name, person.birth_date) in name_birth:
        reasons.append(f"姓名與出生日期相同（{person.name}）")
    similar = [n for n in names if similar_names(n, person.name)]
    if similar:
        phone = normalise_phone(getattr(person, "phone", ""))
        if phone and phone in phones:
            reasons.append(f"電話相同且姓名相近（{person.name}～{similar[0]}）")
        if address and normalise_address(other_address) == address:
            reasons.append(f"地址相同且姓名相近（{person.name}～{similar[0]}）")
    return reasons

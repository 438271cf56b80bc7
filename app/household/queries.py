"""The household picture (家戶圖像) of a report or a family case: what the county holds about its persons.

Persons are matched as duplicate detection matches them: by ID number; a person (or a row) without one by
name and birth date — never by name alone. The picture is built in a handful of narrow queries over rows
(not object graphs), whatever the number of persons: earlier reports, cases (with their lead unit), the
cases' TIPVDA scores, what other systems have sent. Another county's cases are looked up elsewhere
(``services.cases_elsewhere``): existence and the lead unit's contact only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from ..cases.models import (
    OPEN_STATUSES,
    CaseMember,
    CaseStatus,
    CaseTipvda,
    CaseUnit,
    CaseUnitRole,
    FamilyCase,
)
from ..cases.reference import MemberFlag
from ..core.calendar import to_taipei
from ..core.dates import age_on
from ..extensions import db
from ..intake.models import OPEN_REPORT_STATUSES, Report, ReportPerson
from ..intake.reference import PROTECTIVE, Concern
from ..tenants.models import Unit
from .models import ExternalStatus, RiskFlag, RiskSubject

ROW_LIMIT = 200  # rows per query: a picture is about a family, not a register
CLOSED_RECENTLY_DAYS = 365
PLACEMENT_DAYS = 183
WITHDRAWN_SHOWN_DAYS = 180
COUNTED_REPORT_CONCERNS = {c.value for c in PROTECTIVE} | {Concern.VULNERABLE_FAMILY.value}
SOURCE_LABELS = {"mental_health": "衛生局精神照護管理", "suicide_prevention": "自殺防治通報",
                 "drug_control": "毒品危害防制（毒危列管）"}
FLAG_LABELS = {m.value: m.label for m in MemberFlag}


def source_label(code: str) -> str:
    return SOURCE_LABELS.get(code, code)


@dataclass(frozen=True)
class Person:
    """A person of the report or case whose picture is drawn."""
    name: str
    id_number: str = ""
    birth_date: date | None = None
    relation: str = "other"
    estimated_age: int | None = None
    flags: tuple[str, ...] = ()
    placement_ended_on: date | None = None

    @property
    def label(self) -> str:
        return self.name or "（姓名不詳）"


def persons_of_report(report) -> list[Person]:
    return [Person(p.name, p.id_number, p.birth_date, getattr(p.relation, "value", p.relation), p.estimated_age)
            for p in report.persons]


def persons_of_case(case) -> list[Person]:
    return [Person(m.name, m.id_number, m.birth_date, getattr(m.relation, "value", m.relation), m.estimated_age,
                   tuple(m.flags or ()), m.placement_ended_on) for m in case.members if m.ended_on is None]


@dataclass
class EarlierReport:
    id: int
    report_no: str
    received_at: datetime
    status: str
    outcome: str
    concerns: tuple
    persons: list = field(default_factory=list)

    @property
    def counted(self) -> bool:
        return bool(set(self.concerns) & COUNTED_REPORT_CONCERNS)


@dataclass
class CaseRow:
    id: int
    case_no: str
    status: CaseStatus
    lead_unit: str
    received_at: datetime
    closed_at: datetime | None
    assigned_worker_id: int | None
    persons: list = field(default_factory=list)
    tipvda: list = field(default_factory=list)  # [(score, assessed_at)], oldest first

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_closed(self) -> bool:
        """Closed, or ended without opening (不開案): the case's end, as re-report detection counts it."""
        return self.status in (CaseStatus.CLOSED, CaseStatus.NOT_OPENED) and self.closed_at is not None


@dataclass
class MemberFact:
    person: str
    what: str
    case_no: str
    on: date | None = None


@dataclass
class ExternalRow:
    person: str
    source: str
    status_label: str
    since: date | None
    received_at: datetime
    withdrawn_at: datetime | None
    withdraw_reason: str

    @property
    def source_label(self) -> str:
        return source_label(self.source)


@dataclass
class Picture:
    on: date
    persons: list
    reports: list = field(default_factory=list)
    cases: list = field(default_factory=list)
    member_facts: dict = field(default_factory=dict)  # (person label) -> {"flags": {flag: case_no}, "placement": (date, case_no)}
    external: list = field(default_factory=list)
    own_tipvda: list = field(default_factory=list)  # the case's own scores [(score, at)]
    queries: int = 0

    @property
    def open_cases(self) -> list:
        return [c for c in self.cases if c.is_open]

    @property
    def closed_recently(self) -> list:
        return [c for c in self.cases if c.is_closed
                and 0 <= (self.on - to_taipei(c.closed_at).date()).days < CLOSED_RECENTLY_DAYS]

    @property
    def placements(self) -> list[MemberFact]:
        out = [MemberFact(p.label, "結束安置返家", "", p.placement_ended_on) for p in self.persons
               if p.placement_ended_on and 0 <= (self.on - p.placement_ended_on).days < PLACEMENT_DAYS]
        for who, facts in self.member_facts.items():
            placed = facts.get("placement")
            if placed and 0 <= (self.on - placed[0]).days < PLACEMENT_DAYS \
                    and not any(f.person == who and f.on == placed[0] for f in out):
                out.append(MemberFact(who, "結束安置返家", placed[1], placed[0]))
        return out

    @property
    def children_under_6(self) -> list[tuple[str, int]]:
        out = []
        for p in self.persons:
            age = age_on(p.birth_date, self.on, p.estimated_age)
            if age is not None and age < 6:
                out.append((p.label, age))
        return out

    @property
    def disabilities(self) -> list[MemberFact]:
        """Where the county records disability: a case member's flags (身心障礙, 發展遲緩)."""
        out = []
        for p in self.persons:
            for flag in p.flags:
                if flag in ("disability", "developmental_delay"):
                    out.append(MemberFact(p.label, FLAG_LABELS[flag], ""))
        for who, facts in self.member_facts.items():
            for flag, case_no in facts.get("flags", {}).items():
                if flag in ("disability", "developmental_delay") and not any(
                        f.person == who and f.what == FLAG_LABELS[flag] for f in out):
                    out.append(MemberFact(who, FLAG_LABELS[flag], case_no))
        return out

    @property
    def active_external(self) -> list[ExternalRow]:
        return [x for x in self.external if x.withdrawn_at is None]

    @property
    def withdrawn_external(self) -> list[ExternalRow]:
        return [x for x in self.external if x.withdrawn_at is not None]

    @property
    def empty(self) -> bool:
        return not (self.reports or self.cases or self.external or self.children_under_6 or self.member_facts)


# --- matching ------------------------------------------------------------------------------------------

def match_condition(persons, id_col, name_col, birth_col):
    """Rows naming one of ``persons``: the same ID number; or the same name and birth date when the
    person or the row has no ID number. None when nobody can be matched (no ID, no name with a birth date)."""
    ids = {p.id_number.upper() for p in persons if p.id_number}
    without_id = {(p.name, p.birth_date) for p in persons if not p.id_number and p.name and p.birth_date}
    with_id = {(p.name, p.birth_date) for p in persons if p.id_number and p.name and p.birth_date}
    conditions = []
    if ids:
        conditions.append(id_col.in_(ids))
    if without_id or with_id:
        # led by the (name, birth date) pair, so an index on it is used (never "every row without an ID")
        pair = sa.tuple_(name_col, birth_col)
        either = sa.or_(id_col == "", pair.in_(list(without_id))) if without_id else (id_col == "")
        conditions.append(sa.and_(pair.in_(list(without_id | with_id)), either))
    return sa.or_(*conditions) if conditions else None


def who(persons, id_number: str, name: str, birth_date: date | None) -> Person | None:
    """Which of ``persons`` a row names (the condition above, in Python)."""
    for p in persons:
        if p.id_number and id_number and p.id_number.upper() == id_number.upper():
            return p
    for p in persons:
        if (not p.id_number or not id_number) and p.name and p.birth_date and (p.name, p.birth_date) == (name, birth_date):
            return p
    return None


# --- the picture ---------------------------------------------------------------------------------------

def _outcome(status, invalid_reason, lead, referred_to, transferred) -> str:
    value = getattr(status, "value", status)
    if value == "dispatched":
        return f"派案：{lead}" if lead else "派案"
    if value == "screened_out":
        return f"不受理：{invalid_reason.label}" if invalid_reason is not None else "不受理"
    if value == "referred":
        return f"轉介：{referred_to}" if referred_to else "轉介"
    if value == "transferred":
        return "移轉他縣市"
    return "尚未決定"


@dataclass(frozen=True)
class Subject:
    """Whose picture: a report's or a case's persons, leaving out the record itself."""
    key: tuple
    persons: tuple
    exclude_report_id: int | None = None
    exclude_case_id: int | None = None
    own_case_id: int | None = None


def picture(persons: list[Person], *, county_id: int, on: date, exclude_report_id: int | None = None,
            exclude_case_id: int | None = None, own_case_id: int | None = None) -> Picture:
    """The county's picture of ``persons`` on ``on``. Every query names the county (besides the session's
    tenant scope and RLS), so a picture is never drawn from another county's rows."""
    subject = Subject(("one",), tuple(persons), exclude_report_id, exclude_case_id, own_case_id)
    return pictures([subject], county_id=county_id, on=on)[subject.key]


def pictures(subjects: list[Subject], *, county_id: int, on: date) -> dict[tuple, Picture]:
    """The pictures of many reports or cases of one county in the same four queries (rows of the union of
    their persons, each row then given to the subjects whose persons it names): re-evaluating every open
    report and case that names a person costs the same whatever their number."""
    pics = {s.key: Picture(on=on, persons=list(s.persons)) for s in subjects}
    everyone = [p for s in subjects for p in s.persons]
    limit = ROW_LIMIT * max(1, len(subjects))
    queries = 0
    rp = match_condition(everyone, ReportPerson.id_number, ReportPerson.name, ReportPerson.birth_date)
    if rp is not None:
        queries += 3
        _reports(subjects, pics, _report_rows(sa.and_(ReportPerson.tenant_id == county_id, rp), limit))
        cm = match_condition(everyone, CaseMember.id_number, CaseMember.name, CaseMember.birth_date)
        _cases(subjects, pics, _case_rows(sa.and_(CaseMember.tenant_id == county_id, cm), limit))
        ex = match_condition(everyone, ExternalStatus.id_number, ExternalStatus.name, ExternalStatus.birth_date)
        _external(subjects, pics, _external_rows(sa.and_(ExternalStatus.tenant_id == county_id, ex), on, limit))
    case_ids = {c.id for pic in pics.values() for c in pic.cases} | {s.own_case_id for s in subjects if s.own_case_id}
    if case_ids:
        queries += 1
        _tipvda(subjects, pics, _tipvda_rows(case_ids, county_id))
    for pic in pics.values():
        pic.queries = queries
    return pics


def _report_rows(condition, limit):
    lead = sa.orm.aliased(Unit)
    return db.session.execute(
        sa.select(Report.id, Report.report_no, Report.received_at, Report.status, Report.concerns,
                  Report.invalid_reason, Report.referred_to, Report.transferred_to_county_id, lead.name,
                  ReportPerson.id_number, ReportPerson.name, ReportPerson.birth_date)
        .join(Report, Report.id == ReportPerson.report_id).outerjoin(lead, lead.id == Report.lead_unit_id)
        .where(condition).order_by(Report.received_at.desc()).limit(limit)).all()


def _naming(subject: Subject, rows, exclude_id, person_at: slice):
    """The rows (record id first) naming one of the subject's persons, with that person; not the subject itself."""
    for row in rows:
        if row[0] != exclude_id:
            person = who(subject.persons, *row[person_at])
            if person is not None:
                yield row, person


def _reports(subjects, pics, rows) -> None:
    for s in subjects:
        seen: dict[int, EarlierReport] = {}
        for row, person in _naming(s, rows, s.exclude_report_id, slice(9, 12)):
            rid, no, received, status, concerns, invalid, referred, transferred, lead_name = row[:9]
            if rid not in seen:
                seen[rid] = EarlierReport(rid, no, received, status.label,
                                          _outcome(status, invalid, lead_name, referred, transferred),
                                          tuple(concerns or ()))
                pics[s.key].reports.append(seen[rid])
            if person.label not in seen[rid].persons:
                seen[rid].persons.append(person.label)


def _case_rows(condition, limit):
    return db.session.execute(
        sa.select(FamilyCase.id, FamilyCase.case_no, FamilyCase.status, FamilyCase.received_at,
                  FamilyCase.closed_at, FamilyCase.assigned_worker_id, Unit.name, CaseMember.id_number,
                  CaseMember.name, CaseMember.birth_date, CaseMember.flags, CaseMember.placement_ended_on)
        .join(FamilyCase, FamilyCase.id == CaseMember.case_id)
        .outerjoin(CaseUnit, sa.and_(CaseUnit.case_id == FamilyCase.id, CaseUnit.role == CaseUnitRole.LEAD))
        .outerjoin(Unit, Unit.id == CaseUnit.unit_id)
        .where(condition).order_by(FamilyCase.received_at.desc()).limit(limit)).all()


def _cases(subjects, pics, rows) -> None:
    for s in subjects:
        pic, seen = pics[s.key], {}
        for row, person in _naming(s, rows, s.exclude_case_id, slice(7, 10)):
            cid, no, status, received, closed, worker, lead = row[:7]
            flags, placed = row[10], row[11]
            if cid not in seen:
                seen[cid] = CaseRow(cid, no, status, lead or "", received, closed, worker)
                pic.cases.append(seen[cid])
            if person.label not in seen[cid].persons:
                seen[cid].persons.append(person.label)
            facts = pic.member_facts.setdefault(person.label, {})
            for flag in flags or ():
                facts.setdefault("flags", {}).setdefault(flag, no)
            if placed and (facts.get("placement") is None or facts["placement"][0] < placed):
                facts["placement"] = (placed, no)


def _external_rows(condition, on: date, limit):
    since = datetime.combine(on - timedelta(days=WITHDRAWN_SHOWN_DAYS), time.min, tzinfo=UTC)
    return db.session.execute(
        sa.select(ExternalStatus.id_number, ExternalStatus.name, ExternalStatus.birth_date, ExternalStatus.source,
                  ExternalStatus.status_label, ExternalStatus.since, ExternalStatus.received_at,
                  ExternalStatus.withdrawn_at, ExternalStatus.withdraw_reason)
        .where(condition, sa.or_(ExternalStatus.withdrawn_at.is_(None), ExternalStatus.withdrawn_at >= since))
        .order_by(ExternalStatus.received_at.desc(), ExternalStatus.id.desc()).limit(limit)).all()


def _external(subjects, pics, rows) -> None:
    for s in subjects:
        for id_number, name, birth, source, label, since_on, received, withdrawn, reason in rows:
            person = who(s.persons, id_number, name, birth)
            if person is not None:
                pics[s.key].external.append(ExternalRow(person.label, source, label, since_on, received, withdrawn,
                                                        reason))


def _tipvda_rows(case_ids, county_id: int):
    return db.session.execute(
        sa.select(CaseTipvda.case_id, CaseTipvda.score, CaseTipvda.assessed_at)
        .where(CaseTipvda.tenant_id == county_id, CaseTipvda.case_id.in_(case_ids))
        .order_by(CaseTipvda.assessed_at, CaseTipvda.id)).all()


def _tipvda(subjects, pics, rows) -> None:
    for s in subjects:
        pic = pics[s.key]
        by_case = {c.id: c for c in pic.cases}
        for case_id, score, at in rows:
            if case_id == s.own_case_id:
                pic.own_tipvda.append((score, at))
            elif case_id in by_case:
                by_case[case_id].tipvda.append((score, at))


def subject_of_report(report) -> Subject:
    return Subject((RiskSubject.REPORT, report.id), tuple(persons_of_report(report)), exclude_report_id=report.id)


def subject_of_case(case) -> Subject:
    return Subject((RiskSubject.CASE, case.id), tuple(persons_of_case(case)), exclude_case_id=case.id,
                   own_case_id=case.id)


def picture_of_report(report, on: date) -> Picture:
    s = subject_of_report(report)
    return pictures([s], county_id=report.tenant_id, on=on)[s.key]


def picture_of_case(case, on: date) -> Picture:
    s = subject_of_case(case)
    return pictures([s], county_id=case.tenant_id, on=on)[s.key]


# --- stored flags --------------------------------------------------------------------------------------

def flags_of(subject: RiskSubject, subject_id: int) -> list[RiskFlag]:
    return list(db.session.scalars(sa.select(RiskFlag).where(RiskFlag.subject == subject,
                                                             RiskFlag.subject_id == subject_id)
                                   .order_by(RiskFlag.level, RiskFlag.key)))


def flags_by_report(report_ids: list[int]) -> dict[int, list[RiskFlag]]:
    """The flags of a page of reports, in one query."""
    out: dict[int, list[RiskFlag]] = {}
    if not report_ids:
        return out
    for flag in db.session.scalars(sa.select(RiskFlag).where(RiskFlag.subject == RiskSubject.REPORT,
                                                             RiskFlag.subject_id.in_(report_ids))
                                   .order_by(RiskFlag.level, RiskFlag.key)):
        out.setdefault(flag.subject_id, []).append(flag)
    return out


def report_top_level(report_id_column):
    """A correlated subquery: the report's highest flag level (1 above 2; NULL without flags), for the
    queue's sort and filter (the open queue is short: one index look-up per row)."""
    return (sa.select(sa.func.min(RiskFlag.level)).where(RiskFlag.subject == RiskSubject.REPORT,
                                                        RiskFlag.subject_id == report_id_column)
            .correlate_except(RiskFlag).scalar_subquery())


def open_subjects_naming(persons, county_id: int) -> tuple[set[int], set[int]]:
    """The open reports and open cases that name one of ``persons`` (whose flags a new fact may change)."""
    reports, cases = set(), set()
    rp = match_condition(persons, ReportPerson.id_number, ReportPerson.name, ReportPerson.birth_date)
    if rp is None:
        return reports, cases
    reports.update(db.session.scalars(
        sa.select(ReportPerson.report_id).join(Report, Report.id == ReportPerson.report_id)
        .where(ReportPerson.tenant_id == county_id, rp, Report.status.in_(OPEN_REPORT_STATUSES)).distinct().limit(ROW_LIMIT)))
    cm = match_condition(persons, CaseMember.id_number, CaseMember.name, CaseMember.birth_date)
    cases.update(db.session.scalars(
        sa.select(CaseMember.case_id).join(FamilyCase, FamilyCase.id == CaseMember.case_id)
        .where(CaseMember.tenant_id == county_id, cm, FamilyCase.status.in_(OPEN_STATUSES)).distinct().limit(ROW_LIMIT)))
    return reports, cases

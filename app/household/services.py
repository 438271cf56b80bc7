"""The household area's public services. They never commit: the request or job at the edge does."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..audit import services as audit
from ..audit.models import AuditAction
from ..cases.models import OPEN_STATUSES, CaseMember, CaseUnit, CaseUnitRole, FamilyCase
from ..core import calendar, tenancy
from ..core.calendar import to_taipei
from ..core.errors import Invalid
from ..core.models import utcnow
from ..extensions import db
from ..intake.models import OPEN_REPORT_STATUSES, Report
from ..referrals import notify
from ..tenants.models import County, Unit
from . import queries as Q
from . import rules as R
from .models import ExternalStatus, RiskFlag, RiskSubject


class ExternalStatusError(Invalid):
    pass


def record_external_status(*, source: str, source_ref: str, status: str, status_label: str = "",
                           id_number: str = "", name: str = "", birth_date: date | None = None,
                           since: date | None = None, note: str = "", client_id: int | None = None) -> ExternalStatus:
    """Another system says this person is under its 列管. Sending the same ``source_ref`` again updates the
    row (and re-opens it if it had been withdrawn). The county is the session's tenant."""
    if not (source or "").strip() or not (source_ref or "").strip() or not (status or "").strip():
        raise ExternalStatusError("缺少來源系統、來源識別碼或列管狀態。")
    if not id_number and not (name and birth_date):
        raise ExternalStatusError("請提供身分證號，或姓名與出生日期，才能比對個人。")
    row = db.session.scalar(sa.select(ExternalStatus).where(ExternalStatus.source == source,
                                                            ExternalStatus.source_ref == source_ref))
    if row is None:
        row = ExternalStatus(source=source, source_ref=source_ref)
        db.session.add(row)
    else:  # the person it named before may lose a flag
        persons_changed(row.tenant_id, [Q.Person(row.name, row.id_number, row.birth_date)])
    row.client_id = client_id
    row.id_number, row.name, row.birth_date = (id_number or "").upper(), name or "", birth_date
    row.status, row.status_label, row.since, row.note = status, status_label or status, since, note or ""
    row.received_at = utcnow()
    row.withdrawn_at, row.withdraw_reason = None, ""
    db.session.flush()
    persons_changed(row.tenant_id, [Q.Person(row.name, row.id_number, row.birth_date)])
    return row


def withdraw_external_status(*, source: str, source_ref: str, reason: str = "") -> ExternalStatus | None:
    """The sender ends its 列管 (解除列管). Returns the row, or None when nothing was sent under that reference."""
    row = db.session.scalar(sa.select(ExternalStatus).where(ExternalStatus.source == source,
                                                            ExternalStatus.source_ref == source_ref))
    if row is None:
        return None
    if row.withdrawn_at is None:
        row.withdrawn_at = utcnow()
        row.withdraw_reason = reason or ""
        db.session.flush()
        persons_changed(row.tenant_id, [Q.Person(row.name, row.id_number, row.birth_date)])
    return row


# --- Risk flags (風險預警) -------------------------------------------------------------------------------

RULES_FILE = Path(__file__).with_name("data") / "risk_flags.json"
PENDING_KEY = "household_pending"


@lru_cache
def rule_versions() -> tuple[dict, ...]:
    """The rule sets, oldest first; each names the day it applies from (data, versioned)."""
    versions = json.loads(RULES_FILE.read_text(encoding="utf-8"))["versions"]
    for v in versions:
        R.validate(v)
    return tuple(sorted(versions, key=lambda v: v["effective_from"]))


def rules_in_force(on: date) -> dict:
    applicable = [v for v in rule_versions() if date.fromisoformat(v["effective_from"]) <= on]
    return applicable[-1] if applicable else rule_versions()[0]


def _family(pic: Q.Picture, *, own: str, concerns, report_dates, report_refs, tipvda, tipvda_source,
            tipvda_on) -> R.Family:
    members = []
    for p in pic.persons:
        facts = pic.member_facts.get(p.label, {})
        flags = set(p.flags) | set(facts.get("flags", {}))
        source = "、".join(sorted({f"個案 {no}" for no in facts.get("flags", {}).values()})) or own
        placed, placed_source = p.placement_ended_on, own
        if facts.get("placement") and (placed is None or facts["placement"][0] > placed):
            placed, placed_source = facts["placement"][0], f"個案 {facts['placement'][1]}"
        members.append(R.Member(p.relation, p.birth_date, p.estimated_age, tuple(sorted(flags)), placed,
                                name=p.label, source=source, placement_source=placed_source))
    dates, refs = list(report_dates), list(report_refs)
    for r in pic.reports:
        if r.counted:
            dates.append(to_taipei(r.received_at).date())
            refs.append(r.report_no)
    listed = tuple(R.Listed(x.source, x.status_label, x.person, x.since, to_taipei(x.received_at).date())
                   for x in pic.active_external)
    closings = tuple((to_taipei(c.closed_at).date(), c.case_no) for c in pic.cases if c.is_closed)
    return R.Family(case_id=0, concerns=tuple(concerns or ()), members=tuple(members), report_dates=tuple(dates),
                    report_refs=tuple(refs), tipvda_at_receipt=tipvda, tipvda_source=tipvda_source,
                    tipvda_on=tipvda_on, listed=listed, closings=closings)


def family_of_report(report, pic: Q.Picture) -> R.Family:
    counted = set(report.concerns or ()) & Q.COUNTED_REPORT_CONCERNS
    received = to_taipei(report.received_at).date()
    return _family(pic, own=f"通報 {report.report_no}", concerns=report.concerns,
                   report_dates=[received] if counted else [], report_refs=[report.report_no] if counted else [],
                   tipvda=report.tipvda_score, tipvda_source=f"通報 {report.report_no}", tipvda_on=received)


def family_of_case(case, pic: Q.Picture) -> R.Family:
    score, at = pic.own_tipvda[-1] if pic.own_tipvda else (None, None)
    return _family(pic, own=f"個案 {case.case_no} 成員資料", concerns=case.concerns, report_dates=[], report_refs=[],
                   tipvda=score, tipvda_source=f"個案 {case.case_no} TIPVDA",
                   tipvda_on=to_taipei(at).date() if at else None)


def _subject(subject: RiskSubject, record) -> Q.Subject:
    return Q.subject_of_report(record) if subject == RiskSubject.REPORT else Q.subject_of_case(record)


def _family_of(subject: RiskSubject, record, pic: Q.Picture) -> R.Family:
    return family_of_report(record, pic) if subject == RiskSubject.REPORT else family_of_case(record, pic)


def compute(subject: RiskSubject, record, on: date | None = None) -> list[R.Flag]:
    """The flags of a report or case from scratch (nothing stored)."""
    on = on or calendar.today()
    s = _subject(subject, record)
    pic = Q.pictures([s], county_id=record.tenant_id, on=on)[s.key]
    return R.flags(_family_of(subject, record, pic), rules_in_force(on), on)


def reevaluate(subject: RiskSubject, record, on: date | None = None) -> list[RiskFlag]:
    """Recompute and store the flags of one open report or open case; returns the flags gained."""
    return reevaluate_many(record.tenant_id, [(subject, record)], on)


def reevaluate_many(county_id: int, records: list[tuple[RiskSubject, object]], on: date | None = None) -> list[RiskFlag]:
    """Recompute and store the flags of open reports and open cases of one county, in a fixed number of
    queries whatever their number (one batch of pictures, one read of the stored flags, batched writes).
    A closed case keeps no flags; a decided report keeps the flags the dispatcher saw. Returns the flags
    gained; the worker of an open case that gains a 一級 flag is notified."""
    on = on or calendar.today()
    now = utcnow()
    version = rules_in_force(on)
    live, ended_cases = [], []
    for subject, record in records:
        if subject == RiskSubject.REPORT:
            if record.status in OPEN_REPORT_STATUSES:
                live.append((subject, record))
        elif record.status in OPEN_STATUSES:
            live.append((subject, record))
        else:
            ended_cases.append(record.id)
    keys = [(subject, record.id) for subject, record in live] + [(RiskSubject.CASE, i) for i in ended_cases]
    if not keys:
        return []
    stored: dict[tuple, dict[str, RiskFlag]] = {}
    for flag in db.session.scalars(sa.select(RiskFlag).where(
            RiskFlag.tenant_id == county_id,
            sa.or_(*[sa.and_(RiskFlag.subject == subject, RiskFlag.subject_id.in_(
                [i for s, i in keys if s == subject])) for subject in {s for s, _ in keys}]))):
        stored.setdefault((flag.subject, flag.subject_id), {})[flag.key] = flag
    for case_id in ended_cases:
        for flag in stored.get((RiskSubject.CASE, case_id), {}).values():
            db.session.delete(flag)
    subjects = {(subject, record.id): _subject(subject, record) for subject, record in live}
    pics = Q.pictures(list(subjects.values()), county_id=county_id, on=on) if subjects else {}
    gained, updates = [], []
    for subject, record in live:
        pic = pics[subjects[(subject, record.id)].key]
        computed = {f.key: f for f in R.flags(_family_of(subject, record, pic), version, on)}
        had = stored.get((subject, record.id), {})
        for key, flag in had.items():
            if key not in computed:
                db.session.delete(flag)
        new_first = []
        for key, flag in computed.items():
            facts = [fact.as_dict() for fact in flag.facts]
            row = had.get(key)
            if row is None:
                row = RiskFlag(tenant_id=county_id, subject=subject, subject_id=record.id, key=key, level=flag.level,
                               label=flag.label, facts=facts, rules_version=version["version"], raised_at=now,
                               evaluated_at=now)
                db.session.add(row)
                gained.append(row)
                if flag.level == 1:
                    new_first.append(row)
            elif (row.level, row.label, row.facts, row.rules_version) != (flag.level, flag.label, facts,
                                                                           version["version"]):
                updates.append({"id": row.id, "level": flag.level, "label": flag.label, "facts": facts,
                                "rules_version": version["version"], "evaluated_at": now})
        if subject == RiskSubject.CASE and record.assigned_worker_id and new_first:
            notify.notify([record.assigned_worker_id],
                          f"個案 {record.case_no}（{record.family_name}）新增一級風險預警："
                          + "；".join(f.label for f in new_first), f"/cases/{record.id}")
    db.session.flush()  # inside the county's scope
    if updates:  # one statement for all the changed flags (ORM bulk update by primary key)
        db.session.execute(sa.update(RiskFlag), updates)
        changed = {u["id"] for u in updates}
        for row in (f for flags in stored.values() for f in flags.values() if f.id in changed):
            db.session.expire(row)
    return gained


# --- When new facts arrive: the owning areas' hooks mark what changed; the flags are recomputed once,
# when the transaction commits (the request's or job's edge), over every open report and case naming
# the persons concerned.

def _pending(session=None) -> dict:
    session = session or db.session
    return session.info.setdefault(PENDING_KEY, {"reports": [], "cases": [], "persons": []})


def report_changed(report) -> None:
    _pending()["reports"].append(report)


def case_changed(case) -> None:
    _pending()["cases"].append(case)


def persons_changed(county_id: int, persons: list[Q.Person]) -> None:
    _pending()["persons"].extend((county_id, p) for p in persons)


def process_pending(session) -> None:
    """Recompute the flags of what the transaction marked and of every open report and case naming the
    same persons, county by county (each in its own tenant scope)."""
    pending = session.info.pop(PENDING_KEY, None)
    if not pending or not any(pending.values()):
        return
    by_county: dict[int, dict] = {}

    def county(tid):
        return by_county.setdefault(tid, {"persons": [], "reports": {}, "cases": {}})

    for tid, person in pending["persons"]:
        county(tid)["persons"].append(person)
    for kind in ("reports", "cases"):
        for obj in pending[kind]:
            key = _identity(obj, session)
            if key is not None:
                county(key[1])[kind][key[0]] = obj
    on = calendar.today()
    for tid, work in by_county.items():
        with tenancy.tenant_scope(tid, session):
            _reevaluate_county(tid, work, on)
    session.info.pop(PENDING_KEY, None)  # what the re-evaluation itself marked


def _identity(obj, session) -> tuple[int, int] | None:
    """(id, county) of a marked report or case without loading it outside its county: a record marked
    before an earlier commit is expired, and reading it with no county set would find no row (RLS)."""
    state = sa.inspect(obj)
    if state.identity is None:
        return None  # never flushed: nothing to re-evaluate
    tenant_id = state.dict.get("tenant_id")
    if tenant_id is None:
        with tenancy.all_tenants("household: the county of a record marked before the last commit", session):
            tenant_id = session.scalar(sa.select(type(obj).tenant_id).where(type(obj).id == state.identity[0]))
    return (state.identity[0], tenant_id) if tenant_id is not None else None


def _reevaluate_county(county_id: int, work: dict, on: date) -> None:
    reports, cases = work["reports"], work["cases"]
    persons = list(work["persons"])
    for r in reports.values():
        persons += Q.persons_of_report(r)
    for c in cases.values():
        persons += Q.persons_of_case(c)
    report_ids, case_ids = Q.open_subjects_naming(persons, county_id)
    report_ids -= set(reports)
    case_ids -= set(cases)
    if report_ids:
        reports.update({r.id: r for r in db.session.scalars(sa.select(Report).where(
            Report.tenant_id == county_id, Report.id.in_(report_ids)).options(selectinload(Report.persons)))})
    if case_ids:
        cases.update({c.id: c for c in db.session.scalars(sa.select(FamilyCase).where(
            FamilyCase.tenant_id == county_id, FamilyCase.id.in_(case_ids)).options(selectinload(FamilyCase.members)))})
    reevaluate_many(county_id, [(RiskSubject.REPORT, r) for r in reports.values()]
                    + [(RiskSubject.CASE, c) for c in cases.values()], on)


def discard_pending(session, *args) -> None:
    session.info.pop(PENDING_KEY, None)


# --- Across counties: existence and the lead unit's contact, nothing else ---------------------------------

CROSS_COUNTY_RECORD = "cross_county_cases"  # the audit log's name of the cross-county look-up


@dataclass(frozen=True)
class Elsewhere:
    county: str
    unit: str
    phone: str


def cases_elsewhere(persons: list[Q.Person], county_id: int, *, record_type: str, record_id: int) -> list[Elsewhere]:
    """Whether another county has an open case naming one of ``persons``, and whom to call there: the
    county's name, the case's lead unit and its phone. The one cross-county read of the household
    picture, audited; it reads no other column of the other county's case or members."""
    condition = Q.match_condition(persons, CaseMember.id_number, CaseMember.name, CaseMember.birth_date)
    if condition is None:
        return []
    with tenancy.all_tenants("household picture: an open case of the same person in another county "
                             "(existence and the lead unit's contact only)"):
        rows = db.session.execute(
            sa.select(County.name, Unit.name, Unit.phone).select_from(CaseMember)
            .join(FamilyCase, FamilyCase.id == CaseMember.case_id)
            .join(CaseUnit, sa.and_(CaseUnit.case_id == FamilyCase.id, CaseUnit.role == CaseUnitRole.LEAD))
            .join(Unit, Unit.id == CaseUnit.unit_id).join(County, County.id == FamilyCase.tenant_id)
            .where(condition, FamilyCase.tenant_id != county_id, FamilyCase.status.in_(OPEN_STATUSES))
            .distinct().order_by(County.name, Unit.name).limit(20)).all()
    found = [Elsewhere(*row) for row in rows]
    audit.record(AuditAction.READ, record_type=CROSS_COUNTY_RECORD, record_id=f"{record_type}/{record_id}", tenant_id=county_id,
                 summary=f"跨縣市查詢他縣市是否有同一人之個案（僅存在與主責單位聯絡方式）：{len(found)} 筆")
    return found

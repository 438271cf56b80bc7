"""The campaign's workflow rules: rule versions, opening a campaign, a county's
visit list (computed from its open cases, reproducible, each entry naming the
rule version that chose it), manual indicators, and the visiting unit.

Rules: the list for a day is a function of the data and the rule version (run
twice, it is the same list); ages are taken on the campaign's first day;
every family has exactly one visiting unit (the case's lead unit unless the
county changes it); entries added from network lists are kept when the list is
recomputed.
"""
from __future__ import annotations

import csv
import functools
import gc
import io
import json
import re
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from ..audit import services as audit
from ..audit.models import AuditAction
from ..cases import services as cases
from ..cases.models import OPEN_STATUSES, CaseMember, CaseUnit, CaseUnitRole, FamilyCase
from ..cases.services import find_by_number
from ..core.errors import Invalid
from ..core import bulk, deadlines, documents, jobs
from ..core.filters import roc_date, to_taipei
from ..core.models import utcnow
from ..extensions import db
from ..intake import services as intake
from ..intake.models import Report
from ..intake.reference import PROTECTIVE, Concern, ReportingChannel
from ..tenants.models import County, Unit, UnitKind, partner_organisation_counties as served
from ..tenants.services import active_county_units
from ..household import rules as R
from .models import (
    Campaign,
    CampaignVisit,
    DutyContact,
    EntrySource,
    ListRun,
    ManualIndicator,
    NetworkKind,
    RuleSet,
    VisitEntry,
    VisitMethod,
)

SEED_RULES = Path(__file__).with_name("data") / "rules_2019.json"
COUNTED_REPORT_CONCERNS = {c.value for c in PROTECTIVE} | {Concern.VULNERABLE_FAMILY.value}


class CampaignError(Invalid):
    pass


def today() -> date:
    return to_taipei(utcnow()).date()


# --- Rule versions and campaigns (the ministry) ------------------------------------------------------

def rules_in_force() -> RuleSet:
    """The newest rule version; the first call installs seed 004's rules as version 1."""
    latest = db.session.scalars(sa.select(RuleSet).order_by(RuleSet.version.desc())).first()
    if latest is None:
        latest = RuleSet(version=1, rules=json.loads(SEED_RULES.read_text(encoding="utf-8")),
                         note="依「春節加強關懷弱勢實施計畫」（seed 004）")
        db.session.add(latest)
        db.session.flush()
    return latest


def save_rules(text: str, note: str, user) -> RuleSet:
    """A new version from the ministry's edit (JSON); earlier versions stay as they were."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CampaignError(f"規則不是正確的 JSON（第 {exc.lineno} 行第 {exc.colno} 字）。") from None
    try:
        R.validate(parsed)
    except R.RulesError as exc:
        raise CampaignError(str(exc)) from None
    if not note.strip():
        raise CampaignError("請說明這一版改了什麼。")
    current = rules_in_force()
    version = RuleSet(version=current.version + 1, rules=parsed, note=note.strip(), created_by_id=getattr(user, "id", None))
    db.session.add(version)
    db.session.flush()
    return version


def open_campaign(name: str, holiday_start: date, holiday_end: date, user, *, starts_on: date | None = None,
                  ends_on: date | None = None) -> Campaign:
    if not name.strip():
        raise CampaignError("請填寫專案名稱。")
    if holiday_end < holiday_start:
        raise CampaignError("春節假期的結束日不能早於開始日。")
    starts_on = starts_on or deadlines.due("campaign.period_start", holiday_start)
    ends_on = ends_on or deadlines.due("campaign.period_end", holiday_end)
    if not starts_on <= holiday_start <= holiday_end <= ends_on:
        raise CampaignError("關懷期間需涵蓋整個春節假期。")
    campaign = Campaign(name=name.strip(), holiday_start=holiday_start, holiday_end=holiday_end, starts_on=starts_on,
                        ends_on=ends_on, rule_set_id=rules_in_force().id, opened_by_id=getattr(user, "id", None))
    db.session.add(campaign)
    db.session.flush()
    return campaign


# --- A county's visit list -----------------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _json_list(text: str | None) -> tuple:
    """A JSON list column read as text, parsed once per distinct value: a county's 300,000 members
    carry a few dozen distinct flag lists, and decoding each row's was a third of the computation."""
    return tuple(json.loads(text) or ()) if text else ()


def families(county_id: int, campaign: Campaign, progress=None, leads: dict | None = None) -> list[R.Family]:
    """The facts of every open case of the county: three column queries over the county's open cases
    (members and reports semi-joined to them, no id lists, no ORM objects, no per-case queries).
    ``progress(done, total)`` is told as the facts are read; ``leads``, if given, is filled with each
    case's lead unit, read with the cases."""
    open_cases = sa.select(FamilyCase.id).where(FamilyCase.tenant_id == county_id,
                                                FamilyCase.status.in_(OPEN_STATUSES))
    # Core statements on the session's connection (tenant set, RLS on): the ORM's result handling of
    # 400,000 plain rows was a third of the reading.
    conn = db.session.connection()
    lead = sa.select(CaseUnit.unit_id).where(CaseUnit.case_id == FamilyCase.id, CaseUnit.role == CaseUnitRole.LEAD)\
        .order_by(CaseUnit.id).limit(1).scalar_subquery()
    cases = conn.execute(
        sa.select(FamilyCase.id, sa.cast(FamilyCase.concerns, sa.Text), lead).where(
            FamilyCase.tenant_id == county_id, FamilyCase.status.in_(OPEN_STATUSES)).order_by(FamilyCase.id)).all()
    if leads is not None:
        leads.update((case_id, unit_id) for case_id, _, unit_id in cases if unit_id is not None)
    total = len(cases)
    members, report_dates, tipvda, manual = defaultdict(list), defaultdict(list), {}, defaultdict(dict)
    member = R.Member
    for case_id, relation, born, estimated, flags, placed in conn.execute(
            sa.select(CaseMember.case_id, sa.cast(CaseMember.relation, sa.String), CaseMember.birth_date,
                      CaseMember.estimated_age,
                      sa.cast(CaseMember.flags, sa.Text), CaseMember.placement_ended_on)
            .where(CaseMember.tenant_id == county_id, CaseMember.case_id.in_(open_cases.scalar_subquery()))).all():
        members[case_id].append(member(relation, born, estimated, _json_list(flags), placed))
    if progress:
        progress(total // 3, total)
    counted = COUNTED_REPORT_CONCERNS
    for case_id, received, concerns, score in conn.execute(
            sa.select(Report.case_id, Report.received_at, sa.cast(Report.concerns, sa.Text), Report.tipvda_score)
            .where(Report.tenant_id == county_id, Report.case_id.in_(open_cases.scalar_subquery()))
            .order_by(Report.received_at)).all():
        if counted.intersection(_json_list(concerns)):
            report_dates[case_id].append(to_taipei(received).date())
        tipvda.setdefault(case_id, score)  # the score at receipt: the earliest report's
    if progress:
        progress(2 * total // 3, total)
    for case_id, code, reason in conn.execute(sa.select(ManualIndicator.case_id, ManualIndicator.code,
                                                        ManualIndicator.reason).where(
            ManualIndicator.campaign_id == campaign.id, ManualIndicator.tenant_id == county_id)):
        manual[case_id][code] = reason
    family, none, no_ticks = R.Family, (), R.NO_TICKS
    return [family(case_id, _json_list(concerns), tuple(members.get(case_id, none)),
                   tuple(report_dates.get(case_id, none)), tipvda.get(case_id), manual.get(case_id, no_ticks))
            for case_id, concerns, _ in cases]


def lead_units(case_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(sa.select(CaseUnit.case_id, CaseUnit.unit_id).where(
        CaseUnit.case_id.in_(case_ids), CaseUnit.role == CaseUnitRole.LEAD)).all() if case_ids else []
    return dict(rows)


def compute_list(campaign: Campaign, county_id: int, on: date | None = None, progress=None) -> dict:
    """Compute (or recompute) the county's list. Returns counts of what changed, and how many listed
    families each indicator chose. ``progress(done, total)`` is told along the way (the job passes it on
    to the page). An entry whose verdict has not changed is not written again (nor audited again)."""
    with _without_cycle_collection():
        return _compute_list(campaign, county_id, on or today(), progress)


@contextmanager
def _without_cycle_collection():
    """Half a million small tuples that all live until the computation ends: the cycle collector, run again
    and again over them as they are made, found nothing and took a third of the time. Collected once after."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _compute_list(campaign: Campaign, county_id: int, on: date, progress) -> dict:
    db.session.flush()  # the facts and the list are read on the connection, past the session's autoflush
    rule_set = db.session.get(RuleSet, campaign.rule_set_id)
    rules, day = rule_set.rules, campaign.starts_on
    leads: dict[int, int] = {}  # each open case's lead unit, read with the cases
    facts = families(county_id, campaign, progress, leads)
    total, verdicts, evaluate = len(facts), {}, R.evaluator(rules, day)
    for n, family in enumerate(facts, start=1):
        verdicts[family.case_id] = evaluate(family)
        if progress and n % 20_000 == 0:
            progress(2 * total // 3 + n // 6, total)
    chosen = {cid: v for cid, v in verdicts.items() if v.qualifies}
    # The list as it stands, read as plain rows; only the entries that change (few, on a recomputation) are
    # loaded as objects, so that each keeps its own audit entry (the flush hook).
    fields = ("source", "indicators", "in_person", "rule_set_id", "computed_on", "lead_unit_id", "visiting_unit_id")
    existing = {row[0]: row[1:] for row in db.session.connection().execute(
        sa.select(VisitEntry.case_id, VisitEntry.id, *(getattr(VisitEntry, name) for name in fields))
        .where(VisitEntry.campaign_id == campaign.id, VisitEntry.tenant_id == county_id))}
    counts: dict[str, int] = {}
    new_rows, changes, stamp = [], {}, utcnow()
    for case_id, verdict in chosen.items():
        for code in verdict.indicators:
            counts[code] = counts.get(code, 0) + 1
        values = {"source": EntrySource.ADULT_PROTECTION if verdict.route == "adult_protection" else EntrySource.RULES,
                  "indicators": list(verdict.indicators), "in_person": verdict.in_person, "rule_set_id": rule_set.id,
                  "computed_on": on, "lead_unit_id": leads.get(case_id)}
        row = existing.get(case_id)
        if row is None:
            new_rows.append({"tenant_id": county_id, "campaign_id": campaign.id, "case_id": case_id, "reason": "",
                             "visiting_unit_id": leads.get(case_id), "created_at": stamp, "updated_at": stamp, **values})
            continue
        current = dict(zip(fields, row[1:]))
        # A network entry whose family also qualifies by the rules: the rules' reasons take over.
        if current["visiting_unit_id"] is None:
            values["visiting_unit_id"] = leads.get(case_id)
        changed = {name: value for name, value in values.items() if current[name] != value}
        if changed:
            changes[row[0]] = changed
    dropped = [row[0] for case_id, row in existing.items()
               if case_id not in chosen and row[1] != EntrySource.NETWORK]
    touched, loaded = [*changes, *dropped], {}
    for start in range(0, len(touched), 5000):
        loaded.update((e.id, e) for e in db.session.scalars(sa.select(VisitEntry).where(
            VisitEntry.id.in_(touched[start:start + 5000]))))
    for entry_id, changed in changes.items():
        for name, value in changed.items():
            setattr(loaded[entry_id], name, value)
    for entry_id in dropped:
        db.session.delete(loaded[entry_id])
    removed = len(dropped)
    # The families newly listed (10,000 at the first computation of a large county) are written in bulk,
    # with one audit entry naming them all, rather than an ORM object and an audit entry each (half the
    # job's time). Changed and removed entries keep their own audit entries (the flush hook).
    bulk.insert_rows(VisitEntry.__table__, new_rows)
    if new_rows:
        audit.record(AuditAction.CREATE, record_type="campaign_entries", tenant_id=county_id,
                     summary=f"新增 春節關懷名單 {len(new_rows):,} 戶（{campaign.name}，依關懷對象規則第 {rule_set.version} 版計算）",
                     changes={"case_id": [None, [row["case_id"] for row in new_rows]]})
    db.session.flush()
    if progress:
        progress(total, total)
    return {"families": total, "listed": len(chosen), "added": len(new_rows), "removed": removed, "counts": counts}


# --- The computation as a job --------------------------------------------------------------------------

LIST_JOB_TIMEOUT = 10 * 60


def latest_run(campaign: Campaign, county_id: int) -> ListRun | None:
    return db.session.scalars(sa.select(ListRun).where(ListRun.campaign_id == campaign.id,
                                                       ListRun.tenant_id == county_id)
                              .order_by(ListRun.id.desc()).limit(1)).first()


def reconcile_run(run: ListRun) -> ListRun:
    """A computation still marked waiting whose RQ job failed, was stopped or vanished is failed (shown
    with the way to compute again), never endless progress."""
    documents.refresh_dead([run])
    return run


def computing(campaign: Campaign, county_id: int) -> bool:
    latest = latest_run(campaign, county_id)
    return latest is not None and reconcile_run(latest).state() == "busy"


def request_list(campaign: Campaign, county_id: int, user) -> ListRun:
    """Queue a computation of the county's list (a job: at 100,000 open families it is seconds of work).
    While one is waiting or running, asking again (a double click, a second tab) answers that one. Requests at
    the same moment wait for each other on the campaign's row (PostgreSQL; a moment, until the first one's run
    is committed), so that they cannot each start a computation."""
    db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    latest = latest_run(campaign, county_id)
    if latest is not None and reconcile_run(latest).state() == "busy":
        return latest
    run = documents.request(ListRun(tenant_id=county_id, campaign_id=campaign.id,
                                    requested_by_id=getattr(user, "id", None)), actor=user)
    documents.enqueue(run, make_list, run.id, county_id, run.requested_by_id, job_timeout=LIST_JOB_TIMEOUT)
    return run


def make_list(run_id: int, county_id: int, user_id: int | None) -> int:
    """The job: compute the list and keep what it found on the run, in one commit (the job runner's).
    Returns the number of families listed."""
    return documents.run(ListRun, run_id, county_id, user_id, _produce_list, explain=_failure_words)


def _failure_words(exc: Exception) -> str:
    """What the list page says of a computation that failed (its cause is in the job's log, not for users)."""
    return "計算時發生錯誤，名單維持前次的結果；請再試一次，若仍失敗請聯絡系統管理者" if not isinstance(exc, Invalid) \
        else str(exc)


def _produce_list(run: ListRun) -> int:
    started = time.perf_counter()
    campaign = db.session.get(Campaign, run.campaign_id)
    result = compute_list(campaign, run.tenant_id, progress=jobs.report_progress)
    run.families, run.listed, run.added, run.removed = (result["families"], result["listed"], result["added"],
                                                        result["removed"])
    run.counts, run.seconds = result["counts"], round(time.perf_counter() - started, 2)
    return result["listed"]


# --- Families from the network units' lists ---------------------------------------------------------

NETWORK_NAMES = {"衛生": "health", "教育": "education", "警政": "police", "民政": "civil", "消防": "fire"}
IMPORT_MAX_ROWS = 5000


def add_network_entry(campaign: Campaign, county_id: int, case: FamilyCase, kind, reason: str, user=None) -> VisitEntry:
    """A family a network unit (health, education, police, civil affairs, fire) asks the county to visit.
    Kept when the list is recomputed; a family already listed by the rules keeps its rules entry."""
    kind = NetworkKind(kind)
    if case.tenant_id != county_id:
        raise CampaignError("找不到本縣市的這個個案。")
    if case.status not in OPEN_STATUSES:
        raise CampaignError(f"{case.case_no} 已結案；網絡單位名單只能加入在案家庭。")
    if not reason.strip():
        raise CampaignError("請寫明網絡單位提供的理由（例如：未完成預防接種）。")
    entry = db.session.scalars(sa.select(VisitEntry).where(VisitEntry.campaign_id == campaign.id,
                                                           VisitEntry.case_id == case.id)).first()
    if entry is not None and entry.source != EntrySource.NETWORK:
        raise CampaignError(f"{case.case_no} 已依關懷指標列入名單，不需重複加入。")
    lead = lead_units([case.id]).get(case.id)
    if entry is None:
        entry = VisitEntry(tenant_id=county_id, campaign_id=campaign.id, case_id=case.id, source=EntrySource.NETWORK,
                           indicators=[], in_person=False, visiting_unit_id=lead, lead_unit_id=lead)
        db.session.add(entry)
    entry.network_kind, entry.reason = kind, reason.strip()[:1000]
    entry.rule_set_id, entry.computed_on = campaign.rule_set_id, today()
    db.session.flush()
    return entry


@dataclass
class ImportResult:
    added: int
    updated: int
    rejected: list  # [(line number, the row as typed, why)]


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or Big5 (what Excel in Taiwan saves as CSV)."""
    for encoding in ("utf-8-sig", "cp950"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CampaignError("檔案的文字編碼看不懂，請另存為 CSV（UTF-8）後再上傳。")


def import_network_csv(campaign: Campaign, county_id: int, data: bytes, user=None) -> ImportResult:
    """Rows of 案號 (or 身分證字號), 網絡單位 (衛生／教育／警政／民政／消防) and 說明. Valid rows are added;
    every other row comes back with its line number and the reason, nothing silently dropped."""
    rows = list(csv.reader(io.StringIO(_decode(data))))
    if not rows:
        raise CampaignError("檔案是空的。")
    header = [h.strip() for h in rows[0]]
    missing = [h for h in ("網絡單位", "說明") if h not in header]
    if missing or not ({"案號", "身分證字號"} & set(header)):
        raise CampaignError("第 1 列須為欄名：案號（或身分證字號）、網絡單位、說明；缺少：" +
                            "、".join(missing + ([] if {"案號", "身分證字號"} & set(header) else ["案號"])) + "。")
    if len(rows) - 1 > IMPORT_MAX_ROWS:
        raise CampaignError(f"一次最多匯入 {IMPORT_MAX_ROWS:,} 列，這個檔案有 {len(rows) - 1:,} 列。")
    col = {h: i for i, h in enumerate(header)}
    result, seen = ImportResult(0, 0, []), {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        value = lambda name: row[col[name]].strip() if name in col and col[name] < len(row) else ""  # noqa: E731
        case_no, id_number, kind_name, reason = value("案號"), value("身分證字號").upper(), value("網絡單位"), value("說明")
        try:
            kind = NETWORK_NAMES.get(kind_name[:2]) or (kind_name if kind_name in NETWORK_NAMES.values() else None)
            if kind is None:
                raise CampaignError(f"網絡單位「{kind_name}」不是 衛生、教育、警政、民政、消防 之一")
            if case_no:
                case = find_by_number(case_no, county_id)
                if case is None:
                    raise CampaignError(f"找不到本縣市案號 {case_no}")
            elif id_number:
                found = db.session.scalars(sa.select(FamilyCase.id).join(CaseMember, CaseMember.case_id == FamilyCase.id)
                                           .where(FamilyCase.tenant_id == county_id, CaseMember.id_number == id_number,
                                                  FamilyCase.status.in_(OPEN_STATUSES)).distinct()).all()
                if not found:
                    raise CampaignError("這個身分證字號不在本縣市的在案家庭中")
                if len(found) > 1:
                    raise CampaignError("這個身分證字號對應到多個在案家庭，請改填案號")
                case = db.session.get(FamilyCase, found[0])
            else:
                raise CampaignError("案號與身分證字號都是空白")
            if case.id in seen:
                raise CampaignError(f"與第 {seen[case.id]} 列是同一戶")
            with db.session.begin_nested():
                before = db.session.scalars(sa.select(VisitEntry.id).where(
                    VisitEntry.campaign_id == campaign.id, VisitEntry.case_id == case.id)).first()
                add_network_entry(campaign, county_id, case, kind, reason, user)
            seen[case.id] = line
            if before is None:
                result.added += 1
            else:
                result.updated += 1
        except CampaignError as exc:
            shown = [cell for cell in row][:4]
            if id_number and not case_no:  # the report shows no full ID number
                shown = [cell if cell.strip().upper() != id_number else id_number[:3] + "****" + id_number[-3:] for cell in shown]
            result.rejected.append((line, shown, str(exc).rstrip("。")))
    if not (result.added or result.updated or result.rejected):
        raise CampaignError("檔案只有欄名，沒有任何資料列；請在第 2 列起填入要加入的家庭。")
    return result


def tick(campaign: Campaign, case: FamilyCase, code: str, reason: str, user) -> ManualIndicator:
    rule_set = db.session.get(RuleSet, campaign.rule_set_id)
    manual_codes = {f"1{r['code']}" for r in rule_set.rules["level1"] if r["test"] == "manual"} | {
        f"2{r['code']}" for r in rule_set.rules["level2"] if r["test"] == "manual"}
    if code not in manual_codes:
        raise CampaignError("此指標由個案資料自動判斷，不需勾選。")
    if not reason.strip():
        raise CampaignError("勾選此指標時請寫明理由。")
    mark = db.session.scalars(sa.select(ManualIndicator).where(
        ManualIndicator.campaign_id == campaign.id, ManualIndicator.case_id == case.id,
        ManualIndicator.code == code)).first() or ManualIndicator(campaign_id=campaign.id, case_id=case.id, code=code,
                                                                 tenant_id=case.tenant_id)
    mark.reason, mark.by_id, mark.at = reason.strip(), getattr(user, "id", None), utcnow()
    db.session.add(mark)
    db.session.flush()
    return mark


def visiting_unit_choices(county_id: int) -> list[Unit]:
    """The county's own units, then the branches of partner organisations (and volunteer teams) serving it."""
    # A branch sitting in the county is one of its units too: each unit is offered once (a branch listed
    # twice read as two identical 「家扶基金會（民間）」 choices), the county's own branches first.
    own = [u for u in active_county_units(county_id) if not u.is_partner_unit]
    partners = db.session.scalars(
        sa.select(Unit).join(served, served.c.partner_org_id == Unit.partner_org_id)
        .where(served.c.county_id == county_id, Unit.kind == UnitKind.PARTNER_BRANCH,
               Unit.is_active.is_(True)).order_by(Unit.id)).unique().all()
    partners = sorted(partners, key=lambda u: (u.county_id != county_id, u.id))
    return own + partners


def set_visiting_unit(entry: VisitEntry, unit: Unit) -> None:
    """One visiting unit per family: a unit of the county, or a branch of a partner organisation serving it."""
    serves_county = unit.is_partner_unit and unit.partner_org is not None and any(
        c.id == entry.tenant_id for c in unit.partner_org.counties)
    if unit.county_id != entry.tenant_id and not serves_county:
        raise CampaignError("訪視單位需為本縣市的單位或服務本縣市的民間團體。")
    entry.visiting_unit_id = unit.id
    db.session.flush()


def overlaps(entries: list[VisitEntry]) -> dict[int, list[str]]:
    """Case id → the other units serving the family that would otherwise visit it too."""
    case_ids = [e.case_id for e in entries]
    rows = db.session.execute(sa.select(CaseUnit.case_id, CaseUnit.unit_id, Unit.name).join(Unit, Unit.id == CaseUnit.unit_id)
                              .where(CaseUnit.case_id.in_(case_ids))).all() if case_ids else []
    visiting = {e.case_id: e.visiting_unit_id for e in entries}
    out = defaultdict(list)
    for case_id, unit_id, name in rows:
        if unit_id != visiting.get(case_id):
            out[case_id].append(name)
    return dict(out)


def indicator_labels(rule_set: RuleSet) -> dict[str, str]:
    labels = {f"1{r['code']}": r["label"] for r in rule_set.rules["level1"]}
    labels |= {f"2{r['code']}": r["label"] for r in rule_set.rules["level2"]}
    labels["AP"] = rule_set.rules.get("adult_protection", {}).get("label", "高危機成人保護")
    return labels


# --- Visits ------------------------------------------------------------------------------------

SERVICE_KINDS = {"emergency_cash": "急難紓困（現金）", "in_kind": "實物給付", "meals": "送餐／餐食", "other": "其他"}


VISIT_DATE_MARGIN = timedelta(days=30)


def visit_date_range(campaign: Campaign) -> tuple[date, date]:
    """The dates a visit of the campaign may carry: from 30 days before the caring period to 30 days
    after it, and never after today (an empty range while the period is more than 30 days away)."""
    return campaign.starts_on - VISIT_DATE_MARGIN, min(today(), campaign.ends_on + VISIT_DATE_MARGIN)


def visit_date_allowed(campaign: Campaign, day: date | None) -> bool:
    first, last = visit_date_range(campaign)
    return day is not None and first <= day <= last


def default_visit_date(campaign: Campaign) -> date | None:
    """What the visit form offers: today when today is allowed, else nothing (never a date it refuses)."""
    return today() if visit_date_allowed(campaign, today()) else None


def visit_date_message(campaign: Campaign) -> str:
    first, last = visit_date_range(campaign)
    if first > last:
        return (f"訪視日期需在 {roc_date(first, 'short')} 以後（關懷期間前 30 天起），且不可晚於今天；"
                "目前尚不能登錄這個專案的訪視。")
    return (f"訪視日期需在 {roc_date(first, 'short')} 至 {roc_date(last, 'short')} 之間"
            "（關懷期間前後 30 天內，且不可晚於今天）。")


def record_visit(entry: VisitEntry, user, membership, *, visited_on: date, method, persons_seen: str = "",
                 children: list[dict] | None = None, needs: str = "", services: list[dict] | None = None,
                 referrals: str = "", finding: str = ""):
    """Record a visit or an attempt. A reached family needs every child's care confirmed (seen, or
    confirmed by phone); a family marked for an in-person visit is done only in person; a finding of
    abuse or neglect becomes a new report in the county's dispatch queue at once, linked to the visit."""
    if membership is None or membership.unit_id != entry.visiting_unit_id:
        raise CampaignError("只有負責訪視的單位可以登錄此戶的訪視。")
    campaign = db.session.get(Campaign, entry.campaign_id)
    if not visit_date_allowed(campaign, visited_on):
        raise CampaignError(visit_date_message(campaign), field="visited_on")
    children = children or []
    if method != VisitMethod.NOT_REACHED:
        unconfirmed = [c.get("name", "") for c in children if not c.get("care_ok")]
        if not children or unconfirmed:
            raise CampaignError("聯繫到家庭時，須確認每位兒少的受照顧情形" +
                                (f"（尚未確認：{'、'.join(unconfirmed)}）" if unconfirmed else "") + "。",
                                field="children")
        if entry.in_person and method == VisitMethod.PHONE and not finding.strip():
            raise CampaignError("此戶符合一級指標或高危機成人保護，須面訪；電訪請登錄為聯繫紀錄後再安排面訪。",
                                field="method")
    for s in services or []:
        if s.get("kind") not in SERVICE_KINDS:
            raise CampaignError("服務項目不正確。")
        if s.get("kind") == "emergency_cash" and not (isinstance(s.get("amount"), int) and s["amount"] > 0):
            raise CampaignError("急難紓困請填寫金額（元）。", field="cash")
    visit = CampaignVisit(tenant_id=entry.tenant_id, entry_id=entry.id, case_id=entry.case_id, visited_on=visited_on,
                          method=method, persons_seen=persons_seen.strip(), children=children, needs=needs.strip(),
                          services=services or [], referrals=referrals.strip(), finding=finding.strip(),
                          unit_id=membership.unit_id, worker_id=getattr(user, "id", None),
                          worker_name=getattr(user, "display_name", ""))
    db.session.add(visit)
    db.session.flush()
    case = db.session.get(FamilyCase, entry.case_id)
    summary = f"春節關懷{method.label}（{visited_on:%m/%d}）"
    if method != VisitMethod.NOT_REACHED:
        summary += f"：兒少 {len(children)} 人受照顧情形已確認"
    if finding.strip():
        visit.new_report_id = _report_finding(case, visit, finding.strip(), user).id
        summary += "；發現疑似受虐或疏忽，已通報"
    cases.add_event(case, "campaign", summary, user, membership)
    db.session.flush()
    return visit


def visiting_unit_name(visit) -> str:
    unit = db.session.get(Unit, visit.unit_id) if visit.unit_id else None
    return unit.name if unit is not None else ""


def _report_finding(case, visit, finding: str, user):
    """The finding as a new report into the county's screening queue (a social worker's report)."""
    county = db.session.get(County, case.tenant_id)
    persons = [intake.PersonInput(name=m.name, relation="child", birth_date=m.birth_date)
               for m in case.members if any(c.get("member_id") == m.id for c in visit.children)] or [
        intake.PersonInput(name=case.family_name, relation="subject")]
    report, _ = intake.receive(county, intake.ReportInput(
        district_id=case.district_id, concerns=["child_protection"], persons=persons, address=case.address,
        narrative=f"春節加強關懷訪視（{roc_date(visit.visited_on, 'short')}，個案 {case.case_no}）發現：{finding}",
        reporter=intake.ReporterInput(reporter_type="mandated", profession="social_work", name=getattr(user, "display_name", ""),
                                      organisation=f"春節加強關懷訪視（{visiting_unit_name(visit)}）")),
        ReportingChannel("10"), actor=user)
    return report


# --- The holiday duty roster ----------------------------------------------------------------------

PHONE_PATTERN = r"^[0-9()#*+\- ]{6,30}$"


def add_duty(campaign: Campaign, county_id: int, *, on_date: date, hours: str, unit: Unit | None, person: str,
             phone: str, note: str = "", user=None):
    """A roster line: a day within the campaign, a person and a phone someone can call."""
    if not campaign.starts_on <= on_date <= campaign.ends_on:
        raise CampaignError(f"值勤日期需在關懷期間內（{campaign.starts_on:%m/%d}–{campaign.ends_on:%m/%d}）。")
    if not person.strip():
        raise CampaignError("請填寫值勤人員。")
    if not re.match(PHONE_PATTERN, phone.strip()):
        raise CampaignError("值勤電話請填數字（可含區碼、分機 #），例如 02-2345-6789#123。")
    if unit is not None and unit.county_id != county_id:
        raise CampaignError("值勤單位需為本縣市的單位。")
    contact = DutyContact(tenant_id=county_id, campaign_id=campaign.id, on_date=on_date, hours=hours.strip() or "全日",
                          unit_id=getattr(unit, "id", None), person=person.strip(), phone=phone.strip(),
                          note=note.strip(), created_by_id=getattr(user, "id", None))
    db.session.add(contact)
    db.session.flush()
    return contact


def roster(campaign: Campaign, county_id: int | None = None) -> list:
    """The roster lines by county, day and hours (one county's, or every county's for the ministry)."""
    q = sa.select(DutyContact).options(sa.orm.joinedload(DutyContact.unit)).where(DutyContact.campaign_id == campaign.id)
    if county_id is not None:
        q = q.where(DutyContact.tenant_id == county_id)
    return list(db.session.scalars(q.order_by(DutyContact.tenant_id, DutyContact.on_date, DutyContact.hours,
                                              DutyContact.id)))


# --- Progress ------------------------------------------------------------------------------------

@dataclass
class EntryOutcome:
    """A listed family with what became of it: the best contact made, the attempts, the visits."""
    id: int
    tenant_id: int
    visiting_unit_id: int | None
    in_person_required: bool
    source: EntrySource
    network_kind: str | None
    indicators: list
    visits: list  # CampaignVisit rows (method, visited_on, children, services, referrals, finding, new_report_id, needs)

    @property
    def outcome(self) -> str:
        """'in_person', 'phone', 'not_reached' (attempts only) or 'not_yet'."""
        methods = {v.method.value for v in self.visits}
        return next((m for m in ("in_person", "phone", "not_reached") if m in methods), "not_yet")

    @property
    def attempts(self) -> int:
        return sum(1 for v in self.visits if v.method.value == "not_reached")

    @property
    def children_confirmed(self) -> int:
        """Children whose care the latest contact that reached the family confirmed."""
        reached = [v for v in self.visits if v.method.value != "not_reached"]
        return sum(1 for c in reached[-1].children if c.get("care_ok")) if reached else 0


def outcomes(campaign: Campaign, county_id: int | None = None, recorded_before=None) -> list[EntryOutcome]:
    """Every listed family of the campaign (of one county, or all) with its visits, in a few column queries;
    with ``recorded_before`` (an aware datetime), only the families listed and the visits recorded before it
    (a report's figures as at the end of its period)."""
    entry_q = sa.select(VisitEntry.id, VisitEntry.tenant_id, VisitEntry.visiting_unit_id, VisitEntry.in_person,
                        VisitEntry.source, VisitEntry.network_kind, VisitEntry.indicators).where(
        VisitEntry.campaign_id == campaign.id).order_by(VisitEntry.id)
    if county_id is not None:
        entry_q = entry_q.where(VisitEntry.tenant_id == county_id)
    if recorded_before is not None:
        entry_q = entry_q.where(VisitEntry.created_at < recorded_before)
    entries = db.session.execute(entry_q).all()
    visits = defaultdict(list)
    ids = [e.id for e in entries]
    for chunk in range(0, len(ids), 5000):
        for row in db.session.execute(
                sa.select(CampaignVisit.entry_id, CampaignVisit.method, CampaignVisit.visited_on, CampaignVisit.children,
                          CampaignVisit.services, CampaignVisit.referrals, CampaignVisit.finding,
                          CampaignVisit.new_report_id, CampaignVisit.needs)
                .where(CampaignVisit.entry_id.in_(ids[chunk:chunk + 5000]),
                       *([CampaignVisit.recorded_at < recorded_before] if recorded_before is not None else []))
                .order_by(CampaignVisit.visited_on, CampaignVisit.id)):
            visits[row.entry_id].append(row)
    return [EntryOutcome(e.id, e.tenant_id, e.visiting_unit_id, e.in_person, e.source,
                         getattr(e.network_kind, "value", e.network_kind), list(e.indicators or []), visits[e.id])
            for e in entries]


def progress(campaign: Campaign, county_id: int | None = None) -> dict:
    """Counts per visiting unit (or per county for the ministry) and per day: families listed, visited in
    person, phoned, only attempts (with how many), not yet; children whose care was confirmed."""
    days = defaultdict(lambda: {"in_person": 0, "phone": 0, "not_reached": 0})
    key = (lambda e: e.visiting_unit_id) if county_id is not None else (lambda e: e.tenant_id)
    rows = defaultdict(lambda: {"listed": 0, "in_person_required": 0, "in_person": 0, "phone": 0, "not_reached": 0,
                                "attempts": 0, "not_yet": 0, "children_confirmed": 0, "in_person_missing": 0})
    for e in outcomes(campaign, county_id):
        for v in e.visits:
            days[v.visited_on][v.method.value] += 1
        row = rows[key(e)]
        row["listed"] += 1
        row["in_person_required"] += e.in_person_required
        row[e.outcome] += 1
        row["in_person_missing"] += e.in_person_required and e.outcome == "phone"
        row["attempts"] += e.attempts if e.outcome == "not_reached" else 0
        row["children_confirmed"] += e.children_confirmed
    return {"rows": dict(rows), "days": dict(sorted(days.items()))}

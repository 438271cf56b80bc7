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

import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from ..cases.models import OPEN_STATUSES, CaseMember, CaseUnit, CaseUnitRole, FamilyCase
from ..core.filters import to_taipei
from ..core.models import utcnow
from ..extensions import db
from ..intake.models import Report
from ..intake.reference import PROTECTIVE, Concern
from ..tenants.models import Unit
from . import rules as R
from .models import Campaign, EntrySource, ManualIndicator, RuleSet, VisitEntry

SEED_RULES = Path(__file__).with_name("data") / "rules_2019.json"
COUNTED_REPORT_CONCERNS = {c.value for c in PROTECTIVE} | {Concern.VULNERABLE_FAMILY.value}


class CampaignError(ValueError):
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
    starts_on = starts_on or holiday_start - timedelta(days=14)
    ends_on = ends_on or holiday_end + timedelta(days=7)
    if not starts_on <= holiday_start <= holiday_end <= ends_on:
        raise CampaignError("關懷期間需涵蓋整個春節假期。")
    campaign = Campaign(name=name.strip(), holiday_start=holiday_start, holiday_end=holiday_end, starts_on=starts_on,
                        ends_on=ends_on, rule_set_id=rules_in_force().id, opened_by_id=getattr(user, "id", None))
    db.session.add(campaign)
    db.session.flush()
    return campaign


# --- A county's visit list -----------------------------------------------------------------------------

def families(county_id: int, campaign: Campaign) -> list[R.Family]:
    """The facts of every open case of the county, in a handful of queries (no per-case queries)."""
    cases = db.session.execute(
        sa.select(FamilyCase.id, FamilyCase.concerns).where(FamilyCase.tenant_id == county_id,
                                                            FamilyCase.status.in_(OPEN_STATUSES))
        .order_by(FamilyCase.id)).all()
    ids = [c.id for c in cases]
    members, report_dates, tipvda, manual = defaultdict(list), defaultdict(list), {}, defaultdict(dict)
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk:chunk + 5000]
        for case_id, relation, born, estimated, flags, placed in db.session.execute(
                sa.select(CaseMember.case_id, CaseMember.relation, CaseMember.birth_date, CaseMember.estimated_age,
                          CaseMember.flags, CaseMember.placement_ended_on).where(CaseMember.case_id.in_(part))):
            members[case_id].append(R.Member(getattr(relation, "value", relation), born, estimated, tuple(flags or ()),
                                             placed))
        for case_id, received, concerns, score in db.session.execute(
                sa.select(Report.case_id, Report.received_at, Report.concerns, Report.tipvda_score)
                .where(Report.case_id.in_(part)).order_by(Report.received_at)):
            if set(concerns or ()) & COUNTED_REPORT_CONCERNS:
                report_dates[case_id].append(to_taipei(received).date())
            tipvda.setdefault(case_id, score)  # the score at receipt: the earliest report's
    for tick in db.session.scalars(sa.select(ManualIndicator).where(ManualIndicator.campaign_id == campaign.id)):
        manual[tick.case_id][tick.code] = tick.reason
    return [R.Family(case_id=c.id, concerns=tuple(c.concerns or ()), members=tuple(members[c.id]),
                     report_dates=tuple(report_dates[c.id]), tipvda_at_receipt=tipvda.get(c.id),
                     manual=dict(manual[c.id])) for c in cases]


def lead_units(case_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(sa.select(CaseUnit.case_id, CaseUnit.unit_id).where(
        CaseUnit.case_id.in_(case_ids), CaseUnit.role == CaseUnitRole.LEAD)).all() if case_ids else []
    return dict(rows)


def compute_list(campaign: Campaign, county_id: int, on: date | None = None) -> dict:
    """Compute (or recompute) the county's list. Returns counts of what changed."""
    rule_set = db.session.get(RuleSet, campaign.rule_set_id)
    on = on or today()
    verdicts = {f.case_id: R.evaluate(f, rule_set.rules, campaign.starts_on) for f in families(county_id, campaign)}
    chosen = {cid: v for cid, v in verdicts.items() if v.qualifies}
    leads = lead_units(list(chosen))
    existing = {e.case_id: e for e in db.session.scalars(sa.select(VisitEntry).where(
        VisitEntry.campaign_id == campaign.id, VisitEntry.tenant_id == county_id))}
    added = removed = 0
    for case_id, verdict in chosen.items():
        entry = existing.get(case_id)
        if entry is None:
            entry = VisitEntry(tenant_id=county_id, campaign_id=campaign.id, case_id=case_id,
                               visiting_unit_id=leads.get(case_id))
            db.session.add(entry)
            added += 1
        elif entry.source == EntrySource.NETWORK:
            pass  # the family also qualifies by the rules: the rules' reasons take over below
        entry.source = EntrySource.ADULT_PROTECTION if verdict.route == "adult_protection" else EntrySource.RULES
        entry.indicators = list(verdict.indicators)
        entry.in_person = verdict.in_person
        entry.rule_set_id, entry.computed_on, entry.lead_unit_id = rule_set.id, on, leads.get(case_id)
        if entry.visiting_unit_id is None:
            entry.visiting_unit_id = leads.get(case_id)
    for case_id, entry in existing.items():
        if case_id not in chosen and entry.source != EntrySource.NETWORK:
            db.session.delete(entry)
            removed += 1
    db.session.flush()
    return {"families": len(verdicts), "listed": len(chosen), "added": added, "removed": removed}


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


def record_visit(entry: VisitEntry, user, membership, *, visited_on: date, method, persons_seen: str = "",
                 children: list[dict] | None = None, needs: str = "", services: list[dict] | None = None,
                 referrals: str = "", finding: str = ""):
    """Record a visit or an attempt. A reached family needs every child's care confirmed (seen, or
    confirmed by phone); a family marked for an in-person visit is done only in person; a finding of
    abuse or neglect becomes a new report in the county's dispatch queue at once, linked to the visit."""
    from ..cases import services as cases
    from ..cases.models import FamilyCase
    from .models import CampaignVisit, VisitMethod

    if membership is None or membership.unit_id != entry.visiting_unit_id:
        raise CampaignError("只有負責訪視的單位可以登錄此戶的訪視。")
    campaign = db.session.get(Campaign, entry.campaign_id)
    if not campaign.starts_on - timedelta(days=30) <= visited_on <= min(today(), campaign.ends_on + timedelta(days=30)):
        raise CampaignError("訪視日期需在關懷期間前後，且不可晚於今天。")
    children = children or []
    if method != VisitMethod.NOT_REACHED:
        unconfirmed = [c.get("name", "") for c in children if not c.get("care_ok")]
        if not children or unconfirmed:
            raise CampaignError("聯繫到家庭時，須確認每位兒少的受照顧情形" +
                                (f"（尚未確認：{'、'.join(unconfirmed)}）" if unconfirmed else "") + "。")
        if entry.in_person and method == VisitMethod.PHONE and not finding.strip():
            raise CampaignError("此戶符合一級指標或高危機成人保護，須面訪；電訪請登錄為聯繫紀錄後再安排面訪。")
    for s in services or []:
        if s.get("kind") not in SERVICE_KINDS:
            raise CampaignError("服務項目不正確。")
        if s.get("kind") == "emergency_cash" and not (isinstance(s.get("amount"), int) and s["amount"] > 0):
            raise CampaignError("急難紓困請填寫金額（元）。")
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


def _report_finding(case, visit, finding: str, user):
    """The finding as a new report into the county's screening queue (a social worker's report)."""
    from ..intake import services as intake
    from ..intake.reference import ReportingChannel
    from ..tenants.models import County

    county = db.session.get(County, case.tenant_id)
    persons = [intake.PersonInput(name=m.name, relation="child", birth_date=m.birth_date)
               for m in case.members if any(c.get("member_id") == m.id for c in visit.children)] or [
        intake.PersonInput(name=case.family_name, relation="subject")]
    report, _ = intake.receive(county, intake.ReportInput(
        district_id=case.district_id, concerns=["child_protection"], persons=persons, address=case.address,
        narrative=f"春節加強關懷訪視（{visit.visited_on:%Y-%m-%d}，個案 {case.case_no}）發現：{finding}",
        reporter=intake.ReporterInput(reporter_type="mandated", profession="social_work", name=getattr(user, "display_name", ""),
                                      organisation="春節加強關懷訪視")),
        ReportingChannel("10"), actor=user)
    return report


# --- Progress ------------------------------------------------------------------------------------

def progress(campaign: Campaign, county_id: int | None = None) -> dict:
    """Counts per visiting unit (or per county for the ministry) and per day: families listed, visited in
    person, phoned, only attempts (with how many), not yet; children whose care was confirmed."""
    from .models import CampaignVisit, VisitMethod

    entry_q = sa.select(VisitEntry.id, VisitEntry.tenant_id, VisitEntry.visiting_unit_id, VisitEntry.in_person).where(
        VisitEntry.campaign_id == campaign.id)
    if county_id is not None:
        entry_q = entry_q.where(VisitEntry.tenant_id == county_id)
    entries = db.session.execute(entry_q).all()
    visits = defaultdict(list)
    days = defaultdict(lambda: {"in_person": 0, "phone": 0, "not_reached": 0})
    ids = [e.id for e in entries]
    for chunk in range(0, len(ids), 5000):
        for entry_id, method, on, children in db.session.execute(
                sa.select(CampaignVisit.entry_id, CampaignVisit.method, CampaignVisit.visited_on, CampaignVisit.children)
                .where(CampaignVisit.entry_id.in_(ids[chunk:chunk + 5000]))):
            visits[entry_id].append((method, children))
            days[on][method.value] += 1
    key = (lambda e: e.visiting_unit_id) if county_id is not None else (lambda e: e.tenant_id)
    rows = defaultdict(lambda: {"listed": 0, "in_person_required": 0, "in_person": 0, "phone": 0, "not_reached": 0,
                                "attempts": 0, "not_yet": 0, "children_confirmed": 0, "in_person_missing": 0})
    for e in entries:
        row = rows[key(e)]
        row["listed"] += 1
        row["in_person_required"] += e.in_person
        done = visits.get(e.id, [])
        methods = {m for m, _ in done}
        if VisitMethod.IN_PERSON in methods:
            row["in_person"] += 1
        elif VisitMethod.PHONE in methods:
            row["phone"] += 1
            row["in_person_missing"] += e.in_person
        elif done:
            row["not_reached"] += 1
            row["attempts"] += len(done)
        else:
            row["not_yet"] += 1
        reached = [children for m, children in done if m != VisitMethod.NOT_REACHED]
        if reached:
            row["children_confirmed"] += sum(1 for c in reached[-1] if c.get("care_ok"))
    return {"rows": dict(rows), "days": dict(sorted(days.items()))}

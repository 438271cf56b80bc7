"""Every figure of every report, computed here and only here.

``count(kind, county_id, period)`` returns the *counts* of one county for one
period as plain JSON (what is stored with a report and added up nationally);
``derive(kind, counts)`` turns counts into the tables, rates and chart data
that the page, the CSV/XLSX and the PDF all print. Rates are always derived
from counts, never stored, so a national rate is the rate of the summed
counts, not an average of county rates. No personal data ever leaves this
module: counts only.

The as-of rule: every figure is the state *at the end of the period* — only
what was recorded before ``period.as_of`` (the midnight after its last day,
Taipei time) counts. A report received in the period and decided after its end
is still 尚在篩派中; a family's assessment outcome recorded after the end is
評估中, and a case reopened or sent back after the end keeps the outcome and closing it had at the end
(read from its transitions, ``cases.history``); a visit or assessment report recorded after the end is not done; a
referral's answer, a re-referral or a withdrawal after the end leaves it
等待回覆 (its status at the end is read from its own history); a dispute agreed,
decided or withdrawn after the end is still 處理中. So a report made again
later gives the same figures (tests/reports/test_as_of.py).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date as date_type
from statistics import median

import sqlalchemy as sa

from ..campaigns import services as campaigns
from ..campaigns.models import Campaign, EntrySource, NetworkKind
from ..campaigns.services import SERVICE_KINDS
from ..cases import history
from ..cases.models import CaseContact, CaseUnit, CaseUnitRole, FamilyCase
from ..cases.reference import IN_PERSON, AssessmentOutcome, Level
from ..core import deadlines, tenancy
from ..extensions import db
from ..intake.models import InvalidReason, Report, ReportStatus
from ..intake.reference import Concern, ReportingChannel
from ..referrals.models import (Dispute, DisputeOutcome, DisputeStatus, Referral, ReferralEvent, ReferralKind,
                               ReferralStatus)
from ..tenants.models import County, Unit, UnitKind
from .models import PeriodKind, ReportKind, ReportRun
from .periods import Period, recent_periods

DISPATCH_TYPES = {UnitKind.DV_CENTRE: "protective", UnitKind.WELFARE_CENTRE: "vulnerable",
                  UnitKind.MENTAL_HEALTH: "mental_health"}
DISPATCH_LABELS = {"protective": "派保護服務（家防中心）", "vulnerable": "派脆弱家庭（社福中心）",
                   "mental_health": "派心衛社工（衛生局）"}
VISIT_COLUMNS = [o.value for o in AssessmentOutcome] + ["assessing"]
VISIT_LABELS = {**{o.value: o.label for o in AssessmentOutcome}, "assessing": "評估中"}
LEVELS = [Level.HIGH.value, Level.MEDIUM.value, Level.LOW.value]
LEVEL_LABELS = {Level.HIGH.value: "高度脆弱性", Level.MEDIUM.value: "中度脆弱性", Level.LOW.value: "低度脆弱性"}


def rate(numerator: int, denominator: int) -> float | None:
    """A percentage to two decimals (40.93), or None when there is nothing to divide by."""
    return None if not denominator else round(100 * numerator / denominator, 2)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _add(into: dict, other: dict) -> dict:
    """Sum nested count dictionaries (for the national table); lists of durations are concatenated."""
    for key, value in other.items():
        if isinstance(value, dict):
            _add(into.setdefault(key, {}), value)
        elif isinstance(value, list):
            into.setdefault(key, []).extend(value)
        elif isinstance(value, (int, float)):
            into[key] = into.get(key, 0) + value
    return into


def add_up(counts: list[dict], kind=None) -> dict:
    """The national counts: every county's added up (minus what only makes sense per county)."""
    total: dict = {}
    for c in counts:
        _add(total, c)
    for key in PER_COUNTY_ONLY.get(getattr(kind, "value", kind), ()):
        total.pop(key, None)
    return total


# --- 1. 集中篩派案統計 ---------------------------------------------------------------

def recorded_by(at, end) -> bool:
    """Recorded (or happened) before the end of the period: what the period's figures may use."""
    return at is not None and at < end


def count_screening(county_id: int, period: Period) -> dict:
    """Reports received in the period, each by its decision as at the end (decided after it: 尚在篩派中)."""
    start, end = period.bounds()
    rows = db.session.execute(
        sa.select(Report.channel, Report.concerns, Report.status, Report.invalid_reason, Unit.kind,
                  Report.received_at, Report.decided_at, Report.deadline_at)
        .outerjoin(Unit, Unit.id == Report.lead_unit_id)
        .where(Report.tenant_id == county_id, Report.received_at >= start, Report.received_at < end)
    ).all()
    out = {"received": 0, "invalid": {r.value: 0 for r in InvalidReason}, "dispatched": {k: 0 for k in DISPATCH_LABELS},
           "referred": 0, "transferred": 0, "pending": 0, "decided": 0, "within_24h": 0, "within_deadline": 0,
           "by_channel": {}, "by_concern": {c.value: 0 for c in Concern}}
    for channel, concerns, status, reason, unit_kind, received, decided, deadline in rows:
        out["received"] += 1
        if not recorded_by(decided, end):
            status, decided = ReportStatus.SCREENING, None  # decided after the end: still being screened at the end
        line = out["by_channel"].setdefault(channel.value, {"received": 0, "valid": 0, "invalid": 0})
        line["received"] += 1
        for concern in concerns or []:
            if concern in out["by_concern"]:
                out["by_concern"][concern] += 1
        if status == ReportStatus.SCREENED_OUT:
            out["invalid"][(reason or InvalidReason.DATA_ERROR).value] += 1
            line["invalid"] += 1
        elif status == ReportStatus.DISPATCHED:
            out["dispatched"][DISPATCH_TYPES.get(unit_kind, "vulnerable")] += 1
            line["valid"] += 1
        elif status == ReportStatus.REFERRED:
            out["referred"] += 1
            line["valid"] += 1
        elif status == ReportStatus.TRANSFERRED:
            out["transferred"] += 1
            line["valid"] += 1
        else:
            out["pending"] += 1
        if decided is not None and status != ReportStatus.SCREENED_OUT:
            out["decided"] += 1
            out["within_24h"] += decided <= deadlines.due("dispatch.rate_24h", received)
            out["within_deadline"] += decided <= deadline
    return out


def derive_screening(c: dict) -> dict:
    invalid = sum(c["invalid"].values())
    dispatched = sum(c["dispatched"].values())
    valid = dispatched + c["referred"] + c["transferred"]
    summary = [("受理件次", c["received"]), ("有效", valid), ("　派案", dispatched)]
    summary += [(f"　　{DISPATCH_LABELS[k]}", v) for k, v in c["dispatched"].items()]
    summary += [("　不派案／轉介他單位", c["referred"]), ("　移轉他縣市", c["transferred"]), ("無效", invalid)]
    summary += [(f"　{InvalidReason(k).label}", v) for k, v in c["invalid"].items()]
    summary += [("尚在篩派中", c["pending"])]
    channels = sorted(c["by_channel"].items(), key=lambda kv: -kv[1]["received"])
    return {
        "summary": summary,
        "rates": [("有效率", rate(valid, c["received"]), "有效件次 ÷ 受理件次"),
                  ("24 小時內完成篩派率", rate(c["within_24h"], c["decided"]), "受理後 24 小時內完成篩派之有效件次 ÷ 已完成篩派之有效件次"),
                  ("時限內完成篩派率", rate(c["within_deadline"], c["decided"]), "於時限（24 小時或 3 日）內完成篩派之有效件次 ÷ 已完成篩派之有效件次")],
        "by_channel": [(ReportingChannel(code).label, v["received"], v["valid"], v["invalid"]) for code, v in channels],
        "by_concern": [(Concern(k).label, v) for k, v in c["by_concern"].items()],
        "chart": {"title": "篩派結果（件次）", "bars": [(DISPATCH_LABELS[k].split("（")[0], v) for k, v in c["dispatched"].items()]
                  + [("不派案／轉介", c["referred"]), ("移轉他縣市", c["transferred"]), ("無效", invalid)]},
    }


# --- 2. 脆弱家庭訪視評估（單位：戶）---------------------------------------------------------

def count_visits(county_id: int, period: Period) -> dict:
    """Families received by a 社福中心 in the period, by assessment outcome and by centre, as at the end:
    an outcome recorded after it is 評估中; the first visit is the earliest in-person contact recorded
    before the end; an assessment report written after the end is not done."""
    start, end = period.bounds()
    first_visit = (sa.select(sa.func.min(CaseContact.contacted_at))
                   .where(CaseContact.case_id == FamilyCase.id, CaseContact.method.in_(IN_PERSON),
                          CaseContact.created_at < end)
                   .correlate(FamilyCase).scalar_subquery())
    rows = db.session.execute(
        sa.select(Unit.name, FamilyCase.id, FamilyCase.outcome, FamilyCase.outcome_at, FamilyCase.received_at, first_visit,
                  FamilyCase.assessment_report_at)
        .join(CaseUnit, (CaseUnit.case_id == FamilyCase.id) & (CaseUnit.role == CaseUnitRole.LEAD))
        .join(Unit, Unit.id == history.received_by())  # the unit dispatched to, not the lead today
        .where(FamilyCase.tenant_id == county_id, Unit.kind == UnitKind.WELFARE_CENTRE,
               FamilyCase.received_at >= start, FamilyCase.received_at < end)
    ).all()
    outcomes = history.at_end(((r.id, r.outcome, r.outcome_at, None) for r in rows), end)
    blank = lambda: {**{k: 0 for k in VISIT_COLUMNS}, "visit_due": 0, "visit_on_time": 0,  # noqa: E731
                     "report_due": 0, "report_on_time": 0}
    out = {"total": blank(), "by_centre": {}}
    period_end = end
    for centre, case_id, _, _, received, visited, reported in rows:
        outcome = outcomes[case_id][0]  # reopened or sent back after the end: the outcome it had at the end
        reported = reported if recorded_by(reported, end) else None
        for bucket in (out["total"], out["by_centre"].setdefault(centre, blank())):
            bucket[outcome.value if outcome else "assessing"] += 1
            visit_due, report_due = deadlines.due("case.first_visit", received), deadlines.due("case.assessment_report", received)
            if visit_due <= period_end or visited is not None:
                bucket["visit_due"] += 1
                bucket["visit_on_time"] += visited is not None and visited <= visit_due
            if report_due <= period_end or reported is not None:
                bucket["report_due"] += 1
                bucket["report_on_time"] += reported is not None and reported <= report_due
    return out


def _visit_row(name: str, b: dict) -> dict:
    total = sum(b[k] for k in VISIT_COLUMNS)
    referred = b["refer_protective"] + b["refer_network"]
    return {"name": name, "total": total, "columns": [b[k] for k in VISIT_COLUMNS],
            "open_rate": rate(b["case_management"], total), "referral_rate": rate(referred, total),
            "visit_rate": rate(b["visit_on_time"], b["visit_due"]), "report_rate": rate(b["report_on_time"], b["report_due"]),
            "visit": (b["visit_on_time"], b["visit_due"]), "report": (b["report_on_time"], b["report_due"])}


def derive_visits(c: dict) -> dict:
    rows = [_visit_row(name, b) for name, b in sorted(c["by_centre"].items())]
    total = _visit_row("合計", c["total"])
    return {"columns": [VISIT_LABELS[k] for k in VISIT_COLUMNS], "rows": rows, "total": total,
            "rates": [("開案率", total["open_rate"], "列入個案管理戶數 ÷ 訪視評估合計戶數"),
                      ("轉介率", total["referral_rate"], "（轉介保護服務 + 轉介其他網絡服務）戶數 ÷ 訪視評估合計戶數"),
                      ("10 日內首次訪視率", total["visit_rate"], "受理後 10 日內完成首次訪視之戶數 ÷ 期限已屆或已訪視之戶數"),
                      ("30 日內評估報告完成率", total["report_rate"], "受理後 30 日內完成評估報告之戶數 ÷ 期限已屆或已完成之戶數")],
            "chart": {"title": "訪視評估結果（戶）", "bars": list(zip([VISIT_LABELS[k] for k in VISIT_COLUMNS], total["columns"]))}}


# --- 3. 脆弱性變化 -------------------------------------------------------------------------

def count_vulnerability(county_id: int, period: Period) -> dict:
    """Families whose case closed in the period: their level at opening and at closing. A closing approved
    after the end is not in the period (the case was still open at its end)."""
    start, end = period.bounds()
    rows = history.closed_between(county_id, start, end)
    opening, closing = Counter(o.value for o, _, _ in rows), Counter(c.value for _, c, _ in rows)
    return {"closed": len(rows), "opening": {k: opening.get(k, 0) for k in LEVELS},
            "closing": {k: closing.get(k, 0) for k in LEVELS}}


def derive_vulnerability(c: dict) -> dict:
    n = c["closed"]
    rows = [(LEVEL_LABELS[k], c["opening"][k], rate(c["opening"][k], n), c["closing"][k], rate(c["closing"][k], n))
            for k in LEVELS]
    return {"rows": rows, "closed": n,
            "rates": [("結案戶數", None, "期間內結案且開案、結案時均有脆弱性評估之戶數（各比率之分母）")],
            "chart": {"title": "開案時與結案時脆弱性（%）", "groups": ["開案時", "結案時"],
                      "series": [(LEVEL_LABELS[k], [rate(c["opening"][k], n) or 0, rate(c["closing"][k], n) or 0])
                                 for k in LEVELS]}}


# --- 4. 轉介與爭議 -------------------------------------------------------------------------

OUTCOME_GROUPS = {"accepted": (ReferralStatus.IN_SERVICE, ReferralStatus.COMPLETED, ReferralStatus.FAILED),
                  "declined": (ReferralStatus.DECLINED,), "returned": (ReferralStatus.RETURNED,),
                  "forwarded": (ReferralStatus.FORWARDED,), "withdrawn": (ReferralStatus.WITHDRAWN,),
                  "waiting": (ReferralStatus.WAITING,)}
OUTCOME_LABELS = {"accepted": "受案", "declined": "不受案", "returned": "退回", "forwarded": "再轉", "withdrawn": "撤回",
                  "waiting": "等待回覆"}


def _statuses_at(referral_ids: set[int], end) -> dict[int, ReferralStatus | None]:
    """Each referral's status at ``end`` from its own history (the last status change recorded before it);
    None for a referral whose history holds no status change at all (rows made outside the workflow)."""
    if not referral_ids:
        return {}
    rows = db.session.execute(
        sa.select(ReferralEvent.referral_id, ReferralEvent.to_status, ReferralEvent.at)
        .where(ReferralEvent.referral_id.in_(referral_ids), ReferralEvent.kind == "status")
        .order_by(ReferralEvent.referral_id, ReferralEvent.at, ReferralEvent.id)).all()
    out: dict[int, ReferralStatus | None] = {}
    for referral_id, to_status, at in rows:
        out.setdefault(referral_id, ReferralStatus.WAITING)
        if at < end and to_status:
            out[referral_id] = ReferralStatus(to_status)
    return out


def count_referrals(county_id: int, period: Period) -> dict:
    """Referrals sent and received in the period by their status at its end (read from each one's history);
    answer times only of answers recorded before the end; disputes filed in the period as they stood at the end."""
    start, end = period.bounds()
    sent = db.session.execute(
        sa.select(Referral.kind, Referral.status, Referral.created_at, Referral.responded_at, Referral.id)
        .where(Referral.tenant_id == county_id, Referral.created_at >= start, Referral.created_at < end)).all()
    received = db.session.execute(
        sa.select(Referral.kind, Referral.status, Referral.created_at, Referral.responded_at, Referral.id)
        .join(Unit, Unit.id == Referral.to_unit_id, isouter=True)
        .where(Referral.created_at >= start, Referral.created_at < end,
               sa.or_(Referral.to_county_id == county_id,
                      (Referral.tenant_id == county_id) & (Referral.kind == ReferralKind.UNIT)))).all()

    at_end = _statuses_at({r.id for r in sent} | {r.id for r in received}, end)

    def tally(rows):
        by_kind = {k.value: {g: 0 for g in OUTCOME_GROUPS} for k in ReferralKind}
        hours = []
        for kind, status, created, responded, referral_id in rows:
            if referral_id in at_end and at_end[referral_id] is not None:
                status = at_end[referral_id]
            elif not recorded_by(responded, end):
                status = ReferralStatus.WAITING  # no history: answered after the end is not answered
            group = next(g for g, statuses in OUTCOME_GROUPS.items() if status in statuses)
            by_kind[kind.value][group] += 1
            if recorded_by(responded, end):
                hours.append(round((responded - created).total_seconds() / 3600, 2))
        return {"by_kind": by_kind, "response_hours": hours}

    disputes = db.session.execute(
        sa.select(Dispute.status, Dispute.decision, Dispute.filed_at, Dispute.decided_at, Dispute.responded_at,
                  Dispute.withdrawn_at)
        .where(Dispute.tenant_id == county_id, Dispute.filed_at >= start, Dispute.filed_at < end)).all()
    d = {"filed": len(disputes), "by_outcome": {o.value: 0 for o in DisputeOutcome}, "agreed": 0, "open": 0,
         "withdrawn": 0, "days": []}
    for status, decision, filed, decided, responded, withdrawn in disputes:
        if status == DisputeStatus.DECIDED and not recorded_by(decided, end):
            status = DisputeStatus.AWAITING_ARBITER  # decided after the end: still open at the end
        elif status == DisputeStatus.AGREED and not recorded_by(responded, end):
            status = DisputeStatus.AWAITING_RESPONSE
        elif status == DisputeStatus.WITHDRAWN and not recorded_by(withdrawn, end):
            status = DisputeStatus.AWAITING_RESPONSE  # withdrawn after the end
        if status == DisputeStatus.DECIDED and decision is not None:
            d["by_outcome"][decision.value] += 1
            d["days"].append(round((decided - filed).total_seconds() / 86400, 2))
        elif status == DisputeStatus.AGREED:
            d["agreed"] += 1
            if responded is not None:
                d["days"].append(round((responded - filed).total_seconds() / 86400, 2))
        elif status == DisputeStatus.WITHDRAWN:
            d["withdrawn"] += 1
        else:
            d["open"] += 1
    return {"sent": tally(sent), "received": tally(received), "disputes": d}


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 1)


def derive_referrals(c: dict) -> dict:
    def table(side):
        rows = []
        for kind in ReferralKind:
            line = c[side]["by_kind"][kind.value]
            rows.append((kind.label, sum(line.values()), *[line[g] for g in OUTCOME_GROUPS]))
        totals = [sum(r[i] for r in rows) for i in range(1, len(OUTCOME_GROUPS) + 2)]
        hours = c[side]["response_hours"]
        return {"rows": rows, "total": ("合計", *totals),
                "median_hours": None if not hours else round(median(hours), 1), "p90_hours": _percentile(hours, .9),
                "answered": len(hours)}

    d = c["disputes"]
    return {"columns": ["轉介對象", "件數"] + [OUTCOME_LABELS[g] for g in OUTCOME_GROUPS],
            "sent": table("sent"), "received": table("received"),
            "disputes": {"filed": d["filed"], "agreed": d["agreed"], "open": d["open"], "withdrawn": d["withdrawn"],
                         "by_outcome": [(DisputeOutcome(k).label, v) for k, v in d["by_outcome"].items()],
                         "median_days": None if not d["days"] else round(median(d["days"]), 1),
                         "p90_days": _percentile(d["days"], .9)},
            "rates": [("回覆時間", None, "轉介送出至對方受案、不受案或退回之時數；中位數與第 90 百分位數，僅計已回覆者"),
                      ("爭議處理天數", None, "提出爭議至雙方同意或縣市裁決之天數")],
            "chart": {"title": "送出轉介的結果（件）", "bars": [(OUTCOME_LABELS[g], v) for g, v in
                                                        zip(OUTCOME_GROUPS, table("sent")["total"][2:])]}}


# --- 6. 春節關懷訪視服務成果 ---------------------------------------------------------------

OUTCOMES = {"in_person": "面訪", "phone": "電訪", "not_reached": "未遇", "not_yet": "尚未訪視"}
SPRING_UNIT_KINDS = {UnitKind.WELFARE_CENTRE: "社福中心", UnitKind.DV_CENTRE: "家防中心",
                     UnitKind.MENTAL_HEALTH: "心衛社工", UnitKind.PARTNER_BRANCH: "民間團體"}
PER_COUNTY_ONLY = {"spring": ("by_unit",)}  # unit names mean nothing once counties are added up


def count_spring(county_id: int, period: Period) -> dict:
    """The families of the campaign whose dates are the period: listed and visited by source, by indicator
    and by visiting unit; children whose care was confirmed; findings and the reports they raised;
    services (cash with amounts) and referrals."""
    blank = lambda: {"listed": 0, **{k: 0 for k in OUTCOMES}}  # noqa: E731
    out = {"totals": {**blank(), "in_person_required": 0, "in_person_required_done": 0, "in_person_missing": 0, "attempts": 0, "visits": 0,
                      "children_confirmed": 0, "findings": 0, "new_reports": 0, "referrals": 0, "needs": 0},
           "by_source": {s.value: blank() for s in EntrySource}, "by_network": {k.value: 0 for k in NetworkKind},
           "by_indicator": {}, "by_unit_kind": {k: blank() for k in [*SPRING_UNIT_KINDS.values(), "其他"]},
           "by_unit": {}, "services": {k: {"families": 0, "times": 0, "amount": 0} for k in campaigns.SERVICE_KINDS}}
    campaign = db.session.scalars(sa.select(Campaign).where(Campaign.starts_on == period.start,
                                                            Campaign.ends_on == period.end).order_by(Campaign.id)).first()
    if campaign is None:
        return out
    labels = campaigns.indicator_labels(campaign.rule_set)
    units = dict(db.session.execute(sa.select(Unit.id, Unit.name)).all())
    unit_kinds = {uid: SPRING_UNIT_KINDS.get(kind, "其他") for uid, kind in db.session.execute(sa.select(Unit.id, Unit.kind))}
    t = out["totals"]
    for e in campaigns.outcomes(campaign, county_id, recorded_before=period.as_of):  # as at the campaign's end
        outcome = e.outcome
        buckets = [t, out["by_source"][e.source.value],
                   out["by_unit"].setdefault(units.get(e.visiting_unit_id, "未指定"), blank()),
                   out["by_unit_kind"][unit_kinds.get(e.visiting_unit_id, "其他")]]
        buckets += [out["by_indicator"].setdefault(f"{code} {labels.get(code, '')}".strip(), blank())
                    for code in e.indicators]
        for bucket in buckets:
            bucket["listed"] += 1
            bucket[outcome] += 1
        if e.network_kind:
            out["by_network"][e.network_kind] += 1
        t["in_person_required"] += e.in_person_required
        t["in_person_required_done"] += e.in_person_required and outcome == "in_person"
        t["in_person_missing"] += e.in_person_required and outcome == "phone"
        t["attempts"] += e.attempts
        t["visits"] += len(e.visits)
        t["children_confirmed"] += e.children_confirmed
        t["findings"] += any(v.finding for v in e.visits)
        t["new_reports"] += sum(1 for v in e.visits if v.new_report_id)
        t["referrals"] += any(v.referrals for v in e.visits)
        t["needs"] += any(v.needs for v in e.visits)
        given = defaultdict(list)
        for v in e.visits:
            for service in v.services or []:
                given[service.get("kind")].append(service.get("amount") or 0)
        for kind, amounts in given.items():
            if kind in out["services"]:
                line = out["services"][kind]
                line["families"] += 1
                line["times"] += len(amounts)
                line["amount"] += sum(a for a in amounts if isinstance(a, int))
    return out


def _spring_row(name: str, b: dict) -> tuple:
    reached = b["in_person"] + b["phone"]
    return (name, b["listed"], *[b[k] for k in OUTCOMES], rate(reached, b["listed"]))


def derive_spring(c: dict) -> dict:
    t = c["totals"]
    reached = t["in_person"] + t["phone"]
    return {
        "columns": ["", "列冊戶數", *OUTCOMES.values(), "完成率"],
        "total": _spring_row("合計", t),
        "by_source": [_spring_row(EntrySource(k).label, v) for k, v in c["by_source"].items()],
        "by_network": [(NetworkKind(k).label, v) for k, v in c["by_network"].items()],
        "by_indicator": [_spring_row(k, v) for k, v in sorted(c["by_indicator"].items())],
        "by_unit_kind": [_spring_row(k, v) for k, v in c["by_unit_kind"].items() if v["listed"]],
        "by_unit": [_spring_row(k, v) for k, v in sorted(c.get("by_unit", {}).items())],
        "summary": [("訪視紀錄（含未遇）", t["visits"]), ("未遇之聯繫次數", t["attempts"]),
                    ("須面訪戶數（一級指標或高危機成人保護）", t["in_person_required"]),
                    ("　其中僅電訪、尚未面訪", t["in_person_missing"]),
                    ("確認受照顧情形之兒少人數", t["children_confirmed"]),
                    ("發現疑似受虐或疏忽之戶數", t["findings"]), ("因此新增通報件數", t["new_reports"]),
                    ("記錄需求之戶數", t["needs"]), ("轉介其他服務之戶數", t["referrals"])],
        "services": [(SERVICE_KINDS.get(k, k), v["families"], v["times"], v["amount"]) for k, v in c["services"].items()],
        "rates": [("完成率", rate(reached, t["listed"]), "已面訪或電訪（確認兒少受照顧情形）之戶數 ÷ 列冊戶數；僅聯繫未果者不計入"),
                  ("面訪率", rate(t["in_person"], t["listed"]), "面訪戶數 ÷ 列冊戶數"),
                  ("須面訪戶之面訪率", rate(t["in_person_required_done"], t["in_person_required"]),
                   "已面訪之須面訪戶數 ÷ 須面訪戶數（符合一級指標或高危機成人保護者）")],
        "chart": {"title": "列冊家庭訪視結果（戶）", "bars": [(label, t[k]) for k, label in OUTCOMES.items()]},
    }


COUNTERS = {ReportKind.SCREENING: count_screening, ReportKind.VISITS: count_visits,
            ReportKind.VULNERABILITY: count_vulnerability, ReportKind.REFERRALS: count_referrals,
            ReportKind.SPRING: count_spring}
DERIVERS = {ReportKind.SCREENING: derive_screening, ReportKind.VISITS: derive_visits,
            ReportKind.VULNERABILITY: derive_vulnerability, ReportKind.REFERRALS: derive_referrals,
            ReportKind.SPRING: derive_spring}


def count(kind: ReportKind, county_id: int, period: Period) -> dict:
    return COUNTERS[kind](county_id, period)


def derive(kind: ReportKind, counts: dict) -> dict:
    return DERIVERS[kind](counts)


def count_empty(kind: ReportKind) -> dict:
    """The counts of a report with nothing in it (the shape, all zeros)."""
    return COUNTERS[kind](0, Period.of(PeriodKind.YEAR, 1912))


# --- Work lists (the home page) ------------------------------------------------------------------

QUARTERLY = (ReportKind.SCREENING, ReportKind.VISITS, ReportKind.VULNERABILITY, ReportKind.REFERRALS)


def last_quarter(today) -> Period:
    return next(p for p in recent_periods(PeriodKind.QUARTER, today, 2) if p.is_over(today))


def _due_on(period: Period):
    return date_type(period.end.year + (period.end.month == 12), period.end.month % 12 + 1, 10)


def reports_due(county_id: int, today) -> list[dict]:
    """The county's reports owed to the ministry that it has not submitted: the quarterly reports of the
    last finished quarter and the 春節關懷 report of the last campaign that has ended. Two queries."""
    wanted = [(kind, last_quarter(today)) for kind in QUARTERLY]
    campaign = db.session.scalars(sa.select(Campaign).where(Campaign.ends_on < today)
                                  .order_by(Campaign.ends_on.desc()).limit(1)).first()
    if campaign is not None:
        wanted.append((ReportKind.SPRING, Period.of_campaign(campaign)))
    submitted = set(db.session.execute(
        sa.select(ReportRun.kind, ReportRun.period_start, ReportRun.period_end)
        .where(ReportRun.tenant_id == county_id, ReportRun.submitted_at.is_not(None),
               sa.or_(*[sa.and_(ReportRun.kind == k, ReportRun.period_start == p.start, ReportRun.period_end == p.end)
                        for k, p in wanted]))).all())
    out = []
    for kind, period in wanted:
        if (kind, period.start, period.end) not in submitted:
            due = _due_on(period)
            out.append({"kind": kind, "period": period, "due_on": due, "late": today > due})
    return out


def counties_missing(today) -> dict:
    """The ministry's view: how many counties have not submitted every quarterly report of the last finished
    quarter (counts only, never a family). Two queries."""
    period = last_quarter(today)
    with tenancy.all_tenants("ministry home: which counties submitted the quarter's reports"):
        counties = db.session.execute(sa.select(County.id, County.name).where(County.is_active.is_(True))
                                      .order_by(County.sort_order)).all()
        done = db.session.execute(
            sa.select(ReportRun.tenant_id, sa.func.count(sa.distinct(ReportRun.kind)))
            .where(ReportRun.kind.in_(QUARTERLY), ReportRun.period_start == period.start,
                   ReportRun.period_end == period.end, ReportRun.submitted_at.is_not(None))
            .group_by(ReportRun.tenant_id)).all()
    complete = {cid for cid, n in done if n == len(QUARTERLY)}
    missing = [name for cid, name in counties if cid not in complete]
    due = _due_on(period)
    return {"period": period, "due_on": due, "late": today > due, "missing": missing, "counties": len(counties)}


def recent_runs(county_id: int, limit: int = 50) -> list:
    """The county's report runs, newest request first, without their files (the list shows states only)."""
    return db.session.scalars(sa.select(ReportRun).options(sa.orm.defer(ReportRun.pdf), sa.orm.defer(ReportRun.csv),
                                                           sa.orm.defer(ReportRun.xlsx))
                              .where(ReportRun.tenant_id == county_id)
                              .order_by(ReportRun.requested_at.desc()).limit(limit)).all()

"""What the ministry sees of the reports: the tables of the national view, its PDF and XLSX,
and a county's submitted report opened by the ministry, all built here as one
:class:`~app.reports.disclosure.Sheet` (keyed counts and the sums that relate them) and
published through the one disclosure rule. Unit-level rows (a 社福中心's line) are a
county's own detail and are not part of the ministry's tables: the ministry aggregates."""
from __future__ import annotations

from ..campaigns.models import EntrySource
from ..intake.reference import Concern, ReportingChannel
from . import queries
from .disclosure import Derived, Sheet, rate
from .models import ReportKind

NATIONAL = "全國"


def _columns(kind: ReportKind, c: dict) -> list[tuple[str, int]]:
    """One county's published counts (column label, count), from its stored counts."""
    if kind == ReportKind.SCREENING:
        invalid = sum(c["invalid"].values())
        dispatched = c["dispatched"]
        valid = sum(dispatched.values()) + c["referred"] + c["transferred"]
        return [("受理", c["received"]), ("有效", valid), ("無效", invalid), ("尚在篩派中", c["pending"]),
                ("派保護", dispatched["protective"]), ("派脆家", dispatched["vulnerable"]),
                ("派心衛", dispatched["mental_health"]), ("不派案/轉介", c["referred"]), ("移轉", c["transferred"])]
    if kind == ReportKind.VISITS:
        t = c["total"]
        return [("合計", sum(t[k] for k in queries.VISIT_COLUMNS))] + [
            (queries.VISIT_LABELS[k], t[k]) for k in queries.VISIT_COLUMNS]
    if kind == ReportKind.VULNERABILITY:
        return [("結案戶數", c["closed"])] + [(f"開案時{queries.LEVEL_LABELS[k][:1]}", c["opening"][k]) for k in queries.LEVELS] + [
            (f"結案時{queries.LEVEL_LABELS[k][:1]}", c["closing"][k]) for k in queries.LEVELS]
    if kind == ReportKind.REFERRALS:
        def side(s):
            groups = {g: sum(c[s]["by_kind"][k][g] for k in c[s]["by_kind"]) for g in queries.OUTCOME_GROUPS}
            return sum(groups.values()), groups
        sent_total, sent = side("sent")
        received_total, _ = side("received")
        return [("送出", sent_total), *[(f"送出{queries.OUTCOME_LABELS[g]}", sent[g]) for g in queries.OUTCOME_GROUPS],
                ("收到", received_total), ("爭議", c["disputes"]["filed"])]
    t = c["totals"]
    return [("列冊", t["listed"]), *[(label, t[k]) for k, label in queries.OUTCOMES.items()],
            ("兒少確認", t["children_confirmed"]), ("發現疑似受虐或疏忽", t["findings"]), ("新增通報", t["new_reports"])]


def _row_sums(kind: ReportKind, labels: list[str]) -> list[tuple[list[str], str]]:
    """The sums within one county's row: (parts, total)."""
    if kind == ReportKind.SCREENING:
        return [(["有效", "無效", "尚在篩派中"], "受理"), (["派保護", "派脆家", "派心衛", "不派案/轉介", "移轉"], "有效")]
    if kind == ReportKind.VISITS:
        return [(labels[1:], "合計")]
    if kind == ReportKind.VULNERABILITY:
        return [(labels[1:4], "結案戶數"), (labels[4:7], "結案戶數")]
    if kind == ReportKind.REFERRALS:
        return [([f"送出{queries.OUTCOME_LABELS[g]}" for g in queries.OUTCOME_GROUPS], "送出")]
    return [(list(queries.OUTCOMES.values()), "列冊")]


def _derived(kind: ReportKind, c: dict, refs: dict) -> list[tuple[str, Derived]]:
    """Rates and other figures computed from one county's counts (hidden with the counts they rest on)."""
    if kind == ReportKind.SCREENING:
        valid = sum(c["dispatched"].values()) + c["referred"] + c["transferred"]
        return [("有效率", rate(valid, c["received"], (refs["有效"], refs["受理"]))),
                ("24 小時內完成篩派率", rate(c["within_24h"], c["decided"], (refs["有效"],))),
                ("時限內完成篩派率", rate(c["within_deadline"], c["decided"], (refs["有效"],)))]
    if kind == ReportKind.VISITS:
        t = c["total"]
        total = sum(t[k] for k in queries.VISIT_COLUMNS)
        return [("開案率", rate(t["case_management"], total, (refs["合計"], refs[queries.VISIT_LABELS["case_management"]]))),
                ("轉介率", rate(t["refer_protective"] + t["refer_network"], total,
                              (refs["合計"], refs[queries.VISIT_LABELS["refer_protective"]], refs[queries.VISIT_LABELS["refer_network"]]))),
                ("10日內首次訪視率", rate(t["visit_on_time"], t["visit_due"], (refs["合計"],))),
                ("30日內評估報告完成率", rate(t["report_on_time"], t["report_due"], (refs["合計"],)))]
    if kind == ReportKind.VULNERABILITY:
        n = c["closed"]
        return [(f"{when}{queries.LEVEL_LABELS[k][:1]}比率", rate(c[side][k], n, (refs["結案戶數"], refs[f"{when}{queries.LEVEL_LABELS[k][:1]}"])))
                for side, when in (("opening", "開案時"), ("closing", "結案時")) for k in queries.LEVELS]
    if kind == ReportKind.REFERRALS:
        hours, days = c["sent"]["response_hours"], c["disputes"]["days"]
        d = queries.derive_referrals(c)
        return [("回覆中位數(時)", Derived(d["sent"]["median_hours"] if hours else "—", (refs["送出"],), (len(hours),))),
                ("爭議天數中位數", Derived(d["disputes"]["median_days"] if days else "—", (refs["爭議"],), (len(days),)))]
    t = c["totals"]
    cash = c["services"].get("emergency_cash", {"families": 0, "amount": 0})
    return [("急難紓困(元)", Derived(cash["amount"], (), (cash["families"],))),
            ("完成率", rate(t["in_person"] + t["phone"], t["listed"], (refs["列冊"], refs["面訪"], refs["電訪"])))]


def sheet(kind: ReportKind, by_county: list[tuple[str, dict]]) -> Sheet:
    """The ministry's tables for a report and period: a line per county that submitted and the national
    line (their sum), with the sums that relate them, then the national breakdowns."""
    s = Sheet()
    total = queries.add_up([c for _, c in by_county], kind) if by_county else queries.count_empty(kind)
    lines = [(name, c) for name, c in by_county] + [(NATIONAL, total)]
    labels = [label for label, _ in _columns(kind, total)]
    rows, derived_header = [], None
    for name, c in lines:
        refs = {label: s.cell((name, label), value) for label, value in _columns(kind, c)}
        for parts, whole in _row_sums(kind, labels):
            s.sum([refs[p] for p in parts], refs[whole])
        derived = _derived(kind, c, refs)
        derived_header = [label for label, _ in derived]
        rows.append([name, *refs.values(), *[d for _, d in derived]])
    for label in labels:
        s.sum([(name, label) for name, _ in by_county], (NATIONAL, label))
    s.table("各縣市（已送出之版本）與全國", ["縣市", *labels, *(derived_header or [])], rows)
    _breakdowns(s, kind, total)
    return s


def _breakdowns(s: Sheet, kind: ReportKind, total: dict) -> None:
    """National tables by category, tied to the national line by their sums."""
    if kind == ReportKind.SCREENING:
        rows = []
        channels = sorted(total.get("by_channel", {}).items())
        for code, line in channels:
            label = ReportingChannel(code).label
            rows.append([label, *[s.cell(("通報來源", label, col), line[col]) for col in ("received", "valid", "invalid")]])
        for col, whole in (("received", "受理"), ("valid", "有效"), ("invalid", "無效")):
            s.sum([("通報來源", ReportingChannel(code).label, col) for code, _ in channels], (NATIONAL, whole))
        s.table("全國：依通報來源", ["通報來源", "受理", "有效", "無效"], rows)
        s.table("全國：依通報類型（一件通報可有多種類型，無合計）", ["類型", "件次"],
                [[Concern(k).label, s.cell(("通報類型", k), v)] for k, v in total["by_concern"].items()])
    if kind == ReportKind.SPRING:
        rows = []
        for code, b in total["by_source"].items():
            label = EntrySource(code).label
            refs = [s.cell(("列冊來源", label, k), b[k]) for k in ("listed", *queries.OUTCOMES)]
            s.sum(refs[1:], refs[0])
            rows.append([label, *refs])
        for i, k in enumerate(("listed", *queries.OUTCOMES)):
            whole = "列冊" if k == "listed" else queries.OUTCOMES[k]
            s.sum([("列冊來源", EntrySource(code).label, k) for code in total["by_source"]], (NATIONAL, whole))
        s.table("全國：列冊來源", ["來源", "列冊戶數", *queries.OUTCOMES.values()], rows)

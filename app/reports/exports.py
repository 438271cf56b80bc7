"""The figures as tables (title, header, rows) for CSV and XLSX, from the same
derived figures the page and the PDF print."""
from __future__ import annotations

import csv
import io
import re

from .disclosure import Rate
from .models import ReportKind
from .queries import pct


def tables(kind: ReportKind, d: dict) -> list[tuple[str, list[str], list[list]]]:
    rates = ("比率", ["項目", "數值", "定義（分母）"], [[name, pct(value) if value is not None else "", definition]
                                                  for name, value, definition in d.get("rates", [])])
    if kind == ReportKind.SCREENING:
        return [("篩派結果", ["項目", "件次"], [[k.strip("　"), v] for k, v in d["summary"]]), rates,
                ("依通報來源", ["通報來源", "受理", "有效", "無效"], [list(r) for r in d["by_channel"]]),
                ("依通報類型（一案可有多類）", ["類型", "件次"], [list(r) for r in d["by_concern"]])]
    if kind == ReportKind.VISITS:
        header = ["社福中心", "合計", *d["columns"], "開案率", "轉介率", "10日內首次訪視率", "30日內評估報告完成率"]
        rows = [[r["name"], r["total"], *r["columns"], pct(r["open_rate"]), pct(r["referral_rate"]), pct(r["visit_rate"]),
                 pct(r["report_rate"])] for r in d["rows"] + [d["total"]]]
        return [("訪視評估（單位：戶）", header, rows), rates]
    if kind == ReportKind.VULNERABILITY:
        return [("開案時與結案時脆弱性（單位：戶）", ["脆弱性", "開案時戶數", "開案時比率", "結案時戶數", "結案時比率"],
                 [[name, o, pct(orate), c, pct(crate)] for name, o, orate, c, crate in d["rows"]]
                 + [["合計（結案戶數）", d["closed"], "", d["closed"], ""]]), rates]
    if kind == ReportKind.REFERRALS:
        out = []
        for side, title in (("sent", "送出的轉介"), ("received", "收到的轉介")):
            t = d[side]
            out.append((title, d["columns"], [list(r) for r in t["rows"]] + [list(t["total"])]))
            out.append((f"{title}：回覆時間（小時）", ["已回覆件數", "中位數", "第90百分位數"],
                        [[t["answered"], t["median_hours"] if t["median_hours"] is not None else "",
                          t["p90_hours"] if t["p90_hours"] is not None else ""]]))
        disputes = d["disputes"]
        out.append(("爭議", ["項目", "件數"], [["提出", disputes["filed"]], ["雙方同意", disputes["agreed"]],
                                            ["處理中", disputes["open"]], ["撤回", disputes["withdrawn"]]]
                    + [[f"裁決：{k}", v] for k, v in disputes["by_outcome"]]
                    + [["處理天數中位數", disputes["median_days"] if disputes["median_days"] is not None else ""],
                       ["處理天數第90百分位數", disputes["p90_days"] if disputes["p90_days"] is not None else ""]]))
        return out + [rates]
    if kind == ReportKind.SPRING:
        out = [(title, [first, *d["columns"][1:]], [list(r) for r in d[key]] + ([list(d["total"])] if total else []))
               for key, title, first, total in (
                   ("by_source", "列冊來源", "來源", True), ("by_indicator", "依指標（一戶可符合多項）", "指標", False),
                   ("by_unit_kind", "依訪視單位類別", "單位類別", True), ("by_unit", "依訪視單位", "訪視單位", True))
               if d[key] or key == "by_source"]
        for title, header, rows in out:
            for row in rows:
                row[-1] = pct(row[-1])
        out.append(("網絡單位查訪提供之家庭", ["網絡單位", "戶數"], [list(r) for r in d["by_network"]]))
        out.append(("訪視情形", ["項目", "數值"], [[k.strip("　"), v] for k, v in d["summary"]]))
        out.append(("提供服務", ["服務項目", "戶數", "次數", "金額（元）"], [list(r) for r in d["services"]]))
        return out + [rates]
    raise ValueError(kind)


def county_summary_header(kind: ReportKind) -> list[str]:
    return {ReportKind.SCREENING: ["縣市", "受理", "有效", "無效", "派保護", "派脆家", "派心衛", "不派案/轉介", "移轉",
                                   "24小時內", "時限內"],
            ReportKind.VISITS: ["縣市", "合計", "列入個案管理", "轉介保護", "轉介其他網絡", "福利諮詢", "重複/錯誤", "評估中",
                                "開案率", "轉介率"],
            ReportKind.VULNERABILITY: ["縣市", "結案戶數", "開案時高", "開案時中", "開案時低", "結案時高", "結案時中", "結案時低"],
            ReportKind.REFERRALS: ["縣市", "送出", "送出受案", "送出不受案", "收到", "回覆中位數(時)", "爭議", "爭議天數中位數"],
            ReportKind.SPRING: ["縣市", "列冊", "面訪", "電訪", "未遇", "尚未訪視", "兒少確認", "發現/通報", "急難紓困(元)",
                                "完成率"],
            }[kind]


def _small(value, suppress: bool = False):
    return value


def county_summary(kind: ReportKind, d: dict) -> list:
    """One county's exact line (the county's own figures; what the ministry sees is published by
    :mod:`app.reports.ministry` through the disclosure rule, never from here)."""
    if kind == ReportKind.SCREENING:
        s = dict((k.strip("　"), v) for k, v in d["summary"])
        rates = {name: value for name, value, _ in d["rates"]}
        values = [s["受理件次"], s["有效"], s["無效"], *[v for k, v in d["summary"] if k.startswith("　　")],
                  s["不派案／轉介他單位"], s["移轉他縣市"]]
        return [_small(v) for v in values] + [pct(rates["24 小時內完成篩派率"]), pct(rates["時限內完成篩派率"])]
    if kind == ReportKind.VISITS:
        t = d["total"]
        return [_small(v) for v in [t["total"], *t["columns"]]] + [pct(t["open_rate"]), pct(t["referral_rate"])]
    if kind == ReportKind.VULNERABILITY:
        return [_small(v) for v in [d["closed"], *[r[1] for r in d["rows"]], *[r[3] for r in d["rows"]]]]
    if kind == ReportKind.SPRING:
        t, summary = d["total"], dict((k.strip("　"), v) for k, v in d["summary"])
        cash = next((amount for label, _, _, amount in d["services"] if label.startswith("急難紓困")), 0)
        return [_small(v) for v in t[1:6]] + [
            _small(summary["確認受照顧情形之兒少人數"]),
            f"{_small(summary['發現疑似受虐或疏忽之戶數'])}/{_small(summary['因此新增通報件數'])}",
            cash, pct(t[6])]
    sent, received, disputes = d["sent"], d["received"], d["disputes"]
    return [_small(v) for v in [sent["total"][1], sent["total"][2], sent["total"][3], received["total"][1]]] + [
        sent["median_hours"] if sent["median_hours"] is not None else "—", _small(disputes["filed"]),
        disputes["median_days"] if disputes["median_days"] is not None else "—"]


def to_csv(heading: list[str], kind: ReportKind | None, d: dict | None, published: list | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in heading:
        writer.writerow([line])
    for title, header, rows in (published if published is not None else tables(kind, d)):
        writer.writerow([])
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


PERCENT = re.compile(r"^-?\d+(\.\d+)?%$")


def _append(sheet, row: list) -> None:
    """A row of the workbook: counts and amounts as numbers, a percentage (「40.93%」 or a
    :class:`~app.reports.disclosure.Rate`) as the number 0.4093 formatted as a percentage."""
    values, percent = [], []
    for i, v in enumerate(row):
        if isinstance(v, Rate):
            v = "—" if v.value is None else v.value / 100
            percent.append(i) if not isinstance(v, str) else None
        elif isinstance(v, str) and PERCENT.match(v):
            v = float(v[:-1]) / 100
            percent.append(i)
        values.append(v)
    sheet.append(values)
    for i in percent:
        sheet.cell(sheet.max_row, i + 1).number_format = "0.00%"


def to_xlsx(heading: list[str], kind: ReportKind | None, d: dict | None, by_county: list | None = None,
            published: list | None = None) -> bytes:
    """The workbook of a county's own report (``tables(kind, d)``), or of tables already published
    through the disclosure rule (``published``, for the ministry)."""
    # lazy: openpyxl is large and only the spreadsheet download needs it
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = (kind.label if kind else "報表")[:31]
    for line in heading:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=13)
    for title, header, rows in (published if published is not None else tables(kind, d)):
        sheet.append([])
        sheet.append([title])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.append(header)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            _append(sheet, row)
    sheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

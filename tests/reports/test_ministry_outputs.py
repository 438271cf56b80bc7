"""What the ministry sees: the submissions grid lists only the reports due for the period, and
every table it gets (screen, CSV, XLSX, PDF) is published through the one disclosure rule."""
from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import tenancy
from app.core.models import utcnow
from app.extensions import db as _db
from app.reports import disclosure, ministry
from app.reports.forms import period_token
from app.reports.models import PeriodKind, ReportKind, ReportRun, RunStatus
from app.reports.periods import Period

Q3 = Period.of(PeriodKind.QUARTER, 2026, 3)
Q2 = Period.of(PeriodKind.QUARTER, 2026, 2)


def visits(opened: int, consulted: int, assessing: int = 0) -> dict:
    return {"total": {"case_management": opened, "refer_protective": 0, "refer_network": 0,
                      "welfare_consultation": consulted, "duplicate_or_error": 0, "assessing": assessing,
                      "visit_due": opened + consulted, "visit_on_time": opened + consulted, "report_due": 0,
                      "report_on_time": 0},
            "by_centre": {"臺北市中正社會福利服務中心": {"case_management": opened, "refer_protective": 0, "refer_network": 0,
                                                   "welfare_consultation": consulted, "duplicate_or_error": 0,
                                                   "assessing": assessing, "visit_due": 0, "visit_on_time": 0,
                                                   "report_due": 0, "report_on_time": 0}}}


def submit(county, kind, period, figures):
    run = ReportRun(tenant_id=county.id, kind=kind, period_kind=period.kind, period_start=period.start,
                    period_end=period.end, version=1, status=RunStatus.DONE, figures=figures, submitted_at=utcnow(),
                    pdf=b"%PDF-exact", csv=b"exact", xlsx=b"exact")
    _db.session.add(run)
    _db.session.flush()
    return run


# --- Defect 4: only the reports due for a period ---------------------------------------------------

def test_the_grid_lists_only_the_reports_due_for_the_period(app, db, factories, as_user, listed):
    t, _ = listed
    campaign = Period.of_campaign(t["campaign"])
    taipei = t["taipei"]
    factories.county("花蓮縣")  # a county that submits nothing
    with app.test_request_context(), tenancy.all_tenants("test: submissions"):
        for kind in (ReportKind.SCREENING, ReportKind.VISITS, ReportKind.VULNERABILITY, ReportKind.REFERRALS):
            submit(taipei, kind, Q3, ReportKind.VISITS == kind and visits(5, 9) or None)
        submit(taipei, ReportKind.SPRING, campaign, None)
        _db.session.commit()
    ministry_user = as_user("moh.protect")
    for period in (Q3, Q2):  # quarters: the four quarterly reports, never the spring-festival report
        page = ministry_user.get(f"/reports/submissions?period={period_token(period)}").text
        head = re.search(r"<thead>(.*?)</thead>", page, re.DOTALL).group(1)
        assert "春節關懷訪視服務成果" not in head and "集中篩派案統計" in head and "脆弱家庭訪視評估" in head
        for county in ("臺北市", "花蓮縣"):
            row = re.search(rf"{county}</th>(.*?)</tr>", page, re.DOTALL).group(1)
            assert row.count("<td") == 4
            if county == "臺北市" and period == Q3:
                assert row.count("第 1 版") == 4 and "逾期未送" not in row  # submitted: nothing overdue
            else:
                assert row.count("逾期未送") == 4  # the quarter is over and nothing came in
    page = ministry_user.get(f"/reports/submissions?period={period_token(campaign)}").text
    head = re.search(r"<thead>(.*?)</thead>", page, re.DOTALL).group(1)
    assert "春節關懷訪視服務成果" in head and "集中篩派案統計" not in head and "脆弱家庭訪視評估" not in head
    taipei_row = re.search(r"臺北市</th>(.*?)</tr>", page, re.DOTALL).group(1)
    hualien_row = re.search(r"花蓮縣</th>(.*?)</tr>", page, re.DOTALL).group(1)
    assert taipei_row.count("<td") == 1 and "第 1 版" in taipei_row and "逾期" not in taipei_row
    assert hualien_row.count("<td") == 1 and "第 1 版" not in hualien_row
    # a report not due for the period has no national table either
    assert ministry_user.get(f"/reports/national/spring?period={period_token(Q3)}").status_code == 404
    assert ministry_user.get(f"/reports/national/visits?period={period_token(campaign)}").status_code == 404


# --- Defect 5: one disclosure rule on every table the ministry gets ---------------------------------

def cells(text: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", text, re.DOTALL)


def test_one_county_alone_the_national_line_is_its_line_and_the_unit_table_is_gone(app, db, factories, as_user):
    taipei = factories.county("臺北市")
    with app.test_request_context(), tenancy.all_tenants("test"):
        run_id = submit(taipei, ReportKind.VISITS, Q3, visits(1, 9)).id  # 1 family opened: must not be published
        _db.session.commit()
    ministry_user = as_user("moh.protect")
    page = ministry_user.get(f"/reports/national/visits?period={period_token(Q3)}").text
    assert "揭露規則" in page and "中正社會福利服務中心" not in page  # no unit-level table above
    national = re.search(r"<th scope=\"col\">縣市</th>.*?</table>", page, re.DOTALL).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", national, re.DOTALL)
    taipei_cells, national_cells = cells(rows[0]), cells(rows[1])
    assert taipei_cells[1:] == national_cells[1:]
    header = re.findall(r"<th scope=\"col\">(.*?)</th>", page.split("各縣市（已送出之版本）與全國")[1])
    assert taipei_cells[header.index("列入個案管理")] == "*"  # 1 family opened
    assert taipei_cells.count("*") >= 3  # and a complement in the row (合計 = sum of the outcomes) and its rate
    text = page.split('id="disclosure-rule"')[1]
    assert "10.00%" not in text  # the rate 1 of 10 would give the hidden 1 back

    for fmt in ("csv", "xlsx", "pdf"):
        data = ministry_user.get(f"/reports/{run_id}/file.{fmt}").data
        assert b"exact" not in data  # never the county's own exact file
        published = published_text(fmt, data)
        assert "揭露規則" in published and "中正社會福利服務中心" not in published and "10.00%" not in published
    for fmt in ("xlsx", "pdf"):
        data = ministry_user.get(f"/reports/national/visits.{fmt}?period={period_token(Q3)}").data
        published = published_text(fmt, data)
        assert "揭露規則" in published and "10.00%" not in published and "*" in published
        if fmt == "pdf":
            from pathlib import Path

            Path("test-artifacts").mkdir(exist_ok=True)
            Path("test-artifacts/ministry-national-visits.pdf").write_bytes(data)


def published_text(fmt: str, data: bytes) -> str:
    if fmt == "csv":
        return data.decode("utf-8-sig")
    if fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data))
        return "\n".join(",".join("" if v is None else (f"{v:.2%}" if isinstance(v, float) else str(v)) for v in row)
                         for sheet in book for row in sheet.iter_rows(values_only=True))
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 4)), min_size=1, max_size=4))
def test_no_hidden_cell_of_the_ministrys_tables_can_be_derived(lines):
    """Random counties' visit figures: the published tables hide every 1–2, and no hidden count follows
    from the published sums (the county lines, the national line, the outcomes and their total)."""
    names = ["臺北市", "新北市", "桃園市", "花蓮縣"]
    sheet = ministry.sheet(ReportKind.VISITS, [(names[i], visits(*line)) for i, line in enumerate(lines)])
    hidden = sheet.hidden()
    assert {k for k, v in sheet.values.items() if 0 < v < 3} <= hidden
    for g in sheet.groups:
        assert sum(k in hidden for k in (*g.parts, g.total)) != 1
    assert not disclosure.determined(sheet.values, sheet.groups, hidden)
    assert not disclosure.pinned(sheet.values, sheet.groups, hidden)
    (_, header, rows), = sheet.publish()
    for row in rows:  # a rate resting on a hidden count is hidden with it
        line = dict(zip(header, row))
        if "*" in (line["合計"], line["列入個案管理"]):
            assert line["開案率"] == "*"


# --- From defect 10: percentages are numbers in the workbook ----------------------------------------

def test_the_workbooks_store_numbers_and_percentages_as_numbers(app, db, factories, as_user, inline_jobs):
    from openpyxl import load_workbook

    from app.reports import exports, queries

    admin = as_user("tpe.admin")
    response = admin.post("/reports", {"rq-kind": "visits", "rq-period": period_token(Q3)})
    run_id = int(re.search(r"/reports/(\d+)", response.headers["Location"]).group(1))
    county_file = admin.get(f"/reports/{run_id}/file.xlsx").data  # the county's own workbook, as made by the job
    with_figures = exports.to_xlsx(["臺北市"], ReportKind.VISITS, queries.derive(ReportKind.VISITS, visits(3, 7)))
    for data in (county_file, with_figures):
        book = load_workbook(io.BytesIO(data))
        values = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
        assert not [c.value for c in values if isinstance(c.value, str) and re.fullmatch(r"-?\d+(\.\d+)?%", c.value)]
        assert not [c.value for c in values if isinstance(c.value, str) and re.fullmatch(r"\d+", c.value)]
        percents = [c for c in values if c.number_format == "0.00%"]
        assert (percents or data is county_file) and all(isinstance(c.value, (int, float)) for c in percents)
    with app.test_request_context(), tenancy.all_tenants("test"):
        submit(factories.county("花蓮縣"), ReportKind.VISITS, Q3, visits(30, 70))
        _db.session.commit()
    rates = {c.value for sheet in load_workbook(io.BytesIO(with_figures)) for row in sheet.iter_rows() for c in row
             if c.number_format == "0.00%"}
    assert 0.3 in rates  # 開案率 3 of 10, stored as 0.3 shown as 30.00%
    book = load_workbook(io.BytesIO(as_user("moh.protect").get(f"/reports/national/visits.xlsx?period={period_token(Q3)}").data))
    sheet = book.active
    row = next(r for r in sheet.iter_rows() if r[0].value == "花蓮縣")
    assert [c.value for c in row[1:4]] == [100, 30, 0] and all(isinstance(c.value, int) for c in row[1:3])
    opened = next(c for c, h in zip(row, next(r for r in sheet.iter_rows() if r[0].value == "縣市")) if h.value == "開案率")
    assert opened.value == pytest.approx(0.30) and opened.number_format == "0.00%"


@pytest.mark.parametrize("kind", list(ReportKind))
def test_every_report_is_published_through_the_rule(app, db, kind):
    """Each report's ministry tables, with small numbers set into its counts: every 1–2 hidden and
    no hidden count derivable; the rule's note goes with them."""
    from app.reports import queries

    def seed(c, n):  # every count of the shape set to a small or larger number, nested
        for k, v in c.items():
            if isinstance(v, dict):
                seed(v, n + 1)
            elif isinstance(v, int):
                c[k] = (n * 7 + len(k)) % 6
        return c

    with app.test_request_context(), tenancy.all_tenants("test"):
        a, b = seed(queries.count_empty(kind), 1), seed(queries.count_empty(kind), 2)
    if kind == ReportKind.SCREENING:
        a["by_channel"] = {"35": {"received": 4, "valid": 2, "invalid": 1}}
        b["by_channel"] = {"35": {"received": 7, "valid": 5, "invalid": 2}}
        for c in (a, b):  # consistent with the channel lines
            c["received"], c["pending"] = c["by_channel"]["35"]["received"], 1
            c["invalid"] = {k: 0 for k in c["invalid"]} | {next(iter(c["invalid"])): c["by_channel"]["35"]["invalid"]}
            c["dispatched"] = {k: 0 for k in c["dispatched"]} | {"vulnerable": c["by_channel"]["35"]["valid"]}
            c["referred"] = c["transferred"] = 0
    sheet = ministry.sheet(kind, [("臺北市", a), ("花蓮縣", b)])
    hidden = sheet.hidden()
    assert {k for k, v in sheet.values.items() if 0 < v < 3} <= hidden
    assert not disclosure.determined(sheet.values, sheet.groups, hidden)
    assert not disclosure.pinned(sheet.values, sheet.groups, hidden)
    tables = sheet.publish()
    assert tables and all(str(v) != "1" and str(v) != "2" for _, _, rows in tables for row in rows for v in row[1:]
                          if not isinstance(v, float))

"""Benchmark: generating each ministry report for a county with N family cases,
and the national table for 22 counties, on PostgreSQL.

    .venv/bin/python bench/reports.py            # 100,000 cases in 臺北市 over five years

Bulk-loads N family cases into 臺北市 (lead 社福中心 or 家防中心, outcomes,
first visits, assessment reports, opening and closing levels), as many intake
reports (every status, channel and concern) and N/5 referrals (every kind and
status, with response times), then for each report kind generates the latest
full year as the job does (count, derive, PDF, CSV, XLSX, stored) in a fresh
process, recording its wall time and the process's peak resident memory
(ru_maxrss, what one RQ work-horse would use). Finally it submits 臺北市's
figures on behalf of all 22 counties and times the national PDF + XLSX.
Results: bench/results/reports-*.json.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from common import ROOT, machine, make_database, prepare, write_result
from family_cases import _insert

CHANNELS = ["35", "36", "37", "16", "24", "15", "11", "10", "7"]
CONCERNS = ["vulnerable_family", "vulnerable_family", "child_protection", "ipv", "elder", "mental_health"]
OUTCOMES = ["case_management", "case_management", "refer_protective", "refer_network", "welfare_consultation",
            "welfare_consultation", "duplicate_or_error", None]
LEVELS = ["H", "M", "M", "M", "L"]


def load(owner: str, count: int, seed: int) -> dict:
    rng = random.Random(seed)
    engine = sa.create_engine(owner)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        county = conn.execute(sa.text("SELECT id, code FROM counties WHERE name = '臺北市'")).one()
        units = dict(conn.execute(sa.text("SELECT id, kind FROM units WHERE county_id = :c"), {"c": county.id}).all())
        welfare = [u for u, k in units.items() if k == "welfare_centre"]
        dv = next(u for u, k in units.items() if k == "dv_centre")
        mh = next(u for u, k in units.items() if k == "mental_health")
        batch = 5000
        for start in range(0, count, batch):
            cases, reports = [], []
            for i in range(start, min(start + batch, count)):
                received = now - timedelta(days=rng.randint(0, 5 * 365), minutes=rng.randint(0, 1440))
                outcome = rng.choice(OUTCOMES)
                closed = outcome == "case_management" and rng.random() < 0.6
                opened = outcome == "case_management"
                cases.append({
                    "tenant_id": county.id, "case_no": f"R-{i:07d}", "family_name": "○○家",
                    "status": "closed" if closed else ("open" if opened else ("assessing" if outcome is None else "not_opened")),
                    "received_at": received, "concerns": ["vulnerable_family"], "child_grade": "", "child_class": "",
                    "address": "", "phone": "", "closing_reason": "", "version": 1, "created_at": received, "updated_at": received,
                    "first_visit_at": received + timedelta(days=rng.randint(1, 14)),
                    "assessment_report_at": received + timedelta(days=rng.randint(10, 40)) if outcome else None,
                    "outcome": outcome, "opening_level": rng.choice(LEVELS) if opened else None,
                    "closing_level": rng.choice(["L", "L", "L", "M", "H"]) if closed else None,
                    "opened_at": received + timedelta(days=30) if opened else None,
                    "closed_at": received + timedelta(days=rng.randint(90, 400)) if closed else None})
                channel = rng.choice(CHANNELS)
                status = rng.choice(["dispatched"] * 6 + ["referred", "screened_out", "screened_out", "transferred"])
                decided = received + timedelta(hours=rng.choice([2, 6, 20, 30, 60, 90]))
                reports.append({
                    "tenant_id": county.id, "report_no": f"R{i:09d}", "lookup_hash": "", "channel": channel, "source_name": "",
                    "received_at": received, "address": "", "child_location": "", "concerns": [rng.choice(CONCERNS)],
                    "dimensions": [], "narrative": "", "urgent": False, "actions_taken": "", "victim_wishes": "",
                    "status": status, "deadline_at": received + timedelta(days=3), "deadline_kind": "3d", "directed_to": "",
                    "collaborator_unit_ids": [], "referred_to": "", "decision_note": "", "version": 1,
                    "created_at": received, "updated_at": received, "decided_at": decided,
                    "invalid_reason": rng.choice(["duplicate", "data_error", "out_of_scope"]) if status == "screened_out" else None,
                    "lead_unit_id": rng.choice([dv, mh] + welfare[:3]) if status == "dispatched" else None})
            ids = _insert(conn, "family_cases", {
                "tenant_id": "int", "case_no": "text", "family_name": "text", "status": "text", "received_at": "timestamptz",
                "concerns": "json", "child_grade": "text", "child_class": "text", "address": "text", "phone": "text",
                "closing_reason": "text", "version": "int", "created_at": "timestamptz", "updated_at": "timestamptz",
                "first_visit_at": "timestamptz", "assessment_report_at": "timestamptz", "outcome": "text",
                "opening_level": "text", "closing_level": "text", "opened_at": "timestamptz", "closed_at": "timestamptz"},
                cases, returning=True)
            _insert(conn, "case_units", {"tenant_id": "int", "case_id": "int", "unit_id": "int", "role": "text",
                                         "since": "timestamptz"},
                    [{"tenant_id": county.id, "case_id": cid, "unit_id": rng.choice(welfare) if rng.random() < .8 else dv,
                      "role": "lead", "since": c["received_at"]} for cid, c in zip(ids, cases)])
            _insert(conn, "reports", {
                "tenant_id": "int", "report_no": "text", "lookup_hash": "text", "channel": "text", "source_name": "text",
                "received_at": "timestamptz", "address": "text", "child_location": "text", "concerns": "json",
                "dimensions": "json", "narrative": "text", "urgent": "boolean", "actions_taken": "text",
                "victim_wishes": "text", "status": "text", "deadline_at": "timestamptz", "deadline_kind": "text",
                "directed_to": "text", "collaborator_unit_ids": "json", "referred_to": "text", "decision_note": "text",
                "version": "int", "created_at": "timestamptz", "updated_at": "timestamptz", "decided_at": "timestamptz",
                "invalid_reason": "text", "lead_unit_id": "int"}, reports)
            referrals = []
            for k, (cid, c) in enumerate(zip(ids, cases)):
                if k % 5:
                    continue
                kind = rng.choice(["unit", "unit", "partner", "county"])
                status = rng.choice(["waiting", "in_service", "completed", "completed", "declined", "returned", "withdrawn"])
                sent = c["received_at"] + timedelta(days=20)
                referrals.append({
                    "tenant_id": county.id, "referral_no": f"F{cid:09d}", "kind": kind, "case_id": cid, "from_unit_id": welfare[0],
                    "to_unit_id": dv if kind == "unit" else None, "reason": "bench", "services_requested": "",
                    "shared_sections": [], "shared_snapshot": {}, "consent": True, "consent_by": "案母", "legal_basis": "",
                    "urgency": "normal", "deadline_at": sent + timedelta(days=7), "status": status, "served_by": "",
                    "closing_text": "", "version": 1, "created_at": sent, "updated_at": sent,
                    "responded_at": sent + timedelta(hours=rng.randint(1, 200)) if status != "waiting" else None})
            _insert(conn, "referrals", {
                "tenant_id": "int", "referral_no": "text", "kind": "text", "case_id": "int", "from_unit_id": "int",
                "to_unit_id": "int", "reason": "text", "services_requested": "text", "shared_sections": "json",
                "shared_snapshot": "json", "consent": "boolean", "consent_by": "text", "legal_basis": "text", "urgency": "text",
                "deadline_at": "timestamptz", "status": "text", "served_by": "text", "closing_text": "text", "version": "int",
                "created_at": "timestamptz", "updated_at": "timestamptz", "responded_at": "timestamptz"}, referrals)
            print(f"  {min(start + batch, count):,} cases, reports and their referrals loaded", flush=True)
        conn.exec_driver_sql("ANALYZE")
        sizes = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                 for t in ("family_cases", "reports", "referrals")}
    engine.dispose()
    return {**sizes, "county_id": county.id, "load_seconds": round(time.perf_counter() - started, 1)}


ONE_REPORT = """
import json, sys
sys.path.insert(0, "bench")
from report_job import app_for, make_submitted, peak_rss_mb
from app.reports.models import ReportKind, PeriodKind
from app.reports.periods import Period
app = app_for(sys.argv[1])
kind, county_id, year = ReportKind(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with app.test_request_context():
    run, seconds, pages = make_submitted(kind, Period.of(PeriodKind.YEAR, year), county_id)
    print(json.dumps({"kind": kind.value, "seconds": round(seconds, 2), "pages": pages, "peak_rss_mb": peak_rss_mb(),
                      "pdf_kb": round(len(run.pdf) / 1024, 1), "xlsx_kb": round(len(run.xlsx) / 1024, 1)}))
"""

NATIONAL = """
import json, sys
sys.path.insert(0, "bench")
from report_job import app_for, copy_to_every_county, national, peak_rss_mb
from app.core import tenancy
from app.extensions import db
from app.reports.models import ReportKind, ReportRun, PeriodKind
from app.reports.periods import Period
import sqlalchemy as sa
app = app_for(sys.argv[1])
period = Period.of(PeriodKind.YEAR, int(sys.argv[2]))
with app.test_request_context():
    with tenancy.all_tenants("bench: Taipei's submitted reports"):
        runs = db.session.scalars(sa.select(ReportRun).where(ReportRun.submitted_at.is_not(None))).all()
    copy_to_every_county(runs)
    out = {kind.value: national(kind, period) for kind in ReportKind if kind != ReportKind.SPRING}
print(json.dumps({"national": out, "peak_rss_mb": peak_rss_mb()}))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    owner, runtime = make_database("safetynet_bench_reports")
    prepare(owner, runtime)
    loaded = load(owner, args.cases, args.seed)
    print("loaded", loaded, flush=True)
    year = date.today().year - 1  # the latest full year
    results = {}
    for kind in ("screening", "visits", "vulnerability", "referrals"):
        out = subprocess.run([sys.executable, "-c", ONE_REPORT, runtime, kind, str(loaded["county_id"]), str(year)],
                             cwd=ROOT, capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        results[kind] = json.loads(out.stdout.strip().splitlines()[-1])
        print(results[kind], flush=True)
    out = subprocess.run([sys.executable, "-c", NATIONAL, runtime, str(year)], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    national = json.loads(out.stdout.strip().splitlines()[-1])
    write_result("reports", {"machine": machine(), "data": {**loaded, "year": year}, "county_reports": results,
                             **national})


if __name__ == "__main__":
    main()

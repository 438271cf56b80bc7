"""Benchmark: computing a county's spring-festival visit list from N open cases, and
its results report, on PostgreSQL.

    .venv/bin/python bench/campaign_list.py      # 100,000 open cases in 臺北市 (family_cases.py's loader)

Loads N family cases (2–4 members each, with ages, random statuses of which
about 70 % are open) with bench/family_cases.py's bulk loader, marks a share of
members with tracking flags and placement returns, then computes the visit
list as the county administrator's button does (`services.request_list`, the
job run inline: facts in a few queries, rules, entries written), as the runtime role with RLS
on, first on an empty list and again on the full one (the reproducibility
rerun). With --all-open (the default) every loaded case is made open, so the
list is computed from N open families. Then visits are bulk-recorded for most
listed families (in person, phone, attempts; services with amounts) and the
春節關懷訪視服務成果 report is generated in a fresh process exactly as the job
does it (count, derive, PDF, CSV, XLSX, one commit), recording wall time and
peak memory; finally its submitted figures are copied to all 22 counties and
the national PDF + XLSX made. Results: bench/results/campaign-*.json.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import date

import sqlalchemy as sa

from common import ROOT, machine, make_database, prepare, write_result
from family_cases import _insert, load_cases


def mark_members(owner: str, seed: int, all_open: bool) -> dict:
    rng = random.Random(seed)
    engine = sa.create_engine(owner)
    with engine.begin() as conn:
        if all_open:
            conn.execute(sa.text("UPDATE family_cases SET status = 'open', closed_at = NULL "
                                 "WHERE status IN ('closed', 'not_opened')"))
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM case_members ORDER BY id"))]
        flagged = rng.sample(ids, len(ids) // 40)
        placed = rng.sample(ids, len(ids) // 200)
        conn.execute(sa.text("UPDATE case_members SET flags = '[\"drug\"]' WHERE id = ANY(:ids)"), {"ids": flagged})
        conn.execute(sa.text("UPDATE case_members SET placement_ended_on = DATE '2026-12-01' WHERE id = ANY(:ids)"),
                     {"ids": placed})
        open_cases = conn.execute(sa.text("SELECT count(*) FROM family_cases WHERE status NOT IN ('closed', 'not_opened')")).scalar()
    # The updates above leave every case and a tenth of the members as dead row versions, which a live
    # database's autovacuum clears long before anyone computes a list: measured on the cleared tables.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE family_cases")
        conn.exec_driver_sql("VACUUM ANALYZE case_members")
    engine.dispose()
    return {"flagged_members": len(flagged), "placement_returns": len(placed), "open_cases": open_cases}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--all-open", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    owner, runtime = make_database("safetynet_bench_campaign")
    prepare(owner, runtime)
    loaded = load_cases(owner, args.cases, args.seed)
    marks = mark_members(owner, args.seed, args.all_open)
    from app import create_app
    from app.campaigns import services
    from app.core import tenancy
    from app.extensions import db
    from app.tenants.models import County

    app = create_app({"SQLALCHEMY_DATABASE_URI": runtime, "SECRET_KEY": "bench", "REDIS_URL": None})
    runs = []
    with app.test_request_context():
        taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
        campaign = services.open_campaign("bench", date(2027, 2, 5), date(2027, 2, 10), None)
        db.session.commit()
        tenancy.set_tenant(taipei.id)
        for label in ("first", "rerun"):
            # the county administrator's button: a computation queued as a job (run inline here, no Redis)
            t0 = time.perf_counter()
            run = services.request_list(campaign, taipei.id, None)
            db.session.commit()
            runs.append({"run": label, "seconds": round(time.perf_counter() - t0, 2), "job_seconds": run.seconds,
                         "status": run.status.value, "families": run.families, "listed": run.listed,
                         "added": run.added, "removed": run.removed})
            print(runs[-1], flush=True)
        list_peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        campaign_id, county_id = campaign.id, taipei.id
    visits = record_visits(owner, campaign_id, args.seed)
    print("visits", visits, flush=True)
    out = subprocess.run([sys.executable, "-c", RESULTS_REPORT, runtime, str(campaign_id), str(county_id)], cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    report = json.loads(out.stdout.strip().splitlines()[-1])
    print(report, flush=True)
    write_result("campaign", {"machine": machine(), "data": {"cases": args.cases, "members": loaded["members"], **marks,
                                                             "visits": visits},
                              "runs": runs, "peak_rss_mb": list_peak, "results_report": report})


def record_visits(owner: str, campaign_id: int, seed: int) -> dict:
    """Most listed families visited: 60 % in person, 25 % by phone, 5 % attempts only, 10 % not yet."""
    rng = random.Random(seed)
    engine = sa.create_engine(owner)
    with engine.begin() as conn:
        entries = conn.execute(sa.text("SELECT id, case_id, tenant_id, visiting_unit_id FROM campaign_entries "
                                       "WHERE campaign_id = :c"), {"c": campaign_id}).all()
        rows = []
        for entry_id, case_id, tenant_id, unit_id in entries:
            roll = rng.random()
            method = "in_person" if roll < .6 else "phone" if roll < .85 else "not_reached" if roll < .9 else None
            if method is None:
                continue
            reached = method != "not_reached"
            services = []
            if reached and rng.random() < .3:
                services.append({"kind": "emergency_cash", "amount": rng.choice([3000, 5000, 6000, 10000])})
            if reached and rng.random() < .4:
                services.append({"kind": rng.choice(["in_kind", "meals"])})
            rows.append({"entry_id": entry_id, "case_id": case_id, "tenant_id": tenant_id, "unit_id": unit_id,
                         "visited_on": f"2027-02-0{rng.randint(1, 4)}", "method": method,
                         "children": [{"name": "兒", "care_ok": True}] * (rng.randint(1, 3) if reached else 0),
                         "services": services, "persons_seen": "", "needs": "", "referrals": "轉介" if rng.random() < .1 else "",
                         "finding": "", "worker_name": "bench", "recorded_at": "2027-02-04T10:00:00+08:00"})
        _insert(conn, "campaign_visits", {
            "entry_id": "int", "case_id": "int", "tenant_id": "int", "unit_id": "int", "visited_on": "date",
            "method": "text", "children": "jsonb", "services": "jsonb", "persons_seen": "text", "needs": "text",
            "referrals": "text", "finding": "text", "worker_name": "text", "recorded_at": "timestamptz"}, rows)
    engine.dispose()
    return {"entries": len(entries), "visits": len(rows)}


RESULTS_REPORT = """
import json, sys
sys.path.insert(0, "bench")
from report_job import app_for, copy_to_every_county, make_submitted, national, peak_rss_mb
from app.campaigns.models import Campaign
from app.extensions import db
from app.reports.models import ReportKind
from app.reports.periods import Period
app = app_for(sys.argv[1])
campaign_id, county_id = int(sys.argv[2]), int(sys.argv[3])
with app.test_request_context():
    period = Period.of_campaign(db.session.get(Campaign, campaign_id))
    run, seconds, pages = make_submitted(ReportKind.SPRING, period, county_id)
    totals = run.figures["totals"]
    county = {"seconds": round(seconds, 2), "pages": pages, "peak_rss_mb": peak_rss_mb(),
              **{k: totals[k] for k in ("listed", "in_person", "phone", "not_yet")}}
    copy_to_every_county([run])
    print(json.dumps({"county": county, "national": {**national(ReportKind.SPRING, period), "peak_rss_mb": peak_rss_mb()}}))
"""


if __name__ == "__main__":
    main()

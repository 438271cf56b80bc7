"""Benchmark: the screening page's duplicate search (可能重複) of a report, on PostgreSQL.

    make bench-data SCALE=0.25 BENCH_DB=safetynet_q
    .venv/bin/python bench/duplicate_search.py --database safetynet_q --reports 200

Picks N random reports (seeded) and, as the app's runtime role with row-level security on and in
the report's county scope, times ``intake.duplicates.find_possible_duplicates``: the other reports of
the last 90 days and the county's open cases with the same ID number, name and birth date, phone
digits or address (indexed keys). The report and its persons are loaded before the clock starts (the
page has them). Results go to bench/results/duplicate-search-*.json.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

import sqlalchemy as sa
from common import APP_ROLE, PG, machine, summary, write_result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="safetynet_scale")
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    runtime = f"{PG}/{args.database}".replace("postgres@", f"{APP_ROLE}@", 1)

    from app import create_app
    from app.core import tenancy
    from app.extensions import db
    from app.intake.duplicates import find_possible_duplicates
    from app.intake.models import Report

    app = create_app({"SQLALCHEMY_DATABASE_URI": runtime, "SECRET_KEY": "bench", "REDIS_URL": None})
    rng = random.Random(args.seed)
    timings, found = [], []
    with app.app_context():
        with tenancy.all_tenants("bench: pick random reports"):
            last = db.session.scalar(sa.select(sa.func.max(Report.id)))
            reports = db.session.scalar(sa.select(sa.func.count(Report.id)))
            picked = []
            while len(picked) < args.reports:
                row = db.session.execute(sa.select(Report.id, Report.tenant_id)
                                         .where(Report.id == rng.randint(1, last))).first()
                if row is not None:
                    picked.append(tuple(row))
        db.session.rollback()
        for i, (report_id, county_id) in enumerate(picked):
            with tenancy.tenant_scope(county_id):
                report = db.session.get(Report, report_id)
                _ = report.persons
                t0 = time.perf_counter()
                matches = find_possible_duplicates(report)
                elapsed = (time.perf_counter() - t0) * 1000
                db.session.rollback()
            if i >= 5:  # warm-up: connection pool, statement caches
                timings.append(elapsed)
                found.append(len(matches))
    result = {
        "database": args.database, "reports_in_data": reports, "reports_timed": len(timings), "seed": args.seed,
        "duplicate_search": summary(timings),
        "matches": {"mean": round(statistics.fmean(found), 2), "max": max(found)},
        "machine": machine(),
    }
    write_result("duplicate-search", result)


if __name__ == "__main__":
    main()

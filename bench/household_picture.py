"""Benchmark: the household picture (家戶圖像) of a report, and its risk flags, on PostgreSQL.

    make bench-data SCALE=0.05 BENCH_DB=h_hh_bench      # a generated data set (seed-scale)
    .venv/bin/python bench/household_picture.py --database h_hh_bench --reports 300

Picks N random reports of every county (seeded), and for each one, as the app's runtime role with
row-level security on and in the report's county scope, times what the screening page does for the
picture: the picture's queries (earlier reports, cases with their lead units, other systems'
statuses, TIPVDA scores — matched by ID number, or name and birth date), the risk flags computed from
it by the rule set in force, and, separately, the one audited cross-county look-up. The report and its
persons are loaded before the clock starts (the page has them already). Results (median, p95, max per
part, and the number of matched rows) go to bench/results/household-picture-*.json.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

import sqlalchemy as sa
from common import APP_ROLE, PG, machine, summary, write_result


def load_external(owner: str, share: float, seed: int) -> int:
    """What other systems would have sent: a 列管 status for a share of the case members with an ID number
    (seed-scale makes none), as the owner; the bench's own rows are replaced on each run."""
    engine = sa.create_engine(owner)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM external_statuses WHERE source_ref LIKE 'BENCH-%'"))
        made = conn.execute(sa.text(
            "INSERT INTO external_statuses (tenant_id, source, source_ref, id_number, name, birth_date, status, "
            "status_label, note, received_at, withdraw_reason, created_at, updated_at) "
            "SELECT tenant_id, (ARRAY['mental_health','suicide_prevention','drug_control'])[1 + id % 3], "
            "'BENCH-' || id, id_number, name, birth_date, 'listed', "
            "(ARRAY['精神照護列管','自殺防治列管','毒品列管'])[1 + id % 3], '', now(), '', now(), now() "
            "FROM case_members WHERE id_number <> '' AND abs(hashtext(id::text || :seed)) % 10000 < :cut"),
            {"seed": str(seed), "cut": int(share * 10000)}).rowcount
        conn.exec_driver_sql("ANALYZE external_statuses")
    engine.dispose()
    return made


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="safetynet_scale")
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--external-share", type=float, default=0.03)
    args = parser.parse_args()
    owner = f"{PG}/{args.database}"
    runtime = owner.replace("postgres@", f"{APP_ROLE}@", 1)
    external = load_external(owner, args.external_share, args.seed)

    from app import create_app
    from app.core import calendar, tenancy
    from app.extensions import db
    from app.household import queries, rules, services
    from app.intake.models import Report

    app = create_app({"SQLALCHEMY_DATABASE_URI": runtime, "SECRET_KEY": "bench", "REDIS_URL": None})
    rng = random.Random(args.seed)
    picture_ms, flags_ms, total_ms, elsewhere_ms = [], [], [], []
    sizes = {"reports": [], "cases": [], "external": [], "persons": [], "flags": []}
    with app.app_context():
        with tenancy.all_tenants("bench: pick random reports of every county"):
            last = db.session.scalar(sa.select(sa.func.max(Report.id)))
            counts = dict(db.session.execute(sa.select(sa.func.count(Report.id), sa.func.count(sa.distinct(
                Report.tenant_id)))).one()._mapping)
            picked = []
            while len(picked) < args.reports:
                rid = rng.randint(1, last)
                row = db.session.execute(sa.select(Report.id, Report.tenant_id).where(Report.id == rid)).first()
                if row is not None:
                    picked.append(tuple(row))
        db.session.rollback()
        on = calendar.today()
        version = services.rules_in_force(on)
        for i, (report_id, county_id) in enumerate(picked):
            with tenancy.tenant_scope(county_id):
                report = db.session.get(Report, report_id)
                _ = report.persons  # loaded before the clock, as on the page
                t0 = time.perf_counter()
                pic = queries.picture_of_report(report, on)
                t1 = time.perf_counter()
                flags = rules.flags(services.family_of_report(report, pic), version, on)
                t2 = time.perf_counter()
                services.cases_elsewhere(pic.persons, county_id, record_type="reports", record_id=report_id)
                t3 = time.perf_counter()
                db.session.rollback()  # the audit row of the cross-county look-up is not kept
            if i < 5:
                continue  # warm-up: connection pool, statement caches
            picture_ms.append((t1 - t0) * 1000)
            flags_ms.append((t2 - t1) * 1000)
            total_ms.append((t2 - t0) * 1000)
            elsewhere_ms.append((t3 - t2) * 1000)
            sizes["reports"].append(len(pic.reports))
            sizes["cases"].append(len(pic.cases))
            sizes["external"].append(len(pic.external))
            sizes["persons"].append(len(pic.persons))
            sizes["flags"].append(len(flags))
        with tenancy.all_tenants("bench: table sizes"):
            tables = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in
                      ("reports", "report_persons", "family_cases", "case_members", "external_statuses")}
    result = {
        "database": args.database, "reports_timed": len(total_ms), "seed": args.seed, "tables": tables,
        "external_statuses_loaded": external,
        "counties_with_reports": counts.get("count_2"),
        "picture_and_flags": summary(total_ms), "picture_queries": summary(picture_ms),
        "flags_rules": summary(flags_ms), "cross_county_lookup": summary(elsewhere_ms),
        "matched": {k: {"mean": round(statistics.fmean(v), 2), "max": max(v)} for k, v in sizes.items()},
        "machine": machine(),
    }
    write_result("household-picture", result)


if __name__ == "__main__":
    main()

"""Benchmark: computing a county's spring-festival visit list from N cases, on PostgreSQL.

    .venv/bin/python bench/campaign_list.py      # 100,000 cases in 臺北市 (family_cases.py's loader)

Loads N family cases (2–4 members each, with ages, random statuses of which
about 70 % are open) with bench/family_cases.py's bulk loader, marks a share of
members with tracking flags and placement returns, then computes the visit
list as the county administrator's button does (`services.compute_list`:
facts in a few queries, rules, entries written), as the runtime role with RLS
on, first on an empty list and again on the full one (the reproducibility
rerun). Results: bench/results/campaign-*.json.
"""
from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import date

import sqlalchemy as sa

from common import machine, make_database, prepare, write_result
from family_cases import load_cases


def mark_members(owner: str, seed: int) -> dict:
    rng = random.Random(seed)
    engine = sa.create_engine(owner)
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM case_members ORDER BY id"))]
        flagged = rng.sample(ids, len(ids) // 40)
        placed = rng.sample(ids, len(ids) // 200)
        conn.execute(sa.text("UPDATE case_members SET flags = '[\"drug\"]' WHERE id = ANY(:ids)"), {"ids": flagged})
        conn.execute(sa.text("UPDATE case_members SET placement_ended_on = DATE '2026-12-01' WHERE id = ANY(:ids)"),
                     {"ids": placed})
        open_cases = conn.execute(sa.text("SELECT count(*) FROM family_cases WHERE status NOT IN ('closed', 'not_opened')")).scalar()
    engine.dispose()
    return {"flagged_members": len(flagged), "placement_returns": len(placed), "open_cases": open_cases}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    owner, runtime = make_database("safetynet_bench_campaign")
    prepare(owner, runtime)
    loaded = load_cases(owner, args.cases, args.seed)
    marks = mark_members(owner, args.seed)
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
            t0 = time.perf_counter()
            result = services.compute_list(campaign, taipei.id, on=date(2027, 1, 20))
            db.session.commit()
            runs.append({"run": label, "seconds": round(time.perf_counter() - t0, 2), **result})
            print(runs[-1], flush=True)
    write_result("campaign", {"machine": machine(), "data": {"cases": args.cases, "members": loaded["members"], **marks},
                              "runs": runs, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})


if __name__ == "__main__":
    main()

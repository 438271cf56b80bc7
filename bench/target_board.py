"""Benchmark: the 2.0 target board's computation on national-scale data.

    .venv/bin/python bench/target_board.py --database safetynet_scale     # after `make bench-data`

Times, in the app as the runtime role (row-level security on): (a) the nightly snapshot job
(``flask targets-snapshot``) for the 22 counties, and for one county (the 「重新計算」 button);
(b) the board page's work reading the snapshot (every measure, years 115–119, the disclosure rule
and the charts; the template aside), national (the ministry) and a county's; (c) one county's
drill-down (every measure's gap list for the year, and its figure). ``--live`` also times the
request-time computation without a snapshot. Each is run ``--repeat`` times; the median and the
slowest are written to bench/results/target-board-*.json (the snapshot rows stay in the database).
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

import sqlalchemy as sa
from common import APP_ROLE, PG, machine, write_result

from app import create_app
from app.core import calendar, tenancy
from app.extensions import db
from app.targets import board, snapshot, views
from app.tenants.models import County


def timed(fn, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        db.session.rollback()
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
            "runs": [round(t, 3) for t in times]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="safetynet_scale")
    parser.add_argument("--county", default="臺北市")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="the day the board is made (ISO)")
    parser.add_argument("--live", action="store_true", help="also time the request-time computation (slow)")
    args = parser.parse_args()
    runtime = f"{PG}/{args.database}".replace("postgres@", f"{APP_ROLE}@", 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": runtime, "SECRET_KEY": "bench", "REDIS_URL": None})
    with app.app_context(), app.test_request_context():  # the drill-down's rows carry links (url_for)
        today = args.today or calendar.today()
        with tenancy.all_tenants("bench: counts of the data set"):
            county_id = db.session.scalar(sa.select(County.id).where(County.name == args.county))
            sizes = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                     for t in ("reports", "family_cases", "case_contacts")}
        all_ids = list(db.session.scalars(sa.select(County.id).order_by(County.id)))
        periods = snapshot.snapshot_periods(today)
        result = {"today": today.isoformat(), "sizes": sizes, "measures": [m.code for m in board.measures()],
                  "snapshot_periods": [p.label for p in periods]}
        if args.live:  # the request-time computation (no snapshot), as before the snapshot existed
            result["live_national"] = timed(lambda: board.compute(today, snapshot=False), args.repeat)
            result["live_county"] = timed(lambda: board.compute(today, only=county_id, snapshot=False), args.repeat)
        # (a) the nightly job for every county (each county commits its rows, as `flask targets-snapshot`)
        t0 = time.perf_counter()
        rows = snapshot.run_snapshot(all_ids, force=True)
        db.session.commit()  # in a request context the job does not commit itself (the request edge would)
        result["snapshot_job"] = {"counties": len(all_ids), "periods": len(periods), "rows": rows,
                                  "seconds": round(time.perf_counter() - t0, 3)}
        print("snapshot job", result["snapshot_job"], flush=True)
        t0 = time.perf_counter()
        snapshot.run_snapshot([county_id], force=True)
        db.session.commit()
        result["snapshot_one_county_s"] = round(time.perf_counter() - t0, 3)
        national = board.compute(today)
        result["national_figures"] = {code: [(c.numerator, c.denominator) for c in cells]
                                      for code, cells in national.national.items()}
        result["live_periods_left"] = [p.label for p in national.live_periods]
        # (b) the board page's work reading the snapshot: national (ministry) and one county
        result["national_page_work"] = timed(lambda: views._board_rows(board.compute(today), None), args.repeat)
        result["county_page_work"] = {"name": args.county, **timed(
            lambda: views._board_rows(board.compute(today), county_id), args.repeat)}
        print("page work", result["national_page_work"], result["county_page_work"], flush=True)
        result["county_only"] = timed(lambda: board.compute(today, only=county_id), args.repeat)
        # (c) one county's drill-down: every measure's gap list for the year, and its cell
        year = board.year_period(today.year - board.ROC_OFFSET)

        def drill():
            with tenancy.tenant_scope(county_id):
                sizes_ = {m.code: len(m.gap(county_id, year.start, year.end)) for m in board.measures() if m.gap}
            board.compute(today, [year], only=county_id)
            return sizes_

        result["drill_down_rows"] = drill()
        result["drill_down_all_measures"] = timed(drill, args.repeat)
        result["drill_down_per_measure"] = {}
        for m in board.measures():
            if m.gap:
                def one(m=m):
                    with tenancy.tenant_scope(county_id):
                        m.gap(county_id, year.start, year.end)
                result["drill_down_per_measure"][m.code] = timed(one, max(1, args.repeat // 2))
        result["machine"] = machine()
    path = write_result("target-board", result)
    print(f"snapshot job {result['snapshot_job']['seconds']} s ({result['snapshot_job']['rows']} rows); "
          f"board from snapshot: national {result['national_page_work']['median_s']} s, {args.county} "
          f"{result['county_page_work']['median_s']} s; drill-down {result['drill_down_all_measures']['median_s']} s -> {path}")


if __name__ == "__main__":
    main()

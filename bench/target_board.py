"""Benchmark: the 2.0 target board's computation on national-scale data.

    .venv/bin/python bench/target_board.py --database safetynet_scale     # after `make bench-data`

Times, in the app as the runtime role (row-level security on), what the board page computes at
request time: every measure for every year 115–119 (years not begun are not counted) for the 22
counties and their national sums (the ministry's board and any county's national line), then the
same for one county alone (a county's drill-down figure), and the disclosure rule and the charts on
top of the national computation (the page's whole work but the template). Each is run ``--repeat``
times; the median and the slowest are written to bench/results/target-board-*.json.
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
from app.targets import board, views
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
    args = parser.parse_args()
    runtime = f"{PG}/{args.database}".replace("postgres@", f"{APP_ROLE}@", 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": runtime, "SECRET_KEY": "bench", "REDIS_URL": None})
    with app.app_context():
        today = args.today or calendar.today()
        with tenancy.all_tenants("bench: counts of the data set"):
            county_id = db.session.scalar(sa.select(County.id).where(County.name == args.county))
            sizes = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                     for t in ("reports", "family_cases", "case_contacts")}
        national = board.compute(today)
        checks = {code: [(c.numerator, c.denominator) for c in cells] for code, cells in national.national.items()}
        result = {
            "today": today.isoformat(), "sizes": sizes, "measures": [m.code for m in board.measures()],
            "national_figures": checks,
            "national": timed(lambda: board.compute(today), args.repeat),
            "county": {"name": args.county, **timed(lambda: board.compute(today, only=county_id), args.repeat)},
            "national_page_work": timed(lambda: views._board_rows(board.compute(today), None), args.repeat),
            "machine": machine(),
        }
    path = write_result("target-board", result)
    print(f"national {result['national']['median_s']} s, {args.county} {result['county']['median_s']} s, "
          f"with disclosure and charts {result['national_page_work']['median_s']} s -> {path}")


if __name__ == "__main__":
    main()

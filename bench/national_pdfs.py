"""Benchmark: the PDFs on national-scale data — each report of step 6 for the
largest county's latest full quarter, the national tables from all 22
counties' submitted reports, and the tracking table of the meeting with the
most open items; each in a process started for it, as one RQ work-horse
would run it, with that process's peak resident memory.

    .venv/bin/python bench/national_pdfs.py --database safetynet_scale

Runs against a database filled by `flask --app app seed-scale`. It deletes
and remakes the report versions of the quarter it uses (nothing else).
Results: bench/results/national-pdfs-*.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, date, datetime

import sqlalchemy as sa
from common import APP_ROLE, PG, ROOT, machine, write_result
from meeting_table import pdf_in_fresh_process

PERIODIC = ("screening", "visits", "vulnerability", "referrals")


def last_full_quarter(today: date) -> tuple[int, int]:
    quarter = (today.month - 1) // 3  # the current quarter's number minus one
    return (today.year, quarter) if quarter else (today.year - 1, 4)


def job(*args: str) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "report_job.py"), *args], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="safetynet_scale")
    parser.add_argument("--pdf-runs", type=int, default=3, help="tracking-table PDF runs")
    args = parser.parse_args()
    owner = f"{PG}/{args.database}"
    runtime = owner.replace("postgres@", f"{APP_ROLE}@", 1)
    year, quarter = last_full_quarter(date.today())
    period = ["quarter", str(year), str(quarter)]

    engine = sa.create_engine(owner)
    with engine.begin() as conn:
        largest = conn.execute(sa.text("""SELECT c.id, c.name, count(f.id) AS cases FROM counties c
                                          JOIN family_cases f ON f.tenant_id = c.id GROUP BY c.id, c.name
                                          ORDER BY count(f.id) DESC LIMIT 1""")).one()
        conn.execute(sa.text("DELETE FROM report_runs WHERE period_kind = 'quarter' AND period_start = :s"),
                     {"s": date(year, 3 * quarter - 2, 1)})
        meeting = conn.execute(sa.text("""SELECT m.id, count(i.id) AS open_items FROM meetings m
                                          JOIN action_items i ON i.series_id = m.series_id AND i.closed_at_id IS NULL
                                           AND i.merged_into_id IS NULL AND i.raised_at_id <= m.id
                                          WHERE m.county_id IS NULL  -- the ministry's (the job runs without a county here)
                                            AND m.held_on = (SELECT max(held_on) FROM meetings m2 WHERE m2.series_id = m.series_id)
                                          GROUP BY m.id ORDER BY count(i.id) DESC LIMIT 1""")).one()
    engine.dispose()
    print(f"largest county {largest.name} ({largest.cases:,} cases); {year} Q{quarter}; "
          f"meeting {meeting.id} with {meeting.open_items} open items", flush=True)

    county = {}
    for kind in PERIODIC:
        county[kind] = job("one", runtime, kind, str(largest.id), *period)
        print(kind, county[kind], flush=True)
    engine = sa.create_engine(owner)
    with engine.begin() as conn:  # the largest county's versions are remade with the others
        conn.execute(sa.text("DELETE FROM report_runs WHERE period_kind = 'quarter' AND period_start = :s"),
                     {"s": date(year, 3 * quarter - 2, 1)})
    engine.dispose()
    everywhere = job("everywhere", runtime, *period)
    print("every county submitted", everywhere, flush=True)
    national = job("national", runtime, *period)
    print("national", national, flush=True)
    tracking = pdf_in_fresh_process(runtime, meeting.id, args.pdf_runs, None)
    print("tracking table", tracking, flush=True)
    write_result("national-pdfs", {
        "benchmark": "PDFs on national-scale data (issue 9)",
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "county": {"name": largest.name, "cases": largest.cases, "period": f"{year} Q{quarter}", "reports": county},
        "every_county_submitted": everywhere, "national": national,
        "tracking_table": {"meeting_id": meeting.id, "open_items": meeting.open_items, **tracking},
    })


if __name__ == "__main__":
    main()

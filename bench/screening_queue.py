"""Benchmark: the screening-queue page with N open reports in one county, on PostgreSQL.

    .venv/bin/python bench/screening_queue.py            # 10,000 open reports in 臺北市, 300 requests, 4 at a time

It makes a database of its own (safetynet_bench), migrates it as the owner,
loads the reference data and demo accounts, bulk-inserts the open reports with
core inserts, starts gunicorn as the app's runtime role (RLS on), logs in as
the demo dispatcher and times GET /intake/queue against GET /healthz (the
framework's floor on this machine). Results go to bench/results/queue-*.json.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import time
from datetime import datetime, timedelta, timezone

import requests
import sqlalchemy as sa

from common import GIVEN, SURNAMES, login, machine, make_database, measure, prepare, serve, write_result


def load_reports(owner: str, count: int, seed: int) -> float:
    rng = random.Random(seed)
    engine = sa.create_engine(owner)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        county_id = conn.execute(sa.text("SELECT id FROM counties WHERE name = '臺北市'")).scalar()
        districts = [r[0] for r in conn.execute(sa.text("SELECT id FROM districts WHERE county_id = :c"), {"c": county_id})]
        batch = 2000
        for start in range(0, count, batch):
            reports, persons = [], []
            for i in range(start, min(start + batch, count)):
                received = now - timedelta(minutes=rng.randint(0, 3 * 24 * 60))
                urgent = rng.random() < 0.3
                reports.append({
                    "tenant_id": county_id, "report_no": f"B{i:011d}", "lookup_hash": "", "channel": rng.choice(["35", "36", "7", "16", "24"]),
                    "source_name": "bench", "received_at": received, "district_id": rng.choice(districts), "address": "",
                    "child_location": "", "concerns": [rng.choice(["child_protection", "vulnerable_family", "ipv"])],
                    "dimensions": [], "narrative": "效能測試通報", "urgent": urgent, "actions_taken": "", "victim_wishes": "",
                    "status": "received", "deadline_at": received + (timedelta(hours=24) if urgent else timedelta(days=3)),
                    "deadline_kind": "24h" if urgent else "3d", "directed_to": "", "referred_to": "", "decision_note": "",
                    "collaborator_unit_ids": [], "version": 1, "created_at": received, "updated_at": received,
                })
            ids = conn.execute(sa.text(
                "INSERT INTO reports (tenant_id, report_no, lookup_hash, channel, source_name, received_at, district_id, address, "
                "child_location, concerns, dimensions, narrative, urgent, actions_taken, victim_wishes, status, deadline_at, "
                "deadline_kind, directed_to, referred_to, decision_note, collaborator_unit_ids, version, created_at, updated_at) "
                "SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(tenant_id int, report_no text, lookup_hash text, "
                "channel text, source_name text, received_at timestamptz, district_id int, address text, child_location text, "
                "concerns json, dimensions json, narrative text, urgent bool, actions_taken text, victim_wishes text, status text, "
                "deadline_at timestamptz, deadline_kind text, directed_to text, referred_to text, decision_note text, "
                "collaborator_unit_ids json, version int, created_at timestamptz, updated_at timestamptz) RETURNING id"
            ), {"rows": json.dumps(reports, default=str)}).scalars().all()
            for report_id in ids:
                for position in range(rng.randint(1, 3)):
                    persons.append({"tenant_id": county_id, "report_id": report_id, "position": position,
                                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2]),
                                    "sex": rng.choice("FMU"), "id_number": "", "relation": "subject", "school": "", "phone": ""})
            conn.execute(sa.text(
                "INSERT INTO report_persons (tenant_id, report_id, position, name, sex, id_number, relation, school, phone) "
                "SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(tenant_id int, report_id int, position int, "
                "name text, sex text, id_number text, relation text, school text, phone text)"), {"rows": json.dumps(persons)})
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--port", type=int, default=5077)
    args = parser.parse_args()

    owner, runtime = make_database()
    prepare(owner, runtime)
    load_seconds = load_reports(owner, args.reports, args.seed)
    proc = serve(runtime, args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        queue = measure(lambda: login(base, "tpe.dispatch"), f"{base}/intake/queue", args.requests, args.concurrency)
        floor = measure(requests.Session, f"{base}/healthz", args.requests, args.concurrency)
        body = login(base, "tpe.dispatch").get(f"{base}/intake/queue").text
        shown = len(re.findall(r'href="/intake/reports/\d+"', body))
        open_count = re.search(r"待處理 <strong>(\d+)</strong>", body).group(1)
    finally:
        proc.terminate()
        proc.wait(10)
    result = {
        "benchmark": "screening queue page (GET /intake/queue), one county",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "database": "PostgreSQL (runtime role, row-level security on), gunicorn 2 workers",
        "open_reports_in_county": int(open_count), "rows_shown_per_page": shown,
        "bulk_load_seconds": round(load_seconds, 1),
        "queue_page": queue, "healthz_floor": floor,
        "queue_vs_floor_throughput": round(queue["throughput_rps"] / floor["throughput_rps"], 3),
    }
    write_result("queue", result)


if __name__ == "__main__":
    main()

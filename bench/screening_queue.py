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
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
APP_ROLE = os.environ.get("DB_APP_ROLE", "safetynet_app")
DB_NAME = "safetynet_bench"
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "怡君雅婷志明家豪淑芬建宏美玲俊傑心怡宗翰詩涵冠宇佳穎承恩"


def make_database():
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{DB_NAME}"')
    admin.dispose()
    owner = f"{PG}/{DB_NAME}"
    runtime = owner.replace("postgres@", f"{APP_ROLE}@", 1)
    return owner, runtime


def prepare(owner: str, runtime: str):
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.demo import seed_demo_users
    from app.extensions import db
    from app.tenants.seed import seed_reference_data

    app = create_app({"SQLALCHEMY_DATABASE_URI": owner, "MIGRATIONS_DATABASE_URL": owner, "SECRET_KEY": "bench",
                      "REDIS_URL": None})
    with app.app_context():
        upgrade()
        seed_reference_data()
        seed_demo_users()
        db.session.commit()
    return app


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
                    "child_location": "", "concerns": json.dumps([rng.choice(["child_protection", "vulnerable_family", "ipv"])]),
                    "dimensions": "[]", "narrative": "效能測試通報", "urgent": urgent, "actions_taken": "", "victim_wishes": "",
                    "status": "received", "deadline_at": received + (timedelta(hours=24) if urgent else timedelta(days=3)),
                    "deadline_kind": "24h" if urgent else "3d", "directed_to": "", "referred_to": "", "decision_note": "",
                    "collaborator_unit_ids": "[]", "version": 1, "created_at": received, "updated_at": received,
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


def serve(runtime: str, port: int):
    env = {**os.environ, "DATABASE_URL": runtime, "SECRET_KEY": "bench-secret", "APP_ENV": "development"}
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "app:create_app()", "--bind", f"127.0.0.1:{port}",
                             "--workers", "2", "--log-level", "warning"], cwd=ROOT, env=env)
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/login", data={"username": username, "password": "demo1234", "csrf_token": token},
                            allow_redirects=False)
    assert response.status_code == 303, response.status_code
    return session


def measure(session_factory, url: str, total: int, concurrency: int) -> dict:
    sessions = [session_factory() for _ in range(concurrency)]
    timings = []

    def one(i):
        s = sessions[i % concurrency]
        t0 = time.perf_counter()
        r = s.get(url)
        elapsed = time.perf_counter() - t0
        assert r.status_code == 200, (url, r.status_code)
        return elapsed

    for s in sessions:  # warm-up
        s.get(url)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        timings = list(pool.map(one, range(total)))
    wall = time.perf_counter() - started
    timings.sort()
    q = lambda p: timings[min(len(timings) - 1, int(p * len(timings)))] * 1000  # noqa: E731
    return {"requests": total, "concurrency": concurrency, "median_ms": round(statistics.median(timings) * 1000, 1),
            "p95_ms": round(q(0.95), 1), "p99_ms": round(q(0.99), 1), "throughput_rps": round(total / wall, 1)}


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
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "database": "PostgreSQL (runtime role, row-level security on), gunicorn 2 workers",
        "open_reports_in_county": int(open_count), "rows_shown_per_page": shown,
        "bulk_load_seconds": round(load_seconds, 1),
        "queue_page": queue, "healthz_floor": floor,
        "queue_vs_floor_throughput": round(queue["throughput_rps"] / floor["throughput_rps"], 3),
    }
    out = ROOT / "bench" / "results" / f"queue-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

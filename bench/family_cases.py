"""Benchmark: case search and the family page with N cases in one county, on PostgreSQL.

    .venv/bin/python bench/family_cases.py          # 100,000 cases in 臺北市, 200 requests per page, 4 at a time
    .venv/bin/python bench/family_cases.py --cases 500000

Bulk-loads N family cases (2–4 members each, a lead unit, a worker, a few
contacts and timeline events) into 臺北市 with core inserts, regenerates the
search grams (app/cases/search_index.rebuild: the inserts bypass the ORM), serves the app
with gunicorn as the runtime role (RLS on) and times, as the county
administrator (who may search the whole county): search by partial name, by
ID number, by phone, and the family page. Results: bench/results/cases-*.json.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from datetime import datetime, timedelta, timezone

import requests
import sqlalchemy as sa

from common import GIVEN, SURNAMES, login, machine, make_database, measure, prepare, serve, write_result

STATUSES = ["awaiting_assignment", "assessing", "opening_review", "open", "open", "open", "closing_review", "closed",
            "closed", "not_opened"]


def _id_number(rng) -> str:
    from app.core.idnumbers import LETTERS, WEIGHTS

    letter = rng.choice("ABCDEFGHJKLMNPQRSTUVXYWZIO")
    body = [rng.choice((1, 2))] + [rng.randint(0, 9) for _ in range(7)]
    code = LETTERS[letter]
    digits = [code // 10, code % 10] + body
    partial = sum(d * w for d, w in zip(digits, WEIGHTS[:10]))
    check = (10 - partial % 10) % 10
    return letter + "".join(map(str, body)) + str(check)


def _insert(conn, table: str, columns: dict, rows: list[dict], returning: bool = False):
    cols = ", ".join(columns)
    types = ", ".join(f"{c} {t}" for c, t in columns.items())
    sql = f"INSERT INTO {table} ({cols}) SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x({types})"
    if returning:
        sql += " RETURNING id"
        return conn.execute(sa.text(sql), {"rows": json.dumps(rows, default=str)}).scalars().all()
    conn.execute(sa.text(sql), {"rows": json.dumps(rows, default=str)})


def load_cases(owner: str, count: int, seed: int, *, search_index: bool = True) -> dict:
    rng = random.Random(seed)
    engine = sa.create_engine(owner)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    samples = {}
    with engine.begin() as conn:
        county = conn.execute(sa.text("SELECT id, code FROM counties WHERE name = '臺北市'")).one()
        units = [r[0] for r in conn.execute(sa.text("SELECT id FROM units WHERE county_id = :c AND kind = 'welfare_centre'"),
                                            {"c": county.id})]
        districts = [r[0] for r in conn.execute(sa.text("SELECT id FROM districts WHERE county_id = :c"), {"c": county.id})]
        worker = conn.execute(sa.text("SELECT id FROM users WHERE username = 'tpe.sw1'")).scalar()
        batch = 5000
        for start in range(0, count, batch):
            cases = []
            for i in range(start, min(start + batch, count)):
                received = now - timedelta(days=rng.randint(0, 5 * 365), minutes=rng.randint(0, 1440))
                surname = rng.choice(SURNAMES)
                status = rng.choice(STATUSES)
                cases.append({"tenant_id": county.id, "case_no": f"B-{county.code[:5]}-{i:07d}", "family_name": f"{surname}○○家",
                              "status": status, "district_id": rng.choice(districts),
                              "address": f"臺北市中正區羅斯福路{rng.randint(1, 5)}段{rng.randint(1, 300)}號", "phone": "",
                              "received_at": received, "concerns": ["vulnerable_family"], "child_grade": "",
                              "child_class": "", "assigned_worker_id": worker if status != "awaiting_assignment" else None,
                              "closing_reason": "", "version": 1, "created_at": received, "updated_at": received,
                              "first_visit_at": received + timedelta(days=rng.randint(1, 12)) if status != "awaiting_assignment" else None,
                              "_surname": surname})
            surnames = [c.pop("_surname") for c in cases]
            ids = _insert(conn, "family_cases", {
                "tenant_id": "int", "case_no": "text", "family_name": "text", "status": "text", "district_id": "int",
                "address": "text", "phone": "text", "received_at": "timestamptz", "concerns": "json", "child_grade": "text",
                "child_class": "text", "assigned_worker_id": "int", "closing_reason": "text", "version": "int",
                "created_at": "timestamptz", "updated_at": "timestamptz", "first_visit_at": "timestamptz"}, cases, returning=True)
            members, units_rows, events = [], [], []
            for case_id, surname, case in zip(ids, surnames, cases):
                for position in range(rng.randint(2, 4)):
                    member = {"tenant_id": county.id, "case_id": case_id, "name": surname + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2]),
                              "sex": rng.choice("FM"), "birth_date": f"{rng.randint(1960, 2022)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                              "id_number": _id_number(rng), "relation": "mother" if position == 0 else "child",
                              "phone": f"09{rng.randint(10000000, 99999999)}" if position == 0 else "", "flags": []}
                    members.append(member)
                units_rows.append({"tenant_id": county.id, "case_id": case_id, "unit_id": rng.choice(units), "role": "lead",
                                   "since": case["received_at"]})
                for n in range(rng.randint(3, 8)):
                    events.append({"tenant_id": county.id, "case_id": case_id, "at": case["received_at"] + timedelta(days=n),
                                   "actor_name": "王淑芬", "unit_name": "社福中心", "kind": "contact", "summary": "面訪家庭（60 分鐘）"})
            _insert(conn, "case_members", {"tenant_id": "int", "case_id": "int", "name": "text", "sex": "text",
                                           "birth_date": "date", "id_number": "text", "relation": "text", "phone": "text",
                                           "flags": "json"}, members)
            _insert(conn, "case_units", {"tenant_id": "int", "case_id": "int", "unit_id": "int", "role": "text",
                                         "since": "timestamptz"}, units_rows)
            _insert(conn, "case_events", {"tenant_id": "int", "case_id": "int", "at": "timestamptz", "actor_name": "text",
                                          "unit_name": "text", "kind": "text", "summary": "text"}, events)
            if not samples:
                samples = {"case_id": ids[0], "id_number": members[0]["id_number"], "phone": members[0]["phone"],
                           "name_part": members[0]["name"][:2], "name_3": members[0]["name"][:3]}
            print(f"  {min(start + batch, count):,} cases loaded", flush=True)
        samples["load_seconds"] = round(time.perf_counter() - started, 1)
        if search_index:
            # raw inserts bypass the ORM hook that keeps the search grams: regenerate them set-based
            from app.cases.search_index import rebuild

            indexed = time.perf_counter()
            samples["search_grams"] = rebuild(conn)
            samples["search_index_seconds"] = round(time.perf_counter() - indexed, 1)
            print(f"  {samples['search_grams']:,} search grams in {samples['search_index_seconds']} s", flush=True)
        conn.exec_driver_sql("ANALYZE")
        samples["members"] = conn.execute(sa.text("SELECT count(*) FROM case_members")).scalar()
        samples["events"] = conn.execute(sa.text("SELECT count(*) FROM case_events")).scalar()
    engine.dispose()
    return samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--port", type=int, default=5078)
    args = parser.parse_args()

    owner, runtime = make_database("safetynet_bench_cases")
    prepare(owner, runtime)
    samples = load_cases(owner, args.cases, args.seed)
    proc = serve(runtime, args.port)
    base = f"http://127.0.0.1:{args.port}"
    admin = lambda: login(base, "tpe.admin")  # noqa: E731
    try:
        pages = {
            "search_partial_name": f"{base}/cases/search?name={samples['name_part']}",
            "search_id_number": f"{base}/cases/search?id_number={samples['id_number']}",
            "search_phone": f"{base}/cases/search?phone={samples['phone']}",
            "search_name_3_characters": f"{base}/cases/search?name={samples['name_3']}",
            "search_phone_last_4_digits": f"{base}/cases/search?phone={samples['phone'][-4:]}",
            "family_page": f"{base}/cases/{samples['case_id']}",
        }
        results = {name: measure(admin, url, args.requests, args.concurrency) for name, url in pages.items()}
        results["healthz_floor"] = measure(requests.Session, f"{base}/healthz", args.requests, args.concurrency)
    finally:
        proc.terminate()
        proc.wait(10)
    write_result("cases", {
        "benchmark": "case search and family page, one county",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
        "database": "PostgreSQL (runtime role, row-level security on), gunicorn 2 workers",
        "cases_in_county": args.cases, "members": samples["members"], "timeline_events": samples["events"],
        "bulk_load_seconds": samples["load_seconds"], "search_grams": samples.get("search_grams"),
        "search_index_seconds": samples.get("search_index_seconds"), "pages": results,
    })


if __name__ == "__main__":
    main()

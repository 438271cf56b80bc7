"""Benchmark: the referral inbox with N referrals in one county, on PostgreSQL.

    .venv/bin/python bench/referral_inbox.py        # 20,000 referrals in 臺北市, 200 requests, 4 at a time

Bulk-loads N family cases and N referrals among 臺北市's units and a partner
organisation (every state; a third still open), each with two history events,
then times the 家防中心 worker's received inbox (open referrals by deadline,
paginated), the sent inbox of a 社福中心, the partner's inbox and one
referral's page, as the runtime role with RLS on. Results: bench/results/referrals-*.json.
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta, timezone

import requests
import sqlalchemy as sa

from common import login, machine, make_database, measure, prepare, serve, write_result
from family_cases import _insert

STATES = ["waiting", "waiting", "in_service", "in_service", "completed", "completed", "completed", "declined",
          "returned", "forwarded", "failed", "withdrawn"]


def load(owner: str, count: int, seed: int) -> dict:
    rng = random.Random(seed)
    engine = sa.create_engine(owner)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        county = conn.execute(sa.text("SELECT id, code FROM counties WHERE name = '臺北市'")).one()
        units = dict(conn.execute(sa.text("SELECT name, id FROM units WHERE county_id = :c"), {"c": county.id}).all())
        welfare = [i for n, i in units.items() if "社會福利服務中心" in n]
        dv = units["臺北市家庭暴力暨性侵害防治中心"]
        mh = units["臺北市政府衛生局社區心理衛生中心"]
        partner = conn.execute(sa.text("SELECT id FROM partner_organisations WHERE short_name = '家扶基金會'")).scalar()
        batch = 5000
        first_referral = None
        for start in range(0, count, batch):
            size = min(batch, count - start)
            cases = [{"tenant_id": county.id, "case_no": f"RB-{start + i:07d}", "family_name": "陳○○家", "status": "open",
                      "address": "", "phone": "", "received_at": now - timedelta(days=rng.randint(0, 900)),
                      "concerns": ["vulnerable_family"], "child_grade": "", "child_class": "",
                      "closing_reason": "", "version": 1, "created_at": now, "updated_at": now} for i in range(size)]
            case_ids = _insert(conn, "family_cases", {
                "tenant_id": "int", "case_no": "text", "family_name": "text", "status": "text", "address": "text",
                "phone": "text", "received_at": "timestamptz", "concerns": "json", "child_grade": "text",
                "child_class": "text", "closing_reason": "text", "version": "int", "created_at": "timestamptz",
                "updated_at": "timestamptz"}, cases, returning=True)
            referrals = []
            for i, case_id in enumerate(case_ids):
                kind = rng.choices(["unit", "partner"], weights=[3, 1])[0]
                sent = now - timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 1440))
                referrals.append({
                    "tenant_id": county.id, "to_partner_org_id": partner if kind == "partner" else None,
                    "referral_no": f"RB{start + i:09d}", "kind": kind, "case_id": case_id, "from_unit_id": rng.choice(welfare),
                    "to_unit_id": rng.choice([dv, dv, mh]) if kind == "unit" else None, "reason": "需要協助",
                    "services_requested": "", "shared_sections": ["members"],
                    "shared_snapshot": {"family_name": "陳○○家"}, "consent": True, "consent_by": "案母",
                    "legal_basis": "", "urgency": "normal", "deadline_at": sent + timedelta(days=5), "status": rng.choice(STATES),
                    "served_by": "", "closing_text": "", "version": 1, "created_at": sent, "updated_at": sent})
            ids = _insert(conn, "referrals", {
                "tenant_id": "int", "to_partner_org_id": "int", "referral_no": "text", "kind": "text", "case_id": "int",
                "from_unit_id": "int", "to_unit_id": "int", "reason": "text", "services_requested": "text",
                "shared_sections": "json", "shared_snapshot": "json", "consent": "bool", "consent_by": "text",
                "legal_basis": "text", "urgency": "text", "deadline_at": "timestamptz", "status": "text", "served_by": "text",
                "closing_text": "text", "version": "int", "created_at": "timestamptz", "updated_at": "timestamptz"},
                referrals, returning=True)
            first_referral = first_referral or ids[0]
            events = []
            for referral_id, r in zip(ids, referrals):
                for to in ("waiting", r["status"]):
                    events.append({"tenant_id": county.id, "to_partner_org_id": r["to_partner_org_id"], "referral_id": referral_id,
                                   "at": r["created_at"], "kind": "status", "from_status": "", "to_status": to,
                                   "actor_name": "王淑芬", "actor_side": "社福中心", "sender_unit": "社福中心", "receiver": "家防中心",
                                   "text": "轉介"})
            _insert(conn, "referral_events", {
                "tenant_id": "int", "to_partner_org_id": "int", "referral_id": "int", "at": "timestamptz", "kind": "text",
                "from_status": "text", "to_status": "text", "actor_name": "text", "actor_side": "text",
                "sender_unit": "text", "receiver": "text", "text": "text"}, events)
            print(f"  {start + size:,} referrals loaded", flush=True)
        conn.exec_driver_sql("ANALYZE")
        stats = {"open_to_dv": conn.execute(sa.text(
            "SELECT count(*) FROM referrals WHERE to_unit_id = :u AND status IN ('waiting','returned','in_service')"), {"u": dv}).scalar(),
            "first_referral": first_referral}
    engine.dispose()
    stats["load_seconds"] = round(time.perf_counter() - started, 1)
    return stats


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--port", type=int, default=5079)
    args = parser.parse_args()
    owner, runtime = make_database("safetynet_bench_referrals")
    prepare(owner, runtime)
    stats = load(owner, args.referrals, args.seed)
    proc = serve(runtime, args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        results = {
            "received_inbox_dv_centre": measure(lambda: login(base, "tpe.dv1"), f"{base}/referrals?box=received",
                                                args.requests, args.concurrency),
            "sent_inbox_welfare_centre": measure(lambda: login(base, "tpe.sw1"), f"{base}/referrals?box=sent",
                                                 args.requests, args.concurrency),
            "partner_inbox": measure(lambda: login(base, "ngo.staff"), f"{base}/referrals", args.requests, args.concurrency),
            "healthz_floor": measure(requests.Session, f"{base}/healthz", args.requests, args.concurrency),
        }
    finally:
        proc.terminate()
        proc.wait(10)
    write_result("referrals", {
        "benchmark": "referral inbox, one county", "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "database": "PostgreSQL (runtime role, row-level security on), gunicorn 2 workers",
        "referrals_in_county": args.referrals, "open_referrals_to_dv_centre": stats["open_to_dv"],
        "bulk_load_seconds": stats["load_seconds"], "pages": results,
    })


if __name__ == "__main__":
    main()

"""Benchmark: the pages that matter, on national-scale data, at a fixed concurrency.

    .venv/bin/python bench/national.py --database safetynet_scale     # after `make bench-data`

Runs against a database filled by `flask --app app seed-scale` (it loads
nothing itself). Serves the app with gunicorn as the runtime role (row-level
security on) with Server-Timing headers on, logs in the demo users of
臺北市 and of the ministry, picks its targets from the data (a name fragment
and an ID number of a family in 臺北市, a family of 中正社福中心, the meeting
with the most open items), checks that each page answers 200 with what it
should show, and then drives each page with wrk at the same concurrency:

- dispatch queue (篩派案人員), unit inbox (社福中心督導), case search by
  partial name and by ID number (縣市管理者), family record (社工), referral
  inbox (家防中心社工), my action items (社家署), the tracking table
  (保護服務司, secretariat), the public report form submission and the report
  API (POST, a new report each request), and /healthz — the trivial endpoint
  that gives the framework's ceiling on this machine.

For each page: median, 95th and 99th percentile latency, throughput, the
throughput as a share of /healthz's, and the request's time inside Flask
against the time of its SQL alone (from Server-Timing). Results:
bench/results/national-*.json.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import requests
import sqlalchemy as sa
from common import APP_ROLE, PG, login, machine, serve, write_result

WRK_SCRIPT = Path(__file__).with_name("wrk_page.lua")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# Server-Timing on; one client address sends everything, so the per-address limits are lifted for the run
# (they are tested in the suite).
SERVER_ENV = {"SERVER_TIMING": "1", "PUBLIC_REPORT_RATE": "1000000 per minute", "API_RATE": "1000000 per minute"}


def targets(owner: str) -> dict:
    """What the pages are asked for, read from the generated data as the owner (RLS does not apply)."""
    engine = sa.create_engine(owner)
    with engine.connect() as conn:
        q = lambda sql, **kw: conn.execute(sa.text(sql), kw)
        taipei = q("SELECT id FROM counties WHERE name = '臺北市'").scalar()
        zhongzheng = q("""SELECT m.unit_id FROM memberships m JOIN users u ON u.id = m.user_id
                           WHERE u.username = 'tpe.sw1' ORDER BY m.id LIMIT 1""").scalar()
        # A family of tpe.sw1's 社福中心 with a long record: the most timeline events among a sample of its cases.
        case_id = q("""SELECT e.case_id FROM case_events e WHERE e.case_id IN (
                           SELECT case_id FROM case_units WHERE unit_id = :u ORDER BY case_id LIMIT 2000)
                       GROUP BY e.case_id ORDER BY count(*) DESC, e.case_id LIMIT 1""", u=zhongzheng).scalar()
        member = q("""SELECT m.name, m.id_number FROM case_members m WHERE m.tenant_id = :c AND m.id_number <> ''
                      AND char_length(m.name) >= 3 ORDER BY m.id LIMIT 1
                      OFFSET (SELECT count(*) / 2 FROM case_members WHERE tenant_id = :c AND id_number <> '')""", c=taipei).one()
        meeting = q("""SELECT m.id, s.county_id FROM meetings m JOIN meeting_series s ON s.id = m.series_id
                       JOIN action_items i ON i.series_id = s.id AND i.closed_at_id IS NULL AND i.merged_into_id IS NULL
                       WHERE (s.county_id IS NULL OR s.county_id = :c) AND m.held_on = (
                           SELECT max(held_on) FROM meetings m2 WHERE m2.series_id = s.id)
                       GROUP BY m.id, s.county_id ORDER BY count(*) DESC LIMIT 1""", c=taipei).one()
        district = q("SELECT id, name FROM districts WHERE county_id = :c ORDER BY sort_order LIMIT 1", c=taipei).one()
        # the report a dispatcher opens first: the open report of 臺北市 with the earliest deadline (its page carries
        # the household picture and the duplicate candidates)
        report_id = q("""SELECT id FROM reports WHERE tenant_id = :c AND status IN ('received', 'screening')
                         ORDER BY deadline_at, id LIMIT 1""", c=taipei).scalar()
        dv_unit = q("""SELECT m.unit_id FROM memberships m JOIN users u ON u.id = m.user_id
                       WHERE u.username = 'tpe.dv1' ORDER BY m.id LIMIT 1""").scalar()
        referral_id = q("SELECT id FROM referrals WHERE to_unit_id = :u ORDER BY id DESC LIMIT 1", u=dv_unit).scalar()
        phone = q("""SELECT phone FROM case_members WHERE tenant_id = :c AND phone <> '' ORDER BY id LIMIT 1
                     OFFSET (SELECT count(*) / 3 FROM case_members WHERE tenant_id = :c AND phone <> '')""", c=taipei).scalar()
        # the coming spring-festival campaign, whose lists seed-scale computed (step 14)
        campaign = q("SELECT id FROM campaigns ORDER BY holiday_start DESC LIMIT 1").scalar()
        listed = q("SELECT count(*) FROM campaign_entries WHERE campaign_id = :k AND tenant_id = :c",
                   k=campaign, c=taipei).scalar() if campaign else 0
        sizes = {t: q(f"SELECT count(*) FROM {t}").scalar() for t in (
            "reports", "family_cases", "case_members", "case_contacts", "case_services", "case_events", "referrals",
            "disputes", "meetings", "action_items", "progress_entries", "users")}
        open_items = q("SELECT count(*) FROM action_items WHERE series_id = (SELECT series_id FROM meetings WHERE id = :m) "
                       "AND closed_at_id IS NULL AND merged_into_id IS NULL", m=meeting.id).scalar()
    engine.dispose()
    return {"taipei": taipei, "case_id": case_id, "name_part": member.name[:2], "id_number": member.id_number,
            "meeting_id": meeting.id, "meeting_national": meeting.county_id is None, "meeting_open_items": open_items,
            "district": district.name, "district_id": district.id, "report_id": report_id, "referral_id": referral_id,
            "phone": phone, "campaign_id": campaign if listed else None, "campaign_listed": listed, "sizes": sizes}


BENCH_REPORTS = ("SELECT id FROM reports WHERE source_name = '效能測試系統' "
                 "OR narrative LIKE '鄰居說孩子晚上常一個人在家哭%%'")  # %% : exec_driver_sql's paramstyle


P95_TARGET_MS = 150
SHARE_TARGET = 0.25
SERVER_TO_SQL_TARGET = 2.0


def summary(results: dict, previous: dict | None = None, previous_name: str = "") -> str:
    """The run as a Markdown table (what bench/README.md keeps), each target met or missed, and the
    previous run's p95, share of /healthz and server time beside each page when one is given."""
    head = ["page", "median", "p95", "p99", "req/s", "of /healthz", "server ms", "SQL ms", "server ÷ SQL",
            "statements", "p95 ≤ 150", "≥ 25 %", "server ≤ 2× SQL"]
    if previous is not None:
        head.append(f"previous p95 / of /healthz / server ms ({previous_name})")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    yes = lambda ok: "met" if ok else "missed"
    for name, r in results.items():
        ratio = r.get("server_to_sql_ratio")
        cells = [name, r["median_ms"], r["p95_ms"], r["p99_ms"], r["throughput_rps"],
                 f"{r.get('throughput_vs_trivial', 0) * 100:.1f} %", r.get("server_ms_mean", "—"),
                 r.get("sql_ms_mean", "—"), ratio if ratio is not None else "—", r.get("statements_mean", "—")]
        if name == "healthz_floor":
            cells += ["", "", ""]
        else:
            cells += [yes(r["p95_ms"] <= P95_TARGET_MS), yes(r.get("throughput_vs_trivial", 0) >= SHARE_TARGET),
                      yes(ratio is not None and ratio <= SERVER_TO_SQL_TARGET)]
        if previous is not None:
            before = previous.get(name)
            cells.append(f"{before['p95_ms']} / {before.get('throughput_vs_trivial', 0) * 100:.1f} % / "
                         f"{before.get('server_ms_mean', '—')}" if before else "(new)")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    pages = [r for name, r in results.items() if name != "healthz_floor" and not name.endswith("_alone")]
    lines.append("")
    lines.append(f"p95 ≤ {P95_TARGET_MS} ms: {sum(r['p95_ms'] <= P95_TARGET_MS for r in pages)} of {len(pages)} pages; "
                 f"≥ {SHARE_TARGET:.0%} of /healthz: {sum(r.get('throughput_vs_trivial', 0) >= SHARE_TARGET for r in pages)}; "
                 f"server ≤ 2× SQL: {sum((r.get('server_to_sql_ratio') or 99) <= SERVER_TO_SQL_TARGET for r in pages)}")
    return "\n".join(lines)


# A tiny data set (the CI's smoke run) may hold no open report, referral or phone of 臺北市, or no campaign:
# the page that needs it is left out.
NEEDS = {"report_detail": "report_id", "referral_detail": "referral_id", "search_by_phone": "phone",
         "campaign_list": "campaign_id", "campaign_my_visits": "campaign_id"}


def get_pages(base: str, t: dict) -> dict:
    """The pages read with GET that the data set has a target for: name -> (user, url, text the page must
    show). ``None`` as the user is the tracking table's reader (the ministry's secretariat for a national
    meeting, else the county's)."""
    pages = {
        "dispatch_queue": ("tpe.dispatch", f"{base}/intake/queue", "篩派案", {}),
        "unit_inbox": ("tpe.sup", f"{base}/cases/inbox", "", {}),
        "search_by_name": ("tpe.admin", f"{base}/cases/search?name={quote(t['name_part'])}", t["name_part"], {}),
        "search_by_id": ("tpe.admin", f"{base}/cases/search?id_number={t['id_number']}", "", {}),
        "family_record": ("tpe.sw1", f"{base}/cases/{t['case_id']}", "", {}),
        "referral_inbox": ("tpe.dv1", f"{base}/referrals", "", {}),
        "my_action_items": ("moh.sfaa", f"{base}/meetings/mine", "", {}),
        "tracking_table": (None, f"{base}/meetings/{t['meeting_id']}/table", "", {}),
        # step 14: every page a user works in (issue 22's list)
        "report_detail": ("tpe.dispatch", f"{base}/intake/reports/{t['report_id']}", "家戶圖像", {}),
        "my_cases": ("tpe.sw1", f"{base}/cases/mine", "", {}),
        "search_by_phone": ("tpe.admin", f"{base}/cases/search?phone={quote(t['phone'] or '')}", "", {}),
        "referral_detail": ("tpe.dv1", f"{base}/referrals/{t['referral_id']}", "", {}),
        "dispute_list": ("tpe.sup", f"{base}/disputes", "", {}),
        "meeting_page": (None, f"{base}/meetings/{t['meeting_id']}", "", {}),
        "report_list": ("tpe.admin", f"{base}/reports", "", {}),
        "home_dispatcher": ("tpe.dispatch", f"{base}/", "", {}),
        "home_worker": ("tpe.sw1", f"{base}/", "", {}),
        "home_supervisor": ("tpe.sup", f"{base}/", "", {}),
        "home_county_admin": ("tpe.admin", f"{base}/", "", {}),
        "home_partner": ("ngo.staff", f"{base}/", "", {}),
        "home_ministry": ("moh.protect", f"{base}/", "", {}),
        "target_board_county": ("tpe.admin", f"{base}/targets", "資料時點", {}),
        "target_board_ministry": ("moh.protect", f"{base}/targets", "資料時點", {}),
        "campaign_list": ("tpe.admin", f"{base}/campaigns/{t['campaign_id']}", "關懷訪視名單", {}),
        "campaign_my_visits": ("tpe.sw1", f"{base}/campaigns/{t['campaign_id']}/visits", "", {}),
    }
    return {name: page for name, page in pages.items() if name not in NEEDS or t[NEEDS[name]]}


def remove_bench_reports(owner: str) -> int:
    """The reports the POST runs filed (they would lengthen the dispatch queue of the next run);
    their audit entries stay, the log is append-only."""
    engine = sa.create_engine(owner)
    with engine.begin() as conn:
        # reports' self-references (duplicate_of, transferred_*) have no index: with the foreign-key triggers
        # on, each deleted row would scan 1.5 M reports three times. None of these new reports is referenced,
        # so the triggers are skipped (superuser only) and the children are deleted by hand.
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.exec_driver_sql(f"CREATE TEMP TABLE bench_reports ON COMMIT DROP AS {BENCH_REPORTS}")
        for child in ("api_idempotency_keys", "report_persons", "report_reporters", "report_transitions"):
            conn.exec_driver_sql(f"DELETE FROM {child} WHERE report_id IN (SELECT id FROM bench_reports)")
        removed = conn.exec_driver_sql("DELETE FROM reports WHERE id IN (SELECT id FROM bench_reports)").rowcount
    engine.dispose()
    return removed


def issue_api_token(base: str, admin: requests.Session) -> str:
    """A token issued the way a county administrator does it, on the settings page."""
    page = admin.get(f"{base}/intake/settings/api-tokens").text
    token = CSRF.search(page).group(1)
    response = admin.post(f"{base}/intake/settings/api-tokens",
                          data={"organisation": "效能測試系統", "channel": "16", "csrf_token": token})
    match = re.search(r"snk_[0-9a-f]+_[A-Za-z0-9_-]+", response.text)
    assert match, "no token in the response"
    return match.group(0)


def cookie_of(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def wrk(url: str, *, concurrency: int, seconds: int, method: str = "GET", cookie: str = "", headers: str = "",
        body: str = "") -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    env = {**os.environ, "BENCH_METHOD": method, "BENCH_COOKIE": cookie, "BENCH_HEADERS": headers,
           "BENCH_BODY": body, "BENCH_OUT": out_path}
    threads = min(2, concurrency)
    subprocess.run(["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s",
                    "-s", str(WRK_SCRIPT), url], env=env, check=True, capture_output=True, text=True)
    raw = json.loads(Path(out_path).read_text())
    os.unlink(out_path)
    lat = raw["latency_ms"]
    result = {"requests": raw["requests"], "seconds": raw["duration_s"],
              "throughput_rps": round(raw["requests"] / raw["duration_s"], 1),
              "median_ms": round(lat["p50"], 1), "p95_ms": round(lat["p95"], 1), "p99_ms": round(lat["p99"], 1),
              "max_ms": round(lat["max"], 1), "statuses": raw["statuses"], "errors": raw["errors"]}
    if raw["timed"]:
        result["server_ms_mean"] = round(raw["app_ms_sum"] / raw["timed"], 2)
        result["sql_ms_mean"] = round(raw["sql_ms_sum"] / raw["timed"], 2)
        result["statements_mean"] = round(raw["statements_sum"] / raw["timed"], 1)
        result["server_to_sql_ratio"] = round(raw["app_ms_sum"] / raw["sql_ms_sum"], 2) if raw["sql_ms_sum"] else None
    return result


def public_form(base: str, t: dict) -> tuple[str, str]:
    """(cookie, url-encoded body template) for POST /report as a member of the public."""
    visitor = requests.Session()
    token = CSRF.search(visitor.get(f"{base}/report").text).group(1)
    fields = {"csrf_token": token, "county_id": t["taipei"], "district_id": t["district_id"],
              "address": "羅斯福路一段{n}號", "persons-0-name": "林小{n}", "persons-0-sex": "F",
              "persons-0-estimated_age": "8", "persons-0-relation": "subject", "concerns": "child_protection",
              "narrative": "鄰居說孩子晚上常一個人在家哭，第 {n} 次看到。", "reporter_type": "public", "anonymous": "y"}
    body = "&".join(f"{quote(k)}={quote(str(v), safe='{}')}" for k, v in fields.items())
    return cookie_of(visitor), body


def check(session: requests.Session, url: str, expect: str, method: str = "GET", **kw):
    response = session.request(method, url, allow_redirects=False, **kw)
    assert response.status_code in (200, 201, 303), (url, response.status_code, response.text[:500])
    if expect:
        assert expect in response.text, (url, expect)
    return response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="safetynet_scale")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20, help="how long each page is driven")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2 measured best on 2 cores: 123 vs 96 req/s at 4)")
    parser.add_argument("--port", type=int, default=5091)
    parser.add_argument("--only", default="", help="comma-separated page names (default: all)")
    parser.add_argument("--compare", metavar="RESULT_JSON",
                        help="a previous run (bench/results/national-*.json) to print beside this one")
    parser.add_argument("--check", action="store_true",
                        help="exit non-zero when a page answered an error or wrk lost requests (the tiny run in CI)")
    args = parser.parse_args()

    owner = f"{PG}/{args.database}"
    runtime = owner.replace("postgres@", f"{APP_ROLE}@", 1)
    print(f"removed {remove_bench_reports(owner)} reports left by an earlier run", flush=True)
    t = targets(owner)
    print("targets:", json.dumps(t, ensure_ascii=False), flush=True)
    proc = serve(runtime, args.port, args.workers, SERVER_ENV)
    base = f"http://127.0.0.1:{args.port}"
    try:
        users = {name: login(base, name) for name in (
            "tpe.dispatch", "tpe.sup", "tpe.admin", "tpe.sw1", "tpe.dv1", "moh.sfaa", "moh.protect", "ngo.staff")}
        table_user = users["moh.protect"] if t["meeting_national"] else users["tpe.admin"]
        api_token = issue_api_token(base, users["tpe.admin"])
        form_cookie, form_body = public_form(base, t)
        api_body = json.dumps({"district": t["district"], "concerns": ["vulnerable_family"],
                               "narrative": "學校發現學生連續三天未到校，家中經濟困難（{n}）。",
                               "persons": [{"name": "陳小{n}", "sex": "M", "estimated_age": 10, "relation": "subject"}],
                               "reporter": {"reporter_type": "network", "organisation": "效能測試國小"}},
                              ensure_ascii=False)
        pages = {
            **get_pages(base, t),
            "public_report_submit": ("public", f"{base}/report", "", {
                "method": "POST", "cookie": form_cookie, "body": form_body,
                "headers": "Content-Type: application/x-www-form-urlencoded"}),
            "api_report_submit": ("api", f"{base}/api/v1/reports", "", {
                "method": "POST", "body": api_body,
                "headers": f"Content-Type: application/json\nAuthorization: Bearer {api_token}\nIdempotency-Key: bench-{{n}}"}),
            "healthz_floor": ("anonymous", f"{base}/healthz", "", {}),
        }
        only = {p for p in args.only.split(",") if p}
        results = {}
        for name, key in NEEDS.items():
            if not t[key]:
                print(f"{name}: skipped, no {key} in this data set", flush=True)
        for name, (who, url, expect, opts) in pages.items():
            if only and name not in only and name != "healthz_floor":
                continue
            if opts.get("method") == "POST":
                probe = requests.Session()
                if opts.get("cookie"):
                    for part in opts["cookie"].split("; "):
                        k, v = part.split("=", 1)
                        probe.cookies.set(k, v)
                hdrs = dict(line.split(": ", 1) for line in opts["headers"].replace("{n}", "0").splitlines())
                check(probe, url, "", "POST", data=opts["body"].replace("{n}", "0").encode(), headers=hdrs)
                results[name] = wrk(url, concurrency=args.concurrency, seconds=args.seconds, method="POST",
                                    cookie=opts.get("cookie", ""), headers=opts["headers"], body=opts["body"])
            else:
                session = table_user if who is None else users.get(who, requests.Session())
                check(session, url, expect)
                results[name] = wrk(url, concurrency=args.concurrency, seconds=args.seconds, cookie=cookie_of(session))
            print(name, json.dumps(results[name], ensure_ascii=False), flush=True)
        # The search target (median over 500,000 cases) is a single user's wait: also measured one at a time.
        for name in ("search_by_name", "search_by_id"):
            if name in results:
                who, url, _, _ = pages[name]
                results[f"{name}_alone"] = wrk(url, concurrency=1, seconds=args.seconds, cookie=cookie_of(users[who]))
                print(f"{name}_alone", json.dumps(results[f"{name}_alone"], ensure_ascii=False), flush=True)
        floor = results["healthz_floor"]["throughput_rps"]
        for name, r in results.items():
            r["throughput_vs_trivial"] = round(r["throughput_rps"] / floor, 3)
    finally:
        proc.terminate()
        proc.wait(20)
        print(f"removed the {remove_bench_reports(owner)} reports this run filed", flush=True)
    out = write_result("national", {
        "benchmark": "the pages that matter on national-scale data (issue 9)",
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "setup": f"PostgreSQL (runtime role, row-level security on) and gunicorn ({args.workers} sync workers) on the "
                 f"same host; wrk, {args.concurrency} connections, {args.seconds} s per page",
        "data": t["sizes"], "targets": {k: v for k, v in t.items() if k != "sizes"}, "pages": results,
    })
    previous = json.loads(Path(args.compare).read_text())["pages"] if args.compare else None
    print(summary(results, previous, Path(args.compare).name if args.compare else ""), flush=True)
    if args.check:
        bad = {name: {"statuses": r["statuses"], "errors": r["errors"]} for name, r in results.items()
               if any(not code.startswith(("2", "3")) for code in r["statuses"]) or any(r["errors"].values())
               or not r["requests"]}
        if bad:
            raise SystemExit(f"bench: pages failed under load ({out.name}): {json.dumps(bad, ensure_ascii=False)}")
        print(f"bench: {len(results)} pages answered every request", flush=True)


if __name__ == "__main__":
    main()

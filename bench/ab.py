"""Benchmark: two checkouts side by side on the same data, the pages alternated, to tell a change from the
machine's drift.

    git worktree add /tmp/before <commit> && ln -s "$PWD/.venv" /tmp/before/.venv
    .venv/bin/python bench/ab.py --database safetynet_scale --before /tmp/before

On a shared machine the same code measured twice, minutes apart, differs by 10–25 % (`/healthz` itself
moved from 979 to 1,169 req/s between two runs of `bench/national.py`), so two whole runs cannot show a
change of a few milliseconds. Here both servers run at once (gunicorn, the same workers, the runtime role,
``Server-Timing`` on; the session cookies of one work on the other: same database, same secret), and each
page is driven ``--rounds`` times by wrk against each, in the order A B, B A, A B, … so that drift falls
on both alike. The result gives, per page, the median over the rounds of each side's throughput and server
and SQL time, and their ratio (bench/results/ab-*.json).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from common import APP_ROLE, PG, ROOT, login, machine, serve, write_result
from national import SERVER_ENV, cookie_of, get_pages, targets, wrk


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="safetynet_scale")
    parser.add_argument("--before", required=True, type=Path, help="the other checkout (with its .venv)")
    parser.add_argument("--only", default="", help="comma-separated page names (default: every GET page)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    owner = f"{PG}/{args.database}"
    runtime = owner.replace("postgres@", f"{APP_ROLE}@", 1)
    t = targets(owner)
    sides = {"before": serve(runtime, 5093, args.workers, SERVER_ENV, checkout=args.before.resolve()),
             "after": serve(runtime, 5094, args.workers, SERVER_ENV)}
    bases = {"before": "http://127.0.0.1:5093", "after": "http://127.0.0.1:5094"}
    try:
        users = {name: login(bases["after"], name) for name in (
            "tpe.dispatch", "tpe.sup", "tpe.admin", "tpe.sw1", "tpe.dv1", "moh.sfaa", "moh.protect", "ngo.staff")}
        table_user = users["moh.protect"] if t["meeting_national"] else users["tpe.admin"]
        only = {p for p in args.only.split(",") if p}
        results = {}
        for name, (who, path, _, _) in get_pages("", t).items():
            if only and name not in only:
                continue
            cookie = cookie_of(table_user if who is None else users[who])
            runs = {"before": [], "after": []}
            for round_ in range(args.rounds):
                order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
                for side in order:
                    runs[side].append(wrk(bases[side] + path, concurrency=args.concurrency, seconds=args.seconds,
                                          cookie=cookie))
            row = {}
            for side, rs in runs.items():
                row[side] = {key: round(statistics.median(r[key] for r in rs), 2)
                             for key in ("throughput_rps", "p95_ms", "server_ms_mean", "sql_ms_mean", "statements_mean")}
                row[side]["errors"] = sum(sum(r["errors"].values()) + sum(
                    n for code, n in r["statuses"].items() if not code.startswith(("2", "3"))) for r in rs)
            row["throughput_after_over_before"] = round(row["after"]["throughput_rps"] / row["before"]["throughput_rps"], 3)
            row["server_ms_after_over_before"] = round(row["after"]["server_ms_mean"] / row["before"]["server_ms_mean"], 3)
            results[name] = row
            print(name, json.dumps(row, ensure_ascii=False), flush=True)
    finally:
        for proc in sides.values():
            proc.terminate()
            proc.wait(20)
    lines = ["| page | req/s before → after | server ms before → after | SQL ms before → after | statements | throughput × |",
             "|---|---|---|---|---|---|"]
    for name, row in results.items():
        b, a = row["before"], row["after"]
        lines.append(f"| {name} | {b['throughput_rps']} → {a['throughput_rps']} | {b['server_ms_mean']} → "
                     f"{a['server_ms_mean']} | {b['sql_ms_mean']} → {a['sql_ms_mean']} | {b['statements_mean']} → "
                     f"{a['statements_mean']} | {row['throughput_after_over_before']} |")
    print("\n".join(lines))
    write_result("ab", {
        "benchmark": "two checkouts on the same data, pages alternated (issue 22)",
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "before": str(args.before), "before_commit": _commit(args.before), "after_commit": _commit(ROOT),
        "setup": f"gunicorn ({args.workers} sync workers) each; wrk {args.concurrency} connections, {args.seconds} s, "
                 f"{args.rounds} rounds a side alternated",
        "pages": results,
    })


def _commit(checkout: Path) -> str:
    out = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         check=False)
    return out.stdout.strip()


if __name__ == "__main__":
    main()

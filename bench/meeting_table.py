"""Benchmark: the tracking table of a meeting with N open items, on PostgreSQL.

    .venv/bin/python bench/meeting_table.py        # 100 open items, 40 earlier meetings, 20 page requests

Loads the ministry's progress-meeting series with 40 earlier meetings and
3 × N items raised along them (two thirds closed on the way, N still open),
each with 1–4 responsible units whose 辦理情形 (150–400 characters) is kept for
every meeting the item was on. Then, as the runtime role with RLS on:
  * times ``GET /meetings/<id>/table`` (the HTML table, as the secretariat) through gunicorn;
  * times the PDF job (``documents.make``: query, diff, template, WeasyPrint, stored) several times in a
    fresh process (as one RQ work-horse runs it), with that process's peak resident memory (ru_maxrss).
``--reuse`` skips building the database when it already holds the series (for profiling between runs);
``--pdf-out FILE`` keeps the last PDF made.
Results: bench/results/meetings-*.json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import common
import sqlalchemy as sa
from common import (
    ROOT,
    login,
    machine,
    make_database,
    measure,
    prepare,
    serve,
    write_result,
)

PHRASES = ["本案刻正辦理中", "已於本月召開研商會議", "後續將配合相關部會辦理", "預定於下月底前完成", "已函請各地方政府提供資料",
           "委託案契約刻正簽訂中", "系統已於測試環境完成建置", "建請解除列管", "俟法務部回復意見後配合辦理", "將於下次會議報告"]


def _text(rng, n):
    out = []
    while sum(map(len, out)) < n:
        out.append(rng.choice(PHRASES) + ("，" if rng.random() < .7 else "。"))
    return f"{rng.randint(1, 3)}. " + "".join(out)


def load(app, open_items: int, meetings: int, seed: int) -> dict:
    """3 × N items raised over the first M meetings; 2 × N of them closed at a random later
    meeting, N still open at meeting M + 1 (the one the table is made for)."""
    from app.extensions import db
    from app.meetings import demo, services
    from app.meetings.models import MeetingSeries, Recommendation, SeriesKind

    rng = random.Random(seed)
    started = time.perf_counter()
    total = 3 * open_items
    raised_at = sorted(rng.randint(1, meetings) for _ in range(total))
    closing = rng.sample(range(total), 2 * open_items)
    closes_at = {i: rng.randint(raised_at[i], meetings) for i in closing}
    with app.app_context():
        units = list(demo.ministry_units_by_short_name().values())
        secretariat = next(u for u in units if u.name == "保護服務司")
        series = MeetingSeries(kind=SeriesKind.PROGRESS, name="強化社會安全網工作進度會議", secretariat_unit_id=secretariat.id)
        db.session.add(series)
        db.session.flush()
        day, index = date(2024, 1, 10), {}
        for number in range(1, meetings + 2):
            meeting = services.new_meeting(series, day, place="本部 304 會議室", chair="政務次長")
            day += timedelta(days=14)
            for k in (k for k, at in enumerate(raised_at) if at == number):
                chosen = rng.sample(units, rng.randint(1, 4))
                index[services.add_item(meeting, section=rng.choice([3, 4, 5]), title=_text(rng, 20)[3:],
                                        instruction=_text(rng, 80), lead_unit_ids=[chosen[0].id],
                                        assist_unit_ids=[u.id for u in chosen[1:]],
                                        due_on=day + timedelta(days=rng.randint(-60, 120))).id] = k
            for item in services.open_items(meeting):
                for unit in item.units:
                    services.write_progress(item, meeting, unit.unit_id, _text(rng, rng.randint(150, 400)),
                                            Recommendation.CONTINUE)
                if rng.random() < .2:
                    services.instruct(item, meeting, _text(rng, 60))
                if number <= meetings:
                    close = closes_at.get(index[item.id]) == number
                    services.decide(item, meeting, Recommendation.CLOSE if close else Recommendation.CONTINUE)
            if number <= meetings:
                services.finalise(meeting)
            db.session.commit()
        open_now = len(services.open_items(meeting))
        result = {"series_id": series.id, "meeting_id": meeting.id, "open_items": open_now, "items": total,
                  "meetings": meetings + 1, "load_seconds": round(time.perf_counter() - started, 1)}
    return result


def time_pdf(app, meeting_id: int, runs: int, pdf_out: str | None = None) -> dict:
    """The job ``runs`` times in this process; the first run includes loading fonts and WeasyPrint's caches."""
    from app.core import jobs
    from app.extensions import db
    from app.meetings import documents
    from app.meetings.models import DocumentKind, Meeting, MeetingDocument

    timings, cpu, pages, size = [], [], 0, 0
    with app.test_request_context():
        meeting = db.session.get(Meeting, meeting_id)
        for _ in range(runs):
            doc = MeetingDocument(meeting_id=meeting.id, county_id=None, kind=DocumentKind.TRACKING)
            db.session.add(doc)
            db.session.commit()
            t0, c0 = time.perf_counter(), time.process_time()
            jobs.enqueue(documents.make, doc.id, None, None)  # inline: REDIS_URL is unset here
            timings.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            db.session.refresh(doc)
            pages, size = doc.pages, len(doc.pdf)
            assert doc.status.value == "done", doc.error
            if pdf_out:
                with open(pdf_out, "wb") as fh:
                    fh.write(doc.pdf)
            db.session.expunge_all()
            meeting = db.session.get(Meeting, meeting_id)
    return {"runs": runs, "median_s": round(statistics.median(timings), 2), "max_s": round(max(timings), 2),
            "first_s": round(timings[0], 2), "cpu_median_s": round(statistics.median(cpu), 2), "pages": pages, "pdf_kb": round(size / 1024),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def pdf_in_fresh_process(runtime: str, meeting_id: int, runs: int, pdf_out: str | None) -> dict:
    """The PDF job in a process started for it, so its peak memory is what one worker uses."""
    cmd = [sys.executable, __file__, "--pdf-worker", runtime, "--meeting-id", str(meeting_id), "--pdf-runs", str(runs)]
    if pdf_out:
        cmd += ["--pdf-out", pdf_out]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _workers_cpu_seconds(proc) -> float:
    """CPU time (user + system) used so far by the gunicorn workers of ``proc`` (Linux /proc)."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    ticks = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _existing(runtime: str) -> dict | None:
    """The loaded series of an earlier run (``--reuse``), or None."""
    engine = sa.create_engine(runtime)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT m.series_id, m.id, (SELECT count(*) FROM meetings m2 WHERE "
                                       "m2.series_id = m.series_id) FROM meetings m ORDER BY m.number DESC, m.id DESC "
                                       "LIMIT 1")).first()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    return {"series_id": row[0], "meeting_id": row[1], "meetings": row[2], "reused": True} if row else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--open-items", type=int, default=100)
    parser.add_argument("--meetings", type=int, default=40)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--pdf-runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database", default="safetynet_bench_meetings")
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run if it has the series")
    parser.add_argument("--pdf-out", help="write the last tracking-table PDF to this file")
    parser.add_argument("--pdf-worker", metavar="RUNTIME_URL", help=argparse.SUPPRESS)
    parser.add_argument("--meeting-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from app import create_app

    if args.pdf_worker:  # the child process of pdf_in_fresh_process
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.pdf_worker, "SECRET_KEY": "bench", "REDIS_URL": None})
        print(json.dumps(time_pdf(app, args.meeting_id, args.pdf_runs, args.pdf_out)))
        return
    runtime = f"{common.PG}/{args.database}".replace("postgres@", f"{common.APP_ROLE}@", 1)
    loaded = _existing(runtime) if args.reuse else None
    if loaded is None:
        owner, runtime = make_database(args.database)
        prepare(owner, runtime)
        app = create_app({"SQLALCHEMY_DATABASE_URI": runtime, "SECRET_KEY": "bench", "REDIS_URL": None})
        loaded = load(app, args.open_items, args.meetings, args.seed)
    print("loaded", loaded, flush=True)
    port = 5093
    proc = serve(runtime, port)
    try:
        base = f"http://127.0.0.1:{port}"
        cpu_before = _workers_cpu_seconds(proc)
        page = measure(lambda: login(base, "moh.protect"), f"{base}/meetings/{loaded['meeting_id']}/table",
                       args.requests, args.concurrency)
        # the workers' own CPU per page (PostgreSQL's not included): robust to other load on the machine;
        # the requests counted include each client's login and warm-up request
        page["server_cpu_ms_per_request"] = round(
            1000 * (_workers_cpu_seconds(proc) - cpu_before) / (args.requests + 2 * args.concurrency), 1)
    finally:
        proc.terminate()
        proc.wait()
    print("table page", page, flush=True)
    pdf = pdf_in_fresh_process(runtime, loaded["meeting_id"], args.pdf_runs, args.pdf_out) if args.pdf_runs else None
    write_result("meetings", {"machine": machine(), "data": loaded, "table_page": page, "tracking_pdf": pdf})


if __name__ == "__main__":
    main()

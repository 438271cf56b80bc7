"""Benchmark: the tracking table of a meeting with N open items, on PostgreSQL.

    .venv/bin/python bench/meeting_table.py        # 100 open items, 40 earlier meetings, 20 page requests

Loads the ministry's progress-meeting series with 40 earlier meetings and
3 × N items raised along them (two thirds closed on the way, N still open),
each with 1–4 responsible units whose 辦理情形 (150–400 characters) is kept for
every meeting the item was on. Then, as the runtime role with RLS on:
  * times ``GET /meetings/<id>/table`` (the HTML table, as the secretariat) through gunicorn;
  * times the PDF job (render + WeasyPrint) several times in-process, as the worker runs it.
Results: bench/results/meetings-*.json.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from common import login, machine, make_database, measure, prepare, serve, write_result

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


def time_pdf(app, meeting_id: int, runs: int) -> dict:
    from app.core import jobs
    from app.extensions import db
    from app.meetings import documents
    from app.meetings.models import DocumentKind, Meeting, MeetingDocument

    timings, pages = [], 0
    with app.test_request_context():
        meeting = db.session.get(Meeting, meeting_id)
        for _ in range(runs):
            doc = MeetingDocument(meeting_id=meeting.id, county_id=None, kind=DocumentKind.TRACKING)
            db.session.add(doc)
            db.session.commit()
            t0 = time.perf_counter()
            jobs.enqueue(documents.make, doc.id, None, None)  # inline: REDIS_URL is unset here
            timings.append(time.perf_counter() - t0)
            db.session.refresh(doc)
            pages = doc.pages
            assert doc.status.value == "done", doc.error
            db.session.expunge_all()
            meeting = db.session.get(Meeting, meeting_id)
    return {"runs": runs, "median_s": round(statistics.median(timings), 2), "max_s": round(max(timings), 2),
            "pages": pages}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--open-items", type=int, default=100)
    parser.add_argument("--meetings", type=int, default=40)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--pdf-runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    owner, runtime = make_database()
    prepare(owner, runtime)
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": runtime, "SECRET_KEY": "bench", "REDIS_URL": None})
    loaded = load(app, args.open_items, args.meetings, args.seed)
    print("loaded", loaded)
    port = 5093
    proc = serve(runtime, port)
    try:
        base = f"http://127.0.0.1:{port}"
        page = measure(lambda: login(base, "moh.protect"), f"{base}/meetings/{loaded['meeting_id']}/table",
                       args.requests, args.concurrency)
    finally:
        proc.terminate()
    pdf = time_pdf(app, loaded["meeting_id"], args.pdf_runs)
    write_result("meetings", {"machine": machine(), "data": loaded, "table_page": page, "tracking_pdf": pdf})


if __name__ == "__main__":
    main()

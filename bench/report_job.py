"""A report made in a benchmark exactly as the RQ job makes it (count, derive,
PDF, CSV, XLSX, one commit), then submitted; and the submitted figures copied
to every county for the national table. Run inside a fresh process that the
benchmark starts, so the process's peak memory is what one worker uses."""
from __future__ import annotations

import resource
import time

import sqlalchemy as sa


def app_for(runtime_url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": runtime_url, "SECRET_KEY": "bench", "REDIS_URL": None})


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def make_submitted(kind, period, county_id: int):
    """(run, seconds, pages): the job's work on a new version, timed, then the version submitted."""
    from app.core import tenancy
    from app.extensions import db
    from app.reports import services
    from app.reports.models import ReportRun

    tenancy.set_tenant(county_id)
    run = ReportRun(tenant_id=county_id, kind=kind, period_kind=period.kind, period_start=period.start,
                    period_end=period.end, version=1)
    db.session.add(run)
    db.session.commit()
    t0 = time.perf_counter()
    pages = services.make(run.id, county_id, None)
    seconds = time.perf_counter() - t0
    run = db.session.get(ReportRun, run.id)
    assert run.status.value == "done", run.error
    services.submit(run, None, running_acknowledged=True)  # a campaign's period may still be running
    db.session.commit()
    return run, seconds, pages  # the county stays in scope: the submitted run is read after the commit


def copy_to_every_county(runs) -> None:
    """Every other county submits the same figures (the national table's input at 22 counties)."""
    from app.core import tenancy
    from app.extensions import db
    from app.reports.models import ReportRun
    from app.tenants.models import County

    with tenancy.all_tenants("bench: every county submits Taipei's figures"):
        for county in db.session.scalars(sa.select(County)).all():
            for run in runs:
                if county.id != run.tenant_id:
                    db.session.add(ReportRun(tenant_id=county.id, kind=run.kind, period_kind=run.period_kind,
                                             period_start=run.period_start, period_end=run.period_end, version=1,
                                             status=run.status, figures=run.figures, submitted_at=run.submitted_at))
        db.session.commit()


def national(kind, period) -> dict:
    from app.reports import services

    t0 = time.perf_counter()
    pdf, _, meta = services.national_documents(kind, period)
    return {"seconds": round(time.perf_counter() - t0, 2), "counties": meta["submitted"], "pdf_kb": round(len(pdf) / 1024, 1)}


def submit_everywhere(kinds, period) -> int:
    """Every county makes and submits each report for the period (the national table's real input)."""
    from app.core import tenancy
    from app.extensions import db
    from app.tenants.models import County

    with tenancy.all_tenants("bench: the list of counties"):
        counties = [c.id for c in db.session.scalars(sa.select(County).order_by(County.sort_order)).all()]
    made = 0
    for county_id in counties:
        for kind in kinds:
            make_submitted(kind, period, county_id)
            made += 1
            tenancy.set_tenant(None)
    return made


def _period(kind: str, year: str, number: str):
    from app.reports.models import PeriodKind
    from app.reports.periods import Period

    return Period.of(PeriodKind(kind), int(year), int(number))


def main(argv: list[str]) -> None:
    """``one RUNTIME KIND COUNTY_ID PERIOD_KIND YEAR NUMBER``: one county report, as the job makes it;
    ``everywhere RUNTIME PERIOD_KIND YEAR NUMBER``: every county makes and submits the four periodic reports;
    ``national RUNTIME PERIOD_KIND YEAR NUMBER``: the national PDF + XLSX of each from what was submitted.
    Prints one JSON line with the times and this process's peak memory."""
    import json

    from app.reports.models import ReportKind

    command, runtime = argv[0], argv[1]
    app = app_for(runtime)
    periodic = [k for k in ReportKind if k != ReportKind.SPRING]
    with app.test_request_context():
        if command == "one":
            kind, county_id, period = ReportKind(argv[2]), int(argv[3]), _period(*argv[4:7])
            run, seconds, pages = make_submitted(kind, period, county_id)
            out = {"kind": kind.value, "seconds": round(seconds, 2), "pages": pages, "pdf_kb": round(len(run.pdf) / 1024, 1),
                   "xlsx_kb": round(len(run.xlsx) / 1024, 1)}
        elif command == "everywhere":
            t0 = time.perf_counter()
            made = submit_everywhere(periodic, _period(*argv[2:5]))
            out = {"reports": made, "seconds": round(time.perf_counter() - t0, 1)}
        elif command == "national":
            period = _period(*argv[2:5])
            out = {"national": {kind.value: national(kind, period) for kind in periodic}}
        else:
            raise SystemExit(f"unknown command {command}")
    print(json.dumps({**out, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main(sys.argv[1:])

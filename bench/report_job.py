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
    services.submit(run, None)
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

"""Report jobs on the real Redis with an RQ worker: a job that times out and a
job that vanishes (its worker died) both leave the report failed and
retriable; the retry completes. Rows are committed for real here (the worker
needs to see them) and removed at the end."""
import time

import pytest
import sqlalchemy as sa

from app.core import tenancy
from app.extensions import db
from app.reports import services
from app.reports.models import PeriodKind, ReportKind, ReportRun, RunStatus
from app.reports.periods import Period

pytestmark = pytest.mark.redis
Q2 = Period.of(PeriodKind.QUARTER, 2026, 2)


def _worker():
    from rq import SimpleWorker

    from app.core.jobs import queue, redis_connection

    return SimpleWorker([queue()], connection=redis_connection())


def test_timeouts_and_dead_workers_leave_a_retriable_report(app, monkeypatch):
    if not app.config["REDIS_URL"]:
        pytest.skip("REDIS_URL not set (the PostgreSQL + Redis run in .ci/run covers this)")
    from rq.job import Job

    from app.core.jobs import queue, redis_connection
    from app.tenants.models import County

    with app.test_request_context():
        queue().empty()
        taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
        tenancy.set_tenant(taipei.id)
        made = []
        try:
            # 1. a job that runs past its time limit
            monkeypatch.setattr(services, "JOB_TIMEOUT", 1)
            monkeypatch.setattr(services, "render_pdf", lambda html: time.sleep(5))
            run = services.request(ReportKind.REFERRALS, Q2, None, taipei.id)
            made.append(run.id)
            assert run.status == RunStatus.QUEUED and run.job_id
            _worker().work(burst=True)
            db.session.expire_all()
            run = db.session.get(ReportRun, run.id)
            assert run.status == RunStatus.FAILED and "Timeout" in run.error and run.pdf is None
            monkeypatch.undo()

            # 2. a job whose worker died: the job is gone from Redis, the row still says queued
            services.retry(run, None)
            Job.fetch(run.job_id, connection=redis_connection()).delete()
            services.reconcile(run)
            assert run.status == RunStatus.FAILED and "不在佇列" in run.error

            # 3. the retry completes
            services.retry(run, None)
            _worker().work(burst=True)
            db.session.expire_all()
            run = db.session.get(ReportRun, run.id)
            assert run.status == RunStatus.DONE and run.pdf.startswith(b"%PDF") and run.attempts == 2
        finally:
            db.session.rollback()
            db.session.execute(sa.delete(ReportRun).where(ReportRun.id.in_(made)))
            db.session.commit()
            queue().empty()

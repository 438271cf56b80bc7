"""Faults while the app runs, on servers of the tests' own (never the shared ones):

1. Redis stops: pages keep working, the public form keeps taking reports (rate limits counted in
   memory), a report or meeting PDF is refused with a Chinese 503 and its row is failed with a
   retry, not queued for a job that does not exist; the health check says Redis is down; when
   Redis is back the retry queues again.
2. The RQ worker is killed (worker and work-horse, SIGKILL) in the middle of a report PDF: the run
   is shown failed within RQ's heartbeat expiry, with a retry; a new worker completes the retry.
3. PostgreSQL restarts: the request that meets the dead connection gets a Chinese 503 at worst, and
   the following requests work without restarting the app.
4. A migration fails half-way: on PostgreSQL the schema and alembic_version are unchanged
   (transactional DDL); on SQLite the runner stops with the error and records no new version.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core import tenancy
from app.core.jobs import JobsUnavailable
from app.extensions import db
from tests.support import UserClient, log_in, build_app
from tests.hardening import fixtures_faults
from tests.hardening.fixtures_faults import runs_once, seeded_app
from tests.hardening.servers import PrivatePostgres, PrivateRedis

pytestmark = runs_once

ROOT = Path(__file__).resolve().parents[2]
limiter_back_to_memory = fixtures_faults.limiter_back_to_memory  # a fixture, used by name
pg_app = fixtures_faults.pg_app  # a fixture, used by name
private_pg = fixtures_faults.private_pg  # a fixture, used by name
MONTH = "month:2026-09-01:2026-09-30"  # a period the demo data has no report for
needs_redis = pytest.mark.skipif(not PrivateRedis.available, reason="redis-server not installed")
needs_postgres = pytest.mark.skipif(not PrivatePostgres.available, reason="PostgreSQL server binaries not installed")


def _rows(app, statement):
    with app.app_context(), tenancy.all_tenants("test: look at what the requests left"):
        try:
            return db.session.execute(statement).all()
        finally:
            db.session.remove()


def _count(app, model) -> int:
    return _rows(app, sa.select(sa.func.count()).select_from(model))[0][0]


def _latest_run(app):
    from app.reports.models import ReportRun

    with app.app_context(), tenancy.all_tenants("test"):
        run = db.session.scalars(sa.select(ReportRun).order_by(ReportRun.id.desc())).first()
        db.session.expunge(run)
        db.session.remove()
        return run


def _public_form(app) -> dict:
    from app.tenants.models import County

    with app.app_context():
        taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
        district = next(d for d in taipei.districts if d.name == "中正區")
        form = {"county_id": taipei.id, "district_id": district.id, "address": "重慶南路一段122號",
                "persons-0-name": "陳小華", "persons-0-sex": "F", "persons-0-birth_date": "105/01/02",
                "persons-0-relation": "subject", "persons-0-id_number": "", "concerns": ["vulnerable_family"],
                "dimensions": ["economic"], "narrative": "Redis 停止時送出的通報", "reporter_type": "public",
                "reporter_name": "鄰居", "reporter_phone": "0912-000-222"}
        db.session.remove()
        return form


def _first_link(user: UserClient, page: str, pattern: str) -> str:
    body = user.get(page).get_data(as_text=True)
    match = re.search(pattern, body)
    assert match, f"no link {pattern} on {page}"
    return match.group(0).rstrip('"')


# --- 1. Redis stops ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis_server():
    if not PrivateRedis.available:
        pytest.skip("redis-server not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def outage_app(tmp_path_factory, redis_server):
    path = tmp_path_factory.mktemp("faults") / "outage.sqlite3"
    return seeded_app(f"sqlite:///{path}", REDIS_URL=redis_server.url, RATELIMIT_STORAGE_URI=redis_server.url,
                      RQ_QUEUE=f"faults-{os.getpid()}", PUBLIC_REPORT_RATE="3 per hour")


@needs_redis
def test_redis_stops_pages_work_pdfs_are_refused_clearly_and_nothing_is_lost(outage_app, redis_server):
    from rq import Queue

    from app.intake.models import Report
    from app.meetings.models import DocumentStatus, MeetingDocument
    from app.reports.models import ReportRun, RunStatus

    app = outage_app
    anonymous = UserClient(app.test_client(), None)
    assert anonymous.get("/healthz").get_json()["redis"] == "ok"
    form = _public_form(app)
    reports_before, runs_before = _count(app, Report), _count(app, ReportRun)

    redis_server.shutdown()
    try:
        health = anonymous.get("/healthz")
        assert health.status_code == 200 and health.get_json() == {"status": "ok", "database": "ok", "redis": "down"}

        # Signing in and every main page still work.
        users = {name: log_in(app, name) for name in ("tpe.dispatch", "tpe.sup", "tpe.sw1", "tpe.admin", "moh.protect")}
        family = _first_link(users["tpe.sup"], "/cases/inbox", r"/cases/\d+")
        county_meeting = _first_link(users["tpe.admin"], "/meetings", r"/meetings/\d+")
        ministry_meeting = _first_link(users["moh.protect"], "/meetings", r"/meetings/\d+")
        pages = {"tpe.dispatch": ["/", "/intake/queue", "/intake/figures"],
                 "tpe.sup": ["/", "/cases/inbox", family],
                 "tpe.sw1": ["/", "/cases/mine", family, "/referrals", "/notifications/count"],
                 "tpe.admin": ["/", "/meetings", county_meeting, "/reports", "/campaigns"],
                 "moh.protect": ["/", "/meetings", ministry_meeting, f"{ministry_meeting}/table", "/meetings/mine"]}
        for name, urls in pages.items():
            for url in urls:
                response = users[name].get(url)
                assert response.status_code == 200, (name, url, response.status_code)

        # The public form keeps taking reports: limits are counted in memory while Redis is away.
        anonymous.refresh_csrf("/report")
        for _ in range(3):
            assert anonymous.post("/report", form).status_code == 303
        limited = anonymous.post("/report", form)
        assert limited.status_code == 429 and "Redis 停止時送出的通報" in limited.get_data(as_text=True)  # input kept
        assert _count(app, Report) == reports_before + 3

        # A report PDF is refused with a clear message; the run is failed (retriable), not queued.
        admin = users["tpe.admin"]
        refused = admin.post("/reports", {"rq-kind": "screening", "rq-period": MONTH})
        assert refused.status_code == 503
        assert "背景工作服務暫時無法使用" in refused.get_data(as_text=True)
        assert _count(app, ReportRun) == runs_before + 1
        run = _latest_run(app)
        assert run.status == RunStatus.FAILED and "背景工作服務暫時無法使用" in run.error and run.job_id == ""
        detail = admin.get(f"/reports/{run.id}")
        assert detail.status_code == 200 and "產製失敗" in detail.get_data(as_text=True)
        assert f"/reports/{run.id}/retry" in detail.get_data(as_text=True)
        again = admin.post(f"/reports/{run.id}/retry")
        assert again.status_code == 503 and "背景工作服務暫時無法使用" in again.get_data(as_text=True)
        assert _latest_run(app).status == RunStatus.FAILED

        # The same for a meeting's PDF.
        meeting_id = int(county_meeting.rsplit("/", 1)[1])
        docs_before = _count(app, MeetingDocument)
        refused = admin.post(f"/meetings/{meeting_id}/documents", {"doc-kind": "minutes"})
        assert refused.status_code == 503 and "背景工作服務暫時無法使用" in refused.get_data(as_text=True)
        docs = _rows(app, sa.select(MeetingDocument.status, MeetingDocument.error).order_by(MeetingDocument.id.desc()))
        assert len(docs) == docs_before + 1 and docs[0].status == DocumentStatus.FAILED
    finally:
        redis_server.start()

    # Redis is back: the retry and new requests are queued for a worker again.
    assert anonymous.get("/healthz").get_json()["redis"] == "ok"
    assert admin.post(f"/reports/{run.id}/retry").status_code == 303
    run = _latest_run(app)
    assert run.status == RunStatus.QUEUED and run.job_id
    from redis import Redis

    assert run.job_id in Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(redis_server.url)).job_ids
    queued = admin.post("/reports", {"rq-kind": "visits", "rq-period": MONTH})
    assert queued.status_code == 303
    assert _latest_run(app).status == RunStatus.QUEUED and _latest_run(app).job_id


@needs_redis
def test_jobs_unavailable_is_raised_not_swallowed(outage_app, redis_server):
    """The helper every job goes through says plainly that nothing was queued."""
    from app.core.jobs import enqueue
    from tests.jobs_fixtures import fail

    redis_server.shutdown()
    try:
        with outage_app.app_context(), pytest.raises(JobsUnavailable, match="背景工作服務暫時無法使用"):
            enqueue(fail)
    finally:
        redis_server.start()


# --- 2. The worker is killed in the middle of a PDF ------------------------------------------------

def _start_worker(app, *args: str) -> subprocess.Popen:
    """``flask rq-worker`` in a session of its own, on the app's database, Redis and queue."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "RQ_QUEUE": app.config["RQ_QUEUE"], "SECRET_KEY": "test-secret"}
    env.pop("MIGRATIONS_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "rq-worker", *args], env=env, cwd=ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout} s")


def _kill_a_worker_mid_job(app, running) -> float:
    """Start a worker, wait until its job is ``running()``, then SIGKILL the worker and its work-horse
    (as an OOM kill or a lost machine) well inside the PDF rendering. Returns when it was killed."""
    worker = _start_worker(app, "--job-monitoring-interval", "5")
    try:
        _wait_for(running, 60, "the job starts")
        time.sleep(2)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    return time.monotonic()


@needs_redis
def test_a_worker_killed_mid_pdf_leaves_a_failed_run_with_a_retry_that_a_new_worker_completes(outage_app, monkeypatch):
    from app.accounts.models import User
    from app.reports import services
    from app.reports.models import ReportKind, ReportRun, RunStatus
    from app.reports.periods import Period, PeriodKind
    from app.tenants.models import County
    from tests.jobs_fixtures import slow_report

    app = outage_app
    monkeypatch.setitem(app.config, "RQ_QUEUE", f"faults-kill-{os.getpid()}")
    # The run is asked for as the page does, but its job is the report job held inside the PDF.
    monkeypatch.setattr(services, "make", slow_report)
    with app.test_request_context():
        taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
        admin_user = db.session.scalars(sa.select(User).where(User.username == "tpe.admin")).one()
        tenancy.set_tenant(taipei.id)
        run = services.request(ReportKind.REFERRALS, Period.of(PeriodKind.MONTH, 2026, 8), admin_user, taipei.id)
        run_id, job_id = run.id, run.job_id
        db.session.remove()
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "RQ_QUEUE", f"faults-kill-{os.getpid()}")
    assert job_id and not job_id.startswith("inline-")

    status = lambda: _rows(app, sa.select(ReportRun.status).where(ReportRun.id == run_id))[0][0]  # noqa: E731
    killed_at = _kill_a_worker_mid_job(app, lambda: status() == RunStatus.RUNNING)

    admin = log_in(app, "tpe.admin")
    page = admin.get(f"/reports/{run_id}").get_data(as_text=True)
    assert "報表產製中" in page and "重試" not in page  # still within RQ's heartbeat: shown busy, polled
    page = _wait_for(lambda: (lambda body: body if "產製失敗" in body else None)(
        admin.get(f"/reports/{run_id}").get_data(as_text=True)), 150, "the killed job shows failed")
    noticed = time.monotonic() - killed_at
    assert noticed < ReportRun.STALE_AFTER_SECONDS  # RQ's abandoned-job cleanup, long before the stale rule
    assert "背景工作中斷" in page and f"/reports/{run_id}/retry" in page
    assert status() == RunStatus.FAILED
    assert _rows(app, sa.select(ReportRun.pdf).where(ReportRun.id == run_id))[0][0] is None  # nothing half-made

    assert admin.post(f"/reports/{run_id}/retry").status_code == 303
    second = _start_worker(app, "--burst")
    assert second.wait(timeout=180) == 0
    row = _rows(app, sa.select(ReportRun.status, ReportRun.pdf, ReportRun.attempts).where(ReportRun.id == run_id))[0]
    assert row.status == RunStatus.DONE and row.pdf.startswith(b"%PDF") and row.attempts == 2
    print(f"killed worker noticed after {noticed:.0f} s")


@needs_redis
def test_a_worker_killed_mid_meeting_pdf_shows_it_failed_and_a_new_request_completes(outage_app, monkeypatch):
    from app.accounts.models import User
    from app.meetings import documents
    from app.meetings.models import DocumentKind, DocumentStatus, Meeting, MeetingDocument
    from app.tenants.models import County
    from tests.jobs_fixtures import slow_meeting_document

    app = outage_app
    queue = f"faults-kill-meeting-{os.getpid()}"
    monkeypatch.setitem(app.config, "RQ_QUEUE", queue)
    monkeypatch.setattr(documents, "make", slow_meeting_document)  # the real job, held inside the PDF
    with app.test_request_context():
        taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
        admin_user = db.session.scalars(sa.select(User).where(User.username == "tpe.admin")).one()
        tenancy.set_tenant(taipei.id)
        meeting = db.session.scalars(sa.select(Meeting).where(Meeting.county_id == taipei.id)
                                     .order_by(Meeting.id)).first()
        doc = documents.request(meeting, DocumentKind.TRACKING, admin_user)
        meeting_id, doc_id, job_id = meeting.id, doc.id, doc.job_id
        db.session.remove()
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "RQ_QUEUE", queue)
    assert job_id and not job_id.startswith("inline-")

    status = lambda: _rows(app, sa.select(MeetingDocument.status).where(MeetingDocument.id == doc_id))[0][0]  # noqa: E731
    killed_at = _kill_a_worker_mid_job(app, lambda: status() == DocumentStatus.RUNNING)

    admin = log_in(app, "tpe.admin")
    fragment = lambda: admin.get(f"/meetings/{meeting_id}/documents", headers={"HX-Request": "true"}).get_data(  # noqa: E731
        as_text=True)
    assert 'hx-trigger="every 2s"' in fragment()  # still within RQ's heartbeat: shown busy, polled
    body = _wait_for(lambda: (lambda b: b if "重試" in b else None)(fragment()), 150, "the killed job shows failed")
    noticed = time.monotonic() - killed_at
    assert noticed < MeetingDocument.STALE_AFTER_SECONDS  # RQ's abandoned-job cleanup, long before the stale rule
    assert 'hx-trigger="every 2s"' not in body  # the page stops polling
    failed = _rows(app, sa.select(MeetingDocument.status, MeetingDocument.pdf, MeetingDocument.error)
                   .where(MeetingDocument.id == doc_id))[0]
    assert failed.status == DocumentStatus.FAILED and failed.pdf is None and "背景工作中斷" in failed.error

    assert admin.post(f"/meetings/{meeting_id}/documents", {"doc-kind": "tracking"}).status_code == 303  # 重試
    second = _start_worker(app, "--burst")
    assert second.wait(timeout=180) == 0
    done = _rows(app, sa.select(MeetingDocument.status, MeetingDocument.pdf).where(
        MeetingDocument.meeting_id == meeting_id, MeetingDocument.id > doc_id))
    assert [row.status for row in done] == [DocumentStatus.DONE] and done[0].pdf.startswith(b"%PDF")
    print(f"killed meeting-PDF worker noticed after {noticed:.0f} s")


# --- 3. PostgreSQL restarts under the app -----------------------------------------------------------

def _unavailable_or_ok(response) -> bool:
    if response.status_code == 200:
        return True
    body = response.get_data(as_text=True)
    return response.status_code == 503 and "資料庫暫時無法連線" in body and "Traceback" not in body


@needs_postgres
def test_the_app_recovers_from_a_database_restart_without_restarting(pg_app, private_pg):
    from app.intake.models import Report

    app = pg_app
    supervisor = log_in(app, "tpe.sup")
    anonymous = UserClient(app.test_client(), None)
    form = _public_form(app)
    for _ in range(3):  # the pool holds live connections
        assert supervisor.get("/cases/inbox").status_code == 200

    private_pg.restart()  # every connection in the pool is now dead
    first = supervisor.get("/cases/inbox")
    assert _unavailable_or_ok(first), first.status_code  # pool_pre_ping: in practice already a 200
    print(f"first request after the restart: {first.status_code}")
    for url in ("/cases/inbox", "/", "/cases/mine"):
        assert supervisor.get(url).status_code == 200
    before = _count(app, Report)
    anonymous.refresh_csrf("/report")
    assert anonymous.post("/report", form).status_code == 303
    assert _count(app, Report) == before + 1

    # While it is down: a Chinese 503 (the error page cannot even load the signed-in user), and health says so.
    private_pg.stop()
    try:
        down = supervisor.get("/cases/inbox")
        body = down.get_data(as_text=True)
        assert down.status_code == 503 and "資料庫暫時無法連線" in body and "Traceback" not in body
        assert down.headers["Retry-After"] == "30"
        health = anonymous.get("/healthz")
        assert health.status_code == 503 and health.get_json()["database"] == "down"
    finally:
        private_pg.start()
    assert supervisor.get("/cases/inbox").status_code == 200
    assert anonymous.get("/healthz").status_code == 200


# --- 4. A migration fails half-way -------------------------------------------------------------------

def _current_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parents[2] / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


HEAD = _current_head()
GOOD_REVISION = '''"""fault test: a revision that works"""
from alembic import op
import sqlalchemy as sa

revision = "fa0170000001"
down_revision = "{head}"


def upgrade():
    op.create_table("fault_probe", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("fault_probe")
'''
BAD_REVISION = '''"""fault test: a revision that fails after its first operation"""
from alembic import op
import sqlalchemy as sa

revision = "fa0170000002"
down_revision = "fa0170000001"


def upgrade():
    with op.batch_alter_table("counties") as batch:
        batch.add_column(sa.Column("fault_probe", sa.Text(), nullable=True))
    op.execute("INSERT INTO no_such_table VALUES (1)")


def downgrade():
    pass
'''


def _migrations_with_a_failing_pair(tmp_path) -> Path:
    """The app's migrations plus two new revisions: one that works, then one that fails half-way."""
    import shutil

    directory = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / "29990101_fa0170000001_fault_good.py").write_text(GOOD_REVISION.format(head=HEAD))
    (directory / "versions" / "29990101_fa0170000002_fault_bad.py").write_text(BAD_REVISION)
    return directory


def _schema(url: str) -> dict:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        return {"tables": sorted(inspector.get_table_names()),
                "county_columns": [c["name"] for c in inspector.get_columns("counties")], "version": version}
    finally:
        engine.dispose()


def _upgrade_fails(app, directory: Path) -> str:
    """``flask db upgrade`` against the migrations in ``directory``: it must fail, and say why."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "MIGRATIONS_DATABASE_URL": app.config["MIGRATIONS_DATABASE_URL"], "SECRET_KEY": "test-secret"}
    env.pop("REDIS_URL", None)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade", "--directory", str(directory)],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "no_such_table" in output  # the runner names the statement that failed
    return output


@needs_postgres
def test_a_migration_failing_half_way_leaves_postgresql_unchanged(pg_app, tmp_path):
    url = pg_app.config["MIGRATIONS_DATABASE_URL"]
    before = _schema(url)
    assert before["version"] == [HEAD]
    output = _upgrade_fails(pg_app, _migrations_with_a_failing_pair(tmp_path))
    assert f"Running upgrade {HEAD} -> fa0170000001" in output and "fa0170000001 -> fa0170000002" in output
    assert _schema(url) == before  # neither revision's table, column nor version: one transaction, rolled back


def test_a_migration_failing_half_way_leaves_sqlite_unchanged(tmp_path):
    """SQLite's DDL is transactional too once the driver leaves transactions to SQLAlchemy (app/core/database.py);
    env.py runs every pending revision in one transaction there as on PostgreSQL."""
    from flask_migrate import upgrade

    url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    app = build_app(url, MIGRATIONS_DATABASE_URL=url, REDIS_URL=None)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    before = _schema(url)
    assert before["version"] == [HEAD] and "fault_probe" not in before["tables"]
    _upgrade_fails(app, _migrations_with_a_failing_pair(tmp_path))
    assert _schema(url) == before

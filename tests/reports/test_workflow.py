"""Asking, generating (a job), failing and retrying, submitting (then frozen),
correcting, and the ministry's national table from submitted versions only."""
import hashlib
import shutil
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core import tenancy
from app.core.models import utcnow
from app.extensions import db as _db
from app.reports import services
from app.reports.models import FrozenReport, PeriodKind, ReportKind, ReportRun, RunStatus
from app.reports.periods import Period

Q3 = Period.of(PeriodKind.QUARTER, 2026, 3)


@pytest.fixture
def taipei(db, factories, app, inline_jobs):
    county = factories.county("臺北市")
    with app.test_request_context(), tenancy.tenant_scope(county.id):
        yield county


def test_a_report_is_made_whole_then_submitted_and_frozen(taipei, factories, db):
    admin = factories.user("tpe.admin")
    run = services.request(ReportKind.VISITS, Q3, admin, taipei.id)
    db.session.refresh(run)
    assert run.status == RunStatus.DONE and run.version == 1 and run.pages >= 1
    assert run.pdf.startswith(b"%PDF") and run.sha256 == hashlib.sha256(run.pdf).hexdigest()
    assert run.csv.startswith("\ufeff".encode()) and run.xlsx[:2] == b"PK" and run.figures["total"]["assessing"] == 0
    services.submit(run, admin)
    db.session.commit()
    assert run.submitted and run.submitted_by_id == admin.id
    run.figures = {"total": {}}
    with pytest.raises(FrozenReport, match="送出的報表不能再修改"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(services.ReportError, match="已送出"):
        services.submit(db.session.get(ReportRun, run.id), admin)


def test_after_submission_a_new_version_is_a_correction_that_says_why(taipei, factories, db):
    admin = factories.user("tpe.admin")
    first = services.request(ReportKind.SCREENING, Q3, admin, taipei.id)
    services.submit(first, admin)
    db.session.commit()
    with pytest.raises(services.ReportError, match="更正原因"):
        services.request(ReportKind.SCREENING, Q3, admin, taipei.id)
    second = services.request(ReportKind.SCREENING, Q3, admin, taipei.id, correction_note="補登 9 月漏登之 3 件通報")
    assert second.version == 2 and second.replaces_id == first.id and second.correction_note.startswith("補登")
    with pytest.raises(services.ReportError, match="較新"):
        draft = services.request(ReportKind.SCREENING, Q3, admin, taipei.id, correction_note="再次更正")
        services.submit(second, admin)
    assert draft.version == 3


def test_a_failed_job_is_shown_failed_and_can_be_retried(taipei, factories, db, monkeypatch):
    admin = factories.user("tpe.admin")

    def broken(html):
        raise OSError("font cache unavailable")

    monkeypatch.setattr(services, "render_pdf", broken)
    services.request(ReportKind.VULNERABILITY, Q3, admin, taipei.id)  # the job fails; the request does not
    run = db.session.scalars(sa.select(ReportRun).where(ReportRun.kind == ReportKind.VULNERABILITY)).one()
    assert run.status == RunStatus.FAILED and "font cache" in run.error and run.pdf is None and run.figures is None
    assert run.state() == "failed"
    with pytest.raises(services.ReportError, match="尚未產製完成"):
        services.submit(run, admin)
    monkeypatch.undo()
    services.retry(run, admin)
    db.session.refresh(run)
    assert run.status == RunStatus.DONE and run.attempts == 2 and run.error == ""


def test_a_run_left_running_by_a_dead_worker_becomes_retriable(taipei, factories, db):
    run = ReportRun(tenant_id=taipei.id, kind=ReportKind.REFERRALS, period_kind=Q3.kind, period_start=Q3.start,
                    period_end=Q3.end, status=RunStatus.RUNNING, requested_at=utcnow() - timedelta(hours=1))
    db.session.add(run)
    db.session.flush()
    assert run.state() == "failed"  # never endless "processing"
    services.retry(run, factories.user("tpe.admin"))
    assert db.session.get(ReportRun, run.id).status == RunStatus.DONE


def test_the_national_table_adds_up_submitted_versions_only(app, db, factories, inline_jobs):
    taipei, hualien = factories.county("臺北市"), factories.county("花蓮縣")
    figures = {taipei.id: (10, 5), hualien.id: (4, 1)}
    with app.test_request_context(), tenancy.all_tenants("test: two counties' submissions"):
        for county_id, (total, opened) in figures.items():
            for version, submitted in ((1, True), (2, False)):  # v2 is a draft: never counted
                counts = {"total": {"case_management": opened * version, "refer_protective": 0, "refer_network": 0,
                                    "welfare_consultation": total * version - opened * version, "duplicate_or_error": 0,
                                    "assessing": 0, "visit_due": 0, "visit_on_time": 0, "report_due": 0, "report_on_time": 0},
                          "by_centre": {}}
                _db.session.add(ReportRun(tenant_id=county_id, kind=ReportKind.VISITS, period_kind=Q3.kind,
                                          period_start=Q3.start, period_end=Q3.end, version=version, status=RunStatus.DONE,
                                          figures=counts, submitted_at=utcnow() if submitted else None))
        _db.session.flush()
        total, by_county, missing = services.national(ReportKind.VISITS, Q3)
        assert [name for name, _ in by_county] == ["臺北市", "花蓮縣"] and len(missing) == 20
        assert total["total"]["case_management"] == 6 and total["total"]["welfare_consultation"] == 8
        pdf, xlsx, meta = services.national_documents(ReportKind.VISITS, Q3)
        rows = services.overview(Q3)
        assert {r.county.name for r in rows if r.runs[ReportKind.VISITS]} == {"臺北市", "花蓮縣"}
    assert meta["submitted"] == 2 and pdf.startswith(b"%PDF") and xlsx[:2] == b"PK"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "全國" in text and "42.86%" in text  # 6 of 14 (both counts published: 6 and 14)
        assert "臺北市" in text and "花蓮縣" in text and "未送出" in text
        assert "*" in text and "揭露規則" in text  # 花蓮縣's single opened family is hidden by the disclosure rule

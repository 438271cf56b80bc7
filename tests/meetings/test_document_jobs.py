"""A meeting PDF whose job died (a killed worker, a timeout, Redis lost the job) is shown failed with a
retry as soon as RQ knows, not only at the 15-minute stale rule. The real killed worker is in
tests/hardening/test_faults.py; here RQ's answer is given, to cover each state without one."""
import pytest
import sqlalchemy as sa
from redis.exceptions import ConnectionError as RedisConnectionError

from app.core import jobs
from app.meetings import demo, documents
from app.meetings.models import DocumentKind, DocumentStatus, MeetingDocument


@pytest.fixture
def m34(db):
    series = demo.import_progress_34()
    return next(m for m in series.meetings if m.number == 34)


@pytest.fixture
def rq_says(app, monkeypatch):
    """Pretend Redis is configured and RQ reports the given status for every job."""
    answer = {}
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")

    def job_status(job_id):
        if isinstance(answer["status"], Exception):
            raise answer["status"]
        return answer["status"]

    monkeypatch.setattr(jobs, "job_status", job_status)
    return lambda status: answer.__setitem__("status", status)


def _waiting(db, meeting, job_id="rq-job-1", status=DocumentStatus.RUNNING):
    doc = MeetingDocument(meeting_id=meeting.id, county_id=meeting.county_id, kind=DocumentKind.TRACKING,
                          status=status, job_id=job_id)
    db.session.add(doc)
    db.session.commit()
    return doc


def test_an_inline_job_has_finished_and_keeps_no_job_id(app, db, m34, factories, inline_jobs):
    with app.test_request_context():
        doc = documents.request(m34, DocumentKind.MINUTES, factories.user("moh.protect"))
    db.session.refresh(doc)
    assert doc.status == DocumentStatus.DONE and doc.job_id == ""


@pytest.mark.parametrize("status, words", [("failed", "背景工作中斷（執行失敗）"), ("stopped", "背景工作中斷（逾時"),
                                           ("canceled", "背景工作中斷（已被取消）"), ("missing", "工作已不在佇列中")])
def test_a_dead_job_fails_its_document_with_the_reason(app, db, m34, rq_says, status, words):
    doc = _waiting(db, m34)
    rq_says(status)
    with app.test_request_context():
        documents.reconcile([doc])
    db.session.refresh(doc)
    assert doc.status == DocumentStatus.FAILED and words in doc.error and doc.finished_at is not None
    assert doc.state() == "failed"


@pytest.mark.parametrize("status", ["queued", "started", "deferred", RedisConnectionError("down")])
def test_a_live_job_or_an_unreachable_redis_leaves_it_waiting(app, db, m34, rq_says, status):
    doc = _waiting(db, m34, status=DocumentStatus.QUEUED)
    rq_says(status)
    with app.test_request_context():
        documents.reconcile([doc])
    db.session.refresh(doc)
    assert doc.status == DocumentStatus.QUEUED and doc.state() == "busy"  # the stale rule still ends the wait


def test_inline_and_unknown_jobs_ask_rq_nothing(app, db, m34, rq_says):
    rq_says(AssertionError("RQ must not be asked"))
    with app.test_request_context():
        assert jobs.death_of("") is None and jobs.death_of("inline-abc") is None


def test_the_polled_fragment_shows_the_dead_job_failed_with_a_retry(app, db, m34, rq_says, as_user):
    doc = _waiting(db, m34)
    rq_says("started")
    manager = as_user("moh.protect")
    busy = manager.get(f"/meetings/{m34.id}/documents", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in busy and "重試" not in busy
    rq_says("failed")
    # a refused form's page shows the list as it is and commits nothing
    refused = manager.post(f"/meetings/{m34.id}/documents", {"doc-kind": "nonsense"})
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(MeetingDocument.status).where(MeetingDocument.id == doc.id)) == \
        DocumentStatus.RUNNING
    failed = manager.get(f"/meetings/{m34.id}/documents", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "重試" in failed and 'hx-trigger="every 2s"' not in failed
    assert db.session.scalar(sa.select(MeetingDocument.status).where(MeetingDocument.id == doc.id)) == \
        DocumentStatus.FAILED

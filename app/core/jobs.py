"""Background jobs: RQ on Redis when ``REDIS_URL`` is set, inline otherwise.

Jobs take plain ids (the county and the requesting user among them), set the
tenant themselves through :func:`job_context`, and commit themselves.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app


@dataclass
class InlineJob:
    """What ``enqueue`` returns without Redis: the job already ran."""

    id: str
    result: object = None
    error: str | None = None

    def get_status(self) -> str:
        return "failed" if self.error else "finished"

    @property
    def return_value(self):
        return self.result


def progress_state(status: str, requested_at, stale_after_seconds: int, now=None) -> str:
    """What a page shows for a row a job fills in: 'done', 'failed' or 'busy'. A row still
    queued or running after ``stale_after_seconds`` died with its worker: 'failed', retriable,
    never endless progress."""
    if status in ("done", "failed"):
        return status
    from .models import utcnow

    age = ((now or utcnow()) - requested_at).total_seconds()
    return "failed" if age > stale_after_seconds else "busy"


def any_busy(rows) -> bool:
    """Whether a page should keep polling: some job-filled row is still queued or running."""
    return any(row.state() == "busy" for row in rows)


def redis_connection():
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def queue():
    from rq import Queue

    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def enqueue(func, *args, job_timeout: int = 600, **kwargs):
    """Run ``func(*args, **kwargs)`` as a job; inline when there is no Redis."""
    if current_app.config.get("REDIS_URL"):
        return queue().enqueue(func, *args, job_timeout=job_timeout, **kwargs)
    import uuid

    job = InlineJob(id=f"inline-{uuid.uuid4().hex}")
    try:
        job.result = func(*args, **kwargs)
    except Exception as exc:  # the job's failure is reported as a failed job, as RQ would
        current_app.logger.exception("inline job %s failed", getattr(func, "__name__", func))
        job.error = str(exc)
    return job


@contextmanager
def job_context(tenant_id: int | None, user_id: int | None = None):
    """Act for one county, as the user who asked for the job.

    Inline (inside a request) it reuses the request. In a worker it works inside
    a request context of its own (templates and their context processors expect
    one: a PDF is rendered from templates), recording the asking user as the
    actor, and commits at the end. ``flask rq-worker`` already has an app
    context; a bare RQ worker gets a fresh app.
    """
    from flask import current_app, has_app_context, has_request_context

    from . import tenancy

    if has_request_context():
        with tenancy.tenant_scope(tenant_id):
            yield
        return
    if has_app_context():
        with current_app.test_request_context(), _acting(tenant_id, user_id):
            yield
        return
    from .. import create_app

    app = create_app()
    with app.app_context(), app.test_request_context(), _acting(tenant_id, user_id):
        yield


@contextmanager
def _acting(tenant_id: int | None, user_id: int | None):
    from ..audit import services as audit
    from ..extensions import db
    from . import tenancy

    if user_id is not None:
        from ..accounts.models import User

        user = db.session.get(User, user_id)
        audit.set_actor(audit.Actor(user_id=user_id, username=user.username if user else ""))
    tenancy.set_tenant(tenant_id)
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()

"""Background jobs: RQ on Redis when ``REDIS_URL`` is set, inline otherwise.

Jobs take plain ids (the county and the requesting user among them), set the
tenant themselves through :func:`job_context`, and commit themselves.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context, has_request_context

from ..extensions import db
from . import tenancy
from .models import utcnow

# What the job runner needs from the areas above it, registered by the app factory (``app/__init__.py``)
# so that core names no area: how to build the app (a bare RQ worker has none), and who acts for a job
# (audit records the asking user as the actor).
_app_factory: Callable[[], Flask] | None = None
_act_as: Callable[[int], None] | None = None


def register_app_factory(factory: Callable[[], Flask]) -> None:
    """The factory a bare RQ worker builds its app with (``app.create_app``)."""
    global _app_factory
    _app_factory = factory


def register_actor(act_as: Callable[[int], None]) -> None:
    """``act_as(user_id)`` makes the user who asked for a job its actor (audit registers it)."""
    global _act_as
    _act_as = act_as


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
    age = ((now or utcnow()) - requested_at).total_seconds()
    return "failed" if age > stale_after_seconds else "busy"


def any_busy(rows) -> bool:
    """Whether a page should keep polling: some job-filled row is still queued or running."""
    return any(row.state() == "busy" for row in rows)


class JobsUnavailable(RuntimeError):
    """The job queue (Redis) cannot be reached: the request is refused, nothing is half-queued."""

    MESSAGE = "背景工作服務暫時無法使用，請稍後再試；已保存的資料不受影響。"

    def __init__(self, message: str = MESSAGE):
        super().__init__(message)


# redis and rq are imported where they are used, not at the top: without REDIS_URL jobs run inline and
# a web process (or a test run) never loads them.


def redis_connection():
    from redis import Redis  # lazy: only with REDIS_URL (see above)

    # A stopped or unreachable Redis fails fast instead of holding the request.
    return Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=3)


def queue():
    from rq import Queue  # lazy: only with REDIS_URL

    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def enqueue(func, *args, job_timeout: int = 600, **kwargs):
    """Run ``func(*args, **kwargs)`` as a job; inline when there is no Redis. Raises
    :class:`JobsUnavailable` when Redis is configured but down: the caller marks its row failed
    (retriable) rather than leaving it queued for a job that does not exist."""
    if current_app.config.get("REDIS_URL"):
        from redis.exceptions import ConnectionError, TimeoutError  # lazy: only with REDIS_URL

        try:
            return queue().enqueue(func, *args, job_timeout=job_timeout, **kwargs)
        except (ConnectionError, TimeoutError) as exc:
            current_app.logger.error("job queue unreachable, %s not queued: %s", getattr(func, "__name__", func), exc)
            raise JobsUnavailable() from exc
    job = InlineJob(id=f"inline-{uuid.uuid4().hex}")
    try:
        job.result = func(*args, **kwargs)
    except Exception as exc:  # the job's failure is reported as a failed job, as RQ would
        current_app.logger.exception("inline job %s failed", getattr(func, "__name__", func))
        job.error = str(exc)
    return job


def job_status(job_id: str) -> str:
    """The RQ status of a job ('queued', 'started', 'finished', 'failed', …, or 'missing').

    A job whose worker was killed stays 'started' in RQ until someone cleans the started
    registry: its entry expires when the worker's heartbeat stops (about 90 seconds with RQ's
    defaults), and cleaning then moves it to failed (AbandonedJobError). Asking here does that
    cleaning, so a page learns of a dead worker within that time rather than at the stale rule."""
    from rq.exceptions import NoSuchJobError  # lazy: only with REDIS_URL
    from rq.job import Job

    connection = redis_connection()
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return "missing"
    status = _status_value(job.get_status(refresh=True))
    if status == "started":
        from rq.registry import StartedJobRegistry  # lazy: only with REDIS_URL

        StartedJobRegistry(job.origin, connection=connection).cleanup()
        status = _status_value(job.get_status(refresh=True))
    return status


DEAD_JOB_STATES = {"failed", "stopped", "canceled", "missing"}
#: What a page says of a job that will never finish its row (RQ's own words are not for users).
DEATH_WORDS = {"failed": "背景工作中斷（執行失敗）", "stopped": "背景工作中斷（逾時或背景程式重啟）",
               "canceled": "背景工作中斷（已被取消）", "missing": "工作已不在佇列中（背景程式可能已重啟）"}


def death_of(job_id: str) -> str | None:
    """Why the job a row waits for will never finish it (failed, stopped by a timeout or a killed
    worker, vanished from Redis), in words for the page; None while it may still finish, or when
    nothing can be learnt (an inline job, no Redis, Redis down: the stale rule ends that wait)."""
    if not job_id or job_id.startswith("inline-") or not current_app.config.get("REDIS_URL"):
        return None
    from redis.exceptions import RedisError  # lazy: only with REDIS_URL

    try:
        status = job_status(job_id)
    except RedisError:
        return None
    if status not in DEAD_JOB_STATES:
        return None
    return DEATH_WORDS.get(status, "背景工作中斷")


def report_progress(done: int, total: int) -> None:
    """A running RQ job says how far it is (kept in the job's meta in Redis, read by :func:`progress_of`
    for the page that polls it). Inline, the request waits for the job: nobody polls, nothing to keep."""
    if not current_app.config.get("REDIS_URL"):
        return
    from rq import get_current_job  # lazy: only with REDIS_URL

    job = get_current_job()
    if job is not None:
        job.meta["progress"] = [int(done), int(total)]
        job.save_meta()


def progress_of(job_id: str) -> tuple[int, int] | None:
    """(done, total) of a job that reported its progress, or None (inline, not started, Redis down)."""
    if not job_id or not current_app.config.get("REDIS_URL"):
        return None
    from redis.exceptions import RedisError  # lazy: only with REDIS_URL
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        meta = Job.fetch(job_id, connection=redis_connection()).get_meta(refresh=False)
    except (NoSuchJobError, RedisError):
        return None
    progress = meta.get("progress")
    return (int(progress[0]), int(progress[1])) if progress else None


def _status_value(status) -> str:
    return getattr(status, "value", status) or "missing"


@contextmanager
def job_context(tenant_id: int | None, user_id: int | None = None):
    """Act for one county, as the user who asked for the job.

    Inline (inside a request) it reuses the request. In a worker it works inside
    a request context of its own (templates and their context processors expect
    one: a PDF is rendered from templates), recording the asking user as the
    actor, and commits at the end. ``flask rq-worker`` already has an app
    context; a bare RQ worker gets a fresh app (from the factory the app package registered).
    """
    if has_request_context():
        with tenancy.tenant_scope(tenant_id):
            yield
        return
    if has_app_context():
        with current_app.test_request_context(), _acting(tenant_id, user_id):
            yield
        return
    if _app_factory is None:
        raise RuntimeError("no app factory registered: import the app package (app.create_app) first")
    app = _app_factory()
    with app.app_context(), app.test_request_context(), _acting(tenant_id, user_id):
        yield


@contextmanager
def _acting(tenant_id: int | None, user_id: int | None):
    if user_id is not None and _act_as is not None:
        _act_as(user_id)
    tenancy.set_tenant(tenant_id)
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()

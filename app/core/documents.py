"""Documents made by a job: one lifecycle for every queued document (a report's
version, a meeting's PDF).

request → enqueue → running → done / failed → retry. The row exists (queued)
before its job is handed to the queue, so a page can show its progress; the RQ
job id is kept on the row so that a dead worker is noticed (the dead-worker
rule: a job RQ reports failed, stopped or missing fails its row at once, and a
row still waiting after ``STALE_AFTER_SECONDS`` is shown failed, retriable,
never endless progress).

Every area declares its own workflow from :data:`TRANSITIONS` (so the states and
the transitions are the same for all of them) and names it on its model
(``WORKFLOW``). The functions here are the job runner's side: they commit (the
row before its job is queued, each step of the job), so the areas' services and
job bodies never do.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ..extensions import db
from . import jobs
from .enums import LabeledEnum, enum_column_type
from .models import UTCDateTime, utcnow
from .workflow import Transition, Workflow


class DocumentStatus(LabeledEnum):
    QUEUED = ("queued", "排隊中")
    RUNNING = ("running", "產製中")
    DONE = ("done", "已完成")
    FAILED = ("failed", "產製失敗")


WAITING = (DocumentStatus.QUEUED, DocumentStatus.RUNNING)

#: The lifecycle every queued document declares its workflow from. A waiting row may be retried once
#: it is stale (its worker died without anyone noticing); a job that starts on a row a dead-worker
#: check has already failed still runs it (the row is then done after all).
TRANSITIONS = (
    Transition("request", (None,), DocumentStatus.QUEUED, "要求產製"),
    Transition("run", (DocumentStatus.QUEUED, DocumentStatus.RUNNING, DocumentStatus.FAILED), DocumentStatus.RUNNING,
               "開始產製"),
    Transition("finish", (DocumentStatus.RUNNING,), DocumentStatus.DONE, "產製完成"),
    Transition("fail", WAITING, DocumentStatus.FAILED, "產製失敗"),
    Transition("retry", (DocumentStatus.FAILED, *WAITING), DocumentStatus.QUEUED, "重試"),
)


class QueuedDocumentMixin:
    """The columns of a row a job fills in. A model sets ``__status_type__`` (the name of its
    status column's CHECK constraint), ``STALE_AFTER_SECONDS`` and ``WORKFLOW``."""

    __status_type__: ClassVar[str]
    STALE_AFTER_SECONDS: ClassVar[int]
    WORKFLOW: ClassVar[Workflow]

    @declared_attr
    def status(cls) -> Mapped[DocumentStatus]:
        return mapped_column(enum_column_type(DocumentStatus, cls.__status_type__), nullable=False,
                             default=DocumentStatus.QUEUED)

    error: Mapped[str] = mapped_column(sa.Text(), nullable=False, default="")
    job_id: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")  # the RQ job, to notice a dead worker
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def state(self, now: datetime | None = None) -> str:
        """'done', 'failed' or 'busy' (queued/running and not yet stale)."""
        return jobs.progress_state(self.status.value, self.requested_at, self.STALE_AFTER_SECONDS, now)

    def job_started(self, at: datetime) -> None:
        """What a model records when its job starts (a report run counts its attempts)."""


def request(doc: QueuedDocumentMixin, actor=None) -> QueuedDocumentMixin:
    """Create the row (queued), through the workflow's start transition. Does not commit."""
    doc.requested_at = utcnow()
    db.session.add(doc)
    doc.WORKFLOW.start(doc, actor=actor)
    return doc


def enqueue(doc: QueuedDocumentMixin, job: Callable, *args, job_timeout: int = 600) -> None:
    """Hand the row to a job, ``job(*args)``. The row is committed first (a worker must see it). When
    the queue is down the row is failed at once (shown with a retry) and :class:`jobs.JobsUnavailable`
    goes up to the page: never a row queued for no job. An inline job has finished already: it keeps
    no job id."""
    db.session.commit()
    try:
        handle = jobs.enqueue(job, *args, job_timeout=job_timeout)
    except jobs.JobsUnavailable as exc:
        fail(doc, str(exc))
        doc.job_id = ""
        db.session.commit()
        raise
    if doc.status in WAITING:
        doc.job_id = handle.id
        db.session.commit()


def fail(doc: QueuedDocumentMixin, why: str) -> None:
    doc.WORKFLOW.fire(doc, "fail")
    doc.error, doc.finished_at = why, utcnow()


def retry(doc: QueuedDocumentMixin, actor=None) -> None:
    """Queue a failed row again (a stale one too: its worker died). The caller enqueues it."""
    doc.WORKFLOW.fire(doc, "retry", actor=actor)
    doc.error, doc.requested_at = "", utcnow()


def refresh_dead(docs) -> list:
    """The dead-worker rule: rows still waiting whose RQ job failed, was stopped (a timeout, a killed
    worker) or vanished are failed, shown with a retry within RQ's heartbeat cutoff rather than at the
    stale rule. Commits when it failed any."""
    docs = list(docs)
    changed = False
    for doc in docs:
        if doc.status in WAITING:
            why = jobs.death_of(doc.job_id)
            if why:
                fail(doc, why)
                changed = True
    if changed:
        db.session.commit()
    return docs


def run(model: type, row_id: int, tenant_id: int | None, user_id: int | None, produce: Callable,
        explain: Callable[[Exception], str] = str) -> int:
    """The job runner: as the asking user, for the county, mark the row running (committed: the page
    shows it), call ``produce(row)`` (which fills the row and returns a count, committing nothing),
    then mark it done, in one commit. A failure rolls back what ``produce`` did and leaves the row
    failed with ``explain(error)``, then goes up (RQ records the job failed). Returns ``produce``'s
    answer (0 for a row gone or done already)."""
    with jobs.job_context(tenant_id, user_id):
        doc = db.session.get(model, row_id)
        if doc is None or doc.status == DocumentStatus.DONE:
            return 0
        doc.WORKFLOW.fire(doc, "run")
        doc.job_started(utcnow())
        db.session.commit()
        try:
            result = produce(doc)
        except Exception as exc:
            db.session.rollback()
            doc = db.session.get(model, row_id)
            fail(doc, explain(exc)[:2000])
            db.session.commit()
            raise
        doc.WORKFLOW.fire(doc, "finish")
        doc.finished_at, doc.error = utcnow(), ""
        db.session.commit()
        return result

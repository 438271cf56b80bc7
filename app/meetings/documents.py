"""PDFs of a meeting (the tracking table, the minutes), made by a job and kept
with the meeting.

WeasyPrint renders a template of its own (``templates/meetings/pdf/``) with
fetching locked down: only ``data:`` URLs, so text typed into an item can never
make the renderer read a local file or reach the network.
"""
from __future__ import annotations

import hashlib
import time

from flask import render_template

from ..core import calendar
from ..core import documents as queued
from ..core.pdf import render_pdf
from ..extensions import db
from . import queries, services
from .models import DocumentKind, Meeting, MeetingDocument

TEMPLATES = {DocumentKind.TRACKING: "meetings/pdf/tracking.html", DocumentKind.MINUTES: "meetings/pdf/minutes.html"}


# The tracking table's rows are never split across pages (break-inside: avoid), so that a 案號 is
# never left alone at the foot of a page. A row taller than a page cannot be kept whole: WeasyPrint
# then drops the repeated header. Such a row (estimated from its text: characters per line of each
# column at 8.5 pt on landscape A4, lines per page under the header) starts on a page of its own
# and breaks over the next pages under the header, which repeats.
CHARS_PER_LINE = {"text": 15, "units": 6, "progress": 21}
LINES_PER_PAGE = 34


def _lines(texts, width: int) -> int:
    return sum(max(1, -(-len(line) // width)) for text in texts for line in str(text or "").splitlines() or [""])


def row_lines(row, instruction_lines=()) -> int:
    """About how many lines the tallest cell of a tracking-table row takes."""
    item = row.item
    text = _lines([item.origin or "第 次會議", item.title, item.instruction, *instruction_lines], CHARS_PER_LINE["text"])
    units = _lines(["主辦單位", *row.lead_units, *(["協辦單位", *row.assist_units] if row.assist_units else [])],
                   CHARS_PER_LINE["units"])
    previous = _lines([f"{p.unit_name}：{p.previous}" for p in row.progress if p.previous], CHARS_PER_LINE["progress"])
    current = _lines([f"{p.unit_name}：{p.current}" for p in row.progress if p.current], CHARS_PER_LINE["progress"])
    return max(text, units, previous, current)


def html_for(meeting: Meeting, kind: DocumentKind, today=None, table_date=None) -> str:
    """``table_date``: the 製表日期 chosen when the table was made (else the meeting's, else today)."""
    today = today or calendar.today()
    context = {"meeting": meeting, "series": meeting.series, "today": today,
               "table_date": table_date or meeting.table_date or today}
    if kind == DocumentKind.TRACKING:
        rows = queries.tracking_table(meeting, today=today)
        context["rows"] = rows
        context["instruction_lines"] = services.instruction_lines
        context["tall"] = {row.item.id for row in rows
                           if row_lines(row, services.instruction_lines(row.item)) > LINES_PER_PAGE}
    else:
        context["items"] = [i for i in services.open_items(meeting) if i.raised_at_id == meeting.id]
        context["decisions"] = queries.decisions_at(meeting)
    return render_template(TEMPLATES[kind], **context)


def pdf_bytes(html: str) -> tuple[bytes, int]:
    return render_pdf(html)


def request(meeting: Meeting, kind: DocumentKind, user, table_date=None) -> MeetingDocument:
    """Queue a PDF; the row exists (queued) before the job runs, so the page can show its progress.
    When the job queue is down the row is marked failed and :class:`jobs.JobsUnavailable` is raised.
    A tracking table keeps its 製表日期 on its row (a retry prints the same date)."""
    if kind == DocumentKind.TRACKING:
        table_date = table_date or meeting.table_date or calendar.today()
    doc = queued.request(MeetingDocument(meeting_id=meeting.id, county_id=meeting.county_id, kind=kind,
                                         requested_by_id=getattr(user, "id", None),
                                         table_date=table_date if kind == DocumentKind.TRACKING else None), actor=user)
    queued.enqueue(doc, make, doc.id, meeting.county_id, getattr(user, "id", None))
    return doc


def reconcile(docs: list[MeetingDocument]) -> list[MeetingDocument]:
    """Documents still queued/running whose job failed, was stopped (a killed worker) or vanished are
    failed, shown with a retry within RQ's heartbeat cutoff rather than at the stale rule."""
    return queued.refresh_dead(docs)


def make(document_id: int, county_id: int | None, user_id: int | None) -> int:
    """The job: render and keep the PDF on its row (the job runner commits). Returns the number of pages."""
    return queued.run(MeetingDocument, document_id, county_id, user_id, _produce)


def _produce(doc: MeetingDocument) -> int:
    started = time.perf_counter()
    meeting = db.session.get(Meeting, doc.meeting_id)
    data, pages = pdf_bytes(html_for(meeting, doc.kind, table_date=doc.table_date))
    doc.pdf, doc.pages, doc.sha256 = data, pages, hashlib.sha256(data).hexdigest()
    doc.seconds = round(time.perf_counter() - started, 3)
    return pages

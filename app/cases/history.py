"""A case's assessment outcome and closing as they stood at a moment, read from its transitions.

Reopening a case (重新開啟) or sending an opening decision back (退回開案) clears the case's ``outcome``
and ``closed_at``; a later decision or closing overwrites them. A report of a finished period must not
move when that happens after the period's end, so for a case that has ever been reopened or sent back
its outcome and closing at ``end`` are rebuilt from ``case_transitions`` (which keep every change with
its time). A case never reopened nor sent back has had one decision and one closing at most: its stored
fields are its history (``outcome_at`` and ``closed_at`` are their times), and are read as they are.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..intake.models import Report
from .models import CaseStatus, CaseTransition, CaseUnit, FamilyCase
from .reference import AssessmentOutcome

C = CaseStatus
DECIDED = (C.OPENING_REVIEW, C.NOT_OPENED, C.CLOSED)  # states a reopening or a return leaves for 評估中
CHUNK = 5000


def _undo():
    return (CaseTransition.to_status == C.ASSESSING) & CaseTransition.from_status.in_(DECIDED)


def _outcome_of(reason: str, fallback: AssessmentOutcome | None) -> AssessmentOutcome | None:
    """The outcome a 不開案 decision recorded in its reason (「評估結果：福利諮詢服務…」)."""
    for outcome in sorted(AssessmentOutcome, key=lambda o: -len(o.label)):
        if reason.startswith(f"評估結果：{outcome.label}"):
            return outcome
    return fallback


def _histories(case_ids) -> dict[int, list]:
    """The transitions of each case among ``case_ids`` that has ever been reopened or sent back, in order."""
    out: dict[int, list] = {}
    ids = sorted(set(case_ids))
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        undone = sa.select(CaseTransition.case_id).where(CaseTransition.case_id.in_(chunk), _undo())
        for row in db.session.execute(
                sa.select(CaseTransition.case_id, CaseTransition.from_status, CaseTransition.to_status,
                          CaseTransition.at, CaseTransition.reason)
                .where(CaseTransition.case_id.in_(undone))
                .order_by(CaseTransition.case_id, CaseTransition.at, CaseTransition.id)):
            out.setdefault(row.case_id, []).append(row)
    return out


def _replay(history, end: datetime, current: AssessmentOutcome | None):
    """(outcome, closed_at) after the transitions recorded before ``end``."""
    outcome = closed = None
    for t in history:
        if t.at >= end:
            break
        if t.to_status == C.OPENING_REVIEW:
            outcome = AssessmentOutcome.CASE_MANAGEMENT
        elif t.to_status == C.NOT_OPENED:
            outcome, closed = _outcome_of(t.reason, current), t.at
        elif t.to_status == C.CLOSED:
            closed = t.at
        elif t.to_status == C.ASSESSING and t.from_status in DECIDED:
            outcome = closed = None
    return outcome, closed


def at_end(rows, end: datetime) -> dict[int, tuple[AssessmentOutcome | None, datetime | None]]:
    """{case id: (outcome, closed_at) as at ``end``} for ``rows`` of (case id, outcome, outcome_at, closed_at):
    None where nothing was recorded before ``end``."""
    rows = list(rows)
    histories = _histories(r[0] for r in rows)
    out = {}
    for case_id, outcome, outcome_at, closed_at in rows:
        if case_id in histories:
            out[case_id] = _replay(histories[case_id], end, outcome)
        else:
            out[case_id] = (outcome if outcome_at is not None and outcome_at < end else None,
                            closed_at if closed_at is not None and closed_at < end else None)
    return out


def reopened_closed_between(county_id: int, start: datetime, end: datetime):
    """Ids of the county's cases closed in [start, end) that were reopened or sent back since (their
    ``closed_at`` no longer says so): to be read with ``at_end`` beside the cases whose ``closed_at`` does."""
    undone = sa.select(CaseTransition.case_id).where(CaseTransition.tenant_id == county_id, _undo())
    return sa.select(CaseTransition.case_id).where(
        CaseTransition.tenant_id == county_id, CaseTransition.to_status.in_((C.CLOSED, C.NOT_OPENED)),
        CaseTransition.at >= start, CaseTransition.at < end, CaseTransition.case_id.in_(undone))


def closed_between(county_id: int, start, end) -> list[tuple]:
    """(opening level, closing level, case id) of the county's cases closed in [start, end) with both levels, as at
    ``end``: a case closed in it and reopened after it still counts; one closed after it does not."""
    rows = db.session.execute(
        sa.select(FamilyCase.id, FamilyCase.outcome, FamilyCase.outcome_at, FamilyCase.closed_at,
                  FamilyCase.opening_level, FamilyCase.closing_level)
        .where(FamilyCase.tenant_id == county_id,
               sa.or_((FamilyCase.closed_at >= start) & (FamilyCase.closed_at < end),
                      FamilyCase.id.in_(reopened_closed_between(county_id, start, end))),
               FamilyCase.opening_level.is_not(None), FamilyCase.closing_level.is_not(None))
    ).all()
    closed = at_end(((r.id, r.outcome, r.outcome_at, r.closed_at) for r in rows), end)
    return [(r.opening_level, r.closing_level, r.id) for r in rows
            if closed[r.id][1] is not None and start <= closed[r.id][1] < end]


def received_by():
    """The unit a case's family was received by: the lead its first report was dispatched to (a change of
    lead later, 改派 or 主責移轉, does not move the family to another unit's figures), for a case no report
    opened (跨縣市轉銜) its lead today. An expression on ``FamilyCase`` and its lead ``CaseUnit``."""
    first = (sa.select(Report.lead_unit_id).where(Report.case_id == FamilyCase.id, Report.lead_unit_id.is_not(None))
             .order_by(Report.received_at, Report.id).limit(1).correlate(FamilyCase).scalar_subquery())
    return sa.func.coalesce(first, CaseUnit.unit_id)

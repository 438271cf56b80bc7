"""The board's nightly snapshot: every county's counts per measure and period, with the moment they
were computed (the board's 「資料時點」).

``flask targets-snapshot`` (cron, nightly, like ``escalate-disputes``) computes the current and the
previous year's periods the board offers from a snapshot (the year, its halves and its quarters) for
every county; a county administrator's 「重新計算」 runs the same for their own county as a job
(:func:`app.core.jobs.enqueue`: RQ with ``REDIS_URL``, inline without). A finished period's counts
are figures as at the period's end, so a row computed after the end is kept; the running period's
rows are replaced each run. The board (:mod:`app.targets.board`) reads the rows and counts at request
time only a period without one (months, years before the previous one).
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g

from ..core import calendar, tenancy
from ..core.jobs import job_context
from ..core.models import utcnow
from ..extensions import db
from ..reports.models import PeriodKind
from ..reports.periods import PER_YEAR, Period
from .models import TargetSnapshot
from .registry import MEASURES, YEARS

ROC_OFFSET = 1911
SNAPSHOT_KINDS = (PeriodKind.YEAR, PeriodKind.HALF, PeriodKind.QUARTER)


def snapshot_periods(today: date) -> list[Period]:
    """The periods a snapshot holds: the previous and the current year's year, halves and quarters that
    have begun (none before the programme's first year, 115)."""
    out = []
    for year in (today.year - 1, today.year):
        if year - ROC_OFFSET < YEARS[0]:
            continue
        for kind in SNAPSHOT_KINDS:
            out += [p for n in range(1, PER_YEAR[kind] + 1) if (p := Period.of(kind, year, n)).has_started(today)]
    return out


def compute_county(county_id: int, periods: list[Period], force: bool = False) -> int:
    """Count the county's measures for ``periods`` into its snapshot rows (inside its tenant scope; the
    caller commits). A finished period's row computed after its end is kept unless ``force``. Answers
    how many rows were (re)computed."""
    now = utcnow()
    existing = {(r.measure_code, r.period_start, r.period_end): r for r in db.session.scalars(
        sa.select(TargetSnapshot).where(TargetSnapshot.tenant_id == county_id,
                                        TargetSnapshot.period_start.in_({p.start for p in periods})))}
    g.targets_cache = {}  # what two measures share is read once per county and period
    done = 0
    try:
        for p in periods:
            for m in MEASURES.values():
                row = existing.get((m.code, p.start, p.end))
                if row is not None and not force and row.computed_at >= p.as_of:
                    continue  # figures as at the end of a finished period: they keep their meaning
                numerator, denominator = m.counts(county_id, p.start, p.end)
                if row is None:
                    row = TargetSnapshot(tenant_id=county_id, measure_code=m.code, period_kind=p.kind.value,
                                         period_start=p.start, period_end=p.end)
                    db.session.add(row)
                row.numerator = numerator
                row.denominator = None if m.external_denominator else denominator
                row.computed_at = now
                done += 1
    finally:
        g.pop("targets_cache", None)
    db.session.flush()
    return done


def run_snapshot(county_ids: list[int], user_id: int | None = None, force: bool = False) -> int:
    """The job: each county in its own tenant scope (and, in a worker or the CLI, its own commit)."""
    today = calendar.today()
    periods = snapshot_periods(today)
    done = 0
    for county_id in county_ids:
        with job_context(county_id, user_id):
            done += compute_county(county_id, periods, force=force)
    return done


def refresh_county(county_id: int, user_id: int) -> int:
    """A county administrator's 「重新計算」: every snapshot period of their county, now."""
    return run_snapshot([county_id], user_id, force=True)


def snapshot_rows(county_ids: list[int], periods: list[Period]) -> dict[tuple[int, str, date, date], TargetSnapshot]:
    """The rows the board reads: (county id, measure code, start, end) -> row (counts only, every county's
    for the national sums)."""
    if not county_ids or not periods:
        return {}
    with tenancy.all_tenants("target board: the counties' snapshot counts (counts only)"):
        rows = db.session.scalars(sa.select(TargetSnapshot).where(
            TargetSnapshot.tenant_id.in_(county_ids),
            TargetSnapshot.period_start.in_({p.start for p in periods}),
            TargetSnapshot.period_end.in_({p.end for p in periods}))).all()
    return {(r.tenant_id, r.measure_code, r.period_start, r.period_end): r for r in rows}

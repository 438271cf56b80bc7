"""Demo reports (development only): 臺北市's four periodic reports for the last
finished quarter and its results of last year's spring-festival campaign,
generated from the demo data and submitted, so the ministry's overview and
national table have something to show."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ..core import calendar
from ..accounts.models import User
from ..core import tenancy
from ..extensions import db
from ..tenants.models import County
from . import services
from .models import PeriodKind, ReportKind, ReportRun
from .forms import campaign_periods
from .periods import recent_periods


def seed_demo_reports() -> int:
    with tenancy.all_tenants("seed: look for demo reports"):
        if db.session.scalars(sa.select(ReportRun.id)).first():
            return 0
    taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
    admin = db.session.scalars(sa.select(User).where(User.username == "tpe.admin")).one()
    today = calendar.today()
    period = next(p for p in recent_periods(PeriodKind.QUARTER, today) if p.is_over(today))
    saved, current_app.config["REDIS_URL"] = current_app.config.get("REDIS_URL"), None  # made here and now
    made = 0
    try:
        with current_app.test_request_context(), tenancy.tenant_scope(taipei.id):
            wanted = [(kind, period) for kind in ReportKind if kind != ReportKind.SPRING]
            last_campaign = next((p for p in campaign_periods() if p.is_over(today)), None)
            if last_campaign is not None:
                wanted.append((ReportKind.SPRING, last_campaign))
            for kind, when in wanted:
                run = services.request(kind, when, admin, taipei.id)
                services.submit(db.session.get(ReportRun, run.id), admin)
                db.session.commit()
                made += 1
    finally:
        current_app.config["REDIS_URL"] = saved
    return made

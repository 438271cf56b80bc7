"""Job functions the job tests enqueue (RQ imports them by dotted path)."""
from __future__ import annotations


def count_counties(tenant_id: int, user_id: int | None = None) -> dict:
    import sqlalchemy as sa

    from app.core import tenancy
    from app.core.jobs import job_context
    from app.extensions import db
    from app.tenants.models import County

    with job_context(tenant_id, user_id):
        return {"tenant": tenancy.current_tenant_id(), "counties": db.session.scalar(sa.select(sa.func.count(County.id)))}


def fail() -> None:
    raise RuntimeError("boom")


def slow_report(run_id: int, county_id: int, user_id: int | None) -> int:
    """The report job, held for two minutes inside the PDF rendering (a worker is killed then)."""
    import time

    from app.reports import services

    real = services.render_pdf

    def slow_render(html):
        time.sleep(120)
        return real(html)

    services.render_pdf = slow_render
    return services.make(run_id, county_id, user_id)

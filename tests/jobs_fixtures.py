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


def _held_in_the_pdf(module, name: str, job, *args) -> int:
    """Run ``job`` with ``module.name`` (its PDF renderer) held for two minutes first (a worker is killed then)."""
    import time

    real = getattr(module, name)

    def slow(html):
        time.sleep(120)
        return real(html)

    setattr(module, name, slow)
    return job(*args)


def slow_report(run_id: int, county_id: int, user_id: int | None) -> int:
    """The report job, held inside the PDF rendering."""
    from app.reports import services

    return _held_in_the_pdf(services, "render_pdf", services.make, run_id, county_id, user_id)


def slow_meeting_document(document_id: int, county_id: int | None, user_id: int | None) -> int:
    """The meeting PDF job, held inside the rendering."""
    from app.meetings import documents

    return _held_in_the_pdf(documents, "pdf_bytes", documents.make, document_id, county_id, user_id)

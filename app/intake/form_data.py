"""Turning submitted forms into the service's input, in one place for the public
and the intake worker."""
from __future__ import annotations

from datetime import datetime, timezone

from ..core.filters import TAIPEI
from .services import PersonInput, ReporterInput, ReportInput


def persons_from(form) -> list[PersonInput]:
    out = []
    for entry in form.persons.entries:
        f = entry.form
        if f.is_blank():
            continue
        out.append(PersonInput(
            name=(f.name.data or "").strip(), sex=f.sex.data, birth_date=f.birth_date.date,
            estimated_age=f.estimated_age.data, id_number=(f.id_number.data or "").strip(),
            relation=f.relation.data, school=(f.school.data or "").strip(), phone=(f.phone.data or "").strip(),
        ))
    return out


def reporter_from(form) -> ReporterInput:
    return ReporterInput(
        reporter_type=form.reporter_type.data, anonymous=bool(form.anonymous.data),
        name=(form.reporter_name.data or "").strip(), phone=(form.reporter_phone.data or "").strip(),
        email=(form.reporter_email.data or "").strip(), profession=form.reporter_profession.data or None,
        organisation=(form.reporter_organisation.data or "").strip(),
    )


def local_to_utc(value: datetime | None) -> datetime | None:
    """A datetime-local input (Taipei wall-clock time) as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=TAIPEI).astimezone(timezone.utc)


def report_input_from(form, **extra) -> ReportInput:
    return ReportInput(
        district_id=form.district_id.data,
        concerns=list(form.concerns.data or []),
        dimensions=list(form.dimensions.data or []),
        narrative=form.narrative.data or "",
        persons=persons_from(form),
        reporter=reporter_from(form),
        address=(form.address.data or "").strip(),
        child_location=(form.child_location.data or "").strip(),
        urgent=bool(form.urgent.data),
        **extra,
    )

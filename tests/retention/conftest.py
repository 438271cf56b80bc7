"""Closed cases of 臺北市 with a chosen closing date (Taipei), made through intake's dispatch."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from app.core.filters import TAIPEI


def taipei_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), TAIPEI)


@dataclass(frozen=True)
class CaseRef:
    """What a test needs of a case outside the county's scope (on PostgreSQL an expired ORM object cannot be
    reloaded there); ``load()`` gives the ORM object inside ``tenant_scope``."""

    id: int
    case_no: str
    family_name: str

    def load(self):
        from app.cases.models import FamilyCase
        from app.extensions import db

        return db.session.get(FamilyCase, self.id)


@pytest.fixture
def taipei(factories):
    return factories.county("臺北市")


@pytest.fixture
def make_closed(db, factories, taipei):
    """``make_closed(closed_on, name="王")``: a dispatched case of 中正社福中心, closed on that Taipei date
    (the closing time at 23:30 Taipei, i.e. 15:30 UTC, so that UTC and Taipei dates differ when it matters)."""
    from app.cases.models import CaseStatus
    from app.core import tenancy
    from app.intake import services as intake
    from app.intake.reference import ReportingChannel

    district = next(d for d in taipei.districts if d.name == "中正區")
    dispatcher = factories.user("tpe.dispatch")
    centre = factories.unit("臺北市中正社會福利服務中心")

    def make(closed_on: date, name: str = "王"):
        with tenancy.tenant_scope(taipei.id):
            data = intake.ReportInput(
                district_id=district.id, concerns=["vulnerable_family"], narrative=f"{name}家保存期限測試",
                persons=[intake.PersonInput(name=f"{name}媽媽", relation="mother", id_number="A123456789",
                                            phone="0912-345-678"),
                         intake.PersonInput(name=f"{name}小弟", relation="child", birth_date=date(2010, 1, 1))],
                reporter=intake.ReporterInput(reporter_type="public", name="通報人甲", phone="02-1234-5678"),
                received_at=taipei_noon(closed_on - timedelta(days=200)))
            report, _ = intake.receive(taipei, data, ReportingChannel("36"))
            intake.claim(report, dispatcher)
            case = intake.dispatch(report, dispatcher, centre)
            case.status = CaseStatus.CLOSED
            case.closed_at = datetime.combine(closed_on, time(23, 30), TAIPEI)
            ref = CaseRef(case.id, case.case_no, case.family_name)
            db.session.commit()
            return ref

    return make

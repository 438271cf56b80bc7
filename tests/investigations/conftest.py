"""臺北市 with a 通報調查處理中心 (a worker and a supervisor), its start date set to 115-07-01."""
from datetime import date, datetime, timezone

import pytest

from app.accounts.models import Role
from app.core import tenancy
from app.intake import services as intake
from app.intake.models import ChildClass, ChildGrade
from app.intake.reference import ReportingChannel
from app.tenants.models import UnitKind

START = date(2026, 7, 1)  # 115-07-01
BEFORE = datetime(2026, 6, 20, 2, 0, tzinfo=timezone.utc)
# 115-06-30 23:30 in Taipei is still before the start date, although it is 115-06-30 15:30 UTC.
EDGE_BEFORE = datetime(2026, 6, 30, 15, 30, tzinfo=timezone.utc)
# 115-07-01 00:30 in Taipei: the start date, although UTC still says 115-06-30.
EDGE_AFTER = datetime(2026, 6, 30, 16, 30, tzinfo=timezone.utc)


@pytest.fixture
def centre(db, factories):
    taipei = factories.county("臺北市")
    taipei.investigation_from = START
    unit = factories.UnitFactory(county=taipei, kind=UnitKind.INVESTIGATION_CENTRE, name="臺北市通報調查處理中心",
                                 short_name="調查中心")
    worker = factories.UserFactory(unit=unit, role=Role.SOCIAL_WORKER, username="tpe.inv1")
    supervisor = factories.UserFactory(unit=unit, role=Role.SUPERVISOR, username="tpe.invsup")
    db.session.commit()
    return {"county": taipei, "unit": unit, "worker": worker, "supervisor": supervisor,
            "worker_m": factories.membership(worker), "supervisor_m": factories.membership(supervisor),
            "dispatcher": factories.user("tpe.dispatch"),
            "dv": factories.county_unit("臺北市", UnitKind.DV_CENTRE),
            "welfare": factories.unit("臺北市中正社會福利服務中心")}


def receive(county, *, concerns=("child_protection",), received_at=None, urgent=False):
    district = next(d for d in county.districts if d.name == "中正區")
    report, _ = intake.receive(county, intake.ReportInput(
        district_id=district.id, concerns=list(concerns), narrative="兒少疑似受虐", urgent=urgent, received_at=received_at,
        persons=[intake.PersonInput("陳小華", "F", date(2016, 5, 5), relation="subject")]), ReportingChannel("36"))
    return report


def to_centre(c, *, received_at=None, grade=ChildGrade.SECOND):
    """A child-protection report received, claimed and dispatched to the centre: its investigation."""
    with tenancy.tenant_scope(c["county"].id):
        report = receive(c["county"], received_at=received_at)
        intake.claim(report, c["dispatcher"])
        intake.dispatch(report, c["dispatcher"], c["unit"], child_grade=grade, child_class=ChildClass.FIRST)
        return report

"""Fixtures shared by the report tests: a fixed data set of 臺北市 in the third quarter of 2026."""
import pytest

from app.core import tenancy
from app.intake import services as intake
from app.intake.models import ChildClass, ChildGrade, InvalidReason
from app.intake.reference import ReportingChannel
from tests.reports.helpers import at


@pytest.fixture
def world(db, factories):
    taipei = factories.county("臺北市")
    district = next(d for d in taipei.districts if d.name == "中正區")
    dispatcher = factories.user("tpe.dispatch")
    centre, dv = factories.unit("臺北市中正社會福利服務中心"), factories.unit("臺北市家庭暴力暨性侵害防治中心")
    made = {}
    with tenancy.tenant_scope(taipei.id):
        def report(name, received, concerns, channel="36"):
            r, _ = intake.receive(taipei, intake.ReportInput(district_id=district.id, concerns=concerns, narrative=name,
                                                             persons=[intake.PersonInput(name=name, relation="subject")],
                                                             received_at=received), ReportingChannel(channel))
            intake.claim(r, dispatcher)
            return r

        r1 = report("甲", at(7, 1), ["vulnerable_family"])
        made["c1"] = intake.dispatch(r1, dispatcher, centre)
        r1.decided_at = at(7, 1, 20)  # 10 hours: within 24 hours and the deadline
        r2 = report("乙", at(7, 2), ["child_protection", "ipv"], "35")
        made["c2"] = intake.dispatch(r2, dispatcher, dv, child_grade=ChildGrade.SECOND, child_class=ChildClass.FIRST)
        r2.decided_at = at(7, 4)  # 48 hours: late (兒少保護 is handled within 24 hours, 兒少法 §53)
        r3 = report("丙", at(7, 3), ["vulnerable_family"])
        intake.screen_out(r3, dispatcher, InvalidReason.OUT_OF_SCOPE, directed_to="1957 福利諮詢專線")
        r3.decided_at = at(7, 3, 12)  # decided in the quarter (figures are as at its end)
        r4 = report("丁", at(7, 4), ["vulnerable_family"])
        intake.refer(r4, dispatcher, "就業服務站")
        r4.decided_at = at(7, 12)  # 8 days: past the deadline
        report("戊", at(8, 1), ["mental_health"])  # still being screened
        report("己", at(10, 1), ["vulnerable_family"])  # outside the quarter
        for name, day in (("庚", 5), ("辛", 6), ("壬", 7)):
            r = report(name, at(7, day), ["vulnerable_family"])
            made[name] = intake.dispatch(r, dispatcher, centre)
            r.decided_at = at(7, day, 12)
        db.session.flush()
    made["taipei"] = taipei
    return made

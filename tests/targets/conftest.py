"""A small, fixed 115年 (2026) of 臺北市 and 花蓮縣 for the board's tests."""
import pytest

from app.cases import catalogue
from app.cases.models import CaseContact
from app.cases.reference import AssessmentOutcome, ContactMethod, Level
from app.core import tenancy
from app.intake import services as intake
from app.intake.models import ChildClass, ChildGrade
from app.intake.reference import ReportingChannel
from app.targets import registry
from app.targets.registry import Measure
from tests.targets.helpers import at

def make_county(db, factories, name, centre_name, dv_name, dispatcher_name, spec):
    """``spec``: per family (kind, received, served_at, outcome, outcome_at, levels, closed_at)."""
    county = factories.county(name)
    district = county.districts[0]
    dispatcher = factories.user(dispatcher_name)
    centre, dv = factories.unit(centre_name), factories.unit(dv_name)
    cases = {}
    with tenancy.tenant_scope(county.id):
        for key, (kind, received, contact, outcome, outcome_at, levels, closed_at) in spec.items():
            concerns = ["child_protection"] if kind == "cp" else ["vulnerable_family"]
            r, _ = intake.receive(county, intake.ReportInput(
                district_id=district.id, concerns=concerns, narrative=key,
                persons=[intake.PersonInput(name=f"{key}家長", relation="subject")], received_at=received),
                ReportingChannel("36"))
            intake.claim(r, dispatcher)
            options = {"child_grade": ChildGrade.SECOND, "child_class": ChildClass.FIRST} if kind == "cp" else {}
            case = intake.dispatch(r, dispatcher, dv if kind == "cp" else centre, **options)
            r.decided_at = received.replace(hour=received.hour + 2)
            case.received_at = received
            case.family_name = f"{key}家"
            if contact is not None:
                contacted, recorded = contact
                db.session.add(CaseContact(tenant_id=county.id, case_id=case.id, contacted_at=contacted,
                                           method=ContactMethod.HOME_VISIT, created_at=recorded))
            if outcome is not None:
                case.outcome, case.outcome_at = AssessmentOutcome(outcome), outcome_at
            if levels is not None:
                case.opening_level, case.closing_level = Level(levels[0]), Level(levels[1])
                case.closed_at = closed_at
            cases[key] = case.id
        db.session.flush()
    return county, cases


# 臺北市: 3 child-protection families (2 served by the end, one of them only in 2027), 4 welfare-centre
# families (2 opened, 1 referred, 1 still assessing at the end: its outcome recorded in 2027), 3 closed (2 improved)
TAIPEI_SPEC = {
    "cp1": ("cp", at(3, 1), (at(3, 2), at(3, 2)), None, None, None, None),
    "cp2": ("cp", at(5, 1), (at(5, 3), at(5, 3)), None, None, None, None),
    "cp3": ("cp", at(6, 1), None, None, None, None, None),
    "vf1": ("vf", at(2, 1), None, "case_management", at(2, 20), ("H", "L"), at(9, 1)),
    "vf2": ("vf", at(2, 2), None, "case_management", at(2, 21), ("M", "M"), at(9, 2)),
    "vf3": ("vf", at(2, 3), None, "refer_network", at(2, 22), ("H", "M"), at(9, 3)),
    "vf4": ("vf", at(4, 1), None, None, None, None, None),
}
HUALIEN_SPEC = {
    "hcp1": ("cp", at(4, 1), (at(4, 2), at(4, 2)), None, None, None, None),
    "hvf1": ("vf", at(4, 2), None, "case_management", at(4, 20), None, None),
}


@pytest.fixture
def world(db, factories):
    taipei, tpe = make_county(db, factories, "臺北市", "臺北市中正社會福利服務中心", "臺北市家庭暴力暨性侵害防治中心",
                              "tpe.dispatch", TAIPEI_SPEC)
    hualien, hua = make_county(db, factories, "花蓮縣", "花蓮縣花蓮社會福利服務中心", "花蓮縣家庭暴力暨性侵害防治中心",
                               "hua.dispatch", HUALIEN_SPEC)
    return {"taipei": taipei.id, "hualien": hualien.id, "tpe": tpe, "hua": hua}


@pytest.fixture
def external_measure():
    """A measure whose denominator the county enters (the real ones come with the new groups' measures)."""
    code = "test_new_parents"
    measure = registry.register(Measure(
        code=code, label="育兒指導涵蓋率（測試）", strategy=catalogue.strategy(1), targets={115: 50.0},
        numerator="接受育兒指導之新手父母", denominator="縣市新手父母數", source="縣市填報",
        counts=lambda county_id, start, end: (3, None), external_denominator=True))
    yield measure
    registry.MEASURES.pop(code, None)

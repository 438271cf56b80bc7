from datetime import date
import sqlalchemy as sa
from app.core import tenancy
from app.household import services as hh
from app.intake import services as intake
from app.intake.reference import ReportingChannel


def test_smoke(taipei_cases, factories, db, as_user):
    t = taipei_cases
    taipei = t["taipei"]
    district = next(d for d in taipei.districts if d.name == "中正區")
    with tenancy.tenant_scope(taipei.id):
        hh.record_external_status(source="mental_health", source_ref="MH-1", status="listed", status_label="精神照護列管",
                                  name="林媽媽", birth_date=date(1990, 1, 1), since=date(2026, 1, 1))
        report, _ = intake.receive(taipei, intake.ReportInput(district_id=district.id, concerns=["vulnerable_family"],
                                   narrative="x", persons=[intake.PersonInput(name="林媽媽", relation="mother", birth_date=date(1990, 1, 1)),
                                                           intake.PersonInput(name="林寶寶", relation="child", birth_date=date(2024, 1, 1))]), ReportingChannel("36"))
        rid = report.id
        cid = t["drug"].id
        db.session.commit()
    page = as_user("tpe.dispatch").get(f"/intake/reports/{rid}")
    open("/tmp/hh_report.html", "w").write(page.text)
    assert page.status_code == 200
    page = as_user("tpe.admin").get(f"/cases/{cid}")
    open("/tmp/hh_case.html", "w").write(page.text)
    assert page.status_code == 200, page.status_code

"""Each factory makes a record the app treats as one of its own: through the owning area's services,
in a county with no demo data, usable by the pages."""
import sqlalchemy as sa

from app.accounts.models import Role
from app.cases.models import CaseStatus
from app.core import tenancy
from app.intake.models import Report, ReportStatus
from app.tenants.models import UnitKind


def test_county_is_reference_data_found_by_name_or_code(factories):
    assert factories.county("臺北市") is factories.county("6300000000")
    clean = factories.county(factories.CLEAN_COUNTY)
    assert clean.districts


def test_unit_of_a_kind_in_a_county(factories):
    county = factories.county(factories.CLEAN_COUNTY)
    unit = factories.UnitFactory(county=county, kind=UnitKind.MENTAL_HEALTH)
    other = factories.UnitFactory(county=county, kind=UnitKind.MENTAL_HEALTH)
    assert unit.id and unit.county_id == county.id and unit.kind == UnitKind.MENTAL_HEALTH and unit.is_active
    assert unit.name != other.name


def test_welfare_centres_take_free_districts(factories):
    county = factories.county(factories.CLEAN_COUNTY)
    first = factories.WelfareCentreFactory(county=county)
    second = factories.WelfareCentreFactory(county=county)
    assert first.kind == UnitKind.WELFARE_CENTRE and len(first.districts) == 1
    assert first.districts[0].county_id == county.id and first.districts != second.districts


def test_partner_branch_of_an_organisation_serving_the_county(factories):
    county = factories.county(factories.CLEAN_COUNTY)
    branch = factories.PartnerBranchFactory(county=county)
    assert branch.kind == UnitKind.PARTNER_BRANCH and branch.county_id == county.id
    assert branch.is_partner_unit and county in branch.partner_org.counties
    taipei = factories.county("臺北市")
    organisation = factories.PartnerOrganisationFactory(counties=[county, taipei])
    second = factories.PartnerBranchFactory(county=taipei, organisation=organisation)
    assert second.partner_org_id == organisation.id and set(organisation.counties) == {county, taipei}


def test_user_with_roles_logs_in_with_the_known_password(factories, as_user):
    centre = factories.WelfareCentreFactory()
    other = factories.WelfareCentreFactory(county=centre.county)
    worker = factories.UserFactory(unit=centre, role=Role.SUPERVISOR, extra_roles=[(other, Role.SOCIAL_WORKER)])
    assert {(m.unit_id, m.role) for m in worker.memberships} == {(centre.id, Role.SUPERVISOR),
                                                                   (other.id, Role.SOCIAL_WORKER)}
    assert factories.membership(worker, other).role == Role.SOCIAL_WORKER
    assert not worker.must_change_password and not worker.has_totp
    assert as_user(worker.username, factories.PASSWORD).get("/").status_code == 200


def test_a_county_administrator_has_the_second_factor_required(factories, as_user):
    bureau = factories.county_unit(factories.CLEAN_COUNTY, UnitKind.SOCIAL_AFFAIRS_BUREAU)
    admin = factories.UserFactory(unit=bureau, role=Role.COUNTY_ADMIN)
    assert admin.must_have_totp and admin.has_totp
    page = as_user(admin.username, factories.PASSWORD).get("/admin/users")
    assert page.status_code == 200 and admin.username in page.get_data(as_text=True)


def test_family_case_is_dispatched_from_a_report_with_its_history(db, factories, as_user):
    from app.cases.models import FamilyCase

    case = factories.FamilyCaseFactory()
    assert isinstance(case, FamilyCase) and case.status == CaseStatus.AWAITING_ASSIGNMENT
    assert case.tenant_id == case.lead_unit.county_id and case.lead_unit.kind == UnitKind.WELFARE_CENTRE
    with tenancy.tenant_scope(case.tenant_id):
        reports = db.session.scalars(sa.select(Report).where(Report.case_id == case.id)).all()
        assert [r.status for r in reports] == [ReportStatus.DISPATCHED]
        assert [t.to_status for t in reports[0].transitions][-1] == ReportStatus.DISPATCHED  # read in the county
        assert {m.name for m in case.members} == {"王小明", "王媽媽"}
    supervisor = factories.UserFactory(unit=case.lead_unit, role=Role.SUPERVISOR)
    case_id, case_no, username = case.id, case.case_no, supervisor.username  # before the commit: on PostgreSQL
    db.session.commit()  # the county's scope ends with its transaction (row-level security)
    page = as_user(username, factories.PASSWORD).get(f"/cases/{case_id}")
    assert page.status_code == 200 and case_no in page.get_data(as_text=True)


def test_family_case_in_a_unit_of_the_demo_data(factories):
    centre = factories.unit("臺北市中正社會福利服務中心")
    district = next(d for d in centre.districts if d.name == "中正區")
    case = factories.FamilyCaseFactory(lead=centre, district=district, dispatcher=factories.user("tpe.dispatch"))
    assert case.lead_unit.id == centre.id and case.tenant_id == centre.county_id

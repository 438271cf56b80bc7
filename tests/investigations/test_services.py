"""The route of a child-protection report, and the centre's investigation from receipt to dispatch."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.cases.models import CaseUnitRole, FamilyCase
from app.core import tenancy
from app.core.models import utcnow
from app.intake import services as intake
from app.intake.models import ChildClass, ChildGrade
from app.investigations import queries, services
from app.investigations.models import Investigation, InvestigationStatus as S
from app.targets import measures_investigation
from app.targets.registry import MEASURES

from .conftest import BEFORE, EDGE_AFTER, EDGE_BEFORE, receive, to_centre


def test_before_the_start_date_the_old_route_stays(db, centre):
    c = centre
    with tenancy.tenant_scope(c["county"].id):
        for when in (BEFORE, EDGE_BEFORE):
            report = receive(c["county"], received_at=when)
            route = intake.investigation_route(report)
            assert route.centre is None and "早於" in route.reason and "115/07/01" in route.reason
            assert intake.proposed_lead_unit(report).id == c["dv"].id
            intake.claim(report, c["dispatcher"])
            with pytest.raises(intake.IntakeError, match="只受理本縣市啟用日起"):
                intake.dispatch(report, c["dispatcher"], c["unit"], child_grade=ChildGrade.SECOND,
                                child_class=ChildClass.FIRST)
            case = intake.dispatch(report, c["dispatcher"], c["dv"], child_grade=ChildGrade.SECOND,
                                   child_class=ChildClass.FIRST)
            assert case.lead_unit.id == c["dv"].id
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Investigation)) == 0


def test_from_the_start_date_child_protection_goes_to_the_centre(db, centre):
    c = centre
    with tenancy.tenant_scope(c["county"].id):
        report = receive(c["county"], received_at=EDGE_AFTER)
        route = intake.investigation_route(report)
        assert route.centre.id == c["unit"].id and "當日或之後" in route.reason
        assert intake.proposed_lead_unit(report).id == c["unit"].id
        intake.claim(report, c["dispatcher"])
        with pytest.raises(intake.IntakeError, match="主責單位請選「臺北市通報調查處理中心」"):
            intake.dispatch(report, c["dispatcher"], c["dv"], child_grade=ChildGrade.SECOND, child_class=ChildClass.FIRST)
        with pytest.raises(intake.IntakeError, match="分級"):
            intake.dispatch(report, c["dispatcher"], c["unit"])
        assert intake.dispatch(report, c["dispatcher"], c["unit"], child_grade=ChildGrade.SECOND,
                               child_class=ChildClass.FIRST) is None
        inv = db.session.scalars(sa.select(Investigation).where(Investigation.report_id == report.id)).one()
        assert inv.status == S.PENDING and report.case_id is None and report.lead_unit_id == c["unit"].id
        assert inv.contact_due_at - inv.received_at == timedelta(days=4)
        assert inv.conclude_due_at - inv.received_at == timedelta(days=30)


def test_other_concerns_and_counties_without_a_centre_keep_their_route(db, centre, factories):
    c = centre
    with tenancy.tenant_scope(c["county"].id):
        report = receive(c["county"], concerns=("vulnerable_family",))
        assert not intake.investigation_route(report).applies
        intake.claim(report, c["dispatcher"])
        with pytest.raises(intake.IntakeError, match="只受理"):
            intake.dispatch(report, c["dispatcher"], c["unit"])
    c["unit"].is_active = False
    db.session.flush()
    with tenancy.tenant_scope(c["county"].id):
        report = receive(c["county"])
        route = intake.investigation_route(report)
        assert route.centre is None and "尚無啟用中" in route.reason


def test_first_grade_runs_on_24_hours(db, centre):
    report = to_centre(centre, grade=ChildGrade.FIRST)
    with tenancy.tenant_scope(centre["county"].id):
        inv = db.session.scalars(sa.select(Investigation).where(Investigation.report_id == report.id)).one()
        assert inv.urgent and inv.contact_due_at - inv.received_at == timedelta(hours=24)


def _investigation(report):
    return db_one(report)


def db_one(report):
    from app.extensions import db
    return db.session.scalars(sa.select(Investigation).where(Investigation.report_id == report.id)).one()


def test_investigate_conclude_and_dispatch_to_a_welfare_centre(db, centre):
    c = centre
    report = to_centre(c)
    with tenancy.tenant_scope(c["county"].id):
        inv = db_one(report)
        with pytest.raises(services.InvestigationError, match="社工或督導"):
            services.start(inv, c["dispatcher"], db_membership(c["dispatcher"]))
        services.start(inv, c["worker"], c["worker_m"], "電話聯繫母親")
        with pytest.raises(services.InvestigationError, match="說明"):
            services.conclude(inv, c["worker"], c["worker_m"], substantiated=True, service_need=True, note=" ")
        services.conclude(inv, c["worker"], c["worker_m"], substantiated=True, service_need=True, note="照顧疏忽成立")
        assert inv in queries.queue()  # concluded with a need: still the centre's
        with pytest.raises(services.InvestigationError, match="有服務需求"):
            services.close(inv, c["supervisor"], c["supervisor_m"], "x")
        with pytest.raises(services.InvestigationError, match="家防中心或社福中心"):
            services.dispatch(inv, c["worker"], c["worker_m"], c["unit"])
        case = services.dispatch(inv, c["worker"], c["worker_m"], c["welfare"], "需家庭支持")
        assert inv.status == S.DISPATCHED and inv.dispatched_case_id == case.id and report.case_id == case.id
        assert [u.unit_id for u in case.units if u.role == CaseUnitRole.LEAD] == [c["welfare"].id]
        assert inv not in queries.queue()
        with pytest.raises(services.InvestigationError):
            services.dispatch(inv, c["worker"], c["worker_m"], c["welfare"])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FamilyCase)
                                 .where(FamilyCase.id == case.id)) == 1
        assert [e.to_status for e in inv.events] == [S.PENDING, S.INVESTIGATING, S.CONCLUDED, S.DISPATCHED]
        assert "需家庭支持" in inv.events[-1].reason
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.record_type == "investigations")) >= 4


def db_membership(user):
    return user.memberships[0]


def test_no_need_ends_only_by_the_supervisor(db, centre):
    c = centre
    report = to_centre(c)
    with tenancy.tenant_scope(c["county"].id):
        inv = db_one(report)
        services.start(inv, c["worker"], c["worker_m"])
        services.conclude(inv, c["worker"], c["worker_m"], substantiated=False, service_need=False, note="不成立")
        with pytest.raises(services.InvestigationError, match="無服務需求"):
            services.dispatch(inv, c["worker"], c["worker_m"], c["welfare"])
        with pytest.raises(services.InvestigationError, match="督導"):
            services.close(inv, c["worker"], c["worker_m"], "無需服務")
        services.close(inv, c["supervisor"], c["supervisor_m"], "家長已自行安排照顧")
        assert inv.status == S.CLOSED


def test_another_countys_centre_staff_cannot_act(db, centre, factories):
    from app.accounts.models import Role
    from app.tenants.models import UnitKind
    c = centre
    report = to_centre(c)
    other = factories.UnitFactory(kind=UnitKind.INVESTIGATION_CENTRE)
    stranger = factories.UserFactory(unit=other, role=Role.SUPERVISOR)
    with tenancy.tenant_scope(c["county"].id):
        inv = db_one(report)
        with pytest.raises(services.InvestigationError):
            services.start(inv, stranger, factories.membership(stranger))


def test_the_measure_counts_as_at_the_end_of_the_period(db, centre, monkeypatch):
    c = centre
    measure = MEASURES["investigation_dispatch"]
    assert measure.target(116) == 95.0 and measure.target(115) is None
    with tenancy.tenant_scope(c["county"].id):
        invs = [db_one(to_centre(c)) for _ in range(3)]
        for inv in invs:
            services.start(inv, c["worker"], c["worker_m"])
            services.conclude(inv, c["worker"], c["worker_m"], substantiated=True, service_need=(inv is not invs[2]),
                              note="結果")
        services.dispatch(invs[0], c["worker"], c["worker_m"], c["dv"])
        today = (utcnow() + timedelta(hours=8)).date()
        assert measure.counts(c["county"].id, today.replace(day=1), today) == (1, 2)
        # a dispatch recorded after the period's end does not change the period's figure
        invs[1].dispatched_at = None
        services.dispatch(invs[1], c["worker"], c["worker_m"], c["welfare"])
        invs[1].dispatched_at = utcnow() + timedelta(days=40)
        db.session.flush()
        assert measure.counts(c["county"].id, today.replace(day=1), today) == (1, 2)
        monkeypatch.setattr(measures_investigation, "url_for", lambda *a, **k: f"/investigations/{k['investigation_id']}")
        # the family is listed for whoever sees the board; the link only for those who open investigations
        assert [g.url for g in measure.gap(c["county"].id, today.replace(day=1), today)] == [""]
        monkeypatch.setattr(measures_investigation, "can_open", lambda endpoint: True)
        gap = measure.gap(c["county"].id, today.replace(day=1), today)
        assert [g.url for g in gap] == [f"/investigations/{invs[1].id}"]

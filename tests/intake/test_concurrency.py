"""Two dispatchers, one report, two real PostgreSQL connections: exactly one wins,
the other gets a clear message, nothing is lost."""
import os
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.core import tenancy
from app.extensions import db as _db
from app.intake import services
from app.intake.models import Report, ReportStatus
from app.intake.reference import ReportingChannel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL); .ci/run provides it"),
]


@pytest.fixture
def committed_report(app):
    """A report really committed, so two connections can race for it; removed afterwards."""
    from app.accounts.models import User
    from app.tenants.models import County

    with app.app_context():
        taipei = _db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
        with tenancy.tenant_scope(taipei.id):
            district = taipei.districts[0]
            report, _ = services.receive(taipei, services.ReportInput(
                district_id=district.id, concerns=["vulnerable_family"], narrative="競爭測試",
                persons=[services.PersonInput(name="競爭")]), ReportingChannel("36"))
            _db.session.commit()
            ids = {"report": report.id, "tenant": taipei.id,
                   "users": [_db.session.scalars(sa.select(User.id).where(User.username == u)).one()
                             for u in ("tpe.dispatch", "tpe.dsup")]}
        yield ids
        _db.session.rollback()
        with tenancy.tenant_scope(taipei.id):
            leftover = _db.session.get(Report, ids["report"])
            if leftover is not None:
                if leftover.case_id:
                    case = leftover.case
                    leftover.case_id = None
                    _db.session.flush()
                    _db.session.delete(case)
                _db.session.delete(leftover)
            _db.session.commit()
        _db.session.remove()


def _session(app, tenant_id):
    session = Session(bind=_db.engine)
    session.info[tenancy.TENANT_KEY] = tenant_id
    return session


def test_two_dispatchers_claim_one_report(app, committed_report):
    results = {}
    barrier = threading.Barrier(2)

    def worker(index):
        with app.app_context():
            session = _session(app, committed_report["tenant"])
            try:
                from app.accounts.models import User

                report = session.get(Report, committed_report["report"])
                user = session.get(User, committed_report["users"][index])
                barrier.wait()
                report.status = ReportStatus.SCREENING  # what claim() does, on this connection
                report.claimed_by_id = user.id
                session.flush()
                time.sleep(0.3)  # hold the row lock while the other one waits
                session.commit()
                results[index] = "won"
            except StaleDataError:
                session.rollback()
                results[index] = "stale"
            finally:
                session.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results.values()) == ["stale", "won"]
    with app.app_context():
        with tenancy.tenant_scope(committed_report["tenant"]):
            report = _db.session.get(Report, committed_report["report"])
            winner = committed_report["users"][next(i for i, r in results.items() if r == "won")]
            assert report.status == ReportStatus.SCREENING and report.claimed_by_id == winner and report.version == 2
        _db.session.remove()


def test_the_loser_of_a_claim_is_told_who_has_it(as_user, db, factories):
    """Over HTTP (one connection per test here): the second claim names the first claimer."""
    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        report, _ = services.receive(taipei, services.ReportInput(
            district_id=taipei.districts[0].id, concerns=["vulnerable_family"], narrative="x",
            persons=[services.PersonInput(name="甲")]), ReportingChannel("36"))
        report_id = report.id
        db.session.commit()
    assert as_user("tpe.dispatch").post(f"/intake/reports/{report_id}/claim").status_code == 303
    second = as_user("tpe.dsup").post(f"/intake/reports/{report_id}/claim")
    assert second.status_code == 422 and "陳怡君" in second.get_data(as_text=True)

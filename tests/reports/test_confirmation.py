"""Submitting a report is irreversible: the first POST only shows what will be frozen, the second
(confirm=1) sends it; a period still running also needs the sender's explicit acknowledgement."""
import re
from datetime import date

from app.core.filters import to_taipei
from app.core.models import utcnow
from app.reports.forms import period_token
from app.reports.models import PeriodKind, ReportRun
from app.reports.periods import Period

Q3 = Period.of(PeriodKind.QUARTER, 2026, 3)


def _running_quarter() -> Period:
    today: date = to_taipei(utcnow()).date()
    return Period.of(PeriodKind.QUARTER, today.year, (today.month - 1) // 3 + 1)


def _run(admin, period) -> int:
    response = admin.post("/reports", {"rq-kind": "visits", "rq-period": period_token(period)})
    assert response.status_code == 303, response.text
    return int(re.search(r"/reports/(\d+)", response.headers["Location"]).group(1))


def _submitted(db, run_id) -> bool:
    db.session.expire_all()
    from app.core import tenancy

    with tenancy.all_tenants("test: was the run submitted"):
        return db.session.get(ReportRun, run_id).submitted_at is not None


def test_a_post_without_confirmation_shows_what_will_be_frozen_and_sends_nothing(as_user, db, inline_jobs):
    admin = as_user("tpe.admin")
    run_id = _run(admin, Q3)
    panel = admin.post(f"/reports/{run_id}/submit", {})
    assert panel.status_code == 200
    assert 'id="confirm-panel"' in panel.text and "確認送出" in panel.text and 'name="confirm" value="1"' in panel.text
    assert "統計數字" in panel.text and "SHA-256" in panel.text and "不能撤回" in panel.text
    assert "期間仍在進行中" not in panel.text and 'name="acknowledge"' not in panel.text  # Q3 is over
    assert not _submitted(db, run_id)
    assert admin.post(f"/reports/{run_id}/submit", {"confirm": "1"}).status_code == 303
    assert _submitted(db, run_id)
    again = admin.post(f"/reports/{run_id}/submit", {"confirm": "1"})  # a second click: nothing twice
    assert again.status_code == 422 and "此版本已送出" in again.text


def test_a_running_period_warns_and_needs_an_explicit_acknowledgement(as_user, db, inline_jobs):
    admin = as_user("tpe.admin")
    period = _running_quarter()
    run_id = _run(admin, period)
    panel = admin.post(f"/reports/{run_id}/submit", {})
    assert panel.status_code == 200 and "尚未結束" in panel.text and "期間仍在進行中" in panel.text
    assert 'name="acknowledge"' in panel.text and 'aria-required="true"' in panel.text
    refused = admin.post(f"/reports/{run_id}/submit", {"confirm": "1"})  # the JS dialog alone is not enough
    assert refused.status_code == 422 and "請勾選確認" in refused.text and 'id="confirm-panel"' in refused.text
    assert not _submitted(db, run_id)
    assert admin.post(f"/reports/{run_id}/submit", {"confirm": "1", "acknowledge": "1"}).status_code == 303
    assert _submitted(db, run_id)


def test_the_service_refuses_a_running_period_without_acknowledgement(as_user, db, inline_jobs, factories):
    import pytest

    from app.core import tenancy
    from app.reports import services

    admin = as_user("tpe.admin")
    run_id = _run(admin, _running_quarter())
    user = factories.user("tpe.admin")
    with tenancy.all_tenants("test"):
        run = db.session.get(ReportRun, run_id)
        with pytest.raises(services.ReportError, match="尚未結束"):
            services.submit(run, user)
        assert run.submitted_at is None
        db.session.rollback()

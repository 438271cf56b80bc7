"""Step 10, defect 10: a visit dated before the report was received is refused (with the message
beside 訪視時間 and the input kept) and never counts as the case's first visit."""
from datetime import timedelta

import sqlalchemy as sa

from app.cases.models import CaseContact, ContactMethod, FamilyCase
from app.core import tenancy
from app.core.filters import roc_date, roc_datetime, to_taipei
from app.core.models import utcnow


def _unvisited(db, county):
    with tenancy.tenant_scope(county.id):
        case = db.session.scalars(sa.select(FamilyCase).where(FamilyCase.family_name == "郭○○家")).first()
        assert case.first_visit_at is None
        return case.id, case.received_at


def today_taipei():
    return to_taipei(utcnow()).date()


def _local(at):
    return to_taipei(at).strftime("%Y-%m-%dT%H:%M")


def test_a_visit_before_the_report_was_received_is_refused_and_is_not_the_first_visit(as_user, demo, db):  # noqa: F811
    case_id, received = _unvisited(db, demo)
    worker = as_user("tpe.sw1")
    form = {"c-method": ContactMethod.HOME_VISIT.value, "c-duration_minutes": "30", "c-note": "到宅看見孩子與阿嬤"}
    early = worker.post(f"/cases/{case_id}/contacts", {**form, "c-contacted_at": _local(received - timedelta(hours=3))})
    assert early.status_code == 422
    body = early.get_data(as_text=True)
    assert "早於本案受理通報的時間" in body and roc_datetime(received) in body
    assert 'id="c-contacted_at-error"' in body  # beside the field
    assert "到宅看見孩子與阿嬤" in body and _local(received - timedelta(hours=3)) in body  # kept
    with tenancy.tenant_scope(demo.id):
        assert db.session.get(FamilyCase, case_id).first_visit_at is None
        assert db.session.scalar(sa.select(sa.func.count(CaseContact.id)).where(CaseContact.case_id == case_id)) == 0
    fixed = worker.post(f"/cases/{case_id}/contacts", {**form, "c-contacted_at": _local(received + timedelta(hours=3))})
    assert fixed.status_code == 303
    with tenancy.tenant_scope(demo.id):
        db.session.expire_all()
        first = db.session.get(FamilyCase, case_id).first_visit_at
        assert first is not None and first >= received.replace(second=0, microsecond=0)


def test_a_service_amount_takes_thousands_separators_and_full_width_digits(as_user, demo, db):  # noqa: F811
    from app.cases.models import CaseService

    case_id, _ = _unvisited(db, demo)
    worker = as_user("tpe.sw1")
    form = {"sv-item": "s1_emergency", "sv-status": "delivered", "sv-on": roc_date(today_taipei(), "short"),
            "sv-note": "急難紓困"}
    for typed in ("3,000", "３，０００", "NT$3,000 元"):
        assert worker.post(f"/cases/{case_id}/services", {**form, "sv-amount": typed}).status_code == 303, typed
    refused = worker.post(f"/cases/{case_id}/services", {**form, "sv-amount": "3.000,5", "sv-note": "留著的說明"})
    assert refused.status_code == 422 and "例如 3000 或 3,000" in refused.text and "留著的說明" in refused.text
    no_item = worker.post(f"/cases/{case_id}/services", {**form, "sv-item": "", "sv-amount": "3000"})
    assert no_item.status_code == 422 and "請選擇「服務項目」" in no_item.text
    with tenancy.tenant_scope(demo.id):
        amounts = db.session.scalars(sa.select(CaseService.amount).where(CaseService.case_id == case_id,
                                                                         CaseService.note == "急難紓困")).all()
    assert amounts == [3000, 3000, 3000]


def test_a_service_or_plan_dated_before_the_report_is_refused_beside_its_date(as_user, demo, db):  # noqa: F811
    from app.cases.models import CaseService

    case_id, received = _unvisited(db, demo)
    before = roc_date(to_taipei(received).date() - timedelta(days=2), "short")
    worker = as_user("tpe.sw1")
    service = {"sv-item": "s1_emergency", "sv-status": "delivered", "sv-on": before, "sv-amount": "3000",
               "sv-note": "早於通報的服務"}
    refused = worker.post(f"/cases/{case_id}/services", service)
    assert refused.status_code == 422
    assert "服務日期" in refused.text and "早於本案受理通報的日期" in refused.text
    assert 'id="sv-on-error"' in refused.text and "早於通報的服務" in refused.text  # beside the field, kept
    with tenancy.tenant_scope(demo.id):
        assert db.session.scalar(sa.select(sa.func.count(CaseService.id)).where(
            CaseService.case_id == case_id, CaseService.note == "早於通報的服務")) == 0

"""The retention rule and the decisions, without HTTP."""
from __future__ import annotations

from datetime import date

import pytest

from app.core import tenancy
from app.retention import services
from app.retention.models import RetentionChoice, RetentionDecision


def _listed(taipei, today):
    with tenancy.tenant_scope(taipei.id):
        return [r.case.id for r in services.due_for_review(taipei, today)]


def test_add_years_leap_day_ends_on_the_last_day_of_february():
    assert services.add_years(date(2020, 2, 29), 7) == date(2027, 2, 28)
    assert services.add_years(date(2020, 2, 29), 4) == date(2024, 2, 29)
    assert services.add_years(date(2019, 3, 1), 7) == date(2026, 3, 1)


def test_due_exactly_on_the_anniversary_of_closing(make_closed, taipei):
    case = make_closed(date(2019, 12, 2))  # closed 23:30 Taipei: 15:30 UTC the same day
    assert case.id not in _listed(taipei, date(2026, 12, 1))
    assert case.id in _listed(taipei, date(2026, 12, 2))
    assert case.id in _listed(taipei, date(2026, 12, 3))


def test_closing_date_is_the_taipei_date(make_closed, taipei, db):
    """Closed at 07:30 Taipei on 1 Jan is 23:30 UTC on 31 Dec: the county's closing date is 1 Jan."""
    from datetime import datetime, time, timezone

    from app.core.filters import TAIPEI

    ref = make_closed(date(2019, 1, 1))
    with tenancy.tenant_scope(taipei.id):
        case = ref.load()
        case.closed_at = datetime.combine(date(2019, 1, 1), time(7, 30), TAIPEI)
        assert services.closed_on(case) == date(2019, 1, 1)
        assert case.closed_at.astimezone(TAIPEI).date() != case.closed_at.astimezone(timezone.utc).date()
        db.session.commit()
    assert ref.id not in _listed(taipei, date(2025, 12, 31))
    assert ref.id in _listed(taipei, date(2026, 1, 1))


def test_leap_day_closing(make_closed, taipei):
    case = make_closed(date(2020, 2, 29))
    assert case.id not in _listed(taipei, date(2027, 2, 27))
    assert case.id in _listed(taipei, date(2027, 2, 28))
    with tenancy.tenant_scope(taipei.id):
        row = next(r for r in services.due_for_review(taipei, date(2028, 3, 1)) if r.case.id == case.id)
    assert row.due_on == date(2027, 2, 28) and row.years_past_due == 1 and row.closed_on_roc == "109/02/29"


def test_open_and_recent_cases_are_not_listed(make_closed, taipei, db):
    from app.cases.models import CaseStatus

    recent = make_closed(date(2024, 5, 1))
    reopened = make_closed(date(2015, 5, 1))
    with tenancy.tenant_scope(taipei.id):
        reopened.load().status = CaseStatus.ASSESSING
        db.session.commit()
    listed = _listed(taipei, date(2026, 12, 2))
    assert recent.id not in listed and reopened.id not in listed


def test_retention_years_change_moves_the_boundary(make_closed, taipei, db):
    case = make_closed(date(2021, 6, 1))
    assert case.id not in _listed(taipei, date(2026, 12, 2))
    taipei.retention_years = 5
    db.session.flush()
    assert case.id in _listed(taipei, date(2026, 12, 2))
    taipei.retention_years = 10
    db.session.flush()
    assert case.id not in _listed(taipei, date(2030, 12, 2))
    assert case.id in _listed(taipei, date(2031, 6, 1))


def test_decided_cases_leave_the_list_and_retain_until_brings_them_back(make_closed, taipei, factories, db):
    keep, dispose = make_closed(date(2018, 1, 10), "甲"), make_closed(date(2018, 1, 11), "乙")
    admin = factories.user("tpe.admin")
    today = date(2026, 12, 2)
    with tenancy.tenant_scope(taipei.id):
        services.decide(taipei, [keep.id], admin, choice=RetentionChoice.RETAIN_UNTIL, reason="仍有手足案在服務",
                        retain_until=date(2027, 6, 30), today=today)
        services.decide(taipei, [dispose.id], admin, choice=RetentionChoice.DISPOSE, reason="已逾期且無後續",
                        retain_until=None, today=today)
        db.session.commit()
        pending = services.awaiting_disposal(taipei, today)
    listed = _listed(taipei, today)
    assert keep.id not in listed and dispose.id not in listed
    assert [r.case.id for r in pending] == [dispose.id]
    assert keep.id not in _listed(taipei, date(2027, 6, 30))  # retained through that day
    assert keep.id in _listed(taipei, date(2027, 7, 1))


def test_decision_is_audited_with_who_and_why(make_closed, taipei, factories, db):
    import sqlalchemy as sa

    from app.audit.models import AuditAction, AuditEvent

    case = make_closed(date(2018, 3, 3))
    admin = factories.user("tpe.admin")
    with tenancy.tenant_scope(taipei.id):
        [decision] = services.decide(taipei, [case.id], admin, choice=RetentionChoice.DISPOSE, reason="逾期",
                                     retain_until=None, today=date(2026, 12, 2))
        entry = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "retention_decisions",
                                                               AuditEvent.record_id == str(decision.id))).one()
    assert entry.action == AuditAction.CREATE
    assert entry.changes["decision"] == [None, "dispose"] and entry.changes["reason"] == [None, "逾期"]
    assert entry.changes["decided_by_id"] == [None, admin.id] and entry.changes["retention_years"] == [None, 7]


@pytest.mark.parametrize("kwargs, message", [
    ({"choice": RetentionChoice.DISPOSE, "reason": "  ", "retain_until": None}, "理由"),
    ({"choice": RetentionChoice.RETAIN_UNTIL, "reason": "x", "retain_until": None}, "保存至"),
    ({"choice": RetentionChoice.RETAIN_UNTIL, "reason": "x", "retain_until": date(2026, 12, 2)}, "需晚於今天"),
])
def test_decision_needs_reason_and_later_date(make_closed, taipei, factories, db, kwargs, message):
    case = make_closed(date(2018, 3, 3))
    with tenancy.tenant_scope(taipei.id), pytest.raises(services.RetentionError, match=message):
        services.decide(taipei, [case.id], factories.user("tpe.admin"), today=date(2026, 12, 2), **kwargs)
    assert db.session.query(RetentionDecision).count() == 0


def test_a_case_not_on_the_list_cannot_be_decided(make_closed, taipei, factories, db):
    recent = make_closed(date(2024, 3, 3))
    with tenancy.tenant_scope(taipei.id), pytest.raises(services.RetentionError, match="不在審查清單"):
        services.decide(taipei, [recent.id], factories.user("tpe.admin"), choice=RetentionChoice.DISPOSE,
                        reason="x", retain_until=None, today=date(2026, 12, 2))


def _link_everything(case, factories, db, taipei):
    """An open referral, an open action item, a collaborating unit, a later re-report, a pending dispute."""
    from app.cases.models import CaseStatus, CaseUnit, CaseUnitRole, FamilyCase
    from app.meetings import services as meetings
    from app.meetings.models import SeriesKind
    from app.referrals import disputes, services as referrals
    from app.referrals.models import DisputeOutcome, ReferralKind

    sw1 = factories.user("tpe.sw1")
    membership = sw1.memberships[0]
    dv = factories.unit("臺北市家庭暴力暨性侵害防治中心")
    case.status = CaseStatus.OPEN  # referrals and disputes are made on an open case
    referrals.send(case, sw1, membership, kind=ReferralKind.UNIT, reason="轉介", services_requested="",
                   sections=["members"], to_unit=dv)
    disputes.file(case, sw1, membership, reason="爭議", proposed=DisputeOutcome.JOINT, proposed_unit=dv)
    admin = factories.user("tpe.admin")
    series = meetings.create_series(SeriesKind.HIGH_RISK, "保存期限測試高危機會議", admin.memberships[0], dv.id)
    meeting = meetings.new_meeting(series, date(2026, 11, 30))
    meetings.add_item(meeting, section=4, title="追蹤王家", instruction="追蹤", lead_unit_ids=[membership.unit_id],
                      case_id=case.id)
    case.units.append(CaseUnit(unit_id=factories.unit("臺北市萬華社會福利服務中心").id, role=CaseUnitRole.COLLABORATOR))
    later = FamilyCase(tenant_id=taipei.id, case_no="RET-LATER-1", family_name="王家", re_report_of_id=case.id)
    db.session.add(later)
    case.status = CaseStatus.CLOSED
    db.session.commit()


def test_cases_with_open_links_are_listed_but_not_disposable(make_closed, taipei, factories, db):
    case = make_closed(date(2018, 4, 4))
    with tenancy.tenant_scope(taipei.id):
        _link_everything(case.load(), factories, db, taipei)
        row = next(r for r in services.due_for_review(taipei, date(2026, 12, 2)) if r.case.id == case.id)
        assert not row.disposable
        text = "；".join(row.blockers)
        for expected in ("轉介", "尚未結束", "會議列管事項「追蹤王家」仍在列管", "共案", "再通報案件 RET-LATER-1", "爭議"):
            assert expected in text, (expected, text)
        with pytest.raises(services.RetentionError, match="不可銷毀"):
            services.decide(taipei, [case.id], factories.user("tpe.admin"), choice=RetentionChoice.DISPOSE,
                            reason="逾期", retain_until=None, today=date(2026, 12, 2))
        # retaining it is always possible
        services.decide(taipei, [case.id], factories.user("tpe.admin"), choice=RetentionChoice.RETAIN_UNTIL,
                        reason="仍有關聯", retain_until=date(2028, 1, 1), today=date(2026, 12, 2))


def test_another_countys_cases_are_not_listed(make_closed, taipei, factories):
    case = make_closed(date(2015, 1, 1))
    hualien = factories.county("花蓮縣")
    with tenancy.tenant_scope(hualien.id):
        assert case.id not in [r.case.id for r in services.due_for_review(hualien, date(2026, 12, 2))]
        assert case.id not in [r.case.id for r in services.due_for_review(taipei, date(2026, 12, 2))]

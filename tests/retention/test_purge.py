"""Disposal: only cases with a dispose decision, everything of the family removed in order (its documents too), each audited
with its decision, all in one transaction that rolls back whole when a row cannot go."""
from __future__ import annotations

import ast
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.audit.models import AuditAction, AuditEvent
from app.cases import documents
from app.cases.demo import demo_pdf, demo_png
from app.cases.documents import CaseDocument, CaseDocumentBlob
from app.cases.models import (CaseContact, CaseEvent, CaseMember, CaseNote, CaseSearchGram, CaseStatus, FamilyCase,
                              PlanReview, ServicePlan)
from app.cases.reference import ContactMethod
from app.core import tenancy
from app.intake.models import Report, ReportPerson, ReportReporter, ReportTransition
from app.meetings.models import ActionItem
from app.referrals.models import Dispute, DisputeStatus, Referral, ReferralEvent
from app.retention import services
from app.retention.models import RetentionChoice, RetentionDecision

TODAY = date(2026, 12, 2)


def _decide(taipei, factories, case, choice=RetentionChoice.DISPOSE, retain_until=None):
    from app.extensions import db

    with tenancy.tenant_scope(taipei.id):
        [decision] = services.decide(taipei, [case.id], factories.user("tpe.admin"), choice=choice, reason="逾期無後續",
                                     retain_until=retain_until, today=TODAY)
        db.session.commit()
        return decision.id


def _furnish(case, taipei, factories, db):
    """A case file as it grows: contacts, notes, a plan with a review, a closed referral with its history, a
    withdrawn dispute, a closed action item of a meeting, and a later duplicate report pointing at its report."""
    from app.intake import services as intake
    from app.intake.reference import ReportingChannel
    from app.meetings import services as meetings
    from app.meetings.models import SeriesKind
    from app.referrals import disputes, services as referrals
    from app.referrals.models import DisputeOutcome, ReferralKind

    sw1 = factories.user("tpe.sw1")
    m = sw1.memberships[0]
    dv = factories.unit("臺北市家庭暴力暨性侵害防治中心")
    now = datetime(2019, 1, 1, tzinfo=timezone.utc)
    case.status = CaseStatus.OPEN
    db.session.add_all([
        CaseContact(tenant_id=taipei.id, case_id=case.id, contacted_at=now, method=ContactMethod.HOME_VISIT, note="家訪王媽媽"),
        CaseNote(tenant_id=taipei.id, case_id=case.id, text="王家工作紀錄"),
    ])
    plan = ServicePlan(tenant_id=taipei.id, case_id=case.id, goals="穩定", agreed_by="王媽媽", agreed_on=date(2018, 1, 1),
                       review_due=date(2018, 6, 1))
    db.session.add(plan)
    db.session.flush()
    db.session.add(PlanReview(tenant_id=taipei.id, plan_id=plan.id, reviewed_on=date(2018, 6, 1), note="檢討"))
    referral = referrals.send(case, sw1, m, kind=ReferralKind.UNIT, reason="轉介家防", services_requested="",
                              sections=["members"], to_unit=dv)
    referrals.withdraw(referral, sw1, m, "家庭已穩定")
    dispute = disputes.file(case, sw1, m, reason="爭議", proposed=DisputeOutcome.JOINT, proposed_unit=dv)
    dispute.status = DisputeStatus.WITHDRAWN
    admin = factories.user("tpe.admin")
    series = meetings.create_series(SeriesKind.HIGH_RISK, "銷毀測試高危機會議", admin.memberships[0], dv.id)
    meeting = meetings.new_meeting(series, date(2019, 3, 1))
    item = meetings.add_item(meeting, section=4, title="王家追蹤", instruction="追蹤", lead_unit_ids=[m.unit_id],
                             case_id=case.id)
    item.closed_at_id = meeting.id
    district = next(d for d in taipei.districts if d.name == "中正區")
    duplicate, _ = intake.receive(taipei, intake.ReportInput(district_id=district.id, concerns=["vulnerable_family"],
                                                             narrative="重複通報"), ReportingChannel("36"))
    duplicate.duplicate_of_id = case_report(case).id
    case.status = CaseStatus.CLOSED
    db.session.commit()
    return {"referral": referral.id, "dispute": dispute.id, "item": item.id, "duplicate": duplicate.id, "plan": plan.id}


def case_report(case):
    from app.extensions import db

    return db.session.scalars(sa.select(Report).where(Report.case_id == case.id)).one()


def _count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _purge(app, *args):
    return app.test_cli_runner().invoke(args=["retention-purge", *args])


def test_purge_removes_the_family_file_in_order_and_audits_each_case(app, db, make_closed, taipei, factories):
    case = make_closed(date(2018, 5, 5))
    with tenancy.tenant_scope(taipei.id):
        ids = _furnish(case.load(), taipei, factories, db)
        report_id = case_report(case).id
        assert _count(db, CaseMember, CaseMember.case_id == case.id) == 2
        assert _count(db, CaseSearchGram, CaseSearchGram.case_id == case.id) > 0
    decision_id = _decide(taipei, factories, case)
    case_id, case_no = case.id, case.case_no

    result = _purge(app, "--county", "臺北市", "--by", "tpe.admin")
    assert result.exit_code == 0, result.output
    assert f"已銷毀 {case_no}（依決定 #{decision_id}）" in result.output and "銷毀 1 件，未銷毀 0 件" in result.output

    db.session.expire_all()
    with tenancy.tenant_scope(taipei.id):
        assert db.session.get(FamilyCase, case_id) is None
        for model in (CaseMember, CaseContact, CaseNote, CaseEvent, ServicePlan, CaseSearchGram):
            assert _count(db, model, model.case_id == case_id) == 0, model
        assert _count(db, PlanReview, PlanReview.plan_id == ids["plan"]) == 0
        assert db.session.get(Report, report_id) is None
        for model in (ReportPerson, ReportReporter, ReportTransition):
            assert _count(db, model, model.report_id == report_id) == 0, model
        assert db.session.get(Referral, ids["referral"]) is None
        assert _count(db, ReferralEvent, ReferralEvent.referral_id == ids["referral"]) == 0
        assert db.session.get(Dispute, ids["dispute"]) is None
        # what stays: the meeting's item (unlinked), the other report (unlinked), the decision, the audit entry
        assert db.session.get(ActionItem, ids["item"]).case_id is None
        assert db.session.get(Report, ids["duplicate"]).duplicate_of_id is None
        kept = db.session.get(RetentionDecision, decision_id)
        assert kept.case_id is None and kept.case_no == case_no and kept.disposed_at is not None
        entry = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "family_cases",
                                                               AuditEvent.record_id == str(case_id),
                                                               AuditEvent.action == AuditAction.DELETE)).one()
    assert entry.changes["decision_id"] == decision_id and entry.changes["case_no"] == case_no
    assert entry.changes["rows"]["case_members"] == 2 and entry.changes["rows"]["reports"] == 1
    assert entry.actor_username == "tpe.admin" and entry.tenant_id == taipei.id
    assert "王" not in entry.summary and "王" not in str(entry.changes)  # no personal data in the log entry


def test_purge_refuses_cases_without_a_dispose_decision(app, db, make_closed, taipei, factories):
    undecided = make_closed(date(2017, 1, 1), "甲")
    retained = make_closed(date(2017, 1, 2), "乙")
    _decide(taipei, factories, retained, RetentionChoice.RETAIN_UNTIL, date(2027, 1, 1))
    db.session.commit()
    result = _purge(app, "--county", "6300000000", "--by", "sysadmin")
    assert result.exit_code == 0, result.output
    assert "銷毀 0 件，未銷毀 0 件" in result.output
    db.session.expire_all()
    with tenancy.tenant_scope(taipei.id):
        assert db.session.get(FamilyCase, undecided.id) is not None
        assert db.session.get(FamilyCase, retained.id) is not None
        # and the function that deletes says no by itself
        for decision in (None, db.session.scalars(sa.select(RetentionDecision)
                                                  .where(RetentionDecision.case_id == retained.id)).one()):
            with pytest.raises(services.RetentionError, match="沒有銷毀決定"):
                services.dispose_case((undecided if decision is None else retained).load(), decision, taipei, TODAY)
        assert db.session.get(FamilyCase, retained.id) is not None


def test_a_newer_decision_replaces_dispose(app, db, make_closed, taipei, factories):
    case = make_closed(date(2017, 1, 1))
    dispose = _decide(taipei, factories, case)
    with tenancy.tenant_scope(taipei.id):
        db.session.add(RetentionDecision(tenant_id=taipei.id, case_id=case.id, case_no=case.case_no,
                                         decision=RetentionChoice.RETAIN_UNTIL, retain_until=date(2030, 1, 1),
                                         reason="改為延長", closed_on=date(2017, 1, 1), retention_years=7,
                                         decided_by_id=factories.user("tpe.admin").id))
        db.session.commit()
        with pytest.raises(services.RetentionError, match="沒有銷毀決定"):
            services.dispose_case(case.load(), db.session.get(RetentionDecision, dispose), taipei, TODAY)
    assert "銷毀 0 件" in _purge(app, "--county", "臺北市", "--by", "tpe.admin").output


def test_purge_skips_a_decided_case_that_was_reopened_or_is_not_due_any_more(app, db, make_closed, taipei,
                                                                            factories):
    reopened = make_closed(date(2017, 1, 1), "甲")
    longer = make_closed(date(2018, 1, 1), "乙")
    _decide(taipei, factories, reopened)
    _decide(taipei, factories, longer)
    with tenancy.tenant_scope(taipei.id):
        reopened.load().status = CaseStatus.ASSESSING
        db.session.commit()
    taipei.retention_years = 20
    db.session.commit()
    result = _purge(app, "--county", "臺北市", "--by", "tpe.admin")
    assert result.exit_code == 0, result.output
    assert f"未銷毀 {reopened.case_no}：個案已不是結案狀態" in result.output
    assert f"未銷毀 {longer.case_no}：保存年限已改為 20 年，尚未屆滿" in result.output
    assert "銷毀 0 件，未銷毀 2 件" in result.output
    with tenancy.tenant_scope(taipei.id):
        assert _count(db, FamilyCase, FamilyCase.id.in_([reopened.id, longer.id])) == 2


def test_a_row_the_purge_cannot_remove_rolls_everything_back(app, db, make_closed, taipei, factories):
    """Another county's report pointing at this case's report (a transfer the link check cannot see) makes
    the delete fail: the whole purge is undone and says so."""
    first = make_closed(date(2017, 1, 1), "甲")
    second = make_closed(date(2017, 1, 2), "乙")
    _decide(taipei, factories, first)
    _decide(taipei, factories, second)
    db.session.commit()
    hualien = factories.county("花蓮縣")
    with tenancy.tenant_scope(taipei.id):
        target = case_report(second).id
    from app.intake import services as intake
    from app.intake.reference import ReportingChannel

    with tenancy.tenant_scope(hualien.id):
        other, _ = intake.receive(hualien, intake.ReportInput(district_id=None, concerns=["vulnerable_family"],
                                                              narrative="移轉"), ReportingChannel("36"))
        other.transferred_to_id = target
        db.session.commit()
    result = _purge(app, "--county", "臺北市", "--by", "tpe.admin")
    assert result.exit_code == 1 and "銷毀失敗，已全部復原" in result.output
    db.session.expire_all()
    with tenancy.tenant_scope(taipei.id):
        assert _count(db, FamilyCase, FamilyCase.id.in_([first.id, second.id])) == 2
        assert _count(db, RetentionDecision, RetentionDecision.disposed_at.is_not(None)) == 0
        assert _count(db, AuditEvent, AuditEvent.record_type == "family_cases",
                      AuditEvent.action == AuditAction.DELETE) == 0


def test_purge_needs_an_administrator_and_a_known_county(app, db):
    assert "不是系統管理者或臺北市的縣市管理者" in _purge(app, "--county", "臺北市", "--by", "tpe.sw1").output
    assert "不是系統管理者或臺北市的縣市管理者" in _purge(app, "--county", "臺北市", "--by", "hua.admin").output
    assert "找不到縣市" in _purge(app, "--county", "高雄縣", "--by", "sysadmin").output


def test_dry_run_deletes_nothing(app, db, make_closed, taipei, factories):
    case = make_closed(date(2017, 1, 1))
    _decide(taipei, factories, case)
    db.session.commit()
    result = _purge(app, "--county", "臺北市", "--by", "tpe.admin", "--dry-run")
    assert f"{case.case_no}" in result.output and "會銷毀" in result.output and "試跑" in result.output
    with tenancy.tenant_scope(taipei.id):
        assert db.session.get(FamilyCase, case.id) is not None


def test_deleting_happens_in_one_place_reached_only_through_a_decision():
    """The retention area deletes in ``_delete_case_rows`` alone, which only ``dispose_case`` calls (after
    checking the decision); nothing else in the app calls either, and no other retention module deletes."""
    area = Path(services.__file__).resolve().parent

    def deletes(node):
        return any(isinstance(n, ast.Attribute) and n.attr == "delete" for n in ast.walk(node))

    tree = ast.parse(Path(services.__file__).read_text())
    functions = [f for f in tree.body if isinstance(f, ast.FunctionDef)]
    assert {f.name for f in functions if deletes(f)} == {"_delete_case_rows"}
    assert {f.name for f in functions if f.name != "_delete_case_rows" and any(
        isinstance(n, ast.Name) and n.id == "_delete_case_rows" for n in ast.walk(f))} == {"dispose_case"}
    assert {f.name for f in functions if f.name != "dispose_case" and any(
        isinstance(n, ast.Name) and n.id == "dispose_case" for n in ast.walk(f))} == {"purge"}
    for other in area.glob("*.py"):
        if other.name != "services.py":
            assert not deletes(ast.parse(other.read_text())), other.name
    outside = [p for p in area.parent.rglob("*.py") if p.parent != area]
    assert not [p for p in outside if "_delete_case_rows" in p.read_text() or "dispose_case" in p.read_text()]


def test_disposal_removes_the_documents_rows_bytes_and_files(app, db, make_closed, taipei, factories, monkeypatch,
                                                            tmp_path):
    """Disposal removes a case's documents with it: the rows, the bytes kept in the database, and the files kept
    in a directory (after the commit)."""
    case = make_closed(date(2018, 5, 5))
    sw1 = factories.user("tpe.sw1")
    with tenancy.tenant_scope(taipei.id):
        documents.upload(case.load(), sw1, sw1.memberships[0], kind=documents.DocumentKind.CONSENT, description="同意書",
                         filename="同意書.pdf", data=demo_pdf(["同意書"]))
        monkeypatch.setitem(app.config, "DOCUMENT_STORAGE", "directory")
        monkeypatch.setitem(app.config, "DOCUMENT_DIRECTORY", str(tmp_path))
        documents.upload(case.load(), sw1, sw1.memberships[0], kind=documents.DocumentKind.PHOTO, description="",
                         filename="家.png", data=demo_png(["家"]))
        db.session.commit()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1
    _decide(taipei, factories, case)

    result = _purge(app, "--county", "臺北市", "--by", "tpe.admin")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    with tenancy.tenant_scope(taipei.id):
        assert db.session.scalar(sa.select(sa.func.count(CaseDocument.id)).where(CaseDocument.case_id == case.id)) == 0
        assert db.session.scalar(sa.select(sa.func.count(CaseDocumentBlob.document_id))) == 0
    assert not files[0].exists()

"""Retention review: which closed cases are past the county's retention period,
the decisions on them, and disposal.

The rule: a closed case is due for review once its closing date plus the
county's ``retention_years`` has come, unless it was already decided (a
"retain until" decision brings it back the day after that date).

Disposal is two steps, never one request. A county administrator records a
*dispose* decision (the case stays, marked); ``purge`` then removes only cases
whose latest decision is *dispose*, that are still closed, still past the
period and have no open links, each with an audit entry naming the decision.
``dispose_case`` is the only function here that deletes, and it refuses a case
without such a decision.

What disposal removes: the family's case file (members, reports with their
reporter, contacts, assessments, plans, services, notes, timeline, closed
referrals and disputes, spring-festival visits, the search index). What stays:
the decision (case number, closing date, reason, who), the audit entry, the
ministry reports already submitted (frozen versions), and closed action items
of meetings, which only lose their link to the family.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

from ..audit import services as audit
from ..audit.models import AuditAction
from ..campaigns.models import CampaignVisit, ManualIndicator, VisitEntry
from ..cases import documents as case_documents
from ..cases.documents import CaseDocument, CaseDocumentBlob
from ..cases.models import (
    AssessmentReport,
    CaseContact,
    CaseEvent,
    CaseMember,
    CaseMemberChange,
    CaseNote,
    CaseSearchGram,
    CaseService,
    CaseStatus,
    CaseTipvda,
    CaseTransition,
    CaseUnit,
    CaseUnitRole,
    FamilyCase,
    PlanReview,
    SafetyAssessment,
    ServicePlan,
    VulnerabilityAssessment,
)
from ..core.dates import age_on
from ..core.errors import Invalid
from ..core.filters import roc_date, to_taipei
from ..core.models import utcnow
from ..extensions import db
from ..household.models import RiskFlag, RiskSubject
from ..intake.models import IdempotencyKey, Report, ReportPerson, ReportReporter, ReportTransition
from ..meetings.models import ActionItem
from ..referrals.models import (
    Dispute,
    DisputeStatus,
    LeadHandover,
    OPEN_REFERRAL_STATUSES,
    PartnerServiceRecord,
    Referral,
    ReferralEvent,
)
from ..tenants.models import County
from .models import RetentionChoice, RetentionDecision

MAX_REASON = 2000


class RetentionError(Invalid):
    """A decision or disposal that cannot be made, said in Chinese (``field`` names the form field)."""

    def __init__(self, message: str, field: str = "reason"):
        super().__init__(message)
        self.field = field


# --- The date rule -------------------------------------------------------------

def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; a 2/29 with no 2/29 that year is the last day of February
    (民法 §121 II: with no corresponding day, the period ends on the last day of that month)."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return day.replace(year=year)


def closed_on(case: FamilyCase) -> date | None:
    """The closing date as the county sees it (Taipei)."""
    return to_taipei(case.closed_at).date() if case.closed_at is not None else None


def due_on(case: FamilyCase, county: County) -> date | None:
    closed = closed_on(case)
    return add_years(closed, county.retention_years) if closed is not None else None


# --- Links that keep a case from being disposed --------------------------------

def blockers(case_ids: list[int]) -> dict[int, list[str]]:
    """Why each case may not be disposed (empty list: it may). A few set-wise queries for the whole list."""
    out: dict[int, list[str]] = {cid: [] for cid in case_ids}
    if not case_ids:
        return out

    def add(rows, text):
        for case_id, detail in rows:
            out[case_id].append(text(detail))

    add(db.session.execute(sa.select(FamilyCase.id, FamilyCase.status).where(
        FamilyCase.id.in_(case_ids), FamilyCase.status != CaseStatus.CLOSED)),
        lambda status: f"個案已不是結案狀態（目前「{status.label}」，已重新開案）")
    add(db.session.execute(sa.select(Referral.case_id, Referral.referral_no).where(
        Referral.case_id.in_(case_ids), Referral.status.in_(OPEN_REFERRAL_STATUSES))),
        lambda no: f"轉介 {no} 尚未結束")
    add(db.session.execute(sa.select(ActionItem.case_id, ActionItem.title).where(
        ActionItem.case_id.in_(case_ids), ActionItem.closed_at_id.is_(None))),
        lambda title: f"會議列管事項「{title}」仍在列管")
    add(db.session.execute(sa.select(CaseUnit.case_id, sa.func.count()).where(
        CaseUnit.case_id.in_(case_ids), CaseUnit.role == CaseUnitRole.COLLABORATOR).group_by(CaseUnit.case_id)),
        lambda n: f"共案：另有 {n} 個協力單位共有此案家紀錄")
    add(db.session.execute(sa.select(FamilyCase.re_report_of_id, FamilyCase.case_no).where(
        FamilyCase.re_report_of_id.in_(case_ids))),
        lambda no: f"有後續的再通報案件 {no}（須先處理該案）")
    add(db.session.execute(sa.select(Dispute.case_id, Dispute.id).where(
        Dispute.case_id.in_(case_ids),
        Dispute.status.in_((DisputeStatus.AWAITING_RESPONSE, DisputeStatus.AWAITING_ARBITER)))),
        lambda dispute_id: f"爭議 #{dispute_id} 尚未處理完畢")
    add(db.session.execute(sa.select(Report.case_id, Report.report_no).where(
        Report.case_id.in_(case_ids), Report.transferred_from_id.is_not(None))),
        lambda no: f"通報 {no} 由他縣市移轉而來，他縣市的通報仍參照它")
    return out


# --- The review list -------------------------------------------------------------

@dataclass
class ReviewRow:
    case: FamilyCase
    closed_on: date
    due_on: date
    today: date
    decision: RetentionDecision | None = None  # the latest, when there is one
    blockers: list[str] = field(default_factory=list)

    @property
    def years_past_due(self) -> int:
        """Whole years since the period ended (0 in its first year)."""
        return age_on(self.due_on, self.today)

    @property
    def days_past_due(self) -> int:
        return (self.today - self.due_on).days

    @property
    def disposable(self) -> bool:
        return not self.blockers

    @property
    def closed_on_roc(self) -> str:
        return roc_date(self.closed_on, "short")

    @property
    def due_on_roc(self) -> str:
        return roc_date(self.due_on, "short")


def latest_decisions(case_ids) -> dict[int, RetentionDecision]:
    """Each case's latest decision."""
    if not case_ids:
        return {}
    rows = db.session.scalars(sa.select(RetentionDecision).where(RetentionDecision.case_id.in_(list(case_ids)))
                              .order_by(RetentionDecision.decided_at, RetentionDecision.id))
    return {d.case_id: d for d in rows}


def _past_period(county: County, today: date):
    """Closed cases of the county whose period has ended by ``today`` (a superset on the stored UTC time,
    narrowed on the Taipei closing date)."""
    # The latest closing time that can be due: the end of today's Taipei day, ``retention_years`` back, plus a
    # day for 2/29 and the time zone; the exact rule is applied in Python.
    bound = date(today.year - county.retention_years, today.month, min(today.day, 28))
    cutoff = datetime.combine(bound + timedelta(days=4), time.min, timezone.utc)
    cases = db.session.scalars(
        sa.select(FamilyCase).where(FamilyCase.tenant_id == county.id, FamilyCase.status == CaseStatus.CLOSED,
                                    FamilyCase.closed_at.is_not(None), FamilyCase.closed_at < cutoff)
        .order_by(FamilyCase.closed_at, FamilyCase.id))
    for case in cases:
        due = due_on(case, county)
        if due <= today:
            yield case, due


def is_decided(decision: RetentionDecision | None, today: date) -> bool:
    """A decision takes the case off the list: dispose until it is carried out, retain until its date has passed."""
    if decision is None:
        return False
    if decision.decision == RetentionChoice.DISPOSE:
        return True
    return decision.retain_until >= today


def due_for_review(county: County, today: date) -> list[ReviewRow]:
    """Closed cases past the county's retention period and not (or no longer) decided, oldest closing first."""
    candidates = list(_past_period(county, today))
    decisions = latest_decisions(c.id for c, _ in candidates)
    rows = [ReviewRow(case, closed_on(case), due, today, decisions.get(case.id))
            for case, due in candidates if not is_decided(decisions.get(case.id), today)]
    found = blockers([r.case.id for r in rows])
    for row in rows:
        row.blockers = found[row.case.id]
    return rows


def awaiting_disposal(county: County, today: date) -> list[ReviewRow]:
    """Cases whose latest decision is *dispose*, not carried out yet, with what would still stop the purge."""
    decided = db.session.scalars(
        sa.select(RetentionDecision).where(RetentionDecision.tenant_id == county.id,
                                           RetentionDecision.case_id.is_not(None),
                                           RetentionDecision.decision == RetentionChoice.DISPOSE,
                                           RetentionDecision.disposed_at.is_(None))).all()
    latest = latest_decisions({d.case_id for d in decided})
    pending = [d for d in latest.values() if d.decision == RetentionChoice.DISPOSE and d.disposed_at is None]
    cases = {c.id: c for c in db.session.scalars(sa.select(FamilyCase).where(
        FamilyCase.id.in_([d.case_id for d in pending])))}
    found = blockers(list(cases))
    rows = []
    for d in sorted(pending, key=lambda d: (d.decided_at, d.id)):
        case = cases[d.case_id]
        closed = closed_on(case) or d.closed_on
        row = ReviewRow(case, closed, add_years(closed, county.retention_years), today, d, found[case.id])
        if row.due_on > today:
            row.blockers = row.blockers + [f"保存年限已改為 {county.retention_years} 年，尚未屆滿"]
        rows.append(row)
    return rows


def review_row(county: County, case: FamilyCase, today: date) -> ReviewRow | None:
    """The case as the review list shows it, or None when it is not due for a decision."""
    row = next((r for r in due_for_review(county, today) if r.case.id == case.id), None)
    return row


def history(case: FamilyCase) -> list[RetentionDecision]:
    return list(db.session.scalars(sa.select(RetentionDecision).where(RetentionDecision.case_id == case.id)
                                   .order_by(RetentionDecision.decided_at.desc(), RetentionDecision.id.desc())))


# --- Decisions -----------------------------------------------------------------------

def decide(county: County, case_ids: list[int], user, *, choice: RetentionChoice, reason: str,
           retain_until: date | None, today: date) -> list[RetentionDecision]:
    """Record one decision for each of the cases (all or none): each must be on today's review list,
    a reason is required, "retain" needs a later date, "dispose" a case with no open links."""
    reason = (reason or "").strip()
    case_ids = list(dict.fromkeys(case_ids))  # a case ticked twice gets one decision
    if not case_ids:
        raise RetentionError("請勾選至少一個案家。", "case_ids")
    if not reason:
        raise RetentionError("請寫明決定的理由（例如法定保存期間、是否仍有後續服務需要）。")
    if len(reason) > MAX_REASON:
        raise RetentionError(f"「理由」最多 {MAX_REASON} 個字。")
    if choice == RetentionChoice.RETAIN_UNTIL:
        if retain_until is None:
            raise RetentionError("延長保存請填寫「保存至」日期。", "retain_until")
        if retain_until <= today:
            raise RetentionError("「保存至」需晚於今天。", "retain_until")
    else:
        retain_until = None
    rows = {r.case.id: r for r in due_for_review(county, today)}
    missing = [cid for cid in case_ids if cid not in rows]
    if missing:
        raise RetentionError("所選案家中有不在審查清單上的個案（可能尚未屆滿保存年限、已有決定或已不是結案狀態），請重新整理清單。",
                             "case_ids")
    if choice == RetentionChoice.DISPOSE:
        blocked = [rows[cid] for cid in case_ids if rows[cid].blockers]
        if blocked:
            raise RetentionError("下列案家仍有未結束的關聯，不可銷毀：" + "；".join(
                f"{r.case.case_no}（{'、'.join(r.blockers)}）" for r in blocked) + "。", "decision")
    now = utcnow()
    made = []
    for cid in case_ids:
        row = rows[cid]
        decision = RetentionDecision(tenant_id=county.id, case_id=cid, case_no=row.case.case_no, decision=choice,
                                     retain_until=retain_until, reason=reason, closed_on=row.closed_on,
                                     retention_years=county.retention_years, decided_by_id=user.id, decided_at=now)
        db.session.add(decision)
        made.append(decision)
    db.session.flush()
    return made


# --- Disposal ------------------------------------------------------------------------

@dataclass
class PurgeResult:
    disposed: list[tuple[str, int]] = field(default_factory=list)  # (case_no, decision id)
    skipped: list[tuple[str, list[str]]] = field(default_factory=list)  # (case_no, why)


def _delete_case_rows(case: FamilyCase) -> dict[str, int]:
    """Delete a case and every row that depends on it, children first. Returns rows deleted per table.
    Called only by ``dispose_case``."""
    s = db.session
    tenant, cid = case.tenant_id, case.id
    counts: dict[str, int] = {}

    def delete(model, *where):
        result = s.execute(sa.delete(model).where(*where).execution_options(synchronize_session=False))
        if result.rowcount:
            counts[model.__tablename__] = counts.get(model.__tablename__, 0) + result.rowcount

    def update(model, *where, **values):
        s.execute(sa.update(model).where(*where).values(**values).execution_options(synchronize_session=False))

    report_ids = sa.select(Report.id).where(Report.tenant_id == tenant, Report.case_id == cid).scalar_subquery()
    referral_ids = list(s.scalars(sa.select(Referral.id).where(Referral.tenant_id == tenant, Referral.case_id == cid)))
    plan_ids = sa.select(ServicePlan.id).where(ServicePlan.tenant_id == tenant, ServicePlan.case_id == cid)
    entry_ids = sa.select(VisitEntry.id).where(VisitEntry.tenant_id == tenant, VisitEntry.case_id == cid)

    # Links from rows that stay: they lose their pointer to what goes.
    update(Report, Report.tenant_id == tenant, Report.duplicate_of_id.in_(report_ids),
           sa.or_(Report.case_id.is_(None), Report.case_id != cid), duplicate_of_id=None)
    update(CampaignVisit, CampaignVisit.tenant_id == tenant, CampaignVisit.new_report_id.in_(report_ids),
           CampaignVisit.case_id != cid, new_report_id=None)
    update(ActionItem, ActionItem.case_id == cid, case_id=None)
    update(Referral, Referral.received_case_id == cid, Referral.case_id != cid, received_case_id=None)
    update(RetentionDecision, RetentionDecision.tenant_id == tenant, RetentionDecision.case_id == cid, case_id=None)
    # Referrals and disputes of the case.
    if referral_ids:
        update(Referral, Referral.id.in_(referral_ids), forwarded_to_id=None, forwarded_from_id=None)
        update(Referral, Referral.forwarded_to_id.in_(referral_ids), forwarded_to_id=None)
        update(Referral, Referral.forwarded_from_id.in_(referral_ids), forwarded_from_id=None)
        delete(ReferralEvent, ReferralEvent.referral_id.in_(referral_ids))
        delete(PartnerServiceRecord, PartnerServiceRecord.referral_id.in_(referral_ids))
        delete(Referral, Referral.id.in_(referral_ids))
    delete(Dispute, Dispute.tenant_id == tenant, Dispute.case_id == cid)
    delete(LeadHandover, LeadHandover.tenant_id == tenant, LeadHandover.case_id == cid)
    # The spring-festival visits and list entries.
    delete(CampaignVisit, CampaignVisit.tenant_id == tenant, sa.or_(CampaignVisit.case_id == cid,
                                                                    CampaignVisit.entry_id.in_(entry_ids)))
    delete(ManualIndicator, ManualIndicator.tenant_id == tenant, ManualIndicator.case_id == cid)
    delete(VisitEntry, VisitEntry.tenant_id == tenant, VisitEntry.case_id == cid)
    # The risk flags (household picture) the case and its reports carried.
    delete(RiskFlag, RiskFlag.tenant_id == tenant, sa.or_(
        sa.and_(RiskFlag.subject == RiskSubject.CASE, RiskFlag.subject_id == cid),
        sa.and_(RiskFlag.subject == RiskSubject.REPORT, RiskFlag.subject_id.in_(report_ids))))
    # The reports that made the case, with their people, reporter and history.
    for model in (ReportTransition, ReportPerson, ReportReporter):
        delete(model, model.tenant_id == tenant, model.report_id.in_(report_ids))
    delete(IdempotencyKey, IdempotencyKey.tenant_id == tenant, IdempotencyKey.report_id.in_(report_ids))
    update(Report, Report.tenant_id == tenant, Report.case_id == cid, duplicate_of_id=None)
    delete(Report, Report.tenant_id == tenant, Report.case_id == cid)
    # The case file; its documents' bytes (database rows here, files after the commit).
    case_documents.discard_files(cid)
    delete(CaseDocumentBlob, CaseDocumentBlob.tenant_id == tenant, CaseDocumentBlob.document_id.in_(
        sa.select(CaseDocument.id).where(CaseDocument.tenant_id == tenant, CaseDocument.case_id == cid)))
    delete(CaseDocument, CaseDocument.tenant_id == tenant, CaseDocument.case_id == cid)
    delete(PlanReview, PlanReview.tenant_id == tenant, PlanReview.plan_id.in_(plan_ids))
    for model in (ServicePlan, CaseService, CaseNote, CaseContact, CaseEvent, CaseTransition, SafetyAssessment,
                  CaseTipvda, AssessmentReport, VulnerabilityAssessment, CaseSearchGram, CaseUnit, CaseMemberChange,
                  CaseMember):
        delete(model, model.tenant_id == tenant, model.case_id == cid)
    delete(FamilyCase, FamilyCase.tenant_id == tenant, FamilyCase.id == cid)
    return counts


def dispose_case(case: FamilyCase, decision: RetentionDecision, county: County, today: date, actor=None) -> dict:
    """Carry out one dispose decision. Refuses unless ``decision`` is the case's latest, is *dispose*, is not
    carried out yet, the case is closed and past the period, and nothing still links to it."""
    latest = latest_decisions([case.id]).get(case.id)
    if decision is None or latest is None or latest.id != decision.id or decision.decision != RetentionChoice.DISPOSE:
        raise RetentionError(f"{case.case_no} 沒有銷毀決定，不可刪除。", "decision")
    if decision.disposed_at is not None or decision.tenant_id != case.tenant_id or case.tenant_id != county.id:
        raise RetentionError(f"{case.case_no} 的銷毀決定不適用。", "decision")
    due = due_on(case, county)
    if case.status != CaseStatus.CLOSED or due is None or due > today:
        raise RetentionError(f"{case.case_no} 尚未屆滿保存年限或已不是結案狀態。", "decision")
    why = blockers([case.id])[case.id]
    if why:
        raise RetentionError(f"{case.case_no} 仍有未結束的關聯：{'、'.join(why)}。", "decision")
    case_no, case_id = case.case_no, case.id
    decision.disposed_at = utcnow()
    decision.case_id = None
    db.session.flush()
    db.session.expunge(case)
    counts = _delete_case_rows(case)
    audit.record(AuditAction.DELETE, record_type="family_cases", record_id=case_id, tenant_id=county.id,
                 summary=f"依保存期限決定 #{decision.id} 銷毀案家 {case_no}（個人資料已刪除）",
                 changes={"decision_id": decision.id, "case_no": case_no, "closed_on": decision.closed_on.isoformat(),
                          "retention_years": county.retention_years, "rows": counts},
                 actor=actor)
    db.session.flush()
    return counts


def purge(county: County, today: date, actor=None) -> PurgeResult:
    """Dispose every case of the county whose latest decision is *dispose* and that may be disposed; the rest
    are skipped with the reason. The caller commits once (one transaction) or rolls back on failure."""
    result = PurgeResult()
    for row in awaiting_disposal(county, today):
        if row.blockers:
            result.skipped.append((row.case.case_no, row.blockers))
            continue
        case_no = row.case.case_no
        dispose_case(row.case, row.decision, county, today, actor)
        result.disposed.append((case_no, row.decision.id))
    return result

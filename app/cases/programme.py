"""社安網2.0 on the family record: marking a family or member with one of the programme's target groups
(獨居老人, 新手父母, 近貧人口, 遭受性影像暴力者...) and the requests to remove a victim's intimate images
from a platform. Rules only: each function checks, records who and when, writes the family timeline and
flushes; the caller commits. Who may: the case's workers, as for the other case edits.

Nothing is overwritten without a trace: a mark is ended (its last day and why; it stays on the record), and a
removal request's outcome recorded by mistake is corrected with a reason, the old value kept beside the new
(``ImageRemovalCorrection``). Every row is audited (before and after)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ..accounts.models import Membership, User
from ..core import calendar
from ..core.filters import roc_date
from ..core.models import utcnow
from ..extensions import db
from . import catalogue
from .models import CaseMember, CaseTargetGroup, FamilyCase, ImageRemovalCorrection, ImageRemovalRequest
from .reference import RemovalOutcome
from .services import CaseError, _require_write, add_event

PLATFORM_MAX = 100
REASON_MAX = 200


def _member(case: FamilyCase, member_id: int | None) -> CaseMember | None:
    if not member_id:
        return None
    member = next((m for m in case.members if m.id == member_id and m.is_current), None)
    if member is None:
        raise CaseError("這位成員不在本案目前的成員中，請重新選擇。", field="member_id")
    return member


def _not_future(day: date, what: str, field: str) -> None:
    if day > calendar.today():
        raise CaseError(f"{what}不可晚於今天。", field=field)


# --- Target groups ----------------------------------------------------------------------------------------

def case_groups(case: FamilyCase) -> list[CaseTargetGroup]:
    return list(db.session.scalars(sa.select(CaseTargetGroup).where(CaseTargetGroup.case_id == case.id,
                                                                    CaseTargetGroup.tenant_id == case.tenant_id)
                                   .order_by(CaseTargetGroup.since, CaseTargetGroup.id)))


def mark_group(case: FamilyCase, user: User, membership: Membership, *, group_code: str, since: date,
               member_id: int | None = None, note: str = "") -> CaseTargetGroup:
    """Mark the family (or one member) as one of the target groups in force on ``since``."""
    _require_write(case, membership)
    _not_future(since, "註記日期", "since")
    group = catalogue.group_on(group_code, since)
    if group is None:
        known = [g for g in catalogue.all_groups() if g.code == group_code]
        if not known:
            raise CaseError("請從服務對象清單選擇。", field="group_code")
        raise CaseError(f"「{known[0].label}」自 {roc_date(min(g.effective_from for g in known), 'short')} 起才是服務對象，"
                        f"註記日期 {roc_date(since, 'short')} 尚未適用，請核對日期。", field="since")
    member = _member(case, member_id)
    if len(note.strip()) > 200:
        raise CaseError("說明最多 200 字。", field="note")
    existing = next((g for g in case_groups(case) if g.group_code == group_code
                     and g.member_id == (member.id if member else None)
                     and (g.ended_on is None or g.ended_on >= since)), None)
    if existing is not None:
        until = f"至 {roc_date(existing.ended_on, 'short')} 止" if existing.ended_on else "起"
        raise CaseError(f"{(member.name or '這位成員') if member else '本案家'}已註記為「{group.label}」"
                        f"（{roc_date(existing.since, 'short')} {until}）。", field="group_code")
    mark = CaseTargetGroup(tenant_id=case.tenant_id, case_id=case.id, member_id=member.id if member else None,
                           group_code=group_code, since=since, note=note.strip(), recorded_by_id=user.id)
    db.session.add(mark)
    who = f"{member.name or '成員'}：" if member else ""
    add_event(case, "target_group", f"註記服務對象 {who}{group.label}（{roc_date(since, 'short')} 起）", user, membership)
    db.session.flush()
    return mark


def end_group(case: FamilyCase, user: User, membership: Membership, mark_id: int, *, ended_on: date | None,
              reason: str) -> CaseTargetGroup:
    """The family or member is no longer in the group: ``ended_on`` is the last day the mark applied."""
    _require_write(case, membership)
    mark = next((g for g in case_groups(case) if g.id == mark_id), None)
    if mark is None:
        raise CaseError("找不到這筆服務對象註記，請重新載入頁面。")
    label = catalogue.group_labels().get(mark.group_code, mark.group_code)
    if mark.ended_on is not None:
        raise CaseError(f"「{label}」的註記已於 {roc_date(mark.ended_on, 'short')} 結束。", field="ended_on")
    if ended_on is None:
        raise CaseError("請填寫結束日期（民國）。", field="ended_on")
    _not_future(ended_on, "結束日期", "ended_on")
    if ended_on < mark.since:
        raise CaseError(f"結束日期（{roc_date(ended_on, 'short')}）不可早於註記日期（{roc_date(mark.since, 'short')}）。",
                        field="ended_on")
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("請寫明結束註記的理由（例如已遷出、子女已滿三歲、不再獨居）。", field="reason")
    if len(reason) > REASON_MAX:
        raise CaseError(f"理由最多 {REASON_MAX} 字。", field="reason")
    mark.ended_on, mark.end_reason, mark.ended_by_id, mark.ended_at = ended_on, reason, user.id, utcnow()
    who = f"{_member_name(case, mark.member_id)}：" if mark.member_id else ""
    add_event(case, "target_group", f"結束服務對象註記 {who}{label}（{roc_date(mark.since, 'short')} 起，"
              f"至 {roc_date(ended_on, 'short')} 止）：{reason}", user, membership)
    db.session.flush()
    return mark


def _member_name(case: FamilyCase, member_id: int | None) -> str:
    return next((m.name for m in case.members if m.id == member_id), "") or "成員"


# --- 性影像移除 -------------------------------------------------------------------------------------------

def removal_requests(case: FamilyCase) -> list[ImageRemovalRequest]:
    return list(db.session.scalars(sa.select(ImageRemovalRequest).where(ImageRemovalRequest.case_id == case.id,
                                                                        ImageRemovalRequest.tenant_id == case.tenant_id)
                                   .order_by(ImageRemovalRequest.asked_on.desc(), ImageRemovalRequest.id.desc())))


def _check_outcome(asked_on: date, outcome: RemovalOutcome, outcome_on: date | None) -> None:
    if outcome == RemovalOutcome.PENDING:
        if outcome_on is not None:
            raise CaseError("待處理的申請不填結果日期；已移除或拒絕移除時再填。", field="outcome_on")
        return
    if outcome_on is None:
        raise CaseError(f"{outcome.label}時請填寫{outcome.label}的日期（民國）。", field="outcome_on")
    _not_future(outcome_on, "結果日期", "outcome_on")
    if outcome_on < asked_on:
        raise CaseError(f"結果日期（{roc_date(outcome_on, 'short')}）不可早於申請日期（{roc_date(asked_on, 'short')}）。",
                        field="outcome_on")


def add_removal_request(case: FamilyCase, user: User, membership: Membership, *, platform: str, asked_on: date,
                        outcome: RemovalOutcome = RemovalOutcome.PENDING, outcome_on: date | None = None,
                        member_id: int | None = None, note: str = "") -> ImageRemovalRequest:
    _require_write(case, membership)
    platform = (platform or "").strip()
    if not platform:
        raise CaseError("請填寫平台名稱（例如網站或社群平台）。", field="platform")
    if len(platform) > PLATFORM_MAX:
        raise CaseError(f"平台名稱最多 {PLATFORM_MAX} 字。", field="platform")
    _not_future(asked_on, "申請日期", "asked_on")
    _check_outcome(asked_on, outcome, outcome_on)
    member = _member(case, member_id)
    request = ImageRemovalRequest(tenant_id=case.tenant_id, case_id=case.id, member_id=member.id if member else None,
                                  platform=platform, asked_on=asked_on, outcome=outcome, outcome_on=outcome_on,
                                  outcome_recorded_at=utcnow() if outcome != RemovalOutcome.PENDING else None,
                                  note=(note or "").strip(), recorded_by_id=user.id)
    db.session.add(request)
    add_event(case, "image_removal", f"性影像移除申請：{platform}（{roc_date(asked_on, 'short')} 申請，{outcome.label}）",
              user, membership)
    db.session.flush()
    return request


def record_removal_outcome(case: FamilyCase, user: User, membership: Membership, request_id: int, *,
                           outcome: RemovalOutcome, outcome_on: date | None) -> ImageRemovalRequest:
    """A pending request removed or refused (an outcome once recorded stays: a correction is a new request)."""
    _require_write(case, membership)
    request = next((r for r in removal_requests(case) if r.id == request_id), None)
    if request is None:
        raise CaseError("找不到這筆移除申請，請重新載入頁面。")
    if request.outcome != RemovalOutcome.PENDING:
        raise CaseError(f"這筆申請已記錄為「{request.outcome.label}」。", field="outcome")
    if outcome == RemovalOutcome.PENDING:
        raise CaseError("請選擇已移除或拒絕移除。", field="outcome")
    _check_outcome(request.asked_on, outcome, outcome_on)
    request.outcome, request.outcome_on, request.outcome_recorded_at = outcome, outcome_on, utcnow()
    add_event(case, "image_removal", f"性影像移除申請：{request.platform} {outcome.label}（{roc_date(outcome_on, 'short')}）",
              user, membership)
    db.session.flush()
    return request


def corrections(case: FamilyCase) -> dict[int, list[ImageRemovalCorrection]]:
    """The corrections of each request of the case, oldest first (the history shown beside the request)."""
    out: dict[int, list[ImageRemovalCorrection]] = {}
    for c in db.session.scalars(sa.select(ImageRemovalCorrection).where(
            ImageRemovalCorrection.case_id == case.id, ImageRemovalCorrection.tenant_id == case.tenant_id)
            .order_by(ImageRemovalCorrection.at, ImageRemovalCorrection.id)):
        out.setdefault(c.request_id, []).append(c)
    return out


def _said(outcome: RemovalOutcome, on: date | None) -> str:
    return outcome.label + (f"（{roc_date(on, 'short')}）" if on else "")


def correct_removal_outcome(case: FamilyCase, user: User, membership: Membership, request_id: int, *,
                            outcome: RemovalOutcome, outcome_on: date | None, reason: str) -> ImageRemovalCorrection:
    """Correct a recorded outcome (e.g. 已移除 recorded by mistake): the request holds the corrected value, which
    the board counts (as if recorded right the first time); the old value stays in the correction row."""
    _require_write(case, membership)
    request = next((r for r in removal_requests(case) if r.id == request_id), None)
    if request is None:
        raise CaseError("找不到這筆移除申請，請重新載入頁面。")
    if request.outcome == RemovalOutcome.PENDING:
        raise CaseError("這筆申請尚未記錄結果，請用「記錄結果」。", field="outcome")
    _check_outcome(request.asked_on, outcome, outcome_on)
    if (outcome, outcome_on) == (request.outcome, request.outcome_on):
        raise CaseError(f"更正後的結果與目前記錄相同（{_said(outcome, outcome_on)}）。", field="outcome")
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("請寫明更正的理由。", field="reason")
    if len(reason) > 2000:
        raise CaseError("理由最多 2000 字。", field="reason")
    correction = ImageRemovalCorrection(tenant_id=case.tenant_id, case_id=case.id, request_id=request.id,
                                        old_outcome=request.outcome, old_outcome_on=request.outcome_on,
                                        new_outcome=outcome, new_outcome_on=outcome_on, reason=reason,
                                        actor_id=user.id, actor_name=user.display_name)
    db.session.add(correction)
    request.outcome, request.outcome_on = outcome, outcome_on
    if outcome == RemovalOutcome.PENDING:
        request.outcome_recorded_at = None
    add_event(case, "image_removal", f"更正性影像移除結果：{request.platform} 由「{_said(correction.old_outcome, correction.old_outcome_on)}」"
              f"改為「{_said(outcome, outcome_on)}」：{reason}", user, membership)
    db.session.flush()
    return correction

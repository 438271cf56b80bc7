"""Meeting pages: series, meetings and their minutes, action items with each
unit's progress, the tracking table with the chair's decisions, reminders and
the PDFs kept with a meeting.

Who sees what: a county's series are invisible outside the county (query scope
and row-level security); inside a series the secretariat side (see
``services.is_manager``) sees everything, a unit only the items it leads or
assists on."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user

from ..core import calendar
from ..accounts.models import Role
from ..audit import services as audit
from ..audit.models import AuditAction
from ..cases import services as cases
from ..cases.models import FamilyCase
from ..core import edge
from ..core.jobs import JobsUnavailable
from ..core.forms import page_arg
from ..core.permissions import requires
from ..core.rendering import file_response, form_error, redirect_to, render
from ..extensions import db
from ..tenants.labels import unit_choices
from ..tenants.services import active_county_units
from . import documents, queries, services
from .forms import (
    CaseLinkForm,
    DecisionForm,
    DocumentForm,
    InstructionForm,
    ItemForm,
    MergeForm,
    MinutesForm,
    NewMeetingForm,
    NoteForm,
    ProgressForm,
    ReleaseForm,
    ReopenForm,
    SeriesForm,
    TableForm,
)
from .models import (
    ActionItem,
    DocumentKind,
    DocumentStatus,
    Meeting,
    MeetingDocument,
    MeetingSeries,
    MeetingStatus,
    Recommendation,
    SeriesKind,
)

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
MEMBERS = (Role.MINISTRY_STAFF, Role.COUNTY_ADMIN, Role.UNIT_ADMIN, Role.SUPERVISOR, Role.SOCIAL_WORKER, Role.DISPATCHER)


# --- Lookups that answer 404 for what the person may not see -----------------------------

def _series_or_404(series_id: int) -> MeetingSeries:
    series = db.session.get(MeetingSeries, series_id)  # another county's: None
    if series is None or not services.can_see_series(series, g.membership):
        abort(404)
    return series


def _meeting_or_404(meeting_id: int) -> tuple[Meeting, MeetingSeries]:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    return meeting, _series_or_404(meeting.series_id)


def _require_manager(series: MeetingSeries) -> None:
    """Secretariat-only actions do not exist for anyone else (404, like another county's objects)."""
    if not services.is_manager(series, g.membership):
        abort(404)


def _managed_meeting_or_404(meeting_id: int) -> tuple[Meeting, MeetingSeries]:
    meeting, series = _meeting_or_404(meeting_id)
    _require_manager(series)
    return meeting, series


def _item_or_404(item_id: int) -> tuple[ActionItem, MeetingSeries]:
    item = db.session.get(ActionItem, item_id)
    if item is None:
        abort(404)
    series = db.session.get(MeetingSeries, item.series_id)
    if series is None or not services.can_see_item(item, series, g.membership):
        abort(404)
    return item, series


def _case_by_number(case_no: str) -> int | None:
    case_no = (case_no or "").strip()
    if not case_no:
        return None
    case = cases.find_by_number(case_no)
    if case is None:
        raise services.MeetingError(f"找不到案號 {case_no} 的個案（只能連結本縣市的個案）。")
    return case.id


def _visible_case(item: ActionItem) -> FamilyCase | None:
    """The linked family, only for those who may read the case."""
    if item.case_id is None:
        return None
    case = db.session.get(FamilyCase, item.case_id)
    return case if case is not None and cases.can_read(case, g.membership) else None


# --- Series -------------------------------------------------------------------------------

def _series_form(formdata=None) -> SeriesForm:
    form = SeriesForm(formdata=formdata) if formdata is not None else SeriesForm(formdata=None)
    kinds = services.kinds_for(g.membership)
    form.kind.choices = [(k.value, k.label) for k in kinds]
    county_id = g.membership.county_id
    if kinds and kinds[0] in (SeriesKind.PROGRESS,):
        units = queries.national_units()
    else:
        units = active_county_units(county_id)
    form.secretariat_unit_id.choices = unit_choices(units)
    if formdata is None:
        form.secretariat_unit_id.data = g.membership.unit_id
    return form


def _index(form=None, error=None, status=200):
    visible, latest = queries.series_index(g.membership)
    can_create = bool(services.kinds_for(g.membership))
    return render("meetings/index.html", status=status, series_list=visible, latest=latest,
                  form=form or (_series_form() if can_create else None), error=error,
                  managers={s.id for s in visible if services.is_manager(s, g.membership)})


@bp.get("")
@requires(*MEMBERS)
def index():
    return _index()


@bp.post("/series")
@requires(Role.MINISTRY_STAFF, Role.COUNTY_ADMIN)
def series_new():
    form = _series_form(request.form)
    if not form.validate():
        return _index(form, status=422)

    def created(series: MeetingSeries):
        flash(f"已建立「{series.name}」。", "success")
        return redirect_to(url_for("meetings.series", series_id=series.id))

    return edge.act_then(
        lambda: services.create_series(SeriesKind(form.kind.data), form.name.data, g.membership,
                                       form.secretariat_unit_id.data),
        created, lambda error: _index(_series_form(request.form), error=str(error), status=422))


def _series_page(series: MeetingSeries, new_form=None, error=None, status=200):
    manager = services.is_manager(series, g.membership)
    q = request.args.get("q", "")
    state = request.args.get("state", "open")
    pagination = queries.items_page(series, q=q, state=state, unit_id=None if manager else g.membership.unit_id,
                                    page=page_arg(request.args))
    meetings = queries.meetings_of(series)
    return render("meetings/series.html", fragment="results" if status == 200 else "content", status=status,
                  series=series, meetings=meetings, manager=manager, pagination=pagination, q=q, state=state,
                  new_form=new_form or (NewMeetingForm(formdata=None) if manager else None), error=error,
                  today=calendar.today())


@bp.get("/series/<int:series_id>")
@requires(*MEMBERS)
def series(series_id: int):
    return _series_page(_series_or_404(series_id))


@bp.post("/series/<int:series_id>/meetings")
@requires(*MEMBERS)
def meeting_new(series_id: int):
    series = _series_or_404(series_id)
    _require_manager(series)
    form = NewMeetingForm(request.form)
    if not form.validate():
        return _series_page(series, form, status=422)

    def created(meeting: Meeting):
        flash(f"已建立{meeting}。", "success")
        return redirect_to(url_for("meetings.meeting", meeting_id=meeting.id))

    return edge.act_then(
        lambda: services.new_meeting(series, form.held_on.date, number=form.number.data,
                                     starts_at=form.starts_at.data or "", place=form.place.data or "",
                                     chair=form.chair.data or ""),
        created, lambda error: _series_page(_series_or_404(series_id), NewMeetingForm(request.form), error=str(error),
                                            status=422))


# --- One meeting: minutes, items raised there, documents --------------------------------------------

def _units_for(series: MeetingSeries):
    return unit_choices(services.eligible_units(series))


def _unit_groups(series: MeetingSeries) -> list[tuple[str, list[int]]]:
    """The eligible units as the checkbox groups of the item form: by kind (中央部會單位, 社會福利服務中心…)."""
    groups: dict[str, list[int]] = {}
    for u in services.eligible_units(series):
        groups.setdefault(u.kind.label, []).append(u.id)
    return list(groups.items())


def _item_form(series: MeetingSeries, formdata=None) -> ItemForm:
    form = ItemForm(formdata=formdata) if formdata is not None else ItemForm(formdata=None)
    form.lead_unit_ids.choices = form.assist_unit_ids.choices = _units_for(series)
    return form


def _meeting_page(meeting: Meeting, series: MeetingSeries, *, item_form=None, error=None, status=200, confirm=None):
    manager = services.is_manager(series, g.membership)
    page = queries.meeting_page(meeting, g.membership, manager=manager)
    return render("meetings/meeting.html", status=status, meeting=meeting, series=series, manager=manager,
                  raised=page.raised, amendments=page.amendments, fields=services.MINUTES_FIELDS,
                  item_form=item_form or (_item_form(series) if manager and meeting.status == MeetingStatus.DRAFT else None),
                  doc_form=DocumentForm(formdata=None), documents=_documents(meeting), error=error,
                  can_link=series.kind in services.CASE_LINK_KINDS, today=calendar.today(), confirm=confirm,
                  unit_groups=_unit_groups(series) if manager and meeting.status == MeetingStatus.DRAFT else [])


@bp.get("/<int:meeting_id>")
@requires(*MEMBERS)
def meeting(meeting_id: int):
    return _meeting_page(*_meeting_or_404(meeting_id))


def _minutes_form(meeting: Meeting, formdata=None) -> MinutesForm:
    if formdata is not None:
        return MinutesForm(formdata=formdata)
    data = {k: getattr(meeting, k) for k in services.MINUTES_FIELDS if k not in ("reports", "discussions")}
    data["reports"] = [{"case": r.get("case", ""), "unit": r.get("unit", ""), "decisions": "\n".join(r.get("decisions", []))}
                       for r in meeting.reports or []] + [{}]
    data["discussions"] = [{"case": r.get("case", ""), "unit": r.get("unit", ""),
                            "decisions": "\n".join(r.get("decisions", []))} for r in meeting.discussions or []] + [{}]
    data["version"] = meeting.version
    return MinutesForm(formdata=None, data=data)


@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
@requires(*MEMBERS)
def minutes_edit(meeting_id: int):
    meeting, series = _managed_meeting_or_404(meeting_id)
    if request.method == "GET":
        return render("meetings/minutes_edit.html", meeting=meeting, series=series, form=_minutes_form(meeting), error=None)
    form = MinutesForm(request.form)
    if not form.validate():
        return form_error("meetings/minutes_edit.html", meeting=meeting, series=series, form=form, error=None)
    if form.version.data and form.version.data != meeting.version:
        return form_error("meetings/minutes_edit.html", meeting=meeting, series=series, form=form,
                          error="這份紀錄在您開啟後已被其他人修改；您的內容尚未儲存，仍保留在畫面上。請重新載入後再送出。")
    changes = {k: (form[k].data or "") for k in services.MINUTES_FIELDS if k not in ("reports", "discussions")}
    changes["reports"], changes["discussions"] = form.agenda("reports"), form.agenda("discussions")

    def saved(amendments):
        flash(f"已記錄 {len(amendments)} 處修正。" if amendments else "會議紀錄已儲存。", "success")
        return redirect_to(url_for("meetings.meeting", meeting_id=meeting_id))

    def refused(error):
        meeting_now, series_now = _managed_meeting_or_404(meeting_id)
        return form_error("meetings/minutes_edit.html", meeting=meeting_now, series=series_now,
                          form=MinutesForm(request.form), error=str(error))

    return edge.act_then(lambda: services.update_minutes(meeting, changes, current_user, form.reason.data or ""),
                         saved, refused, stale="這份紀錄剛被其他人修改；您的內容尚未儲存，仍保留在畫面上。請重新載入後再送出。")


FINALISED_MEANWHILE = "會議紀錄剛由 {who} 確定，您的操作未重複執行。"


@bp.post("/<int:meeting_id>/finalise")
@requires(*MEMBERS)
def finalise(meeting_id: int):
    meeting, series = _managed_meeting_or_404(meeting_id)
    if request.form.get("confirm") != "1":  # the confirmation step: what will be frozen; nothing changes
        if meeting.status == MeetingStatus.FINAL:
            return _meeting_page(meeting, series, error="會議紀錄已確定。", status=422)
        return _meeting_page(meeting, series, confirm={
            "title": f"確定{series.name}第 {meeting.number} 次會議紀錄？",
            "action": url_for("meetings.finalise", meeting_id=meeting.id),
            "cancel": url_for("meetings.meeting", meeting_id=meeting.id), "frozen": services.frozen_on_finalise(meeting),
            "after": "確定後，紀錄與列管事項追蹤表以此為準；此操作不能撤回。"})

    def finalised(_):
        flash("會議紀錄已確定；之後的修改都會記錄為修正。", "success")
        return redirect_to(url_for("meetings.meeting", meeting_id=meeting_id))

    def refused(error):
        meeting_now, series_now = _meeting_or_404(meeting_id)
        if error.message == FINALISED_MEANWHILE:
            who = meeting_now.finalised_by.display_name if meeting_now.finalised_by else "他人"
            return _meeting_page(meeting_now, series_now, status=409, error=FINALISED_MEANWHILE.format(who=who))
        return _meeting_page(meeting_now, series_now, error=str(error), status=422)

    return edge.act_then(lambda: services.finalise(meeting, current_user), finalised, refused, stale=FINALISED_MEANWHILE)


@bp.post("/<int:meeting_id>/items")
@requires(*MEMBERS)
def item_new(meeting_id: int):
    meeting, series = _managed_meeting_or_404(meeting_id)
    form = _item_form(series, request.form)
    if not form.validate():
        return _meeting_page(meeting, series, item_form=form, status=422)

    def added(item: ActionItem):
        flash(f"已新增列管事項 {item.case_numbers}。", "success")
        return redirect_to(url_for("meetings.meeting", meeting_id=meeting_id) + "#items")

    def refused(error):
        meeting_now, series_now = _managed_meeting_or_404(meeting_id)
        return _meeting_page(meeting_now, series_now, item_form=_item_form(series_now, request.form), error=str(error),
                             status=422)

    return edge.act_then(
        lambda: services.add_item_to_open_meeting(
            meeting, section=form.section.data, title=form.title.data, instruction=form.instruction.data,
            lead_unit_ids=form.lead_unit_ids.data, assist_unit_ids=form.assist_unit_ids.data or [],
            due_on=form.due_on.date, case_id=_case_by_number(form.case_no.data), origin=form.origin.data or ""),
        added, refused)


# --- The tracking table, decisions, instructions, reminders -------------------------------------------

def _table_form(meeting: Meeting) -> TableForm:
    form = TableForm(formdata=None, data={"table_date": meeting.table_date or calendar.today(),
                                          "annex": meeting.table_annex, "note": meeting.table_note})
    return form


def _table_page(meeting: Meeting, series: MeetingSeries, error=None, status=200, table_form=None):
    manager = services.is_manager(series, g.membership)
    page = queries.tracking_page(meeting, manager=manager, unit_id=g.membership.unit_id)
    return render("meetings/table.html", status=status, meeting=meeting, series=series, manager=manager, rows=page.rows,
                  previous=page.previous, missing=page.missing, unit_names=page.unit_names,
                  instruction_lines=services.instruction_lines, error=error, visible_case=_visible_case,
                  decision_form=DecisionForm(formdata=None), instruction_form=InstructionForm(formdata=None),
                  table_form=table_form or (_table_form(meeting) if manager else None),
                  table_date=meeting.table_date or calendar.today(), today=calendar.today())


@bp.get("/<int:meeting_id>/table")
@requires(*MEMBERS)
def table(meeting_id: int):
    return _table_page(*_meeting_or_404(meeting_id))


def _on_table(meeting_id: int, item_id: int, form_class, invalid: str, do):
    """A chair's action on one row of the tracking table: ``do(item, meeting, form)`` returns the message;
    a refusal shows the table again with the reason (422)."""
    meeting, series = _managed_meeting_or_404(meeting_id)
    item = db.session.get(ActionItem, item_id)
    if item is None or item.series_id != series.id:
        abort(404)
    form = form_class(request.form)

    def work():
        if not form.validate():
            raise services.MeetingError(invalid)
        return do(item, meeting, form)

    def done(message: str):
        flash(f"{item.case_numbers}：{message}", "success")
        return redirect_to(url_for("meetings.table", meeting_id=meeting_id) + f"#item-{item_id}")

    return edge.act_then(work, done, lambda error: _table_page(*_meeting_or_404(meeting_id),
                                                              error=f"{item.case_numbers}：{error}", status=422))


@bp.post("/<int:meeting_id>/items/<int:item_id>/decision")
@requires(*MEMBERS)
def decide(meeting_id: int, item_id: int):
    def do(item, meeting, form):
        decision = Recommendation(form.decision.data)
        services.decide(item, meeting, decision, current_user)
        return f"{decision.label}。"

    return _on_table(meeting_id, item_id, DecisionForm, "請選擇解除列管或繼續追蹤。", do)


@bp.post("/<int:meeting_id>/items/<int:item_id>/instruction")
@requires(*MEMBERS)
def instruct(meeting_id: int, item_id: int):
    def do(item, meeting, form):
        services.instruct(item, meeting, form.text.data, current_user)
        return "已加入主席提示。"

    return _on_table(meeting_id, item_id, InstructionForm, "主席提示不可空白。", do)


def _parts_form(form_class, field: str, item_id: int):
    """A form whose unit choice is the item's units (主辦 and 協辦), checked on the server."""
    def make(formdata):
        form = form_class(formdata)
        item = db.session.get(ActionItem, item_id)
        form[field].choices = [(u.unit_id, u.unit.display_short) for u in item.units] if item else []
        return form

    return make


@bp.post("/<int:meeting_id>/items/<int:item_id>/release")
@requires(*MEMBERS)
def release(meeting_id: int, item_id: int):
    """Release some units' parts of an item at this meeting; the others continue."""
    def do(item, meeting, form):
        services.release_parts(item, meeting, form.unit_ids.data or [], current_user, form.reason.data or "")
        names = "、".join(u.unit.display_short for u in item.units if u.unit_id in (form.unit_ids.data or []))
        return f"{names}解除列管。"

    return _on_table(meeting_id, item_id, _parts_form(ReleaseForm, "unit_ids", item_id), "請勾選要解除列管的單位。", do)


@bp.post("/<int:meeting_id>/items/<int:item_id>/reopen")
@requires(*MEMBERS)
def reopen_part(meeting_id: int, item_id: int):
    """The explicit action that brings a released unit's part back under tracking (恢復列管)."""
    def do(item, meeting, form):
        services.reopen_part(item, meeting, form.unit_id.data, current_user, form.reason.data or "")
        return "已恢復列管。"

    return _on_table(meeting_id, item_id, _parts_form(ReopenForm, "unit_id", item_id), "請選擇單位並寫明恢復列管的理由。", do)


@bp.post("/<int:meeting_id>/items/<int:item_id>/note")
@requires(*MEMBERS)
def note(meeting_id: int, item_id: int):
    """Free text under 列管建議 (instead of the V)."""
    def do(item, meeting, form):
        record = services.set_note(item, meeting, form.note.data or "", current_user)
        return "已儲存列管建議文字。" if record.note else "已清除列管建議文字（列印 V）。"

    return _on_table(meeting_id, item_id, NoteForm, "列管建議文字最多 200 個字。", do)


@bp.post("/<int:meeting_id>/table/settings")  # its own path: werkzeug answers 405, not 404, to a POST whose id is out of range when a GET rule shares the path
@requires(*MEMBERS)
def table_settings(meeting_id: int):
    """The table as made: 製表日期, 附件 label, 註 line; with 「儲存並產製 PDF」 the PDF is queued too."""
    meeting, series = _managed_meeting_or_404(meeting_id)
    form = TableForm(request.form)
    if not form.validate():
        return _table_page(meeting, series, table_form=form, status=422)
    make_pdf = request.form.get("make") == "pdf"

    def saved(_):
        if not make_pdf:
            flash("已儲存追蹤表的製表日期、附件標示與註。", "success")
            return redirect_to(url_for("meetings.table", meeting_id=meeting_id))
        meeting_now, series_now = _managed_meeting_or_404(meeting_id)
        try:
            documents.request(meeting_now, DocumentKind.TRACKING, current_user, meeting_now.table_date)
        except JobsUnavailable as exc:
            return _table_page(meeting_now, series_now, error=f"已儲存；但{exc}", status=503)
        flash("已儲存，並開始產製列管事項追蹤表 PDF。", "success")
        return redirect_to(url_for("meetings.meeting", meeting_id=meeting_id) + "#documents")

    def refused(error):
        meeting_now, series_now = _managed_meeting_or_404(meeting_id)
        kept = TableForm(request.form)
        kept.validate()
        edge.beside_field(kept, error)
        return _table_page(meeting_now, series_now, table_form=kept, status=422,
                           error=None if error.field in kept else str(error))

    return edge.act_then(lambda: services.set_table(meeting, table_date=form.table_date.date,
                                                    annex=form.annex.data or "", note=form.note.data or ""),
                         saved, refused)


@bp.post("/<int:meeting_id>/remind")
@requires(*MEMBERS)
@edge.transaction
def remind(meeting_id: int):
    meeting, _ = _managed_meeting_or_404(meeting_id)
    people = services.remind(meeting, current_user)
    flash(f"已提醒 {people} 位尚未填寫辦理情形的單位人員。" if people else "所有單位都已填寫，或未填單位沒有使用者。", "success")
    return redirect_to(url_for("meetings.table", meeting_id=meeting.id))


# --- One item: its whole history, progress, merge, case link ---------------------------------------------

def _item_page(item: ActionItem, series: MeetingSeries, *, progress_form=None, error=None, status=200):
    manager = services.is_manager(series, g.membership)
    page = queries.item_page(item, series, g.membership)
    if progress_form is None and page.mine:
        progress_form = ProgressForm(formdata=None)
        if page.entry is not None:
            progress_form.text.data, progress_form.recommendation.data = page.entry.text, page.entry.recommendation.value
    link_form = CaseLinkForm(formdata=None)
    case = _visible_case(item)
    if case is not None:
        link_form.case_no.data = case.case_no
    return render("meetings/item.html", status=status, item=item, series=series, manager=manager, coming=page.coming,
                  mine=page.mine, progress_form=progress_form, history=page.history, error=error,
                  instruction_lines=services.instruction_lines(item), case=case, link_form=link_form,
                  merge_form=MergeForm(formdata=None), can_link=series.kind in services.CASE_LINK_KINDS,
                  hidden_case=item.case_id is not None and case is None, today=calendar.today())


@bp.get("/items/<int:item_id>")
@requires(*MEMBERS)
def item(item_id: int):
    return _item_page(*_item_or_404(item_id))


@bp.post("/items/<int:item_id>/progress")
@requires(*MEMBERS)
def progress(item_id: int):
    item, series = _item_or_404(item_id)
    form = ProgressForm(request.form)
    if not services.responsible_on(item, g.membership):
        abort(404)
    if not form.validate():
        return _item_page(item, series, progress_form=form, status=422)
    coming = services.coming_meeting(series)

    def write():
        if coming is None:
            raise services.MeetingError("秘書單位尚未建立下一次會議，暫時不能填寫辦理情形。")
        services.write_progress(item, coming, g.membership.unit_id, form.text.data,
                                Recommendation(form.recommendation.data), current_user)

    def written(_):
        flash(f"已儲存{g.membership.unit.display_short}對 {item.case_numbers} 的辦理情形（{coming}）。", "success")
        return redirect_to(url_for("meetings.item", item_id=item_id))

    def refused(error):
        item_now, series_now = _item_or_404(item_id)
        return _item_page(item_now, series_now, progress_form=ProgressForm(request.form), error=str(error), status=422)

    return edge.act_then(write, written, refused)


@bp.post("/items/<int:item_id>/merge")
@requires(*MEMBERS)
def merge(item_id: int):
    item, series = _item_or_404(item_id)
    _require_manager(series)
    form = MergeForm(request.form)

    def merged(_):
        flash(f"已併案：{item.case_numbers}。", "success")
        return redirect_to(url_for("meetings.item", item_id=item_id))

    return edge.act_then(
        lambda: services.merge(item, services.open_items_by_numbers(series, (form.numbers.data or "").split())),
        merged, lambda error: _item_page(*_item_or_404(item_id), error=str(error), status=422))


@bp.post("/items/<int:item_id>/case")
@requires(*MEMBERS)
def case_link(item_id: int):
    item, series = _item_or_404(item_id)
    _require_manager(series)
    form = CaseLinkForm(request.form)
    form.validate()

    def linked(_):
        flash("已更新個案連結。", "success")
        return redirect_to(url_for("meetings.item", item_id=item_id))

    return edge.act_then(lambda: services.link_case(item, _case_by_number(form.case_no.data)), linked,
                         lambda error: _item_page(*_item_or_404(item_id), error=str(error), status=422))


@bp.get("/mine")
@requires(*MEMBERS)
def mine():
    include_closed = request.args.get("all") == "1"
    items = queries.my_items(g.membership, include_closed=include_closed)
    series_by_id = queries.series_by_ids(i.series_id for i in items)
    coming = {sid: services.coming_meeting(s) for sid, s in series_by_id.items()}
    written = queries.written_for(items, coming, g.membership.unit_id)
    return render("meetings/mine.html", items=items, series_by_id=series_by_id, coming=coming, written=written,
                  include_closed=include_closed, today=calendar.today())


# --- Documents ---------------------------------------------------------------------------------------------

def _documents(meeting: Meeting):
    docs = queries.documents_of(meeting)
    # Only a page being read learns of dead jobs (it commits that): a refused form's page commits nothing.
    return documents.reconcile(docs) if request.method == "GET" else docs


@bp.route("/<int:meeting_id>/documents", methods=["GET", "POST"])
@requires(*MEMBERS)
def documents_view(meeting_id: int):
    meeting, series = _managed_meeting_or_404(meeting_id)
    manager = True
    if request.method == "POST":
        form = DocumentForm(request.form)
        if not form.validate():
            return _meeting_page(meeting, series, error="請選擇要產製的文件。", status=422)
        try:
            doc = documents.request(meeting, DocumentKind(form.kind.data), current_user)
        except JobsUnavailable as exc:
            return _meeting_page(meeting, series, error=str(exc), status=503)
        db.session.refresh(doc)
        flash(f"已開始產製{doc.kind.label}。" if doc.status != DocumentStatus.DONE else f"{doc.kind.label}已產製完成。",
              "success")
        return redirect_to(url_for("meetings.meeting", meeting_id=meeting.id) + "#documents")
    return render("meetings/meeting.html", fragment="documents", meeting=meeting, series=series, manager=manager,
                  documents=_documents(meeting), doc_form=DocumentForm(formdata=None))


@bp.get("/documents/<int:document_id>.pdf")
@requires(*MEMBERS)
@edge.transaction
def document_pdf(document_id: int):
    doc = db.session.get(MeetingDocument, document_id)
    if doc is None:
        abort(404)
    meeting, series = _meeting_or_404(doc.meeting_id)
    if not services.is_manager(series, g.membership) or doc.status != DocumentStatus.DONE:
        abort(404)
    response = file_response(doc.pdf, doc.filename.removesuffix(".pdf"), "pdf")
    audit.record(AuditAction.READ, record_type="meeting_documents", record_id=doc.id, tenant_id=doc.county_id,
                 summary=f"下載{doc.kind.label} PDF（{meeting}）")
    return response

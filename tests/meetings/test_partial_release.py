"""The tracking table as the ministry writes it (seed 004, 附件2): each unit's part of an item released on
its own while the others continue (「本案資訊處解除列管，其他司署繼續列管」), free text under 列管建議,
the 製表日期 chosen when the table is made (ROC only), the 附件 label and the 註 line."""
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from app.audit.models import AuditEvent
from app.core import tenancy
from app.meetings import demo, queries, services
from app.meetings.forms import TableForm
from app.meetings.models import (
    ActionItem,
    ItemDecision,
    ItemStatus,
    ItemUnitEvent,
    Meeting,
    MeetingSeries,
    PartStatus,
    Recommendation,
    SeriesKind,
)

UNITS = (("資訊處", "資訊處"), ("保護司", "保護服務司"), ("社家署", "社會及家庭署"), ("心口司", "心理健康司"))


@pytest.fixture
def units(factories):
    return {short: factories.unit(name).id for short, name in UNITS}


def _series(db, factories) -> MeetingSeries:
    s = MeetingSeries(kind=SeriesKind.PROGRESS, name="強化社會安全網工作進度會議",
                      secretariat_unit_id=factories.unit("保護服務司").id)
    db.session.add(s)
    db.session.flush()
    return s


@pytest.fixture
def table(db, factories, units):
    """An item of 社家署 with four helpers, on the table of the 34th meeting."""
    series = _series(db, factories)
    m33 = services.new_meeting(series, date(2019, 5, 29), number=33)
    item = services.add_item(m33, section=3, title="檢視座談會所提之各項問題", instruction="…", lead_unit_ids=[units["社家署"]],
                             assist_unit_ids=[units["資訊處"], units["保護司"], units["心口司"]])
    services.finalise(m33)
    m34 = services.new_meeting(series, date(2019, 6, 5), number=34)
    return series, m33, m34, item


def test_one_units_part_is_released_and_the_others_continue(db, factories, units, table):
    series, m33, m34, item = table
    user = factories.user("moh.protect")
    record = services.release_parts(item, m34, [units["資訊處"]], user, "建請解除本案資訊處列管")
    assert item.status == ItemStatus.OPEN and item.is_open
    parts = {p.unit.display_short: p for p in item.units}
    assert parts["資訊處"].status == PartStatus.RELEASED and parts["資訊處"].released_at_id == m34.id
    assert all(parts[u].status == PartStatus.TRACKING for u in ("社家署", "保護司", "心口司"))
    # the ministry's sentence under 列管建議, written for the secretariat and marked as such
    assert record.note == "本案資訊處解除列管，其他司署繼續列管" and record.note_generated
    assert record.decision == Recommendation.CONTINUE
    event = db.session.scalars(sa.select(ItemUnitEvent).where(ItemUnitEvent.item_id == item.id)).one()
    assert (event.unit_id, event.meeting_id, event.action, event.reason, event.by_id) == (
        units["資訊處"], m34.id, "release", "建請解除本案資訊處列管", user.id)
    with tenancy.all_tenants("test: the entries of the part"):
        audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "action_item_units",
                                                               AuditEvent.summary.like("%解除列管%"))).all()
    assert [e.summary for e in audit] == [f"列管事項 {item.case_numbers}（資訊處）：列管中 → 解除列管（建請解除本案資訊處列管）"]
    # the released unit is no longer asked for its progress; writing it is refused
    with pytest.raises(services.MeetingError, match="已解除列管"):
        services.write_progress(item, m34, units["資訊處"], "…", Recommendation.CONTINUE)
    assert units["資訊處"] not in services.missing_units(m34)[item.id]
    row = queries.tracking_table(m34)[0]
    assert row.note == "本案資訊處解除列管，其他司署繼續列管" and row.released == {"資訊處": 34}
    # two more released: the sentence follows the parts; the last one remaining is named
    record = services.release_parts(item, m34, [units["保護司"], units["心口司"]], user)
    assert record.note == "本案資訊處、保護司、心口司解除列管，社家署繼續列管"
    # a sentence the secretariat edits is theirs: it no longer follows the parts
    services.set_note(item, m34, "本案資訊處、保護司、心口司解除列管，社家署繼續列管（詳報告案1）", user)
    record = services.release_parts(item, m34, [units["社家署"]], user)
    assert item.status == ItemStatus.CLOSED and item.closed_at_id == m34.id  # every part released: the item is
    assert record.decision == Recommendation.CLOSE and record.note.endswith("（詳報告案1）")
    with pytest.raises(services.MeetingError, match="已解除列管"):
        services.release_parts(item, m34, [units["社家署"]], user)


def test_the_generated_sentence_clears_when_the_chair_releases_the_whole_item(db, factories, units, table):
    _, _, m34, item = table
    services.release_parts(item, m34, [units["資訊處"]])
    record = services.decide(item, m34, Recommendation.CLOSE)
    assert item.status == ItemStatus.CLOSED and all(p.released_at_id == m34.id for p in item.units)
    assert record.note == "" and not record.note_generated  # the V under 解除列管 is printed
    # changed back to 繼續追蹤 at the same meeting: the parts released here come back, with the item
    record = services.decide(item, m34, Recommendation.CONTINUE)
    assert item.status == ItemStatus.OPEN and all(p.status == PartStatus.TRACKING for p in item.units)
    actions = db.session.scalars(sa.select(ItemUnitEvent.action).where(ItemUnitEvent.item_id == item.id)
                                 .order_by(ItemUnitEvent.id)).all()
    assert actions == ["release"] * 4 + ["reopen"] * 4


def test_a_part_released_at_an_earlier_meeting_stays_released_until_reopened(db, factories, units, table):
    series, _, m34, item = table
    services.release_parts(item, m34, [units["資訊處"]])
    services.decide(item, m34, Recommendation.CONTINUE)
    services.finalise(m34)
    m35 = services.new_meeting(series, date(2019, 6, 19), number=35)
    services.decide(item, m35, Recommendation.CONTINUE)  # 繼續追蹤 never brings back a part released before
    part = next(p for p in item.units if p.unit_id == units["資訊處"])
    assert part.status == PartStatus.RELEASED and part.released_at_id == m34.id
    row = queries.tracking_table(m35)[0]
    assert row.note == "" and row.released == {"資訊處": 34}  # a new meeting: the V, and the unit marked
    assert next(p for p in row.progress if p.unit_name == "資訊處").released
    with pytest.raises(services.MeetingError, match="理由"):
        services.reopen_part(item, m35, units["資訊處"], reason=" ")
    with pytest.raises(services.MeetingError, match="會議紀錄已確定"):
        services.reopen_part(item, m34, units["資訊處"], reason="系統介接仍需資訊處協助")
    services.reopen_part(item, m35, units["資訊處"], reason="系統介接仍需資訊處協助")
    assert part.status == PartStatus.TRACKING
    assert [h["meeting"].number for h in queries.history(item) if h["parts"]] == [34, 35]
    assert [(e.label, e.reason) for h in queries.history(item) for e in h["parts"]] == [
        ("解除列管", "強化社會安全網工作進度會議第 34 次會議決定"), ("恢復列管", "系統介接仍需資訊處協助")]


def test_reopening_a_part_of_an_item_released_altogether_reopens_it(db, factories, units, table):
    series, _, m34, item = table
    services.decide(item, m34, Recommendation.CLOSE)
    services.finalise(m34)
    m35 = services.new_meeting(series, date(2019, 6, 19), number=35)
    assert item not in services.open_items(m35)
    services.reopen_part(item, m35, units["社家署"], reason="主席指示社家署續辦")
    assert item.status == ItemStatus.OPEN and item in services.open_items(m35)
    assert [p.unit.display_short for p in item.units if p.status == PartStatus.TRACKING] == ["社家署"]
    assert services.missing_units(m35) == {item.id: [units["社家署"]]}


def test_free_text_under_the_recommendation(db, factories, units, table):
    _, _, m34, item = table
    record = services.set_note(item, m34, "報告完後即可解除列管")
    assert (record.note, record.note_generated, record.decision) == ("報告完後即可解除列管", False, Recommendation.CONTINUE)
    assert queries.tracking_table(m34)[0].note == "報告完後即可解除列管"
    with pytest.raises(services.MeetingError, match="200"):
        services.set_note(item, m34, "長" * 201)
    services.set_note(item, m34, "")
    assert queries.tracking_table(m34)[0].note == ""  # the V again


def test_the_table_date_is_roc_and_not_before_the_previous_meeting(app, db, table):
    _, m33, m34, _ = table
    with app.test_request_context(method="POST", data={"ts-table_date": "2019/6/4", "ts-annex": "附件2"}):
        form = TableForm()
        assert not form.validate()
        assert form.table_date.errors == ["「製表日期」請以民國年填寫：2019/6/4 是西元日期，民國寫成 108/06/04。"]
        assert form.table_date.data == "2019/6/4"  # what was typed is kept
    with app.test_request_context(method="POST", data={"ts-table_date": "108/6/4"}):
        form = TableForm()
        assert form.validate() and form.table_date.date == date(2019, 6, 4)
    with pytest.raises(services.MeetingError, match="早於前次會議") as refused:
        services.set_table(m34, table_date=date(2018, 6, 4), annex="附件2", note="")
    assert refused.value.field == "table_date"
    services.set_table(m34, table_date=date(2019, 6, 4), annex=" 附件2 ", note="請社家署108年9月11日須報告。")
    assert (m34.table_annex, m34.table_note_line) == ("附件2", "註：請社家署108年9月11日須報告。")


def test_the_demo_reproduces_the_seeds_table(db):
    series = demo.import_progress_34()
    m34 = next(m for m in series.meetings if m.number == 34)
    assert (m34.table_date, m34.table_annex) == (date(2019, 6, 4), "附件2")
    assert m34.table_note_line == "註：請社家署108年9月11日須報告地方政府輔導民間團體發展多元服務方案狀況。"
    rows = {r.item.case_numbers: r for r in queries.tracking_table(m34)}
    assert rows["1080315-1"].note == "本案資訊處解除列管，其他司署繼續列管" and rows["1080315-1"].released == {"資訊處": 34}
    assert rows["1080315-1"].item.is_open and rows["1080315-1"].decision == Recommendation.CONTINUE
    assert rows["1080125-2"].note == "報告完後即可解除列管"
    assert sum(1 for r in rows.values() if not r.note) == 10


# --- The property: an item is released exactly when every unit's part is -----------------------------

OPS = st.one_of(
    st.tuples(st.just("release"), st.sets(st.integers(0, 3), max_size=4)),
    st.tuples(st.just("reopen"), st.integers(0, 3)),
    st.tuples(st.just("decide"), st.sampled_from([Recommendation.CLOSE, Recommendation.CONTINUE])),
    st.tuples(st.just("note"), st.sampled_from(["", "報告完後即可解除列管"])),
    st.tuples(st.just("progress"), st.integers(0, 3)),
    st.tuples(st.just("next"), st.none()),
)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(OPS, max_size=10))
def test_an_item_is_released_exactly_when_every_part_is(db, factories, units, ops):
    series = _series(db, factories)
    meeting = services.new_meeting(series, date(2019, 6, 5))
    ids = [units[short] for short, _ in UNITS]
    item = services.add_item(meeting, section=3, title="性質測試", instruction="…", lead_unit_ids=ids[:1],
                             assist_unit_ids=ids[1:])

    def state():
        return {p.unit_id: p.released_at_id for p in item.units}, item.closed_at_id

    for op, arg in ops:
        before, before_closed = state()
        explicit: set[int] = set()  # the parts this action may bring back, explicitly
        try:
            if op == "release":
                services.release_parts(item, meeting, [ids[i] for i in arg])
            elif op == "reopen":
                explicit = {ids[arg]}
                services.reopen_part(item, meeting, ids[arg], reason="主席指示續辦")
            elif op == "decide":
                if arg == Recommendation.CONTINUE and item.closed_at_id == meeting.id:
                    explicit = {u for u, at in before.items() if at == meeting.id}  # the chair's decision changed back
                services.decide(item, meeting, arg)
            elif op == "note":
                services.set_note(item, meeting, arg)
            elif op == "progress":
                services.write_progress(item, meeting, ids[arg], "辦理中", Recommendation.CONTINUE)
            else:
                services.finalise(meeting)
                meeting = services.new_meeting(series, meeting.held_on.replace(day=meeting.held_on.day + 1))
        except services.MeetingError:
            assert state() == (before, before_closed)  # a refusal changes nothing
        after, _ = state()
        # an item is released exactly when every unit's part is
        assert (item.status == ItemStatus.CLOSED) == all(at is not None for at in after.values())
        assert item.status != ItemStatus.CLOSED or item.closed_at_id in set(after.values())
        # a released part never returns to tracking unless reopened by an explicit action
        back = {u for u, at in before.items() if at is not None and after[u] is None}
        assert back <= explicit, (op, arg, back)
        # and a release is never moved to another meeting
        assert all(after[u] in (None, at) for u, at in before.items() if at is not None)

"""Action items across meetings: numbering, carry-over, previous/current columns,
closing, overdue, and the red marking of what changed."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.meetings import queries, services
from app.meetings.diff import marked
from app.meetings.models import MeetingSeries, MeetingStatus, ProgressEntry, Recommendation, SeriesKind


@pytest.fixture
def series(db, factories):
    s = MeetingSeries(kind=SeriesKind.PROGRESS, name="強化社會安全網計畫工作進度會議",
                      secretariat_unit_id=factories.unit("保護服務司").id)
    db.session.add(s)
    db.session.flush()
    return s


@pytest.fixture
def units(factories):
    return {short: factories.unit(name).id for short, name in
            (("資訊處", "資訊處"), ("保護司", "保護服務司"), ("社家署", "社會及家庭署"), ("心口司", "心理健康司"))}


def test_case_numbers_follow_the_seed_and_never_collide(db, series, units):
    m1 = services.new_meeting(series, date(2018, 1, 24), number=1)
    a = services.add_item(m1, section=3, title="社會安全網資訊系統建置案", instruction="請資訊處協助", lead_unit_ids=[units["資訊處"]])
    b = services.add_item(m1, section=3, title="規劃教育訓練與人力培訓案", instruction="…", lead_unit_ids=[units["保護司"]])
    c = services.add_item(m1, section=4, title="報告案", instruction="…", lead_unit_ids=[units["社家署"]])
    assert [x.case_numbers for x in (a, b, c)] == ["1070124-3-1", "1070124-3-2", "1070124-4-1"]
    numbers = [services.case_number(m1, 3) for _ in range(50)]
    assert len(set(numbers)) == 50  # each call takes the next value from the database counter
    with pytest.raises(services.MeetingError, match="議程段落"):
        services.case_number(m1, 0)


def test_merged_items_carry_every_case_number(db, series, units):
    m6 = services.new_meeting(series, date(2018, 3, 14), number=6)
    m8 = services.new_meeting(series, date(2018, 4, 11), number=8)
    one = services.add_item(m6, section=3, title="事件諮詢紀錄表", instruction="…", lead_unit_ids=[units["保護司"]])
    two = services.add_item(m6, section=3, title="分級分類分流", instruction="…", lead_unit_ids=[units["保護司"]])
    three = services.add_item(m8, section=4, title="脆弱家庭指標", instruction="…", lead_unit_ids=[units["保護司"]],
                              number="1070411-4")
    merged = services.merge(one, [two, three])
    assert merged.case_numbers == "1070314-3-1 1070314-3-2 1070411-4"
    assert not two.is_open and two.merged_into_id == one.id


def test_progress_previous_and_current_columns_and_red_changes(db, series, units):
    m33 = services.new_meeting(series, date(2019, 5, 22), number=33)
    item = services.add_item(m33, section=3, title="資訊系統", instruction="…", lead_unit_ids=[units["資訊處"]],
                             assist_unit_ids=[units["保護司"], units["社家署"]], due_on=date(2019, 9, 30))
    services.write_progress(item, m33, units["資訊處"], "資料欄位清理，將於108年5月30日前完成。", Recommendation.CONTINUE)
    services.write_progress(item, m33, units["社家署"], "系統已於測試環境完成建置。本案建請解除列管。", Recommendation.CLOSE)
    m34 = services.new_meeting(series, date(2019, 6, 5), number=34)
    services.write_progress(item, m34, units["資訊處"], "資料欄位清理，將於108年6月30日前完成。", Recommendation.CONTINUE)
    services.write_progress(item, m34, units["資訊處"], "資料欄位清理，將於108年6月30日前完成。", Recommendation.CONTINUE)  # rewrite: same row
    services.write_progress(item, m34, units["保護司"], "法務部刻正簽會意見中。", Recommendation.CONTINUE)
    assert db.session.scalar(sa.select(sa.func.count(ProgressEntry.id)).where(ProgressEntry.item_id == item.id)) == 4
    row = queries.tracking_table(m34, today=date(2019, 6, 4))[0]
    by_unit = {p.unit_name: p for p in row.progress}
    info = by_unit["資訊處"]
    assert info.previous.endswith("108年5月30日前完成。") and info.current.endswith("108年6月30日前完成。")
    assert [seg for seg, changed in info.current_marked if changed] == ["6"]  # only the changed month is red
    assert by_unit["保護司"].previous == "" and by_unit["保護司"].current_marked == [("法務部刻正簽會意見中。", True)]
    assert by_unit["社家署"].previous.startswith("系統已於") and by_unit["社家署"].current == ""
    assert services.missing_units(m34) == {item.id: [units["社家署"]]}
    assert row.recommendation == Recommendation.CONTINUE and not row.overdue
    assert queries.tracking_table(m34, today=date(2019, 10, 1))[0].overdue


def test_items_stay_on_the_table_until_closed(db, series, units):
    m1 = services.new_meeting(series, date(2019, 6, 5), number=34)
    keep = services.add_item(m1, section=3, title="保留", instruction="…", lead_unit_ids=[units["保護司"]])
    close = services.add_item(m1, section=3, title="解除", instruction="…", lead_unit_ids=[units["社家署"]])
    services.write_progress(close, m1, units["社家署"], "已完成。", Recommendation.CLOSE)
    assert queries.tracking_table(m1)[1].recommendation == Recommendation.CLOSE
    services.decide(close, m1, Recommendation.CLOSE)
    services.decide(keep, m1, Recommendation.CONTINUE)
    assert [r.item.id for r in queries.tracking_table(m1)] == [keep.id, close.id]  # closed at this meeting: still listed
    m2 = services.new_meeting(series, date(2019, 6, 19))
    assert m2.number == 35
    assert [r.item.id for r in queries.tracking_table(m2)] == [keep.id]
    with pytest.raises(services.MeetingError, match="解除列管"):
        services.write_progress(close, m2, units["社家署"], "x", Recommendation.CONTINUE)


def test_only_responsible_units_write_and_final_minutes_are_closed(db, series, units):
    m = services.new_meeting(series, date(2019, 6, 5), number=34)
    item = services.add_item(m, section=3, title="t", instruction="…", lead_unit_ids=[units["保護司"]])
    with pytest.raises(services.MeetingError, match="主辦或協辦"):
        services.write_progress(item, m, units["心口司"], "x", Recommendation.CONTINUE)
    m.status = MeetingStatus.FINAL
    with pytest.raises(services.MeetingError, match="已確定"):
        services.write_progress(item, m, units["保護司"], "x", Recommendation.CONTINUE)


def test_chair_instructions_are_dated_and_numbered(db, series, units):
    m1 = services.new_meeting(series, date(2018, 1, 24), number=1)
    m34 = services.new_meeting(series, date(2019, 6, 5), number=34)
    item = services.add_item(m1, section=3, title="資訊系統", instruction="…", lead_unit_ids=[units["資訊處"]])
    services.instruct(item, m34, "請依原預定期程執行各項進度。\n本案請資訊處續予協助。\n本案繼續列管。")
    assert services.instruction_lines(item) == ["1080605 主席提示", "一、請依原預定期程執行各項進度。",
                                                "二、本案請資訊處續予協助。", "三、本案繼續列管。"]


def test_red_marking_on_its_own():
    assert marked("", "全新內容") == [("全新內容", True)]
    assert marked("無更新。", "無更新。") == [("無更新。", False)]
    assert [s for s, c in marked("預計108年6月底完成。", "已於108年6月20日完成。") if c] == ["已於", "20日"]

"""Minutes drafted then finalised (amendments recorded), who runs and sees a
series, reminders, case links on the family timeline, search of closed items,
and the import of seed 004's 34th meeting."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.cases.models import CaseEvent
from app.core import tenancy
from app.meetings import demo, queries, services
from app.meetings.models import MeetingAmendment, MeetingStatus, Recommendation, SeriesKind
from app.referrals.models import Notification


@pytest.fixture
def progress(db):
    return demo.import_progress_34()


def test_the_seed_meeting_imports_with_its_twelve_items_and_both_columns(db, progress):
    meetings = {m.number: m for m in progress.meetings}
    m34 = meetings[34]
    rows = queries.tracking_table(m34, today=date(2019, 6, 5))
    assert [r.item.case_numbers for r in rows] == [
        "1070124-3-1", "1070124-3-2 1070516-3-1", "1070124-3-3", "1070314-3-1 1070314-3-2 1070411-4", "1070516-3-2",
        "1080125-2", "1080129-1", "1080227-4", "1080315-1", "1080529-1", "1080529-2", "1080605-3"]
    first = rows[0]
    assert first.lead_units == ["資訊處"] and first.assist_units == ["保護司", "心口司", "社家署"]
    info = next(p for p in first.progress if p.unit_name == "資訊處")
    assert "108年5月30日前完成" in info.previous and "108年6月30日前完成" in info.current
    assert [s for s, changed in info.current_marked if changed] == ["6"]
    assert services.instruction_lines(first.item)[:2] == [
        "1080605 主席提示", "一、請社家署於保護司108年6月10日召開之集中篩派案機制調整案研商會議中，展示關懷e起來線上通報系統並進行討論(如成員關係類別是否使用「伴侶」字詞、系統正式上線時間等)。"]
    unchanged = next(p for p in rows[3].progress if p.unit_name == "資訊處")
    assert unchanged.current_marked == [(unchanged.current, False)]  # same text as last time: nothing red
    assert rows[11].progress[0].previous == "" and rows[11].item.raised_at_id == m34.id
    assert all(r.decision == Recommendation.CONTINUE for r in rows)
    assert m34.status == MeetingStatus.FINAL and meetings[35].status == MeetingStatus.DRAFT
    assert services.coming_meeting(progress) == meetings[35]
    # the 35th meeting carries every item over, with the 34th's text as 前次 and nothing written yet
    rows35 = queries.tracking_table(meetings[35])
    assert len(rows35) == 12 and rows35[0].progress[0].previous == info.current
    assert all(p.current == "" for r in rows35 for p in r.progress)
    assert len(services.missing_units(meetings[35])) == 12


def test_minutes_are_drafted_then_final_and_changed_only_by_recorded_amendment(db, progress, factories):
    meeting = {m.number: m for m in progress.meetings}[35]
    user = factories.user("moh.protect")
    assert services.update_minutes(meeting, {"opening_remarks": "（略）", "motions": "無"}, user) == []
    services.finalise(meeting, user)
    assert meeting.finalised_by_id == user.id
    with pytest.raises(services.MeetingError, match="修正理由"):
        services.update_minutes(meeting, {"motions": "有一案"}, user)
    amendments = services.update_minutes(meeting, {"motions": "有一案", "place": "本部 304 會議室"}, user,
                                         reason="依保護司意見修正")
    assert {(a.field, a.before, a.after) for a in amendments} == {("motions", "無", "有一案")}
    stored = db.session.scalars(sa.select(MeetingAmendment).where(MeetingAmendment.meeting_id == meeting.id)).all()
    assert [(a.reason, a.by_id) for a in stored] == [("依保護司意見修正", user.id)]
    item = services.open_items(meeting)[0]
    for action in (lambda: services.decide(item, meeting, Recommendation.CLOSE, user),
                   lambda: services.instruct(item, meeting, "再議", user),
                   lambda: services.write_progress(item, meeting, item.units[0].unit_id, "遲交", Recommendation.CONTINUE)):
        with pytest.raises(services.MeetingError, match="已確定"):
            action()
    with pytest.raises(services.MeetingError, match="已確定"):
        services.finalise(meeting, user)


def test_who_runs_and_who_sees_a_series(db, progress, factories):
    secretariat = factories.user("moh.protect").memberships[0]
    sfaa = factories.user("moh.sfaa").memberships[0]
    county_admin = factories.user("tpe.admin").memberships[0]
    worker = factories.user("tpe.sw1").memberships[0]
    assert services.is_manager(progress, secretariat) and not services.is_manager(progress, sfaa)
    assert services.can_see_series(progress, sfaa)  # 社家署 leads items
    assert not services.can_see_series(progress, county_admin) and not services.can_see_series(progress, worker)
    assert services.kinds_for(secretariat) == (SeriesKind.PROGRESS, SeriesKind.CENTRAL_LOCAL, SeriesKind.CROSS_MINISTRY)
    assert services.kinds_for(worker) == ()
    with pytest.raises(services.MeetingError, match="不能建立"):
        services.create_series(SeriesKind.HIGH_RISK, "高危機", secretariat)
    with pytest.raises(services.MeetingError, match="不能建立"):
        services.create_series(SeriesKind.PROGRESS, "工作進度", county_admin)
    # a county's series is the county's: other counties' units cannot be put on its items
    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        series = services.create_series(SeriesKind.HIGH_RISK, "臺北市高危機網絡會議", county_admin)
        assert series.county_id == taipei.id and services.is_manager(series, county_admin)
        meeting = services.new_meeting(series, date(2026, 12, 1))
        with pytest.raises(services.MeetingError, match="範圍"):
            services.add_item(meeting, section=4, title="跨縣市", instruction="…",
                              lead_unit_ids=[factories.unit("花蓮縣花蓮社會福利服務中心").id])
        with pytest.raises(services.MeetingError, match="範圍"):
            services.add_item(meeting, section=4, title="部會", instruction="…", lead_unit_ids=[factories.unit("資訊處").id])
        item = services.add_item(meeting, section=4, title="本縣", instruction="…",
                                 lead_unit_ids=[factories.unit("臺北市中正社會福利服務中心").id])
        assert item.county_id == taipei.id and item.numbers[0].county_id == taipei.id
        assert services.can_see_series(series, worker) and not services.is_manager(series, worker)
    hualien_admin = factories.user("hua.admin").memberships[0]
    assert not services.can_see_series(series, hualien_admin)


def test_reminders_reach_the_people_of_units_that_have_not_written(db, progress, factories):
    meeting = {m.number: m for m in progress.meetings}[35]
    rows = queries.tracking_table(meeting)
    sfaa = factories.unit("社會及家庭署")
    for row in rows:
        if any(u.unit_id == sfaa.id for u in row.item.units):
            services.write_progress(row.item, meeting, sfaa.id, "已辦理。", Recommendation.CONTINUE)
    secretary = factories.user("moh.protect")
    from flask import current_app

    with current_app.test_request_context():
        services.remind(meeting, secretary)
    db.session.flush()
    sfaa_user, protect = factories.user("moh.sfaa"), secretary
    notes = lambda u: db.session.scalars(sa.select(Notification.text).where(Notification.user_id == u.id)).all()  # noqa: E731
    assert notes(sfaa_user) == []  # 社家署 has written all of its parts
    assert notes(protect) == []  # the one who reminds is not reminded
    missing = services.missing_units(meeting)
    assert missing and all(sfaa.id not in units for units in missing.values())


def test_a_high_risk_item_linked_to_a_family_shows_on_its_timeline(db, factories):
    taipei = factories.county("臺北市")
    admin = factories.user("tpe.admin")
    from app.cases.models import FamilyCase

    with tenancy.tenant_scope(taipei.id):
        from app.intake import services as intake
        from app.intake.reference import ReportingChannel

        district = next(d for d in taipei.districts if d.name == "中正區")
        report, _ = intake.receive(taipei, intake.ReportInput(district_id=district.id, concerns=["vulnerable_family"],
                                                              narrative="高危機", persons=[intake.PersonInput(name="林小華", relation="subject")]),
                                   ReportingChannel("36"))
        dispatcher = factories.user("tpe.dispatch")
        intake.claim(report, dispatcher)
        case = intake.dispatch(report, dispatcher, factories.unit("臺北市中正社會福利服務中心"))
        series = services.create_series(SeriesKind.HIGH_RISK, "高危機網絡會議", admin.memberships[0])
        meeting = services.new_meeting(series, date(2026, 11, 20))
        item = services.add_item(meeting, section=4, title="林家安全計畫", instruction="請家防中心與社福中心共訪。",
                                 lead_unit_ids=[factories.unit("臺北市中正社會福利服務中心").id], case_id=case.id)
        services.instruct(item, meeting, "一週內完成共訪", admin)
        services.decide(item, meeting, Recommendation.CONTINUE, admin)
        summaries = db.session.scalars(sa.select(CaseEvent.summary).where(CaseEvent.case_id == case.id,
                                                                          CaseEvent.kind == "meeting")
                                       .order_by(CaseEvent.id)).all()
        assert len(summaries) == 3
        assert "列管" in summaries[0] and "一週內完成共訪" in summaries[1] and "繼續追蹤" in summaries[2]
        # only the county's own cases, and only from series about cases
        with pytest.raises(services.MeetingError, match="只有高危機"):
            platform = services.create_series(SeriesKind.COUNTY_PLATFORM, "平台會議", admin.memberships[0])
            services.add_item(services.new_meeting(platform, date(2026, 11, 21)), section=4, title="x", instruction="x",
                              lead_unit_ids=[factories.unit("臺北市中正社會福利服務中心").id], case_id=case.id)
    hualien = factories.county("花蓮縣")
    with tenancy.tenant_scope(hualien.id):  # another county's meeting cannot reach the family
        series = services.create_series(SeriesKind.HIGH_RISK, "花蓮縣高危機網絡會議", factories.user("hua.admin").memberships[0])
        with pytest.raises(services.MeetingError, match="找不到此個案"):
            services.add_item(services.new_meeting(series, date(2026, 11, 21)), section=4, title="x", instruction="x",
                              lead_unit_ids=[factories.unit("花蓮縣花蓮社會福利服務中心").id], case_id=case.id)
    assert isinstance(case, FamilyCase)


def test_closed_items_stay_searchable_with_their_history(db, progress, factories):
    m35 = {m.number: m for m in progress.meetings}[35]
    item = services.open_items(m35)[5]  # 1080125-2, to be closed once reported
    services.write_progress(item, m35, item.units[0].unit_id, "已於本次會議報告完畢，建請解除列管。", Recommendation.CLOSE)
    services.decide(item, m35, Recommendation.CLOSE, factories.user("moh.protect"))
    assert not item.is_open
    open_now = db.session.scalars(queries.search_items(progress, state="open")).all()
    closed = db.session.scalars(queries.search_items(progress, state="closed")).all()
    assert item not in open_now and closed == [item]
    assert db.session.scalars(queries.search_items(progress, q="1080125-2", state="all")).all() == [item]
    assert db.session.scalars(queries.search_items(progress, q="資訊整合", state="all")).all() == [item]
    history = queries.history(item)
    assert [h["meeting"].number for h in history] == [24, 33, 34, 35]
    assert history[-1]["decision"].decision == Recommendation.CLOSE
    # a later meeting's table no longer lists it
    m36 = services.new_meeting(progress, date(2019, 7, 3))
    assert item not in services.open_items(m36) and len(services.open_items(m36)) == 11

"""The meeting pages as their users use them (HTTP, no browser): the
secretariat sets up a meeting and an item, the responsible unit writes its
progress, the chair decides; bad input is kept; other counties see nothing."""
import re
from datetime import date

import sqlalchemy as sa

from app.core import tenancy
from app.meetings import demo, services
from app.meetings.models import ActionItem, Meeting, MeetingAmendment, MeetingDocument, MeetingSeries, SeriesKind


def _id(response, pattern):
    return int(re.search(pattern, response.headers["Location"]).group(1))


def test_secretariat_unit_and_chair_work_an_item_through_two_meetings(as_user, factories, db):
    secretary, sfaa = as_user("moh.protect"), as_user("moh.sfaa")
    response = secretary.post("/meetings/series", {"se-kind": "progress", "se-name": "測試工作進度會議",
                                                   "se-secretariat_unit_id": factories.unit("保護服務司").id})
    assert response.status_code == 303
    series_id = _id(response, r"/series/(\d+)")
    response = secretary.post(f"/meetings/series/{series_id}/meetings", {"nm-held_on": "115/12/02", "nm-place": "304 會議室"})
    meeting_id = _id(response, r"/meetings/(\d+)")
    form = {"it-section": "3", "it-title": "規劃共識營", "it-instruction": "請社家署規劃共識營。",
            "it-lead_unit_ids": str(factories.unit("社會及家庭署").id), "it-due_on": "116/03/31"}
    bad = secretary.post(f"/meetings/{meeting_id}/items", {**form, "it-title": ""})
    assert bad.status_code == 422 and "請填寫「案由」" in bad.text and "請社家署規劃共識營。" in bad.text  # nothing typed is lost
    assert secretary.post(f"/meetings/{meeting_id}/items", form).status_code == 303
    item = db.session.scalars(sa.select(ActionItem).where(ActionItem.series_id == series_id)).one()
    assert item.case_numbers == "1151202-3-1"

    mine = sfaa.get("/meetings/mine").text
    assert "規劃共識營" in mine and "未填寫" in mine
    assert sfaa.post(f"/meetings/{meeting_id}/items/{item.id}/decision", {"dc-decision": "close"}).status_code == 404
    assert sfaa.post(f"/meetings/items/{item.id}/progress", {"pg-text": "", "pg-recommendation": "continue"}).status_code == 422
    assert sfaa.post(f"/meetings/items/{item.id}/progress",
                     {"pg-text": "已完成規劃，預定 3 月辦理。", "pg-recommendation": "continue"}).status_code == 303
    assert "已填寫" in sfaa.get("/meetings/mine").text
    table = secretary.get(f"/meetings/{meeting_id}/table").text
    assert "已完成規劃，預定 3 月辦理。" in table and "尚未填寫辦理情形" not in table
    assert secretary.post(f"/meetings/{meeting_id}/items/{item.id}/decision", {"dc-decision": "continue"}).status_code == 303
    assert secretary.post(f"/meetings/{meeting_id}/finalise", {"confirm": "1"}).status_code == 303

    response = secretary.post(f"/meetings/series/{series_id}/meetings", {"nm-held_on": "115/12/16"})
    next_id = _id(response, r"/meetings/(\d+)")
    missing = secretary.get(f"/meetings/{next_id}/table").text
    assert "尚未填寫辦理情形（1 項）" in missing
    assert secretary.post(f"/meetings/{next_id}/remind", {}).status_code == 303
    assert "尚有 1 項列管事項未填寫辦理情形" in sfaa.get("/notifications").text
    sfaa.post(f"/meetings/items/{item.id}/progress", {"pg-text": "已完成規劃，3 月 5 日辦理。", "pg-recommendation": "close"})
    table = secretary.get(f"/meetings/{next_id}/table").text
    assert "已完成規劃，預定 3 月辦理。" in table  # 前次辦理情形 is the previous meeting's entry
    assert '<span class="changed">' in table  # what changed is red
    secretary.post(f"/meetings/{next_id}/items/{item.id}/decision", {"dc-decision": "close"})
    assert "已解除列管" in secretary.get(f"/meetings/series/{series_id}?state=closed").text
    assert "規劃共識營" not in secretary.get(f"/meetings/series/{series_id}?state=open").text


def test_final_minutes_change_only_with_a_reason_and_the_change_is_shown(as_user, db):
    series = demo.import_progress_34()
    m34 = next(m for m in series.meetings if m.number == 34)
    db.session.commit()
    secretary = as_user("moh.protect")
    form = secretary.get(f"/meetings/{m34.id}/minutes").text
    assert "蘇政務次長麗瓊" in form and "社安網心衛社工教育訓練檢討與策進作為" in form
    data = {"starts_at": "下午 5 時", "place": "本部 304 會議室", "chair": "蘇政務次長麗瓊", "motions": "有一案",
            "reports-0-case": "社安網心衛社工教育訓練檢討與策進作為。", "reports-0-unit": "心口司",
            "reports-0-decisions": "洽悉。", "version": str(m34.version)}
    refused = secretary.post(f"/meetings/{m34.id}/minutes", data)
    assert refused.status_code == 422 and "請寫明修正理由" in refused.text and "有一案" in refused.text
    assert secretary.post(f"/meetings/{m34.id}/minutes", {**data, "reason": "依與會單位意見修正"}).status_code == 303
    changed = {a.field for a in db.session.scalars(sa.select(MeetingAmendment).where(MeetingAmendment.meeting_id == m34.id))}
    assert {"motions", "reports"} <= changed
    page = secretary.get(f"/meetings/{m34.id}").text
    assert "紀錄確定後的修正" in page and "依與會單位意見修正" in page


def test_documents_are_for_the_secretariat_and_download_as_pdf(as_user, db, inline_jobs):
    series = demo.import_progress_34()
    m34 = next(m for m in series.meetings if m.number == 34)
    db.session.commit()
    secretary, sfaa = as_user("moh.protect"), as_user("moh.sfaa")
    assert secretary.post(f"/meetings/{m34.id}/documents", {"doc-kind": "tracking"}).status_code == 303
    doc = db.session.scalars(sa.select(MeetingDocument).where(MeetingDocument.meeting_id == m34.id)).one()
    pdf = secretary.get(f"/meetings/documents/{doc.id}.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert sfaa.get(f"/meetings/documents/{doc.id}.pdf").status_code == 404
    fragment = secretary.get(f"/meetings/{m34.id}/documents", headers={"HX-Request": "true"}).text
    assert "下載 PDF" in fragment and "<html" not in fragment
    # 社家署 sees its own rows of the table, not the others'
    table = sfaa.get(f"/meetings/{m34.id}/table").text
    assert "請社家署規劃共識營" in table and "研議社區訪員獎勵制度" not in table


def test_a_countys_meetings_stay_in_the_county(as_user, factories, db):
    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        series = services.create_series(SeriesKind.HIGH_RISK, "臺北市高危機網絡會議", factories.user("tpe.admin").memberships[0])
        meeting = services.new_meeting(series, date(2026, 11, 30))
        item = services.add_item(meeting, section=4, title="王家安全計畫", instruction="…",
                                 lead_unit_ids=[factories.unit("臺北市中正社會福利服務中心").id])
        series_id, meeting_id, item_id = series.id, meeting.id, item.id
    national_id = demo.import_progress_34().id
    db.session.commit()
    for username in ("hua.admin", "hua.sw1", "moh.protect"):
        user = as_user(username)
        assert "臺北市高危機網絡會議" not in user.get("/meetings").text
        for url in (f"/meetings/series/{series_id}", f"/meetings/{meeting_id}", f"/meetings/{meeting_id}/table",
                    f"/meetings/items/{item_id}"):
            assert user.get(url).status_code == 404, (username, url)
    assert as_user("ngo.staff").get("/meetings").status_code == 403
    worker = as_user("tpe.sw1")  # 中正社福中心 leads the item
    assert "臺北市高危機網絡會議" in worker.get("/meetings").text
    assert worker.get(f"/meetings/items/{item_id}").status_code == 200
    assert worker.get(f"/meetings/series/{national_id}").status_code == 404  # the ministry's meeting is not theirs
    with tenancy.all_tenants("test: the rows are there"):
        assert db.session.get(MeetingSeries, series_id).county_id == taipei.id
        assert db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(Meeting.county_id == taipei.id)) == 1


def test_with_a_queue_the_page_shows_progress_until_the_worker_is_done(app, as_user, db):
    if not app.config["REDIS_URL"]:
        import pytest

        pytest.skip("REDIS_URL not set (the PostgreSQL + Redis run in .ci/run covers this)")
    from app.core.jobs import queue
    from app.meetings import documents
    from app.meetings.models import DocumentStatus

    series = demo.import_progress_34()
    m34 = next(m for m in series.meetings if m.number == 34)
    db.session.commit()
    secretary = as_user("moh.protect")
    with app.app_context():
        queue().empty()
    assert secretary.post(f"/meetings/{m34.id}/documents", {"doc-kind": "minutes"}).status_code == 303
    doc = db.session.scalars(sa.select(MeetingDocument).where(MeetingDocument.meeting_id == m34.id)).one()
    assert doc.status == DocumentStatus.QUEUED
    fragment = secretary.get(f"/meetings/{m34.id}/documents", headers={"HX-Request": "true"}).text
    assert 'hx-trigger="every 2s"' in fragment and "排隊中" in fragment
    with app.app_context():
        assert len(queue()) == 1
        queue().empty()
    with app.test_request_context():
        documents.make(doc.id, None, None)  # what the worker runs
    fragment = secretary.get(f"/meetings/{m34.id}/documents", headers={"HX-Request": "true"}).text
    assert "下載 PDF" in fragment and "every 2s" not in fragment


def test_a_failed_or_abandoned_pdf_shows_as_failed_with_a_retry(as_user, db, inline_jobs):
    from datetime import timedelta

    from app.core.models import utcnow
    from app.meetings.models import DocumentKind, DocumentStatus

    series = demo.import_progress_34()
    m34 = next(m for m in series.meetings if m.number == 34)
    dead = MeetingDocument(meeting_id=m34.id, kind=DocumentKind.TRACKING, status=DocumentStatus.RUNNING,
                           requested_at=utcnow() - timedelta(hours=1))  # its worker died mid-job
    db.session.add(dead)
    db.session.commit()
    secretary = as_user("moh.protect")
    fragment = secretary.get(f"/meetings/{m34.id}/documents", headers={"HX-Request": "true"}).text
    assert "逾時未完成" in fragment and "重試" in fragment and "every 2s" not in fragment and "下載 PDF" not in fragment
    assert secretary.post(f"/meetings/{m34.id}/documents", {"doc-kind": "tracking"}).status_code == 303
    assert "下載 PDF" in secretary.get(f"/meetings/{m34.id}/documents", headers={"HX-Request": "true"}).text

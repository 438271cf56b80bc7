"""Finalising minutes is irreversible: the first POST shows what will be frozen and changes nothing;
the confirmed POST finalises once. The 主辦單位 of a new item are checkboxes, marked required."""
import re

import sqlalchemy as sa

from app.meetings.models import ActionItem, Meeting, MeetingStatus


def _meeting(secretary, factories) -> int:
    response = secretary.post("/meetings/series", {"se-kind": "progress", "se-name": "確認測試會議",
                                                   "se-secretariat_unit_id": factories.unit("保護服務司").id})
    series_id = int(re.search(r"/series/(\d+)", response.headers["Location"]).group(1))
    response = secretary.post(f"/meetings/series/{series_id}/meetings", {"nm-held_on": "115/12/02"})
    return int(re.search(r"/meetings/(\d+)", response.headers["Location"]).group(1))


def _status(db, meeting_id):
    db.session.expire_all()
    return db.session.scalar(sa.select(Meeting.status).where(Meeting.id == meeting_id))


def test_finalising_asks_first_and_names_what_is_frozen(as_user, factories, db):
    secretary = as_user("moh.protect")
    meeting_id = _meeting(secretary, factories)
    form = {"it-section": "3", "it-title": "規劃共識營", "it-instruction": "請社家署規劃共識營。",
            "it-lead_unit_ids": str(factories.unit("社會及家庭署").id)}
    assert secretary.post(f"/meetings/{meeting_id}/items", form).status_code == 303
    panel = secretary.post(f"/meetings/{meeting_id}/finalise", {})
    assert panel.status_code == 200 and 'id="confirm-panel"' in panel.text and "確認送出" in panel.text
    assert "唯讀" in panel.text and "1151202-3-1" in panel.text and "辦理情形" in panel.text
    assert 'name="confirm" value="1"' in panel.text
    assert _status(db, meeting_id) == MeetingStatus.DRAFT
    assert secretary.post(f"/meetings/{meeting_id}/finalise", {"confirm": "1"}).status_code == 303
    assert _status(db, meeting_id) == MeetingStatus.FINAL
    again = secretary.post(f"/meetings/{meeting_id}/finalise", {})
    assert again.status_code == 422 and "已確定" in again.text and 'id="confirm-panel"' not in again.text
    page = secretary.get(f"/meetings/{meeting_id}").text
    assert "陸、主席裁示事項" in page and "柒、臨時動議" in page


def test_lead_units_are_required_checkboxes_and_an_empty_choice_keeps_the_input(as_user, factories, db):
    secretary = as_user("moh.protect")
    meeting_id = _meeting(secretary, factories)
    page = secretary.get(f"/meetings/{meeting_id}").text
    group = re.search(r'<fieldset[^>]*id="it-lead_unit_ids-group".*?</fieldset>', page, re.DOTALL).group(0)
    assert 'type="checkbox"' in group and 'name="it-lead_unit_ids"' in group and 'aria-required="true"' in group
    assert "必填" in group and "社會及家庭署" in group
    assert '<select id="it-lead_unit_ids"' not in page and 'multiple' not in group
    assist = factories.unit("社會及家庭署").id
    bad = secretary.post(f"/meetings/{meeting_id}/items", {"it-section": "3", "it-title": "未勾主辦",
                                                           "it-instruction": "請研議。", "it-assist_unit_ids": str(assist)})
    assert bad.status_code == 422
    group = re.search(r'<fieldset[^>]*id="it-lead_unit_ids-group".*?</fieldset>', bad.text, re.DOTALL).group(0)
    assert "請至少勾選一個主辦單位" in group and 'aria-invalid="true"' in group
    assert "未勾主辦" in bad.text and "請研議。" in bad.text
    assert re.search(rf'name="it-assist_unit_ids"[^>]*value="{assist}"[^>]*checked', bad.text)
    assert db.session.scalars(sa.select(ActionItem).where(ActionItem.title == "未勾主辦")).first() is None

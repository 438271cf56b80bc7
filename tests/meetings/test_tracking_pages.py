"""The tracking table's pages as the ministry secretariat uses them (HTTP, no browser): release one
unit's part of an item, write the free text under 列管建議, reopen a part only with a reason, and make the
table with a 製表日期 typed in the wrong calendar first (a Chinese message beside the field, nothing lost),
its 附件 label and 註 line on the screen and in the PDF it queues."""
from datetime import date

import sqlalchemy as sa

from app.core import calendar
from app.meetings import demo
from app.meetings.models import ActionItem, ItemNumber, ItemUnit, MeetingDocument, PartStatus


def _setup(db):
    series = demo.import_progress_34()
    meetings = {m.number: m for m in series.meetings}
    item = db.session.scalars(sa.select(ActionItem).join(ItemNumber).where(ItemNumber.number == "1070124-3-1")).one()
    units = {u.unit.display_short: u.unit_id for u in item.units}
    ids = meetings[34].id, meetings[35].id, item.id
    db.session.commit()
    return ids, units


def test_the_secretariat_releases_one_units_part_and_writes_the_recommendation(as_user, db):
    (m34, m35, item_id), units = _setup(db)
    secretary, sfaa = as_user("moh.protect"), as_user("moh.sfaa")
    url = f"/meetings/{m35}/items/{item_id}"
    assert sfaa.post(f"{url}/release", {"rl-unit_ids": units["社家署"]}).status_code == 404  # the secretariat's only
    assert secretary.post(f"{url}/release", {}).status_code == 422
    response = secretary.post(f"{url}/release", {"rl-unit_ids": units["社家署"], "rl-reason": "已函頒各地方政府依循辦理"})
    assert response.status_code == 303
    page = secretary.get(f"/meetings/{m35}/table").text
    assert "本案社家署解除列管，其他司署繼續列管" in page and "第35次解除列管" in page
    part = db.session.scalars(sa.select(ItemUnit).where(ItemUnit.item_id == item_id, ItemUnit.unit_id == units["社家署"])).one()
    assert part.status == PartStatus.RELEASED
    # 社家署 no longer writes for this item, and it is gone from its list
    assert "社會安全網資訊系統建置案" not in sfaa.get("/meetings/mine").text
    refused = sfaa.post(f"/meetings/items/{item_id}/progress", {"pg-text": "再補充", "pg-recommendation": "continue"})
    assert refused.status_code == 422 and "已解除列管" in refused.text
    # the sentence is editable
    edited = "本案社家署解除列管，其他司署繼續列管（詳報告案2）"
    assert secretary.post(f"{url}/note", {"nt-note": edited}).status_code == 303
    assert edited in secretary.get(f"/meetings/{m35}/table").text
    # the item's history shows the release, who and why
    history = secretary.get(f"/meetings/items/{item_id}").text
    assert "解除列管</span> <strong>社家署</strong>：已函頒各地方政府依循辦理" in history
    # reopening needs a reason; typed text is refused with the reason asked for
    refused = secretary.post(f"{url}/reopen", {"ro-unit_id": units["社家署"], "ro-reason": ""})
    assert refused.status_code == 422 and "恢復列管" in refused.text
    assert secretary.post(f"{url}/reopen", {"ro-unit_id": units["社家署"], "ro-reason": "系統上線仍需社家署"}).status_code == 303
    db.session.expire_all()
    assert part.status == PartStatus.TRACKING
    assert "恢復列管</span> <strong>社家署</strong>：系統上線仍需社家署" in secretary.get(f"/meetings/items/{item_id}").text


def test_the_table_is_made_with_a_roc_date_its_annex_label_and_note(as_user, db, inline_jobs):
    (m34, m35, _), _ = _setup(db)
    secretary = as_user("moh.protect")
    page = secretary.get(f"/meetings/{m34}/table").text
    assert "製表日期：民國108年6月4日" in page and "附件2" in page
    assert "註：請社家署108年9月11日須報告地方政府輔導民間團體發展多元服務方案狀況。" in page
    assert "本案資訊處解除列管，其他司署繼續列管" in page and "報告完後即可解除列管" in page
    # the 35th: today by default
    assert f"value=\"{calendar.today().year - 1911}/" in secretary.get(f"/meetings/{m35}/table").text
    form = {"ts-table_date": "2019/6/18", "ts-annex": "附件2", "ts-note": "請保護司108年7月3日說明名單勾稽情形。", "make": "pdf"}
    wrong = secretary.post(f"/meetings/{m35}/table/settings", form)
    assert wrong.status_code == 422
    assert "「製表日期」請以民國年填寫：2019/6/18 是西元日期，民國寫成 108/06/18。" in wrong.text
    assert 'value="2019/6/18"' in wrong.text and "請保護司108年7月3日說明名單勾稽情形。" in wrong.text  # nothing lost
    early = secretary.post(f"/meetings/{m35}/table/settings", {**form, "ts-table_date": "107/06/18"})
    assert early.status_code == 422 and "製表日期早於前次會議（民國108年6月5日）" in early.text
    assert db.session.scalars(sa.select(MeetingDocument).where(MeetingDocument.meeting_id == m35)).first() is None
    assert secretary.post(f"/meetings/{m35}/table/settings", {**form, "ts-table_date": "108/06/18"}).status_code == 303
    page = secretary.get(f"/meetings/{m35}/table").text
    assert "製表日期：民國108年6月18日" in page and "註：請保護司108年7月3日說明名單勾稽情形。" in page
    doc = db.session.scalars(sa.select(MeetingDocument).where(MeetingDocument.meeting_id == m35)).one()
    assert doc.table_date == date(2019, 6, 18) and doc.pdf.startswith(b"%PDF")
    # the ministry's other units see no form to make the table
    assert "製表日期、附件標示" not in as_user("moh.sfaa").get(f"/meetings/{m34}/table").text

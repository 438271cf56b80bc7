"""Lists longer than a page: the pager keeps the page's own arguments (found on national-scale data:
a series with more than 30 items failed to draw its page-2 link), and a hand-edited inbox filter is no error."""
import re
from datetime import date
from html import unescape

from app.meetings import demo, services
from app.meetings.models import MeetingSeries, SeriesKind


def test_series_page_links_to_its_second_page(as_user, db):
    units = demo.ministry_units_by_short_name()
    secretariat = next(u for u in units.values() if u.name == "保護服務司")
    series = MeetingSeries(kind=SeriesKind.PROGRESS, name="分頁測試會議", secretariat_unit_id=secretariat.id)
    db.session.add(series)
    db.session.flush()
    meeting = services.new_meeting(series, date(2026, 11, 4), place="304 會議室", chair="次長")
    lead = next(iter(units.values()))
    for n in range(35):
        services.add_item(meeting, section=3, title=f"分頁事項{n:02d}", instruction="請辦理。", lead_unit_ids=[lead.id],
                          assist_unit_ids=[])
    db.session.commit()
    secretary = as_user("moh.protect")
    first = secretary.get(f"/meetings/series/{series.id}")
    assert first.status_code == 200
    link = re.search(r'href="([^"]+)">下一頁', first.text)
    assert link and f"/meetings/series/{series.id}" in unescape(link.group(1))
    second = secretary.get(unescape(link.group(1)))
    assert second.status_code == 200 and "分頁事項" in second.text


def test_inbox_with_an_unknown_filter_shows_the_open_cases(as_user, db):
    response = as_user("tpe.sw1").get("/cases/inbox?status=all")
    assert response.status_code == 200 and "案件收件匣" in response.text

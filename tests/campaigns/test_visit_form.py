"""Step 10, defect 9 and defect 10 on the spring-campaign visit form: the form never pre-fills a
date it refuses and names the allowed dates (ROC) when it refuses one; 「3,000」 and full-width
digits are amounts; over-long text is refused with everything kept, never cut."""
import re
from datetime import date

import sqlalchemy as sa

from app.campaigns import services
from app.campaigns.models import CampaignVisit
from app.core import tenancy
from tests.campaigns.helpers import visit_child


def _page(listed, as_user, db):
    t, entries = listed
    entry = entries[t["drug"].id]
    child = visit_child(entry.case_id)
    db.session.commit()
    url = f"/campaigns/{t['campaign'].id}/entries/{entry.id}/visit"
    form = {"visited_on": "116/01/30", "method": "in_person", "persons_seen": "林媽媽",
            f"child-{child['member_id']}-care": "y", f"child-{child['member_id']}-seen": "y"}
    return t, entry, url, form, as_user("tpe.sw1")


def test_today_outside_the_allowed_dates_is_not_prefilled_and_the_refusal_names_the_range(listed, as_user, db, monkeypatch):
    t, entry, url, form, worker = _page(listed, as_user, db)
    monkeypatch.setattr(services, "today", lambda: date(2027, 5, 1))  # the campaign is long over
    page = worker.get(url).text
    field = re.search(r'<input[^>]*\bid="visited_on"[^>]*>', page).group(0)
    assert 'value=""' in field and 'aria-describedby="visited_on-help"' in field  # nothing pre-filled
    assert "可登錄 115/12/23 至 116/03/23 的訪視" in page
    refused = worker.post(url, {**form, "visited_on": "116/05/01"})
    assert refused.status_code == 422
    assert "訪視日期需在 115/12/23 至 116/03/23 之間" in refused.text
    assert 'id="visited_on-error"' in refused.text  # beside the field
    assert 'value="116/05/01"' in refused.text and 'value="林媽媽"' in refused.text  # kept
    empty = worker.post(url, {**form, "visited_on": ""})
    assert empty.status_code == 422 and "請填寫訪視日期。訪視日期需在 115/12/23 至 116/03/23 之間" in empty.text


def test_before_the_window_opens_the_form_says_from_when(listed, as_user, db, monkeypatch):
    t, entry, url, form, worker = _page(listed, as_user, db)
    monkeypatch.setattr(services, "today", lambda: date(2026, 12, 6))  # the day the defect was found
    page = worker.get(url).text
    assert 'value=""' in page and "115/12/23 起才能登錄" in page
    refused = worker.post(url, {**form, "visited_on": "115/12/06"})
    assert refused.status_code == 422 and "115/12/23 以後" in refused.text


def test_the_prefilled_date_is_accepted(listed, as_user, db):
    t, entry, url, form, worker = _page(listed, as_user, db)  # today is 116/02/01 in `listed`
    page = worker.get(url).text
    assert 'value="116/02/01"' in page
    assert worker.post(url, {**form, "visited_on": "116/02/01"}).status_code == 303


def test_amounts_with_thousands_separators_and_full_width_digits(listed, as_user, db):
    t, entry, url, form, worker = _page(listed, as_user, db)
    assert worker.post(url, {**form, "cash": "3,000"}).status_code == 303
    assert worker.post(url, {**form, "cash": "３，０００ 元"}).status_code == 303
    refused = worker.post(url, {**form, "cash": "3,00", "needs": "房租"})
    assert refused.status_code == 422 and "例如 3000 或 3,000" in refused.text and "房租" in refused.text
    assert 'id="cash-error"' in refused.text
    with tenancy.tenant_scope(t["taipei"].id):
        amounts = [s["amount"] for v in db.session.scalars(sa.select(CampaignVisit)) for s in v.services
                   if s["kind"] == "emergency_cash"]
    assert amounts == [3000, 3000]


def test_over_long_text_is_refused_and_kept_whole(listed, as_user, db):
    t, entry, url, form, worker = _page(listed, as_user, db)
    page = worker.get(url).text
    assert 'data-maxlength="2000"' in page and "js/counters.js" in page
    long_needs = "需" * 2001
    refused = worker.post(url, {**form, "needs": long_needs})
    assert refused.status_code == 422
    assert "「發現的需求」最多 2000 個字，目前 2001 個字" in refused.text
    assert long_needs in refused.text  # nothing cut
    with tenancy.tenant_scope(t["taipei"].id):
        assert db.session.scalar(sa.select(sa.func.count(CampaignVisit.id))) == 0

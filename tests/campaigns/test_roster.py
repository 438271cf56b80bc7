"""The holiday duty roster (值勤): each county keeps its own; the ministry sees
every county's, and which counties have none yet."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.campaigns import services
from app.core import tenancy


def test_a_roster_line_needs_a_day_in_the_campaign_a_person_and_a_phone(taipei_cases, factories):
    t = taipei_cases
    with tenancy.tenant_scope(t["taipei"].id):
        add = lambda **kw: services.add_duty(t["campaign"], t["taipei"].id, **{  # noqa: E731
            "on_date": date(2027, 2, 6), "hours": "08:00–17:00", "unit": t["centre"], "person": "王社工",
            "phone": "02-2345-6789#12", **kw})
        with pytest.raises(services.CampaignError, match="關懷期間內"):
            add(on_date=date(2027, 3, 30))
        with pytest.raises(services.CampaignError, match="電話"):
            add(phone="找王社工")
        with pytest.raises(services.CampaignError, match="本縣市的單位"):
            add(unit=factories.unit("花蓮縣花蓮社會福利服務中心"))
        add()
        add(on_date=date(2027, 2, 5), hours="", unit=None, person="李督導", phone="0912-345-678")
        assert [(d.on_date.day, d.hours, d.person) for d in services.roster(t["campaign"], t["taipei"].id)] == [
            (5, "全日", "李督導"), (6, "08:00–17:00", "王社工")]


def test_county_keeps_its_roster_and_the_ministry_sees_every_countys(taipei_cases, as_user, db):
    t = taipei_cases
    cid = t["campaign"].id
    db.session.commit()
    admin = as_user("tpe.admin")
    bad = admin.post(f"/campaigns/{cid}/roster", {"dt-on_date": "116/02/06", "dt-person": "王社工", "dt-phone": "沒有",
                                                  "dt-unit_id": "0", "dt-note": "我寫的備註"})
    assert bad.status_code == 422 and "值勤電話" in bad.text and "我寫的備註" in bad.text
    assert admin.post(f"/campaigns/{cid}/roster", {"dt-on_date": "116/02/06", "dt-person": "王社工", "dt-phone": "02-2345-6789",
                                                   "dt-unit_id": "0", "dt-hours": "全日"}).status_code == 303
    page = admin.get(f"/campaigns/{cid}/roster").text
    assert "王社工" in page and "02-2345-6789" in page and "116/02/06" in page
    ministry = as_user("moh.protect").get(f"/campaigns/{cid}/roster").text
    assert "臺北市" in ministry and "王社工" in ministry and "尚未排定值勤" in ministry and "花蓮縣" in ministry
    assert "加入值勤" not in ministry
    assert "王社工" not in as_user("hua.admin").get(f"/campaigns/{cid}/roster").text
    from app.campaigns.models import DutyContact

    with tenancy.all_tenants("test"):
        duty_id = db.session.scalars(sa.select(DutyContact.id)).one()
    assert as_user("hua.admin").post(f"/campaigns/{cid}/roster/{duty_id}/delete", {}).status_code == 404
    assert admin.post(f"/campaigns/{cid}/roster/{duty_id}/delete", {}).status_code == 303
    assert "王社工" not in admin.get(f"/campaigns/{cid}/roster").text

"""Defect 1 of step 10: the public report form with 縣市 or 行政區 left on 「請選擇」 (value 0),
or any other choice the form does not offer, answers 422 with the message beside the field and
everything typed kept; nothing is lost, nothing reaches the queue, never a 500."""
import sqlalchemy as sa

from app.core import tenancy
from app.intake.models import Report
from tests.intake.helpers import report_form


def _reports(db):
    with tenancy.all_tenants("test"):
        return db.session.scalar(sa.select(sa.func.count(Report.id)))


def _kept(body):
    return ('value="王小明"' in body and 'value="104/03/05"' in body and "繳不出房租" in body
            and 'value="熱心鄰居"' in body and "0912-000-111" in body and 'value="重慶南路一段122號"' in body)


def test_county_left_on_placeholder(client, db, factories):
    client.refresh_csrf("/report")
    response = client.post("/report", report_form(factories, county_id="0", district_id="0"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="county_id-error"' in body and "請選擇「案家所在縣市」" in body
    assert 'id="district_id-error"' in body and "請選擇「案家所在行政區」" in body
    assert _kept(body) and _reports(db) == 0


def test_district_left_on_placeholder_keeps_the_county_and_its_districts(client, db, factories):
    taipei = factories.county("臺北市")
    client.refresh_csrf("/report")
    response = client.post("/report", report_form(factories, district_id="0"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "請選擇「案家所在行政區」" in body
    assert f'<option selected value="{taipei.id}">' in body and "萬華區" in body  # the county stays chosen
    assert _kept(body) and _reports(db) == 0
    # fixed, it goes through
    district = next(d for d in taipei.districts if d.name == "中正區")
    assert client.post("/report", report_form(factories, district_id=district.id)).status_code == 303
    assert _reports(db) == 1


def test_values_the_form_does_not_offer(client, db, factories):
    client.refresh_csrf("/report")
    cases = [
        ({"county_id": "99999"}, "「案家所在縣市」的選項不在清單中"),
        ({"county_id": "abc"}, "「案家所在縣市」的選項不在清單中"),
        ({"county_id": ""}, "請選擇「案家所在縣市」"),
        ({"district_id": "abc"}, "行政區不在所選的縣市內"),
        ({"district_id": "99999999999"}, "行政區不在所選的縣市內"),
        ({"persons-0-sex": "X"}, "「性別」的選項不在清單中"),
        ({"persons-0-relation": "0"}, "「與案主關係」的選項不在清單中"),
        ({"concerns": ["vulnerable_family", "nonsense"]}, "「您擔心的情形」的選項不在清單中"),
        ({"reporter_type": "alien"}, "「您的身分」的選項不在清單中"),
        ({"reporter_profession": "astronaut"}, "「專業類別」的選項不在清單中"),
    ]
    for overrides, message in cases:
        response = client.post("/report", report_form(factories, **overrides))
        body = response.get_data(as_text=True)
        assert response.status_code == 422, overrides
        assert message in body, (overrides, message)
        assert _kept(body), overrides
    assert _reports(db) == 0

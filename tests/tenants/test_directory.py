"""Reference data, and county administrators managing their units."""
import sqlalchemy as sa

from app.tenants.models import County, District, PartnerOrganisation, Unit, UnitKind
from app.tenants.seed import seed_reference_data


def test_reference_data(db, factories):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(County)) == 22
    assert db.session.scalar(sa.select(sa.func.count()).select_from(District)) == 368
    taipei = factories.county("臺北市")
    assert taipei.code == "6300000000"
    assert factories.county("花蓮縣").code == "1001500000"
    centres = db.session.scalars(
        sa.select(Unit).where(Unit.county_id == taipei.id, Unit.kind == UnitKind.WELFARE_CENTRE)
    ).all()
    assert len(centres) == 12
    served = sorted(d.name for c in centres for d in c.districts)
    assert served == sorted(d.name for d in taipei.districts)  # every district exactly once
    for county in db.session.scalars(sa.select(County)):
        kinds = {u.kind for u in db.session.scalars(sa.select(Unit).where(Unit.county_id == county.id))}
        assert {UnitKind.SOCIAL_AFFAIRS_BUREAU, UnitKind.DISPATCH_CENTRE, UnitKind.DV_CENTRE,
                UnitKind.MENTAL_HEALTH} <= kinds, county.name
    east = factories.unit("東區老人之家")
    assert sorted(a.county.name for a in east.responsibility_areas) == ["臺東縣", "花蓮縣"]
    assert factories.unit("保護服務司").short_name == "保護司"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartnerOrganisation)) == 3


def test_seeding_twice_changes_nothing(db):
    before = seed_reference_data()
    after = seed_reference_data()
    assert before == after


def test_county_admin_lists_and_creates_a_welfare_centre(as_user, factories, db):
    admin = as_user("hua.admin")
    hualien = factories.county("花蓮縣")
    page = admin.get("/admin/units").get_data(as_text=True)
    assert "花蓮縣花蓮社會福利服務中心" in page
    # 吉安鄉 is already served by 吉安社福中心: a second centre for it is refused
    jian = next(d for d in hualien.districts if d.name == "吉安鄉")
    refused = admin.post("/admin/units/new", {"kind": "welfare_centre", "name": "花蓮縣第二吉安社會福利服務中心",
                                              "districts": [jian.id], "is_active": "y"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "吉安鄉已由「花蓮縣吉安社會福利服務中心」服務" in body
    assert 'value="花蓮縣第二吉安社會福利服務中心"' in body  # what was typed is still there
    none = admin.post("/admin/units/new", {"kind": "welfare_centre", "name": "無區中心", "is_active": "y"})
    assert none.status_code == 422 and "至少服務一個行政區" in none.get_data(as_text=True)
    ok = admin.post("/admin/units/new", {"kind": "labour", "name": "花蓮縣政府就業服務站", "is_active": "y"})
    assert ok.status_code == 303
    unit = factories.unit("花蓮縣政府就業服務站")
    assert unit.county_id == hualien.id and unit.kind == UnitKind.LABOUR


def test_county_admin_moves_a_district_between_centres(as_user, factories, db):
    admin = as_user("tpe.admin")
    zhongzheng = factories.unit("臺北市中正社會福利服務中心")
    wanhua = factories.unit("臺北市萬華社會福利服務中心")
    taipei = factories.county("臺北市")
    ids = {d.name: d.id for d in taipei.districts}
    # free 萬華區 first, then give it to 中正
    response = admin.post(f"/admin/units/{wanhua.id}", {"kind": "welfare_centre", "name": wanhua.name,
                                                        "districts": [ids["中正區"]], "is_active": ""})
    assert response.status_code == 303
    response = admin.post(f"/admin/units/{zhongzheng.id}", {"kind": "welfare_centre", "name": zhongzheng.name,
                                                           "districts": [ids["中正區"], ids["萬華區"]], "is_active": "y"})
    assert response.status_code == 303
    db.session.refresh(zhongzheng)
    assert [d.name for d in zhongzheng.districts] == ["中正區", "萬華區"]


def test_unit_names_are_unique_within_a_county(as_user, factories):
    admin = as_user("tpe.admin")
    response = admin.post("/admin/units/new", {"kind": "police", "name": "臺北市政府警察局", "is_active": "y"})
    assert response.status_code == 422 and "已有名為" in response.get_data(as_text=True)


def test_sysadmin_manages_partners_and_ministry_units(as_user, factories, db):
    sysadmin = as_user("sysadmin")
    taipei, hualien = factories.county("臺北市"), factories.county("花蓮縣")
    response = sysadmin.post("/system/partners/new", {"name": "財團法人勵馨社會福利事業基金會", "short_name": "勵馨基金會",
                                                      "counties": [taipei.id, hualien.id], "is_active": "y"})
    assert response.status_code == 303
    org = db.session.scalars(sa.select(PartnerOrganisation).where(PartnerOrganisation.short_name == "勵馨基金會")).one()
    assert sorted(c.name for c in org.counties) == ["臺北市", "花蓮縣"]
    outside = sysadmin.post(f"/system/partners/{org.id}/branches", {"name": "勵馨高雄服務處",
                                                                   "county_id": factories.county("高雄市").id})
    assert outside.status_code == 422
    ok = sysadmin.post(f"/system/partners/{org.id}/branches", {"name": "勵馨花蓮服務處", "county_id": hualien.id})
    assert ok.status_code == 303
    db.session.refresh(org)
    assert [b.name for b in org.branches] == ["勵馨花蓮服務處"]

    home = factories.unit("東區老人之家")
    penghu = factories.county("澎湖縣")
    response = sysadmin.post(f"/system/ministry/{home.id}", {"kind": "ministry_institution", "agency": "衛生福利部",
                                                            "name": "東區老人之家", "short_name": "",
                                                            "counties": [hualien.id, penghu.id], "is_active": "y"})
    assert response.status_code == 303
    db.session.refresh(home)
    assert sorted(a.county.name for a in home.responsibility_areas) == ["澎湖縣", "花蓮縣"]
    pages = [sysadmin.get(u).status_code for u in ("/system/counties", "/system/partners", "/system/ministry",
                                                   f"/system/counties/{taipei.id}")]
    assert pages == [200, 200, 200, 200]

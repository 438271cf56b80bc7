"""A county's visit list from its open cases: who is on it and why, the same
list when computed twice, manual indicators, the visiting unit, and what other
counties and roles can reach."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.campaigns import services
from app.campaigns.models import EntrySource, VisitEntry
from app.core import tenancy


def test_the_list_names_who_qualifies_and_why_and_is_the_same_when_computed_again(taipei_cases, factories):
    t = taipei_cases
    assert t["campaign"].starts_on == date(2027, 1, 22) and t["campaign"].ends_on == date(2027, 2, 21)
    with tenancy.tenant_scope(t["taipei"].id):
        first = services.compute_list(t["campaign"], t["taipei"].id, on=date(2027, 1, 20))
        entries = {e.case_id: e for e in services.db.session.scalars(sa.select(VisitEntry))}
        assert first["listed"] == 2 and set(entries) == {t["drug"].id, t["young"].id}
        drug, young = entries[t["drug"].id], entries[t["young"].id]
        assert drug.indicators == ["1C"] and drug.in_person and drug.source == EntrySource.RULES
        assert young.indicators == ["2A", "2C"] and not young.in_person
        assert drug.visiting_unit_id == t["centre"].id and drug.rule_set_id == t["campaign"].rule_set_id
        snapshot = sorted((e.case_id, tuple(e.indicators), e.in_person) for e in entries.values())
        again = services.compute_list(t["campaign"], t["taipei"].id, on=date(2027, 1, 20))
        assert again == {**first, "added": 0}
        assert sorted((e.case_id, tuple(e.indicators), e.in_person)
                      for e in services.db.session.scalars(sa.select(VisitEntry))) == snapshot
        # a worker's judgement brings in the third family
        with pytest.raises(services.CampaignError, match="理由"):
            services.tick(t["campaign"], t["plain"], "1D", " ", factories.user("tpe.admin"))
        with pytest.raises(services.CampaignError, match="自動判斷"):
            services.tick(t["campaign"], t["plain"], "2A", "幼兒", factories.user("tpe.admin"))
        services.tick(t["campaign"], t["plain"], "1D", "案父 12 月失業", factories.user("tpe.admin"))
        assert services.compute_list(t["campaign"], t["taipei"].id)["listed"] == 3
    with tenancy.tenant_scope(factories.county("花蓮縣").id):
        assert services.compute_list(t["campaign"], factories.county("花蓮縣").id)["listed"] == 0
        assert services.db.session.scalars(sa.select(VisitEntry)).all() == []


def test_county_administrator_computes_and_sets_the_visiting_unit(taipei_cases, as_user, db, inline_jobs):
    t = taipei_cases
    drug, plain, cid = t["drug"].case_no, t["plain"].case_no, t["campaign"].id  # read before the commit expires them
    db.session.commit()
    admin = as_user("tpe.admin")
    assert admin.post(f"/campaigns/{cid}/compute", {}).status_code == 303
    page = admin.get(f"/campaigns/{cid}").text
    assert "一級C" in page and "二級A" in page and "案家成員有精神照護、自殺防治、毒危列管相關紀錄" in page
    assert drug in page and plain not in page
    refused = admin.post(f"/campaigns/{cid}/tick", {"tk-case_no": plain, "tk-code": "1D", "tk-reason": ""})
    assert refused.status_code == 422 and plain in refused.text  # what was typed is kept
    assert admin.post(f"/campaigns/{cid}/tick", {"tk-case_no": plain, "tk-code": "1D",
                                                 "tk-reason": "案父失業"}).status_code == 303
    page = admin.get(f"/campaigns/{cid}").text
    assert plain in page and "案父失業" in page
    assert drug not in as_user("hua.admin").get(f"/campaigns/{cid}").text
    assert as_user("tpe.sw1").get(f"/campaigns/{cid}").status_code == 404  # a URL naming a record: refused as absent
    ministry = as_user("moh.protect")
    assert ministry.get("/campaigns/rules").status_code == 200
    bad = ministry.post("/campaigns/rules", {"ru-rules": "{not json", "ru-note": "試"})
    assert bad.status_code == 422 and "JSON" in bad.text and "{not json" in bad.text


def test_forged_ids_reach_nothing_of_another_county(taipei_cases, as_user, db, factories):
    """Another county's unit or family, typed into the forms, is refused."""
    t = taipei_cases
    cid = t["campaign"].id
    with tenancy.tenant_scope(t["taipei"].id):
        services.compute_list(t["campaign"], t["taipei"].id)
        entry_id = services.db.session.scalars(sa.select(VisitEntry.id)).first()
    hualien_centre = factories.unit("花蓮縣花蓮社會福利服務中心").id
    hualien_case = None
    with tenancy.tenant_scope(factories.county("花蓮縣").id):
        from app.intake import services as intake
        from app.intake.reference import ReportingChannel

        hualien = factories.county("花蓮縣")
        report, _ = intake.receive(hualien, intake.ReportInput(
            district_id=hualien.districts[0].id, concerns=["vulnerable_family"], narrative="花蓮",
            persons=[intake.PersonInput(name="花蓮童", relation="child")]), ReportingChannel("36"))
        intake.claim(report, factories.user("hua.dispatch"))
        hualien_case = intake.dispatch(report, factories.user("hua.dispatch"), factories.unit("花蓮縣花蓮社會福利服務中心")).case_no
    db.session.commit()
    admin = as_user("tpe.admin")
    forged = admin.post(f"/campaigns/{cid}/entries/{entry_id}/unit", {"vu-unit_id": hualien_centre})
    assert forged.status_code == 422 and "本縣市" in forged.text
    forged = admin.post(f"/campaigns/{cid}/tick", {"tk-case_no": hualien_case, "tk-code": "1D", "tk-reason": "x"})
    assert forged.status_code == 422 and "找不到本縣市案號" in forged.text
    assert as_user("hua.admin").post(f"/campaigns/{cid}/entries/{entry_id}/unit",
                                     {"vu-unit_id": hualien_centre}).status_code == 404


def test_a_partner_organisation_can_visit_only_in_counties_it_serves(taipei_cases, factories):
    t = taipei_cases
    with tenancy.tenant_scope(t["taipei"].id):
        services.compute_list(t["campaign"], t["taipei"].id)
        entry = services.db.session.scalars(sa.select(VisitEntry)).first()
        services.set_visiting_unit(entry, factories.unit("家扶基金會臺北市服務處"))  # 家扶 serves 臺北市
        from app.tenants.models import PartnerOrganisation, Unit, UnitKind

        stranger = PartnerOrganisation(name="只服務高雄的團體", short_name="高雄團體",
                                       counties=[factories.county("高雄市")])
        branch = Unit(kind=UnitKind.PARTNER_BRANCH, name="高雄團體服務處", partner_org=stranger)
        services.db.session.add_all([stranger, branch])
        services.db.session.flush()
        with pytest.raises(services.CampaignError, match="服務本縣市"):
            services.set_visiting_unit(entry, branch)


def test_visiting_units_can_be_told_apart(taipei_cases, as_user, db):
    """Each visiting unit is offered once and names its branch and county: the list once read
    「家扶基金會（民間）」 four times for three branches (a branch in the county came twice)."""
    import re
    from html import unescape

    from app.tenants.labels import unit_choices

    t = taipei_cases
    choices = unit_choices(services.visiting_unit_choices(t["taipei"].id))
    ids = [uid for uid, _ in choices]
    labels = [label for _, label in choices]
    assert len(ids) == len(set(ids)) and len(labels) == len(set(labels))
    partner = [label for label in labels if "民間團體" in label]
    assert "家扶基金會臺北市服務處（民間團體）" in partner and "家扶基金會花蓮縣服務處（民間團體）" in partner
    assert any(label.startswith("臺北市中正社會福利服務中心（中正區") for label in labels)
    with tenancy.tenant_scope(t["taipei"].id):
        services.compute_list(t["campaign"], t["taipei"].id)
    db.session.commit()
    page = as_user("tpe.admin").get(f"/campaigns/{t['campaign'].id}").text
    selects = re.findall(r'<select[^>]*name="vu-unit_id"[^>]*>(.*?)</select>', page, re.S)
    assert selects
    for select in selects:
        options = [unescape(o).strip() for o in re.findall(r"<option[^>]*>(.*?)</option>", select, re.S)]
        assert len(options) == len(set(options)) and "家扶基金會（民間）" not in options

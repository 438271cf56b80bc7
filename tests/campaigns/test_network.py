"""Families from the network units' lists (health, education, police, civil
affairs, fire): by case number or by a CSV import that adds the valid rows and
reports every rejected one with its line and reason; kept on recomputing."""
import io
from datetime import date

import pytest
import sqlalchemy as sa

from app.campaigns import services
from app.campaigns.models import EntrySource, NetworkKind, VisitEntry
from app.cases.models import CaseMember
from app.core import tenancy


@pytest.fixture
def computed(taipei_cases, monkeypatch):
    t = taipei_cases
    monkeypatch.setattr(services, "today", lambda: date(2027, 1, 20))
    with tenancy.tenant_scope(t["taipei"].id):
        services.compute_list(t["campaign"], t["taipei"].id)
    return t


def test_a_network_family_is_added_by_case_and_kept_when_the_list_is_recomputed(computed, factories):
    t = computed
    admin = factories.user("tpe.admin")
    with tenancy.tenant_scope(t["taipei"].id):
        with pytest.raises(services.CampaignError, match="理由"):
            services.add_network_entry(t["campaign"], t["taipei"].id, t["plain"], "health", " ", admin)
        with pytest.raises(services.CampaignError, match="已依關懷指標列入"):
            services.add_network_entry(t["campaign"], t["taipei"].id, t["drug"], "police", "毒品治安顧慮人口", admin)
        entry = services.add_network_entry(t["campaign"], t["taipei"].id, t["plain"], "health", "未完成預防接種", admin)
        assert entry.source == EntrySource.NETWORK and entry.network_kind == NetworkKind.HEALTH
        assert entry.visiting_unit_id == t["centre"].id and entry.rule_set_id == t["campaign"].rule_set_id
        assert services.compute_list(t["campaign"], t["taipei"].id)["listed"] == 2  # by the rules
        assert services.db.session.scalar(sa.select(sa.func.count(VisitEntry.id))) == 3  # plus the network family
    with tenancy.tenant_scope(factories.county("花蓮縣").id):
        with pytest.raises(services.CampaignError, match="本縣市"):
            services.add_network_entry(t["campaign"], factories.county("花蓮縣").id, t["plain"], "health", "x", admin)


def test_a_csv_import_adds_the_valid_rows_and_reports_each_rejected_one(computed, factories, db):
    t = computed
    with tenancy.tenant_scope(t["taipei"].id):
        mother = db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == t["plain"].id,
                                                                CaseMember.relation == "mother")).one()
        mother.id_number = "A223456789"
        db.session.flush()
        text = ("案號,身分證字號,網絡單位,說明\n"
                ",A223456789,教育局,高關懷個案（黃小妹）\n"
                f"{t['young'].case_no},,衛生,未完成預防接種\n"  # already listed by the rules
                "X-404,,警政,不存在的案號\n"
                f"{t['plain'].case_no},,消防,同一戶又一列\n"
                ",B100000000,民政,查無此人\n"
                f"{t['drug'].case_no},,社會,不是網絡單位\n"
                ",,衛生,\n"
                "\n")
        result = services.import_network_csv(t["campaign"], t["taipei"].id, text.encode("cp950"), factories.user("tpe.admin"))
        assert (result.added, result.updated) == (1, 0)
        assert [(line, why.split("，")[0]) for line, _, why in result.rejected] == [
            (3, f"{t['young'].case_no} 已依關懷指標列入名單"), (4, "找不到本縣市案號 X-404"), (5, "與第 2 列是同一戶"),
            (6, "這個身分證字號不在本縣市的在案家庭中"), (7, "網絡單位「社會」不是 衛生、教育、警政、民政、消防 之一"),
            (8, "案號與身分證字號都是空白")]
        assert result.rejected[3][1][1] == "B10****000"  # an ID number is never echoed whole
        entry = db.session.scalars(sa.select(VisitEntry).where(VisitEntry.case_id == t["plain"].id)).one()
        assert entry.network_kind == NetworkKind.EDUCATION and entry.reason == "高關懷個案（黃小妹）"
        again = services.import_network_csv(t["campaign"], t["taipei"].id,
                                            f"案號,網絡單位,說明\n{t['plain'].case_no},民政,村里長反映\n".encode("utf-8-sig"))
        assert (again.added, again.updated, again.rejected) == (0, 1, [])
        with pytest.raises(services.CampaignError, match="欄名"):
            services.import_network_csv(t["campaign"], t["taipei"].id, "姓名,電話\n王,02\n".encode())
        with pytest.raises(services.CampaignError, match="編碼"):
            services.import_network_csv(t["campaign"], t["taipei"].id, b"\xff\xfe\x00\x81\x00")
        with pytest.raises(services.CampaignError, match="沒有任何資料列"):  # found by test_form_fuzz
            services.import_network_csv(t["campaign"], t["taipei"].id, "案號,網絡單位,說明\n,,\n\n".encode())


def test_the_import_page_shows_the_report_and_the_single_form_keeps_what_was_typed(computed, as_user, db):
    t = computed
    cid, young, plain = t["campaign"].id, t["young"].case_no, t["plain"].case_no
    db.session.commit()
    admin = as_user("tpe.admin")
    refused = admin.post(f"/campaigns/{cid}/network", {"nw-case_no": young, "nw-kind": "health", "nw-reason": "我寫的理由"})
    assert refused.status_code == 422 and "已依關懷指標列入" in refused.text and "我寫的理由" in refused.text
    csv_text = f"案號,網絡單位,說明\n{plain},衛生,未完成預防接種\nZZZ,衛生,打錯\n"
    page = admin.post(f"/campaigns/{cid}/network/import", {"im-file": (io.BytesIO(csv_text.encode()), "list.csv")},
                      content_type="multipart/form-data")
    assert page.status_code == 200 and "新增 1 戶" in page.text and "第 3 列" in page.text and "找不到本縣市案號 ZZZ" in page.text
    listed = admin.get(f"/campaigns/{cid}").text
    assert plain in listed and "網絡單位查訪：衛生" in listed and "未完成預防接種" in listed
    assert as_user("hua.admin").post(f"/campaigns/{cid}/network", {"nw-case_no": plain, "nw-kind": "health",
                                                                    "nw-reason": "x"}).status_code == 422
    # another county's import naming 臺北市's case numbers finds none of them
    other = as_user("hua.admin").post(f"/campaigns/{cid}/network/import",
                                      {"im-file": (io.BytesIO(f"案號,網絡單位,說明\n{young},衛生,x\n".encode()), "l.csv")},
                                      content_type="multipart/form-data")
    assert other.status_code == 422 and f"找不到本縣市案號 {young}" in other.text
    # nothing imported is an error, announced as one (found by test_form_fuzz: it read as a success box)
    assert 'alert-danger" id="import-report"' in other.text and 'role="alert"' in other.text

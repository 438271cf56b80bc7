"""社安網2.0 on the case page and the catalogue page: marks, 育兒指導, removal requests typed wrong (the message
in Chinese beside the field, nothing lost), another county's worker, the catalogue by date."""
from datetime import date, timedelta

import sqlalchemy as sa

from app.cases.models import CaseService, CaseTargetGroup, FamilyCase, ImageRemovalRequest, ServiceCatalogueItem
from app.core import calendar, tenancy
from app.core.filters import roc_date
from app.intake.reference import Relation


def _open_case(db, county):
    with tenancy.tenant_scope(county.id):
        case = db.session.scalars(sa.select(FamilyCase).where(FamilyCase.family_name == "邱○○家")).first()
        mother = next(m for m in case.members if Relation(m.relation) == Relation.MOTHER)
        return case.id, mother.id, case.received_at


def test_a_worker_marks_a_new_parent_and_records_parenting_guidance(as_user, demo, db):
    case_id, mother_id, received = _open_case(db, demo)
    worker = as_user("tpe.sw1")
    page = worker.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "社安網2.0 服務對象" in page.text and "策略一 攜幼扶老" in page.text and "獨老關懷訪視" in page.text
    assert ">近貧人口<" in page.text  # the 福利身分別 offered today come from the reference data
    today = roc_date(calendar.today(), "short")
    marked = worker.post(f"/cases/{case_id}/target-groups", {"tg-group_code": "new_parent", "tg-member_id": str(mother_id),
                                                             "tg-since": today, "tg-note": "新生兒"})
    assert marked.status_code == 303
    service = worker.post(f"/cases/{case_id}/services", {"sv-item": "g_parenting_guidance", "sv-status": "delivered",
                                                         "sv-on": today, "sv-note": "到宅育兒指導"})
    assert service.status_code == 303
    page = worker.get(f"/cases/{case_id}")
    assert "新手父母：" in page.text and "育兒指導（擴大育兒指導）" in page.text
    assert "社安網2.0（115–119年）・策略一 攜幼扶老" in page.text
    again = worker.post(f"/cases/{case_id}/target-groups", {"tg-group_code": "new_parent", "tg-member_id": str(mother_id),
                                                            "tg-since": today})
    assert again.status_code == 422 and "已註記為「新手父母」" in again.text and 'id="tg-group_code-error"' in again.text
    with tenancy.tenant_scope(demo.id):
        assert db.session.scalar(sa.select(sa.func.count(CaseTargetGroup.id)).where(CaseTargetGroup.case_id == case_id)) == 1
        assert db.session.scalar(sa.select(sa.func.count(CaseService.id)).where(
            CaseService.case_id == case_id, CaseService.item == "g_parenting_guidance")) == 1


def test_a_removal_request_typed_wrong_is_refused_beside_the_field_and_kept(as_user, demo, db):
    case_id, _, _ = _open_case(db, demo)
    worker = as_user("tpe.sw1")
    form = {"ir-platform": "Instagram 私人帳號", "ir-member_id": "0", "ir-outcome": "pending", "ir-outcome_on": "",
            "ir-note": "被害人提供網址三筆"}
    western = worker.post(f"/cases/{case_id}/image-removals", {**form, "ir-asked_on": "03/15/2026"})
    assert western.status_code == 422
    assert 'id="ir-asked_on-error"' in western.text and "日期格式看不懂" in western.text
    assert "Instagram 私人帳號" in western.text and "被害人提供網址三筆" in western.text and "03/15/2026" in western.text
    future = worker.post(f"/cases/{case_id}/image-removals",
                         {**form, "ir-asked_on": roc_date(calendar.today() + timedelta(days=3), "short")})
    assert future.status_code == 422 and "不可晚於今天" in future.text
    asked = calendar.today() - timedelta(days=5)
    early = worker.post(f"/cases/{case_id}/image-removals", {**form, "ir-asked_on": roc_date(asked, "short"), "ir-outcome": "removed",
                                                             "ir-outcome_on": roc_date(asked - timedelta(days=1), "short")})
    assert early.status_code == 422 and "不可早於申請日期" in early.text and 'id="ir-outcome_on-error"' in early.text
    with tenancy.tenant_scope(demo.id):
        assert db.session.scalar(sa.select(sa.func.count(ImageRemovalRequest.id)).where(ImageRemovalRequest.case_id == case_id)) == 0
    made = worker.post(f"/cases/{case_id}/image-removals", {**form, "ir-asked_on": roc_date(asked, "short")})
    assert made.status_code == 303
    with tenancy.tenant_scope(demo.id):
        request_id = db.session.scalars(sa.select(ImageRemovalRequest.id).where(ImageRemovalRequest.case_id == case_id)).one()
    refused = worker.post(f"/cases/{case_id}/image-removals/{request_id}/outcome", {"io-outcome": "removed", "io-outcome_on": "115/13/40"})
    assert refused.status_code == 422 and "這個日期不存在" in refused.text and "115/13/40" in refused.text
    done = worker.post(f"/cases/{case_id}/image-removals/{request_id}/outcome",
                       {"io-outcome": "removed", "io-outcome_on": roc_date(calendar.today(), "short")})
    assert done.status_code == 303
    page = worker.get(f"/cases/{case_id}")
    assert "Instagram 私人帳號" in page.text and "已移除" in page.text


def test_another_countys_worker_sees_nothing(as_user, demo, db):
    case_id, _, _ = _open_case(db, demo)
    other = as_user("hua.sw1")
    assert other.post(f"/cases/{case_id}/target-groups", {"tg-group_code": "elder_alone", "tg-member_id": "0",
                                                          "tg-since": "115/03/01"}).status_code == 404
    assert other.post(f"/cases/{case_id}/image-removals", {"ir-platform": "x", "ir-asked_on": "115/03/01",
                                                           "ir-outcome": "pending"}).status_code == 404


def test_the_catalogue_page_by_date_shows_each_services_strategy(as_user, db):
    worker = as_user("tpe.sw1")
    now = worker.get("/reference/catalogue")
    assert now.status_code == 200 and "策略一 攜幼扶老" in now.text and "獨老關懷訪視" in now.text and "遭受性影像暴力者" in now.text
    then = worker.get("/reference/catalogue?on=114/06/01")
    assert "策略一 擴增家庭服務資源" in then.text and "獨老關懷訪視" not in then.text and "遭受性影像暴力者" not in then.text
    bad = worker.get("/reference/catalogue?on=2026/13/01")
    assert bad.status_code == 200 and "這個日期不存在" in bad.text


def test_the_ministry_adds_a_catalogue_version_and_recorded_services_keep_theirs(as_user, db):
    ministry = as_user("moh.sfaa")
    page = ministry.get("/reference/catalogue/new")
    assert page.status_code == 200 and "g_elder_visit｜獨老關懷訪視" in page.text
    start = calendar.today() + timedelta(days=30)
    lines = "g_elder_visit｜獨老關懷訪視（新版）｜一般家庭｜策略一 攜幼扶老｜否｜elder_alone\ns1_consultation｜福利諮詢｜一般家庭｜策略一 攜幼扶老｜否"
    bad = ministry.post("/reference/catalogue/new", {"version": "測試版", "effective_from": roc_date(start, "short"),
                                                    "lines": lines + "\nbad line"})
    assert bad.status_code == 422 and "第 3 行" in bad.text and "獨老關懷訪視（新版）" in bad.text
    made = ministry.post("/reference/catalogue/new", {"version": "測試版", "effective_from": roc_date(start, "short"), "lines": lines})
    assert made.status_code == 303
    current = db.session.scalars(sa.select(ServiceCatalogueItem).where(ServiceCatalogueItem.code == "g_elder_visit")
                                 .order_by(ServiceCatalogueItem.effective_from)).all()
    assert [v.label for v in current] == ["獨老關懷訪視", "獨老關懷訪視（新版）"]
    assert current[0].effective_to == start - timedelta(days=1) and current[0].effective_from == date(2026, 1, 1)


def test_a_worker_ends_a_mark_and_corrects_a_removal_outcome_keeping_the_old_value(as_user, demo, db):
    case_id, mother_id, _ = _open_case(db, demo)
    worker = as_user("tpe.sw1")
    today = roc_date(calendar.today(), "short")
    assert worker.post(f"/cases/{case_id}/target-groups", {"tg-group_code": "new_parent", "tg-member_id": str(mother_id),
                                                           "tg-since": today}).status_code == 303
    with tenancy.tenant_scope(demo.id):
        mark_id = db.session.scalars(sa.select(CaseTargetGroup.id).where(CaseTargetGroup.case_id == case_id,
                                                                         CaseTargetGroup.group_code == "new_parent")).one()
    page = worker.get(f"/cases/{case_id}")
    assert f'action="/cases/{case_id}/target-groups/{mark_id}/end"' in page.text
    western = worker.post(f"/cases/{case_id}/target-groups/{mark_id}/end", {"te-ended_on": "2026/12/01", "te-reason": "我打的理由"})
    assert western.status_code == 422 and f'id="te{mark_id}-ended_on-error"' in western.text
    assert "我打的理由" in western.text and "2026/12/01" in western.text
    no_reason = worker.post(f"/cases/{case_id}/target-groups/{mark_id}/end", {"te-ended_on": today, "te-reason": ""})
    assert no_reason.status_code == 422 and "請填寫「結束理由」" in no_reason.text
    assert worker.post(f"/cases/{case_id}/target-groups/{mark_id}/end",
                       {"te-ended_on": today, "te-reason": "子女出養"}).status_code == 303
    page = worker.get(f"/cases/{case_id}")
    assert f"至 {today} 止" in page.text and "子女出養" in page.text and "已結束" in page.text

    asked = roc_date(calendar.today() - timedelta(days=5), "short")
    assert worker.post(f"/cases/{case_id}/image-removals", {"ir-platform": "論壇甲", "ir-member_id": "0", "ir-outcome": "removed",
                                                            "ir-asked_on": asked, "ir-outcome_on": today}).status_code == 303
    with tenancy.tenant_scope(demo.id):
        request_id = db.session.scalars(sa.select(ImageRemovalRequest.id).where(ImageRemovalRequest.case_id == case_id)).one()
    empty = worker.post(f"/cases/{case_id}/image-removals/{request_id}/correction",
                        {"ic-outcome": "pending", "ic-outcome_on": "", "ic-reason": ""})
    assert empty.status_code == 422 and "請填寫「更正理由」" in empty.text
    dated = worker.post(f"/cases/{case_id}/image-removals/{request_id}/correction",
                        {"ic-outcome": "pending", "ic-outcome_on": today, "ic-reason": "誤按已移除"})
    assert dated.status_code == 422 and f'id="ic{request_id}-outcome_on-error"' in dated.text and "誤按已移除" in dated.text
    assert worker.post(f"/cases/{case_id}/image-removals/{request_id}/correction",
                       {"ic-outcome": "pending", "ic-outcome_on": "", "ic-reason": "誤按已移除"}).status_code == 303
    page = worker.get(f"/cases/{case_id}")
    assert "原「已移除" in page.text and "→「待處理」" in page.text and "誤按已移除" in page.text
    assert f'action="/cases/{case_id}/image-removals/{request_id}/outcome"' in page.text  # pending again: 記錄結果
    other = as_user("hua.sw1")
    assert other.post(f"/cases/{case_id}/target-groups/{mark_id}/end", {"te-ended_on": today, "te-reason": "x"}).status_code == 404
    assert other.post(f"/cases/{case_id}/image-removals/{request_id}/correction",
                      {"ic-outcome": "refused", "ic-outcome_on": today, "ic-reason": "x"}).status_code == 404

"""Household members on the family record (issue 18, defect 3): the lead unit's worker adds a member, corrects a
name, ID number or birth date (the previous value kept in a visible history and in the audit log) and ends a
membership (遷出, 死亡, 其他) without deleting anything; possible duplicates in the same county are flagged as at
intake, never across counties; a 協力 unit reads, another county or a unit not on the case gets 404."""
from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from app.audit.models import AuditAction, AuditEvent
from app.cases.models import CaseMember, CaseMemberChange, FamilyCase
from app.core import idnumbers, tenancy

HTMX = {"HX-Request": "true"}


def valid_id(first9: str) -> str:
    """The ID number with its check digit (the letter and eight digits given)."""
    return next(first9 + str(d) for d in range(10) if idnumbers.is_valid(first9 + str(d)))


def wrong_check_digit(first9: str) -> str:
    good = valid_id(first9)
    return first9 + str((int(good[-1]) + 1) % 10)


MOTHER_ID = valid_id("A22345678")
OTHER_CASE_ID = valid_id("A12222333")
HUA_ID = valid_id("U12000111")


def _case(county, dispatcher, lead, persons, collaborators=()):
    from app.intake import services
    from app.intake.reference import ReportingChannel

    district = county.districts[0]
    with tenancy.tenant_scope(county.id):
        data = services.ReportInput(district_id=district.id, concerns=["vulnerable_family"], narrative="成員測試",
                                    address=f"{county.name}測試路1號",
                                    persons=[services.PersonInput(**p) for p in persons])
        report, _ = services.receive(county, data, ReportingChannel("36"))
        services.claim(report, dispatcher)
        case = services.dispatch(report, dispatcher, lead, collaborators=list(collaborators))
        return case.id, [m.id for m in case.members]


@pytest.fixture
def family(db, factories):
    """A 中正 family (家防中心 協力), another open 中正 family holding OTHER_CASE_ID, a 花蓮 family holding HUA_ID."""
    taipei, hualien = factories.county("臺北市"), factories.county("花蓮縣")
    case_id, (child, father) = _case(taipei, factories.user("tpe.dispatch"), factories.unit("臺北市中正社會福利服務中心"),
                 [{"name": "王小明", "relation": "subject", "sex": "M", "birth_date": date(2016, 3, 1)},
                  {"name": "王大華", "relation": "father", "sex": "M"}],
                 collaborators=[factories.unit("臺北市家庭暴力暨性侵害防治中心")])
    _case(taipei, factories.user("tpe.dispatch"), factories.unit("臺北市中正社會福利服務中心"),
          [{"name": "林阿姨", "relation": "subject", "sex": "F", "id_number": OTHER_CASE_ID}])
    _case(hualien, factories.user("hua.dispatch"), factories.unit("花蓮縣花蓮社會福利服務中心"),
          [{"name": "花蓮人", "relation": "subject", "sex": "F", "id_number": HUA_ID}])
    db.session.commit()
    return {"case": case_id, "child": child, "father": father, "tenant": taipei.id}


def _members(db, case_id):
    with tenancy.all_tenants("test"):
        db.session.expire_all()
        return db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == case_id)
                                  .order_by(CaseMember.id)).all()


def _changes(db, member_id):
    with tenancy.all_tenants("test"):
        return db.session.scalars(sa.select(CaseMemberChange).where(CaseMemberChange.member_id == member_id)
                                  .order_by(CaseMemberChange.id)).all()


ADD = {"mb-relation": "mother", "mb-name": "陳美玉", "mb-sex": "F", "mb-birth_date": "75/03/14",
       "mb-id_number": MOTHER_ID, "mb-flags": ["new_resident"], "mb-welfare_type": "2", "mb-phone": "0912-345-678"}


# --- Adding a member -------------------------------------------------------------------------------

def test_the_lead_worker_adds_a_member_with_roc_birth_date_flags_and_welfare_type(as_user, db, family):
    worker = as_user("tpe.sw1")
    response = worker.post(f"/cases/{family['case']}/members", ADD)
    assert response.status_code == 303
    mother = _members(db, family["case"])[-1]
    assert (mother.name, mother.relation.value, mother.sex.value, mother.birth_date, mother.id_number) == (
        "陳美玉", "mother", "F", date(1986, 3, 14), MOTHER_ID)
    assert mother.flags == ["new_resident"] and mother.welfare_type.value == "2" and mother.is_current
    page = worker.get(f"/cases/{family['case']}").get_data(as_text=True)
    assert "陳美玉" in page and "已新增成員 陳美玉（母）" in page and "75/03/14" in page and "中低收入戶" in page


def test_the_lead_supervisor_may_add_a_member_too(as_user, db, family):
    assert as_user("tpe.sup").post(f"/cases/{family['case']}/members", ADD).status_code == 303


def test_a_wrong_check_digit_comes_back_beside_the_field_with_everything_typed(as_user, db, family):
    worker = as_user("tpe.sw1")
    bad = {**ADD, "mb-id_number": wrong_check_digit("A22345678")}
    response = worker.post(f"/cases/{family['case']}/members", bad, headers=HTMX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section class="card card-body mb-4" id="household"')  # the htmx fragment
    assert 'id="mb-id_number-error"' in body and "檢查碼不正確" in body
    assert 'value="陳美玉"' in body and 'value="75/03/14"' in body and f'value="{bad["mb-id_number"]}"' in body
    assert 'value="new_resident" checked' in body
    assert len(_members(db, family["case"])) == 2


@pytest.mark.parametrize("changes, field, message", [
    ({"mb-relation": ""}, "mb-relation", "與案主關係"),
    ({"mb-name": "  "}, "mb-name", "姓名"),
    ({"mb-birth_date": "115/13/40"}, "mb-birth_date", "日期"),
    ({"mb-birth_date": "199/01/01"}, "mb-birth_date", "不可晚於今天"),
    ({"mb-id_number": "123"}, "mb-id_number", "格式不正確"),
    ({"mb-relation": "alien"}, "mb-relation", ""),
    ({"mb-welfare_type": "42"}, "mb-welfare_type", ""),
])
def test_bad_member_input_is_refused_with_422_and_a_message_beside_the_field(as_user, db, family, changes, field,
                                                                             message):
    response = as_user("tpe.sw1").post(f"/cases/{family['case']}/members", {**ADD, **changes})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body and message in body
    assert len(_members(db, family["case"])) == 2


def test_the_same_id_number_twice_in_one_family_is_refused(as_user, db, family):
    worker = as_user("tpe.sw1")
    assert worker.post(f"/cases/{family['case']}/members", ADD).status_code == 303
    again = worker.post(f"/cases/{family['case']}/members", {**ADD, "mb-name": "陳美王"}, headers=HTMX)
    assert again.status_code == 422 and "已是本案成員「陳美玉」的證號" in again.get_data(as_text=True)
    assert 'value="陳美王"' in again.get_data(as_text=True)


# --- Duplicates, as at intake, never across counties --------------------------------------------------

def test_a_member_of_another_family_of_the_county_is_flagged_with_its_reasons(as_user, db, family):
    worker = as_user("tpe.sw1")
    response = worker.post(f"/cases/{family['case']}/members", {**ADD, "mb-name": "林阿姨",
                                                                 "mb-id_number": OTHER_CASE_ID})
    assert response.status_code == 303
    page = worker.get(f"/cases/{family['case']}").get_data(as_text=True)
    assert "可能重複" in page and "身分證號相同（林阿姨）" in page and "林○○家" in page
    timeline = page[page.index('id="timeline"'):]
    assert "新增成員 林阿姨（母）；可能與" in timeline and "林○○家（身分證號相同（林阿姨）" in timeline  # kept


def test_a_member_of_another_county_is_never_flagged(as_user, db, family):
    worker = as_user("tpe.sw1")
    response = worker.post(f"/cases/{family['case']}/members", {**ADD, "mb-name": "花蓮人", "mb-id_number": HUA_ID})
    assert response.status_code == 303
    page = worker.get(f"/cases/{family['case']}").get_data(as_text=True)
    # the household picture says only that 花蓮縣 has a case and whom to call there (the one lawful crossing)
    start = page.index('id="elsewhere"')
    elsewhere, page = page[start:page.index("</div>", start)], page[:start] + page[page.index("</div>", start):]
    assert "花蓮縣・花蓮縣花蓮社會福利服務中心" in elsewhere
    assert "可能重複，請確認" not in page and "花蓮縣" not in page and "；可能與" not in page


# --- Correcting a member ---------------------------------------------------------------------------

def test_a_correction_keeps_the_previous_values_in_a_visible_history(as_user, db, family):
    worker = as_user("tpe.sw1")
    url = f"/cases/{family['case']}/members/{family['father']}/correct"
    response = worker.post(url, {"mc-name": "王大樺", "mc-id_number": valid_id("A11111222"), "mc-birth_date": "70/01/02",
                                 "mc-reason": "依戶籍謄本更正"})
    assert response.status_code == 303
    father = next(m for m in _members(db, family["case"]) if m.id == family["father"])
    assert (father.name, father.id_number, father.birth_date) == ("王大樺", valid_id("A11111222"), date(1981, 1, 2))
    history = [(c.field, c.old_value, c.new_value, c.reason) for c in _changes(db, family["father"])]
    assert history == [("name", "王大華", "王大樺", "依戶籍謄本更正"), ("id_number", "", valid_id("A11111222"), "依戶籍謄本更正"),
                       ("birth_date", "", "70/01/02", "依戶籍謄本更正")]
    page = worker.get(f"/cases/{family['case']}").get_data(as_text=True)
    assert f'id="history-{family["father"]}"' in page
    assert "更正姓名：<del>王大華</del> → 王大樺（依戶籍謄本更正）" in page


def test_a_correction_without_a_reason_or_change_or_with_a_bad_id_is_refused(as_user, db, family):
    worker = as_user("tpe.sw1")
    url = f"/cases/{family['case']}/members/{family['father']}/correct"
    no_reason = worker.post(url, {"mc-name": "王大樺", "mc-id_number": "", "mc-birth_date": "", "mc-reason": ""},
                            headers=HTMX)
    assert no_reason.status_code == 422 and "更正原因" in no_reason.get_data(as_text=True)
    assert f'id="mc{family["father"]}-reason-error"' in no_reason.get_data(as_text=True)
    assert 'value="王大樺"' in no_reason.get_data(as_text=True)
    nothing = worker.post(url, {"mc-name": "王大華", "mc-id_number": "", "mc-birth_date": "", "mc-reason": "核對"})
    assert nothing.status_code == 422 and "沒有需要更正的內容" in nothing.get_data(as_text=True)
    bad_id = worker.post(url, {"mc-name": "王大華", "mc-id_number": wrong_check_digit("A11111222"),
                               "mc-birth_date": "", "mc-reason": "核對"}, headers=HTMX)
    assert bad_id.status_code == 422 and "檢查碼不正確" in bad_id.get_data(as_text=True)
    assert f'id="mc{family["father"]}-id_number-error"' in bad_id.get_data(as_text=True)
    assert _changes(db, family["father"]) == []


def test_a_correction_is_in_the_audit_log_with_the_previous_value(as_user, db, family):
    worker = as_user("tpe.sw1")
    url = f"/cases/{family['case']}/members/{family['father']}/correct"
    new_id = valid_id("A11111222")
    assert worker.post(url, {"mc-name": "王大華", "mc-id_number": new_id, "mc-birth_date": "",
                             "mc-reason": "證號誤植"}).status_code == 303
    with tenancy.all_tenants("test"):
        entry = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.record_type == "case_members", AuditEvent.record_id == str(family["father"]),
            AuditEvent.action == AuditAction.UPDATE).order_by(AuditEvent.id.desc())).first()
    assert entry is not None and entry.actor_username == "tpe.sw1"
    assert new_id in json.dumps(entry.changes, ensure_ascii=False)
    assert "id_number" in entry.changes


# --- Ending a membership ---------------------------------------------------------------------------

def test_ending_a_membership_keeps_the_member_apart_as_left_with_its_history(as_user, db, family):
    worker = as_user("tpe.sw1")
    url = f"/cases/{family['case']}/members/{family['father']}/end"
    assert worker.post(url, {"me-reason": "moved_out", "me-ended_on": "115/11/30", "me-note": "遷居高雄"}).status_code == 303
    father = next(m for m in _members(db, family["case"]) if m.id == family["father"])
    assert (father.ended_on, father.end_reason, father.end_note) == (date(2026, 11, 30), "moved_out", "遷居高雄")
    assert len(_members(db, family["case"])) == 2  # nothing deleted
    page = worker.get(f"/cases/{family['case']}").get_data(as_text=True)
    former = page[page.index('id="former-members"'):]
    assert "已離開（1）" in page and "<del>王大華</del>（父）・遷出 115/11/30：遷居高雄" in former
    current = page[page.index('id="current-members"'):page.index('id="former-members"')]
    assert "王大華" not in current
    # a member who left is no longer offered to a visit or a correction
    assert f"/members/{family['father']}/correct" not in page
    again = worker.post(url, {"me-reason": "deceased", "me-ended_on": "115/12/01"})
    assert again.status_code == 422 and "已於 115/11/30 離開" in again.get_data(as_text=True)


@pytest.mark.parametrize("form, message", [
    ({"me-reason": "", "me-ended_on": "115/11/30"}, "離開原因"),
    ({"me-reason": "deceased", "me-ended_on": ""}, "離開日期"),
    ({"me-reason": "deceased", "me-ended_on": "199/01/01"}, "不可晚於今天"),
    ({"me-reason": "other", "me-ended_on": "115/11/30", "me-note": ""}, "請說明"),
    ({"me-reason": "moved_out", "me-ended_on": "104/01/01"}, "不可早於出生日期"),
])
def test_bad_end_of_membership_is_refused_with_a_message(as_user, db, family, form, message):
    url = f"/cases/{family['case']}/members/{family['child']}/end"
    response = as_user("tpe.sw1").post(url, form, headers=HTMX)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert all(m.is_current for m in _members(db, family["case"]))


def test_a_death_is_recorded_with_its_date(as_user, db, family):
    url = f"/cases/{family['case']}/members/{family['father']}/end"
    assert as_user("tpe.sup").post(url, {"me-reason": "deceased", "me-ended_on": "115/10/01"}).status_code == 303
    changes = _changes(db, family["father"])
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [("membership", "在籍", "死亡（115/10/01）")]


# --- Who may ---------------------------------------------------------------------------------------

def test_a_collaborating_unit_reads_the_members_but_may_not_change_them(as_user, db, family):
    dv = as_user("tpe.dv1")
    page = dv.get(f"/cases/{family['case']}")
    assert page.status_code == 200 and "王大華" in page.get_data(as_text=True)
    assert "新增成員" not in page.get_data(as_text=True) and "/correct" not in page.get_data(as_text=True)
    base = f"/cases/{family['case']}/members"
    assert dv.post(base, ADD).status_code == 403
    assert dv.post(f"{base}/{family['father']}/correct", {"mc-name": "改", "mc-reason": "x"}).status_code == 403
    assert dv.post(f"{base}/{family['father']}/end", {"me-reason": "moved_out", "me-ended_on": "115/11/30"}).status_code == 403
    assert len(_members(db, family["case"])) == 2 and _changes(db, family["father"]) == []


@pytest.mark.parametrize("username", ["hua.sw1", "hua.sup", "tpe.mh1", "ngo.staff", "tpe.dispatch", "tpe.admin"])
def test_another_county_a_unit_not_on_the_case_a_partner_or_a_non_worker_gets_404(as_user, db, family, username):
    client = as_user(username)
    base = f"/cases/{family['case']}/members"
    assert client.post(base, ADD).status_code == 404
    assert client.post(f"{base}/{family['father']}/correct", {"mc-name": "改", "mc-reason": "x"}).status_code == 404
    assert client.post(f"{base}/{family['father']}/end", {"me-reason": "moved_out",
                                                           "me-ended_on": "115/11/30"}).status_code == 404
    assert len(_members(db, family["case"])) == 2


def test_a_member_of_another_family_is_404_in_this_familys_url(as_user, db, family, factories):
    other = _members(db, family["case"])[0].id + 2  # 林阿姨, of the other 中正 family
    response = as_user("tpe.sw1").post(f"/cases/{family['case']}/members/{other}/end",
                                       {"me-reason": "moved_out", "me-ended_on": "115/11/30"})
    assert response.status_code == 404


def test_an_htmx_success_reloads_the_whole_record_so_the_message_and_timeline_show(as_user, db, family):
    page = f"http://localhost/cases/{family['case']}"
    response = as_user("tpe.sw1").post(f"/cases/{family['case']}/members", ADD,
                                       headers={**HTMX, "HX-Current-URL": page})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/cases/{family['case']}"  # no #anchor: the same page must load again

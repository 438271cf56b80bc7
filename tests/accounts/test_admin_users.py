"""A county administrator manages the county's users."""
import re

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.accounts.passwords import verify_password


def _temp_password(response) -> str:
    return re.search(r'id="temporary-password">([^<]+)<', response.get_data(as_text=True)).group(1)


def test_create_user_shows_a_temporary_password_once_and_forces_a_change(as_user, factories, db, app):
    admin = as_user("tpe.admin")
    unit = factories.unit("臺北市大安社會福利服務中心")
    response = admin.post("/admin/users/new", {"username": "tpe.sw3", "display_name": "林小華", "email": "",
                                               "unit_id": unit.id, "role": "social_worker"})
    assert response.status_code == 200
    temporary = _temp_password(response)
    user = factories.user("tpe.sw3")
    assert user.must_change_password and verify_password(user.password_hash, temporary)
    assert user.password_hash.startswith("$argon2id$")
    assert [(m.unit.name, m.role) for m in user.memberships] == [("臺北市大安社會福利服務中心", Role.SOCIAL_WORKER)]

    new = as_user("tpe.sw3", temporary)
    assert new.get("/").headers["Location"].endswith("/account/password")
    weak = new.post("/account/password", {"current": temporary, "new": "short", "confirm": "short"})
    assert weak.status_code == 422 and "至少需 12 個字元" in weak.get_data(as_text=True)
    ok = new.post("/account/password", {"current": temporary, "new": "Stronger-Pass-2026", "confirm": "Stronger-Pass-2026"})
    assert ok.status_code == 303
    assert new.get("/").status_code == 200  # the session survived its own password change


def test_bad_input_keeps_what_was_typed(as_user, factories):
    admin = as_user("tpe.admin")
    response = admin.post("/admin/users/new", {"username": "含中文", "display_name": "林小華", "email": "not-an-email",
                                               "unit_id": 0, "role": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "只能使用英文字母" in body and "格式不正確" in body and "請選擇" in body
    assert 'value="林小華"' in body and 'value="not-an-email"' in body


def test_duplicate_username_is_refused_in_chinese(as_user, factories):
    admin = as_user("tpe.admin")
    unit = factories.unit("臺北市大安社會福利服務中心")
    response = admin.post("/admin/users/new", {"username": "TPE.SW1", "display_name": "重複", "unit_id": unit.id,
                                               "role": "social_worker"})
    assert response.status_code == 422
    assert "已有人使用" in response.get_data(as_text=True)


def test_county_admin_offers_only_county_units_and_roles(as_user):
    body = as_user("tpe.admin").get("/admin/users/new").get_data(as_text=True)
    assert "臺北市中正社會福利服務中心" in body
    assert "花蓮縣" not in body and "家扶基金會" not in body and "保護服務司" not in body
    assert "中央人員" not in body and "民間團體人員" not in body


def test_grant_and_revoke_roles(as_user, factories, db):
    admin = as_user("tpe.admin")
    sw1 = factories.user("tpe.sw1")
    dv = factories.unit("臺北市家庭暴力暨性侵害防治中心")
    response = admin.post(f"/admin/users/{sw1.id}/roles", {"unit_id": dv.id, "role": "supervisor"})
    assert response.status_code == 303
    db.session.refresh(sw1)
    added = next(m for m in sw1.memberships if m.unit_id == dv.id)
    assert added.role == Role.SUPERVISOR
    again = admin.post(f"/admin/users/{sw1.id}/roles", {"unit_id": dv.id, "role": "supervisor"})
    assert again.status_code == 422 and "已是督導" in again.get_data(as_text=True)
    bad_role = admin.post(f"/admin/users/{sw1.id}/roles", {"unit_id": dv.id, "role": "county_admin"})
    assert bad_role.status_code == 422 and "只能指派" in bad_role.get_data(as_text=True)
    assert admin.post(f"/admin/users/{sw1.id}/roles/{added.id}/revoke").status_code == 303
    db.session.refresh(sw1)
    last = sw1.memberships[0]
    refused = admin.post(f"/admin/users/{sw1.id}/roles/{last.id}/revoke")
    assert refused.status_code == 422 and "停用帳號" in refused.get_data(as_text=True)


def test_reset_password_ends_old_sessions(as_user, factories, db):
    worker = as_user("tpe.sw1")
    admin = as_user("tpe.admin")
    sw1 = factories.user("tpe.sw1")
    response = admin.post(f"/admin/users/{sw1.id}/reset-password")
    temporary = _temp_password(response)
    assert worker.get("/").status_code == 302  # the old session is over
    assert as_user("tpe.sw1", temporary).get("/").headers["Location"].endswith("/account/password")


def test_deactivate_and_reactivate(as_user, factories, db, client):
    admin = as_user("tpe.admin")
    worker = as_user("tpe.sw2")
    sw2 = factories.user("tpe.sw2")
    assert admin.post(f"/admin/users/{sw2.id}/deactivate").status_code == 303
    assert worker.get("/").status_code == 302
    client.refresh_csrf()
    refused = client.post("/login", {"username": "tpe.sw2", "password": "demo1234"})
    assert refused.status_code == 422 and "已停用" in refused.get_data(as_text=True)
    assert admin.post(f"/admin/users/{sw2.id}/activate").status_code == 303
    assert as_user("tpe.sw2").get("/").status_code == 200


def test_admin_cannot_deactivate_themself(as_user, factories):
    admin = as_user("tpe.admin")
    me = factories.user("tpe.admin")
    response = admin.post(f"/admin/users/{me.id}/deactivate")
    assert response.status_code == 422


def test_account_in_two_counties_is_not_reset_by_one(as_user, factories, db):
    from app.accounts.models import Membership

    sw1 = factories.user("tpe.sw1")
    sw1.memberships.append(Membership(unit=factories.unit("花蓮縣花蓮社會福利服務中心"), role=Role.SOCIAL_WORKER))
    db.session.commit()
    hua = as_user("hua.admin")
    page = hua.get(f"/admin/users/{sw1.id}").get_data(as_text=True)
    assert "花蓮縣花蓮社會福利服務中心" in page and "臺北市中正" not in page
    response = hua.post(f"/admin/users/{sw1.id}/reset-password")
    assert response.status_code == 403
    assert "其他縣市" in response.get_data(as_text=True)


def test_sysadmin_sees_every_user_and_can_give_ministry_roles(as_user, factories, db):
    sysadmin = as_user("sysadmin")
    body = sysadmin.get("/admin/users?q=").get_data(as_text=True)
    assert "hua.admin" in body and "tpe.admin" in body and "ngo.staff" in body
    unit = factories.unit("社會及家庭署")
    response = sysadmin.post("/admin/users/new", {"username": "moh.sfaa2", "display_name": "署內人員",
                                                  "unit_id": unit.id, "role": "ministry_staff"})
    assert response.status_code == 200
    assert db.session.scalars(sa.select(User).where(User.username == "moh.sfaa2")).one().memberships[0].unit == unit

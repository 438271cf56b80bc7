"""The central guards against input no column can hold: NUL characters, ids beyond the database's integer."""
from __future__ import annotations

import json

import sqlalchemy as sa

from app.core import tenancy


def test_nul_in_a_form_is_removed_before_any_view_sees_it(as_user, db, taipei_objects):
    from app.cases.models import CaseNote

    response = as_user("tpe.sw1").post(f"/cases/{taipei_objects['tpe_case']}/notes", {"n-text": "家\x00訪\x00紀錄"})
    assert response.status_code == 303
    with tenancy.all_tenants("test"):
        texts = db.session.scalars(sa.select(CaseNote.text).where(CaseNote.case_id == taipei_objects["tpe_case"])).all()
    assert "家訪紀錄" in texts


def test_ids_beyond_the_database_integer_are_not_found(as_user, taipei_objects):
    worker = as_user("tpe.sw1")
    for url in ("/cases/2147483648", "/cases/99999999999999999999999/notes", "/referrals/9223372036854775808"):
        response = worker.get(url) if "notes" not in url else worker.post(url, {"n-text": "x"})
        assert response.status_code == 404, url
        assert "找不到" in response.get_data(as_text=True)


def test_a_huge_number_in_an_id_choice_is_an_invalid_choice(as_user, taipei_objects):
    response = as_user("tpe.dispatch").post(f"/intake/reports/{taipei_objects['tpe_report']}/claim", {})
    assert response.status_code < 500
    response = as_user("tpe.dispatch").post(f"/intake/reports/{taipei_objects['tpe_report']}/screen-out",
                                            {"so-reason": "duplicate", "so-duplicate_case_id": "99999999999999999999"})
    assert response.status_code == 422


def test_api_refuses_nul_with_a_message(client, db, factories):
    from app.intake.models import ApiToken
    from app.intake.reference import ReportingChannel
    from app.intake.views import hash_token

    with tenancy.tenant_scope(factories.county("臺北市").id):
        db.session.add(ApiToken(organisation="測試", channel=ReportingChannel("16"), token_prefix="nulnul00",
                                token_hash=hash_token("snk_nulnul00_secret")))
        db.session.commit()
    body = {"district": "大安區", "concerns": ["ipv"], "narrative": "事由\x00", "persons": [{"name": "王\x00"}]}
    response = client.client.post("/api/v1/reports", data=json.dumps(body),
                                  headers={"Authorization": "Bearer snk_nulnul00_secret", "Content-Type": "application/json"})
    assert response.status_code == 422 and "NUL" in response.get_json()["message"]


def test_assign_redirects_only_within_the_site(as_user, taipei_objects):
    from app.core.security import safe_next

    for outside in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)", "/x\r\nSet-Cookie: a=b"):
        assert safe_next(outside, "/home") == "/home", outside
    assert safe_next("/cases/inbox?page=2", "/home") == "/cases/inbox?page=2"
    supervisor = as_user("tpe.sup")
    response = supervisor.post(f"/cases/{taipei_objects['tpe_case']}/assign",
                               {"a-worker_id": "0", "next": "https://evil.example/"})
    assert "evil.example" not in response.headers.get("Location", "")

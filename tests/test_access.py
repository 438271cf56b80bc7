"""Every route × anonymous / another county / wrong role / right role: the tests of the
matrix whose data (ROUTES, PERSONAS, the objects of 臺北市) is in tests/access.py."""
from __future__ import annotations

import pytest

from app.core.permissions import Access
from tests.access import HTMX, PERSONAS, ROUTES, _classify, _expected, requests_for, resolvers


def test_every_route_is_in_the_matrix(app):
    missing = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ROUTES))
    assert not missing, f"routes without an access-matrix entry: {missing}"


def test_every_view_declares_its_access(app):
    undeclared = [e for e, view in app.view_functions.items() if e != "static" and not isinstance(getattr(view, "access", None), Access)]
    assert not undeclared, f"views without @requires/@public/@signed_in: {undeclared}"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("persona", list(PERSONAS))
def test_access_matrix(persona, htmx, app, client, as_user, factories, db, taipei_objects):
    """Every route, as a full page and as an htmx request (fragments answer the same)."""
    username, tokens, other_county = PERSONAS[persona]
    user_client = as_user(username) if username else client
    headers = HTMX if htmx else {}
    failures = []
    for endpoint, method, url, route in requests_for(app, resolvers(factories, taipei_objects)):
        if endpoint == "accounts.logout":  # checked last: it ends the session
            continue
        expected = _expected(username, tokens, other_county, route)
        response = (user_client.get(url, headers=headers) if method == "GET"
                    else user_client.post(url, {}, headers=headers))
        got = _classify(response)
        if got != expected:
            failures.append(f"{method} {url} ({endpoint}): expected {expected}, got {got} [{response.status_code}]")
    logout = user_client.post("/logout", {})
    expected = "login" if username is None else "ok"
    if _classify(logout) != expected:
        failures.append(f"POST /logout: expected {expected}, got {_classify(logout)}")
    if username is not None and _classify(user_client.get("/")) != "login":
        failures.append("after POST /logout the session still works")
    assert not failures, "\n".join(failures)


def test_other_county_sees_none_of_taipei_on_list_pages(as_user, factories, taipei_objects):
    for username, urls in [("hua.admin", ("/admin/users", "/admin/units", "/admin/audit", "/", "/intake/figures",
                                          "/intake/settings/api-tokens")),
                           ("hua.dispatch", ("/intake/queue", "/")), ("hua.sw1", ("/cases/inbox", "/"))]:
        person = as_user(username)
        for url in urls:
            body = person.get(url).get_data(as_text=True)
            assert "臺北市" not in body, (username, url)
            assert "tpe." not in body and "王小明" not in body and "王○○" not in body, (username, url)


def test_other_county_cannot_change_taipei_objects(as_user, factories, db):
    hua = as_user("hua.admin")
    sw1 = factories.user("tpe.sw1")
    unit = factories.unit("臺北市中正社會福利服務中心")
    hua_unit = factories.unit("花蓮縣花蓮社會福利服務中心")
    before = (sw1.password_hash, sw1.active, len(sw1.memberships), unit.name)
    for url, data in [
        (f"/admin/users/{sw1.id}/reset-password", {}),
        (f"/admin/users/{sw1.id}/deactivate", {}),
        (f"/admin/users/{sw1.id}/roles", {"unit_id": hua_unit.id, "role": "social_worker"}),
        (f"/admin/users/{sw1.id}/roles/{sw1.memberships[0].id}/revoke", {}),
        (f"/admin/units/{unit.id}", {"kind": "welfare_centre", "name": "改名", "districts": []}),
    ]:
        assert hua.post(url, data).status_code == 404, url
    db.session.refresh(sw1)
    db.session.refresh(unit)
    assert (sw1.password_hash, sw1.active, len(sw1.memberships), unit.name) == before


def test_county_admin_cannot_grant_roles_in_another_county(as_user, factories, db):
    from app.accounts.models import Membership

    admin = as_user("tpe.admin")
    sw1 = factories.user("tpe.sw1")
    hua_unit = factories.unit("花蓮縣花蓮社會福利服務中心")
    response = admin.post(f"/admin/users/{sw1.id}/roles", {"unit_id": hua_unit.id, "role": "social_worker"})
    assert response.status_code == 422  # not among the choices offered
    db.session.refresh(sw1)
    assert all(m.unit.county.name == "臺北市" for m in sw1.memberships)
    assert db.session.query(Membership).filter_by(user_id=sw1.id, unit_id=hua_unit.id).count() == 0

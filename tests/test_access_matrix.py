"""Every route × anonymous / another county / wrong role / right role.

The matrix is built from the app's URL map: a route that is not listed in
ROUTES fails ``test_every_route_is_in_the_matrix``, so no new page can escape
these checks. Objects in URLs belong to 臺北市; the "other county" persona is
花蓮縣's county administrator, who holds the same role one county away.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.accounts.models import Membership
from app.core.permissions import Access

# Who is let in, and which Taipei objects the URL names.
COUNTY_ADMIN = "county_admin"
SYSADMIN = "sysadmin"
ANY_MEMBER = "any_member"
ACCOUNT = "account"
PUBLIC = "public"


@dataclass
class Route:
    allowed: tuple  # who may use it
    params: dict = field(default_factory=dict)  # url arg -> resolver name
    county_object: bool = False  # names an object of 臺北市: another county gets 404


ROUTES = {
    "static": Route((PUBLIC,), {"filename": "css/app.css"}),
    "health.healthz": Route((PUBLIC,)),
    "accounts.login": Route((PUBLIC,)),
    "accounts.logout": Route((ACCOUNT,)),
    "accounts.switch_unit": Route((ACCOUNT,)),
    "accounts.change_password": Route((ACCOUNT,)),
    "dashboard.home": Route((ANY_MEMBER,)),
    "accounts.admin_users": Route((COUNTY_ADMIN, SYSADMIN)),
    "accounts.admin_user_new": Route((COUNTY_ADMIN, SYSADMIN)),
    "accounts.admin_user": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "accounts.admin_user_grant": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "accounts.admin_user_revoke": Route(
        (COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user", "membership_id": "tpe_membership"}, True
    ),
    "accounts.admin_user_reset": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "accounts.admin_user_deactivate": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "accounts.admin_user_activate": Route((COUNTY_ADMIN, SYSADMIN), {"user_id": "tpe_user"}, True),
    "tenants.units": Route((COUNTY_ADMIN,)),
    "tenants.unit_new": Route((COUNTY_ADMIN,)),
    "tenants.unit_edit": Route((COUNTY_ADMIN,), {"unit_id": "tpe_unit"}, True),
    "tenants.counties": Route((SYSADMIN,)),
    "tenants.county_edit": Route((SYSADMIN,), {"county_id": "tpe_county"}),
    "tenants.partners": Route((SYSADMIN,)),
    "tenants.partner_edit": Route((SYSADMIN,), {"org_id": "partner"}),
    "tenants.partner_branch_new": Route((SYSADMIN,), {"org_id": "partner"}),
    "tenants.ministry_units": Route((SYSADMIN,)),
    "tenants.ministry_unit_edit": Route((SYSADMIN,), {"unit_id": "ministry_unit"}),
    "audit.log": Route((COUNTY_ADMIN, SYSADMIN)),
}

# Persona -> (username or None, what they are)
PERSONAS = {
    "anonymous": None,
    "other_county": "hua.admin",
    "wrong_role": "tpe.sw1",
    "partner": "ngo.staff",
    "ministry": "moh.protect",
    "county_admin": "tpe.admin",
    "sysadmin": "sysadmin",
}
ROLE_OF = {"hua.admin": COUNTY_ADMIN, "tpe.sw1": "member", "ngo.staff": "member", "moh.protect": "member",
           "tpe.admin": COUNTY_ADMIN, "sysadmin": SYSADMIN}


def resolvers(factories):
    tpe_user = factories.user("tpe.sw1")
    return {
        "tpe_user": tpe_user.id,
        "tpe_membership": tpe_user.memberships[0].id,
        "tpe_unit": factories.unit("臺北市中正社會福利服務中心").id,
        "tpe_county": factories.county("臺北市").id,
        "partner": factories.unit("家扶基金會臺北市服務處").partner_org_id,
        "ministry_unit": factories.unit("保護服務司").id,
        "css/app.css": "css/app.css",
    }


def requests_for(app, factories):
    """(endpoint, method, url, route) for every rule of the URL map."""
    values = resolvers(factories)
    out = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            route = ROUTES.get(rule.endpoint)
            if route is None:
                continue
            args = {a: values[route.params[a]] if route.params[a] in values else route.params[a] for a in rule.arguments}
            url = url_for(rule.endpoint, **args)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.endpoint, method, url, route))
    return out


def test_every_route_is_in_the_matrix(app):
    missing = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ROUTES))
    assert not missing, f"routes without an access-matrix entry: {missing}"


def test_every_view_declares_its_access(app):
    undeclared = [e for e, view in app.view_functions.items() if e != "static" and not isinstance(getattr(view, "access", None), Access)]
    assert not undeclared, f"views without @requires/@public/@signed_in: {undeclared}"


def _expected(persona: str, username, route: Route) -> str:
    """'ok', 'login', 'forbidden' or 'not_found'."""
    if PUBLIC in route.allowed:
        return "ok"
    if username is None:
        return "login"
    role = ROLE_OF[username]
    if ACCOUNT in route.allowed or ANY_MEMBER in route.allowed:
        return "ok"
    if role in route.allowed:
        if persona == "other_county" and route.county_object:
            return "not_found"
        return "ok"
    return "forbidden"


def _classify(response) -> str:
    code = response.status_code
    location = response.headers.get("Location", "")
    if code in (302, 303) and "/login" in location and "next=" in location:
        return "login"
    if code == 403:
        return "forbidden"
    if code == 404:
        return "not_found"
    if code >= 500:
        return f"error {code}"
    return "ok"


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_access_matrix(persona, app, client, as_user, factories, db):
    username = PERSONAS[persona]
    user_client = as_user(username) if username else client
    failures = []
    for endpoint, method, url, route in requests_for(app, factories):
        if endpoint in ("accounts.logout",):  # checked last: it ends the session
            continue
        expected = _expected(persona, username, route)
        response = user_client.get(url) if method == "GET" else user_client.post(url, {})
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


def test_other_county_sees_none_of_taipei_on_list_pages(as_user, factories):
    hua = as_user("hua.admin")
    for url in ("/admin/users", "/admin/units", "/admin/audit", "/"):
        body = hua.get(url).get_data(as_text=True)
        assert "臺北市" not in body, url
        assert "tpe." not in body, url


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
    admin = as_user("tpe.admin")
    sw1 = factories.user("tpe.sw1")
    hua_unit = factories.unit("花蓮縣花蓮社會福利服務中心")
    response = admin.post(f"/admin/users/{sw1.id}/roles", {"unit_id": hua_unit.id, "role": "social_worker"})
    assert response.status_code == 422  # not among the choices offered
    db.session.refresh(sw1)
    assert all(m.unit.county.name == "臺北市" for m in sw1.memberships)
    assert db.session.query(Membership).filter_by(user_id=sw1.id, unit_id=hua_unit.id).count() == 0

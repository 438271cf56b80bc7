"""Flask-Login wiring and the per-request context: who, acting for which unit,
in which county. Sets the session's tenant and the audit actor."""
from __future__ import annotations

from flask import abort, g, make_response, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..audit import services as audit
from ..core import jobs, tenancy
from ..extensions import db, login_manager
from ..tenants.models import Unit
from .models import Membership, User

UNIT_KEY = "unit_id"


# Every page needs the user's memberships, their units and the units' county or organisation (the shell's
# header): one statement, the options built once (building them was a third of the user's load time).
_USER_SHELL = (joinedload(User.memberships).joinedload(Membership.unit).options(
    joinedload(Unit.county), joinedload(Unit.partner_org)),)


def _load_user(token: str):
    try:
        user_id, version = (int(part) for part in token.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id, options=_USER_SHELL)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def _unauthorized():
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url_for("accounts.login", next=request.full_path)
        return response
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("accounts.login", next=request.full_path))


def current_membership(user: User) -> Membership | None:
    """The membership the user acts through: the chosen one, else the first."""
    memberships = user.active_memberships
    if not memberships:
        return None
    chosen = session.get(UNIT_KEY)
    for membership in memberships:
        if membership.id == chosen:
            return membership
    return memberships[0]


def _client_actor(user=None, membership=None) -> audit.Actor:
    return audit.Actor(
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else "",
        unit_id=membership.unit_id if membership is not None else None,
        ip=request.remote_addr or "",
        user_agent=(request.user_agent.string or "")[:200],
    )


def _before_request():
    g.membership = None
    g.unit = None
    tenant = None
    tenancy.set_partner(None)
    if current_user.is_authenticated:
        membership = current_membership(current_user)
        g.membership = membership
        if membership is not None:
            g.unit = membership.unit
            tenant = membership.county_id
            if membership.unit.is_partner_unit:
                tenancy.set_partner(membership.unit.partner_org_id)
        audit.set_actor(_client_actor(current_user, membership))
    else:
        audit.set_actor(_client_actor())
    tenancy.set_tenant(tenant)
    if not current_user.is_authenticated or request.endpoint in ("accounts.logout", "static", "health.healthz"):
        return None
    if current_user.must_change_password and request.endpoint != "accounts.change_password":
        return _only(url_for("accounts.change_password"))
    if current_user.must_have_totp and not current_user.has_totp and request.endpoint != "accounts.totp_setup":
        # Administrators do nothing else until they have a second factor.
        return _only(url_for("accounts.totp_setup"))
    return None


def _only(url: str):
    """Send a user who must do one thing first to its page (htmx follows with a full page load)."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)


def _act_as(user_id: int) -> None:
    """A job acts as the user who asked for it: the audit log names that user."""
    user = db.session.get(User, user_id)
    audit.set_actor(audit.Actor(user_id=user_id, username=user.username if user else ""))


def install(app) -> None:
    jobs.register_actor(_act_as)
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.session_protection = "strong"
    app.before_request(_before_request)

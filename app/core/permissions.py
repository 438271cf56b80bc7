"""Who may use a view, declared on the view.

``@requires(Role.COUNTY_ADMIN)`` lets in users whose *current* membership (the
unit they are acting for) has one of the roles; ``sysadmin=True`` also lets in
system administrators; ``@public`` marks views anyone may use. The declaration
is kept on the view function so the access-matrix test can read it from the
URL map: a view without one fails the suite.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required


@dataclass(frozen=True)
class Access:
    public: bool = False
    roles: frozenset = field(default_factory=frozenset)
    sysadmin: bool = False
    any_member: bool = False  # any logged-in user with a unit (or a sysadmin)
    account: bool = False  # any logged-in user, for their own account pages
    unit_kinds: frozenset = field(default_factory=frozenset)  # and the current unit is of one of these kinds
    # and this holds of the current membership (a rule roles and unit kinds cannot say alone, e.g. "a county
    # administrator anywhere, or a supervisor of the dispatch centre"): the menu asks it too
    when: Callable | None = None


def _mark(view, access: Access):
    view.access = access
    return view


def public(view):
    return _mark(view, Access(public=True))


def current_role():
    membership = getattr(g, "membership", None)
    return membership.role if membership is not None else None


def allowed(access: Access) -> bool:
    if access.public:
        return True
    if not current_user.is_authenticated:
        return False
    if access.account:
        return True
    if current_user.is_sysadmin and (access.sysadmin or access.any_member):
        return True
    if access.any_member:
        return getattr(g, "membership", None) is not None
    if current_role() not in access.roles:
        return False
    if access.unit_kinds and g.membership.unit.kind not in access.unit_kinds:
        return False
    return access.when is None or bool(access.when(g.membership))


def names_an_object(view_args: dict | None) -> bool:
    """Does the URL name a record (``…/cases/<case_id>``)? Refusals there are 404."""
    return any(key.endswith("_id") for key in (view_args or {}))


def _guarded(view, access: Access):
    """Wrap a view: log in first, then the declared access, else refuse.

    A refusal is 403 on pages anyone may know exist (a list, a form), and 404 on
    a URL naming a record: whoever may not use the route learns nothing of the
    record either (whether that case, report or referral number exists)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not allowed(access):
            abort(404 if names_an_object(kwargs) else 403)
        return view(*args, **kwargs)

    return _mark(wrapped, access)


def requires(*roles, sysadmin: bool = False, unit_kinds=(), when: Callable | None = None):
    """Users acting through a membership with one of ``roles`` (in a unit of one of
    ``unit_kinds``, when given, and for which ``when(membership)`` holds, when given), and system
    administrators if asked."""
    return lambda view: _guarded(view, Access(roles=frozenset(roles), sysadmin=sysadmin,
                                              unit_kinds=frozenset(unit_kinds), when=when))


def signed_in(view):
    """Any logged-in user acting for a unit, and system administrators."""
    return _guarded(view, Access(any_member=True))


def account_only(view):
    """Any logged-in user, with or without a unit (their own account pages)."""
    return _guarded(view, Access(account=True))

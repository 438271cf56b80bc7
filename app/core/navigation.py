"""The shell's navigation: an item shows when its view's declared access lets
the current user in, so the menu and the permissions never disagree."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_request_context
from flask_login import current_user

from .permissions import allowed


@dataclass(frozen=True)
class NavItem:
    """One menu entry. Each area declares its own (``app/<area>/navigation.py``) and the app factory
    registers them; ``position`` orders the entries of a section across areas."""

    label: str
    endpoint: str
    position: int
    section: str = "main"  # main | admin


def menu() -> list[NavItem]:
    """The entries registered with the current app, in menu order."""
    return current_app.extensions.get("navigation", [])


def can_open(endpoint: str) -> bool:
    """May the current user open this page? For links and breadcrumbs outside the menu, so that a page
    never offers a link its reader would be refused (``{% if can_open('referrals.dispute_list') %}``)."""
    if not has_request_context():  # a job or a command has no reader to link for
        return False
    # The shell asks for every menu entry on every page: answered once per reader and request (the
    # reader is part of the key, so a login or logout within the request is asked again).
    membership = getattr(g, "membership", None)
    key = (endpoint, current_user.get_id(), membership.id if membership is not None else None)
    memo = g.setdefault("_can_open", {})
    if key not in memo:
        view = current_app.view_functions.get(endpoint)
        memo[key] = view is not None and allowed(view.access)
    return memo[key]


def visible_items(section: str) -> list[NavItem]:
    return [item for item in menu() if item.section == section and can_open(item.endpoint)]


def shell_kind() -> str:
    """county | partner | ministry | admin | none: which shell the user sees."""
    membership = getattr(g, "membership", None)
    if membership is not None:
        unit = membership.unit
        if unit.is_partner_unit:
            return "partner"
        if unit.is_ministry_unit:
            return "ministry"
        return "county"
    if current_user.is_authenticated and current_user.is_sysadmin:
        return "admin"
    return "none"


def install(app, items: list[NavItem]) -> None:
    """Register the areas' menu entries and give every template the shell (its menu included)."""
    app.extensions["navigation"] = sorted(items, key=lambda item: (item.section, item.position))
    app.jinja_env.globals["can_open"] = can_open

    @app.context_processor
    def shell_context():
        if not current_user.is_authenticated:
            return {"shell": "anonymous"}
        return {
            "shell": shell_kind(),
            "nav_main": visible_items("main"),
            "nav_admin": visible_items("admin"),
            "membership": getattr(g, "membership", None),
            "memberships": current_user.active_memberships,
        }

"""The shell's navigation: an item shows when its view's declared access lets
the current user in, so the menu and the permissions never disagree."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
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


def visible_items(section: str) -> list[NavItem]:
    items = []
    for item in menu():
        view = current_app.view_functions.get(item.endpoint)
        if item.section == section and view is not None and allowed(view.access):
            items.append(item)
    return items


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

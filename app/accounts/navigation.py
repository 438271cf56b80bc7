"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("使用者管理", "accounts.admin_users", position=20, section="admin"),
]

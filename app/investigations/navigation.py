"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("調查佇列", "investigations.queue", position=45),
    NavItem("通報調查處理中心", "investigations.settings", position=35, section="admin"),
]

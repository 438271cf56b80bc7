"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("交換介面用戶端", "exchange.clients", position=45, section="admin"),
]

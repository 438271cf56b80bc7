"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("春節關懷", "campaigns.index", position=120),
    NavItem("春節關懷訪視", "campaigns.mine", position=130),
]

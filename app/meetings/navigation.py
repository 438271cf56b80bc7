"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("我的列管事項", "meetings.mine", position=100),
    NavItem("會議", "meetings.index", position=110),
]

"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("目標看板", "targets.board", position=145),
]

"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("統計報表", "reports.index", position=140),
    NavItem("報表送出情形", "reports.submissions", position=150),
]

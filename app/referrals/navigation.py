"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("轉介", "referrals.inbox", position=80),
    NavItem("資源目錄", "referrals.directory", position=90),
    NavItem("爭議案件", "referrals.dispute_list", position=50, section="admin"),
    NavItem("資源目錄維護", "referrals.service_edit", position=120, section="admin"),
]

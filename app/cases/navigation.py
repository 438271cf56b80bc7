"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("我的案件", "cases.mine", position=50),
    NavItem("案件收件匣", "cases.inbox", position=60),
    NavItem("查詢案家", "cases.search", position=70),
    NavItem("服務項目", "reference.service_catalogue", position=80),
    NavItem("評估參考資料", "reference.index", position=110, section="admin"),
]

"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("篩派案佇列", "intake.queue", position=20),
    NavItem("受理通報", "intake.report_new", position=30),
    NavItem("今日統計", "intake.figures", position=40),
    NavItem("時限設定", "intake.deadline_rules", position=30, section="admin"),
    NavItem("通報 API 金鑰", "intake.api_tokens", position=40, section="admin"),
]

"""The menu entries of this area (the app factory registers them; the menu shows each to whoever its view lets in)."""
from __future__ import annotations

from ..core.navigation import NavItem

ITEMS = [
    NavItem("單位管理", "tenants.units", position=10, section="admin"),
    NavItem("縣市", "tenants.counties", position=80, section="admin"),
    NavItem("民間團體", "tenants.partners", position=90, section="admin"),
    NavItem("中央單位", "tenants.ministry_units", position=100, section="admin"),
]

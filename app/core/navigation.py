"""The shell's navigation: an item shows when its view's declared access lets
the current user in, so the menu and the permissions never disagree."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from flask_login import current_user

from .permissions import allowed


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    section: str = "main"  # main | admin


NAV: list[NavItem] = [
    NavItem("首頁", "dashboard.home"),
    NavItem("篩派案佇列", "intake.queue"),
    NavItem("受理通報", "intake.report_new"),
    NavItem("今日統計", "intake.figures"),
    NavItem("我的案件", "cases.mine"),
    NavItem("案件收件匣", "cases.inbox"),
    NavItem("查詢案家", "cases.search"),
    NavItem("轉介", "referrals.inbox"),
    NavItem("資源目錄", "referrals.directory"),
    NavItem("我的列管事項", "meetings.mine"),
    NavItem("會議", "meetings.index"),
    NavItem("春節關懷", "campaigns.index"),
    NavItem("春節關懷訪視", "campaigns.mine"),
    NavItem("統計報表", "reports.index"),
    NavItem("報表送出情形", "reports.submissions"),
    NavItem("單位管理", "tenants.units", "admin"),
    NavItem("使用者管理", "accounts.admin_users", "admin"),
    NavItem("時限設定", "intake.deadline_rules", "admin"),
    NavItem("通報 API 金鑰", "intake.api_tokens", "admin"),
    NavItem("爭議案件", "referrals.dispute_list", "admin"),
    NavItem("保存期限審查", "retention.review", "admin"),
    NavItem("稽核紀錄", "audit.log", "admin"),
    NavItem("縣市", "tenants.counties", "admin"),
    NavItem("民間團體", "tenants.partners", "admin"),
    NavItem("中央單位", "tenants.ministry_units", "admin"),
    NavItem("評估參考資料", "reference.index", "admin"),
    NavItem("資源目錄維護", "referrals.service_edit", "admin"),
]


def visible_items(section: str) -> list[NavItem]:
    items = []
    for item in NAV:
        view = current_app.view_functions.get(item.endpoint)
        if item.section == section and view is not None and allowed(view.access):
            items.append(item)
    return items


def shell_kind() -> str:
    """county | partner | ministry | admin | none: which shell the user sees."""
    membership = getattr(g, "membership", None)
    if membership is not None:
        unit = membership.unit
        if unit.is_partner_unit:
            return "partner"
        if unit.is_ministry_unit:
            return "ministry"
        return "county"
    if current_user.is_authenticated and current_user.is_sysadmin:
        return "admin"
    return "none"


def install(app) -> None:
    @app.context_processor
    def shell_context():
        if not current_user.is_authenticated:
            return {"shell": "anonymous"}
        return {
            "shell": shell_kind(),
            "nav_main": visible_items("main"),
            "nav_admin": visible_items("admin"),
            "membership": getattr(g, "membership", None),
            "memberships": current_user.active_memberships,
        }

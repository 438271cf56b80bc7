"""Reference lists of the family case: ministry codes, the service catalogue,
member flags. Versioned, editable reference data (the vulnerability factor
table, TIPVDA) lives in ``models.py`` as tables."""
from __future__ import annotations

from ..core.enums import LabeledEnum


class ContactMethod(LabeledEnum):
    """twss-visit-service-method."""

    PHONE = ("A", "電訪家庭")
    HOME_VISIT = ("B", "面訪家庭")
    ACCOMPANY = ("C", "陪同服務")
    NETWORK = ("D", "網絡聯繫")
    FAMILY_CALL = ("E", "案家來電")
    SCHOOL_VISIT = ("F", "校園訪視")
    INTERVIEW = ("G", "面談")
    MAIL = ("H", "信箱回覆")
    OFFICIAL_LETTER = ("I", "公文回覆")
    RESOURCE_VISIT = ("J", "資源拜訪")
    INSTITUTION_VISIT = ("K", "機構訪視")
    OTHER = ("Z", "其他")


# Contacts in which the family is seen in person: the first one is the "first visit".
IN_PERSON = {ContactMethod.HOME_VISIT, ContactMethod.ACCOMPANY, ContactMethod.SCHOOL_VISIT, ContactMethod.INTERVIEW,
             ContactMethod.INSTITUTION_VISIT}


class WelfareType(LabeledEnum):
    """twss-welfare-type."""

    GENERAL = ("0", "一般戶")
    LOW_INCOME = ("1", "低收入戶")
    MIDDLE_LOW = ("2", "中低收入戶")
    SPECIAL = ("3", "特殊境遇家庭")
    DISABILITY_ALLOWANCE = ("4", "領有身心障礙補助")
    UNKNOWN = ("5", "不詳")
    UNDER_1_5 = ("6", "家庭總收入平均未達每人每月最低生活費用1.5倍")
    UNDER_2_5 = ("7", "家庭總收入平均未達每人每月最低生活費用2.5倍")
    NEAR_POOR = ("8", "近貧人口")  # offered from 115-01-01 (reference data: welfare_statuses)
    OTHER = ("99", "其他")


class MemberFlag(LabeledEnum):
    DISABILITY = ("disability", "身心障礙")
    DEVELOPMENTAL_DELAY = ("developmental_delay", "發展遲緩")
    MENTAL_HEALTH = ("mental_health", "精神照護列管")
    SUICIDE = ("suicide", "自殺防治列管")
    DRUG = ("drug", "毒品列管")
    NEW_RESIDENT = ("new_resident", "新住民")
    INDIGENOUS = ("indigenous", "原住民")


class Level(LabeledEnum):
    HIGH = ("H", "高")
    MEDIUM = ("M", "中")
    LOW = ("L", "低")


LEVEL_RANK = {Level.LOW: 1, Level.MEDIUM: 2, Level.HIGH: 3}


class AssessmentOutcome(LabeledEnum):
    """The ministry's visit-assessment outcome columns (seed 001); open-case code after the slash."""

    CASE_MANAGEMENT = ("case_management", "列入個案管理")
    REFER_PROTECTIVE = ("refer_protective", "轉介保護服務")
    REFER_NETWORK = ("refer_network", "轉介其他網絡服務")
    WELFARE_CONSULTATION = ("welfare_consultation", "福利諮詢服務")
    DUPLICATE_OR_ERROR = ("duplicate_or_error", "重複通報及資料錯誤")

    @property
    def open_case_code(self) -> str:  # twss-open-case-status
        return {"case_management": "Y", "welfare_consultation": "S"}.get(self.value, "N")


class SafetyResult(LabeledEnum):
    """SDM safety assessment per child."""

    SAFE = ("safe", "安全")
    SAFE_WITH_PLAN = ("safe_with_plan", "有計畫才安全")
    UNSAFE = ("unsafe", "不安全")


class ServiceStatus(LabeledEnum):
    PLANNED = ("planned", "規劃中")
    DELIVERED = ("delivered", "已提供")


class FamilyTier(LabeledEnum):
    """The programme's three tiers of families a target group belongs to (seed 003, 二、)."""

    GENERAL = ("general", "一般家庭")
    VULNERABLE = ("vulnerable", "脆弱家庭")
    CRISIS = ("crisis", "危機家庭")


class RemovalOutcome(LabeledEnum):
    """Where a request to remove an intimate image from a platform stands."""

    PENDING = ("pending", "待處理")
    REMOVED = ("removed", "已移除")
    REFUSED = ("refused", "拒絕移除")


# The service catalogue, the target groups and the welfare statuses offered are versioned reference data
# (tables in models.py, seeded from data/*.json, read through catalogue.py): no list of them here.

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


# The programme's service catalogue, by strategy (DOMAIN.md section 3, seed 000).
CATALOGUE: dict[str, list[tuple[str, str, bool]]] = {
    "策略一 擴增家庭服務資源": [
        ("s1_consultation", "福利諮詢", False), ("s1_referral", "資源轉介", False),
        ("s1_prevention", "預防宣導", False), ("s1_parenting", "親職教育", False),
        ("s1_screening", "潛在脆弱／危機家庭篩檢", False), ("s1_cash", "生活扶助（現金給付）", True),
        ("s1_in_kind", "實物給付", True), ("s1_emergency", "急難紓困", True),
        ("s1_poverty_exit", "脫貧服務（兒少教育發展帳戶）", True), ("s1_support", "支持服務（關懷訪視、照顧服務、親職示範、家務指導、心理輔導）", False),
    ],
    "策略二 優化保護服務": [
        ("s2_rescue", "緊急救援／危機處理", False), ("s2_recovery", "關係修復／創傷復原", False),
        ("s2_early_warning", "風險預警／及時介入", False),
    ],
    "策略三 整合精神疾病與自殺防治": [
        ("s3_community_mh", "社區心理衛生服務", False), ("s3_psychiatric", "精神醫療及社區精神病人照護", False),
        ("s3_suicide", "自殺防治", False), ("s3_offender", "加害人處遇", False),
    ],
    "策略四 網絡服務": [
        ("s4_family_education", "家庭教育", False), ("s4_student_counselling", "學生輔導", False),
        ("s4_youth", "少年輔導", False), ("s4_victim", "犯罪被害人服務", False), ("s4_employment", "就業協助", False),
        ("s4_addiction", "藥癮治療", False), ("s4_judicial", "司法保護", False),
    ],
}
SERVICE_ITEMS = {code: (strategy, label, has_amount) for strategy, items in CATALOGUE.items()
                 for code, label, has_amount in items}


def service_choices():
    return [(strategy, [(code, label) for code, label, _ in items]) for strategy, items in CATALOGUE.items()]

"""Reference lists for intake: reporting channels (twss-reporting-unit), the
concerns a report can raise, and the TIPVDA form."""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..core.enums import LabeledEnum

DATA = Path(__file__).parent / "data"


# What people read where the code system's display is not Chinese (the exchange keeps the code).
READABLE_DISPLAY = {"7": "關懷e起來線上通報（ECARE）"}


def _channel_members():
    codes = json.loads((DATA / "reporting_units.json").read_text(encoding="utf-8"))["codes"]
    return [(f"C{c['code']}", (c["code"], READABLE_DISPLAY.get(c["code"], c["display"]))) for c in codes]


# Channels by the ministry's own codes, so reports can be exchanged as they are.
ReportingChannel = LabeledEnum("ReportingChannel", _channel_members())

HOTLINES = ("35", "36", "37")  # 113 保護專線, 1957 福利諮詢專線, 男性關懷專線
ONLINE = "7"  # ECARE 「關懷e起來」
# What a hotline or intake worker picks from first; the rest follow.
COMMON_CHANNELS = ("35", "36", "37", "16", "24", "15", "11", "10", "6", "26", "28", "29", "25", "30", "31", "39")


class Concern(LabeledEnum):
    CHILD_PROTECTION = ("child_protection", "兒少保護")
    IPV = ("ipv", "成人保護－親密關係暴力")
    FAMILY_MEMBER = ("family_member", "成人保護－其他家庭成員")
    ELDER = ("elder", "成人保護－老人")
    DISABILITY = ("disability", "成人保護－身心障礙者")
    SEXUAL_ASSAULT = ("sexual_assault", "性侵害")
    VULNERABLE_FAMILY = ("vulnerable_family", "脆弱家庭")
    MENTAL_HEALTH = ("mental_health", "精神疾病或自殺企圖")


PROTECTIVE = {Concern.CHILD_PROTECTION, Concern.IPV, Concern.FAMILY_MEMBER, Concern.ELDER, Concern.DISABILITY,
              Concern.SEXUAL_ASSAULT}


class VulnerabilityDimension(LabeledEnum):
    ECONOMIC = ("economic", "家庭經濟陷困")
    EVENT = ("event", "家庭遭逢變故致家庭功能受損")
    RELATIONSHIP = ("relationship", "家庭關係衝突或疏離")
    CHILD_DEVELOPMENT = ("child_development", "兒少發展不利處境")
    DISABILITY_ILLNESS = ("disability_illness", "家庭成員身心障礙或傷病失能")
    ADJUSTMENT = ("adjustment", "因個人生活適應困難")


class ReporterType(LabeledEnum):
    PUBLIC = ("public", "一般民眾")
    MANDATED = ("mandated", "責任通報人員")
    SELF = ("self", "當事人自行求助")
    NETWORK = ("network", "網絡轉介")


class Profession(LabeledEnum):
    MEDICAL = ("medical", "醫事人員")
    SOCIAL_WORK = ("social_work", "社會工作人員")
    EDUCATION = ("education", "教育人員")
    CHILDCARE = ("childcare", "保育人員")
    POLICE = ("police", "警察")
    JUDICIAL = ("judicial", "司法人員")
    IMMIGRATION = ("immigration", "移民業務人員")
    HOUSEHOLD_REGISTRATION = ("household_registration", "戶政人員")
    VILLAGE = ("village", "村（里）幹事")
    OTHER = ("other", "其他")


class Sex(LabeledEnum):
    FEMALE = ("F", "女")
    MALE = ("M", "男")
    UNKNOWN = ("U", "不詳")


class Relation(LabeledEnum):
    SUBJECT = ("subject", "案主／被害人")
    FATHER = ("father", "父")
    MOTHER = ("mother", "母")
    CHILD = ("child", "子女")
    SIBLING = ("sibling", "兄弟姊妹")
    GRANDPARENT = ("grandparent", "祖父母")
    PARTNER = ("partner", "配偶／伴侶")
    COHABITANT = ("cohabitant", "同居人")
    CARER = ("carer", "照顧者")
    RESPONDENT = ("respondent", "相對人／加害人")
    OTHER = ("other", "其他")


@lru_cache
def _tipvda_file() -> dict:
    return json.loads((DATA / "tipvda.json").read_text(encoding="utf-8"))


# The TIPVDA version in force in the database (cases keeps the versions; it registers its query
# here when the app is made, so intake names no case).
_version_in_force: Callable[[], Any] | None = None


def register_tipvda_source(source: Callable[[], Any]) -> None:
    global _version_in_force
    _version_in_force = source


def tipvda() -> dict:
    """The TIPVDA form in force: the ministry's current version in the database,
    or the bundled one before any is loaded."""
    version = _version_in_force() if _version_in_force is not None else None
    if version is None:
        return _tipvda_file()
    return {"version": version.version, "items": version.items, "notice_from": version.notice_from,
            "high_from": version.high_from}


def tipvda_band(score: int | None) -> str:
    if score is None:
        return ""
    form = tipvda()
    high, notice = form.get("high_from", 8), form.get("notice_from", 6)
    return "高度危險" if score >= high else "注意危險" if score >= notice else "潛在危險"

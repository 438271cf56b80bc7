"""Word lists for the national data generator: surnames in their real frequency,
given-name characters by sex and generation, streets, organisations, narratives,
and valid Taiwanese ID numbers. Everything is drawn from a ``random.Random``
handed in, so the same seed gives the same people."""
from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from ..core.idnumbers import LETTERS, WEIGHTS

# Share of the population per surname (內政部 surname statistics, rounded), most frequent first.
_SURNAMES = (
    ("陳", 11.05), ("林", 8.29), ("黃", 6.05), ("張", 5.31), ("李", 5.10), ("王", 4.12), ("吳", 4.04),
    ("劉", 3.17), ("蔡", 2.91), ("楊", 2.64), ("許", 2.33), ("鄭", 1.89), ("謝", 1.79), ("郭", 1.71),
    ("洪", 1.55), ("邱", 1.47), ("曾", 1.46), ("廖", 1.40), ("賴", 1.38), ("徐", 1.30), ("周", 1.28),
    ("葉", 1.16), ("蘇", 1.13), ("莊", 1.00), ("呂", 0.99), ("江", 0.96), ("何", 0.93), ("蕭", 0.90),
    ("羅", 0.87), ("高", 0.80), ("潘", 0.68), ("簡", 0.67), ("朱", 0.67), ("鍾", 0.66), ("游", 0.62),
    ("彭", 0.62), ("詹", 0.60), ("胡", 0.58), ("施", 0.56), ("沈", 0.56), ("余", 0.54), ("盧", 0.53),
    ("梁", 0.52), ("趙", 0.50), ("顏", 0.50), ("柯", 0.49), ("翁", 0.47), ("魏", 0.45), ("孫", 0.42),
    ("戴", 0.40), ("范", 0.39), ("方", 0.37), ("宋", 0.36), ("鄧", 0.34), ("杜", 0.30), ("傅", 0.29),
    ("侯", 0.29), ("曹", 0.28), ("薛", 0.27), ("丁", 0.26), ("卓", 0.26), ("阮", 0.24), ("馬", 0.23),
    ("董", 0.23), ("温", 0.22), ("唐", 0.22), ("藍", 0.21), ("石", 0.20), ("蔣", 0.20), ("古", 0.19),
    ("紀", 0.18), ("姚", 0.18), ("連", 0.17), ("馮", 0.17), ("歐", 0.17), ("程", 0.16), ("湯", 0.16),
    ("田", 0.15), ("康", 0.15), ("姜", 0.14), ("白", 0.13), ("汪", 0.13), ("鄒", 0.13), ("尤", 0.12),
    ("巫", 0.12), ("鐘", 0.12), ("黎", 0.11), ("涂", 0.11), ("龔", 0.10), ("嚴", 0.10), ("韓", 0.10),
    ("袁", 0.10), ("金", 0.09), ("童", 0.09), ("陸", 0.09), ("夏", 0.09), ("柳", 0.08), ("邵", 0.08),
)
SURNAMES = tuple(s for s, _ in _SURNAMES)
SURNAME_CUM = tuple(accumulate(w for _, w in _SURNAMES))

# Given-name characters by sex and generation (born before 1970, 1970–2004, 2005 on).
GIVEN = {
    ("F", 0): "秀英美麗玉金春月珠鳳蘭玲素惠淑貞滿雪碧珍琴梅桂芬",
    ("F", 1): "淑美雅怡婷惠芳玲君佩欣筱宜慧靜秀珮琪瑜萱涵庭芸詩嘉佳雯文心思郁如真",
    ("F", 2): "宜語恩晴瑄彤亭蓁潔琳芯妍晞昕子品采歆沛羽柔安心芊樂媛苡",
    ("M", 0): "國清正德福榮火木水進財雄明文武忠義勇金山坤松茂添輝",
    ("M", 1): "志建俊宏明偉家冠宗文承柏彥浩凱翔哲瑋皓宇傑豪威勝信昌峰仁政",
    ("M", 2): "宸睿恩禹碩宥翊承柏廷軒品叡昱澄晨佑安哲宇杰紘岳楷",
}


def generation(birth_year: int) -> int:
    return 0 if birth_year < 1970 else 1 if birth_year < 2005 else 2


def given_name(rng, sex: str, birth_year: int) -> str:
    chars = GIVEN[("F" if sex == "F" else "M", generation(birth_year))]
    first = rng.choice(chars)
    if rng.random() < 0.03:
        return first
    second = rng.choice(chars)
    while second == first:
        second = rng.choice(chars)
    return first + second


def weighted(rng, values, cum):
    """One of ``values`` by cumulative weights (``random.choices`` without its overhead)."""
    return values[bisect_right(cum, rng.random() * cum[-1])]


def surname(rng) -> str:
    return weighted(rng, SURNAMES, SURNAME_CUM)


# The letter a county's residents' IDs usually start with.
ID_LETTER = {
    "6300000000": "A", "6500000000": "F", "1000300000": "H", "6600000000": "B", "6700000000": "D",
    "6400000000": "E", "1000200000": "G", "1000400000": "J", "1000500000": "K", "1000700000": "N",
    "1000800000": "M", "1000900000": "P", "1001000000": "Q", "1001300000": "T", "1001400000": "V",
    "1001500000": "U", "1001600000": "X", "1001700000": "C", "1001800000": "O", "1002000000": "I",
    "0902000000": "W", "0900700000": "Z",
}
ALL_LETTERS = "ABCDEFGHJKLMNPQTUVWXZIO"


def id_number(rng, letter: str, sex: str, resident: bool = False) -> str:
    """A valid 身分證統一編號 (or, ``resident``, a new-style 居留證 number) for ``sex``."""
    if resident:
        first = 8 if sex == "M" else 9
    else:
        first = 1 if sex == "M" else 2
    body = [first, *map(int, f"{rng.randrange(10_000_000):07d}")]
    code = LETTERS[letter]
    partial = (code // 10) * WEIGHTS[0] + (code % 10) * WEIGHTS[1] + sum(d * w for d, w in zip(body, WEIGHTS[2:10]))
    check = (10 - partial % 10) % 10
    return letter + "".join(map(str, body)) + str(check)


def mobile(rng) -> str:
    return f"09{rng.randrange(10_000_000, 100_000_000)}"


STREETS = ("中山路", "中正路", "民生路", "民族路", "民權路", "中華路", "復興路", "建國路", "和平路", "光復路",
           "自由路", "信義路", "仁愛路", "成功路", "忠孝路", "文化路", "大同路", "公園路", "三民路", "自強路",
           "光明路", "新生路", "永安街", "福德街", "博愛路", "長春路", "勝利路", "健康路", "育英街", "興隆路",
           "中興路", "五福路", "四維路", "青年路", "平等街")


def address(rng, county: str, district: str) -> str:
    street = rng.choice(STREETS)
    section = f"{'一二三四'[rng.randrange(4)]}段" if rng.random() < 0.35 else ""
    lane = f"{rng.randint(1, 320)}巷" if rng.random() < 0.45 else ""
    alley = f"{rng.randint(1, 30)}弄" if lane and rng.random() < 0.3 else ""
    floor = f"{rng.randint(2, 15)}樓" if rng.random() < 0.6 else ""
    return f"{county}{district}{street}{section}{lane}{alley}{rng.randint(1, 400)}號{floor}"


def district_stem(name: str) -> str:
    """板橋區 → 板橋; a two-character name (東區) stays whole."""
    return name[:-1] if len(name) > 2 else name


SCHOOL_KINDS = ("國民小學", "國民中學", "幼兒園", "高級中學")


def school(rng, county: str, district: str, age: int) -> str:
    kind = "幼兒園" if age < 6 else "國民小學" if age < 12 else "國民中學" if age < 15 else "高級中學"
    return f"{county}立{district_stem(district)}{kind}" if kind != "幼兒園" else f"{district_stem(district)}幼兒園"


ORGANISATIONS = {
    "medical": ("{stem}醫院", "{stem}聯合醫院", "{stem}診所", "{stem}衛生所", "{county}立醫院"),
    "social_work": ("{county}政府社會局", "{stem}社會福利服務中心", "{stem}老人福利服務中心"),
    "education": ("{county}立{stem}國民小學", "{county}立{stem}國民中學", "{stem}幼兒園", "{county}立{stem}高級中學"),
    "childcare": ("{stem}托嬰中心", "{stem}居家托育服務中心"),
    "police": ("{stem}分局", "{stem}派出所", "少年輔導委員會"),
    "judicial": ("地方法院", "地方檢察署", "少年及家事法院"),
    "immigration": ("移民署{county}服務站",),
    "household_registration": ("{stem}戶政事務所",),
    "village": ("{stem}區公所",),
    "other": ("{stem}社區發展協會",),
}


def organisation(rng, profession: str, county: str, district: str) -> str:
    pattern = rng.choice(ORGANISATIONS.get(profession, ORGANISATIONS["other"]))
    return pattern.format(county=county, stem=district_stem(district))


# Narratives by concern: {c} a child's name, {a} an adult's, {d} the district.
NARRATIVES = {
    "child_protection": (
        "學校發現{c}身上有多處瘀傷，{c}表示是被家人用衣架打的。",
        "鄰居反映{d}某戶半夜常傳出孩子哭喊與大人怒罵聲，擔心{c}遭不當管教。",
        "{c}多日未到校，老師家訪時發現家中髒亂、無成人照顧。",
        "急診收治{c}，頭部外傷，照顧者對受傷經過說法前後不一。",
        "{c}向導師透露家中經常沒有晚餐，照顧者長時間不在家。",
        "幼兒園發現{c}手臂有燙傷痕跡，家長未能說明原因。",
        "{c}表示繼父喝酒後會打人，不敢回家。",
    ),
    "ipv": (
        "{a}至急診就醫，臉部與手臂挫傷，表示遭同居人推打。",
        "{a}來電表示配偶酒後經常恐嚇要殺害她，情形已持續半年。",
        "員警處理家戶糾紛，{a}表示長期遭伴侶控制經濟與行動。",
        "{a}表示前夫持續跟蹤騷擾，並威脅要帶走孩子。",
        "{a}遭配偶掐脖，頸部有明顯勒痕，已聲請保護令。",
    ),
    "family_member": (
        "{a}表示遭成年兒子索討金錢未果後毆打。",
        "兄弟因財產糾紛互毆，{a}頭部受傷送醫。",
        "{a}長期遭同住的姻親辱罵、限制外出。",
    ),
    "elder": (
        "{a}獨居，鄰居發現其身上有瘀傷，疑遭照顧者疏忽。",
        "{a}表示兒子長期拿走老人年金並辱罵。",
        "{a}失智，家屬未按時給藥，多次走失。",
    ),
    "disability": (
        "{a}為身心障礙者，遭同住家屬限制行動、未予就醫。",
        "身障機構發現{a}返家後體重明顯下降，疑照顧疏忽。",
    ),
    "sexual_assault": (
        "{c}向輔導老師透露遭親屬不當碰觸。",
        "{a}報案表示遭熟識者性侵，已至醫院驗傷。",
        "{c}在網路上認識的成年人約出見面後遭性侵。",
    ),
    "vulnerable_family": (
        "{a}近月失業，積欠房租與水電費，獨自照顧子女。",
        "案父中風後無法工作，{c}的午餐費無著。",
        "{a}罹患重病住院，家中{c}乏人照顧。",
        "家中長輩失智，主要照顧者{a}身心俱疲，子女常無人接送。",
        "{a}與子女遭房東要求搬離，尚無居所。",
        "{c}經常無故缺課，家長疑有酒癮問題。",
        "{a}為新住民，配偶過世後經濟陷困，語言不通求助無門。",
    ),
    "mental_health": (
        "{a}有自殺意念，曾多次自傷，家中有年幼子女。",
        "{a}精神狀況不穩、拒絕就醫，與家人衝突頻繁。",
    ),
}
SCREENED_OUT_NARRATIVES = {
    "duplicate": ("同一事件已於日前通報。", "通報內容與先前通報相同，案家已有社工服務中。"),
    "data_error": ("通報內容僅有電話，無法聯繫通報人亦無地址。", "資料不全，查無此人。", "通報人撤回，表示誤會一場。"),
    "out_of_scope": ("詢問補助申請流程，非屬保護或脆弱家庭服務範疇。", "鄰里噪音糾紛，無兒少或家庭成員受害情事。",
                     "詢問長照服務申請。"),
}
DIRECTED_TO = ("區公所社會課", "長期照顧管理中心", "1966 長照專線", "里長與派出所", "法律扶助基金會")
REFERRED_TO = ("長期照顧管理中心", "身心障礙個案管理中心", "就業服務站", "區公所社會課（急難救助）", "社區心理衛生中心（一般諮詢）",
               "家扶基金會", "世界展望會", "法律扶助基金會", "家庭教育中心")

CONTACT_NOTES = {
    "in_person": ("家訪，了解家庭狀況與需求。", "家訪，家中環境已改善。", "面談案主，討論安全計畫。", "陪同案母至區公所申請補助。",
                  "校園訪視，兒少情緒穩定。", "家訪，與照顧者討論子女照顧安排。", "陪同就醫，協助與醫院社工溝通。"),
    "phone": ("電訪案母，確認子女就學情形。", "電訪，案主表示近況穩定。", "案家來電詢問補助進度。", "電訪照顧者，提醒回診時間。"),
    "network": ("與學校輔導老師聯繫，了解兒少在校適應。", "與醫院社工聯繫就醫安排。", "網絡聯繫警政，確認保護令執行。",
                "函覆相關單位，說明案家近況。", "拜訪社區資源，洽詢課後照顧名額。"),
}
CONTACT_NOTE_KIND = {"B": "in_person", "C": "in_person", "F": "in_person", "G": "in_person", "K": "in_person",
                     "A": "phone", "E": "phone", "H": "phone", "D": "network", "I": "network", "J": "network",
                     "Z": "network"}
SERVICE_NOTES = {
    "s1_cash": "生活扶助", "s1_in_kind": "食物箱、尿布", "s1_emergency": "急難紓困金", "s1_poverty_exit": "開立兒少教育發展帳戶",
    "s4_employment": "轉介就業服務站", "s1_support": "關懷訪視與親職示範", "s2_rescue": "緊急安置", "s3_suicide": "自殺防治追蹤",
}
CLOSING_REASONS = ("服務目標達成，家庭功能恢復。", "案家經濟穩定，案母穩定就業。", "案家遷出本縣市，已轉銜。", "案主拒絕服務，評估無立即危險。",
                   "危機解除，兒少安全無虞。", "相對人已搬離，被害人生活穩定。")
PLAN_GOALS = ("三個月內穩定家庭收入，兒少按時就學。", "建立安全計畫，被害人能辨識危險並求助。", "提升親職功能，改善管教方式。",
              "協助就醫與規律服藥，穩定情緒。", "連結課後照顧資源，減輕照顧負擔。")
ASSESSMENT_PARTS = (
    ("通報事由屬實，案家確有經濟陷困情形。", "通報事由部分屬實，兒少照顧尚可。", "經訪視確認案家照顧者身心負荷沉重。"),
    ("主要照顧者失業，家庭支持系統薄弱。", "家庭關係衝突，兒少出現適應困難。", "家庭成員傷病，照顧功能受損。"),
    ("穩定家庭經濟，維持兒少就學。", "改善親子關係，提升照顧者親職能力。", "減輕照顧負擔，連結長照與托育資源。"),
    ("急難紓困、就業轉介、每月家訪。", "親職教育、課後照顧、定期電訪。", "心理諮商轉介、照顧服務、社區關懷。"),
)

"""The board per persona, the drill-down's isolation, the ministry's disclosure and the denominator form."""
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.core import tenancy
from app.targets.models import TargetDenominator


def _text(response):
    return response.get_data(as_text=True)


def test_county_admin_sees_own_exact_figures_national_and_definitions(world, as_user):
    page = as_user("tpe.admin").get("/targets")
    assert page.status_code == 200
    body = _text(page)
    assert "臺北市與全國" in body and "資料時點" in body
    assert "兒少保家庭服務涵蓋率" in body and "定義" in body and "分子" in body and "目標 85%" in body
    assert 'class="target-line"' in body and "<svg" in body
    # 臺北市 exact: 2 of 3 (66.67%), the gap of one family links to the drill-down
    assert "66.67%" in body
    assert f"/targets/{world['taipei']}/child_protection_coverage/115" in body
    assert "cp3家" not in body  # no family on the board itself


def test_county_worker_drills_to_own_countys_gap(world, as_user):
    admin = as_user("tpe.admin")
    page = admin.get(f"/targets/{world['taipei']}/child_protection_coverage/115")
    assert page.status_code == 200
    assert "cp3家" in _text(page) and "cp1家" not in _text(page)
    # a worker of the 社福中心 sees the families their unit serves (the opening-rate gap: vf3, vf4)
    sw = as_user("tpe.sw1")
    own = _text(sw.get(f"/targets/{world['taipei']}/opening_rate/115"))
    assert "vf4家" in own and "僅列本單位服務之家庭" in own


def test_no_county_sees_another_countys_gap(world, as_user):
    for user, other in (("tpe.admin", world["hualien"]), ("hua.admin", world["taipei"]), ("hua.sw1", world["taipei"])):
        response = as_user(user).get(f"/targets/{other}/child_protection_coverage/115")
        assert response.status_code == 404, user
    assert as_user("tpe.admin").get(f"/targets/{world['taipei']}/nonexistent/115").status_code == 404
    assert as_user("tpe.admin").get(f"/targets/{world['taipei']}/child_protection_coverage/119").status_code == 404


def test_ministry_sees_aggregates_under_the_disclosure_rule_and_never_a_family(world, as_user):
    ministry = as_user("moh.protect")
    body = _text(ministry.get("/targets"))
    assert "各縣市與全國" in body and "揭露規則" in body
    assert "臺北市" in body and "花蓮縣" in body and "全國" in body
    # 花蓮縣 counts 1 of 1: masked (1–2), and its rate with it; no drill-down link, no family
    assert "*" in body
    assert "/targets/" + str(world["hualien"]) + "/" not in body and "cp3家" not in body and "hcp1家" not in body
    for county in (world["taipei"], world["hualien"]):
        assert ministry.get(f"/targets/{county}/child_protection_coverage/115").status_code == 404


def test_partner_has_no_access(as_user):
    assert as_user("ngo.staff").get("/targets").status_code == 403


def test_denominator_form_offers_the_entered_denominator_measures(as_user):
    body = _text(as_user("tpe.admin").get("/targets/denominators"))
    assert "目前沒有需由縣市填報分母的指標" not in body and "育兒指導" in body and "獨居老人" in body


def test_denominator_form_refuses_a_western_year_and_a_negative_number_keeping_what_was_typed(
        world, as_user, external_measure, db):
    admin = as_user("tpe.admin")
    board = _text(admin.get("/targets"))
    assert "尚未填報分母" in board
    typed = {"measure": external_measure.code, "roc_year": "2026", "value": "-1200", "source": "戶政司出生登記（115年）"}
    refused = admin.post("/targets/denominators", typed)
    assert refused.status_code == 422
    body = _text(refused)
    assert "請填民國年，不是西元年：西元 2026 年是民國 115 年。" in body
    assert "分母不可為負數" in body
    assert 'value="2026"' in body and 'value="-1200"' in body and "戶政司出生登記（115年）" in body
    saved = admin.post("/targets/denominators", {**typed, "roc_year": "115", "value": "１２００"})
    assert saved.status_code in (302, 303)
    with tenancy.tenant_scope(world["taipei"]):
        row = db.session.scalars(sa.select(TargetDenominator)).one()
    assert (row.roc_year, row.value, row.source) == (115, 1200, "戶政司出生登記（115年）")
    with tenancy.tenant_scope(world["taipei"]):
        entry = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "target_denominators")).one()
        assert entry.actor_username == "tpe.admin" and "戶政司出生登記（115年）" in str(entry.changes)
    listed = _text(admin.get("/targets/denominators"))
    assert "1,200" in listed and "戶政司出生登記（115年）" in listed
    board = _text(admin.get("/targets"))
    assert "來源：戶政司出生登記（115年）" in board and "0.25%" in board  # 3 / 1,200
    # an update replaces the figure, one row per county, measure and year
    admin.post("/targets/denominators", {**typed, "roc_year": "115", "value": "1500"})
    with tenancy.tenant_scope(world["taipei"]):
        assert db.session.scalars(sa.select(TargetDenominator.value)).all() == [1500]


def test_denominator_form_is_the_county_admins_only(as_user):
    assert as_user("tpe.sw1").get("/targets/denominators").status_code == 403
    assert as_user("moh.protect").get("/targets/denominators").status_code == 403


def test_board_lists_the_measures_in_the_issues_order(world, as_user):
    body = _text(as_user("tpe.admin").get("/targets"))
    order = ["investigation_dispatch", "child_protection_coverage", "parenting_guidance", "elder_alone_reach",
             "image_removal", "opening_rate", "referral_rate", "vulnerability_change"]
    positions = [body.index(f'id="measure-{code}"') for code in order]
    assert positions == sorted(positions)

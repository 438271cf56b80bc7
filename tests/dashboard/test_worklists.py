"""Each role's home page is its work list: the counts over what the person may see, each linking to
the list it counts, refreshed by htmx from the same template's block."""
from __future__ import annotations

import html
import re

TILE = re.compile(r'<a class="card card-body h-100 text-decoration-none work-tile [^"]*" href="([^"]*)" data-count="(\d+)">'
                  r'.*?<span class="work-label">([^<]*)</span>', re.S)


def tiles(body: str) -> dict[str, tuple[int, str]]:
    """Label → (count, link) of the work list's tiles."""
    return {html.unescape(label): (int(count), html.unescape(url)) for url, count, label in TILE.findall(body)}


def seed_demo(db):
    """The demo data of every area, as `flask seed-demo` loads it (rolled back after the test)."""
    from app.campaigns.demo import seed_demo_campaign
    from app.cases.demo import seed_demo_cases
    from app.intake.demo import seed_demo_reports
    from app.meetings.demo import seed_demo_meetings
    from app.referrals.demo import seed_demo_referrals

    seed_demo_reports()
    seed_demo_cases()
    seed_demo_referrals()
    seed_demo_meetings()
    seed_demo_campaign()
    db.session.commit()


import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from app.core.calendar import today as taipei_today
from app.cases.models import OPEN_STATUSES, CaseStatus, CaseUnit, FamilyCase
from app.core import tenancy
from app.core.filters import mask_name
from app.core.models import utcnow
from app.intake.models import OPEN_REPORT_STATUSES, Report
from app.referrals import services as referrals
from app.referrals.models import PartnerService, Referral, ReferralKind, ReferralStatus

CENTRE = "臺北市中正社會福利服務中心"
DV = "臺北市家庭暴力暨性侵害防治中心"


@pytest.fixture
def demo(db, factories):
    seed_demo(db)
    return factories.county("臺北市")


def _home(client) -> tuple[str, dict]:
    response = client.get("/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    return body, tiles(body)


def _follow(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _centre_cases(db, taipei, factories, *conditions) -> list[tuple[int, str]]:
    """(id, case number) of the centre's cases (plain values: under PostgreSQL's row-level security a
    loaded record cannot be refreshed outside its county's scope)."""
    centre = factories.unit(CENTRE)
    with tenancy.tenant_scope(taipei.id):
        return db.session.execute(sa.select(FamilyCase.id, FamilyCase.case_no).where(
            FamilyCase.id.in_(sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == centre.id)), *conditions)).all()


def test_dispatcher_sees_reports_waiting_and_overdue_by_deadline(as_user, db, demo, factories):
    client = as_user("tpe.dispatch")
    body, t = _home(client)
    now = utcnow()
    with tenancy.tenant_scope(demo.id):
        waiting = db.session.execute(sa.select(Report.report_no, Report.deadline_at)
                                     .where(Report.status.in_(OPEN_REPORT_STATUSES)).order_by(Report.deadline_at)).all()
    overdue = [no for no, deadline in waiting if deadline < now]
    assert t["待篩派案通報"] == (len(waiting), "/intake/queue")
    assert t["已逾派案時限"][0] == len(overdue) > 0
    listed = _follow(client, t["已逾派案時限"][1])
    assert all(no in listed for no in overdue)
    assert not any(no in listed for no, _ in waiting if no not in overdue)
    # the reports whose clocks run out first are listed on the home page, the earliest first
    assert body.index(waiting[0][0]) < body.index(waiting[1][0])
    assert "逾期" in body


def test_supervisor_sees_assignment_approvals_and_overdue_clocks_of_the_unit(as_user, db, demo, factories):
    client = as_user("tpe.sup")
    _, t = _home(client)
    awaiting = _centre_cases(db, demo, factories, FamilyCase.status == CaseStatus.AWAITING_ASSIGNMENT)
    opening = _centre_cases(db, demo, factories, FamilyCase.status == CaseStatus.OPENING_REVIEW)
    closing = _centre_cases(db, demo, factories, FamilyCase.status == CaseStatus.CLOSING_REVIEW)
    assert t["待指派社工"][0] == len(awaiting) > 0
    assert t["開案審核"][0] == len(opening) > 0
    assert t["結案審核"][0] == len(closing) > 0
    for label, cases in (("待指派社工", awaiting), ("開案審核", opening), ("結案審核", closing)):
        listed = _follow(client, t[label][1])
        assert all(case_no in listed for _, case_no in cases), label
    assert t["首次訪視逾期"][0] >= 1  # the demo's family assessed past its 10 days
    listed = _follow(client, t["首次訪視逾期"][1])
    assert listed.count('href="/cases/') - listed.count('href="/cases/search') >= t["首次訪視逾期"][0]


def test_overdue_plan_review_is_counted_and_listed(as_user, db, demo, factories):
    from datetime import timedelta

    from app.cases import services as cases

    sw = factories.user("tpe.sw1")
    sw_m = next(m for m in sw.memberships if m.unit.name == CENTRE)
    case_id, case_no = _centre_cases(db, demo, factories, FamilyCase.status == CaseStatus.OPEN)[0]
    client = as_user("tpe.sup")
    before = _home(client)[1]["服務計畫檢討逾期"][0]
    with tenancy.tenant_scope(demo.id):
        case = db.session.get(FamilyCase, case_id)
        cases.add_plan(case, sw, sw_m, goals="穩定就業", agreed_by="案母",
                       agreed_on=taipei_today() - timedelta(days=40), review_due=taipei_today() - timedelta(days=3))
    db.session.commit()
    _, t = _home(client)
    assert t["服務計畫檢討逾期"][0] == before + 1
    assert case_no in _follow(client, t["服務計畫檢討逾期"][1])


def test_worker_sees_own_cases_with_next_deadline_and_referrals_to_answer(as_user, db, demo, factories):
    sw1 = factories.user("tpe.sw1")
    dv_user = factories.user("tpe.dv1")
    with tenancy.tenant_scope(demo.id):
        mine = db.session.scalars(sa.select(FamilyCase.case_no).where(FamilyCase.assigned_worker_id == sw1.id,
                                                                      FamilyCase.status.in_(OPEN_STATUSES))).all()
        # the 家防中心 refers one of its families to the centre: it waits for the centre's answer
        dv_case = db.session.scalars(sa.select(FamilyCase).where(FamilyCase.id.in_(
            sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == factories.unit(DV).id, CaseUnit.role == "lead")),
            FamilyCase.status.in_(OPEN_STATUSES))).first()
        referral = referrals.send(dv_case, dv_user, dv_user.memberships[0], kind=ReferralKind.UNIT, reason="經濟困難",
                                  services_requested="脆弱家庭服務", sections=["members"], to_unit=factories.unit(CENTRE))
        referral_no, family = referral.referral_no, dv_case.family_name
    db.session.commit()
    client = as_user("tpe.sw1")
    body, t = _home(client)
    assert t["我的案件"] == (len(mine), "/cases/mine")
    assert all(case_no in body for case_no in mine)
    assert "首次訪視（10 日內）" in body
    assert "逾期 " in body and " 天" in body  # the demo's overdue first visit: 「逾期 N 天」
    assert t["已逾期的案件"][0] >= 1
    assert t["待回覆的轉介"][0] == 1
    listed = _follow(client, t["待回覆的轉介"][1])
    assert referral_no in listed and family in listed


def test_a_person_of_two_units_sees_the_work_list_of_the_current_unit(as_user, db, demo, factories):
    wanhua = factories.unit("臺北市萬華社會福利服務中心")
    dv_user = factories.user("tpe.dv1")
    with tenancy.tenant_scope(demo.id):
        dv_case = db.session.scalars(sa.select(FamilyCase).where(FamilyCase.id.in_(
            sa.select(CaseUnit.case_id).where(CaseUnit.unit_id == factories.unit(DV).id, CaseUnit.role == "lead")),
            FamilyCase.status.in_(OPEN_STATUSES))).first()
        referral_no = referrals.send(dv_case, dv_user, dv_user.memberships[0], kind=ReferralKind.UNIT, reason="經濟困難",
                                     services_requested="", sections=["members"], to_unit=wanhua).referral_no
    db.session.commit()
    client = as_user("tpe.sw2")
    body, t = _home(client)
    assert "「臺北市中正社會福利服務中心」" in body
    assert t["待回覆的轉介"][0] == 0  # the referral went to 萬華, not to the unit in use
    sw2 = factories.user("tpe.sw2")
    to_wanhua = next(m for m in sw2.memberships if m.unit_id == wanhua.id)
    assert client.post("/session/unit", {"membership_id": to_wanhua.id}).status_code == 303
    body, t = _home(client)
    assert "「臺北市萬華社會福利服務中心」" in body
    assert t["待回覆的轉介"][0] == 1
    assert referral_no in _follow(client, t["待回覆的轉介"][1])


def test_worker_countdown_reads_days_left_and_days_late():
    from datetime import datetime, timedelta, timezone

    from app.cases.deadlines import Due
    from app.cases.queries import NextDue

    at = datetime(2026, 12, 6, 2, tzinfo=timezone.utc)
    assert NextDue(Due("k", "x", at + timedelta(days=2), None, "due"), 2).countdown == "剩 2 天"
    assert NextDue(Due("k", "x", at - timedelta(days=3), None, "overdue"), -3).countdown == "逾期 3 天"
    assert NextDue(Due("k", "x", at, None, "soon"), 0).countdown == "今天到期"


def test_partner_sees_only_its_own_referrals(as_user, db, demo, factories):
    ngo = factories.user("ngo.staff")
    org_id = ngo.memberships[0].unit.partner_org_id
    with tenancy.all_tenants("test: referrals addressed to partners"):
        own = [(r.referral_no, r.shared_snapshot["family_name"]) for r in db.session.scalars(sa.select(Referral).where(
            Referral.to_partner_org_id == org_id, Referral.status == ReferralStatus.WAITING))]
        other = db.session.scalars(sa.select(PartnerService).where(PartnerService.partner_org_id != org_id,
                                                                   PartnerService.is_active.is_(True))).all()
    other = next(s for s in other if demo.id in s.county_ids)
    sw = factories.user("tpe.sw1")
    sw_m = next(m for m in sw.memberships if m.unit.name == CENTRE)
    with tenancy.tenant_scope(demo.id):
        case = db.session.get(FamilyCase, _centre_cases(db, demo, factories, FamilyCase.status == CaseStatus.OPEN)[0][0])
        foreign = referrals.send(case, sw, sw_m, kind=ReferralKind.PARTNER, partner_service=other, consent=True,
                                 consent_by="案母", reason="課後照顧", services_requested="", sections=["members"])
        foreign_no = foreign.referral_no
    db.session.commit()
    client = as_user("ngo.staff")
    body, t = _home(client)
    assert t["待回覆的轉介"][0] == len(own) > 0  # the referral to another organisation is not counted
    listed = _follow(client, t["待回覆的轉介"][1])
    assert all(no in listed and family in listed for no, family in own)
    assert foreign_no not in listed
    assert "服務中（待記錄服務）" in t


def test_county_administrator_sees_the_county_and_not_another(as_user, db, demo):
    _, taipei = _home(as_user("tpe.admin"))
    _, hualien = _home(as_user("hua.admin"))
    assert taipei["首次訪視逾期"][0] >= 1
    assert hualien["首次訪視逾期"][0] == 0  # 臺北市's families are not 花蓮縣's work
    assert taipei["逾期未篩派通報"][0] >= 1
    assert taipei["待送出統計報表"][0] >= 4  # the last quarter's four reports (and the last campaign's), none submitted here
    from datetime import timedelta

    with tenancy.tenant_scope(demo.id):
        late = db.session.scalars(sa.select(FamilyCase).where(
            FamilyCase.first_visit_at.is_(None), FamilyCase.status.in_(OPEN_STATUSES),
            FamilyCase.received_at < utcnow() - timedelta(days=10))).all()
        late = [c.case_no for c in late if c.is_vulnerable_family]
    assert len(late) == taipei["首次訪視逾期"][0]
    listed = _follow(as_user("tpe.admin"), taipei["首次訪視逾期"][1])
    assert all(case_no in listed for case_no in late)
    assert "報表" in _follow(as_user("tpe.admin"), taipei["待送出統計報表"][1])


def test_ministry_sees_aggregates_never_families(as_user, db, demo):
    client = as_user("moh.protect")
    body, t = _home(client)
    waiting = [label for label in t if label == "待各單位填報的列管事項"]
    assert waiting and t[waiting[0]][0] > 0
    table = _follow(client, t[waiting[0]][1])
    assert "辦理情形" in table
    assert t["未送齊季報的縣市"][0] == 22
    assert "/reports/submissions?period=quarter:" in t["未送齊季報的縣市"][1]
    _follow(client, t["未送齊季報的縣市"][1])
    assert "○○家" not in body and "案號" not in body  # counts only: no family on the ministry's home
    _, sfaa = _home(as_user("moh.sfaa"))
    assert sfaa["本單位待填辦理情形"][0] > 0
    assert "待各單位填報的列管事項" not in sfaa  # only the secretariat sees every unit's progress


def test_htmx_refresh_returns_only_the_block(as_user, db, demo):
    client = as_user("tpe.sup")
    full = client.get("/").get_data(as_text=True)
    assert 'hx-trigger="every 60s"' in full and "<html" in full
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    part = response.get_data(as_text=True).strip()
    assert part.startswith('<section id="worklist"') and part.endswith("</section>")
    assert "<html" not in part and "本單位人員" not in part
    assert tiles(part) == tiles(full)


def test_referral_list_opens_on_the_units_own_tab_and_names_the_family(as_user, db, demo):
    # 家防中心 mostly receives (the demo's referrals go to it); 中正社福中心 mostly sends
    dv = _follow(as_user("tpe.dv1"), "/referrals")
    assert 'href="/referrals?box=received" aria-current="page"' in dv
    centre = _follow(as_user("tpe.sw1"), "/referrals")
    assert 'href="/referrals?box=sent" aria-current="page"' in centre
    with tenancy.tenant_scope(demo.id):
        sent = db.session.scalars(sa.select(Referral).where(Referral.status.in_(
            [ReferralStatus.WAITING, ReferralStatus.IN_SERVICE, ReferralStatus.RETURNED]))).all()
        sent = [(r.shared_snapshot["case_no"], r.shared_snapshot["family_name"]) for r in sent
                if r.from_unit.name == CENTRE]
    assert sent
    for case_no, family in sent:  # each row names the family: case number and the masked family name
        assert case_no in centre and family in centre
    # the other tab still opens when asked for
    assert 'href="/referrals?box=received" aria-current="page"' in _follow(as_user("tpe.sw1"), "/referrals?box=received")


@given(st.text(alphabet="王李陳小明美華○家", min_size=0, max_size=6))
def test_masked_names_keep_only_the_ends(name):
    masked = mask_name(name)
    assert len(masked) == len(name.strip())
    if "○" not in name and len(name) >= 2:
        assert masked[0] == name[0] and set(masked[1:-1] or "○") == {"○"}
        assert masked != name

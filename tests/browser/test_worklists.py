"""Each role's home page is its work list: log in as each persona in Chromium, see the counts, follow
one to its list, and keep a screenshot of every home page (test-artifacts/home-<role>.png)."""
import re

import pytest

from tests.browser.helpers import login, shot
from tests.support import LIVE

pytestmark = pytest.mark.browser

ROLES = [
    # role (the screenshot's name), username, a tile that must show, the heading of the list it leads to
    ("dispatcher", "tpe.dispatch", "待篩派案通報", "篩派案佇列"),
    ("supervisor", "tpe.sup", "待指派社工", "案件收件匣"),
    ("worker", "tpe.sw1", "我的案件", "我的案件"),
    ("partner", "ngo.staff", "待回覆的轉介", "轉介"),
    ("county-admin", "tpe.admin", "首次訪視逾期", "查詢"),
    ("ministry", "moh.protect", "未送齊季報的縣市", "報表送出情形"),
]


@pytest.fixture(scope="module", autouse=True)
def demo_data(live_server):
    """The demo's reports, families, referrals and meetings on the live server (each seed is idempotent;
    those that find earlier tests' records keep them)."""
    from app.cases.demo import seed_demo_cases
    from app.extensions import db
    from app.intake.demo import seed_demo_reports
    from app.meetings.demo import seed_demo_meetings
    from app.referrals.demo import seed_demo_referrals

    with LIVE["app"].app_context():
        for seed in (seed_demo_reports, seed_demo_cases, seed_demo_referrals, seed_demo_meetings):
            seed()
            db.session.commit()
        _a_referral_waits_for_the_partner()
        db.session.commit()
        db.session.remove()


def _a_referral_waits_for_the_partner():
    """Earlier browser tests may have answered the demo's waiting referral to 家扶基金會 (the demo's
    referrals are not seeded again once any exist): send one more from a family of 中正社福中心."""
    import sqlalchemy as sa

    from app.accounts.models import User
    from app.cases.models import CaseStatus, FamilyCase
    from app.core import tenancy
    from app.extensions import db
    from app.referrals import services
    from app.referrals.models import PartnerService, Referral, ReferralKind, ReferralStatus
    from app.tenants.models import County

    taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
    with tenancy.tenant_scope(taipei.id):
        worker = db.session.scalars(sa.select(User).where(User.username == "tpe.sw1")).one()
        membership = worker.memberships[0]
        support = db.session.scalars(sa.select(PartnerService).where(PartnerService.name == "兒少及家庭支持服務")).first()
        waiting = db.session.scalars(sa.select(Referral.id).where(
            Referral.to_partner_org_id == support.partner_org_id, Referral.status == ReferralStatus.WAITING)).first()
        if waiting is not None:
            return
        case = next(c for c in db.session.scalars(sa.select(FamilyCase).where(
            FamilyCase.status == CaseStatus.OPEN).order_by(FamilyCase.id)) if services.cases.can_write(c, membership))
        services.send(case, worker, membership, kind=ReferralKind.PARTNER, partner_service=support, consent=True,
                      consent_by="案母", reason="兒少課後無人照顧", services_requested="課後照顧", sections=["members"])


@pytest.mark.parametrize("role, username, tile, heading", ROLES)
def test_home_is_the_work_list(page, role, username, tile, heading):
    login(page, username)
    page.wait_for_url(re.compile(r".*/$"))
    worklist = page.locator("#worklist")
    worklist.wait_for()
    link = worklist.locator("a.work-tile", has_text=tile).first
    assert int(link.get_attribute("data-count")) > 0  # the demo has work of this kind for this person
    assert link.locator(".work-count").inner_text().startswith(link.get_attribute("data-count"))
    assert worklist.get_attribute("hx-trigger") == "every 60s"
    shot(page, f"home-{role}")
    link.click()
    page.wait_for_load_state("networkidle")
    assert heading in page.locator("main h1").first.inner_text()
    assert page.console_errors == []

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

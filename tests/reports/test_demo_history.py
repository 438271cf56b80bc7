"""The demo's earlier years: the reports for 108年 and 109年1–6月 have real figures, as at each period's end."""
from app.core import tenancy
from app.reports import queries
from app.reports.demo import seed_demo_history
from app.reports.models import PeriodKind
from app.reports.periods import Period


def test_the_demo_history_gives_figures_for_108_and_the_first_half_of_109(db, factories):
    assert seed_demo_history() > 30 and seed_demo_history() == 0  # once
    taipei = factories.county("臺北市").id
    with tenancy.tenant_scope(taipei):
        year = {k: f(taipei, Period.of_roc(PeriodKind.YEAR, 108)) for k, f in (
            ("screening", queries.count_screening), ("visits", queries.count_visits),
            ("vulnerability", queries.count_vulnerability), ("referrals", queries.count_referrals))}
        half = queries.count_visits(taipei, Period.of_roc(PeriodKind.HALF, 109, 1))
    assert year["screening"]["received"] == 32 and year["visits"]["total"]["case_management"] == 10
    assert year["vulnerability"]["closed"] == 3 and sum(year["referrals"]["sent"]["by_kind"]["unit"].values()) == 4
    # three families of 109年上半年 were still being assessed at its end (two outcomes recorded only in July)
    assert half["total"]["assessing"] == 3 and half["total"]["case_management"] == 5

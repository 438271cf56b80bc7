"""Fixtures shared by the case tests."""
import pytest

from app.cases.demo import seed_demo_cases
from app.intake.demo import seed_demo_reports


@pytest.fixture
def demo(db, factories):
    """The demo reports and cases (for the pages' query ceilings and searches); returns 臺北市."""
    seed_demo_reports()
    seed_demo_cases()
    db.session.commit()
    return factories.county("臺北市")

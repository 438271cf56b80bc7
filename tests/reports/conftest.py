"""Fixtures shared by the report tests."""
from tests.reports.test_queries import world  # noqa: F401  (fixture, for the other modules here)
from tests.campaigns.test_list import taipei_cases  # noqa: F401,E402  (fixture, for the results report's tests)
from tests.campaigns.test_visits import listed  # noqa: F401,E402  (fixture)

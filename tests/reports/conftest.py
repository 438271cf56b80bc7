"""Fixtures shared by the report tests."""
from tests.reports.test_queries import world  # noqa: F401  (fixture, for the other modules here)

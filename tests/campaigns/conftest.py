"""Fixtures shared by the campaign tests."""
from tests.campaigns.test_list import taipei_cases  # noqa: F401  (fixture, for the other modules here)

"""Fixtures shared by the referral tests."""
from tests.referrals.test_workflow import world  # noqa: F401  (fixture, for the other modules here)

"""Referrals, joint cases, partner organisations and disputes: step 4."""

"""Retention review: closed cases past the county's retention period, a recorded
decision per case, and disposal as a separate, audited step (``flask retention-purge``)."""

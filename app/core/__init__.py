"""Mechanisms every area shares: tenancy, audit context, rendering, security, jobs."""

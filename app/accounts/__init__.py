"""Accounts: users, their memberships (user × unit × role), login and sessions."""

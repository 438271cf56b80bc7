"""Organisations: counties (the tenants), their units, partner organisations, the ministry."""

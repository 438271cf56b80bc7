"""National-scale data generator: ``flask --app app seed-scale``.

Fills a migrated database that has its reference data (``flask seed-demo``) with
realistic national volumes in the proportions of seed 001: reports from every
channel in every state, the family cases they opened with members, units,
workers, contacts, services and assessments, referrals of every kind and
status with their history, disputes at every stage, lead hand-overs, and county
and national meetings with action items and progress. Deterministic for a seed
and sizes (``--today`` pins the anchor date); bulk-loaded (COPY on PostgreSQL,
batched core inserts on SQLite), never one ORM object at a time.

Modules: ``generator`` (what is made, phase by phase), ``loader`` (how rows are
written), ``names`` (people, places and words), ``command`` (the CLI).
"""

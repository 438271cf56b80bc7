"""Row-level security DDL for PostgreSQL, used by the migrations.

Each tenant table gets RLS enabled *and forced* (so even the owner is subject
to it) with one policy on ``app.tenant_id``, or on ``app.all_tenants`` for the
explicit cross-county opt-out. The runtime role owns nothing; it is granted
only what it needs.
"""
from __future__ import annotations

from flask import current_app

# The settings are read in sub-selects so PostgreSQL evaluates them once per
# query (an InitPlan), not once per row: on 300,000 rows that is the difference
# between a cheap filter and a slow one.
TENANT_PREDICATE = (
    "((SELECT current_setting('app.all_tenants', true)) = 'on' "
    "OR tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer))"
)


def app_role(op) -> str:
    return current_app.config["DB_APP_ROLE"]


def is_postgres(op) -> bool:
    return op.get_bind().dialect.name == "postgresql"


def ensure_app_role(op) -> None:
    """Create the runtime role when the migrating user may; grant schema use."""
    if not is_postgres(op):
        return
    role = app_role(op)
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS;
          END IF;
        END $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}")


def grant_rw(op, table: str) -> None:
    if is_postgres(op):
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {app_role(op)}")


def grant_append_only(op, table: str) -> None:
    if is_postgres(op):
        op.execute(f"GRANT SELECT, INSERT ON {table} TO {app_role(op)}")


def enable_tenant_rls(op, table: str, *, insert_any_tenant: bool = False) -> None:
    """RLS on a table with ``tenant_id``; reads and writes limited to the tenant."""
    if not is_postgres(op):
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    if insert_any_tenant:
        op.execute(f"CREATE POLICY {table}_tenant_read ON {table} FOR SELECT USING {TENANT_PREDICATE}")
        op.execute(f"CREATE POLICY {table}_append ON {table} FOR INSERT WITH CHECK (true)")
    else:
        op.execute(
            f"CREATE POLICY {table}_tenant ON {table} USING {TENANT_PREDICATE} WITH CHECK {TENANT_PREDICATE}"
        )


def disable_tenant_rls(op, table: str) -> None:
    if not is_postgres(op):
        return
    for policy in ("tenant", "tenant_read", "append"):
        op.execute(f"DROP POLICY IF EXISTS {table}_{policy} ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def forbid_update_delete(op, table: str) -> None:
    """Append-only at the database level, for every role including the owner."""
    if is_postgres(op):
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '{table} is append-only';
            END $$ LANGUAGE plpgsql;
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def allow_update_delete(op, table: str) -> None:
    if is_postgres(op):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


SHARED_PREDICATE = (
    "((SELECT current_setting('app.all_tenants', true)) = 'on' "
    "OR tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer) "
    "OR to_county_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer) "
    "OR to_partner_org_id = (SELECT NULLIF(current_setting('app.partner_org_id', true), '')::integer))"
)


def _enable_policy(op, table: str, name: str, predicate: str) -> None:
    """RLS enabled and forced on ``table`` with one policy for reads and writes."""
    if not is_postgres(op):
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_{name} ON {table} USING {predicate} WITH CHECK {predicate}")


def _disable_policy(op, table: str, name: str) -> None:
    if not is_postgres(op):
        return
    op.execute(f"DROP POLICY IF EXISTS {table}_{name} ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def enable_shared_rls(op, table: str) -> None:
    """RLS on a closed-loop table: the sending county, the receiving county or partner."""
    _enable_policy(op, table, "parties", SHARED_PREDICATE)


def disable_shared_rls(op, table: str) -> None:
    _disable_policy(op, table, "parties")


COUNTY_OR_NATIONAL_PREDICATE = (
    "((SELECT current_setting('app.all_tenants', true)) = 'on' "
    "OR county_id IS NULL "
    "OR county_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer))"
)


def enable_county_or_national_rls(op, table: str) -> None:
    """RLS on a table with a nullable ``county_id``: national rows for all, a county's for that county."""
    _enable_policy(op, table, "county_or_national", COUNTY_OR_NATIONAL_PREDICATE)


def disable_county_or_national_rls(op, table: str) -> None:
    _disable_policy(op, table, "county_or_national")

"""Row-level security holds for every kind of record, even if the app forgot to check.

For each record of 臺北市 the access matrix uses, raw SQL as the runtime role with
花蓮縣 as the transaction's county reads nothing, updates nothing and deletes
nothing; with no county set, the same. Only the right county finds the row.
(The app-level refusals of the same records are the access matrix, which CI runs
on PostgreSQL as well.)
"""
import os

import pytest
import sqlalchemy as sa

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL); .ci/run provides it"),
]

# taipei_objects key -> table (the column that ties it to a county: tenant_id or county_id)
TABLES = {
    "tpe_report": "reports", "tpe_case": "family_cases", "tpe_token": "api_tokens", "tpe_plan": "service_plans",
    "tpe_referral": "referrals", "tpe_dispute": "disputes", "tpe_handover": "lead_handovers",
    "tpe_series": "meeting_series", "tpe_meeting": "meetings", "tpe_item": "action_items",
    "tpe_document": "meeting_documents", "tpe_run": "report_runs", "tpe_entry": "campaign_entries",
    "tpe_duty": "campaign_duty_contacts", "tpe_case_document": "case_documents", "tpe_exchange_client": "exchange_clients",
}


def _set_county(conn, county_id):
    conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true), set_config('app.all_tenants', 'off', true)"),
                 {"t": "" if county_id is None else str(county_id)})


def _probe(db, table, row_id):
    """(rows read, rows updated, rows deleted) by raw SQL, each in a savepoint undone afterwards."""
    conn = db.session.connection()
    read = conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": row_id}).scalar()
    counts = [read]
    for statement in (f"UPDATE {table} SET id = id WHERE id = :id", f"DELETE FROM {table} WHERE id = :id"):
        nested = conn.begin_nested()
        try:
            counts.append(conn.execute(sa.text(statement), {"id": row_id}).rowcount)
        except sa.exc.DBAPIError as error:  # no grant at all (append-only tables): refused outright
            counts.append(f"refused: {type(error.orig).__name__}")
        finally:
            nested.rollback()
    return tuple(counts)


def _untouched(result) -> bool:
    return result == 0 or str(result).startswith("refused")


def test_every_record_kind_is_invisible_and_untouchable_from_another_county(db, factories, taipei_objects):
    assert set(TABLES) <= set(taipei_objects)
    taipei, hualien = factories.county("臺北市").id, factories.county("花蓮縣").id
    conn = db.session.connection()
    me = conn.execute(sa.text("SELECT current_user")).scalar()
    assert me != "postgres"  # the runtime role, which RLS binds
    wrong = []
    for key, table in TABLES.items():
        row_id = taipei_objects[key]
        for county, label in ((hualien, "花蓮縣"), (None, "no county")):
            _set_county(conn, county)
            read, updated, deleted = _probe(db, table, row_id)
            if read != 0 or not _untouched(updated) or not _untouched(deleted):
                wrong.append(f"{table}#{row_id} as {label}: read {read}, updated {updated}, deleted {deleted}")
        _set_county(conn, taipei)
        read, updated, _ = _probe(db, table, row_id)
        if read != 1 or updated != 1:
            wrong.append(f"{table}#{row_id} as 臺北市: read {read}, updated {updated} (its own county must find it)")
    assert not wrong, "\n".join(wrong)


def test_a_row_cannot_be_moved_into_or_written_for_another_county(db, factories, taipei_objects):
    taipei, hualien = factories.county("臺北市").id, factories.county("花蓮縣").id
    conn = db.session.connection()
    _set_county(conn, taipei)
    nested = conn.begin_nested()
    with pytest.raises(sa.exc.DBAPIError, match="row-level security"):
        conn.execute(sa.text("UPDATE family_cases SET tenant_id = :h WHERE id = :id"),
                     {"h": hualien, "id": taipei_objects["tpe_case"]})
    nested.rollback()

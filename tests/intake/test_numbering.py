"""通報編號 under load: the day's counter is not held locked by the request that took a number,
and an API token's last use is not written on every request."""
import os

import pytest
import sqlalchemy as sa

from app.core.sequences import Counter, next_value
from app.extensions import db as _db

postgres_only = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                   reason="needs PostgreSQL (DATABASE_URL); .ci/run provides it")


def _other_connection_can_bump(name: str, period: str) -> bool:
    """Another connection bumps the same counter with a lock timeout: does it get through?"""
    with _db.engine.connect() as conn:
        conn.exec_driver_sql("SET lock_timeout = '500ms'")
        try:
            conn.execute(sa.update(Counter).where(Counter.name == name, Counter.period == period)
                         .values(value=Counter.value + 1))
            conn.rollback()
            return True
        except sa.exc.OperationalError:
            conn.rollback()
            return False


@postgres_only
def test_report_counter_is_free_while_the_request_goes_on(app):
    with app.app_context():
        try:
            a = next_value("test-report", "p1", own_transaction=True)
            b = next_value("test-report", "p1", own_transaction=True)
            assert b == a + 1
            # the request's own transaction is still open, and holds nothing on the counter
            assert _other_connection_can_bump("test-report", "p1")
            # whereas a counter bumped inside the transaction is held until it ends
            next_value("test-inline", "p1")
            _db.session.commit()
            next_value("test-inline", "p1")
            assert not _other_connection_can_bump("test-inline", "p1")
        finally:
            _db.session.rollback()
            with _db.engine.begin() as conn:
                conn.execute(sa.delete(Counter).where(Counter.name.in_(["test-report", "test-inline"])))
            _db.session.remove()


def test_numbers_stay_distinct_in_one_transaction(app, db):
    values = [next_value("test-distinct", "2099-01-01", own_transaction=True) for _ in range(20)]
    assert len(set(values)) == 20 and values == sorted(values)
    if _db.engine.dialect.name == "postgresql":  # committed on a connection of its own: tidy up
        with _db.engine.begin() as conn:
            conn.execute(sa.delete(Counter).where(Counter.name == "test-distinct"))


def test_api_token_last_use_is_written_at_most_once_a_minute(app, db, as_user):
    import re

    from app.intake.models import ApiToken

    admin = as_user("tpe.admin")
    page = admin.post("/intake/settings/api-tokens", {"organisation": "測試系統", "channel": "16"}).get_data(as_text=True)
    token = re.search(r"snk_[0-9a-f]+_[A-Za-z0-9_-]+", page).group(0)
    body = {"district": "中正區", "concerns": ["vulnerable_family"], "narrative": "測試",
            "persons": [{"name": "陳小明", "relation": "subject"}]}
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/reports", json=body, headers=headers).status_code == 201
    db.session.expire_all()
    record = db.session.scalars(sa.select(ApiToken).where(ApiToken.organisation == "測試系統")).one()
    first = record.last_used_at
    assert first is not None
    assert client.post("/api/v1/reports", json=body, headers=headers).status_code == 201
    db.session.expire_all()
    assert db.session.get(ApiToken, record.id).last_used_at == first

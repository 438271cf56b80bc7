"""Server-Timing headers for the benchmarks: present only when asked for, with the SQL part inside the whole."""
import re

from tests.support import build_app


def _timings(header: str) -> dict:
    parts = dict(re.findall(r"(\w+);dur=([\d.]+)", header))
    count = re.search(r'sql;dur=[\d.]+;desc="(\d+)"', header)
    return {"app": float(parts["app"]), "sql": float(parts["sql"]), "statements": int(count.group(1))}


def test_server_timing_reports_app_and_sql_time(app):
    timed = build_app(app.config["SQLALCHEMY_DATABASE_URI"], MIGRATIONS_DATABASE_URL=app.config["MIGRATIONS_DATABASE_URL"],
                      SERVER_TIMING=True)
    client = timed.test_client()
    t = _timings(client.get("/healthz").headers["Server-Timing"])
    assert t["statements"] >= 1  # SELECT 1
    assert 0 < t["sql"] <= t["app"]
    login = _timings(client.get("/login").headers["Server-Timing"])
    assert login["app"] > 0 and login["sql"] <= login["app"]


def test_no_server_timing_unless_configured(client):
    assert "Server-Timing" not in client.get("/healthz").headers

"""GET /healthz: can the app serve? JSON with the database and Redis state."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from ..extensions import csrf, db
from .jobs import redis_connection
from .permissions import public

bp = Blueprint("health", __name__)


def _database_state() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except Exception:  # any failure to reach the database means we cannot serve
        db.session.rollback()
        return "down"


def _redis_state() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "absent"
    try:
        redis_connection().ping()
        return "ok"
    except Exception:
        return "down"


@bp.get("/healthz")
@csrf.exempt
@public
def healthz():
    database = _database_state()
    redis = _redis_state()
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "unavailable", "database": database, "redis": redis}
    return jsonify(body), status

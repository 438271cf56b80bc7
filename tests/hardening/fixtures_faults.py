"""Fixtures of the fault and backup tests (the test modules take them by name; no conftest of their own): apps on databases of their
own, committed for real since workers, restarts and dumps must see the data, seeded with the
demo data."""
from __future__ import annotations

import os

import pytest

from tests.support import build_app

# These tests start their own PostgreSQL, Redis and workers and never read DATABASE_URL or REDIS_URL:
# the PostgreSQL + Redis run of .ci/run would repeat exactly what `make test` has just run (about
# 7 minutes of CI), so they run once, in the run without an outside PostgreSQL.
SECOND_RUN = os.environ.get("DATABASE_URL", "").startswith("postgresql")
runs_once = pytest.mark.skipif(SECOND_RUN, reason="brings its own servers; `make test`'s run of .ci/run ran it")


def seeded_app(database_url: str, migrations_url: str | None = None, **overrides):
    """An app on a fresh database, migrated as its owner and loaded with ``flask seed-demo``."""
    from flask_migrate import upgrade

    from app.extensions import db

    app = build_app(database_url, MIGRATIONS_DATABASE_URL=migrations_url or database_url, **overrides)
    with app.app_context():
        upgrade()
        db.session.remove()
    saved, app.config["REDIS_URL"] = app.config["REDIS_URL"], None  # the demo's own jobs run inline
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    finally:
        app.config["REDIS_URL"] = saved
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return app


@pytest.fixture(scope="module", autouse=True)
def limiter_back_to_memory():
    """Flask-Limiter is one object for every app: an app of these tests pointing it at a private
    Redis leaves it there; afterwards the suite's apps get in-memory storage again."""
    yield
    from app.extensions import limiter

    build_app("sqlite://")  # init_app of a fresh app resets the shared limiter's storage to memory://
    limiter._storage_dead = False


@pytest.fixture(scope="session")
def private_pg():
    """A PostgreSQL cluster of the tests' own (see servers.py), for restarts and dumps."""
    from tests.hardening.servers import PrivatePostgres

    if not PrivatePostgres.available:
        pytest.skip("PostgreSQL server binaries not installed")
    server = PrivatePostgres()
    server.init()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def pg_app(private_pg):
    """The demo data on the private cluster, migrated as its superuser, served as the runtime role
    (row-level security applies), jobs inline."""
    private_pg.create_database("safetynet")
    return seeded_app(private_pg.url("safetynet", "safetynet_app"), private_pg.url("safetynet"), REDIS_URL=None)

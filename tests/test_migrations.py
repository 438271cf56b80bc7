"""Migrations: one head, they match the models, and they go down and up again."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db as _db


def _script(app):
    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def test_one_head(app):
    with app.app_context():
        assert len(_script(app).get_heads()) == 1


def test_revision_files_are_dated_and_reversible(app):
    with app.app_context():
        for revision in _script(app).walk_revisions():
            assert revision.module.__file__.split("/")[-1][:8].isdigit(), revision.revision
            assert "def downgrade" in open(revision.module.__file__).read()


def test_models_match_migrations(app, db):
    with app.app_context():
        context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, _db.metadata)]
        assert diff == [], diff


def test_down_and_up_again(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app

    url = f"sqlite:///{tmp_path}/roundtrip.sqlite3"
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "MIGRATIONS_DATABASE_URL": url, "SECRET_KEY": "x",
                              "REDIS_URL": None})
    with application.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(_db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "audit_events" in sa.inspect(_db.engine).get_table_names()
        _db.engine.dispose()

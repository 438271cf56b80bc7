"""Alembic environment. Migrations run as the owner of the tables
(``MIGRATIONS_DATABASE_URL``), the app as a role that owns nothing (``DATABASE_URL``)."""
import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
migrations_url = current_app.config["MIGRATIONS_DATABASE_URL"]
config.set_main_option("sqlalchemy.url", migrations_url.replace("%", "%%"))


def render_item(type_, obj, autogen_context):
    """Render the app's column types as plain SQLAlchemy ones, so revisions
    do not import app code that may change after them."""
    from app.core.models import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    context.configure(url=migrations_url, target_metadata=get_metadata(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)

    if migrations_url == current_app.config["SQLALCHEMY_DATABASE_URI"]:
        connectable = target_db.engine
    else:
        connectable = sa.create_engine(migrations_url, poolclass=sa.pool.NullPool)
    with connectable.connect() as connection:
        if connection.dialect.name == "sqlite":
            # All pending revisions in one transaction, as on PostgreSQL: a revision failing half-way
            # leaves the database as it was. SQLite's DDL is transactional; Alembic only assumes it
            # is not because of the pysqlite driver, whose transaction handling app/core/database.py
            # replaces with plain BEGIN/COMMIT.
            conf_args.setdefault("transactional_ddl", True)
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""社安網協作平台 (Safety-Net Casework).

``create_app`` builds the application from small ``configure_*`` steps. It
touches no database and runs no migration: ``flask db upgrade`` is a step of
its own (the Procfile's ``release:``).
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure_settings(app, config)
    configure_extensions(app)
    configure_database_hooks(app)
    configure_templates(app)
    configure_security(app)
    configure_blueprints(app)
    configure_cli(app)
    return app


def configure_settings(app: Flask, config: dict | None) -> None:
    from .config import build_config

    app.config.update(build_config(Path(app.instance_path), config))


def configure_extensions(app: Flask) -> None:
    from .extensions import csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)


def configure_database_hooks(app: Flask) -> None:
    from .audit import services as audit
    from .core import database, tenancy, timing

    database.install(app)
    tenancy.install(app)
    audit.install(app)
    timing.install(app)
    from .referrals import notify

    notify.install(app)  # the referral area's notices follow the workflows' signal


def configure_templates(app: Flask) -> None:
    from .core import filters, navigation

    filters.install(app)
    navigation.install(app)


def configure_security(app: Flask) -> None:
    from .accounts import auth
    from .core import security

    security.install(app)
    auth.install(app)


def configure_blueprints(app: Flask) -> None:
    from .core import converters

    converters.install(app)  # before any route is added
    from .accounts.views import bp as accounts_bp
    from .audit.views import bp as audit_bp
    from .core.health import bp as health_bp
    from .cases.reference_admin import bp as reference_bp
    from .cases.views import bp as cases_bp
    from .meetings.views import bp as meetings_bp
    from .reports.views import bp as reports_bp
    from .campaigns.views import bp as campaigns_bp
    from .referrals.views import bp as referrals_bp
    from .retention.views import bp as retention_bp
    from .dashboard.views import bp as dashboard_bp
    from .intake.api import bp as api_bp
    from .intake.public_views import bp as public_bp
    from .intake.views import bp as intake_bp
    from .tenants.views import bp as tenants_bp

    for bp in (health_bp, accounts_bp, dashboard_bp, tenants_bp, audit_bp, public_bp, intake_bp, api_bp, cases_bp,
               reference_bp, referrals_bp, meetings_bp, reports_bp, campaigns_bp, retention_bp):
        app.register_blueprint(bp)
    from .intake.public_views import rate_limited_form

    app.register_error_handler(429, rate_limited_form)


def configure_cli(app: Flask) -> None:
    from .core.cli import register

    register(app)

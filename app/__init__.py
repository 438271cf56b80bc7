"""社安網協作平台 (Safety-Net Casework).

``create_app`` builds the application from small ``configure_*`` steps. It
touches no database and runs no migration: ``flask db upgrade`` is a step of
its own (the Procfile's ``release:``).

This package sits above every layer (README, "Architecture"; ``.importlinter``):
it is the one place that names every area, and it wires what the areas offer
into the platform (blueprints, menu entries, seeders, the job runner's hooks,
the command line), so that ``core`` names no area.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, request

from .accounts import auth
from .accounts import navigation as accounts_menu
from .accounts.views import bp as accounts_bp
from .accounts.views import rate_limited_login
from .audit import services as audit_services
from .audit import navigation as audit_menu
from .audit.views import bp as audit_bp
from .campaigns import navigation as campaigns_menu
from .campaigns.views import bp as campaigns_bp
from .cases import navigation as cases_menu
from .cases import wiring as cases_wiring
from .cases.reference_admin import bp as reference_bp
from .cases.seed import seed_case_reference, seed_programme_reference
from .cases.views import bp as cases_bp
from .config import build_config
from .core import converters, database, filters, jobs, navigation, security, tenancy, timing
from .core.health import bp as health_bp
from .dashboard import navigation as dashboard_menu
from .dashboard.views import bp as dashboard_bp
from .extensions import csrf, db, htmx, limiter, login_manager, migrate
from .intake import navigation as intake_menu
from .intake.api import bp as api_bp
from .intake.public_views import bp as public_bp
from .intake.public_views import RATE_LIMITED_ENDPOINTS, rate_limited_form
from .intake.views import bp as intake_bp
from .meetings import navigation as meetings_menu
from .meetings.views import bp as meetings_bp
from .ops import cli
from .referrals import navigation as referrals_menu
from .referrals import notify as referrals_notify
from .referrals.seed import seed_partner_services
from .referrals.views import bp as referrals_bp
from .reports import navigation as reports_menu
from .reports.views import bp as reports_bp
from .investigations import navigation as investigations_menu
from .investigations import wiring as investigations_wiring
from .investigations.views import bp as investigations_bp
from .exchange import navigation as exchange_menu
from .exchange.api import bp as fhir_bp
from .exchange.views import bp as exchange_bp
from .household import wiring as household_wiring
from .retention import navigation as retention_menu
from .retention.views import bp as retention_bp
from .targets import navigation as targets_menu
from .targets.views import bp as targets_bp
from .tenants import navigation as tenants_menu
from .tenants import seed as directory_seed
from .tenants.views import bp as tenants_bp

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
    configure_reference_data()
    configure_cli(app)
    return app


def configure_settings(app: Flask, config: dict | None) -> None:
    app.config.update(build_config(Path(app.instance_path), config))


def configure_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)


def configure_database_hooks(app: Flask) -> None:
    database.install(app)
    tenancy.install(app)
    audit_services.install(app)
    cases_wiring.install(app)
    investigations_wiring.install(app)  # a report dispatched to the 通報調查處理中心 opens its investigation
    household_wiring.install(app)  # risk flags recomputed when a report, a case or another system's status changes
    timing.install(app)
    referrals_notify.install(app)  # the referral area's notices follow the workflows' signal


# The menu: each area declares its entries (``app/<area>/navigation.py``), ordered by their positions.
MENUS = (dashboard_menu, intake_menu, cases_menu, referrals_menu, meetings_menu, campaigns_menu, reports_menu,
         targets_menu, tenants_menu, accounts_menu, retention_menu, audit_menu, investigations_menu,
         exchange_menu)


def configure_templates(app: Flask) -> None:
    filters.install(app)
    navigation.install(app, [item for menu in MENUS for item in menu.ITEMS])


def configure_security(app: Flask) -> None:
    security.install(app)
    auth.install(app)  # also makes the asking user the actor of the jobs it enqueues (core.jobs.register_actor)


def _rate_limited(error):
    """429: the login form or the public report form again, as typed; elsewhere the error page."""
    if request.endpoint in ("accounts.login", "accounts.login_verify"):
        return rate_limited_login()
    if request.endpoint in RATE_LIMITED_ENDPOINTS:
        return rate_limited_form(error)
    return security.rate_limited(error)


def configure_blueprints(app: Flask) -> None:
    converters.install(app)  # before any route is added
    for bp in (health_bp, accounts_bp, dashboard_bp, tenants_bp, audit_bp, public_bp, intake_bp, api_bp, cases_bp,
               reference_bp, referrals_bp, meetings_bp, reports_bp, campaigns_bp, retention_bp,
               investigations_bp, targets_bp, fhir_bp, exchange_bp):
        app.register_blueprint(bp)
    app.register_error_handler(429, _rate_limited)


def configure_reference_data() -> None:
    """The areas' national reference data, loaded after the directory's (``tenants.seed``)."""
    directory_seed.register_seeder(seed_case_reference)
    directory_seed.register_seeder(seed_programme_reference)
    directory_seed.register_seeder(seed_partner_services)


def configure_cli(app: Flask) -> None:
    cli.register(app)


# A bare RQ worker (no ``flask rq-worker``) builds its app with this factory: the job runner is in core,
# which may not import the package above it.
jobs.register_app_factory(create_app)

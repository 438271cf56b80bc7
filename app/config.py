"""Configuration from the environment, on top of safe defaults.

Development (the default) runs on an embedded SQLite file under ``instance/``
and generates a secret key per instance; production refuses to start without
``SECRET_KEY`` and ``DATABASE_URL``.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the environment cannot give a safe configuration."""


def _instance_secret(instance_path: Path) -> str:
    """A development secret kept in instance/ so sessions survive restarts."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def normalise_db_url(url: str) -> str:
    # Heroku-style URLs and plain "postgresql://" both go through psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def build_config(instance_path: Path, overrides: dict | None = None) -> dict:
    env = os.environ
    overrides = dict(overrides or {})
    app_env = overrides.get("APP_ENV") or env.get("APP_ENV", "development")
    production = app_env == "production"

    secret_key = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env.get("DATABASE_URL")
    if production:
        missing = [n for n, v in (("SECRET_KEY", secret_key), ("DATABASE_URL", database_url)) if not v]
        if missing:
            raise ConfigError("production needs " + ", ".join(missing))
    if not secret_key:
        secret_key = _instance_secret(instance_path)
    if not database_url:
        database_url = "sqlite:///" + str(instance_path / "safetynet.sqlite3")
    database_url = normalise_db_url(database_url)
    migrations_url = normalise_db_url(env.get("MIGRATIONS_DATABASE_URL") or database_url)

    config = {
        "APP_ENV": app_env,
        "PRODUCTION": production,
        "SECRET_KEY": secret_key,
        # Keys sealing secret columns (TOTP secrets), comma-separated Fernet keys, the first one sealing;
        # without it one key is derived from SECRET_KEY (app/core/sealed.py).
        "DATA_ENCRYPTION_KEYS": env.get("DATA_ENCRYPTION_KEYS", ""),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MIGRATIONS_DATABASE_URL": migrations_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Name of the PostgreSQL role the app runs as (no ownership, RLS applies).
        "DB_APP_ROLE": env.get("DB_APP_ROLE", "safetynet_app"),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "RQ_QUEUE": env.get("RQ_QUEUE", "safetynet"),
        # Sessions: HttpOnly and SameSite=Lax always, Secure in production.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "sn_session",
        "PERMANENT_SESSION_LIFETIME": int(env.get("SESSION_MINUTES", "480")) * 60,
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "WTF_I18N_ENABLED": False,  # WTForms' own zh_TW messages (BaseForm.Meta.locales), no Flask-Babel
        # Accounts
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(env.get("LOGIN_LOCKOUT_MINUTES", "15")),
        "PASSWORD_MIN_LENGTH": int(env.get("PASSWORD_MIN_LENGTH", "12")),
        "DEMO_PASSWORD": "demo1234",
        "TIMEZONE": "Asia/Taipei",
        # Rate limits (Flask-Limiter); shared through Redis when there is one.
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: count in this process's memory until it is back (the public form keeps taking
        # reports, still limited), and never turn a storage error into a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "PUBLIC_REPORT_RATE": env.get("PUBLIC_REPORT_RATE", "20 per hour"),
        "STATUS_LOOKUP_RATE": env.get("STATUS_LOOKUP_RATE", "30 per hour"),
        "API_RATE": env.get("API_RATE", "600 per minute"),
        # Login POSTs (password and second-factor steps together) per client address, besides the
        # per-account lockout above.
        "LOGIN_RATE": env.get("LOGIN_RATE", "20 per minute"),
        # Server-Timing headers (app and SQL time per request) for the benchmarks; off unless asked for.
        "SERVER_TIMING": env.get("SERVER_TIMING", "") == "1",
        # Case documents (app/cases/documents.py): the largest file taken, and where the bytes are kept:
        # "database" (default; in the dump, checked by verify-backup) or "directory" (DOCUMENT_DIRECTORY,
        # default instance/documents; back that directory up beside the dump).
        "DOCUMENT_MAX_BYTES": int(env.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        "DOCUMENT_STORAGE": env.get("DOCUMENT_STORAGE", "database"),
        "DOCUMENT_DIRECTORY": env.get("DOCUMENT_DIRECTORY", ""),
    }
    config.update(overrides)
    if config["DOCUMENT_STORAGE"] not in ("database", "directory"):
        raise ConfigError("DOCUMENT_STORAGE must be 'database' or 'directory'")
    # No request body larger than a document and its form (the rest of a request is small): a bigger one
    # is refused (413) before it is read; the document form turns that into its own message.
    config.setdefault("MAX_CONTENT_LENGTH", config["DOCUMENT_MAX_BYTES"] + 1024 * 1024)
    return config

"""TOTP secrets are sealed in the database: a dump or a replica gives no one the second factor."""
import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from app.accounts import services
from app.core import sealed

RAW = sa.text("SELECT totp_secret FROM users WHERE username = :u")


def _stored(db, username):
    return db.session.execute(RAW, {"u": username}).scalar_one()


@pytest.fixture
def keys(app):
    saved = app.config["DATA_ENCRYPTION_KEYS"]
    yield app.config
    app.config["DATA_ENCRYPTION_KEYS"] = saved


def _enrol(db, user):
    secret = services.start_totp_enrolment(user)
    services.confirm_totp_enrolment(user, pyotp.TOTP(secret).now())
    db.session.flush()
    return secret


def test_the_database_holds_a_sealed_token_not_the_secret(app, db, factories):
    user = factories.user("tpe.sw1")
    secret = _enrol(db, user)
    stored = _stored(db, "tpe.sw1")
    assert stored.startswith(sealed.PREFIX) and secret not in stored
    # without DATA_ENCRYPTION_KEYS the key is derived from SECRET_KEY
    assert app.config["DATA_ENCRYPTION_KEYS"] or sealed.keys_from(app.config) == [
        sealed.derived_key(app.config["SECRET_KEY"])]
    assert Fernet(sealed.keys_from(app.config)[0]).decrypt(stored.encode()).decode() == secret
    db.session.expire(user)
    assert user.totp_secret == secret  # the app reads the secret itself


def test_a_rotated_key_still_opens_old_secrets_and_reseal_moves_them_to_the_new_key(db, factories, keys):
    user = factories.user("tpe.sw1")
    secret = _enrol(db, user)
    old = sealed.keys_from(keys)[0].decode()
    new = Fernet.generate_key().decode()
    keys["DATA_ENCRYPTION_KEYS"] = f"{new},{old}"
    db.session.expire(user)
    assert user.totp_secret == secret  # still readable under the old key
    assert services.reseal_totp_secrets() >= 1
    keys["DATA_ENCRYPTION_KEYS"] = new  # the old key is gone
    db.session.expire(user)
    assert user.totp_secret == secret
    assert Fernet(new.encode()).decrypt(_stored(db, "tpe.sw1").encode()).decode() == secret


def test_a_wrong_key_reads_as_no_secret_accepts_no_code_and_breaks_no_page(db, factories, keys, caplog):
    user = factories.user("tpe.sw1")
    secret = _enrol(db, user)
    keys["DATA_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    db.session.expire(user)
    assert user.totp_secret is None
    assert "could not be opened" in caplog.text and secret not in caplog.text
    result = services.verify_second_factor(user, pyotp.TOTP(secret).now())
    assert result.user is None


def test_keys_that_are_not_fernet_keys_are_refused_in_words(app, keys):
    keys["DATA_ENCRYPTION_KEYS"] = "not-a-key"
    with app.app_context(), pytest.raises(sealed.SealError, match="Fernet"):
        sealed.seal("ABC")


def test_the_migration_seals_existing_secrets_and_the_downgrade_opens_them(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db as _db

    url = f"sqlite:///{tmp_path}/sealing.sqlite3"
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "MIGRATIONS_DATABASE_URL": url, "SECRET_KEY": "k1",
                              "REDIS_URL": None})
    plain = pyotp.random_base32()
    with application.app_context():
        upgrade(revision="a9d3e5f7b1c2")  # before sealing: secrets stored as they are
        with _db.engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO users (username, display_name, email, password_hash, is_active, "
                                       "is_sysadmin, must_change_password, failed_login_count, session_version, "
                                       "totp_secret, created_at, updated_at) VALUES ('old.admin', '舊', '', 'x', 1, 0, "
                                       "0, 0, 1, :s, '2026-01-01', '2026-01-01')"), {"s": plain})
        upgrade(revision="b7c1d3e5f9a2")
        with _db.engine.connect() as connection:
            stored = connection.execute(RAW, {"u": "old.admin"}).scalar_one()
        assert stored.startswith(sealed.PREFIX) and sealed.unseal(stored) == plain
        downgrade(revision="a9d3e5f7b1c2")
        with _db.engine.connect() as connection:
            assert connection.execute(RAW, {"u": "old.admin"}).scalar_one() == plain
        _db.engine.dispose()

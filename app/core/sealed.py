"""Columns sealed with a key the database does not hold.

A TOTP secret is as good as the second factor itself: anyone who reads it from
a dump or a replica can make every future code. Such columns are stored as
Fernet tokens (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under the
keys in ``DATA_ENCRYPTION_KEYS``: the first seals, all of them open, so a key
is rotated by putting the new one first and keeping the old one until
``flask reseal`` has sealed every value again. Without the setting, one key is
derived from ``SECRET_KEY`` (HKDF), so a fresh machine needs nothing more.

A value that no configured key opens reads as None and is logged: a wrong key
must not turn every page into a 500 (the signed-in user's row is read on each
request), and None is the safe side (no code is accepted against it).
"""
from __future__ import annotations

import base64
import logging

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

log = logging.getLogger(__name__)

PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80, then the timestamp)


class SealError(RuntimeError):
    """The keys are unusable (not Fernet keys)."""


def derived_key(secret_key: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"safetynet sealed columns v1").derive(
        secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def keys_from(config) -> list[bytes]:
    configured = [k.strip() for k in (config.get("DATA_ENCRYPTION_KEYS") or "").split(",") if k.strip()]
    return [k.encode() for k in configured] or [derived_key(config["SECRET_KEY"])]


def _keyring() -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in keys_from(current_app.config)])
    except ValueError as exc:
        raise SealError("DATA_ENCRYPTION_KEYS 須為以逗號分隔的 Fernet 金鑰（32 位元組 urlsafe base64）") from exc


def seal(value: str) -> str:
    return _keyring().encrypt(value.encode()).decode()


def unseal(token: str) -> str | None:
    try:
        return _keyring().decrypt(token.encode()).decode()
    except InvalidToken:
        log.error("a sealed column could not be opened with DATA_ENCRYPTION_KEYS (or SECRET_KEY): read as empty")
        return None


def reseal(token: str) -> str:
    """The same value sealed with the first key (after a rotation)."""
    return _keyring().rotate(token.encode()).decode()


class Sealed(sa.types.TypeDecorator):
    """A string column stored sealed; Python code sees the plain value."""

    impl = sa.String(255)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else seal(value)

    def process_result_value(self, value, dialect):
        return None if value is None else unseal(value)

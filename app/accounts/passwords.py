"""Argon2 password hashing and the password policy."""
from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

# Never accepted, whatever their length.
COMMON = {"password", "12345678", "123456789012", "qwertyuiop", "iloveyou", "demo1234", "admin1234"}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash of nothing anyone knows: verifying against it for unknown usernames
# keeps the time of a failed login the same whether the account exists or not.
DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def policy_problems(password: str, *, username: str = "", min_length: int = 12) -> list[str]:
    """What is wrong with a new password, in Chinese; empty when it is acceptable."""
    problems = []
    if len(password) < min_length:
        problems.append(f"密碼至少需 {min_length} 個字元。")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append("密碼需包含大寫字母、小寫字母、數字、符號其中至少三類。")
    if username and username.lower() in password.lower():
        problems.append("密碼不可包含帳號名稱。")
    if password.lower() in COMMON:
        problems.append("此密碼過於常見，請另選一組。")
    return problems


def generate_temporary_password() -> str:
    """A temporary password that satisfies the policy, shown once to an administrator."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(14))
        candidate = body[:7] + "-" + body[7:]
        if not policy_problems(candidate):
            return candidate

"""Account use cases: logging in, locking out, managing users and their roles.

Services change state, flush and write the audit entry; they never commit.
Errors a person can fix raise :class:`AccountError` with a Chinese message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from cryptography.fernet import InvalidToken
from flask import current_app

from ..audit import services as audit
from ..audit.models import AuditAction
from ..core.filters import taipei_time
from ..core.errors import DomainError
from ..core.models import utcnow
from ..core.sealed import reseal
from ..extensions import db
from ..tenants.models import Unit
from .models import Membership, Role, User, roles_allowed_in
from .passwords import DUMMY_HASH, generate_temporary_password, hash_password, needs_rehash, policy_problems, verify_password


class AccountError(DomainError):
    """A request about accounts that cannot be done, said in Chinese (422)."""

    status = 422


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None
    locked_until: datetime | None = None
    # The password was right and the account has a second factor: not logged in yet.
    needs_second_factor: bool = False


GENERIC_FAILURE = "帳號或密碼錯誤。"


def _user_tenant(user: User) -> int | None:
    for membership in user.active_memberships:
        if membership.county_id is not None:
            return membership.county_id
    return None


def _first_unit_id(user: User) -> int | None:
    memberships = user.active_memberships
    return memberships[0].unit_id if memberships else None


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def authenticate(username: str, password: str, *, now: datetime | None = None) -> LoginResult:
    """Check a login. Counts failures; the fifth in a row locks the account."""
    now = now or utcnow()
    name = normalise_username(username)
    user = db.session.scalars(sa.select(User).where(User.username == name)).first()
    if user is None:
        verify_password(DUMMY_HASH, password)  # same time as a real check
        audit.record(AuditAction.LOGIN_FAILED, summary=f"登入失敗：無此帳號「{name[:50]}」", record_type="users", tenant_id=None)
        return LoginResult(None, GENERIC_FAILURE)
    tenant = _user_tenant(user)
    if user.is_locked(now):
        audit.record(
            AuditAction.LOGIN_FAILED, summary="登入失敗：帳號鎖定中", record_type="users", record_id=user.id, tenant_id=tenant
        )
        return LoginResult(None, _locked_message(user.locked_until), user.locked_until)
    if not verify_password(user.password_hash, password):
        return _count_failure(user, tenant, now, "密碼錯誤", GENERIC_FAILURE)
    if not user.active:
        audit.record(AuditAction.LOGIN_FAILED, summary="登入失敗：帳號已停用", record_type="users", record_id=user.id, tenant_id=tenant)
        return LoginResult(None, "此帳號已停用，請聯絡管理者。")
    if not user.memberships and not user.is_sysadmin:
        audit.record(AuditAction.LOGIN_FAILED, summary="登入失敗：未被指派任何單位", record_type="users", record_id=user.id, tenant_id=tenant)
        return LoginResult(None, "此帳號尚未被指派任何單位角色，請聯絡管理者。")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.has_totp:
        # Not logged in yet, and the failure count is not reset: wrong codes count toward the same lockout.
        return LoginResult(user, needs_second_factor=True)
    return _logged_in(user, tenant, now, "登入成功")


def _count_failure(user: User, tenant: int | None, now: datetime, what: str, message: str) -> LoginResult:
    """A wrong password or a wrong second-factor code: the fifth in a row locks the account."""
    cfg = current_app.config
    user.failed_login_count += 1
    audit.record(
        AuditAction.LOGIN_FAILED,
        summary=f"登入失敗：{what}（連續第 {user.failed_login_count} 次）",
        record_type="users",
        record_id=user.id,
        tenant_id=tenant,
    )
    if user.failed_login_count >= cfg["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"])
        user.failed_login_count = 0
        audit.record(
            AuditAction.LOCKOUT,
            summary=f"連續 {cfg['LOGIN_MAX_FAILURES']} 次登入失敗，帳號鎖定 {cfg['LOGIN_LOCKOUT_MINUTES']} 分鐘",
            record_type="users",
            record_id=user.id,
            tenant_id=tenant,
        )
        return LoginResult(None, _locked_message(user.locked_until), user.locked_until)
    return LoginResult(None, message)


def _logged_in(user: User, tenant: int | None, now: datetime, summary: str) -> LoginResult:
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(AuditAction.LOGIN, summary=summary, record_type="users", record_id=user.id, tenant_id=tenant,
                 actor=audit.Actor(user_id=user.id, username=user.username, unit_id=_first_unit_id(user),
                                   ip=audit.current_actor().ip, user_agent=audit.current_actor().user_agent))
    return LoginResult(user)


# --- The TOTP second factor (RFC 6238: 6 digits, 30-second steps) ----------

TOTP_ISSUER = "社安網協作平台"
TOTP_FAILURE = "驗證碼不正確或已使用過，請輸入驗證 App 上目前顯示的 6 位數字。"
TOTP_CODE_RE = re.compile(r"^\d{6}$")


def _totp(user: User) -> pyotp.TOTP:
    return pyotp.TOTP(user.totp_secret)


def _accept_code(user: User, code: str, now: datetime) -> bool:
    """The code of the current time-step or one either side (clocks drift), each accepted once:
    a step at or before the last accepted one is refused, so an overheard code cannot be replayed."""
    code = re.sub(r"\s", "", code or "")
    if not user.totp_secret or not TOTP_CODE_RE.match(code):
        return False
    totp = _totp(user)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def next_totp_code(user: User, now: datetime | None = None) -> str | None:
    """The code that would be accepted now (the next step's when this one was used; None when that
    is used too): for the demo's ``flask totp-code`` and the tests, never shown in the app."""
    totp = _totp(user)
    step = totp.timecode(now or utcnow())
    if user.totp_last_step is not None and user.totp_last_step >= step:
        step = user.totp_last_step + 1
    return totp.generate_otp(step) if step <= totp.timecode(now or utcnow()) + 1 else None


def verify_second_factor(user: User, code: str, *, now: datetime | None = None) -> LoginResult:
    """The second step of a login whose password was right."""
    now = now or utcnow()
    tenant = _user_tenant(user)
    if user.is_locked(now):
        audit.record(AuditAction.LOGIN_FAILED, summary="登入失敗：帳號鎖定中（兩步驟驗證）", record_type="users",
                     record_id=user.id, tenant_id=tenant)
        return LoginResult(None, _locked_message(user.locked_until), user.locked_until)
    if not user.active or not user.has_totp:
        return LoginResult(None, "登入資料已失效，請重新登入。")
    if not _accept_code(user, code, now):
        return _count_failure(user, tenant, now, "兩步驟驗證碼錯誤", TOTP_FAILURE)
    return _logged_in(user, tenant, now, "登入成功（兩步驟驗證）")


def totp_provisioning_uri(user: User) -> str:
    return _totp(user).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def start_totp_enrolment(user: User) -> str:
    """A secret for the user to scan, kept while enrolling (reloading the page shows the same one)."""
    if user.has_totp:
        raise AccountError("已啟用兩步驟驗證。")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        user.totp_last_step = None
    return user.totp_secret


def confirm_totp_enrolment(user: User, code: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if user.has_totp:
        raise AccountError("已啟用兩步驟驗證。")
    if not _accept_code(user, code, now):
        raise AccountError(TOTP_FAILURE + "若一直不正確，請確認手機的時間設為自動。")
    user.totp_enabled_at = now
    audit.record(AuditAction.UPDATE, summary="啟用兩步驟驗證", record_type="users", record_id=user.id,
                 tenant_id=_user_tenant(user))


def _clear_totp(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None


def disable_totp(user: User, code: str, *, now: datetime | None = None) -> None:
    """The user turns the second factor off, proving it with a current code. Administrators may not."""
    if user.must_have_totp:
        raise AccountError("縣市管理者與系統管理者必須使用兩步驟驗證，無法停用；更換手機請洽其他管理者重設。")
    if not user.has_totp:
        raise AccountError("尚未啟用兩步驟驗證。")
    if not _accept_code(user, code, now or utcnow()):
        raise AccountError(TOTP_FAILURE)
    _clear_totp(user)
    audit.record(AuditAction.UPDATE, summary="停用兩步驟驗證", record_type="users", record_id=user.id,
                 tenant_id=_user_tenant(user))


def reset_totp(user: User) -> None:
    """An administrator clears someone's second factor (a lost phone): their sessions end, and an
    administrator enrols again at the next login."""
    if not user.totp_secret:
        raise AccountError(f"{user.display_name} 尚未設定兩步驟驗證。")
    _clear_totp(user)
    user.session_version += 1
    audit.record(AuditAction.UPDATE, summary=f"管理者重設 {user.username} 的兩步驟驗證", record_type="users",
                 record_id=user.id, tenant_id=_user_tenant(user))


def reseal_totp_secrets() -> int:
    """Seal every stored TOTP secret again with the first of DATA_ENCRYPTION_KEYS (after a key rotation);
    returns how many. A secret no configured key opens is left as it is and is not counted."""
    raw = sa.table("users", sa.column("id"), sa.column("totp_secret"))  # the stored tokens, not the opened values
    count = 0
    for user_id, token in db.session.execute(sa.select(raw.c.id, raw.c.totp_secret)
                                             .where(raw.c.totp_secret.isnot(None))).all():
        try:
            fresh = reseal(token)
        except InvalidToken:
            continue
        db.session.execute(raw.update().where(raw.c.id == user_id).values(totp_secret=fresh))
        count += 1
    return count


def _locked_message(until: datetime | None) -> str:
    return f"此帳號因連續登入失敗已暫時鎖定，請於 {taipei_time(until)} 後再試，或聯絡管理者解除。"


def check_new_password(user: User, password: str, confirm: str) -> list[str]:
    problems = policy_problems(password, username=user.username, min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    if password != confirm:
        problems.append("兩次輸入的新密碼不一致。")
    return problems


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError("目前的密碼不正確。")
    if current == new:
        raise AccountError("新密碼不可與目前的密碼相同。")
    problems = check_new_password(user, new, confirm)
    if problems:
        raise AccountError(" ".join(problems))
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_version += 1
    audit.record(AuditAction.PASSWORD_CHANGE, summary="使用者自行變更密碼", record_type="users", record_id=user.id,
                 tenant_id=_user_tenant(user))


def reset_password(user: User) -> str:
    """A new temporary password (returned once, to show the administrator)."""
    temporary = generate_temporary_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.failed_login_count = 0
    user.locked_until = None
    user.session_version += 1
    audit.record(AuditAction.PASSWORD_RESET, summary=f"管理者重設 {user.username} 的密碼", record_type="users",
                 record_id=user.id, tenant_id=_user_tenant(user))
    return temporary


def unlock(user: User) -> None:
    user.locked_until = None
    user.failed_login_count = 0


def create_user(*, username: str, display_name: str, email: str, unit: Unit, role: Role) -> tuple[User, str]:
    name = normalise_username(username)
    if db.session.scalars(sa.select(User.id).where(User.username == name)).first() is not None:
        raise AccountError(f"帳號「{name}」已有人使用，請換一個。")
    temporary = generate_temporary_password()
    user = User(
        username=name,
        display_name=display_name.strip(),
        email=(email or "").strip(),
        password_hash=hash_password(temporary),
        must_change_password=True,
    )
    db.session.add(user)
    grant_role(user, unit, role)
    db.session.flush()
    return user, temporary


def grant_role(user: User, unit: Unit, role: Role) -> Membership:
    if role not in roles_allowed_in(unit):
        allowed = "、".join(r.label for r in roles_allowed_in(unit))
        raise AccountError(f"「{unit.name}」只能指派這些角色：{allowed}。")
    for membership in user.memberships:
        if membership.unit_id == unit.id and membership.role == role:
            raise AccountError(f"{user.display_name} 在「{unit.name}」已是{role.label}。")
    membership = Membership(unit=unit, role=role)
    user.memberships.append(membership)
    db.session.flush()
    return membership


def revoke_membership(membership: Membership, *, last_in_scope: bool = False) -> None:
    """Remove a role. A county may not remove the last role it gave someone:
    that would leave an account nobody in the county can see; deactivate it instead."""
    if last_in_scope:
        raise AccountError("這是此帳號在本縣市的最後一個角色，移除後將無人能管理此帳號；若此人已離職或調離，請改為「停用帳號」。")
    # Open sessions pick the change up at their next request (memberships are
    # read afresh each time), so nobody needs to be logged out.
    user = membership.user
    # An orphan removed from a collection is not in session.deleted, so the flush hook
    # would not see it: the revocation is recorded here, naming the role and the account.
    audit.record(AuditAction.DELETE, summary=f"移除 {user.username} 的角色 {membership}", record_type="memberships",
                 record_id=membership.id, tenant_id=membership.audit_tenant_id(),
                 changes={"user_id": [user.id, None], "unit_id": [membership.unit_id, None],
                          "role": [membership.role.value, None]})
    user.memberships.remove(membership)
    db.session.flush()


def set_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        user.session_version += 1

"""Account use cases: logging in, locking out, managing users and their roles.

Services change state, flush and write the audit entry; they never commit.
Errors a person can fix raise :class:`AccountError` with a Chinese message.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..audit import services as audit
from ..audit.models import AuditAction
from ..core.models import utcnow
from ..extensions import db
from ..tenants.models import Unit
from .models import Membership, Role, User, roles_allowed_in
from .passwords import DUMMY_HASH, generate_temporary_password, hash_password, needs_rehash, policy_problems, verify_password


class AccountError(ValueError):
    """A request about accounts that cannot be done, said in Chinese."""


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None
    locked_until: datetime | None = None


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
    cfg = current_app.config
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
        user.failed_login_count += 1
        audit.record(
            AuditAction.LOGIN_FAILED,
            summary=f"登入失敗：密碼錯誤（連續第 {user.failed_login_count} 次）",
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
        return LoginResult(None, GENERIC_FAILURE)
    if not user.active:
        audit.record(AuditAction.LOGIN_FAILED, summary="登入失敗：帳號已停用", record_type="users", record_id=user.id, tenant_id=tenant)
        return LoginResult(None, "此帳號已停用，請聯絡管理者。")
    if not user.memberships and not user.is_sysadmin:
        audit.record(AuditAction.LOGIN_FAILED, summary="登入失敗：未被指派任何單位", record_type="users", record_id=user.id, tenant_id=tenant)
        return LoginResult(None, "此帳號尚未被指派任何單位角色，請聯絡管理者。")
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(AuditAction.LOGIN, summary="登入成功", record_type="users", record_id=user.id, tenant_id=tenant,
                 actor=audit.Actor(user_id=user.id, username=user.username, unit_id=_first_unit_id(user),
                                   ip=audit.current_actor().ip, user_agent=audit.current_actor().user_agent))
    return LoginResult(user)


def _locked_message(until: datetime | None) -> str:
    from ..core.filters import taipei_time

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

"""Login, logout, unit switching, one's own password, and user administration."""
from __future__ import annotations

import secrets
import time

import segno
from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..audit import services as audit
from ..audit.models import AuditAction
from ..core import edge
from ..core.security import safe_next
from ..core.forms import page_arg
from ..core.permissions import account_only, public, requires
from ..core.rendering import form_error, redirect_to, render
from ..tenants.labels import unit_choices
from ..extensions import db, limiter
from .auth import UNIT_KEY
from .forms import ChangePasswordForm, ConfirmForm, GrantRoleForm, LoginForm, TotpCodeForm, UserCreateForm
from .models import Role, User
from .queries import (
    admin_scope,
    manageable_units,
    memberships_in_scope,
    unit_in_scope,
    user_in_scope,
    users_stmt,
    wholly_in_scope,
)
from . import services

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("dashboard.home"))


# The password step of a login with a second factor leaves only this in the (new) session.
PENDING_KEY = "login_pending"
PENDING_SECONDS = 300


def _login_rate():
    return current_app.config["LOGIN_RATE"]


# Per client address, the password and the code steps together, on top of the per-account lockout.
_login_limit = limiter.shared_limit(_login_rate, scope="login", methods=["POST"])


def rate_limited_login():
    """429 on either login step: the login form again (the account name kept), said in Chinese."""
    form = LoginForm()
    form.password.data = ""
    return render("accounts/login.html", status=429, form=form,
                  error="此網路位址短時間內嘗試登入太多次，請稍候一分鐘再試。")


def _fresh_session() -> None:
    """A new session: nothing from before survives (fixation), and a new id."""
    session.clear()
    session["sid"] = secrets.token_urlsafe(24)


def _sign_in(user, next_url: str):
    _fresh_session()
    login_user(user)
    session.permanent = True
    edge.commit()
    return redirect(next_url, code=303)


@bp.route("/login", methods=["GET", "POST"])
@public
@_login_limit
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data)
        if result.needs_second_factor:
            _fresh_session()
            session[PENDING_KEY] = {
                "user": result.user.id, "version": result.user.session_version,
                # Bound to the last accepted time-step: once a code is accepted, this state is spent.
                "step": result.user.totp_last_step, "until": int(time.time()) + PENDING_SECONDS,
                "next": _safe_next(request.args.get("next")),
            }
            edge.commit()
            return redirect(url_for("accounts.login_verify"), code=303)
        if result.user is not None:
            return _sign_in(result.user, _safe_next(request.args.get("next")))
        error = result.error
        edge.commit()  # keep the failure count and its audit entry
        form.password.data = ""
        return form_error("accounts/login.html", form=form, error=error)
    if request.method == "POST":
        form.password.data = ""
        return form_error("accounts/login.html", form=form, error=None)
    return render("accounts/login.html", form=form, error=error)


def _pending_user():
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None, None
    user = db.session.get(User, pending.get("user"))
    if (user is None or user.session_version != pending.get("version")
            or user.totp_last_step != pending.get("step")):
        return None, None
    return user, pending


@bp.route("/login/verify", methods=["GET", "POST"])
@public
@_login_limit
def login_verify():
    """The second step: the 6-digit code of the user's authenticator app."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    user, pending = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash("登入逾時或已失效，請重新輸入帳號密碼。", "warning")
        return redirect(url_for("accounts.login"), code=303)
    form = TotpCodeForm()
    if form.validate_on_submit():
        result = services.verify_second_factor(user, form.code.data)
        if result.user is not None:
            return _sign_in(user, pending["next"])
        edge.commit()  # the failure count and its audit entry
        if result.locked_until is not None:
            session.pop(PENDING_KEY, None)
            form = LoginForm(formdata=None, username=user.username)
            return form_error("accounts/login.html", form=form, error=result.error)
        form.code.data = ""
        return form_error("accounts/login_verify.html", form=form, error=result.error)
    if request.method == "POST":
        return form_error("accounts/login_verify.html", form=form, error=None)
    return render("accounts/login_verify.html", form=form, error=None)


@bp.post("/logout")
@account_only
def logout():
    audit.record(AuditAction.LOGOUT, summary="登出", record_type="users", record_id=current_user.id)
    # The session is a signed cookie: a copy of it would stay valid. A new session version ends it
    # (and the user's other sessions with it).
    current_user.session_version += 1
    edge.commit()
    logout_user()
    session.clear()
    flash("您已登出。", "info")
    return redirect(url_for("accounts.login"), code=303)


@bp.post("/session/unit")
@account_only
def switch_unit():
    try:
        wanted = int(request.form.get("membership_id", ""))
    except ValueError:
        abort(400)
    membership = next((m for m in current_user.active_memberships if m.id == wanted), None)
    if membership is None:
        abort(404)
    session[UNIT_KEY] = membership.id
    audit.record(
        AuditAction.UNIT_SWITCH,
        summary=f"切換至「{membership.unit.name}」（{membership.role.label}）",
        record_type="memberships",
        record_id=membership.id,
        tenant_id=membership.county_id,
    )
    edge.commit()
    return redirect_to(url_for("dashboard.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@account_only
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        def change():
            services.change_password(current_user, form.current.data, form.new.data, form.confirm.data)
            login_user(current_user)  # the new session version keeps this session signed in
            flash("密碼已更新。", "success")
            return redirect_to(url_for("dashboard.home"))

        return edge.act(change, edge.form_refusal("accounts/change_password.html", form, field=form.new))
    if request.method == "POST":
        return form_error("accounts/change_password.html", form=form)
    return render("accounts/change_password.html", form=form)


# --- The second factor, one's own ---------------------------------------


def _qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (drawn here; no outside service sees the secret)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")


def _totp_page(form, *, status=200, error=None):
    user = current_user
    context = {"form": form, "error": error, "disable_form": TotpCodeForm()}
    if not user.has_totp:
        services.start_totp_enrolment(user)
        edge.commit()
        uri = services.totp_provisioning_uri(user)
        context.update(secret=user.totp_secret, qr_svg=_qr_svg(uri))
    return render("accounts/totp.html", status=status, **context)


@bp.route("/account/totp", methods=["GET", "POST"])
@account_only
def totp_setup():
    """「設定兩步驟驗證」: scan, type a code to confirm. Administrators land here until they have."""
    form = TotpCodeForm()
    if current_user.has_totp:
        return _totp_page(form)
    if form.validate_on_submit():
        def confirm():
            services.confirm_totp_enrolment(current_user, form.code.data)
            flash("已啟用兩步驟驗證。之後登入時，輸入密碼後還需輸入驗證 App 上的 6 位數字。", "success")
            return redirect_to(url_for("dashboard.home"))

        def refused(exc):  # the last accepted step stays as it was; nothing else changed
            form.code.data = ""
            return _totp_page(form, status=exc.status, error=str(exc))

        return edge.act(confirm, refused)
    if request.method == "POST":
        return _totp_page(form, status=422)
    return _totp_page(form)


@bp.post("/account/totp/disable")
@account_only
def totp_disable():
    form = TotpCodeForm()
    if not form.validate_on_submit():
        return _totp_page(TotpCodeForm(formdata=None), status=422, error="請輸入驗證 App 上目前顯示的 6 位數字。")
    def disable():
        services.disable_totp(current_user, form.code.data)
        flash("已停用兩步驟驗證。", "success")
        return redirect_to(url_for("accounts.totp_setup"))

    return edge.act(disable, lambda exc: _totp_page(TotpCodeForm(formdata=None), status=exc.status, error=str(exc)))


# --- Administration -------------------------------------------------------

ADMINS = (Role.COUNTY_ADMIN,)


def _unit_choices(scope):
    return [(0, "請選擇單位")] + unit_choices(manageable_units(scope), with_organisation=scope.is_global)


def _role_choices(scope):
    roles = [r for r in Role if scope.is_global or r in (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.DISPATCHER,
                                                         Role.UNIT_ADMIN, Role.COUNTY_ADMIN)]
    return [("", "請選擇角色")] + [(r.value, r.label) for r in roles]


@bp.get("/admin/users")
@requires(*ADMINS, sysadmin=True)
def admin_users():
    scope = admin_scope()
    search = request.args.get("q", "").strip()[:50]
    page = page_arg(request.args)
    pagination = db.paginate(users_stmt(scope, search), page=page, per_page=30, error_out=False)
    return render("accounts/admin_users.html", fragment="results", scope=scope, pagination=pagination, q=search)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@requires(*ADMINS, sysadmin=True)
def admin_user_new():
    scope = admin_scope()
    form = UserCreateForm()
    form.unit_id.choices = _unit_choices(scope)
    form.role.choices = _role_choices(scope)
    if form.validate_on_submit():
        if form.unit_id.data == 0 or not form.role.data:
            form.unit_id.errors = list(form.unit_id.errors) + ["請選擇單位與角色。"]
            return form_error("accounts/admin_user_new.html", form=form, scope=scope)
        unit = unit_in_scope(form.unit_id.data, scope)

        def create():
            user, temporary = services.create_user(
                username=form.username.data,
                display_name=form.display_name.data,
                email=form.email.data,
                unit=unit,
                role=Role(form.role.data),
            )
            return render("accounts/temporary_password.html", user=user, temporary=temporary, created=True)

        return edge.act(create, edge.form_refusal("accounts/admin_user_new.html", form, field=form.username, scope=scope))
    if request.method == "POST":
        return form_error("accounts/admin_user_new.html", form=form, scope=scope)
    return render("accounts/admin_user_new.html", form=form, scope=scope)


def _user_page(user, scope, *, grant_form=None, status=200, message=None):
    grant_form = grant_form or GrantRoleForm(formdata=None)
    grant_form.unit_id.choices = _unit_choices(scope)
    grant_form.role.choices = _role_choices(scope)
    return render(
        "accounts/admin_user.html",
        fragment="content",
        status=status,
        user=user,
        scope=scope,
        memberships=memberships_in_scope(user, scope),
        other_memberships=len(user.memberships) - len(memberships_in_scope(user, scope)),
        whole=wholly_in_scope(user, scope),
        grant_form=grant_form,
        confirm=ConfirmForm(),
        message=message,
    )


@bp.get("/admin/users/<int:user_id>")
@requires(*ADMINS, sysadmin=True)
def admin_user(user_id: int):
    scope = admin_scope()
    return _user_page(user_in_scope(user_id, scope), scope)


@bp.post("/admin/users/<int:user_id>/roles")
@requires(*ADMINS, sysadmin=True)
def admin_user_grant(user_id: int):
    scope = admin_scope()
    user = user_in_scope(user_id, scope)
    form = GrantRoleForm()
    form.unit_id.choices = _unit_choices(scope)
    form.role.choices = _role_choices(scope)
    if not form.validate_on_submit() or form.unit_id.data == 0 or not form.role.data:
        if not form.errors:
            form.unit_id.errors = ["請選擇單位與角色。"]
        return _user_page(user, scope, grant_form=form, status=422)
    unit = unit_in_scope(form.unit_id.data, scope)

    def grant():
        services.grant_role(user, unit, Role(form.role.data))
        flash(f"已指派「{unit.name}」{Role(form.role.data).label}。", "success")
        return redirect_to(url_for("accounts.admin_user", user_id=user.id))

    def refused(exc):
        form.role.errors = [str(exc)]
        return _user_page(user, scope, grant_form=form, status=exc.status)

    return edge.act(grant, refused)


@bp.post("/admin/users/<int:user_id>/roles/<int:membership_id>/revoke")
@requires(*ADMINS, sysadmin=True)
def admin_user_revoke(user_id: int, membership_id: int):
    scope = admin_scope()
    user = user_in_scope(user_id, scope)
    in_scope = memberships_in_scope(user, scope)
    membership = next((m for m in in_scope if m.id == membership_id), None)
    if membership is None or not ConfirmForm().validate_on_submit():
        abort(404)
    label = str(membership)

    def revoke():
        services.revoke_membership(membership, last_in_scope=not scope.is_global and len(in_scope) == 1)
        flash(f"已移除「{label}」。", "success")
        return redirect_to(url_for("accounts.admin_user", user_id=user.id))

    return edge.act(revoke, _refused_on_page(user, scope))


def _refused_on_page(user, scope):
    """A refusal shown as the message on the user's page (422)."""
    return lambda exc: _user_page(user, scope, status=exc.status, message=str(exc))


def _whole_account_action(user_id: int):
    scope = admin_scope()
    user = user_in_scope(user_id, scope)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not wholly_in_scope(user, scope):
        return None, scope, _user_page(
            user, scope, status=403,
            message="此帳號同時屬於其他縣市或機關，帳號層級的操作請洽系統管理者。",
        )
    if user.id == current_user.id:
        return None, scope, _user_page(user, scope, status=422, message="不能對自己的帳號執行此操作。")
    return user, scope, None


@bp.post("/admin/users/<int:user_id>/reset-password")
@requires(*ADMINS, sysadmin=True)
def admin_user_reset(user_id: int):
    user, scope, refusal = _whole_account_action(user_id)
    if refusal is not None:
        return refusal
    temporary = services.reset_password(user)
    edge.commit()
    return render("accounts/temporary_password.html", user=user, temporary=temporary, created=False)


@bp.post("/admin/users/<int:user_id>/reset-totp")
@requires(*ADMINS, sysadmin=True)
def admin_user_reset_totp(user_id: int):
    user, scope, refusal = _whole_account_action(user_id)
    if refusal is not None:
        return refusal
    def reset():
        services.reset_totp(user)
        flash(f"已重設 {user.display_name} 的兩步驟驗證；本人下次登入時需重新設定。", "success")
        return redirect_to(url_for("accounts.admin_user", user_id=user.id))

    return edge.act(reset, _refused_on_page(user, scope))


@bp.post("/admin/users/<int:user_id>/deactivate")
@requires(*ADMINS, sysadmin=True)
def admin_user_deactivate(user_id: int):
    user, scope, refusal = _whole_account_action(user_id)
    if refusal is not None:
        return refusal
    services.set_active(user, False)
    edge.commit()
    flash(f"已停用 {user.display_name} 的帳號。", "success")
    return redirect_to(url_for("accounts.admin_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/activate")
@requires(*ADMINS, sysadmin=True)
def admin_user_activate(user_id: int):
    user, scope, refusal = _whole_account_action(user_id)
    if refusal is not None:
        return refusal
    services.set_active(user, True)
    services.unlock(user)
    edge.commit()
    flash(f"已啟用 {user.display_name} 的帳號。", "success")
    return redirect_to(url_for("accounts.admin_user", user_id=user.id))

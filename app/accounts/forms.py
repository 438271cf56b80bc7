from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectField, StringField

from ..core.forms import BaseForm, chosen, email, length_between, max_length, optional, pattern, required


class LoginForm(BaseForm):
    username = StringField("帳號", validators=[required("帳號"), max_length("帳號", 50)])
    password = PasswordField("密碼", validators=[required("密碼"), max_length("密碼", 200)])


class TotpCodeForm(BaseForm):
    code = StringField("驗證碼", validators=[required("驗證碼"), max_length("驗證碼", 12)])


class ChangePasswordForm(BaseForm):
    current = PasswordField("目前的密碼", validators=[required("目前的密碼")])
    new = PasswordField("新密碼", validators=[required("新密碼"), max_length("新密碼", 200)])
    confirm = PasswordField("再次輸入新密碼", validators=[required("再次輸入新密碼")])


class UserCreateForm(BaseForm):
    username = StringField(
        "帳號",
        validators=[
            required("帳號"),
            length_between("帳號", 3, 50),
            pattern(r"^[A-Za-z0-9._-]+$", "「帳號」只能使用英文字母、數字、點、底線與連字號。"),
        ],
    )
    display_name = StringField("姓名", validators=[required("姓名"), max_length("姓名", 50)])
    email = EmailField("電子郵件", validators=[optional(), email(), max_length("電子郵件", 120)])
    unit_id = SelectField("單位", coerce=int, validators=[chosen("單位")], validate_choice=True)
    role = SelectField("角色", validators=[chosen("角色")], validate_choice=True)


class GrantRoleForm(BaseForm):
    unit_id = SelectField("單位", coerce=int, validators=[chosen("單位")], validate_choice=True)
    role = SelectField("角色", validators=[chosen("角色")], validate_choice=True)


class ConfirmForm(BaseForm):
    """A button that changes something: CSRF only."""

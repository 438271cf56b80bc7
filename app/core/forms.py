"""Form helpers: Chinese messages for the validators every form uses."""
from __future__ import annotations

from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp


def required(label: str):
    return DataRequired(message=f"請填寫「{label}」。")


def chosen(label: str):
    return InputRequired(message=f"請選擇「{label}」。")


def max_length(label: str, n: int):
    return Length(max=n, message=f"「{label}」最多 {n} 個字。")


def length_between(label: str, lo: int, hi: int):
    return Length(min=lo, max=hi, message=f"「{label}」需為 {lo} 到 {hi} 個字。")


def email(label: str = "電子郵件"):
    return Email(message=f"「{label}」的格式不正確。", check_deliverability=False)


def pattern(regex: str, message: str):
    return Regexp(regex, message=message)


optional = Optional

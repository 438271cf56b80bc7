"""Response headers every page gets, and the error pages."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request, current_app, jsonify, make_response, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.datastructures import ImmutableMultiDict

from ..extensions import db
from .jobs import JobsUnavailable
from .rendering import render
from .errors import DomainError

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def _headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.add("Vary", "HX-Request")
    if request.endpoint != "static":
        # Case pages must not linger in caches or the browser's history store.
        h.setdefault("Cache-Control", "no-store")
    if current_app.config.get("PRODUCTION"):
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


API_ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                   409: "conflict", 413: "too_large", 422: "invalid", 500: "server_error", 503: "unavailable"}
REFUSAL_TITLES = {403: "沒有權限", 404: "找不到頁面", 409: "無法完成", 422: "無法處理"}


def _error_page(status: int, title: str, message: str):
    """The error page, or under /api/ the same message as the API's JSON error (other systems read it)."""
    if request.path.startswith("/api/"):
        response = jsonify({"error": API_ERROR_CODES.get(status, "error"), "message": message})
        response.status_code = status
        return response
    if request.path.startswith("/fhir/"):  # FHIR clients read an OperationOutcome
        response = jsonify({"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "not-found" if status == 404 else "processing", "diagnostics": message}]})
        response.status_code, response.mimetype = status, "application/fhir+json"
        return response
    return render("errors/error.html", status=status, fragment="content", title=title, message=message)


UNAVAILABLE_HTML = ('<!doctype html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>{title}</title></head>'
                    '<body><main><h1>{title}</h1><p>{message}</p><p><a href="/">回到首頁</a></p></main></body></html>')


def rate_limited(error):
    """429 anywhere without a page of its own: JSON under /api/, else the error page in Chinese."""
    if request.path.startswith(("/api/", "/fhir/")):
        if request.path.startswith("/fhir/"):
            return _error_page(429, "請求過於頻繁", "請求過於頻繁，請稍後再試。")
        return jsonify({"error": "rate_limited", "message": "請求過於頻繁，請稍後再試。"}), 429
    return _error_page(429, "請求過於頻繁", "短時間內送出太多次，請稍候幾分鐘再試。")


def _unavailable_page(title: str, message: str):
    """503 with the usual error page, or a bare page when even rendering that needs the broken
    service (the layout loads the signed-in user from the database)."""
    try:
        db.session.rollback()
        response = _error_page(503, title, message)
    except Exception:
        try:
            db.session.rollback()
        except Exception:
            pass
        response = make_response(UNAVAILABLE_HTML.format(title=escape(title), message=escape(message)), 503)
    response.headers["Retry-After"] = "30"
    return response


def safe_next(target: str | None, default: str) -> str:
    """A ``next`` address from the user: a path of this site only (no scheme, host, ``//`` or ``/\\``), else ``default``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or any(c < " " for c in target):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


# --- Input that no column can hold --------------------------------------------------------

class CleanRequest(Request):  # mixed into the app's request class (htmx-flask's), see install()
    """Form fields without NUL characters (PostgreSQL text cannot hold them, and no person types one),
    removed once here for every form and every view that reads ``request.form`` itself."""

    def _load_form_data(self):
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None and any("\x00" in k or "\x00" in v for k, v in form.items(multi=True)):
            self.__dict__["form"] = ImmutableMultiDict(
                [(k.replace("\x00", ""), v.replace("\x00", "")) for k, v in form.items(multi=True)])


def install(app) -> None:
    app.request_class = type("CleanRequest", (CleanRequest, app.request_class), {})  # keeps request.htmx
    app.after_request(_headers)

    @app.errorhandler(403)
    def forbidden(error):
        return _error_page(403, "沒有權限", "您目前的角色無法使用此功能。如需權限，請聯絡單位或縣市管理者。")

    @app.errorhandler(404)
    def not_found(error):
        return _error_page(404, "找不到頁面", "您要找的資料不存在，或您沒有查閱的權限。")

    @app.errorhandler(400)
    def bad_request(error):
        return _error_page(400, "無法處理的請求", "送出的資料格式不正確，請回上一頁檢查後再送出。")

    @app.errorhandler(413)
    def too_large(error):
        return _error_page(413, "資料過大", "送出的資料超過系統可接受的大小，請縮短內容或分批送出。")

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error_page(400, "表單已過期", "表單驗證碼已失效（可能停留過久或已登出）。請重新整理頁面後再送出。")

    @app.errorhandler(405)
    def method_not_allowed(error):
        return _error_page(405, "不支援的操作", "此網址不接受這種請求。")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    def database_unavailable(error):
        # The database went away (restart, failover, network): a Chinese 503, never a traceback.
        # The pool drops the broken connection (and pre-pings the others), so the next request
        # reconnects without restarting the app.
        app.logger.error("database unavailable: %s", error)
        return _unavailable_page("資料庫暫時無法連線",
                                 "系統暫時無法連上資料庫，您這次送出的資料尚未儲存。請稍候片刻再試一次。")

    @app.errorhandler(JobsUnavailable)
    def jobs_unavailable(error):
        return _unavailable_page("背景工作服務暫時無法使用", str(error))

    @app.errorhandler(DomainError)
    def refused(error):
        # A refusal no view turned into its own page: nothing of the request is kept, and the
        # person reads the rule's message with its status (403/404/409/422).
        db.session.rollback()
        return _error_page(error.status, REFUSAL_TITLES.get(error.status, "無法完成"), str(error))

    @app.errorhandler(500)
    def server_error(error):
        return _error_page(500, "系統發生錯誤", "系統暫時無法完成您的要求，已記錄此錯誤。您輸入的資料尚未儲存，請稍後再試。")

"""The request edge: the one place a request's work is committed.

A view loads its record and checks access (``core.permissions``), then hands
the work to ``act``: the service runs, the transaction commits once, and the
domain's errors (``core.errors.DomainError``, with its Chinese message and HTTP
status) or a lost race (``StaleDataError``) roll everything back and come back
as the page the view renders for a refusal, with what the person typed kept.
``transaction`` is the same for a whole view (commit when the response is not
an error, roll back otherwise). Services never commit; jobs commit in the job
runner (``core.jobs``).
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from .errors import DomainError, Stale
from .rendering import form_error

STALE = "此紀錄剛被其他人更新；您的內容尚未儲存，仍保留在畫面上。請確認目前狀態後再送出。"


def act(do: Callable[[], object], refused: Callable[[DomainError], object], *, stale: str = STALE):
    """Run ``do`` and commit once; a refusal rolls back and answers ``refused(error)`` (a lost race
    is ``errors.Stale``, 409, with the ``stale`` message)."""
    try:
        response = do()
        db.session.commit()
        return response
    except DomainError as exc:
        db.session.rollback()
        return refused(exc)
    except StaleDataError:
        db.session.rollback()
        return refused(Stale(stale))


def beside_field(form, error: DomainError, *, replace: bool = False) -> None:
    """Show a refusal's message beside the form field it names (``error.field``) as well, when the
    form has that field; ``replace`` puts it there alone."""
    if form is None or not error.field or error.field not in form:
        return
    field = form[error.field]
    field.errors = [str(error)] if replace else [*field.errors, str(error)]


def form_refusal(template: str, form, *, field=None, replace: bool = False, **context):
    """A ``refused`` for ``act``: the form again as typed (422, ``rendering.form_error``), the message
    beside ``field`` (a field of the form) or else beside the field the error names."""

    def refused(error: DomainError):
        if field is not None:
            field.errors = [str(error)] if replace else [*field.errors, str(error)]
        else:
            beside_field(form, error, replace=replace)
        return form_error(template, form=form, **context)

    return refused


def commit() -> None:
    """Commit the request's work (for views whose response must be built after the commit)."""
    db.session.commit()


def transaction(view):
    """Commit after the view when its answer is not an error; roll back otherwise. A
    ``DomainError`` the view lets through rolls back and becomes the error page with its status
    (the app's handler, ``core.security``)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            response = view(*args, **kwargs)
        except DomainError:
            db.session.rollback()
            raise
        status = getattr(response, "status_code", 200)
        if isinstance(response, tuple) and len(response) > 1 and isinstance(response[1], int):
            status = response[1]
        if status < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    return wrapper


def act_then(do: Callable[[], object], done: Callable[[object], object], refused: Callable[[DomainError], object], *,
             stale: str = STALE):
    """``act`` whose answer is made after the commit: ``done(result)`` gets what ``do`` returned, so a
    success message is flashed only once the work is kept (a commit that loses a race flashes nothing)."""
    kept: list = []

    def work():
        kept.append(do())
        return kept

    answer = act(work, refused, stale=stale)
    return done(kept[0]) if answer is kept else answer

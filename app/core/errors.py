"""The domain's errors: one base class with a message in Chinese for the person
who tried, the HTTP status the request edge answers with, and (optionally) the
form field the message belongs beside.

Every area's error class derives from ``DomainError``; the request edge
(``core.edge``) turns any of them into the page's 404/409/422 answer."""
from __future__ import annotations


class DomainError(Exception):
    """Something the rules do not allow, said in Chinese. ``status`` is the HTTP
    answer (409: the record's state forbids it; 422: what was typed is wrong;
    403: not this person's to do; 404: no such record for this person)."""

    status: int = 409

    def __init__(self, message: str = "", field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def __str__(self) -> str:  # the message, as before, for templates and flashes
        return self.message or super().__str__()


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Invalid(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409


class Stale(Conflict):
    """Someone else saved the record first (a lost race): nothing of this request was kept."""

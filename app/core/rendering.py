"""One template per screen; htmx requests get the block they need.

A full page (first load, boosted navigation, history restore) renders the
whole template. A plain htmx request renders only ``fragment`` of the same
template (jinja2-fragments), so there is never a second copy of the markup.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, *, fragment: str = "content", status: int = 200, **context):
    if wants_fragment():
        body = render_block(template, fragment, **context)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def form_error(template: str, *, fragment: str = "content", **context):
    """A form with errors: the same screen (or its fragment), status 422."""
    return render(template, fragment=fragment, status=422, **context)


def redirect_to(url: str):
    """After a successful post: a 303, or for htmx a full page load (HX-Redirect), so the next page
    comes whole with its header and messages (HX-Location would swap the page's content block
    alone into the body). An #anchor on the page the request came from is dropped there: a
    same-document jump would not load the page again."""
    if getattr(request, "htmx", None):
        path, _, anchor = url.partition("#")
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        if anchor and current.path == urlsplit(path).path and current.query == urlsplit(path).query:
            url = path
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


FILE_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def file_response(data: bytes, name: str, fmt: str):
    """A generated file for download: PDFs open in the browser, the rest save; never cached."""
    response = make_response(data)
    response.headers["Content-Type"] = FILE_TYPES[fmt]
    disposition = "inline" if fmt == "pdf" else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""``Server-Timing`` on every response, when ``SERVER_TIMING`` is on.

For the benchmarks (bench/national.py): each response says how long the
request took inside Flask (``app``) and how much of that was spent waiting for
the database (``sql``, with the number of statements). Off by default: timings
tell an outsider something about the data behind a page.
"""
from __future__ import annotations

import time
from contextvars import ContextVar

from flask import g
from sqlalchemy import event
from sqlalchemy.engine import Engine

_sql: ContextVar[list | None] = ContextVar("sql_timing", default=None)
_listening = False


def _before_cursor(conn, cursor, statement, parameters, context, executemany):
    conn.info.setdefault("timing_started", []).append(time.perf_counter())


def _after_cursor(conn, cursor, statement, parameters, context, executemany):
    started = conn.info.get("timing_started")
    if not started:
        return
    elapsed = time.perf_counter() - started.pop()
    acc = _sql.get()
    if acc is not None:
        acc[0] += elapsed
        acc[1] += 1


def _start():
    g.timing_started = time.perf_counter()
    g.timing_sql = [0.0, 0]
    _sql.set(g.timing_sql)


def _header(response):
    started = g.pop("timing_started", None)
    acc = g.pop("timing_sql", None)
    if started is None or acc is None:
        return response
    total = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f'app;dur={total:.2f}, sql;dur={acc[0] * 1000:.2f};desc="{acc[1]}"'
    return response


def install(app) -> None:
    global _listening
    if not app.config.get("SERVER_TIMING"):
        return
    if not _listening:
        event.listen(Engine, "before_cursor_execute", _before_cursor)
        event.listen(Engine, "after_cursor_execute", _after_cursor)
        _listening = True
    app.before_request(_start)
    app.after_request(_header)

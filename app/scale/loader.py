"""Bulk writing for the generator: COPY on PostgreSQL (psycopg 3 ``cursor.copy`` with
``write_row``), batched core ``insert()`` executemany on SQLite, the same rows either way.

Rows are plain tuples in the order of the column list given with them. Values are
Python values: timezone-aware UTC datetimes, dates, bools, ints, strings, None;
JSON columns are passed already serialised (``dump``). Ids are handed out here,
from above the table's largest id, so rows can point at each other before they
are written; sequences are moved past them at the end (``finish``).
"""
from __future__ import annotations

import json
import queue
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ..core.models import UTCDateTime
from ..extensions import db

__all__ = ["UTC", "Writer", "after_commit", "begin_session", "dump", "end_session", "verify_references"]


_DUMPED: dict = {}


def dump(value) -> str:
    """JSON text of ``value`` (lists of a few strings or numbers are cached: they repeat)."""
    if not value:
        return "[]" if isinstance(value, list) else json.dumps(value)
    if isinstance(value, list) and len(value) <= 3:
        key = tuple(value)
        text = _DUMPED.get(key)
        if text is None:
            text = _DUMPED[key] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return text
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_ints(values) -> str:
    return "[" + ",".join(map(str, values)) + "]"


def dump_bools(values) -> str:
    return "[" + ",".join("true" if v else "false" for v in values) + "]"


def _sqlite_datetime(value: datetime) -> str:
    # What SQLAlchemy's SQLite DateTime stores: UTC, no offset, microseconds.
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Writer:
    """On PostgreSQL the COPYs run in a thread of their own, one after the other on the loading
    connection, while the generator builds the next rows (the server's work and Python's overlap);
    ``drain`` waits for them before the connection is used for anything else."""

    def __init__(self, conn, *, chunk: int = 5000):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.chunk = chunk
        self.next_ids: dict[str, int] = {}
        self.rows: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)
        self._tables: set[str] = set()
        self._converters: dict[tuple, list] = {}
        self._queue: queue.Queue | None = None
        self._error: Exception | None = None
        if self.pg:
            self._queue = queue.Queue(maxsize=3)
            self._thread = threading.Thread(target=self._copy_loop, name="seed-scale-copy", daemon=True)
            self._thread.start()

    def _copy_loop(self):
        raw = self.conn.connection.driver_connection
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    table, columns, rows = item
                    started = time.perf_counter()
                    cols = ", ".join(f'"{c}"' for c in columns)
                    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                        write_row = copy.write_row
                        for row in rows:
                            write_row(row)
                    self.seconds[table] += time.perf_counter() - started
            except Exception as error:  # noqa: BLE001 - handed to the generator at its next write or drain
                self._error = error
            finally:
                self._queue.task_done()

    def _raise(self):
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def drain(self) -> None:
        """Wait until every queued COPY has run (before the connection runs other SQL)."""
        if self._queue is not None:
            self._queue.join()
            self._raise()

    def close(self) -> None:
        if self._queue is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = None

    # --- ids ---------------------------------------------------------------------

    def _start_id(self, table: str) -> int:
        top = self.conn.execute(sa.text(f'SELECT coalesce(max(id), 0) FROM "{table}"')).scalar() or 0
        if self.pg:
            seq = self.conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
            if seq:
                last, called = self.conn.execute(sa.text(f"SELECT last_value, is_called FROM {seq}")).one()
                top = max(top, last if called else last - 1)
        return top + 1

    def reserve(self, table: str, n: int = 1) -> int:
        """The first of ``n`` new ids of ``table``."""
        if table not in self.next_ids:
            self.drain()
            self.next_ids[table] = self._start_id(table)
        first = self.next_ids[table]
        self.next_ids[table] = first + n
        return first

    def numbered(self, table: str, rows: list[tuple]) -> list[tuple]:
        """``rows`` with a new id of ``table`` put in front of each."""
        first = self.reserve(table, len(rows))
        return [(first + i,) + r for i, r in enumerate(rows)]

    # --- writing -----------------------------------------------------------------

    def _sqlite_converters(self, table: str, columns: tuple[str, ...]) -> list:
        key = (table, columns)
        if key not in self._converters:
            t = db.metadata.tables[table]
            out = []
            for name in columns:
                kind = t.c[name].type
                if isinstance(kind, UTCDateTime):
                    out.append(_sqlite_datetime)
                elif isinstance(kind, sa.Date):
                    out.append(date.isoformat)
                else:
                    out.append(None)
            self._converters[key] = out
        return self._converters[key]

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if len(rows[0]) != len(columns):
            raise ValueError(f"{table}: {len(rows[0])} values for {len(columns)} columns")
        self._tables.add(table)
        if self.pg:
            self._raise()
            self._queue.put((table, columns, rows))
            self.rows[table] += len(rows)
            return
        started = time.perf_counter()
        converters = self._sqlite_converters(table, columns)
        pairs = [(i, f) for i, f in enumerate(converters) if f is not None]
        stmt = sa.insert(sa.table(table, *(sa.column(c) for c in columns)))
        for start in range(0, len(rows), self.chunk):
            batch = []
            for row in rows[start:start + self.chunk]:
                values = list(row)
                for i, f in pairs:
                    if values[i] is not None:
                        values[i] = f(values[i])
                batch.append(dict(zip(columns, values)))
            self.conn.execute(stmt, batch)
        self.rows[table] += len(rows)
        self.seconds[table] += time.perf_counter() - started

    def update_many(self, table: str, set_column: str, pairs: list[tuple[int, int]]) -> None:
        """``UPDATE table SET set_column = value WHERE id = id`` for (id, value) pairs."""
        if not pairs:
            return
        self.drain()
        stmt = sa.text(f'UPDATE "{table}" SET "{set_column}" = :v WHERE id = :i')
        self.conn.execute(stmt, [{"i": i, "v": v} for i, v in pairs])

    def execute(self, sql: str, params: dict | None = None) -> None:
        """One statement over what has been written (after the rows still buffered)."""
        self.drain()
        self.conn.execute(sa.text(sql), params or {})

    # --- closing -----------------------------------------------------------------

    def finish(self) -> None:
        """Move each written table's id sequence past the ids used (PostgreSQL)."""
        if not self.pg:
            return
        self.drain()
        for table in sorted(self._tables | set(self.next_ids)):
            if "id" not in db.metadata.tables[table].c:
                continue
            seq = self.conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
            if seq:
                self.conn.execute(sa.text(f"SELECT setval('{seq}', (SELECT greatest(coalesce(max(id), 1), 1) FROM \"{table}\"))"))


def begin_session(conn) -> None:
    """Settings of the loading connection: every county visible (RLS, should the owner not be a
    superuser), no waiting for the WAL on each commit, FK checks of SQLite at commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT set_config('app.all_tenants', 'on', false), set_config('app.tenant_id', '', false)"))
        conn.execute(sa.text("SET synchronous_commit = off"))
        if conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
            # Foreign-key checks are triggers: skipped while loading (they cost three quarters of the
            # time), and verified in bulk afterwards (``verify_references``).
            conn.execute(sa.text("SET session_replication_role = replica"))
            return True
    else:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    return False


def end_session(conn) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET session_replication_role = DEFAULT"))


def verify_references(conn, tables: set[str]) -> list[str]:
    """Every foreign key of the written tables, checked set-wise (one anti-join each): the rows
    pointing nowhere, as messages. Used after a load that skipped the per-row checks."""
    problems = []
    for name in sorted(tables):
        table = db.metadata.tables[name]
        for fk in table.foreign_key_constraints:
            cols = [c.name for c in fk.columns]
            ref = fk.referred_table.name
            ref_cols = [e.column.name for e in fk.elements]
            not_null = " AND ".join(f'c."{c}" IS NOT NULL' for c in cols)
            match = " AND ".join(f'p."{r}" = c."{c}"' for c, r in zip(cols, ref_cols))
            sql = (f'SELECT count(*) FROM "{name}" c WHERE {not_null} '
                   f'AND NOT EXISTS (SELECT 1 FROM "{ref}" p WHERE {match})')
            missing = conn.execute(sa.text(sql)).scalar()
            if missing:
                problems.append(f"{name}({', '.join(cols)}) → {ref}: {missing} 筆找不到對應資料")
    return problems


def after_commit(conn) -> None:
    if conn.dialect.name == "sqlite":  # reset by each commit
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")

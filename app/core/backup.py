"""Backup, restore and verification of the database, PDFs included (they are stored in it:
``report_runs.pdf``/``csv``/``xlsx`` and ``meeting_documents.pdf``, nothing on disk), and the case
documents' bytes (``case_document_blobs.data``, with ``DOCUMENT_STORAGE=database``, the default).

A backup is two files in ``backups/``: the dump (PostgreSQL: ``pg_dump -Fc``; SQLite: a copy
made with SQLite's online backup API) and a manifest (JSON) with every table's row count and a
checksum of its rows, and the SHA-256 of every stored PDF. On PostgreSQL the manifest is computed
in the same snapshot that pg_dump exports, so the two agree even while the app is writing.
``verify`` recomputes the manifest on a database (a restored one) and lists every difference.

PostgreSQL work runs as the owner (``MIGRATIONS_DATABASE_URL``) with ``app.all_tenants=on``, the
policies' cross-county setting, so row-level security shows (and on restore accepts) every row
even when the owner is not a superuser.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

# Tables holding stored files: (table, id column, bytes column, stored sha256 column). The generated PDFs, and
# the case documents' bytes (PDF, JPEG, PNG uploaded by workers) when they are kept in the database.
PDF_COLUMNS = (("report_runs", "id", "pdf", "sha256"), ("meeting_documents", "id", "pdf", "sha256"),
               ("case_document_blobs", "document_id", "data", "sha256"))
ALL_TENANTS = "-c app.all_tenants=on -c TimeZone=UTC"


class BackupError(RuntimeError):
    """A backup, restore or verification that cannot go on; the message is for the operator."""


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def _libpq_url(url: str) -> str:
    """The URL as pg_dump/pg_restore take it (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("SQLite 記憶體資料庫無法備份。")
    return Path(database)


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：請安裝 postgresql-client（make backup 會自動安裝）。")
    return path


def _pg_env() -> dict:
    env = dict(os.environ)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {ALL_TENANTS}".strip()
    return env


# --- The manifest -------------------------------------------------------------------------------

def _pg_manifest(conn) -> dict:
    conn.execute(sa.text("SELECT set_config('app.all_tenants', 'on', true), set_config('TimeZone', 'UTC', true)"))
    tables = conn.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).scalars().all()
    result = {}
    for table in tables:
        # md5 of each row's text, sorted, then md5 of those: order-free and small whatever the row size.
        count, checksum = conn.execute(sa.text(
            f'SELECT count(*), md5(coalesce(string_agg(md5(t::text), \'\' ORDER BY md5(t::text)), \'\')) '
            f'FROM public."{table}" AS t')).one()
        result[table] = {"rows": count, "checksum": checksum}
    pdfs = {}
    for table, key, column, _ in PDF_COLUMNS:
        if table in result:
            for row_id, digest in conn.execute(sa.text(
                    f'SELECT {key}, encode(sha256({column}), \'hex\') FROM public."{table}" '
                    f'WHERE {column} IS NOT NULL ORDER BY {key}')):
                pdfs[f"{table}/{row_id}"] = digest
    return {"tables": result, "pdfs": pdfs}


def _sqlite_manifest(conn: sqlite3.Connection) -> dict:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    result = {}
    for table in tables:
        digests = sorted(hashlib.md5(repr(tuple(row)).encode()).hexdigest()
                         for row in conn.execute(f'SELECT * FROM "{table}"'))
        result[table] = {"rows": len(digests), "checksum": hashlib.md5("".join(digests).encode()).hexdigest()}
    pdfs = {}
    for table, key, column, _ in PDF_COLUMNS:
        if table in result:
            for row_id, data in conn.execute(
                    f'SELECT {key}, {column} FROM "{table}" WHERE {column} IS NOT NULL ORDER BY {key}'):
                pdfs[f"{table}/{row_id}"] = hashlib.sha256(data).hexdigest()
    return {"tables": result, "pdfs": pdfs}


def _stored_digest_problems(pdfs: dict, stored: dict) -> list[str]:
    return [f"{name}：內容的 SHA-256 與資料庫記錄的不符" for name, digest in pdfs.items()
            if stored.get(name) and stored[name] != digest]


def _stored_digests_pg(conn) -> dict:
    tables = set(conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    stored = {}
    for table, key, column, sha in PDF_COLUMNS:
        if table in tables:
            for row_id, digest in conn.execute(sa.text(
                    f'SELECT {key}, {sha} FROM public."{table}" WHERE {column} IS NOT NULL')):
                stored[f"{table}/{row_id}"] = digest
    return stored


def _stored_digests_sqlite(conn: sqlite3.Connection) -> dict:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    stored = {}
    for table, key, column, sha in PDF_COLUMNS:
        if table in tables:
            for row_id, digest in conn.execute(f'SELECT {key}, {sha} FROM "{table}" WHERE {column} IS NOT NULL'):
                stored[f"{table}/{row_id}"] = digest
    return stored


def manifest_of(url: str) -> dict:
    """The manifest of the database at ``url`` as it is now."""
    if _is_postgres(url):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn, conn.begin():
                conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
                body = _pg_manifest(conn)
                body["problems"] = _stored_digest_problems(body["pdfs"], _stored_digests_pg(conn))
        finally:
            engine.dispose()
        return body
    conn = sqlite3.connect(_sqlite_path(url))
    try:
        body = _sqlite_manifest(conn)
        body["problems"] = _stored_digest_problems(body["pdfs"], _stored_digests_sqlite(conn))
        return body
    finally:
        conn.close()


# --- Backup, restore, verify -------------------------------------------------------------------

def backup(url: str, directory: Path, now: datetime | None = None) -> tuple[Path, Path, dict]:
    """Dump the database at ``url`` (the owner's URL on PostgreSQL) into ``directory``; returns the
    dump, the manifest file and the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    if _is_postgres(url):
        dump = directory / f"safetynet-{stamp}.dump"
        pg_dump = _pg_tool("pg_dump")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn, conn.begin():
                conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
                snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                body = _pg_manifest(conn)
                body["problems"] = _stored_digest_problems(body["pdfs"], _stored_digests_pg(conn))
                # pg_dump reads the very snapshot the manifest was computed in (kept open meanwhile).
                result = subprocess.run([pg_dump, "-Fc", "--enable-row-security", f"--snapshot={snapshot}",
                                         "-f", str(dump), _libpq_url(url)], env=_pg_env(), capture_output=True,
                                        text=True)
        finally:
            engine.dispose()
        if result.returncode != 0:
            dump.unlink(missing_ok=True)
            raise BackupError(f"pg_dump 失敗：{result.stderr.strip()}")
        engine_name = "postgresql"
    else:
        dump = directory / f"safetynet-{stamp}.sqlite3"
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(dump)
        try:
            source.backup(target)  # SQLite's online backup: a consistent copy while the app runs
            body = _sqlite_manifest(target)
            body["problems"] = _stored_digest_problems(body["pdfs"], _stored_digests_sqlite(target))
        finally:
            target.close()
            source.close()
        engine_name = "sqlite"
    body = {"created_at": (now or datetime.now(timezone.utc)).isoformat(), "engine": engine_name,
            "dump": dump.name, "dump_sha256": hashlib.sha256(dump.read_bytes()).hexdigest(), **body}
    manifest_path = dump.with_suffix(".manifest.json")
    manifest_path.write_text(json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True))
    return dump, manifest_path, body


def _pg_is_empty(url: str) -> bool:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return not conn.execute(sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
    finally:
        engine.dispose()


def restore(dump: Path, url: str) -> None:
    """Restore ``dump`` into the empty database at ``url`` (never over existing tables)."""
    if not dump.exists():
        raise BackupError(f"找不到備份檔 {dump}")
    if _is_postgres(url):
        if not _pg_is_empty(url):
            raise BackupError("目標資料庫已有資料表：請還原到新建立的空資料庫（createdb），以免覆蓋現有資料。")
        result = subprocess.run([_pg_tool("pg_restore"), "--exit-on-error", "--single-transaction",
                                 "--enable-row-security", "-d", _libpq_url(url), str(dump)], env=_pg_env(),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore 失敗（資料庫未變更）：{result.stderr.strip()}")
        return
    path = _sqlite_path(url)
    if path.exists() and path.stat().st_size > 0:
        raise BackupError(f"目標檔案 {path} 已存在：請還原到新的檔案，以免覆蓋現有資料。")
    path.parent.mkdir(parents=True, exist_ok=True)
    source, target = sqlite3.connect(dump), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def differences(expected: dict, actual: dict) -> list[str]:
    """What differs between a backup's manifest and a database's (empty: everything equal)."""
    found = []
    for table in sorted(set(expected["tables"]) | set(actual["tables"])):
        want, have = expected["tables"].get(table), actual["tables"].get(table)
        if want is None or have is None:
            found.append(f"資料表 {table}：{'備份中沒有' if want is None else '還原後不存在'}")
        elif want["rows"] != have["rows"]:
            found.append(f"資料表 {table}：筆數 {want['rows']} ≠ {have['rows']}")
        elif want["checksum"] != have["checksum"]:
            found.append(f"資料表 {table}：內容檢查碼不同")
    for name in sorted(set(expected["pdfs"]) | set(actual["pdfs"])):
        if expected["pdfs"].get(name) != actual["pdfs"].get(name):
            found.append(f"PDF {name}：SHA-256 不同或缺少")
    found.extend(actual.get("problems", []))
    return found


def verify(manifest_path: Path, url: str) -> tuple[dict, list[str]]:
    """Recompute the manifest on the database at ``url`` and compare it with ``manifest_path``."""
    try:
        expected = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"無法讀取備份清單 {manifest_path}：{exc}") from exc
    return expected, differences(expected, manifest_of(url))

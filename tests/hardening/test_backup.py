"""Backup and restore, through the commands an operator runs (``flask backup`` / ``restore`` /
``verify-backup``, which ``make backup`` / ``make restore`` call): the demo data plus a freshly made
report PDF and meeting PDF are dumped, restored into a fresh database, and every table's row count
and checksum and every PDF's SHA-256 are found equal; the restored database serves the same PDF;
a changed row is caught; a restore never goes over existing tables."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core import backup, tenancy
from app.extensions import db
from tests.support import log_in, build_app
from tests.hardening import fixtures_faults
from tests.hardening.fixtures_faults import runs_once, seeded_app

pytestmark = runs_once

ROOT = Path(__file__).resolve().parents[2]
limiter_back_to_memory = fixtures_faults.limiter_back_to_memory  # a fixture, used by name
private_pg = fixtures_faults.private_pg  # a fixture, used by name


def _flask(app_url: str, owner_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": app_url, "MIGRATIONS_DATABASE_URL": owner_url, "SECRET_KEY": "test-secret"}
    env.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _make_pdfs(app) -> dict:
    """A new report PDF and a new meeting PDF (jobs inline), as a county administrator asks for them."""
    from app.accounts.models import User
    from app.meetings import documents
    from app.meetings.models import DocumentKind, Meeting
    from app.reports import services
    from app.reports.models import ReportKind
    from app.reports.periods import Period, PeriodKind
    from app.tenants.models import County

    with app.test_request_context():
        taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
        admin = db.session.scalars(sa.select(User).where(User.username == "tpe.admin")).one()
        tenancy.set_tenant(taipei.id)
        run = services.request(ReportKind.VISITS, Period.of(PeriodKind.MONTH, 2026, 9), admin, taipei.id)
        meeting = db.session.scalars(sa.select(Meeting).where(Meeting.county_id == taipei.id)).first()
        doc = documents.request(meeting, DocumentKind.MINUTES, admin)
        db.session.refresh(run)
        db.session.refresh(doc)
        made = {"run": run.id, "run_sha": run.sha256, "doc": doc.id, "doc_sha": doc.sha256}
        assert run.pdf.startswith(b"%PDF") and doc.pdf.startswith(b"%PDF")
        db.session.remove()
    return made


def _backup_restore_verify(source_app_url, source_owner_url, target_app_url, target_owner_url, tmp_path):
    result = _flask(source_app_url, source_owner_url, "backup", "--output-dir", str(tmp_path / "backups"))
    assert result.returncode == 0, result.stderr
    assert "已備份" in result.stdout
    manifest_path = next((tmp_path / "backups").glob("safetynet-*.manifest.json"))
    dump = tmp_path / "backups" / json.loads(manifest_path.read_text())["dump"]
    assert dump.exists()
    result = _flask(target_app_url, target_owner_url, "restore", str(dump), "--database-url", target_owner_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "全部相符" in result.stdout
    result = _flask(target_app_url, target_owner_url, "verify-backup", str(manifest_path))
    assert result.returncode == 0 and "全部相符" in result.stdout, result.stdout + result.stderr
    return dump, manifest_path, json.loads(manifest_path.read_text())


def _check_manifest(manifest: dict, made: dict, target_owner_url: str) -> None:
    tables = manifest["tables"]
    assert len(tables) >= 60 and manifest["problems"] == []
    for table in ("counties", "users", "reports", "family_cases", "referrals", "meetings", "action_items",
                  "report_runs", "meeting_documents", "audit_events", "alembic_version"):
        assert tables[table]["rows"] > 0, table
    assert manifest["pdfs"][f"report_runs/{made['run']}"] == made["run_sha"]
    assert manifest["pdfs"][f"meeting_documents/{made['doc']}"] == made["doc_sha"]
    assert tables["case_documents"]["rows"] >= 2 and tables["case_document_blobs"]["rows"] >= 2  # the demo's
    assert len([name for name in manifest["pdfs"] if name.startswith("case_document_blobs/")]) == \
        tables["case_document_blobs"]["rows"]  # each stored document's SHA-256, compared after the restore
    restored = backup.manifest_of(target_owner_url)  # recomputed here too, not only by the command
    assert restored["tables"] == tables and restored["pdfs"] == manifest["pdfs"]
    rows = sum(t["rows"] for t in tables.values())
    print(f"compared {len(tables)} tables, {rows} rows, {len(manifest['pdfs'])} PDFs")


def _the_restored_app_serves_the_same_pdf(app_url: str, made: dict) -> None:
    restored = build_app(app_url, REDIS_URL=None)
    admin = log_in(restored, "tpe.admin")
    pdf = admin.get(f"/reports/{made['run']}/file.pdf")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == made["run_sha"]
    with restored.app_context():
        db.engine.dispose()


def _a_changed_row_is_caught(app_url: str, owner_url: str, manifest_path: Path, change_sql: str) -> None:
    engine = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(change_sql))
    engine.dispose()
    result = _flask(app_url, owner_url, "verify-backup", str(manifest_path))
    assert result.returncode != 0
    assert "資料表 counties：內容檢查碼不同" in result.stderr and "驗證失敗：1 項不符" in result.stderr


@pytest.mark.skipif(shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
                    reason="postgresql-client not installed (make test installs it where it can)")
def test_postgresql_backup_restores_into_a_fresh_database_with_every_record(private_pg, tmp_path):
    private_pg.create_database("backup_source")
    private_pg.create_database("backup_target")
    source_app, source_owner = private_pg.url("backup_source", "safetynet_app"), private_pg.url("backup_source")
    target_app, target_owner = private_pg.url("backup_target", "safetynet_app"), private_pg.url("backup_target")
    app = seeded_app(source_app, source_owner, REDIS_URL=None)
    made = _make_pdfs(app)
    with app.app_context():
        db.engine.dispose()

    dump, manifest_path, manifest = _backup_restore_verify(source_app, source_owner, target_app, target_owner, tmp_path)
    assert manifest["engine"] == "postgresql" and dump.suffix == ".dump"
    _check_manifest(manifest, made, target_owner.replace("postgresql://", "postgresql+psycopg://"))
    again = _flask(target_app, target_owner, "restore", str(dump), "--database-url", target_owner)
    assert again.returncode != 0 and "目標資料庫已有資料表" in again.stderr
    _a_changed_row_is_caught(target_app, target_owner, manifest_path,
                             "UPDATE counties SET name = name || '（改）' WHERE name = '花蓮縣'")
    _the_restored_app_serves_the_same_pdf(target_app, made)  # as the runtime role: grants and RLS came back


def test_sqlite_backup_restores_into_a_fresh_file_with_every_record(tmp_path):
    source = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    target = f"sqlite:///{tmp_path / 'restored' / 'target.sqlite3'}"
    app = seeded_app(source, source, REDIS_URL=None)
    made = _make_pdfs(app)
    with app.app_context():
        db.engine.dispose()

    dump, manifest_path, manifest = _backup_restore_verify(source, source, target, target, tmp_path)
    assert manifest["engine"] == "sqlite" and dump.suffix == ".sqlite3"
    _check_manifest(manifest, made, target)
    again = _flask(target, target, "restore", str(dump), "--database-url", target)
    assert again.returncode != 0 and "已存在" in again.stderr
    _a_changed_row_is_caught(target, target, manifest_path,
                             "UPDATE counties SET name = name || '（改）' WHERE name = '花蓮縣'")
    _the_restored_app_serves_the_same_pdf(target, made)


def test_a_missing_pg_dump_is_reported_in_chinese(monkeypatch, tmp_path):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="postgresql-client"):
        backup.backup("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)

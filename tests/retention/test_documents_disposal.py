"""Disposal removes a case's documents with it: the rows, the bytes kept in the database, and the files kept
in a directory (after the commit)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.cases import documents
from app.cases.demo import demo_pdf, demo_png
from app.cases.documents import CaseDocument, CaseDocumentBlob
from app.core import tenancy
from tests.retention.test_purge import _decide, _purge


def test_disposal_removes_the_documents_rows_bytes_and_files(app, db, make_closed, taipei, factories, monkeypatch,
                                                            tmp_path):
    case = make_closed(date(2018, 5, 5))
    sw1 = factories.user("tpe.sw1")
    with tenancy.tenant_scope(taipei.id):
        documents.upload(case.load(), sw1, sw1.memberships[0], kind=documents.DocumentKind.CONSENT, description="同意書",
                         filename="同意書.pdf", data=demo_pdf(["同意書"]))
        monkeypatch.setitem(app.config, "DOCUMENT_STORAGE", "directory")
        monkeypatch.setitem(app.config, "DOCUMENT_DIRECTORY", str(tmp_path))
        documents.upload(case.load(), sw1, sw1.memberships[0], kind=documents.DocumentKind.PHOTO, description="",
                         filename="家.png", data=demo_png(["家"]))
        db.session.commit()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1
    _decide(taipei, factories, case)

    result = _purge(app, "--county", "臺北市", "--by", "tpe.admin")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    with tenancy.tenant_scope(taipei.id):
        assert db.session.scalar(sa.select(sa.func.count(CaseDocument.id)).where(CaseDocument.case_id == case.id)) == 0
        assert db.session.scalar(sa.select(sa.func.count(CaseDocumentBlob.document_id))) == 0
    assert not files[0].exists()

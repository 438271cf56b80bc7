"""Case documents: a file is what its content says (not its name), refused with a Chinese message beside the
field and nothing stored when it is not what it claims, empty or too large; listed on the family record;
downloaded with safe headers and audited; another county and a unit not on the case get 404; shared with a
partner only when ticked on the referral; deleted with a reason by the uploader or the lead's supervisor;
kept in a directory when so configured; checked by the backup's manifest; removed at retention disposal."""
from __future__ import annotations

import hashlib
import io
import sqlite3
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from PIL import Image

from app.audit.models import AuditAction, AuditEvent
from app.cases.demo import DEMO_CONSENT, DEMO_PHOTO, demo_pdf, demo_png
from app.cases.documents import CaseDocument, CaseDocumentBlob
from app.cases.models import FamilyCase
from app.core import backup, tenancy
from app.referrals.models import PartnerService, Referral


def _case(db, county, surname="邱"):
    with tenancy.tenant_scope(county.id):
        case = db.session.scalars(sa.select(FamilyCase).where(FamilyCase.family_name == f"{surname}○○家")).first()
        return case.id


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _upload(client, case_id, data: bytes, filename: str, kind="consent", description="案母簽署之同意書"):
    return client.post(f"/cases/{case_id}/documents", {"doc-file": (io.BytesIO(data), filename), "doc-kind": kind,
                                                        "doc-description": description},
                       content_type="multipart/form-data")


def _uploaded(db, county, worker, case_id, data: bytes, filename: str, kind: str) -> int:
    assert _upload(worker, case_id, data, filename, kind=kind).status_code == 303
    return _doc_id(db, county, case_id, filename)


def _counts(db, county):
    with tenancy.tenant_scope(county.id):
        return (db.session.scalar(sa.select(sa.func.count(CaseDocument.id))),
                db.session.scalar(sa.select(sa.func.count(CaseDocumentBlob.document_id))))


def _doc_id(db, county, case_id, filename):
    with tenancy.tenant_scope(county.id):
        return db.session.scalars(sa.select(CaseDocument.id).where(CaseDocument.case_id == case_id,
                                                                   CaseDocument.filename == filename)).one()


def test_a_worker_uploads_a_pdf_and_a_png_listed_and_downloaded_with_safe_headers_and_audited(as_user, demo, db):
    case_id = _case(db, demo)
    worker = as_user("tpe.sw1")
    pdf = demo_pdf(["同意書"])
    assert _upload(worker, case_id, pdf, "同意書 2026.pdf").status_code == 303
    assert _upload(worker, case_id, _jpeg(), "家訪.JPG", kind="photo", description="").status_code == 303
    page = worker.get(f"/cases/{case_id}")
    assert "案件文件（2）" in page.text and "同意書 2026.pdf" in page.text and "PDF 文件" in page.text
    assert "家訪.JPG" in page.text and "JPEG 圖片" in page.text and "案母簽署之同意書" in page.text
    assert page.text.count("王淑芬") >= 2  # who uploaded
    assert "115/" in page.text  # ROC date-time
    doc_id = _doc_id(db, demo, case_id, "同意書 2026.pdf")
    got = worker.get(f"/cases/{case_id}/documents/{doc_id}")
    assert got.status_code == 200 and got.data == pdf
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"] == (
        f"attachment; filename=\"document-{doc_id}.pdf\"; filename*=UTF-8''{quote('同意書 2026.pdf', safe='')}")
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "no-store" in got.headers["Cache-Control"]
    with tenancy.tenant_scope(demo.id):
        stored = db.session.get(CaseDocument, doc_id)
        assert stored.sha256 == hashlib.sha256(pdf).hexdigest() and stored.size == len(pdf)
        entries = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "case_documents",
                                                                 AuditEvent.record_id == str(doc_id))).all()
    assert {e.action for e in entries} == {AuditAction.CREATE, AuditAction.READ}
    assert any(e.action == AuditAction.READ and e.actor_username == "tpe.sw1" and "同意書 2026.pdf" in e.summary
               for e in entries)


REFUSALS = {
    "a PNG called .pdf": (demo_png(["x"]), "court.pdf", "內容卻是PNG 圖片"),
    "a text file called .jpg": ("這不是照片\n".encode() * 20, "photo.jpg", "只接受 PDF、JPEG 或 PNG"),
    "a truncated PDF": (demo_pdf(["截斷"])[:-700], "scan.pdf", "PDF 檔案不完整或已損壞"),
    "a PDF header and nothing else": (b"%PDF-1.7\n%%EOF\n", "empty.pdf", "PDF 檔案不完整或已損壞"),
    "a truncated PNG": (demo_png(["截斷"])[:400], "cut.png", "PNG 圖片不完整或已損壞"),
    "an empty file": (b"", "blank.pdf", "檔案是空的"),
    "a JPEG without an extension": (_jpeg(), "IMG_0001", "沒有副檔名"),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_a_file_that_is_not_what_it_claims_is_refused_beside_the_field_and_nothing_is_stored(as_user, demo, db, name):
    data, filename, message = REFUSALS[name]
    case_id = _case(db, demo)
    worker = as_user("tpe.sw1")
    before = _counts(db, demo)
    refused = _upload(worker, case_id, data, filename, description="法院裁定影本")
    assert refused.status_code == 422
    assert 'id="doc-file-error"' in refused.text and message in refused.text.replace("\u3000", "")
    assert "法院裁定影本" in refused.text  # what was typed is kept
    assert _counts(db, demo) == before


def test_no_file_and_no_kind_are_refused_in_chinese(as_user, demo, db):
    case_id = _case(db, demo)
    worker = as_user("tpe.sw1")
    before = _counts(db, demo)
    none = worker.post(f"/cases/{case_id}/documents", {"doc-kind": "consent", "doc-description": "x"},
                       content_type="multipart/form-data")
    assert none.status_code == 422 and "請選擇要上傳的檔案" in none.text
    no_kind = _upload(worker, case_id, demo_pdf(["x"]), "a.pdf", kind="")
    assert no_kind.status_code == 422 and "請選擇「文件類別」" in no_kind.text
    assert _counts(db, demo) == before


def test_a_file_over_the_limit_is_refused_with_the_limit_said(app, as_user, demo, db, monkeypatch):
    case_id = _case(db, demo)
    worker = as_user("tpe.sw1")
    before = _counts(db, demo)
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 20_000)
    big = demo_pdf(["大檔案"] * 12)
    assert len(big) > 20_000
    refused = _upload(worker, case_id, big, "big.pdf")
    assert refused.status_code == 422 and "檔案超過上限" in refused.text and 'id="doc-file-error"' in refused.text
    # a body over MAX_CONTENT_LENGTH is refused before it is read: back to the record with the message
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 30_000)
    huge = _upload(worker, case_id, b"%PDF-" + b"0" * 40_000, "huge.pdf")
    assert huge.status_code == 303
    assert huge.headers["Location"].endswith(f"/cases/{case_id}?document=too_large#upload-document")
    back = worker.get(f"/cases/{case_id}?document=too_large")
    assert 'id="doc-file-error"' in back.text and "檔案超過上限 0.0 MB" not in back.text and "檔案超過上限" in back.text
    assert _counts(db, demo) == before


def test_another_county_and_a_unit_not_on_the_case_get_404(as_user, demo, db):
    case_id = _case(db, demo, "郭")  # the demo's documents
    doc_id = _doc_id(db, demo, case_id, DEMO_PHOTO)
    for username in ("hua.sw1", "hua.sup", "tpe.mh1"):
        other = as_user(username)
        assert other.get(f"/cases/{case_id}/documents/{doc_id}").status_code == 404, username
        assert _upload(other, case_id, demo_pdf(["x"]), "a.pdf").status_code == 404, username
        assert other.post(f"/cases/{case_id}/documents/{doc_id}/delete", {"dx-reason": "x"}).status_code == 404
    # a document id of another case, under this case's URL: 404 too
    qiu = _case(db, demo)
    assert as_user("tpe.sw1").get(f"/cases/{qiu}/documents/{doc_id}").status_code == 404
    assert _counts(db, demo) == (2, 2)


def test_the_partner_downloads_only_the_documents_ticked_on_the_referral(as_user, demo, db):
    """The demo's referral of the 郭 family to 家扶 shares the consent form and not the photo."""
    from app.referrals.demo import seed_demo_referrals

    seed_demo_referrals()
    db.session.commit()
    case_id = _case(db, demo, "郭")
    consent, photo = _doc_id(db, demo, case_id, DEMO_CONSENT), _doc_id(db, demo, case_id, DEMO_PHOTO)
    with tenancy.tenant_scope(demo.id):
        referral = db.session.scalars(sa.select(Referral).where(Referral.case_id == case_id,
                                                                Referral.to_partner_org_id.is_not(None))).one()
        referral_id = referral.id
        assert referral.shared_sections[-1] == "documents"
    partner = as_user("ngo.staff")
    detail = partner.get(f"/referrals/{referral_id}")
    assert DEMO_CONSENT in detail.text and DEMO_PHOTO not in detail.text
    got = partner.get(f"/referrals/{referral_id}/documents/{consent}")
    assert got.status_code == 200 and got.data.startswith(b"%PDF-") and got.headers["Content-Type"] == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff" and got.headers["Content-Disposition"].startswith("attachment;")
    assert partner.get(f"/referrals/{referral_id}/documents/{photo}").status_code == 404
    assert partner.get(f"/cases/{case_id}/documents/{consent}").status_code == 404  # not a reader of the case itself
    with tenancy.tenant_scope(demo.id):
        entry = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "case_documents",
                                                               AuditEvent.record_id == str(consent),
                                                               AuditEvent.action == AuditAction.READ)).one()
    assert entry.actor_username == "ngo.staff" and "經轉介" in entry.summary and entry.tenant_id == demo.id
    # another county's worker, with the same URL: 404
    assert as_user("hua.sw1").get(f"/referrals/{referral_id}/documents/{consent}").status_code == 404
    # once the county deletes the document, the partner cannot fetch it any more
    sup = as_user("tpe.sup")
    assert sup.post(f"/cases/{case_id}/documents/{consent}/delete", {"dx-reason": "誤傳版本"}).status_code == 303
    assert partner.get(f"/referrals/{referral_id}/documents/{consent}").status_code == 404


def test_a_referral_shares_documents_only_when_ticked(as_user, demo, db):
    case_id = _case(db, demo)
    worker = as_user("tpe.sw1")
    doc_id = _uploaded(db, demo, worker, case_id, demo_pdf(["法院裁定"]), "裁定.pdf", "court_order")
    with tenancy.tenant_scope(demo.id):
        service_id = db.session.scalars(sa.select(PartnerService.id).where(PartnerService.name == "兒少及家庭支持服務")).one()
    form = worker.get(f"/cases/{case_id}/referrals/new")
    assert "分享的案件文件" in form.text and "法院裁定｜裁定.pdf" in form.text
    base = {"kind": "partner", "partner_service_id": str(service_id), "reason": "課後照顧", "sections": ["members"],
            "consent": "y", "consent_by": "邱媽媽", "urgency": "normal"}
    assert worker.post(f"/cases/{case_id}/referrals/new", base).status_code == 303
    forged = worker.post(f"/cases/{case_id}/referrals/new", {**base, "document_ids": ["999999"]})
    assert forged.status_code == 422 and "不在" in forged.text
    assert worker.post(f"/cases/{case_id}/referrals/new", {**base, "document_ids": [str(doc_id)]}).status_code == 303
    with tenancy.tenant_scope(demo.id):
        without, with_doc = db.session.scalars(sa.select(Referral).where(Referral.case_id == case_id,
                                                                         Referral.reason == "課後照顧")
                                               .order_by(Referral.id)).all()[-2:]
        ids = without.id, with_doc.id
        assert "documents" not in without.shared_sections and "documents" not in without.shared_snapshot
        assert [d["id"] for d in with_doc.shared_snapshot["documents"]] == [doc_id]
    partner = as_user("ngo.staff")
    assert partner.get(f"/referrals/{ids[0]}/documents/{doc_id}").status_code == 404  # not ticked on this one
    assert partner.get(f"/referrals/{ids[1]}/documents/{doc_id}").status_code == 200


def test_delete_by_the_uploader_or_the_lead_supervisor_with_a_reason(as_user, demo, db):
    case_id = _case(db, demo)
    worker = as_user("tpe.sw1")
    doc_id = _uploaded(db, demo, worker, case_id, demo_png(["照片"]), "photo.png", "photo")
    rows, blobs = _counts(db, demo)
    other = as_user("tpe.sw2")  # a worker of the same unit, not the uploader nor a supervisor
    refused = other.post(f"/cases/{case_id}/documents/{doc_id}/delete", {"dx-reason": "不要了"})
    assert refused.status_code == 403 and "只有上傳者或主責單位督導" in refused.text
    blank = worker.post(f"/cases/{case_id}/documents/{doc_id}/delete", {"dx-reason": ""})
    assert blank.status_code == 422 and "刪除理由" in blank.text
    assert _counts(db, demo) == (rows, blobs)
    assert worker.post(f"/cases/{case_id}/documents/{doc_id}/delete", {"dx-reason": "拍到其他家庭"}).status_code == 303
    assert _counts(db, demo) == (rows, blobs - 1)  # the bytes are gone, the row says who, when and why
    page = worker.get(f"/cases/{case_id}")
    assert "<del>photo.png</del>" in page.text and "拍到其他家庭" in page.text and "案件文件（0）" in page.text
    assert worker.get(f"/cases/{case_id}/documents/{doc_id}").status_code == 404
    again = worker.post(f"/cases/{case_id}/documents/{doc_id}/delete", {"dx-reason": "再刪"})
    assert again.status_code == 409


def test_a_directory_store_keeps_files_and_removes_them_after_the_commit(app, as_user, demo, db, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "DOCUMENT_STORAGE", "directory")
    monkeypatch.setitem(app.config, "DOCUMENT_DIRECTORY", str(tmp_path / "docs"))
    case_id = _case(db, demo)
    worker = as_user("tpe.sw1")
    rows, blobs = _counts(db, demo)
    png = demo_png(["目錄"])
    assert _upload(worker, case_id, png, "dir.png", kind="photo").status_code == 303
    [path] = list((tmp_path / "docs").rglob("*"))[-1:]
    assert path.is_file() and path.read_bytes() == png
    assert _counts(db, demo) == (rows + 1, blobs)  # nothing in the database's blob table
    doc_id = _doc_id(db, demo, case_id, "dir.png")
    monkeypatch.setitem(app.config, "DOCUMENT_STORAGE", "database")  # a later change of setting loses nothing
    assert worker.get(f"/cases/{case_id}/documents/{doc_id}").data == png
    assert _upload(worker, case_id, b"not a picture", "bad.png").status_code == 422
    assert len([p for p in (tmp_path / "docs").rglob("*") if p.is_file()]) == 1
    assert worker.post(f"/cases/{case_id}/documents/{doc_id}/delete", {"dx-reason": "重複"}).status_code == 303
    assert not path.exists()


def test_the_backup_manifest_digests_stored_documents_and_catches_a_corrupted_one(tmp_path):
    """The manifest lists each document's SHA-256 beside the PDFs; a blob whose bytes no longer match the
    digest recorded with it is reported by verify (a changed blob is caught even when the row count agrees)."""
    path = tmp_path / "m.sqlite3"
    good, other = demo_pdf(["a"]), demo_png(["b"])
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE case_document_blobs (document_id INTEGER PRIMARY KEY, data BLOB, sha256 TEXT, tenant_id INT)")
        conn.executemany("INSERT INTO case_document_blobs VALUES (?, ?, ?, 1)",
                         [(1, good, hashlib.sha256(good).hexdigest()), (2, other, hashlib.sha256(other).hexdigest())])
    url = f"sqlite:///{path}"
    manifest = backup.manifest_of(url)
    assert manifest["pdfs"] == {"case_document_blobs/1": hashlib.sha256(good).hexdigest(),
                                "case_document_blobs/2": hashlib.sha256(other).hexdigest()}
    assert manifest["problems"] == []
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE case_document_blobs SET data = ? WHERE document_id = 2", (other[:-1] + b"\x00",))
    found = backup.differences(manifest, backup.manifest_of(url))
    assert "PDF case_document_blobs/2：SHA-256 不同或缺少" in found
    assert "case_document_blobs/2：內容的 SHA-256 與資料庫記錄的不符" in found

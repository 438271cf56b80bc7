"""Case documents (案件文件): files a worker attaches to a family case — signed consent forms, court
orders, school letters, photos.

What a file is, is decided by its content, never by its name or the browser's content type: a PDF
must start with ``%PDF-``, end with ``%%EOF`` and parse (pypdf: its cross-reference table, trailer
and at least one page); a JPEG or PNG must have its magic bytes and decode completely (Pillow). The
name's extension must agree with what the content is (a PNG called ``.pdf`` is refused: it is not
what it claims). Empty files and files over ``DOCUMENT_MAX_BYTES`` are refused too, each with a
Chinese message beside the file field, and nothing is stored.

The bytes are kept apart from the list: ``case_documents`` holds what the family record lists (kind,
description, name, size, who and when), the bytes live in a store chosen by configuration
(``DOCUMENT_STORAGE``): ``database`` (default: ``case_document_blobs``, one row per document, in the
dump and checked by ``flask verify-backup``) or ``directory`` (files under ``DOCUMENT_DIRECTORY``).
Each document remembers the store it was written to, so changing the setting never loses one.

A deleted document keeps its row (who deleted it, when, why) and loses its bytes. Rules only: the
functions check, record and flush; the caller commits."""
from __future__ import annotations

import hashlib
import io
import unicodedata
import uuid
import warnings
from urllib.parse import quote
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..accounts.models import Membership, User
from ..core.enums import LabeledEnum, enum_column_type
from ..core.models import UTCDateTime, utcnow
from ..core.tenancy import TenantMixin
from ..extensions import db
from .models import FamilyCase, case_number_of
from .services import CaseError, _require_write, add_event, can_write, is_lead_supervisor

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DESCRIPTION_MAX = 200
FILENAME_MAX = 120


class DocumentKind(LabeledEnum):
    CONSENT = ("consent", "同意書")
    COURT_ORDER = ("court_order", "法院裁定")
    SCHOOL_LETTER = ("school_letter", "學校函文")
    PHOTO = ("photo", "照片")
    OTHER = ("other", "其他")


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str
    extensions: tuple[str, ...]


PDF = FileType("application/pdf", "PDF 文件", (".pdf",))
JPEG = FileType("image/jpeg", "JPEG 圖片", (".jpg", ".jpeg"))
PNG = FileType("image/png", "PNG 圖片", (".png",))
FILE_TYPES = {t.content_type: t for t in (PDF, JPEG, PNG)}


def _child_of_case():
    return sa.ForeignKeyConstraint(["tenant_id", "case_id"], ["family_cases.tenant_id", "family_cases.id"],
                                   ondelete="CASCADE")


class CaseDocument(TenantMixin, db.Model):
    """One file attached to a case: what the family record lists (no bytes)."""

    __tablename__ = "case_documents"
    __table_args__ = (_child_of_case(), sa.UniqueConstraint("tenant_id", "id"),
                      sa.CheckConstraint("size > 0", name="size_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(nullable=False, index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column_type(DocumentKind, "document_kind"), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX), nullable=False, default="")
    filename: Mapped[str] = mapped_column(sa.String(FILENAME_MAX), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)  # from the content, not the browser
    size: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    storage: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="database")
    storage_key: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    uploaded_by_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    uploaded_unit: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    deleted_by_name: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    delete_reason: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX), nullable=False, default="")

    __audited__ = True

    @property
    def file_type(self) -> FileType:
        return FILE_TYPES[self.content_type]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def __str__(self) -> str:
        return f"案件文件 {case_number_of(self, self.case_id)} {self.kind.label}「{self.filename}」"


class CaseDocumentBlob(TenantMixin, db.Model):
    """A document's bytes when stored in the database (``DOCUMENT_STORAGE=database``), apart from the
    list so that listing never loads them. ``sha256`` repeats the document's, for ``verify-backup``."""

    __tablename__ = "case_document_blobs"
    __table_args__ = (sa.ForeignKeyConstraint(["tenant_id", "document_id"],
                                              ["case_documents.tenant_id", "case_documents.id"], ondelete="CASCADE"),)

    document_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary(), nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)


# --- What a file is -----------------------------------------------------------------------------------

class DocumentError(CaseError):
    """A file refused: the message goes beside the file field."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message, field=field)


def max_bytes() -> int:
    return int(current_app.config.get("DOCUMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.1f} MB" if value < 10 else f"{value:.0f} MB"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return megabytes(size)


def too_large_message(limit: int | None = None) -> str:
    return f"檔案超過上限 {human_size(limit or max_bytes())}，未儲存。請壓縮或分成幾個檔案後再上傳。"


def _pdf_ok(data: bytes) -> bool:
    # Header and trailer first (cheap, and a truncated download fails here), then a real parse.
    if b"%%EOF" not in data[-2048:]:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise DocumentError("加密（設有密碼）的 PDF 無法檢查內容，請上傳未加密的檔案。")
            return len(reader.pages) >= 1 and reader.pages[0].mediabox is not None
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        return False


def _image_ok(data: bytes, expected: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected:
                    return False
                image.verify()  # the structure (chunks, CRCs)
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # and every pixel: a truncated image fails here
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, EOFError):
        return False


def detect(data: bytes) -> FileType:
    """The file's type from its content, or a refusal saying why (nothing is stored)."""
    if not data:
        raise DocumentError("檔案是空的（0 位元組），未儲存。請確認選對檔案。")
    limit = max_bytes()
    if len(data) > limit:
        raise DocumentError(too_large_message(limit))
    if data.startswith(b"%PDF-"):
        if _pdf_ok(data):
            return PDF
        raise DocumentError("PDF 檔案不完整或已損壞（無法讀取），未儲存。請重新掃描或下載後再上傳。")
    if data.startswith(b"\xff\xd8\xff"):
        if _image_ok(data, "JPEG"):
            return JPEG
        raise DocumentError("JPEG 圖片不完整或已損壞，未儲存。")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if _image_ok(data, "PNG"):
            return PNG
        raise DocumentError("PNG 圖片不完整或已損壞，未儲存。")
    raise DocumentError("只接受 PDF、JPEG 或 PNG 檔案（依檔案內容判斷，不看副檔名）；這個檔案都不是，未儲存。")


def clean_filename(name: str | None) -> str:
    """The name as a person reads it: no folders, no control characters, at most FILENAME_MAX characters
    (keeping the extension)."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > FILENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:FILENAME_MAX - len(ext) - 1] + dot + ext) if dot and len(ext) <= 5 else name[:FILENAME_MAX]
    return name


def check_name(filename: str, file_type: FileType) -> None:
    """The extension must say what the content is: a file that is not what it claims is refused."""
    ext = Path(filename.lower()).suffix
    if ext in file_type.extensions:
        return
    if not ext:
        raise DocumentError(f"檔名「{filename}」沒有副檔名；內容是{file_type.label}，請將檔名改為 "
                            f"{file_type.extensions[0]} 結尾後再上傳。")
    claimed = next((t for t in FILE_TYPES.values() if ext in t.extensions), None)
    said = f"{claimed.label}" if claimed else f"「{ext}」檔"
    raise DocumentError(f"檔名「{filename}」看來是{said}，內容卻是{file_type.label}：檔案與名稱不符，未儲存。"
                        f"請確認選對檔案。")


# --- Where the bytes are kept ------------------------------------------------------------------------

class DatabaseStore:
    """Bytes in ``case_document_blobs``, in the same transaction as the document's row."""

    name = "database"

    def put(self, document: CaseDocument, data: bytes) -> str:
        db.session.add(CaseDocumentBlob(tenant_id=document.tenant_id, document_id=document.id, data=data,
                                        sha256=document.sha256))
        return ""

    def get(self, document: CaseDocument) -> bytes | None:
        return db.session.scalar(sa.select(CaseDocumentBlob.data).where(CaseDocumentBlob.document_id == document.id))

    def discard(self, document: CaseDocument) -> None:
        db.session.execute(sa.delete(CaseDocumentBlob).where(CaseDocumentBlob.document_id == document.id)
                           .execution_options(synchronize_session=False))


PENDING_WRITES, PENDING_DISCARDS = "document_files_written", "document_files_discarded"


class DirectoryStore:
    """Bytes as files under one directory (``DOCUMENT_DIRECTORY``), one folder per county. A file written
    in a transaction that rolls back is removed; a discarded file is removed only after the commit."""

    name = "directory"

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("document key outside the store")
        return path

    def put(self, document: CaseDocument, data: bytes) -> str:
        key = f"{document.tenant_id}/{document.id}-{uuid.uuid4().hex}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        db.session.info.setdefault(PENDING_WRITES, []).append(path)
        return key

    def get(self, document: CaseDocument) -> bytes | None:
        try:
            return self._path(document.storage_key).read_bytes()
        except (OSError, ValueError):
            return None

    def discard(self, document: CaseDocument) -> None:
        if document.storage_key:
            db.session.info.setdefault(PENDING_DISCARDS, []).append(self._path(document.storage_key))


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    session.info.pop(PENDING_WRITES, None)
    for path in session.info.pop(PENDING_DISCARDS, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    session.info.pop(PENDING_DISCARDS, None)
    for path in session.info.pop(PENDING_WRITES, []):
        path.unlink(missing_ok=True)


def store(name: str | None = None):
    """The store named ``name`` (a document's own), or the configured one for new documents."""
    name = name or current_app.config.get("DOCUMENT_STORAGE") or "database"
    if name == "directory":
        root = current_app.config.get("DOCUMENT_DIRECTORY") or Path(current_app.instance_path) / "documents"
        return DirectoryStore(Path(root))
    return DatabaseStore()


# --- Use cases ---------------------------------------------------------------------------------------

def upload(case: FamilyCase, user: User, membership: Membership, *, kind: DocumentKind, description: str,
           filename: str | None, data: bytes) -> CaseDocument:
    _require_write(case, membership)
    file_type = detect(data)
    name = clean_filename(filename)
    if not name:
        raise DocumentError("請選擇要上傳的檔案。")
    check_name(name, file_type)
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise DocumentError(f"說明最多 {DESCRIPTION_MAX} 字。", field="description")
    target = store()
    document = CaseDocument(tenant_id=case.tenant_id, case_id=case.id, kind=kind, description=description,
                            filename=name, content_type=file_type.content_type, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), storage=target.name, uploaded_by_id=user.id,
                            uploaded_by_name=user.display_name, uploaded_unit=membership.unit.display_short)
    db.session.add(document)
    db.session.flush()  # the id, for the blob and the file's key
    document.storage_key = target.put(document, data)
    add_event(case, "document", f"上傳文件：{kind.label}「{name}」（{human_size(len(data))}）", user, membership)
    db.session.flush()
    return document


def may_delete(case: FamilyCase, document: CaseDocument, user: User, membership: Membership | None) -> bool:
    """The uploader (while still writing on the case) or a supervisor of the lead unit."""
    if document.is_deleted or membership is None:
        return False
    return is_lead_supervisor(case, membership) or (document.uploaded_by_id == user.id and can_write(case, membership))


def delete(case: FamilyCase, document: CaseDocument, user: User, membership: Membership, reason: str) -> None:
    """Removes the bytes; the row stays with who deleted it, when and why (the list shows it)."""
    if document.is_deleted:
        raise CaseError("這份文件已經刪除。", status=409)
    if not may_delete(case, document, user, membership):
        raise CaseError("只有上傳者或主責單位督導可以刪除文件。", status=403)
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("請寫明刪除的理由。", field="reason")
    if len(reason) > DESCRIPTION_MAX:
        raise CaseError(f"刪除理由最多 {DESCRIPTION_MAX} 字。", field="reason")
    store(document.storage).discard(document)
    document.deleted_at = utcnow()
    document.deleted_by_id = user.id
    document.deleted_by_name = user.display_name
    document.delete_reason = reason
    add_event(case, "document", f"刪除文件：{document.kind.label}「{document.filename}」（{reason}）", user, membership)
    db.session.flush()


def content_of(document: CaseDocument) -> bytes | None:
    """The bytes (None when deleted or missing from its store)."""
    if document.is_deleted:
        return None
    return store(document.storage).get(document)


def case_documents(case: FamilyCase) -> list[CaseDocument]:
    """The case's documents, newest first (without their bytes)."""
    return list(db.session.scalars(sa.select(CaseDocument).where(CaseDocument.case_id == case.id)
                                   .order_by(CaseDocument.uploaded_at.desc(), CaseDocument.id.desc())))


def document_of_case(case: FamilyCase, document_id: int) -> CaseDocument | None:
    document = db.session.get(CaseDocument, document_id)
    return document if document is not None and document.case_id == case.id else None


def files_of_case(case_id: int) -> list[CaseDocument]:
    """For disposal: the case's documents kept outside the database (their files go after the commit)."""
    return list(db.session.scalars(sa.select(CaseDocument).where(CaseDocument.case_id == case_id,
                                                                 CaseDocument.storage != "database",
                                                                 CaseDocument.deleted_at.is_(None))))


def discard_files(case_id: int) -> None:
    """The files of a case being disposed of (rows go with the case; DB blobs cascade)."""
    for document in files_of_case(case_id):
        store(document.storage).discard(document)


# --- Downloads ---------------------------------------------------------------------------------------

def download_headers(document: CaseDocument) -> dict:
    """Safe headers: always an attachment (never rendered by the browser), the type the content was
    found to be, nosniff, never cached; the name in UTF-8 (RFC 5987/6266) with an ASCII fallback."""
    ext = document.file_type.extensions[0]
    fallback = f"document-{document.id}{ext}"
    return {
        "Content-Type": document.content_type,
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(document.filename, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }

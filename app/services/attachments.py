"""Files sent with a comment: PDF or DOCX, told by their content, kept outside the web root.

The bytes are written under ``storage_dir()`` with a random name before the database row is
flushed, so a committed row always has its file; when the request then fails, the files
written for it are removed again (``discard``).  A crash between the two can leave a file
without a row, never a row without a file.
"""

import hashlib
import io
import os
import secrets
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.config import ROOT
from app.errors import NotFound, TalkuuError
from app.models import Comment, CommentAttachment, CommentStatus

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 3
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx"}
STORAGE_ENV = "TALKUU_ATTACHMENTS_DIR"


class AttachmentTooLarge(TalkuuError):
    status_code = 413
    code = "attachment_too_large"
    message = "The file \"{name}\" is larger than {mb} MB, the most a comment can carry per file."


class TooManyAttachments(TalkuuError):
    status_code = 413
    code = "too_many_attachments"
    message = "At most {n} files can be attached to a comment."


class UnsupportedAttachment(TalkuuError):
    status_code = 415
    code = "unsupported_attachment"
    message = ("Only PDF documents and Word documents (.docx) can be attached; "
               "\"{name}\" is neither.")


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    message = "There is no such attached file."


def storage_dir() -> Path:
    """Where the files live: ``var/attachments`` of the installation unless overridden."""
    configured = os.environ.get(STORAGE_ENV)
    return Path(configured) if configured else ROOT / "var" / "attachments"


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the sender gave it and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    data: bytes
    content_type: str


def sniff(data: bytes) -> str | None:
    """The content type by the bytes themselves (never the name): PDF, DOCX, or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return DOCX
        except (zipfile.BadZipFile, ValueError):
            return None
    return None


def _base_name(raw: str | None) -> str:
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")[:250]


def clean_filename(raw: str | None, content_type: str) -> str:
    """A name safe to store and to offer back: no path, no control characters, the right
    extension for what the file really is."""
    name = _base_name(raw)
    extension = EXTENSIONS[content_type]
    stem = name[:-len(extension)] if name.lower().endswith(extension) else name
    stem = stem[:200].strip() or "attachment"
    return stem + extension


def check(uploads: Sequence[Upload]) -> list[CheckedUpload]:
    """The uploads if there are few enough, each small enough and a PDF or DOCX."""
    if len(uploads) > MAX_FILES:
        raise TooManyAttachments(n=MAX_FILES)
    checked = []
    for upload in uploads:
        if len(upload.data) > MAX_BYTES:
            raise AttachmentTooLarge(name=_base_name(upload.filename),
                                     mb=MAX_BYTES // (1024 * 1024))
        content_type = sniff(upload.data)
        if content_type is None:
            raise UnsupportedAttachment(name=_base_name(upload.filename))
        checked.append(CheckedUpload(filename=clean_filename(upload.filename, content_type),
                                     data=upload.data, content_type=content_type))
    return checked


def _path(storage_key: str) -> Path:
    return storage_dir() / storage_key[:2] / storage_key


def store(*, session: Session, comment: Comment,
          uploads: Sequence[CheckedUpload]) -> list[CommentAttachment]:
    """Write the files, then add their rows; on any failure remove what was written."""
    written: list[Path] = []
    try:
        rows = []
        for upload in uploads:
            key = secrets.token_hex(16)
            path = _path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "xb") as handle:
                written.append(path)
                handle.write(upload.data)
            rows.append(CommentAttachment(
                comment_id=comment.id, filename=upload.filename,
                content_type=upload.content_type, size=len(upload.data),
                sha256=hashlib.sha256(upload.data).hexdigest(), storage_key=key,
                created_at=clock.now()))
        session.add_all(rows)
        session.flush()
    except BaseException:
        discard(written)
        raise
    return rows


def discard(paths: Sequence[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def files_of(attachments: Sequence[CommentAttachment]) -> list[Path]:
    return [_path(a.storage_key) for a in attachments]


def by_comment(*, session: Session, comment_ids: Sequence[int]
               ) -> dict[int, list[CommentAttachment]]:
    """The attachments of the given comments, in the order they were sent."""
    ids = sorted(set(comment_ids))
    if not ids:
        return {}
    found: dict[int, list[CommentAttachment]] = {}
    for row in session.scalars(select(CommentAttachment).where(
            CommentAttachment.comment_id.in_(ids)).order_by(CommentAttachment.id)):
        found.setdefault(row.comment_id, []).append(row)
    return found


def open_attachment(*, session: Session, attachment_id: int) -> tuple[CommentAttachment, Path]:
    """The attachment and its file, unless its comment was hidden (then it is not served)."""
    row = session.execute(
        select(CommentAttachment, Comment.status)
        .join(Comment, Comment.id == CommentAttachment.comment_id)
        .where(CommentAttachment.id == attachment_id)).first()
    if row is None or row[1] is CommentStatus.HIDDEN:
        raise AttachmentNotFound()
    attachment = row[0]
    path = _path(attachment.storage_key)
    if not path.is_file():
        raise AttachmentNotFound()
    return attachment, path

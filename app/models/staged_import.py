"""An upload waiting for the drafter's check: parsed and previewed, not yet published."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.models.base import created_at_column, enum_type


class StagedImportKind(StrEnum):
    NEW_DRAFT = "new_draft"
    NEW_VERSION = "new_version"


class StagedImport(Base):
    """What a drafter uploaded or pasted, kept between the preview and "Publish".

    Only its author sees it, by its random ``token``; nothing public reads this table. The file
    itself is kept (not only its text) so that publishing imports it again exactly as previewed,
    tables included. ``published_at`` is set once, when it becomes a draft or a version.
    """

    __tablename__ = "staged_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[StagedImportKind] = mapped_column(enum_type(StagedImportKind))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    # The draft that gets the new version; for a new draft, the draft it became once published.
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft.id"), index=True)
    # Titles, act type, summaries, change note, the version the preview was compared with.
    form_fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    text_ru: Mapped[str | None] = mapped_column(Text)
    text_ky: Mapped[str | None] = mapped_column(Text)
    file_ru: Mapped[bytes | None] = mapped_column(LargeBinary)
    file_ky: Mapped[bytes | None] = mapped_column(LargeBinary)
    filename_ru: Mapped[str | None] = mapped_column(String(255))
    filename_ky: Mapped[str | None] = mapped_column(String(255))
    # What publishing reported: the version number, clause counts, keys in one language only.
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def text(self, language: str) -> str | None:
        return getattr(self, f"text_{language}")

    def file(self, language: str) -> tuple[str, bytes] | None:
        """(filename, bytes) of the file uploaded in ``language``, if one was."""
        raw = getattr(self, f"file_{language}")
        if raw is None:
            return None
        return getattr(self, f"filename_{language}") or "", raw

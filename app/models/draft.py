"""A draft act, its immutable versions, and each version's clause tree."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import created_at_column, enum_type
from app.models.organization import Organization


class DraftStatus(StrEnum):
    """The public status; all but adopted and withdrawn follow from the periods and summaries."""

    PUBLISHED = "published"
    UNDER_CONSULTATION = "under_consultation"
    CLOSED = "closed"
    SUMMARY_PUBLISHED = "summary_published"
    ADOPTED = "adopted"
    WITHDRAWN = "withdrawn"


class DraftOutcome(StrEnum):
    """What the drafter has decided for the draft as a whole (stored, unlike the rest)."""

    PENDING = "pending"
    ADOPTED = "adopted"
    WITHDRAWN = "withdrawn"


class Draft(Base):
    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    act_type: Mapped[str] = mapped_column(ForeignKey("act_policy.act_type"))
    title_ru: Mapped[str | None] = mapped_column(String(500))
    title_ky: Mapped[str | None] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    summary_ru: Mapped[str | None] = mapped_column(Text)
    summary_ky: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[DraftOutcome] = mapped_column(
        enum_type(DraftOutcome), default=DraftOutcome.PENDING
    )
    current_version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()

    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def title(self) -> dict[str, str | None]:
        return {"ky": self.title_ky, "ru": self.title_ru, "en": self.title_en}

    @property
    def summary(self) -> dict[str, str | None]:
        return {"ky": self.summary_ky, "ru": self.summary_ru, "en": self.summary_en}


class Version(Base):
    """One published text of a draft; never changed once written."""

    __tablename__ = "draft_version"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    number: Mapped[int]
    change_note: Mapped[str | None] = mapped_column(Text)
    source_ru: Mapped[str | None] = mapped_column(Text)
    source_ky: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()

    clauses: Mapped[list["Clause"]] = relationship(
        lazy="raise", order_by="Clause.position", back_populates="version"
    )

    @property
    def languages(self) -> list[str]:
        return [code for code in ("ky", "ru") if getattr(self, f"source_{code}")]


class Clause(Base):
    """A node of a version's tree: section, chapter, article, part, point, subpoint, paragraph.

    ``key`` is derived from the clause's place in the tree (``art-21-1/part-2/pt-3``) and is what
    comments, diffs and answers refer to. Both language texts of a version share one key.
    """

    __tablename__ = "clause"
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        Index("ix_clause_version_position", "version_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_version.id"))
    key: Mapped[str] = mapped_column(String(200))
    # The parent is named by key, so a whole tree is written in one bulk insert.
    parent_key: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int]
    depth: Mapped[int]
    label_ru: Mapped[str | None] = mapped_column(String(200))
    label_ky: Mapped[str | None] = mapped_column(String(200))
    heading_ru: Mapped[str | None] = mapped_column(Text)
    heading_ky: Mapped[str | None] = mapped_column(Text)
    text_ru: Mapped[str | None] = mapped_column(Text)
    text_ky: Mapped[str | None] = mapped_column(Text)
    # A table kept as rows of cells (its text above is the cells joined, for search and diffs).
    table_ru: Mapped[list[list[str]] | None] = mapped_column(JSON)
    table_ky: Mapped[list[list[str]] | None] = mapped_column(JSON)
    # An editorial note "(В редакции Закона ...)": part of the text, shown apart.
    note: Mapped[bool] = mapped_column(default=False, server_default=false())

    version: Mapped[Version] = relationship(lazy="raise", back_populates="clauses")

    def label(self, language: str) -> str:
        return (getattr(self, f"label_{language}", None) or self.label_ru or self.label_ky or "")

    def heading(self, language: str) -> str:
        return (getattr(self, f"heading_{language}", None) or self.heading_ru
                or self.heading_ky or "")

    def table(self, language: str) -> list[list[str]] | None:
        return getattr(self, f"table_{language}", None) or self.table_ru or self.table_ky

    def text(self, language: str) -> str:
        return getattr(self, f"text_{language}", None) or self.text_ru or self.text_ky or ""

"""State bodies (ministries, agencies, local councils) that publish drafts."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models.base import created_at_column


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_ru: Mapped[str] = mapped_column(String(300))
    name_ky: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()

    @property
    def name(self) -> dict[str, str | None]:
        return {"ky": self.name_ky, "ru": self.name_ru, "en": self.name_en}

"""The legal parameters of the Law "On normative legal acts", per act type, editable by an admin."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class ActPolicy(Base):
    __tablename__ = "act_policy"

    act_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ru: Mapped[str] = mapped_column(String(200))
    name_ky: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # Calendar days a comment period must last at the least.
    min_period_days: Mapped[int] = mapped_column(default=30)
    # Under the urgent procedure a shorter period is allowed, but never below this floor.
    urgent_min_period_days: Mapped[int] = mapped_column(default=5)
    # Calendar days after the period closes within which the summary must be published.
    summary_due_days: Mapped[int] = mapped_column(default=30)

    @property
    def name(self) -> dict[str, str | None]:
        return {"ky": self.name_ky, "ru": self.name_ru, "en": self.name_en}

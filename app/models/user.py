"""Accounts, their roles, and the tokens that authenticate them (browser sessions, API)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from app.models.base import created_at_column, enum_type
from app.models.organization import Organization


class Role(StrEnum):
    CITIZEN = "citizen"
    DRAFTER = "drafter"
    MODERATOR = "moderator"
    MONITOR = "monitor"
    ADMIN = "admin"


class TokenKind(StrEnum):
    SESSION = "session"  # browser cookie
    BEARER = "bearer"  # scripts


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    # Optional, shown with the name (an NGO, a business, a university ...).
    affiliation: Mapped[str | None] = mapped_column(String(300))
    # The interface language the account uses; emails to it are written in it.
    language: Mapped[str] = mapped_column(String(2), default="ru", server_default="ru")
    role: Mapped[Role] = mapped_column(enum_type(Role))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()

    organization: Mapped[Organization | None] = relationship(lazy="joined")


class AuthToken(Base):
    """A credential; only the SHA-256 of the secret is stored, so a database leak logs no one in."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[TokenKind] = mapped_column(enum_type(TokenKind))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


class AccountTokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class AccountToken(Base):
    """A one-time link sent by email (verification, password reset); only its hash is kept."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    purpose: Mapped[AccountTokenPurpose] = mapped_column(enum_type(AccountTokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

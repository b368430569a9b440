"""Settings: one object, read from TALKUU_* environment variables and an optional .env."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "development-only-secret-change-me"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TALKUU_", env_file=".env", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = f"sqlite:///{ROOT / 'var' / 'talkuu.db'}"
    secret_key: str = DEV_SECRET
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Bishkek"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "Talkuu <no-reply@talkuu.kg>"
    session_days: int = 14
    token_days: int = 30
    # Requests admitted into the app at once per process (see app/gate.py); the thread and
    # connection pools are sized from these.
    max_concurrent_reads: int = Field(default=16, ge=1, le=200)
    max_concurrent_writes: int = Field(default=8, ge=1, le=100)
    # Of those write places, how many one client address may hold; also how many of its JSON
    # comment submissions may wait in the process's batch intake at once (app/gate.py).
    max_concurrent_writes_per_client: int = Field(default=1, ge=1, le=100)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Self:
        # A forgeable session or CSRF token in production is worse than not starting at all.
        if self.env is Environment.PRODUCTION and (
            self.secret_key == DEV_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError("TALKUU_SECRET_KEY must be set to a random value of 32+ characters")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.env is Environment.PRODUCTION


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache to change them)."""
    return Settings()

"""Settings, read once from the environment (``SYNDIC_*``) or given explicitly, then passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything Syndic reads from its environment. Built once, by the edge, and passed down."""

    model_config = SettingsConfigDict(env_prefix="SYNDIC_", frozen=True, extra="forbid")

    data_dir: Path = Field(
        default=Path("syndic-data"), description="where the database, vault and keys live"
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is SQLite at <data_dir>/syndic.db",
    )
    currency: str = Field(default="EUR", description="ISO 4217 currency of the coalition's books")
    checkpoint_every: int = Field(
        default=1000, ge=1, description="sign a log checkpoint after this many appends"
    )
    token_ttl_days: int = Field(default=30, ge=1, description="lifetime of licence access tokens")
    max_work_bytes: int = Field(
        default=256 << 20,
        ge=1,
        description="the most bytes one work (file or inline text) may hold",
    )
    max_field_chars: int = Field(
        default=100_000,
        ge=1,
        description="the most characters one title or metadata field of a work may hold",
    )
    host: str = Field(default="127.0.0.1", description="address `syndic serve` listens on")
    port: int = Field(default=8000, ge=0, le=65535, description="port `syndic serve` listens on")
    db_lock_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="how long a write waits for another writer's lock before the API answers "
        "503 with Retry-After (SQLite busy timeout, PostgreSQL lock_timeout)",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="public base URL of the API: published terms files point here",
    )

    smtp_host: str | None = Field(
        default=None, description="mail server for sign-in links; unset: <data_dir>/outbox.jsonl"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="the mail server's port")
    smtp_starttls: bool = Field(default=False, description="use STARTTLS with the mail server")
    mail_from: str = Field(
        default="syndic@localhost", description="the sender of mail Syndic sends"
    )
    steward_email: str | None = Field(
        default=None, description="the steward's address: sign-in links asked for it go there"
    )

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "syndic.db"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def vault_dir(self) -> Path:
        return self.data_dir / "vault"

    @property
    def key_path(self) -> Path:
        return self.data_dir / "coalition.key"


def default_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides (from CLI flags) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)

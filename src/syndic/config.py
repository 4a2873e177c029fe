"""Settings, read once from the environment (``SYNDIC_*``) or given explicitly, then passed down."""

from __future__ import annotations

from pathlib import Path

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
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="public base URL of the API: published terms files point here",
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

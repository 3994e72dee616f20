"""Settings: ECOMON_* environment variables, optionally an `ecomon.toml` in ECOMON_HOME.

One place decides where data lives and which engines are used, so the embedded default and an
external production deployment run the same code (ARCHITECTURE: "one path from laptop to province").
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


def _toml_values(home: Path) -> dict[str, Any]:
    path = home / "ecomon.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ECOMON_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="ECOMON_", extra="ignore")

    home: Path = Field(default=Path("var"), description="data directory for engines, archives and logs")
    database_url: str | None = Field(default=None, description="external PostgreSQL; embedded when unset")
    nats_url: str | None = Field(default=None, description="external NATS JetStream; embedded when unset")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    gateway_host: str = "0.0.0.0"
    gateway_port: int = 9212
    pg_port: int = 0  # 0: pick a free port once and remember it in ECOMON_HOME
    nats_port: int = 0
    secure_cookies: bool = False  # set true behind HTTPS
    log_level: str = "INFO"
    timezone: str = "Asia/Shanghai"
    hj212_writers: int = Field(default=1, ge=1, description="HJ 212 writer processes on the one durable consumer")
    # HJ 212 device credentials (docs/operations.md): SM4 keys older than this many days are rotated by the gateway
    # while the device is connected (HJ 212-2025 §6.4.3 allows at most 90), checked every hj212_key_check_s; after
    # an access-password change (1072) the other password stays accepted for hj212_password_grace_s.
    hj212_key_rotation_days: float = Field(default=80.0, gt=0, le=90)
    hj212_key_check_s: float = Field(default=3600.0, gt=0)
    hj212_password_grace_s: float = Field(default=86400.0, ge=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def home_path(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def archive_dir(self) -> Path:
        return self.home_path / "archive"

    @property
    def run_dir(self) -> Path:
        return self.home_path / "run"


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ECOMON_HOME/ecomon.toml (keys as the field names) below the environment in priority."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        import os

        home = Path(os.environ.get("ECOMON_HOME", "var")).expanduser()
        return _toml_values(home)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI change ECOMON_* between runs)."""
    get_settings.cache_clear()

"""Settings from environment variables (``JCREDIT_*``), typed and checked.

Outside development and test, placeholder secrets are refused: a production registry must
not sign sessions with a key that is written in this file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings
from pydantic_settings import SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-development-only"
DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    """jcredit settings. Every field reads ``JCREDIT_<FIELD>`` from the environment."""

    model_config = SettingsConfigDict(env_prefix="JCREDIT_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    secret_key: str = PLACEHOLDER_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    token_lifetime_hours: int = 24 * 30
    seed_demo_data: bool = True
    crediting_period_cap: date | None = None  # e.g. 2031-03-31 if the old cap applies

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'jcredit.sqlite3').as_posix()}"
        if self.environment == "production":
            if self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32:
                raise ValueError(
                    "JCREDIT_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production, e.g. the output of "
                    "`python -c 'import secrets; print(secrets.token_hex(32))'`"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

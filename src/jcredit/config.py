"""Settings from environment variables (``JCREDIT_*``), typed and checked.

No secret is written in the code. Production refuses to start without ``JCREDIT_SECRET_KEY``;
development generates a random key once per data directory (``<data_dir>/secret_key``, mode
0600) and reuses it, so sessions survive a restart; the test environment gets a random key
per process.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic import model_validator
from pydantic_settings import BaseSettings
from pydantic_settings import SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")
SECRET_KEY_FILE = "secret_key"
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 8  # 64 hex digits from secrets.token_hex have 16 in practice


class Settings(BaseSettings):
    """jcredit settings. Every field reads ``JCREDIT_<FIELD>`` from the environment."""

    model_config = SettingsConfigDict(env_prefix="JCREDIT_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_topic_prefix: str = "jcredit/v1"  # devices publish to PREFIX/devices/ID/batches
    # Meter readings (docs/dmrv.md §3): Parquet files partitioned by month. A directory
    # (default <data_dir>/readings) or an object-store URL such as s3://bucket/readings.
    readings_url: str = ""
    # Worker processes that parse and verify large groups of batches (an import, an MQTT
    # backlog) beside the process that stores them; None: one per core beyond the first
    # (at most 4), 0: none.
    ingest_processes: int | None = Field(default=None, ge=0, le=64)
    token_lifetime_hours: int = Field(default=24, ge=1, le=24 * 30)  # API bearer tokens
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)  # web: since last request
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 7)  # web: since login
    seed_demo_data: bool = True
    # Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated, e.g.
    # "10.0.0.5"); empty: none, so no client can choose the address the login throttle sees.
    forwarded_allow_ips: str = ""
    crediting_period_cap: date | None = None  # e.g. 2031-03-31 if the old cap applies

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'jcredit.sqlite3').as_posix()}"
        if not self.readings_url:
            self.readings_url = (self.data_dir / "readings").as_posix()
        if not self.secret_key and self.environment == "development":
            self.secret_key = development_secret(self.data_dir)
        elif not self.secret_key and self.environment == "test":
            self.secret_key = secrets.token_hex(32)
        if (len(self.secret_key) < MIN_SECRET_LENGTH
                or len(set(self.secret_key)) < MIN_SECRET_DISTINCT):
            raise ValueError(
                f"JCREDIT_SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (not a repeated few) in {self.environment}, "
                "e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        return self

    def server_options(self) -> dict[str, object]:
        """uvicorn's address and proxy options: X-Forwarded-For only from named proxies."""
        proxies = ",".join(p.strip() for p in self.forwarded_allow_ips.split(",") if p.strip())
        return {"host": self.host, "port": self.port, "proxy_headers": bool(proxies),
                "forwarded_allow_ips": proxies or None}

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def development_secret(data_dir: Path) -> str:
    """The data directory's own random key: created once, atomically, readable only by its
    owner (0600), and read again on every later start.

    The new key is written to a private temporary file that is then hard-linked to its
    name: two processes starting at once both end up with the key that won the link, and
    nobody ever reads a half-written file.
    """
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process won: use theirs
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()

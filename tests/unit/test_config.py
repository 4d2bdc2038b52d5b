"""Settings: no known secret anywhere; production refuses to start without its own."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from jcredit.config import SECRET_KEY_FILE
from jcredit.config import Settings


def test_development_generates_a_private_secret_per_data_dir_and_reuses_it(
        tmp_path: Path) -> None:
    first = Settings(environment="development", data_dir=tmp_path / "a")
    again = Settings(environment="development", data_dir=tmp_path / "a")
    other = Settings(environment="development", data_dir=tmp_path / "b")
    assert len(first.secret_key) >= 64
    assert first.secret_key == again.secret_key  # sessions survive a restart
    assert other.secret_key != first.secret_key  # no shared, published key
    key_file = tmp_path / "a" / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "a").iterdir()] == [SECRET_KEY_FILE]  # no temp left


def test_test_environment_gets_a_random_secret(tmp_path: Path) -> None:
    one = Settings(environment="test", data_dir=tmp_path).secret_key
    two = Settings(environment="test", data_dir=tmp_path).secret_key
    assert len(one) >= 32 and one != two


def test_the_old_published_secret_is_gone(tmp_path: Path) -> None:
    key = Settings(environment="development", data_dir=tmp_path).secret_key
    assert key != "change-me-development-only"
    assert "change-me" not in Path(sys.modules[Settings.__module__].__file__ or "").read_text()


def test_production_without_a_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="JCREDIT_SECRET_KEY"):
        Settings(environment="production", data_dir=tmp_path)
    key = secrets.token_hex(32)
    assert Settings(environment="production", data_dir=tmp_path,
                    secret_key=key).secret_key == key


def test_serve_in_production_without_a_secret_prints_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JCREDIT_")}
    env |= {"JCREDIT_ENVIRONMENT": "production", "JCREDIT_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "jcredit.entrypoints.cli.app", "serve"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "JCREDIT_SECRET_KEY" in lines[0], done.stderr
    assert not any(tmp_path.iterdir())  # nothing created


def test_forwarded_addresses_are_believed_only_from_named_proxies() -> None:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so a local client could
    pick the address the login throttle counts (found by a tester)."""
    default = Settings(environment="test").server_options()
    assert default["proxy_headers"] is False and default["forwarded_allow_ips"] is None
    behind = Settings(environment="test", forwarded_allow_ips=" 10.0.0.5, 10.0.0.6 ")
    assert behind.server_options()["proxy_headers"] is True
    assert behind.server_options()["forwarded_allow_ips"] == "10.0.0.5,10.0.0.6"


@pytest.mark.parametrize("secret", ["a" * 40, "ab" * 32, "0123456" * 10])
def test_a_secret_of_a_few_repeated_characters_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="JCREDIT_SECRET_KEY"):
        Settings(environment="production", secret_key=secret)
    assert Settings(environment="production", secret_key=secrets.token_hex(32)).secret_key

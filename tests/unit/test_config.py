"""Settings: no known secret anywhere; production refuses to start without its own."""

from __future__ import annotations

import os
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
    assert Settings(environment="production", data_dir=tmp_path,
                    secret_key="x" * 64).secret_key == "x" * 64


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

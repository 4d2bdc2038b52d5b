"""Production has no demo logins: its first administrator comes from ``user create-admin``."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.demo import DEMO_PASSWORD

runner = CliRunner()
ADMIN_PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "production")
    monkeypatch.setenv("JCREDIT_SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("JCREDIT_DATABASE_URL", raising=False)
    return tmp_path


def served_app(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, Any]:
    """Run ``jcredit serve`` with uvicorn replaced: the app it would serve, and the result."""
    import uvicorn

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    result = runner.invoke(app, ["serve", *args])
    return (served[0] if served else None), result


def test_production_serve_seeds_no_demo_login(production: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    web, result = served_app(monkeypatch)
    assert result.exit_code == 0, result.output
    assert "Demo logins" not in result.stdout
    with TestClient(web) as client:
        response = client.post("/api/v1/auth/token",
                               json={"username": "admin", "password": DEMO_PASSWORD})
        assert response.status_code == 401


def test_production_refuses_demo_and_serve_demo(production: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    refused = runner.invoke(app, ["demo"])
    assert refused.exit_code != 0
    assert "development only" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    web, served = served_app(monkeypatch, "--demo")
    assert served.exit_code != 0 and web is None
    assert "development only" in served.stderr
    assert not (production / "jcredit.sqlite3").exists()  # refused before touching anything


def test_create_admin_prompts_twice_and_the_admin_can_log_in(
        production: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mismatch = runner.invoke(app, ["user", "create-admin", "chief"],
                             input=f"{ADMIN_PASSWORD}\nsomething else entirely\n")
    assert mismatch.exit_code != 0  # the two entries differ: asked again, then gives up
    created = runner.invoke(app, ["user", "create-admin", "chief", "--json"],
                            input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n")
    assert created.exit_code == 0, created.output
    assert ADMIN_PASSWORD not in created.stdout  # hidden input is not echoed
    assert json.loads(created.stdout[created.stdout.index("{"):])["role"] == "ADMIN"
    piped = runner.invoke(app, ["user", "create-admin", "deputy", "--password-stdin",
                                "--json"], input=f"{ADMIN_PASSWORD} too\n")
    assert piped.exit_code == 0, piped.output
    web, _ = served_app(monkeypatch)
    with TestClient(web) as client:
        for username, password in (("chief", ADMIN_PASSWORD), ("deputy", ADMIN_PASSWORD + " too")):
            response = client.post("/api/v1/auth/token",
                                   json={"username": username, "password": password})
            assert response.status_code == 200 and response.json()["role"] == "ADMIN"


def test_development_serve_still_seeds_the_demo(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "development")
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("JCREDIT_SECRET_KEY", raising=False)
    monkeypatch.delenv("JCREDIT_DATABASE_URL", raising=False)
    web, result = served_app(monkeypatch)
    assert result.exit_code == 0 and "Demo logins" in result.stdout
    with TestClient(web) as client:
        assert client.post("/api/v1/auth/token", json={
            "username": "admin", "password": DEMO_PASSWORD}).status_code == 200

"""Security headers, the logout's CSRF check and the language switch's redirect."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.config import Settings
from jcredit.entrypoints.api.app import WEB_DIR
from jcredit.entrypoints.api.app import create_app
from jcredit.service_layer import commands as c

PASSWORD = "lantern harbour quietly 9"


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    sqlite_registry.bus.handle(c.CreateUser(username="watcher", password=PASSWORD,
                                            role="AUDITOR"), actor=SYSTEM_ACTOR)
    with TestClient(create_app(sqlite_registry.settings, registry=sqlite_registry)) as test:
        yield test


def csrf_of(client: TestClient, path: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def web_login(client: TestClient) -> None:
    response = client.post("/login", data={"username": "watcher", "password": PASSWORD,
                                           "csrf": csrf_of(client, "/login")},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for response in (client.get("/login"), client.get("/api/v1/accounts"),
                     client.get("/static/style.css")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp.split(
            "script-src")[1].split(";")[0]
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'self'",
                          "frame-ancestors 'none'", "form-action 'self'"):
            assert directive in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in response.headers  # not in test/dev


def test_production_adds_hsts(sqlite_registry: Registry, tmp_path: Path) -> None:
    settings = Settings(environment="production", secret_key=secrets.token_hex(32),
                        data_dir=tmp_path, database_url=sqlite_registry.settings.database_url)
    with TestClient(create_app(settings, registry=sqlite_registry),
                    base_url="https://testserver") as client:
        hsts = client.get("/login").headers["strict-transport-security"]
    assert "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000


def test_templates_have_no_inline_script() -> None:
    """What the CSP forbids: inline <script> bodies and on*= event handlers (a JSON data
    block, ``<script type="application/json">``, is data that no browser runs)."""
    for template in sorted((WEB_DIR / "templates").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            assert "src=" in tag or 'type="application/json"' in tag, (
                f"{template.name}: inline script {tag}")
        assert not re.search(r"\son[a-z]+\s*=", text, flags=re.I), template.name
        assert "javascript:" not in text.lower(), template.name
        assert "hx-on" not in text, template.name


def test_logout_needs_the_csrf_token(client: TestClient) -> None:
    web_login(client)
    forged = client.post("/logout", follow_redirects=False)  # another site's form
    assert forged.status_code == 403
    assert client.get("/accounts", follow_redirects=False).status_code == 200  # still in
    token = csrf_of(client, "/accounts")
    done = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert client.get("/accounts", follow_redirects=False).headers["location"] == "/login"


@pytest.mark.parametrize(("referer", "location"), [
    ("https://evil.example/phish", "/"),
    ("//evil.example/phish", "/"),
    ("http://testserver/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("http://testserver.evil.example/x", "/"),
    (None, "/"),
    ("http://testserver/accounts?x=1", "/accounts?x=1"),
    ("/journal", "/journal"),
])
def test_the_language_switch_redirects_only_within_the_site(
        client: TestClient, referer: str | None, location: str) -> None:
    headers = {"referer": referer} if referer else {}
    response = client.get("/lang/en", headers=headers, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == location
    assert response.cookies.get("lang") == "en"

"""Sessions and tokens end when they should: logout, idle and absolute timeouts, token
expiry and revocation, a password change, an administrator's revocation (ASVS V3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.entrypoints.api.app import create_app
from jcredit.service_layer import commands as c
from tests.conftest import Clock

PASSWORDS = {"hanako": "maple lantern river 2026", "boss": "quiet granite meadow 77"}


def create_users(registry: Registry) -> None:
    registry.bus.handle(c.CreateUser(username="hanako", password=PASSWORDS["hanako"],
                                     role="AUDITOR"), actor=SYSTEM_ACTOR)
    registry.bus.handle(c.CreateUser(username="boss", password=PASSWORDS["boss"],
                                     role="ADMIN"), actor=SYSTEM_ACTOR)


@pytest.fixture
def app_for(sqlite_registry: Registry) -> Iterator[Registry]:
    create_users(sqlite_registry)
    yield sqlite_registry


def client(registry: Registry) -> TestClient:
    return TestClient(create_app(registry.settings, registry=registry))


def web_login(web: TestClient, username: str) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/login").text)
    assert csrf
    response = web.post("/login", data={"username": username, "password": PASSWORDS[username],
                                        "csrf": csrf.group(1)}, follow_redirects=False)
    assert response.status_code == 303, response.text


def logged_in(web: TestClient) -> bool:
    response = web.get("/accounts", follow_redirects=False)
    assert response.status_code in (200, 303)
    return response.status_code == 200


def api_token(api: TestClient, username: str, password: str | None = None) -> dict[str, str]:
    response = api.post("/api/v1/auth/token", json={
        "username": username, "password": password or PASSWORDS[username]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def works(api: TestClient, headers: dict[str, str]) -> bool:
    status = api.get("/api/v1/auth/tokens", headers=headers).status_code
    assert status in (200, 401)
    return status == 200


def test_logout_ends_the_session_even_for_a_copied_cookie(app_for: Registry) -> None:
    web = client(app_for)
    web_login(web, "hanako")
    copied = client(app_for)
    copied.cookies.update(dict(web.cookies))
    assert logged_in(copied)
    csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/accounts").text)
    assert csrf
    web.post("/logout", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert not logged_in(copied)  # the stolen copy died with the logout
    assert copied.get("/api/v1/auth/tokens").status_code == 401  # on the API too


def test_login_starts_a_new_session(app_for: Registry) -> None:
    """No session fixation: a cookie planted before the login never becomes logged in."""
    web = client(app_for)
    web.get("/login")
    planted = client(app_for)
    planted.cookies.update(dict(web.cookies))  # the attacker's copy of the pre-login cookie
    web_login(web, "hanako")
    assert web.cookies.get("jcredit_session") != planted.cookies.get("jcredit_session")
    assert logged_in(web) and not logged_in(planted)


def test_web_sessions_have_idle_and_absolute_timeouts(app_for: Registry, clock: Clock) -> None:
    settings = app_for.settings
    web = client(app_for)
    web_login(web, "hanako")
    for _ in range(3):  # active: each request pushes the idle deadline
        clock.now += timedelta(minutes=settings.session_idle_minutes - 2)
        assert logged_in(web)
    clock.now += timedelta(minutes=settings.session_idle_minutes + 1)
    assert not logged_in(web)  # idle too long

    web_login(web, "hanako")
    started = clock.now
    while clock.now - started < timedelta(hours=settings.session_absolute_hours - 1):
        clock.now += timedelta(minutes=settings.session_idle_minutes - 5)
        assert logged_in(web)
    clock.now += timedelta(hours=1, minutes=1)
    assert not logged_in(web)  # busy all day, but the absolute limit holds


def test_api_tokens_are_short_lived(app_for: Registry, clock: Clock) -> None:
    api = client(app_for)
    response = api.post("/api/v1/auth/token", json={"username": "hanako",
                                                     "password": PASSWORDS["hanako"]})
    assert response.json()["expires_in"] == 24 * 3600
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    clock.now += timedelta(hours=23)
    assert works(api, headers)
    clock.now += timedelta(hours=2)
    assert not works(api, headers)


def test_tokens_are_listed_without_secrets_and_revocable(registry: Registry,
                                                         clock: Clock) -> None:
    create_users(registry)
    api = client(registry)
    first, second = api_token(api, "hanako"), api_token(api, "hanako")
    other = api_token(api, "boss")
    clock.now += timedelta(minutes=5)
    listed = api.get("/api/v1/auth/tokens", headers=first).json()["data"]
    assert len(listed) == 2
    assert {tuple(sorted(t)) for t in listed} == {
        ("created_at", "current", "expires_at", "id", "last_used_at")}
    assert [t["current"] for t in listed] == [True, False]
    assert listed[0]["last_used_at"] is not None  # recorded by the lookup
    secrets = {h["Authorization"].split()[1] for h in (first, second)}
    assert not any(s in str(listed) for s in secrets)
    boss_id = api.get("/api/v1/auth/tokens", headers=other).json()["data"][0]["id"]
    assert api.delete(f"/api/v1/auth/tokens/{boss_id}", headers=first).status_code == 404
    assert works(api, other)  # not anyone else's
    assert api.delete(f"/api/v1/auth/tokens/{listed[1]['id']}",
                      headers=first).status_code == 204
    assert not works(api, second) and works(api, first)
    assert api.delete("/api/v1/auth/token", headers=first).status_code == 204
    assert not works(api, first)


def test_a_password_change_ends_the_other_sessions_and_tokens(app_for: Registry) -> None:
    api, web = client(app_for), client(app_for)
    mine, elsewhere = api_token(api, "hanako"), api_token(api, "hanako")
    web_login(web, "hanako")
    new = "lighthouse pebble autumn 12"
    wrong = api.post("/api/v1/auth/password", headers=mine, json={
        "current_password": "not it at all", "new_password": new})
    assert wrong.status_code == 401 and wrong.json()["field"] == "current_password"
    weak = api.post("/api/v1/auth/password", headers=mine, json={
        "current_password": PASSWORDS["hanako"], "new_password": "password1234"})
    assert weak.status_code == 422 and weak.json()["field"] == "new_password"  # the request's own name
    assert works(api, elsewhere) and logged_in(web)  # refused changes end nothing
    done = api.post("/api/v1/auth/password", headers=mine, json={
        "current_password": PASSWORDS["hanako"], "new_password": new})
    assert done.status_code == 200, done.text
    assert done.json()["revoked_tokens"] == 1 and done.json()["revoked_sessions"] == 1
    assert works(api, mine)  # the caller's own token stays
    assert not works(api, elsewhere) and not logged_in(web)
    assert api.post("/api/v1/auth/token", json={
        "username": "hanako", "password": PASSWORDS["hanako"]}).status_code == 401
    api_token(api, "hanako", new)


def test_an_administrator_revokes_a_users_sessions_and_tokens(app_for: Registry) -> None:
    api, web = client(app_for), client(app_for)
    victim = api_token(api, "hanako")
    web_login(web, "hanako")
    boss = api_token(api, "boss")
    assert api.delete("/api/v1/users/boss/sessions", headers=victim).status_code == 403
    done = api.delete("/api/v1/users/hanako/sessions", headers=boss)
    assert done.status_code == 200
    assert done.json() == {"username": "hanako", "revoked_tokens": 1, "revoked_sessions": 1}
    assert not works(api, victim) and not logged_in(web) and works(api, boss)
    assert api.delete("/api/v1/users/nobody/sessions", headers=boss).status_code == 404


def test_cli_revokes_and_resets(app_for: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    from jcredit.entrypoints.cli.app import app as cli_app

    monkeypatch.setenv("JCREDIT_DATABASE_URL", app_for.settings.database_url)
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(app_for.settings.data_dir))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")
    runner = CliRunner()
    api = client(app_for)
    token = api_token(api, "hanako")
    revoked = runner.invoke(cli_app, ["user", "revoke", "hanako", "--json"])
    assert revoked.exit_code == 0, revoked.output
    assert not works(api, token)
    token = api_token(api, "hanako")
    weak = runner.invoke(cli_app, ["user", "set-password", "hanako", "--password-stdin"],
                         input="hanako-2026-xyz\n")
    assert weak.exit_code == 4 and "password" in weak.stderr
    assert works(api, token)
    reset = runner.invoke(cli_app, ["user", "set-password", "hanako"],
                          input="orbit velvet canyon 5\norbit velvet canyon 5\n")
    assert reset.exit_code == 0, reset.output
    assert not works(api, token)
    api_token(api, "hanako", "orbit velvet canyon 5")

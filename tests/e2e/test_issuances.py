"""The issuance breakdown and a holder's totals through the API, the web UI and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jcredit.bootstrap import Registry
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.demo import DEMO_PASSWORD
from tests.e2e.support import demo_client
from tests.e2e.support import login

STATES = ("held", "reserved", "invalidated", "retired", "cancelled")


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient]:
    with demo_client(registry) as test_client:
        yield test_client


def issuances(client: TestClient, user: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/issuances", headers=login(client, user))
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def test_the_api_gives_each_issuance_its_breakdown_to_those_who_may_see_it(
        client: TestClient) -> None:
    every = issuances(client, "auditor")
    assert every and [i["id"] for i in every] == [i["id"] for i in issuances(client, "admin")]
    for item in every:
        b = item["breakdown"]
        assert sum(b[s] for s in STATES) == b["issued"] == item["last_serial"] \
            - item["first_serial"] + 1
    by_project = {i["project_id"]: i for i in every}
    # what the applications say (their blocks, from the journal) against the breakdowns
    expected: dict[tuple[str, int, str], int] = {}
    applications = client.get("/api/v1/invalidations", headers=login(client, "auditor"))
    for application in applications.json()["data"]:
        detail = client.get(f"/api/v1/invalidations/{application['id']}",
                            headers=login(client, "auditor")).json()
        state = {"EXECUTED": "invalidated", "PENDING": "reserved"}.get(detail["status"])
        for block in detail["blocks"] if state else []:
            key = (block["project_id"], block["vintage"], state)
            expected[key] = expected.get(key, 0) + block["quantity"]
    assert expected
    for item in every:
        for state in ("invalidated", "reserved"):
            key = (item["project_id"], item["vintage"], state)
            assert item["breakdown"][state] == expected.pop(key, 0), key
    assert expected == {}  # every application's credits are in some issuance
    mine = issuances(client, "midori")
    assert {i["project_id"] for i in mine} <= {"JCP-0101", "JCP-0145"} and mine
    forest = by_project["JCP-0210"]["id"]  # hinoki's forest credits
    denied = client.get(f"/api/v1/issuances/{forest}", headers=login(client, "midori"))
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")
    shown = client.get(f"/api/v1/issuances/{forest}", headers=login(client, "hinoki"))
    assert shown.status_code == 200 and shown.json() == by_project["JCP-0210"]
    for absent in ("999999", str(2**64)):  # beyond a 64-bit key: not found, never a 500
        missing = client.get(f"/api/v1/issuances/{absent}", headers=login(client, "auditor"))
        assert missing.status_code == 404 and missing.json()["field"] == "issuance"
    assert client.get("/api/v1/issuances").status_code == 401


def test_an_account_read_gives_the_holders_totals(client: TestClient) -> None:
    shoji = login(client, "shoji")
    (account,) = client.get("/api/v1/accounts", headers=shoji).json()["data"]
    detail = client.get(f"/api/v1/accounts/{account['number']}", headers=shoji).json()
    executed = client.get("/api/v1/invalidations?status=EXECUTED", headers=shoji).json()
    assert detail["invalidated"] == sum(a["quantity"] for a in executed["data"]) > 0
    assert (detail["retired"], detail["cancelled"]) == (0, 0)


def web_login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf": csrf.group(1)}, follow_redirects=False)
    assert response.status_code in (302, 303), response.text


def test_the_web_shows_the_breakdown_and_the_totals_in_japanese(client: TestClient) -> None:
    web_login(client, "shoji")
    page = client.get("/issuances")
    assert page.status_code == 200
    for label in ("保有", "予約中", "無効化済", "償却済", "取消済"):
        assert f">{label}</th>" in page.text
    held = {i["project_id"] for i in issuances(client, "shoji")}
    assert held and all(project in page.text for project in held)
    assert "JCP-0101" not in held and "JCP-0101" not in page.text  # only what shoji holds
    for item in issuances(client, "shoji"):
        row = page.text.split(f'id="issuance-{item["id"]}"', 1)[1].split("</tr>", 1)[0]
        assert f'data-state="invalidated">{item["breakdown"]["invalidated"]:,}<' in row
    (account,) = re.findall(r'href="/accounts/(H-[0-9-]+)"', client.get("/accounts").text)[:1]
    shown = client.get(f"/accounts/{account}")
    invalidated = client.get(f"/api/v1/accounts/{account}",
                             headers=login(client, "shoji")).json()["invalidated"]
    assert f'無効化済 <span id="total-invalidated">{invalidated:,}</span>' in shown.text


runner = CliRunner()


def cli(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_the_cli_lists_issuances_and_shows_an_accounts_totals(
        tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")
    cli("db", "upgrade")
    cli("org", "create", "--name", "株式会社テスト", "--corporate-number", "7000012050002")
    a = cli("account", "open", "--org", "7000012050002")["number"]
    issued = cli("credits", "issue", "--to", a, "--quantity", "100", "--scheme", "JC",
                 "--type", "ER", "--category", "ENERGY_SAVING", "--project", "P1",
                 "--vintage", "2025", "--certification-number", "C-77")
    app_ = cli("credits", "invalidate", "--from", a, "--quantity", "4", "--use", "SHOENE_HO",
               "--purpose", "共同省エネ", "--user", "株式会社テスト", "--fiscal-year", "2026")
    cli("invalidations", "execute", str(app_["id"]), "--yes")
    (listed,) = cli("ledger", "issuances")
    assert listed["breakdown"] == {"issued": 100, "held": 96, "reserved": 0,
                                   "invalidated": 4, "retired": 0, "cancelled": 0}
    assert cli("ledger", "issuances", "C-77") == cli("ledger", "issuances",
                                                      str(issued["block_id"])) == [listed]
    assert cli("account", "show", a)["invalidated"] == 4
    human = runner.invoke(app, ["account", "show", a])
    assert human.exit_code == 0 and "invalidated 4, retired 0, cancelled 0" in human.stdout
    missing = runner.invoke(app, ["ledger", "issuances", "NOPE"])
    assert missing.exit_code != 0 and "[issuance]" in missing.stderr

"""The device registry end to end: the API (/api/v1/dmrv), the CLI (jcredit dmrv device …)
and the web forms, on the demo registry (its programme JCP-000001 of 12 households, run by
taiyo, verified by shinsa). A bad file registers nothing and reports every bad line;
another organisation's user is refused and changes nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jcredit.adapters.dmrv.signing import DeviceSigner
from jcredit.bootstrap import Registry
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.dmrv_tables import HEADER
from tests.e2e.support import demo_client
from tests.e2e.support import login
from tests.e2e.support import web_log_in

PROJECT = "JCP-000001"


def signer(name: str) -> DeviceSigner:
    return DeviceSigner.from_seed(f"e2e/{name}".encode())


def body(i: int, **changes: Any) -> dict[str, Any]:
    return {"project": PROJECT, "activity": f"HH-{i:03d}", "device_id": f"PV-{i:04d}",
            "capacity_ac_kw": 4.5, "capacity_dc_kw": "5.2", "commissioned_on": "2025-04-01",
            "latitude": 35.4233, "longitude": "136.7606", "serial": f"SN-{i}",
            "channels": ["generation", "export"], "certification_expires": "2032-03-31",
            "public_key": signer(f"PV-{i:04d}").public_b64} | changes


def line(i: int, **changes: str) -> str:
    values = {"project": PROJECT, "activity": f"HH-{i:03d}", "device_id": f"PV-{i:04d}",
              "capacity_ac_kw": "4.5", "capacity_dc_kw": "5.2", "commissioned_on": "2025-04-01",
              "latitude": "35.4", "longitude": "136.7", "tilt": "", "azimuth": "180",
              "serial": f"SN-{i}", "certification_expires": "", "channels": "generation;export",
              "public_key": signer(f"PV-{i:04d}").public_b64} | changes
    return ",".join(values[c] for c in HEADER.split(","))


def csv(*lines: str) -> str:
    return "\n".join((HEADER, *lines)) + "\n"


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        yield test_client


def write(headers: dict[str, str], key: str) -> dict[str, str]:
    return headers | {"Idempotency-Key": key}


def devices(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get(f"/api/v1/dmrv/projects/{PROJECT}/devices", headers=headers)
    assert response.status_code == 200, response.text
    return [d["device_id"] for d in response.json()["devices"]]


def test_register_read_rotate_and_revoke_over_the_api(client: TestClient) -> None:
    taiyo = login(client, "taiyo")
    created = client.post("/api/v1/dmrv/devices", json=body(1), headers=write(taiyo, "d1"))
    assert created.status_code == 201, created.text
    assert created.json()["site"] == f"{PROJECT}/HH-001"
    assert created.json()["capacity_ac_kw"] == "4.5"  # the JSON number, read exactly
    again = client.post("/api/v1/dmrv/devices", json=body(1), headers=write(taiyo, "d1"))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == created.content
    assert client.post("/api/v1/dmrv/devices", json=body(2),
                       headers=taiyo).status_code == 422  # no Idempotency-Key
    shown = client.get("/api/v1/dmrv/devices/PV-0001", headers=taiyo).json()
    first = signer("PV-0001")
    assert shown["keys"][0]["key_id"] == first.key_id and shown["keys"][0]["status"] == "ACTIVE"
    assert shown["can_manage"] is True
    assert devices(client, taiyo) == ["PV-0001"]
    only = client.get(f"/api/v1/dmrv/projects/{PROJECT}/devices?activity=HH-002",
                      headers=taiyo).json()
    assert only["devices"] == []

    new = signer("PV-0001/2")
    rotated = client.post("/api/v1/dmrv/devices/PV-0001/keys", json={"public_key": new.public_b64},
                          headers=write(taiyo, "r1"))
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["retired_key_id"] == first.key_id
    unconfirmed = client.post(f"/api/v1/dmrv/devices/PV-0001/keys/{first.key_id}/revoke",
                              json={}, headers=write(taiyo, "v1"))
    assert unconfirmed.status_code == 428
    assert unconfirmed.headers["content-type"].startswith("application/problem+json")
    revoked = client.post(f"/api/v1/dmrv/devices/PV-0001/keys/{first.key_id}/revoke",
                          json={"confirm": True, "reason": "鍵の漏えい"},
                          headers=write(taiyo, "v2"))
    assert revoked.status_code == 200, revoked.text
    keys = {k["key_id"]: k for k in client.get("/api/v1/dmrv/devices/PV-0001",
                                               headers=taiyo).json()["keys"]}
    assert keys[first.key_id]["status"] == "REVOKED" and keys[new.key_id]["status"] == "ACTIVE"
    assert keys[first.key_id]["revoked_at"] and keys[first.key_id]["retired_at"]
    # the verifier reads, and manages nothing
    shinsa = login(client, "shinsa")
    assert client.get("/api/v1/dmrv/devices/PV-0001", headers=shinsa).json()["can_manage"] is False
    assert client.post("/api/v1/dmrv/devices", json=body(2),
                       headers=write(shinsa, "s1")).status_code == 403


def test_every_bad_field_is_reported_and_paths_are_checked(client: TestClient) -> None:
    taiyo = login(client, "taiyo")
    response = client.post("/api/v1/dmrv/devices", headers=write(taiyo, "b1"), json=body(
        1, capacity_ac_kw=0, latitude=50, channels=["export"], public_key="abc"))
    assert response.status_code == 422
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [
        "capacity_ac_kw", "latitude", "channels", "public_key"]
    assert client.post("/api/v1/dmrv/devices", headers=write(taiyo, "b2"),
                       json=body(1, colour="red")).status_code == 422
    assert client.get("/api/v1/dmrv/devices/PV%2F1", headers=taiyo).status_code in (404, 422)
    assert client.get("/api/v1/dmrv/devices/NO-SUCH", headers=taiyo).status_code == 404
    assert client.post("/api/v1/dmrv/devices/NO-SUCH/keys/zz/revoke", json={"confirm": True},
                       headers=write(taiyo, "b3")).status_code == 422
    assert devices(client, taiyo) == []


def test_a_csv_with_bad_lines_registers_nothing_and_lists_every_line(
        client: TestClient) -> None:
    taiyo = login(client, "taiyo")
    bad = csv(line(1), line(2, latitude="47"), line(3), line(4, activity="HH-404"),
              line(5, device_id="PV-0001"), line(6, channels="generation;wind", serial=""))
    response = client.post("/api/v1/dmrv/devices/import", content=bad.encode("utf-8"),
                           headers=write(taiyo, "c1") | {"Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    found = [(e["line"], e["column"]) for e in response.json()["errors"]]
    assert found == [(3, "latitude"), (5, "activity"), (6, "device_id"), (7, "serial"),
                     (7, "channels")]
    assert devices(client, taiyo) == []
    header_only = client.post("/api/v1/dmrv/devices/import", content=b"project,activity\n",
                              headers=write(taiyo, "c2") | {"Content-Type": "text/csv"})
    assert header_only.status_code == 422 and "missing column" in header_only.json()["detail"]
    good = csv(*(line(i) for i in range(1, 13)))
    created = client.post("/api/v1/dmrv/devices/import", content=good.encode("cp932"),
                          headers=write(taiyo, "c3") | {"Content-Type": "text/csv"})
    assert created.status_code == 201, created.text
    assert created.json()["registered"] == 12
    assert len(devices(client, taiyo)) == 12
    as_json = client.post("/api/v1/dmrv/devices/import", json={"devices": [
        body(1, device_id="PV-X1", public_key=signer("x1").public_b64)]},
        headers=write(taiyo, "c4"))
    assert as_json.status_code == 201 and as_json.json()["devices"] == ["PV-X1"]


def test_another_organisation_is_refused_and_changes_nothing(client: TestClient) -> None:
    taiyo = login(client, "taiyo")
    assert client.post("/api/v1/dmrv/devices", json=body(1),
                       headers=write(taiyo, "o1")).status_code == 201
    key_id = signer("PV-0001").key_id
    before = client.get("/api/v1/dmrv/devices/PV-0001", headers=taiyo).json()
    for user in ("midori", "iinkai", "auditor"):
        other = login(client, user)
        attempts = [
            client.post("/api/v1/dmrv/devices", json=body(2), headers=write(other, "x1")),
            client.post("/api/v1/dmrv/devices/import", content=csv(line(3)).encode(),
                        headers=write(other, "x2") | {"Content-Type": "text/csv"}),
            client.post("/api/v1/dmrv/devices/PV-0001/keys",
                        json={"public_key": signer("stolen").public_b64},
                        headers=write(other, "x3")),
            client.post(f"/api/v1/dmrv/devices/PV-0001/keys/{key_id}/revoke",
                        json={"confirm": True}, headers=write(other, "x4")),
            client.get("/api/v1/dmrv/devices/PV-0001", headers=other),
            client.get(f"/api/v1/dmrv/projects/{PROJECT}/devices", headers=other)]
        assert [r.status_code for r in attempts] == [403] * 6, (user, [r.text for r in attempts])
    assert client.get("/api/v1/dmrv/devices/PV-0001", headers=taiyo).json() == before
    assert devices(client, taiyo) == ["PV-0001"]
    assert client.get("/api/v1/dmrv/devices/PV-0001").status_code == 401


def test_the_openapi_document_describes_the_device_routes(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/dmrv/devices", "/api/v1/dmrv/devices/import",
                 "/api/v1/dmrv/devices/{device_id}", "/api/v1/dmrv/projects/{number}/devices",
                 "/api/v1/dmrv/devices/{device_id}/keys",
                 "/api/v1/dmrv/devices/{device_id}/keys/{key_id}/revoke"):
        assert path in paths, path
    content = paths["/api/v1/dmrv/devices/import"]["post"]["requestBody"]["content"]
    assert "text/csv" in content and "application/json" in content
    revoke = paths["/api/v1/dmrv/devices/{device_id}/keys/{key_id}/revoke"]["post"]
    assert "428" in revoke["responses"]


# --- the CLI ------------------------------------------------------------------------------


runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def listed(user: str = "taiyo") -> list[str]:
    code, out, err = cli("dmrv", "device", "list", PROJECT, "--as", user, "--json")
    assert code == 0, err
    return [d["device_id"] for d in json.loads(out)["devices"]]


def test_the_cli_imports_with_every_bad_line_then_shows_rotates_and_revokes(
        env: None, tmp_path: Path) -> None:
    assert cli("demo")[0] == 0
    path = tmp_path / "devices.csv"
    path.write_text(csv(line(1), line(2, capacity_dc_kw="-5"), line(3, public_key="xyz"),
                        line(4, commissioned_on="昨日")), encoding="utf-8")
    code, out, err = cli("dmrv", "device", "import", str(path), "--as", "taiyo")
    assert code == 4 and "Traceback" not in out + err
    assert "line 3, capacity_dc_kw = '-5'" in err and "line 4, public_key = 'xyz'" in err
    assert "line 5, commissioned_on = '昨日'" in err
    assert listed() == []
    path.write_text(csv(*(line(i) for i in range(1, 6))), encoding="utf-8")
    code, out, err = cli("dmrv", "device", "import", str(path), "--as", "taiyo", "--json")
    assert code == 0, err
    assert json.loads(out)["registered"] == 5
    assert listed() == [f"PV-{i:04d}" for i in range(1, 6)]

    code, out, err = cli("dmrv", "device", "add", "--project", PROJECT, "--activity", "HH-006",
                         "--device-id", "PV-0006", "--capacity-ac-kw", "4", "--capacity-dc-kw",
                         "4.4", "--commissioned-on", "2025-04-01", "--latitude", "35.4",
                         "--longitude", "136.7", "--serial", "SN-6", "--channels",
                         "generation;export;import", "--public-key",
                         signer("PV-0006").public_raw.hex(), "--as", "taiyo", "--json")
    assert code == 0, err
    assert json.loads(out)["channels"] == ["generation", "export", "import"]
    key_file = tmp_path / "new.pem"
    from cryptography.hazmat.primitives import serialization

    new = signer("PV-0006/2")
    key_file.write_bytes(new.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    code, out, err = cli("dmrv", "device", "rotate-key", "PV-0006", "--public-key-file",
                         str(key_file), "--as", "taiyo", "--json")
    assert code == 0, err
    assert json.loads(out)["key_id"] == new.key_id
    old = signer("PV-0006").key_id
    code, out, err = cli("dmrv", "device", "revoke-key", "PV-0006", old, "--as", "taiyo")
    assert code == 4 and "irreversible" in err  # not confirmed: nothing revoked
    code, out, err = cli("dmrv", "device", "revoke-key", "PV-0006", old, "--yes", "--as",
                         "taiyo", "--json")
    assert code == 0, err
    code, out, err = cli("dmrv", "device", "show", "PV-0006", "--json")
    shown = json.loads(out)
    assert [(k["key_id"], k["status"]) for k in shown["keys"]] == [(old, "REVOKED"),
                                                                  (new.key_id, "ACTIVE")]
    code, out, err = cli("dmrv", "device", "show", "PV-0006")
    assert code == 0 and "active key " + new.key_id in out
    # another organisation's user: refused, exit 6, nothing changed
    code, out, err = cli("dmrv", "device", "add", "--project", PROJECT, "--activity", "HH-007",
                         "--device-id", "PV-0007", "--capacity-ac-kw", "4", "--capacity-dc-kw",
                         "4", "--commissioned-on", "2025-04-01", "--latitude", "35.4",
                         "--longitude", "136.7", "--serial", "S", "--public-key",
                         signer("PV-0007").public_b64, "--as", "midori")
    assert code == 6 and "another organisation" in err
    assert cli("dmrv", "device", "show", "PV-0006", "--as", "midori")[0] == 6
    assert "PV-0007" not in listed()


# --- the web forms ------------------------------------------------------------------------


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_web_csv_upload_lists_every_bad_line_and_keeps_the_text(
        client: TestClient) -> None:
    web_log_in(client, "taiyo")
    page = client.get(f"/projects/{PROJECT}")
    assert 'id="devices"' in page.text and 'id="device-form"' in page.text
    text = csv(line(1), line(2, latitude="99"), line(3, device_id="PV 3"))
    response = client.post(f"/projects/{PROJECT}/devices/import",
                           data={"csv_text": text, "csrf": csrf_of(page.text), "idem": "w1"})
    assert response.status_code == 422
    problems = re.findall(r"<li>(.*?)</li>", response.text.split(
        'id="devices-csv-problems"')[1].split("</ul>")[0])
    assert len(problems) == 2 and "3行目 latitude" in problems[0]
    assert "4行目 device_id" in problems[1]
    assert "PV 3" in response.text.split('id="devices-csv"')[1]  # the text is kept
    taiyo = login(client, "taiyo")
    assert devices(client, taiyo) == []
    done = client.post(f"/projects/{PROJECT}/devices/import", follow_redirects=False,
                       data={"csv_text": csv(line(1), line(2)), "csrf": csrf_of(page.text),
                             "idem": "w2"})
    assert done.status_code == 303
    assert devices(client, taiyo) == ["PV-0001", "PV-0002"]
    listing = client.get(f"/projects/{PROJECT}").text
    assert "2 台の機器を登録しました" in listing and 'href="/devices/PV-0002"' in listing
    site = client.get(f"/projects/{PROJECT}/sites/HH-002")
    assert site.status_code == 200 and "PV-0002" in site.text


def test_the_web_device_pages_rotate_and_revoke_after_a_confirmation(
        client: TestClient) -> None:
    taiyo = login(client, "taiyo")
    assert client.post("/api/v1/dmrv/devices", json=body(1),
                       headers=write(taiyo, "p1")).status_code == 201
    web_log_in(client, "taiyo")
    page = client.get("/devices/PV-0001")
    assert page.status_code == 200 and signer("PV-0001").key_id in page.text
    token = csrf_of(page.text)
    refused = client.post("/devices/PV-0001/keys", data={"public_key": "nope", "csrf": token,
                                                         "idem": "k1"})
    assert refused.status_code == 422 and 'id="rotate-public-key-error"' in refused.text
    new = signer("web-new")
    client.post("/devices/PV-0001/keys", data={"public_key": new.public_b64, "csrf": token,
                                               "idem": "k2"})
    old = signer("PV-0001").key_id
    confirmation = client.get(f"/devices/PV-0001/keys/{old}/revoke")
    assert confirmation.status_code == 200 and "取り消せません" in confirmation.text
    client.post(f"/devices/PV-0001/keys/{old}/revoke",
                data={"confirm": "yes", "reason": "テスト", "csrf": token, "idem": "k3"})
    keys = {k["key_id"]: k["status"] for k in client.get(
        "/api/v1/dmrv/devices/PV-0001", headers=taiyo).json()["keys"]}
    assert keys == {old: "REVOKED", new.key_id: "ACTIVE"}
    # the site page's form: an error is shown there, a success goes back there
    form = {k: str(v) for k, v in body(2, latitude="19").items() if k not in ("project",
                                                                              "channels")}
    form |= {"back": "site", "channel_generation": "yes", "csrf": token, "idem": "k4"}
    refused = client.post(f"/projects/{PROJECT}/devices", data=form)
    assert refused.status_code == 422 and 'id="site-facts"' in refused.text
    assert 'id="device-latitude-error"' in refused.text
    done = client.post(f"/projects/{PROJECT}/devices", follow_redirects=False,
                       data=form | {"latitude": "35.1", "idem": "k5"})
    assert done.headers["location"] == f"/projects/{PROJECT}/sites/HH-002#devices"
    assert "PV-0002" in client.get(done.headers["location"]).text
    # another organisation's holder: the pages are refused
    web_log_in(client, "midori")
    assert client.get("/devices/PV-0001").status_code == 403
    assert client.get(f"/devices/PV-0001/keys/{new.key_id}/revoke").status_code == 403
    assert client.get(f"/projects/{PROJECT}/sites/HH-001").status_code == 403


@pytest.mark.parametrize("username", ["taiyo", "shinsa", "admin"])
def test_the_device_pages_read_as_japanese_with_no_raw_code_or_utc(
        client: TestClient, username: str) -> None:
    """The crawl test's standard (docs/ui.md) on the device, site and revocation pages,
    which the demo data alone does not reach."""
    from tests.e2e.test_ui_crawl import crawl
    from tests.e2e.test_ui_crawl import problems_in

    taiyo = login(client, "taiyo")
    assert client.post("/api/v1/dmrv/devices", json=body(1, tilt="30", azimuth="180"),
                       headers=write(taiyo, "j1")).status_code == 201
    assert client.post("/api/v1/dmrv/devices/PV-0001/keys", headers=write(taiyo, "j2"),
                       json={"public_key": signer("j2").public_b64}).status_code == 201
    client.cookies.set("lang", "ja")
    web_log_in(client, username)
    pages: dict[str, int] = {}
    found = []
    for path, status, text in crawl(client):
        pages[path] = status
        found += [f"{path}: {problem}" for problem in problems_in(text)]
    assert pages["/devices/PV-0001"] == pages[f"/projects/{PROJECT}/sites/HH-001"] == 200
    revoke = f"/devices/PV-0001/keys/{signer('j2').key_id}/revoke"
    # the verifier reads; only those who manage the devices are offered the revocation
    assert pages.get(revoke) == (None if username == "shinsa" else 200)
    assert not found, "\n".join(sorted(set(found)))

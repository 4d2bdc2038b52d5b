"""Public lineage of credits and the public list of invalidations (issue 16)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from tests.e2e.support import demo_client


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        yield TestClient(test_client.app)  # anonymous


def forest_issuance(client: TestClient) -> str:
    page = client.get("/public/projects/JCP-0210")
    assert page.status_code == 200, page.text
    links = re.findall(r'href="(/public/credits/\d+)"', page.text)
    assert len(links) == 1
    return links[0]


def test_a_forest_issuance_from_issuance_to_invalidation(client: TestClient) -> None:
    lineage = client.get(forest_issuance(client))
    assert lineage.status_code == 200
    text = lineage.text
    # issued to the project's holder (named on the public list), transferred to a holder
    # the scheme does not publish, invalidated for a consented offset (credit user named)
    assert "山林組合ひのき森林株式会社" in text and "非公表" in text
    assert "株式会社カーボン商事" in text and "会議・イベント" in text
    for event in ("発行", "移転", "無効化"):
        assert f"<td>{event}</td>" in text
    assert not re.search(r"[A-Z]-\d{7}-\d", text)  # no account numbers
    assert "環境フォーラム" not in text  # the purpose details are not public


def test_lineage_json_agrees_with_the_page_and_adds_up(client: TestClient) -> None:
    path = forest_issuance(client)
    data = client.get("/api/v1" + path).json()
    assert data["project_id"] == "JCP-0210" and data["quantity"] == 2000
    live = [h for h in data["holdings"] if h["live"]]
    # the live holdings partition the issuance: every serial exactly once
    serials = sorted((h["first_serial"], h["last_serial"]) for h in live)
    assert serials[0][0] == int(data["serials"].split("-")[-2])
    assert all(a[1] + 1 == b[0] for a, b in zip(serials, serials[1:], strict=False))
    assert sum(h["quantity"] for h in live) == 2000 == sum(data["live"].values())
    invalidated = [h for h in live if h["state"] == "invalidated"]
    assert invalidated and all(h["holder"] == "株式会社カーボン商事" for h in invalidated)
    # one block's lineage: its serials from issuance to now
    block = invalidated[0]
    chain = client.get(f"/api/v1{path}/blocks/{block['block_id']}").json()
    events = [h["event"] for h in chain["holdings"]]
    assert events[0] == "issuance" and events[-1] == "invalidation" and "transfer" in events
    assert all(h["first_serial"] <= block["last_serial"] and h["last_serial"]
               >= block["first_serial"] for h in chain["holdings"])
    first = block["serials"].rsplit("-", 1)[0]  # the full serial of its first credit
    one = client.get("/api/v1" + path, params={"serial": first}).json()
    assert one["focus"].endswith(f"{block['first_serial']:010d}-{block['first_serial']:010d}")
    assert [h["event"] for h in one["holdings"]] == events


def test_lineage_bad_inputs(client: TestClient) -> None:
    path = forest_issuance(client)
    assert client.get("/api/v1/public/credits/999999").status_code == 404
    assert client.get(path + "/blocks/999999").status_code == 404
    bad = client.get(path, params={"serial": "abc"})
    assert bad.status_code == 422 and "serial" in bad.text
    assert client.get("/api/v1" + path, params={"serial": "99999999"}).status_code == 404
    assert client.get("/api/v1/public/credits/0").status_code == 422


def test_public_invalidations_only_with_consent(client: TestClient) -> None:
    page = client.get("/public/invalidations")
    assert page.status_code == 200
    # the demo's consented offset is listed; the RE100 application (no consent, pending) not
    main = page.text.split("<main", 1)[1]
    assert "株式会社カーボン商事" in main and "RE100" not in main.split("</form>", 1)[1]
    data = client.get("/api/v1/public/invalidations").json()
    assert data["count"] == 1
    row = data["data"][0]
    assert row["quantity"] == 120 and row["use"] == "OFFSET" and row["blocks"]
    assert set(row) >= {"executed_date", "credit_user_name", "serials", "project_ids"}
    assert "purpose_details" not in row and "account" not in row
    csv_text = client.get("/api/v1/public/invalidations", params={"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert rows[0]["credit_user_name"] == "株式会社カーボン商事"
    assert client.get("/api/v1/public/invalidations", params={"use": "RE100"}).json()[
        "count"] == 0
    assert client.get("/public/invalidations", params={"fiscal_year": "x"}).status_code == 422


def test_the_daily_full_export(client: TestClient) -> None:
    import hashlib
    import json
    import zipfile

    response = client.get("/api/v1/public/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "jcredit-public-" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    for name, digest in manifest["files"].items():  # every file as the manifest says
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    projects = client.get("/api/v1/public/projects").json()
    assert manifest["rows"]["projects"] == projects["count"]
    assert manifest["rows"]["cases"] == client.get("/api/v1/public/cases").json()["count"]
    assert manifest["rows"]["invalidations"] == 1
    issuances = json.loads(archive.read("issuances.json"))
    holdings = json.loads(archive.read("holdings.json"))
    for issuance in issuances:  # the live holdings of each issuance add up to it
        live = [h for h in holdings if h["root_id"] == issuance["root_id"] and h["live"]]
        assert sum(h["quantity"] for h in live) == issuance["issued"]
    statistics = json.loads(archive.read("statistics.json"))
    assert statistics["totals"]["issued"] == sum(i["issued"] for i in issuances)
    text = archive.read("invalidations.csv").decode("utf-8-sig")
    assert "株式会社カーボン商事" in text and not re.search(r"[A-Z]-\d{7}-\d", text)
    again = client.get("/api/v1/public/export")  # the day's file, as it was
    assert again.content == response.content


def test_narrowing_by_serial_counts_only_those_serials(client: TestClient) -> None:
    path = forest_issuance(client)
    data = client.get("/api/v1" + path).json()
    prefix, first, _ = data["serials"].rsplit("-", 2)
    one = client.get("/api/v1" + path, params={"serial": str(int(first) + 50)}).json()
    assert sum(one["live"].values()) == 1  # one credit, wherever it is now
    span = f"{int(first)}-{int(first) + 149}"
    ranged = client.get("/api/v1" + path, params={"serial": span}).json()
    assert sum(ranged["live"].values()) == 150 and ranged["focus"].endswith(
        f"{int(first):010d}-{int(first) + 149:010d}")
    full = client.get("/api/v1" + path, params={"serial": f"{prefix}-{first}"}).json()
    assert sum(full["live"].values()) == 1
    other = client.get("/api/v1" + path, params={"serial": f"JC-ER-C999999-{first}"})
    assert other.status_code == 404
    backwards = client.get("/api/v1" + path, params={"serial": f"{int(first) + 5}-{first}"})
    assert backwards.status_code == 404
    page = client.get(path, params={"serial": "JC-ER-C999999-1"})  # the page, the error
    assert page.status_code == 404 and 'id="lineage-serial-error"' in page.text
    assert 'id="lineage"' in page.text  # the whole issuance is still shown


def test_serial_forms(client: TestClient) -> None:
    path = forest_issuance(client)
    first = int(client.get("/api/v1" + path).json()["serials"].rsplit("-", 2)[1])
    wave = client.get(path, params={"serial": f"{first}〜{first + 9}"})
    assert wave.status_code == 200 and 'id="lineage-serial-error"' not in wave.text
    for bad, words in ((f"{first + 9}-{first}", "範囲の終わり"), ("1-99999999999999", "シリアル番号は"),
                       ("abc", "シリアル番号は")):
        page = client.get(path, params={"serial": bad})
        assert page.status_code in (404, 422) and words in page.text, bad

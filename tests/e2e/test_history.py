"""An account's history (web, CSV, API) and the auditor's journal: entry page, filters and
exports, on the demo registry."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from tests.e2e.support import demo_client
from tests.e2e.support import login
from tests.e2e.test_csv_imports import web_login

SHOJI = "H-0000009-1"  # カーボン商事: 150 issued, 400 in from ひのき, 120 invalidated
HINOKI = "H-0000008-3"


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as c:
        yield c


def test_the_holder_reads_its_history_with_counterparties_serials_and_notice(
        client: TestClient) -> None:
    web_login(client, "shoji")
    page = client.get(f"/accounts/{SHOJI}/history")
    assert page.status_code == 200
    table = page.text.split('id="history"')[1].split("</table>")[0]
    for text in ("移転 (受入)", "+400", HINOKI, "山林組合ひのき森林株式会社", "無効化",
                 "−120", "KC-KC-C000018-0000004501-0000004800", "JCN-", "発行", "+150",
                 "無効化申請 (予約)"):
        assert text in table, text
    assert "+00:00" not in table and "年" in table
    # filtered by kind and by counterparty
    only_in = client.get(f"/accounts/{SHOJI}/history?kind=transfer_in").text
    assert only_in.split('id="history"')[1].count("<tr class=") == 1
    by_name = client.get(f"/accounts/{SHOJI}/history?counterparty=ひのき").text
    assert by_name.split('id="history"')[1].count("<tr class=") == 1
    none = client.get(f"/accounts/{SHOJI}/history?since=2030-01-01").text
    assert none.split('id="history"')[1].count("<tr class=") == 0
    # the CSV: UTF-8 with BOM, attachment, full rows with UTC and JST times
    response = client.get(f"/accounts/{SHOJI}/history.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["kind"] for r in rows] == ["issuance", "transfer_in", "invalidation_reserved",
                                         "invalidation"]
    assert rows[1]["quantity"] == "400" and rows[1]["counterparty_account"] == HINOKI
    assert rows[1]["recorded_at_utc"].endswith("+00:00") and "年" in rows[1]["recorded_at_jst"]
    assert rows[3]["notice_number"].startswith("JCN-") and rows[3]["signed_quantity"] == "-120"
    # another organisation's account is refused
    assert client.get(f"/accounts/{HINOKI}/history").status_code == 403
    assert client.get(f"/accounts/{HINOKI}/history.csv").status_code == 403


def test_the_api_gives_the_history_to_the_holder_and_the_auditor_only(
        client: TestClient) -> None:
    for user in ("shoji", "auditor", "admin"):
        response = client.get(f"/api/v1/accounts/{SHOJI}/history",
                              headers=login(client, user))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["count"] == 4 and body["movements"][1]["counterparty"]["account"] == HINOKI
    refused = client.get(f"/api/v1/accounts/{SHOJI}/history", headers=login(client, "midori"))
    assert refused.status_code == 403
    bad = client.get(f"/api/v1/accounts/{SHOJI}/history?kind=gift",
                     headers=login(client, "shoji"))
    assert bad.status_code == 422 and bad.json()["field"] == "kind"


def test_the_auditor_filters_opens_and_exports_the_journal(client: TestClient) -> None:
    web_login(client, "auditor")
    page = client.get(f"/journal?command=credits.transfer&account={SHOJI}").text
    rows = page.split('id="journal-entries"')[1].split("</table>")[0]
    assert rows.count('<a href="/journal/') == 1 and "クレジット移転" in rows
    seq = int(rows.split('<a href="/journal/')[1].split('"')[0])
    entry = client.get(f"/journal/{seq}")
    assert entry.status_code == 200
    for text in ("クレジット移転", "system:system", "UTC", "年", f"/accounts/{SHOJI}/history",
                 f"/accounts/{HINOKI}/history", "blocks[0].serials"):
        assert text in entry.text, text
    by_actor = client.get("/journal?actor=taiyo").text.split('id="journal-entries"')[1]
    assert "user:taiyo" in by_actor and "system:system" not in by_actor
    exported = client.get("/journal.jsonl?command=credits")
    assert exported.headers["content-disposition"].startswith("attachment;")
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert {e["command"] for e in lines} == {"credits.issue", "credits.transfer"}
    assert [e["seq"] for e in lines] == sorted(e["seq"] for e in lines)
    table = client.get(f"/journal.csv?account={HINOKI}")
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    entries = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert entries and all(HINOKI in e["payload"] for e in entries)
    assert client.get("/journal?since=2026-13-01").status_code == 422
    # a holder opens only the entries that moved its own credits, and not the journal
    web_login(client, "shoji")  # a new login replaces the session: shoji received the credits
    assert client.get(f"/journal/{seq}").status_code == 200
    assert client.get("/journal.jsonl").status_code == 403
    web_login(client, "midori")  # not a party to the transfer
    assert client.get(f"/journal/{seq}").status_code == 403
    assert client.get("/journal.jsonl").status_code == 403

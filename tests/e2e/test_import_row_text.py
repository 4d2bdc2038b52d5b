"""The text of an import's rows is checked row by row with the rows' other problems: every
bad line is reported at once with its line and column (not the first one, by its index), and
a value longer than its column (activities.address is VARCHAR(300)) is refused on SQLite as
on PostgreSQL, nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import seed_demo

HEADER = "code,address,operation_start,expected_tco2_per_year,household"
PROJECT = "JCP-000001"  # the demo's registered programme: members may join


@pytest.fixture
def api(registry: Registry) -> Iterator[tuple[TestClient, dict[str, str]]]:
    seed_demo(registry)
    with TestClient(create_app(registry.settings, registry=registry),
                    raise_server_exceptions=False) as client:
        token = client.post("/api/v1/auth/token", json={
            "username": "taiyo", "password": DEMO_PASSWORD}).json()["access_token"]
        yield client, {"Authorization": f"Bearer {token}"}


def counts(registry: Registry) -> tuple[int, int]:
    """(activities of the project, journal entries)."""
    with registry.uow(write=False) as uow:
        project = uow.projects.by_number(PROJECT)
        assert project is not None
        return len(uow.projects.activities(project.id)), len(list(uow.journal.iterate()))


def post_csv(api: tuple[TestClient, dict[str, str]], text: str, key: str) -> dict[str, object]:
    client, auth = api
    response = client.post(f"/api/v1/projects/{PROJECT}/activities/import",
                           content=text.encode(), headers=auth | {
                               "content-type": "text/csv", "Idempotency-Key": key})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    return body


def test_every_bad_line_is_reported_text_problems_included(
        api: tuple[TestClient, dict[str, str]], registry: Registry) -> None:
    before = counts(registry)
    text = "\n".join([
        HEADER,
        "HH-901,岐阜県大垣市9-1,2026-13-01,abc,1",
        "HH-902,岐阜県\x01大垣市9-2,2025-06-01,-5,maybe",
        "HH-903,岐阜県大垣市9-3,2025-06-01,1.2,1",
        "HH-904,岐阜県\u202e大垣市9-4,2025-06-01,1.2,1",
        "HH-9\x005,岐阜県大垣市9-5,2025-06-01,1.2,1",
    ]) + "\n"
    errors = post_csv(api, text, "rows-1")["errors"]
    assert isinstance(errors, list)
    found = {(e["line"], e["column"]) for e in errors}
    assert {(2, "operation_start"), (2, "expected_tco2_per_year"), (3, "address"),
            (3, "expected_tco2_per_year"), (3, "household"), (5, "address"),
            (6, "code")} <= found
    assert not any(line == 4 for line, _ in found)
    bidi = next(e for e in errors if e["line"] == 5)
    assert "U+202E" in bidi["message"] and bidi["field"] == "activities[3].address"
    assert "\u202e" not in bidi["value"]  # shown escaped, not applied
    nul = next(e for e in errors if e["line"] == 6)
    assert "U+0000" in nul["message"]
    assert counts(registry) == before


def test_an_address_longer_than_its_column_is_refused_with_its_line(
        api: tuple[TestClient, dict[str, str]], registry: Registry) -> None:
    before = counts(registry)
    long_address = "岐阜県大垣市" + "あ" * 594
    text = f"{HEADER}\nHH-911,岐阜県大垣市11-1,2025-06-01,1.2,1\n" \
           f"HH-912,{long_address},2025-06-01,1.2,1\n"
    errors = post_csv(api, text, "rows-2")["errors"]
    assert isinstance(errors, list)
    assert [(e["line"], e["column"]) for e in errors] == [(3, "address")]
    assert "at most 300 characters, got 600" in errors[0]["message"]
    assert counts(registry) == before
    # as JSON, the same
    client, auth = api
    response = client.post(f"/api/v1/projects/{PROJECT}/activities/import", json={
        "activities": [{"code": "HH-913", "address": long_address,
                        "operation_start": "2025-06-01", "expected_tco2_per_year": "1"}]},
        headers=auth | {"Idempotency-Key": "rows-3"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "activities[0].address"
    assert counts(registry) == before


def test_a_good_row_is_stored_normalised(
        api: tuple[TestClient, dict[str, str]], registry: Registry) -> None:
    client, auth = api
    response = client.post(
        f"/api/v1/projects/{PROJECT}/activities/import",
        content=f"{HEADER}\nhh-921,岐阜県大垣市ｶﾞ\u30ab\u3099-1,2025-06-01,1.2,1\n".encode(),
        headers=auth | {"content-type": "text/csv", "Idempotency-Key": "rows-4"})
    assert response.status_code == 201, response.text
    with registry.uow(write=False) as uow:
        project = uow.projects.by_number(PROJECT)
        assert project is not None
        added = [a for a in uow.projects.activities(project.id) if a.code == "HH-921"]
    assert added[0].address == "岐阜県大垣市ｶﾞガ-1"


def test_one_activity_with_an_address_longer_than_its_column_is_refused(
        api: tuple[TestClient, dict[str, str]], registry: Registry) -> None:
    client, auth = api
    before = counts(registry)
    response = client.post(f"/api/v1/projects/{PROJECT}/activities", json={
        "code": "HH-931", "address": "岐阜県大垣市" + "い" * 594,
        "operation_start": "2025-06-01", "expected_tco2_per_year": "1"},
        headers=auth | {"Idempotency-Key": "rows-5"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "address"
    assert "at most 300 characters" in response.json()["detail"]
    assert counts(registry) == before

"""The HTTP API through FastAPI's TestClient, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from jcredit.domain.identifiers import format_account_number
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import seed_demo
from tests.e2e.support import demo_client
from tests.e2e.support import login


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient]:
    with demo_client(registry) as test_client:
        yield test_client


def accounts(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/accounts", headers=headers)
    assert response.status_code == 200
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def test_holder_transfers_with_idempotent_replay(client: TestClient) -> None:
    midori = login(client, "midori")
    own = accounts(client, midori)
    assert {a["organisation"] for a in own} == {"株式会社みどり電力"}
    src, dst = own[0]["number"], own[1]["number"]
    body = {"from_account": src, "to_account": dst, "quantity": 7}
    headers = midori | {"Idempotency-Key": "transfer-001"}
    first = client.post("/api/v1/credits/transfer", json=body, headers=headers)
    again = client.post("/api/v1/credits/transfer", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers.get("Idempotent-Replayed") == "true"
    after = {a["number"]: a["balance"] for a in accounts(client, midori)}
    assert after[dst] == 100 + 7  # moved once, not twice
    reused = client.post("/api/v1/credits/transfer", json=body | {"quantity": 8},
                         headers=headers)
    assert reused.status_code == 422
    assert reused.json()["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("user", "method", "path", "body", "status"),
    [
        ("midori", "post", "/api/v1/credits/issue", {"to_account": "H-0000006-7",
         "quantity": 1, "scheme": "JC", "credit_type": "ER", "category": "FOREST",
         "project_id": "P", "vintage": 2024}, 403),
        ("midori", "post", "/api/v1/invalidations/execute", {"confirm": True}, 403),
        ("midori", "post", "/api/v1/organisations", {"name": "株式会社テスト",
         "corporate_number": "7000012050002"}, 403),
        ("midori", "get", "/api/v1/journal", None, 403),
        ("auditor", "post", "/api/v1/credits/transfer", {"from_account": "H-0000006-7",
         "to_account": "H-0000008-3", "quantity": 1}, 403),
        ("auditor", "get", "/api/v1/journal", None, 200),
        ("auditor", "get", "/api/v1/ledger/check", None, 200),
        ("hinoki", "get", "/api/v1/accounts/H-0000006-7", None, 403),
        ("hinoki", "post", "/api/v1/credits/transfer", {"from_account": "H-0000006-7",
         "to_account": "H-0000008-3", "quantity": 1}, 403),
        (None, "get", "/api/v1/accounts", None, 401),
    ],
)
def test_every_route_checks_the_role(client: TestClient, user: str | None, method: str,
                                     path: str, body: Any, status: int) -> None:
    headers = (login(client, user) if user else {}) | {"Idempotency-Key": "k"}
    response = client.request(method.upper(), path, json=body, headers=headers)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]


def test_errors_are_problem_json_naming_the_field(client: TestClient) -> None:
    midori = login(client, "midori") | {"Idempotency-Key": "bad-1"}
    own = accounts(client, midori)
    src, dst = own[0]["number"], own[1]["number"]
    invalidation_account = format_account_number("V", 1)
    cases = [
        ({"from_account": src, "to_account": dst, "quantity": 0}, "quantity", 422),
        ({"from_account": src, "to_account": dst, "quantity": 2.5}, "quantity", 422),
        ({"from_account": src, "to_account": dst, "quantity": -1}, "quantity", 422),
        ({"from_account": src, "to_account": invalidation_account, "quantity": 1},
         "to_account", 422),
        ({"from_account": src, "to_account": "H-0000001-0", "quantity": 1}, "to_account", 422),
        ({"from_account": src, "to_account": "nonsense", "quantity": 1}, "to_account", 422),
        ({"from_account": src, "quantity": 1}, "to_account", 422),
    ]
    for i, (body, field, status) in enumerate(cases):
        response = client.post("/api/v1/credits/transfer", json=body,
                               headers=midori | {"Idempotency-Key": f"bad-{i}"})
        assert response.status_code == status, (body, response.text)
        assert response.json()["field"] == field, response.json()


def test_invalidation_needs_confirmation_and_gives_a_pdf_notice(client: TestClient) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    midori = login(client, "midori")
    admin = login(client, "admin")
    src = accounts(client, midori)[0]["number"]
    applied = client.post("/api/v1/invalidations", headers=midori | {"Idempotency-Key": "i-1"},
                          json={"from_account": src, "quantity": 30, "use": "RE100",
                                "purpose_details": "RE100 2026", "credit_user_name": "株式会社みどり電力",
                                "fiscal_year": 2026})
    assert applied.status_code == 201, applied.text
    app_id = applied.json()["id"]
    unconfirmed = client.post("/api/v1/invalidations/execute", json={"application_ids": [app_id]},
                              headers=admin | {"Idempotency-Key": "x-1"})
    assert unconfirmed.status_code == 428
    done = client.post("/api/v1/invalidations/execute",
                       json={"application_ids": [app_id], "confirm": True},
                       headers=admin | {"Idempotency-Key": "x-2"})
    assert done.status_code == 200
    notice = done.json()["executed"][0]["notice_number"]
    pdf = client.get(f"/api/v1/invalidations/{app_id}/notice.pdf", headers=midori)
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "無効化通知書" in text and notice in text and "RE100" in text
    assert "株式会社みどり電力" in text
    other = login(client, "hinoki")
    assert client.get(f"/api/v1/invalidations/{app_id}/notice.pdf",
                      headers=other).status_code == 403
    check = client.get("/api/v1/ledger/check", headers=admin).json()
    assert check["ok"] is True


def test_openapi_documents_the_routes(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/credits/transfer" in spec["paths"]
    transfer = spec["paths"]["/api/v1/credits/transfer"]["post"]
    headers = {p["name"] for p in transfer["parameters"] if p["in"] == "header"}
    assert "idempotency-key" in headers  # one dependency, still documented
    assert transfer["security"] == [{"bearer": []}]  # Authorization: Bearer, as a scheme
    assert "requestBody" in transfer
    assert client.get("/api/docs").status_code == 200


def test_retirement_gives_a_notice_pdf_to_the_holder(client: TestClient) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    holder = login(client, "shoji")  # the demo moved hinoki's KC credits to shoji
    kc_account = next(a["number"] for a in accounts(client, holder))
    retired = client.post("/api/v1/credits/retire", headers=holder | {"Idempotency-Key": "r1"},
                          json={"from_account": kc_account, "quantity": 20, "confirm": True,
                                "reason": "国内クレジットの償却 (2026年度)"})
    assert retired.status_code == 200, retired.text
    seq = retired.json()["journal_seq"]
    pdf = client.get(f"/api/v1/journal/{seq}/notice.pdf", headers=holder)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "クレジット償却通知書" in text and "20 t-CO2" in text and "KC-" in text
    assert client.get(f"/api/v1/journal/{seq}/notice.pdf",
                      headers=login(client, "midori")).status_code == 403
    assert client.get("/api/v1/journal/1/notice.pdf", headers=holder).status_code == 404


def test_a_write_waits_in_a_worker_thread_while_the_event_loop_serves_others(
        sqlite_registry: Registry) -> None:
    """A transfer runs on the event loop only when the writer is free. While another writer
    holds it, the request waits in a worker thread: the loop keeps answering other requests,
    and the transfer completes, once, when the writer is released."""
    import asyncio

    import httpx

    registry = sqlite_registry
    seed_demo(registry)
    writer = registry.uow.writer
    assert writer is not None

    async def scenario() -> tuple[int, int, int]:
        transport = httpx.ASGITransport(app=create_app(registry.settings, registry=registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://jcredit") as http:
            token = (await http.post("/api/v1/auth/token", json={
                "username": "midori", "password": DEMO_PASSWORD})).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            own = (await http.get("/api/v1/accounts", headers=headers)).json()["data"]
            body = {"from_account": own[0]["number"], "to_account": own[1]["number"],
                    "quantity": 3}
            held = writer.acquire()  # another command is writing
            try:
                transfer = asyncio.create_task(http.post(
                    "/api/v1/credits/transfer", json=body,
                    headers=headers | {"Idempotency-Key": "while-busy"}))
                await asyncio.sleep(0.2)
                me = await asyncio.wait_for(http.get("/api/v1/me", headers=headers), 5)
                assert not transfer.done()  # still waiting for the writer
            finally:
                writer.release(held)
            response = await asyncio.wait_for(transfer, 10)
            balance = next(a["balance"] for a in (await http.get(
                "/api/v1/accounts", headers=headers)).json()["data"]
                if a["number"] == own[1]["number"])
            return me.status_code, response.status_code, balance

    me_status, transfer_status, balance = asyncio.run(scenario())
    assert (me_status, transfer_status) == (200, 200)
    assert balance == 100 + 3


def test_an_invalidation_application_is_refused_with_every_problem_at_once(
        client: TestClient) -> None:
    midori = login(client, "midori")
    before = accounts(client, midori)
    src = before[0]["number"]
    refused = client.post("/api/v1/invalidations", headers=midori | {"Idempotency-Key": "m-1"},
                          json={"from_account": src, "quantity": 0, "use": "OFFSET",
                                "purpose_details": "", "credit_user_name": "株式会社みどり電力",
                                "fiscal_year": "abc"})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    fields = [e["field"] for e in problem["errors"]]
    assert fields == ["offset_purpose", "purpose_details", "fiscal_year", "quantity"]
    assert problem["field"] == "offset_purpose"
    assert accounts(client, midori) == before  # nothing reserved

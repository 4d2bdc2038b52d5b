"""Input at the API's edge: malformed JSON, body size, integers the databases cannot hold and
text they reject are each a 4xx problem+json that changes nothing, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.api.limits import MAX_BODY_BYTES
from jcredit.entrypoints.api.limits import MAX_MULTIPART_BYTES
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import seed_demo

PROBLEM = "application/problem+json"


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient]:
    seed_demo(registry)
    with TestClient(create_app(registry.settings, registry=registry),
                    raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def sqlite_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One seeded SQLite registry for the tests that change nothing (seeding hashes
    passwords: once per module, not per test)."""
    directory = tmp_path_factory.mktemp("input")
    registry = bootstrap(Settings(data_dir=directory, environment="test"),
                         clock=lambda: datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    seed_demo(registry)
    with TestClient(create_app(registry.settings, registry=registry),
                    raise_server_exceptions=False) as test_client:
        yield test_client
    registry.dispose()


TOKENS: dict[int, dict[str, dict[str, str]]] = {}


def login(client: TestClient, username: str) -> dict[str, str]:
    known = TOKENS.setdefault(id(client), {})
    if username not in known:
        response = client.post("/api/v1/auth/token",
                               json={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.text
        known[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return known[username]


def journal_length(client: TestClient, admin: dict[str, str]) -> int:
    response = client.get("/api/v1/journal", params={"limit": 1}, headers=admin)
    assert response.status_code == 200, response.text
    seq: int = response.json()["data"][0]["seq"]
    return seq


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    return body


# --- malformed JSON (finding 8) -------------------------------------------------------------

JSON_ROUTES = ["/api/v1/estimate/PV", "/api/v1/methodologies/EN-R-002/calculate",
               "/api/v1/projects", "/api/v1/projects/JCP-000001/activities",
               "/api/v1/projects/JCP-000001/actions", "/api/v1/verifiers",
               "/api/v1/credits/transfer", "/api/v1/organisations", "/api/v1/invalidations"]
MALFORMED = {"nested": b"[" * 1000 + b"]" * 1000, "deeper": b"[" * 100_000,
             "not-utf8": b'{"name": "\xff"}', "nan": b'{"capacity_kw": NaN}',
             "lone-surrogate": b'{"name": "\\ud800"}'}


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize("kind", ["nested", "deeper", "not-utf8"])
def test_malformed_json_is_400_problem_json(sqlite_client: TestClient, route: str,
                                            kind: str) -> None:
    admin = login(sqlite_client, "admin")
    before = journal_length(sqlite_client, admin)
    response = sqlite_client.post(route, content=MALFORMED[kind], headers=admin | {
        "Idempotency-Key": f"malformed-{kind}", "Content-Type": "application/json"})
    body = assert_problem(response, 400)
    assert body["field"] == "body"
    assert journal_length(sqlite_client, admin) == before


@pytest.mark.parametrize("kind", ["nan", "lone-surrogate"])
def test_json_the_exact_parser_refuses_is_400(sqlite_client: TestClient, kind: str) -> None:
    response = sqlite_client.post("/api/v1/estimate/PV", content=MALFORMED[kind],
                                  headers={"Content-Type": "application/json"})
    assert assert_problem(response, 400)["field"] == "body"


def test_decimals_stay_exact_through_the_safe_parser(sqlite_client: TestClient) -> None:
    response = sqlite_client.post("/api/v1/estimate/PV", content=b'{"capacity_kw": 50.0, '
                                  b'"self_consumption_share": 0.8}',
                                  headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


# --- body size (finding 13) -----------------------------------------------------------------

def test_a_json_body_over_the_limit_is_413_before_it_is_read(sqlite_client: TestClient) -> None:
    admin = login(sqlite_client, "admin")
    before = journal_length(sqlite_client, admin)
    padding = "x" * MAX_BODY_BYTES
    response = sqlite_client.post("/api/v1/organisations", headers=admin | {
        "Idempotency-Key": "big-1"}, json={"name": padding, "corporate_number": "1"})
    body = assert_problem(response, 413)
    assert body["code"] == "payload_too_large"
    assert journal_length(sqlite_client, admin) == before


def test_a_streamed_body_without_length_is_counted(sqlite_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"capacity_kw": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"1" * 65536
        yield b'"}'

    response = sqlite_client.post("/api/v1/estimate/PV", content=chunks(),
                                  headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


def test_a_body_within_the_limit_passes(sqlite_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"capacity_kw": 50, "pad": "'
        yield b" " * 1000
        yield b'"}'

    response = sqlite_client.post("/api/v1/estimate/PV", content=chunks(),
                                  headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 422), response.text


def test_multipart_uploads_have_their_own_larger_limit(sqlite_client: TestClient) -> None:
    taiyo = login(sqlite_client, "taiyo")
    small = sqlite_client.post("/api/v1/projects/JCP-000001/evidence",
                               headers=taiyo | {"Idempotency-Key": "ev-1"},
                               files={"file": ("a.txt", b"x" * (MAX_BODY_BYTES + 10),
                                               "text/plain")})
    assert small.status_code == 201, small.text
    huge = sqlite_client.post("/api/v1/projects/JCP-000001/evidence",
                              headers=taiyo | {"Idempotency-Key": "ev-2",
                                               "Content-Length": str(MAX_MULTIPART_BYTES + 1),
                                               "Content-Type": "multipart/form-data; b=x"},
                              content=b"")
    assert_problem(huge, 413)


# --- integers beyond BIGINT (finding 9), on SQLite and PostgreSQL -------------------------

HUGE = "99999999999999999999999"  # > 2**63 - 1
TOO_BIG = str(2**63)


@pytest.mark.parametrize("number", [HUGE, TOO_BIG])
def test_integers_beyond_bigint_are_4xx_on_every_route(client: TestClient, number: str) -> None:
    admin = login(client, "admin")
    before = journal_length(client, admin)
    reads = [f"/api/v1/invalidations/{number}", f"/api/v1/invalidations/{number}/notice.pdf",
             f"/api/v1/journal/{number}/notice.pdf", f"/api/v1/journal?before_seq={number}",
             f"/api/v1/projects/JCP-000001/periods/{number}/results.csv",
             f"/api/v1/projects/JCP-000001/documents/PLAN?version={number}",
             f"/api/v1/projects/JCP-000001/documents/PLAN.pdf?period={number}"]
    for path in reads:
        assert_problem(client.get(path, headers=admin), 422)
    writes = [(f"/api/v1/invalidations/{number}/withdraw", None),
              ("/api/v1/invalidations/execute",
               f'{{"application_ids": [{number}], "confirm": true}}'),
              (f"/api/v1/projects/JCP-000001/periods/{number}/actions", '{"action": "x"}')]
    for i, (path, body) in enumerate(writes):
        response = client.post(path, content=body, headers=admin | {
            "Idempotency-Key": f"huge-{number}-{i}", "Content-Type": "application/json"})
        assert_problem(response, 422)
    assert journal_length(client, admin) == before
    # the web UI's routes: a page, never a 500
    client.cookies.clear()
    page = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert page.status_code < 500
    for path in [f"/invalidations/{number}", f"/invalidations/{number}/notice",
                 f"/invalidations/{number}/notice.pdf", f"/journal?before={number}"]:
        page = client.get(path)
        assert page.status_code in (404, 422), path
        assert page.headers["content-type"].startswith("text/html"), path
    client.cookies.clear()


def test_the_service_layer_bounds_ids_whatever_the_entrypoint(registry: Registry) -> None:
    """The CLI and the web forms build commands and queries without FastAPI's bounds."""
    from jcredit.bootstrap import SYSTEM_ACTOR
    from jcredit.domain.errors import NotFoundError
    from jcredit.domain.errors import ValidationError
    from jcredit.service_layer import commands as c
    from jcredit.service_layer import queries

    big = 2**63
    for command in (c.WithdrawInvalidation(application_id=big),
                    c.ExecuteInvalidations(application_ids=(big,), confirm=True)):
        with pytest.raises(ValidationError) as error:
            registry.bus.handle(command, actor=SYSTEM_ACTOR)
        assert error.value.field in ("application_id", "application_ids")
    with registry.uow(write=False) as uow:
        for query in (lambda: queries.application_detail(uow, SYSTEM_ACTOR, big),
                      lambda: queries.notice(uow, SYSTEM_ACTOR, big),
                      lambda: queries.removal_notice(uow, SYSTEM_ACTOR, big)):
            with pytest.raises(NotFoundError):
                query()
        assert queries.journal_page(uow, SYSTEM_ACTOR, before_seq=big) == \
            queries.journal_page(uow, SYSTEM_ACTOR)

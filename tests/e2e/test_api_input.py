"""Input at the API's edge: malformed JSON, body size, integers the databases cannot hold and
text they reject are each a 4xx problem+json that changes nothing, never a 500."""

from __future__ import annotations

import itertools
import os
import unicodedata
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.api.limits import MAX_BODY_BYTES
from jcredit.entrypoints.api.limits import MAX_MULTIPART_BYTES
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import seed_demo
from tests.conftest import Clock
from tests.conftest import fresh_sqlite_url
from tests.conftest import make_registry

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A seeded registry on SQLite and on PostgreSQL, each shared by the module's tests
    (seeding hashes passwords; every test here uses its own keys and numbers)."""
    directory = tmp_path_factory.mktemp(f"input-{request.param}")
    server = name = None
    if request.param == "sqlite":
        url = fresh_sqlite_url(request.getfixturevalue("sqlite_template"), directory)
    else:
        server = request.getfixturevalue("pg_server")
        name = server.create_database(template=request.getfixturevalue("pg_template"))
        url = server.sqlalchemy_url(name)
    registry = make_registry(url, directory, Clock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)))
    seed_demo(registry)
    with TestClient(create_app(registry.settings, registry=registry),
                    raise_server_exceptions=False) as test_client:
        yield test_client
    registry.dispose()
    if server is not None:
        server.drop_database(name)


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


# --- text the databases reject (finding 10), on SQLite and PostgreSQL ---------------------

def corporate_number(n: int) -> str:
    from jcredit.domain.identifiers import corporate_number_check_digit

    base = f"{900_000_000_000 + n:012d}"
    return f"{corporate_number_check_digit(base)}{base}"


def post_json(client: TestClient, path: str, body: dict[str, object], headers: dict[str, str],
              key: str) -> object:
    """``body`` as JSON with \\u escapes (ensure_ascii), so a lone surrogate can be sent."""
    import json

    return client.post(path, content=json.dumps(body), headers=headers | {
        "Idempotency-Key": key, "Content-Type": "application/json"})


def organisation_names(client: TestClient, admin: dict[str, str]) -> dict[str, str]:
    response = client.get("/api/v1/organisations", headers=admin)
    assert response.status_code == 200
    return {o["corporate_number"]: o["name"] for o in response.json()["data"]}


BAD_NAMES = {"lone surrogate": "株式会社\ud800", "NUL": "株式会社\x00サンプル",
             "bidi override": "株式会社\u202eルプンサ", "bidi isolate": "株式会社\u2066x",
             "line break": "株式会社\nサンプル", "escape": "株式会社\x1b[31m",
             "too long": "あ" * 201}


def test_text_the_databases_reject_is_422_naming_the_field(client: TestClient) -> None:
    admin = login(client, "admin")
    before = journal_length(client, admin)
    for i, (kind, name) in enumerate(BAD_NAMES.items()):
        response = post_json(client, "/api/v1/organisations", {
            "name": name, "corporate_number": corporate_number(i)}, admin, f"bad-name-{i}")
        body = assert_problem(response, 422)
        assert body["field"] == "name", kind
    midori = login(client, "midori")
    account = client.get("/api/v1/accounts", headers=midori).json()["data"][0]["number"]
    application = {"from_account": account, "quantity": 1, "use": "OFFSET",
                   "offset_purpose": "EVENT", "purpose_details": "会議", "fiscal_year": 2026,
                   "credit_user_name": "株式会社サンプル"}
    for i, (field, value) in enumerate([("credit_user_name", "株式会社\ud800"),
                                        ("credit_user_name", "株式会社\x00"),
                                        ("purpose_details", "会議" * 251)]):
        response = post_json(client, "/api/v1/invalidations", application | {field: value},
                             midori, f"bad-user-{i}")
        assert assert_problem(response, 422)["field"] == field
    taiyo = login(client, "taiyo")
    response = post_json(client, "/api/v1/projects/JCP-000001/activities", {
        "code": "HH-LONG", "address": "岐阜県" + "あ" * 10_000, "operation_start": "2026-04-01",
        "expected_tco2_per_year": "1"}, taiyo, "long-address")
    body = assert_problem(response, 422)
    assert body["field"] == "address" and "300" in str(body["detail"])
    assert journal_length(client, admin) == before


def test_text_is_stored_nfc_and_multiline_fields_take_tabs_and_lines(client: TestClient) -> None:
    admin = login(client, "admin")
    decomposed = "株式会社カ\u3099ス"  # カ + combining voiced mark: ガ in NFC
    response = post_json(client, "/api/v1/organisations", {
        "name": decomposed, "corporate_number": corporate_number(99)}, admin, "nfc")
    assert response.status_code == 201, response.text
    assert organisation_names(client, admin)[corporate_number(99)] == "株式会社ガス"
    spaced = "株式会社\u3000全角スペース 200D:\u200d"  # ideographic space and ZWJ are text
    response = post_json(client, "/api/v1/organisations", {
        "name": spaced, "corporate_number": corporate_number(98)}, admin, "spaced")
    assert response.status_code == 201, response.text
    midori = login(client, "midori")
    account = client.get("/api/v1/accounts", headers=midori).json()["data"][0]["number"]
    response = post_json(client, "/api/v1/invalidations", {
        "from_account": account, "quantity": 1, "use": "OFFSET", "offset_purpose": "EVENT",
        "purpose_details": "一行目\n二行目\tタブ", "fiscal_year": 2026,
        "credit_user_name": "株式会社サンプル"}, midori, "multiline")
    assert response.status_code == 201, response.text
    assert response.json()["purpose_details"].split() == ["一行目", "二行目", "タブ"]


HARD_CHARACTERS = ["\ud800", "\udfff", "\x00", "\x7f", "\x85", "\u202a", "\u202e", "\u2066",
                   "\u2069", "\u2028", "\n", "\t", "\r", "\u3000", "\u200d", "\u0301", "\u3099",
                   "\ufeff", "\U0001f600", "ｶ", "ﾞ", "\u00c5", "A"]
NAMES = st.text(st.one_of(st.characters(), st.characters(categories=["Cs", "Cc", "Cf"]),
                          st.sampled_from(HARD_CHARACTERS)), min_size=1, max_size=230)
SERIAL = itertools.count(1000)
FUZZ_EXAMPLES = int(os.environ.get("JCREDIT_FUZZ_EXAMPLES", "0")) or 40


def refused(name: str) -> bool:
    """The rules, written out independently of domain/text.py."""
    bidi = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cs", "Cc", "Zl", "Zp") or ord(char) in bidi:
            return True
    return len(unicodedata.normalize("NFC", name)) > 200


@settings(max_examples=FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=NAMES)
def test_any_text_is_stored_as_read_back_or_refused(client: TestClient, name: str) -> None:
    """Property: whatever the text, never a 500; what is accepted is read back as stored
    (NFC), what is refused is refused for a rule, naming the field (both databases)."""
    admin = login(client, "admin")
    number = corporate_number(next(SERIAL))
    response = post_json(client, "/api/v1/organisations",
                         {"name": name, "corporate_number": number}, admin, f"org-{number}")
    assert response.status_code < 500, (name, response.text)
    stored = " ".join(unicodedata.normalize("NFC", name).split())  # legal names: one space
    if refused(name) or not 2 <= len(stored) <= 200:
        assert_problem(response, 422)
        assert response.json()["field"] == "name"
        return
    assert response.status_code == 201, (name, response.text)
    assert response.json()["name"] == stored
    assert organisation_names(client, admin)[number] == stored


# --- the CLI gets the same checks (SQLite and PostgreSQL) -----------------------------------

def test_the_cli_refuses_huge_ids_and_bad_text(database_url: str, tmp_path: object,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from jcredit.entrypoints.cli.app import app

    monkeypatch.setenv("JCREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")
    runner = CliRunner()

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, [*args, "--json"])
        return result.exit_code, result.stdout + (result.stderr or "")

    pdf = str(tmp_path) + "/notice.pdf"  # type: ignore[operator]
    assert cli("invalidations", "notice", HUGE, "-o", pdf)[0] == 3  # not found
    assert cli("ledger", "notice", HUGE, "-o", pdf)[0] == 3
    code, out = cli("invalidations", "execute", HUGE, "--yes")
    assert code == 4 and "application_ids" in out
    for name in ["株式会社\x00サンプル", "株式会社\u202eサンプル", "株" * 201]:
        code, out = cli("org", "create", "--name", name, "--corporate-number", "7000012050002")
        assert code == 4 and "name" in out, out
    code, out = cli("org", "create", "--name", "株式会社カ\u3099ス", "--corporate-number",
                    "7000012050002")
    assert code == 0 and json.loads(out)["name"] == "株式会社ガス"


# --- the OpenAPI document says what the API answers (finding 14) ---------------------------

def test_openapi_documents_problem_responses_and_parameter_forms(
        sqlite_client: TestClient) -> None:
    document = sqlite_client.get("/api/v1/openapi.json").json()
    assert set(document["components"]["schemas"]["Problem"]["required"]) == {
        "type", "title", "status", "detail"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status in ("400", "422"):
                assert "application/problem+json" in responses[status]["content"], (path, method)
            if operation.get("security"):
                assert {"401", "403"} <= set(responses), (path, method)
            if method == "post":
                assert {"404", "413"} <= set(responses), (path, method)
    account = document["paths"]["/api/v1/accounts/{number}"]["get"]["parameters"][0]
    assert account["schema"]["pattern"] == "^[A-Z]-[0-9]{7}-[0-9]$"
    application = document["paths"]["/api/v1/invalidations/{application_id}"]["get"]
    assert application["parameters"][0]["schema"]["maximum"] == 2**63 - 1
    transfer = document["paths"]["/api/v1/credits/transfer"]["post"]
    key = next(p for p in transfer["parameters"] if p["name"] == "idempotency-key")
    assert key["required"] is True


def test_a_schema_valid_account_number_is_not_refused_for_its_shape(
        sqlite_client: TestClient) -> None:
    admin = login(sqlite_client, "admin")
    assert_problem(sqlite_client.get("/api/v1/accounts/0", headers=admin), 422)
    wrong_digit = sqlite_client.get("/api/v1/accounts/H-0000006-0", headers=admin)
    assert assert_problem(wrong_digit, 404)["field"] == "number"


def test_web_forms_take_a_csv_larger_than_a_json_body(sqlite_client: TestClient) -> None:
    """A CSV pasted into the web UI's text area is a form post, not an API body."""
    response = sqlite_client.post("/login", data={"username": "nobody", "password": "x",
                                                  "csv_text": "a" * (MAX_BODY_BYTES + 1)})
    assert response.status_code != 413 and response.status_code < 500


def test_request_ids_and_idempotency_keys_the_journal_cannot_hold_are_refused(
        client: TestClient) -> None:
    admin = login(client, "admin")
    before = journal_length(client, admin)
    body = {"name": "株式会社テスト", "corporate_number": corporate_number(7)}
    response = client.post("/api/v1/organisations", json=body, headers=admin | {
        "Idempotency-Key": "long-request-id", "X-Request-ID": "r" * 10_000})
    assert assert_problem(response, 422)["field"] == "X-Request-ID"
    client.cookies.clear()
    assert client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD}
                       ).status_code < 500
    import re

    listing = client.get("/invalidations")
    csrf = re.search(r'name="csrf" value="([^"]+)"', listing.text)
    assert csrf is not None, listing.text[:500]
    page = client.post("/invalidations/2/withdraw", data={"csrf": csrf.group(1),
                                                          "idem": "a\x00b"},
                       follow_redirects=False)
    assert page.status_code == 303  # back to the application, with the error as a flash
    client.cookies.clear()
    assert journal_length(client, admin) == before


# --- request bodies parsed by FastAPI (pydantic models): the same limits -------------------

def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def own_accounts(client: TestClient, auth: dict[str, str]) -> list[str]:
    response = client.get("/api/v1/accounts", headers=auth)
    assert response.status_code == 200, response.text
    return [a["number"] for a in response.json()["data"]]


@pytest.mark.parametrize("depth", [33, 40])
def test_an_unknown_field_is_refused_and_nothing_moves(sqlite_client: TestClient,
                                                       depth: int) -> None:
    midori, admin = login(sqlite_client, "midori"), login(sqlite_client, "admin")
    src, dst = own_accounts(sqlite_client, midori)[:2]
    before = journal_length(sqlite_client, admin)
    body = (f'{{"from_account": "{src}", "to_account": "{dst}", "quantity": 1, '
            f'"extra": {nested(depth)}}}')
    response = sqlite_client.post("/api/v1/credits/transfer", content=body.encode(),
                                  headers=midori | {"Idempotency-Key": f"extra-{depth}",
                                                    "Content-Type": "application/json"})
    problem = assert_problem(response, 422)
    assert problem["field"] == "extra"
    assert journal_length(sqlite_client, admin) == before


@pytest.mark.parametrize(("route", "body"), [
    ("/api/v1/credits/transfer", b'{"from_account":'),
    ("/api/v1/auth/token", b'{"username": "admin", "password": }'),
    ("/api/v1/organisations", b"{'name': 'x'}")])
def test_malformed_json_on_a_model_route_is_400_malformed(sqlite_client: TestClient,
                                                          route: str, body: bytes) -> None:
    admin = login(sqlite_client, "admin")
    before = journal_length(sqlite_client, admin)
    response = sqlite_client.post(route, content=body, headers=admin | {
        "Idempotency-Key": "malformed-model", "Content-Type": "application/json"})
    problem = assert_problem(response, 400)
    assert problem["field"] == "body" and problem["code"] == "malformed_body"
    assert "malformed JSON" in str(problem["detail"])
    assert journal_length(sqlite_client, admin) == before


@pytest.mark.parametrize("depth", [100_000, (MAX_BODY_BYTES - 64) // 2])
def test_a_body_nested_as_deep_as_the_size_limit_allows_is_refused_not_a_crash(
        sqlite_client: TestClient, depth: int) -> None:
    midori, admin = login(sqlite_client, "midori"), login(sqlite_client, "admin")
    before = journal_length(sqlite_client, admin)
    for key, body in (("top", nested(depth)), ("field", f'{{"quantity": {nested(depth)}}}')):
        response = sqlite_client.post(
            "/api/v1/credits/transfer", content=body.encode(),
            headers=midori | {"Idempotency-Key": f"deep-{depth}-{key}",
                              "Content-Type": "application/json"})
        assert response.status_code in (400, 422), response.text[:200]
        assert response.headers["content-type"].startswith(PROBLEM)
    assert journal_length(sqlite_client, admin) == before

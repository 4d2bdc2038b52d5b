"""A value the database refuses (``DataError``: too long for PostgreSQL's varchar, a NUL, a
number out of range) or that SQLAlchemy cannot bind (``StatementError``), if validation ever
lets one through, is a 422 problem+json with a generic message, never a 500; a database that
fails otherwise stays a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import StatementError

from jcredit.bootstrap import Registry
from jcredit.entrypoints.api.app import create_app

RAISED: dict[str, Exception] = {
    "data": DataError("INSERT INTO activities …", {"address": "…"},
                      Exception("value too long for type character varying(300)")),
    "bind": StatementError("(builtins.TypeError) not bindable", "INSERT …", {}, None),
    "down": OperationalError("SELECT 1", {}, Exception("server closed the connection")),
}


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    app = create_app(sqlite_registry.settings, registry=sqlite_registry)

    def fail(kind: str) -> None:
        raise RAISED[kind]

    app.add_api_route("/api/v1/test-storage/{kind}", fail, methods=["POST"])
    app.add_api_route("/test-storage/{kind}", fail, methods=["POST"])
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("kind", ["data", "bind"])
def test_a_value_the_database_refuses_is_a_422_problem(client: TestClient, kind: str) -> None:
    response = client.post(f"/api/v1/test-storage/{kind}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 422 and body["code"] == "invalid_input"
    assert "could not be stored" in body["detail"]
    assert "INSERT" not in response.text and "varying" not in response.text
    page = client.post(f"/test-storage/{kind}")
    assert page.status_code == 422 and "INSERT" not in page.text


def test_a_database_that_fails_otherwise_is_still_a_server_error(client: TestClient) -> None:
    assert client.post("/api/v1/test-storage/down").status_code == 500

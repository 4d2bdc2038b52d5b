"""Random bodies against the write routes: the API answers 4xx with problem+json, never 5xx
(performance.md R12, in the small: Hypothesis instead of Schemathesis)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from jcredit.bootstrap import Registry
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import seed_demo

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**12),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                    st.sampled_from(["JCP-000001", "HH-001", "2026-12-01", "EN-R-002", "0.5",
                                     "PROGRAMME", "register", "岐阜県", "H-0000001-8"]))
JSON = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(st.text(max_size=12), children,
                                                    max_size=4)), max_leaves=8)
FIELDS = ["name", "project_type", "methodology", "holder_account", "prefecture", "address",
          "start_date", "monitoring_start", "code", "operation_start",
          "expected_tco2_per_year", "household", "inputs", "verifier", "action", "comment",
          "period_start", "period_end", "activities", "additionality", "plan", "report"]
BODIES = st.one_of(JSON, st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8))
ROUTES = ["/api/v1/projects", "/api/v1/projects/JCP-000001/activities",
          "/api/v1/projects/JCP-000001/verifier", "/api/v1/projects/JCP-000001/actions",
          "/api/v1/projects/JCP-000001/periods", "/api/v1/projects/JCP-000001/periods/1/data",
          "/api/v1/projects/JCP-000001/periods/1/actions",
          "/api/v1/methodologies/EN-R-002/calculate", "/api/v1/methodologies/AG-004/calculate",
          "/api/v1/methodologies/FO-001/calculate", "/api/v1/estimate/PV",
          "/api/v1/estimate/FOREST", "/api/v1/credits/transfer", "/api/v1/invalidations"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from datetime import UTC
    from datetime import datetime

    from jcredit.bootstrap import bootstrap
    from jcredit.config import Settings

    directory = tmp_path_factory.mktemp("fuzz")
    registry: Registry = bootstrap(Settings(data_dir=directory, environment="test"),
                                   clock=lambda: datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    seed_demo(registry)
    with TestClient(create_app(registry.settings, registry=registry),
                    raise_server_exceptions=False) as test_client:
        token = test_client.post("/api/v1/auth/token", json={
            "username": "taiyo", "password": DEMO_PASSWORD}).json()["access_token"]
        yield test_client, {"Authorization": f"Bearer {token}"}
    registry.dispose()


KEYS = itertools.count()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(route=st.sampled_from(ROUTES), body=BODIES)
def test_random_bodies_never_cause_a_server_error(
        client: tuple[TestClient, dict[str, str]], route: str, body: Any) -> None:
    test_client, headers = client
    response = test_client.post(route, json=body,
                                headers=headers | {"Idempotency-Key": f"fuzz-{next(KEYS)}"})
    assert response.status_code < 500, (route, body, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")

"""Random bodies against the write routes: the API answers 4xx with problem+json, never 5xx
(performance.md R12); and Schemathesis against the live OpenAPI document
(/api/v1/openapi.json), in process through the ASGI app, as anonymous, holder, programme
operator and administrator, with all of Schemathesis's checks: no 5xx, every status and
content type documented, every body as its schema says, schema-valid requests accepted and
schema-invalid ones refused.

The suite runs a few examples per operation (the whole module in well under a minute on an
idle machine); the longer run is

    JCREDIT_FUZZ_EXAMPLES=500 .venv/bin/pytest -p no:cacheprovider -s tests/e2e/test_api_fuzz.py

(it prints the operations, cases and failures per role; docs/reliability.md records them).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection
from schemathesis.specs.openapi.checks import positive_data_acceptance

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
          "period_start", "period_end", "activities", "additionality", "plan", "report",
          # the dMRV device registry
          "project", "activity", "device_id", "capacity_ac_kw", "latitude", "channels",
          "public_key", "devices", "confirm"]
BODIES = st.one_of(JSON, st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8))
ROUTES = ["/api/v1/projects", "/api/v1/projects/JCP-000001/activities",
          "/api/v1/projects/JCP-000001/verifier", "/api/v1/projects/JCP-000001/actions",
          "/api/v1/projects/JCP-000001/periods", "/api/v1/projects/JCP-000001/periods/1/data",
          "/api/v1/projects/JCP-000001/periods/1/actions",
          "/api/v1/methodologies/EN-R-002/calculate", "/api/v1/methodologies/AG-004/calculate",
          "/api/v1/methodologies/FO-001/calculate", "/api/v1/estimate/PV",
          "/api/v1/estimate/FOREST", "/api/v1/credits/transfer", "/api/v1/invalidations",
          "/api/v1/dmrv/devices", "/api/v1/dmrv/devices/import",
          "/api/v1/dmrv/devices/PV-1/keys", "/api/v1/dmrv/devices/PV-1/keys/0123456789abcdef/revoke"]


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


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(route=st.sampled_from(ROUTES), body=st.one_of(
    st.binary(max_size=200), st.just(b"[" * 5000), st.just(b'{"name": "\xff\xfe"}'),
    st.just(b'{"a": NaN}'), st.just(b'["\\ud800"]')))
def test_random_bytes_never_cause_a_server_error(
        client: tuple[TestClient, dict[str, str]], route: str, body: bytes) -> None:
    """Bytes that are not JSON, not UTF-8 or nested too deep: 4xx problem+json, no 500."""
    test_client, headers = client
    response = test_client.post(route, content=body, headers=headers | {
        "Idempotency-Key": f"bytes-{next(KEYS)}", "Content-Type": "application/json"})
    assert response.status_code < 500, (route, body, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")


EXAMPLES = int(os.environ.get("JCREDIT_FUZZ_EXAMPLES", "0")) or 3
ROLES = {"anonymous": None, "holder": "midori", "operator": "taiyo", "administrator": "admin"}


MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
# A write's body can be schema-valid and still break a rule no JSON schema states (a check
# digit, a fiscal year, enough credits, an irreversible step confirmed): the domain answers
# 422, 409 or 428 with problem+json naming the field. Reads get Schemathesis's own list.
WRITE_ACCEPTED = {401, 403, 404, 409, 422, 428, 429}


def write_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance for writes: 2xx, or a documented domain rule's answer."""
    meta = case.meta
    if case.method.upper() != "POST" or meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    assert 200 <= status < 300 or status in WRITE_ACCEPTED, (
        f"schema-valid write refused with {status}: {response.text[:300]}")
    return None


def run_operation(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> int:
    """Run ``EXAMPLES`` generated cases of one operation; returns how many ran."""
    ran = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    def run(case: Any) -> None:
        nonlocal ran
        ran += 1
        # A case whose headers were made invalid on purpose (e.g. no Authorization) is sent
        # as generated: adding the token would make it valid again.
        negated_headers = case.meta is not None and any(
            str(location.value) == "header" and not info.mode.is_positive
            for location, info in case.meta.components.items())
        sent = {} if negated_headers else dict(headers)
        if mode.is_positive and "idempotency-key" in {k.lower() for k in case.headers or {}}:
            sent["Idempotency-Key"] = f"schemathesis-{next(KEYS)}"  # a new key per call
        excluded = []
        if case.method.upper() == "POST":
            excluded.append(positive_data_acceptance)
        if case.media_type and case.media_type.startswith("multipart/"):
            # Any bytes are a file: a "file" made a number (0.4) is the file b"0.4" on the wire
            excluded.append(negative_data_rejection)
        case.call_and_validate(headers=sent, excluded_checks=excluded,
                               additional_checks=[write_acceptance])

    try:
        run()
    except Unsatisfiable:  # nothing to negate: an operation without parameters or body
        assert not mode.is_positive
    return ran


@pytest.mark.parametrize("role", list(ROLES))
def test_the_api_does_what_its_openapi_document_says(
        client: tuple[TestClient, dict[str, str]], role: str) -> None:
    test_client, _ = client
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", test_client.app)
    headers = {}
    if ROLES[role] is not None:
        response = test_client.post("/api/v1/auth/token", json={
            "username": ROLES[role], "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.text
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    operations = cases = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in MODES:
            try:
                cases += run_operation(operation, mode, headers)
            except (Exception, BaseExceptionGroup) as error:  # report all operations at once
                failures.append(f"{operation.label} ({mode}): {error}"[:2000])
    print(f"schemathesis as {role}: {operations} operations, {cases} cases, "
          f"{len(failures)} failures")
    assert not failures, "\n\n".join(failures)

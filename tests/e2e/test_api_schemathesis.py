"""Schemathesis against the live OpenAPI document (/api/v1/openapi.json), in process through
the ASGI app, as anonymous, holder, programme operator and administrator, with all of
Schemathesis's checks: no 5xx, every status and content type documented, every body as its
schema says, schema-valid requests accepted and schema-invalid ones refused.

A bounded smoke run by default (a few examples per operation); the longer run is

    JCREDIT_FUZZ_EXAMPLES=500 .venv/bin/pytest -p no:cacheprovider tests/e2e/test_api_schemathesis.py

(docs/reliability.md records its figures).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import seed_demo

EXAMPLES = int(os.environ.get("JCREDIT_FUZZ_EXAMPLES", "0")) or 3
ROLES = {"anonymous": None, "holder": "midori", "operator": "taiyo", "administrator": "admin"}
KEYS = itertools.count()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """One seeded SQLite registry and the demo users' tokens, for the whole module."""
    directory = tmp_path_factory.mktemp("schemathesis")
    registry: Registry = bootstrap(Settings(data_dir=directory, environment="test"),
                                   clock=lambda: datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    seed_demo(registry)
    app = create_app(registry.settings, registry=registry)
    tokens: dict[str, str] = {}
    with TestClient(app) as client:
        for role, username in ROLES.items():
            if username is None:
                continue
            response = client.post("/api/v1/auth/token",
                                   json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.text
            tokens[role] = response.json()["access_token"]
    yield app, tokens
    registry.dispose()


MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
# A write's body can be schema-valid and still break a rule no JSON schema states (a check
# digit, a fiscal year, enough credits, an irreversible step confirmed): the domain answers
# 422, 409 or 428 with problem+json naming the field. Reads get Schemathesis's own list.
WRITE_ACCEPTED = {401, 403, 404, 409, 422, 428, 429}


def write_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance for writes: 2xx, or a documented domain rule's answer."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
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
        if case.method.upper() == "POST":
            case.call_and_validate(headers=sent, excluded_checks=[positive_data_acceptance],
                                   additional_checks=[write_acceptance])
        else:
            case.call_and_validate(headers=sent)

    try:
        run()
    except Unsatisfiable:  # nothing to negate: an operation without parameters or body
        assert not mode.is_positive
    return ran


@pytest.mark.parametrize("role", list(ROLES))
def test_the_api_does_what_its_openapi_document_says(
        seeded: tuple[FastAPI, dict[str, str]], role: str) -> None:
    app, tokens = seeded
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
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

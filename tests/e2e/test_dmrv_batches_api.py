"""Devices send batches over HTTP (POST /api/v1/dmrv/batches): JSON and CSV, receipts,
replays, held conflicts, and a clear refusal for every bad input, with nothing valid lost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from jcredit.domain.dmrv.model import GENESIS
from tests.e2e.support import demo_client
from tests.e2e.support import login
from tests.e2e.test_dmrv_devices import body
from tests.e2e.test_dmrv_devices import signer
from tests.integration.test_dmrv_ingest import Meter
from tests.integration.test_dmrv_ingest import day

URL = "/api/v1/dmrv/batches"


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        headers = login(test_client, "taiyo") | {"Idempotency-Key": "register-1"}
        response = test_client.post("/api/v1/dmrv/devices", json=body(1), headers=headers)
        assert response.status_code == 201, response.text
        yield test_client


def meter() -> Meter:
    return Meter("PV-0001", signer("PV-0001"))


def post(client: TestClient, envelope: bytes, **headers: str) -> Any:
    return client.post(URL, content=envelope, headers={"Content-Type": "application/json"}
                       | headers)


def readings(client: TestClient) -> int:
    registry = client.app.state.registry  # type: ignore[attr-defined]
    table = registry.readings.query("SELECT count(*) AS n FROM readings")
    return int(table.column("n")[0].as_py())


def test_a_batch_is_received_replayed_and_a_conflict_held(client: TestClient) -> None:
    m = meter()
    first = m.batch(day("2026-11-20"))
    response = post(client, first)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["status"] == "ACCEPTED" and receipt["rows"] == 16
    again = post(client, first)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == receipt
    conflict = m.batch(day("2026-11-20", step=700))
    held = post(client, conflict)
    assert held.status_code == 202 and held.json()["status"] == "HELD"
    assert readings(client) == 16


def test_a_csv_batch_with_its_signature_header(client: TestClient) -> None:
    m = meter()
    text = ("# jcredit-batch v1\n# device_id=PV-0001\n# seq=1\n# prev=" + GENESIS
            + f"\n# key_id={m.signer.key_id}\n# created_at=2026-11-23T09:00:00+09:00\n"
            "# unit=kWh\n# interval_s=1800\nstart,channel,register,energy,quality\n"
            "2026-11-22T10:00:00+09:00,generation,1000.5,0.5,measured\n").encode()
    missing = client.post(URL, content=text, headers={"Content-Type": "text/csv"})
    assert missing.status_code == 422 and missing.json()["field"] == "signature"
    ok = client.post(URL, content=text, headers={"Content-Type": "text/csv",
                                                 "X-Jcredit-Signature": m.signer.sign(text)})
    assert ok.status_code == 201, ok.text
    assert readings(client) == 1


@pytest.mark.parametrize(("make", "rule", "field"), [
    (lambda m: Meter("PV-9999").batch(day()), "R01", "device_id"),
    (lambda m: m.batch(day()).replace(b'"energy":600', b'"energy":601', 1), "R02",
     "signature"),
    (lambda m: m.batch(day(), seq=2), "R02", "seq"),
    (lambda m: m.batch(day(), unit="MWh"), "R01", "unit"),
    (lambda m: m.batch([{"start": "2026-11-20T10:00:00", "channel": "generation",
                         "energy": 5}]), "R04", "batch.readings[0].start"),
    (lambda m: m.batch([{"start": "2026-11-20T10:00:00+09:00", "channel": "battery_charge",
                         "energy": 5}]), "R01", "channel"),
    (lambda m: m.batch([{"start": "2026-11-20T10:00:00+09:00", "channel": "generation",
                         "energy": "1.5"}], unit="Wh"), "R01", "batch.readings[0].energy"),
    (lambda m: m.batch(day("2026-12-25")), "R04", "start"),
    (lambda m: b'{"batch": {"v": 1}, "signature": "AA=="', "R01", "batch"),
    # what a hostile sender tries (found by trying): nesting too deep for the parser, a
    # number of more digits than Python converts, a seq beyond 64 bits, values beyond any
    # meter and an exponent that would take forever to expand
    (lambda m: b'{"batch":' + b"[" * 20_000 + b"]" * 20_000 + b',"signature":"AA=="}',
     "R01", "batch"),
    (lambda m: b'{"batch":{"v":1,"seq":' + b"9" * 5001 + b'},"signature":"AA=="}', "R01",
     "batch"),
    (lambda m: m.batch(day(), seq=2**70), "R01", "seq"),
    (lambda m: m.batch([{"start": "2026-11-20T10:00:00+09:00", "channel": "generation",
                         "energy": 10**16}]), "R01", "batch.readings[0].energy"),
    (lambda m: m.batch([{"start": "2026-11-20T10:00:00+09:00", "channel": "generation",
                         "register": "1E999999999"}]), "R01", "batch.readings[0].register"),
    (lambda m: m.batch_series([{"channel": "generation", "start": "2026-11-20T10:00:00+09:00",
                                "register": [1, 10**16]}]), "R01", "batch.series[0].register"),
    (lambda m: m.batch([{"start": "2026-11-20T10:00:00+09:00", "channel": "generation",
                         "energy": "0.0010000000000000000000000000001"}], unit="kWh"), "R01",
     "batch.readings[0].energy"),
    # (a second trial) so small that arithmetic would make it 0; digits read loosely
    (lambda m: m.batch([{"start": "2026-11-20T10:00:00+09:00", "channel": "generation",
                         "register": "1E-999999999"}]), "R01", "batch.readings[0].register"),
    (lambda m: m.batch([{"start": "2026-11-20T10:00:00+09:00", "channel": "generation",
                         "energy": "1_000"}]), "R01", "batch.readings[0].energy"),
    (lambda m: m.batch([{"start": "2026-11-20T10:00:00+09:00", "channel": "generation",
                         "energy": "１２３"}]), "R01", "batch.readings[0].energy"),
    (lambda m: m.batch([{"start": "0001-01-01T00:00:00+14:00", "channel": "generation",
                         "energy": 5}]), "R04", "batch.readings[0].start"),
    (lambda m: m.batch([{"start": "1900-01-01T00:00:00+09:00", "channel": "generation",
                         "energy": 5}]), "R04", "batch.readings[0].start"),
    (lambda m: m.batch(day(), created_at="9999-12-31T23:59:59-23:59"), "R04", "created_at"),
])
def test_bad_batches_are_refused_with_the_rule_field_and_reason(
        client: TestClient, make: Any, rule: str, field: str) -> None:
    m = meter()
    response = post(client, make(m))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert (problem["rule_id"], problem["field"]) == (rule, field)
    assert problem["status"] == 422 and problem["outcome"] == "REFUSED"
    assert problem["reason"] and problem["reason_ja"]
    # nothing of it stored, and the chain did not move: the device's real first batch fits
    assert readings(client) == 0
    fresh = meter()
    assert post(client, fresh.batch(day())).status_code == 201


def test_the_demo_programme_has_metered_households_with_data(sqlite_registry: Registry
                                                            ) -> None:
    from jcredit.entrypoints.demo import DEMO_FLEET_DAYS
    from jcredit.entrypoints.demo import DEMO_FLEET_SITES
    from jcredit.entrypoints.demo import seed_demo

    seed_demo(sqlite_registry, fleet=True)
    with sqlite_registry.uow(write=False) as uow:
        sites = [f"JCP-000001/HH-{i:04d}" for i in range(1, DEMO_FLEET_SITES + 1)]
        counts = uow.dmrv.counts(sites)
    # every household's days, one conflicting batch held; the tampered one refused
    assert counts == {"ACCEPTED": DEMO_FLEET_SITES * DEMO_FLEET_DAYS, "HELD": 1}
    table = sqlite_registry.readings.query(
        "SELECT count(DISTINCT site) AS sites, count(*) AS n FROM readings")
    assert table.to_pylist()[0]["sites"] == DEMO_FLEET_SITES


def test_a_csv_batch_with_a_malformed_line_is_refused_naming_the_line(client: TestClient
                                                                      ) -> None:
    m = meter()
    head = ("# jcredit-batch v1\n# device_id=PV-0001\n# seq=1\n# prev=" + GENESIS
            + f"\n# key_id={m.signer.key_id}\n# created_at=2026-11-23T09:00:00+09:00\n"
            "# unit=kWh\n# interval_s=1800\nstart,channel,register,energy,quality\n"
            "2026-11-22T10:00:00+09:00,generation,1000.5,0.5,measured\n")
    for bad, where in (("2026-11-22T10:30:00+09:00,generation,1001\n", "line 11"),
                       ("2026-11-22T10:30:00+09:00,generation,abc,0.5,measured\n",
                        "line 11.register"),
                       ("2026-11-22 10:30,generation,1001,0.5,measured\n", "line 11.start")):
        text = (head + bad).encode()
        response = client.post(URL, content=text, headers={
            "Content-Type": "text/csv", "X-Jcredit-Signature": m.signer.sign(text)})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == where, response.json()
    assert readings(client) == 0


def test_control_characters_sent_are_escaped_in_both_reasons(client: TestClient) -> None:
    m = meter()
    response = post(client, m.batch([{"start": "2026-11-20T10:00:00+09:00",
                                      "channel": "\u202egeneration", "energy": 5}]))
    assert response.status_code == 422
    problem = response.json()
    assert "\u202e" not in problem["reason_ja"] and "\\u202e" in problem["reason_ja"]
    assert "\u202e" not in problem["reason"]


def test_a_batch_too_large_is_refused_with_its_rule_and_a_japanese_reason(client: TestClient
                                                                          ) -> None:
    response = post(client, b'{"batch": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert response.status_code == 413
    problem = response.json()
    assert (problem["rule_id"], problem["field"], problem["code"]) == ("R01", "body",
                                                                       "payload_too_large")
    assert "バイト" in problem["reason_ja"] and problem["reason"]

"""The same fleet sent over HTTP and over MQTT (a real broker) is stored the same, byte for
byte: the Parquet readings (every column sent, the batch hashes included) and the raw batches.
The columns ingestion derives for the settlement depend on which batches were stored together
(docs/dmrv.md §9); what they settle to is the same."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jcredit.adapters.dmrv.settlement import DuckDBEngine
from jcredit.adapters.dmrv.settlement import Segment
from jcredit.adapters.dmrv.simulator import simulate_fleet
from jcredit.bootstrap import Registry
from jcredit.bootstrap import actor_for
from jcredit.entrypoints.demo import seed_demo
from jcredit.entrypoints.dmrv_fleet import register_fleet
from tests.conftest import Clock
from tests.conftest import fresh_sqlite_url
from tests.conftest import make_registry
from tests.e2e.support import demo_client
from tests.mqtt_broker import MqttBroker
from tests.mqtt_broker import running_worker

PROJECT = "JCP-000001"


def operator(registry: Registry):  # type: ignore[no-untyped-def]
    with registry.uow(write=False) as uow:
        user = uow.users.by_username("taiyo")
    assert user is not None
    return actor_for(user)


def stored(registry: Registry) -> tuple[object, dict[str, bytes]]:
    table = registry.readings.query("SELECT * EXCLUDE (month, credit_wh, link, edge) "
                                    "FROM readings ORDER BY device_id, channel, start")
    hashes = table.column("batch").unique().to_pylist()
    raw = {h: registry.raw_batch(h)[0] for h in hashes}
    return table, raw


@pytest.mark.timeout(120)
def test_http_and_mqtt_store_the_same_readings_byte_for_byte(
        sqlite_registry: Registry, sqlite_template: Path, tmp_path: Path, clock: Clock,
        mqtt_broker: MqttBroker) -> None:
    fleet = simulate_fleet(sites=6, days=3, seed=11, start=date(2026, 10, 1), project=PROJECT)
    envelopes = [b for b in fleet.envelopes() if b.kind == "batch"]
    # over HTTP
    with demo_client(sqlite_registry) as client:
        register_fleet(sqlite_registry, fleet, operator(sqlite_registry), PROJECT)
        for batch in envelopes:
            response = client.post("/api/v1/dmrv/batches", content=batch.data,
                                   headers={"Content-Type": "application/json"})
            assert response.status_code == 201, response.text
    # over MQTT, into a second registry
    other_dir = tmp_path / "mqtt"
    other_dir.mkdir()
    other = make_registry(fresh_sqlite_url(sqlite_template, other_dir), other_dir, clock)
    seed_demo(other)
    register_fleet(other, fleet, operator(other), PROJECT)
    with running_worker(mqtt_broker, other.ingestor.ingest, name="paths",
                        max_group=100) as run:
        for batch in envelopes:
            run.publish(batch.device_id, batch.data)
        run.wait(lambda: run.worker.stats.messages >= len(envelopes), 90)
    worker = run.worker
    assert worker.stats.accepted == len(envelopes)
    over_http, raw_http = stored(sqlite_registry)
    over_mqtt, raw_mqtt = stored(other)
    whole = [Segment("all", 0, 4_102_444_800)]  # to 2100
    settled_http = DuckDBEngine().settle(sqlite_registry.readings.location, whole)
    assert settled_http.num_rows and settled_http.equals(
        DuckDBEngine().settle(other.readings.location, whole))
    other.dispose()
    assert over_http.num_rows == len(envelopes) * 48 * 3 > 0
    assert over_http.equals(over_mqtt)
    assert raw_http == raw_mqtt

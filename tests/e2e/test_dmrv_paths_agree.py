"""The same fleet sent over HTTP and over MQTT (a real broker) is stored the same, byte for
byte: the Parquet readings (every column, the batch hashes included) and the raw batches."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import pytest

from jcredit.adapters.dmrv.mqtt import MqttIngestWorker
from jcredit.adapters.dmrv.mqtt import batch_topic
from jcredit.adapters.dmrv.mqtt import connect
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
from tests.mqtt_broker import forget_session

PROJECT = "JCP-000001"


def operator(registry: Registry):  # type: ignore[no-untyped-def]
    with registry.uow(write=False) as uow:
        user = uow.users.by_username("taiyo")
    assert user is not None
    return actor_for(user)


def stored(registry: Registry) -> tuple[object, dict[str, bytes]]:
    table = registry.readings.query("SELECT * EXCLUDE (month) FROM readings "
                                    "ORDER BY device_id, channel, start")
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
    prefix = MqttBroker.prefix()
    client_id = f"paths-{prefix.rsplit('/', 1)[-1]}"
    worker = MqttIngestWorker(mqtt_broker.url, other.ingestor.ingest, client_id=client_id,
                              prefix=prefix, max_group=100)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    device = connect(mqtt_broker.url, f"dev-{client_id}")
    device.loop_start()
    try:
        deadline = time.monotonic() + 30
        while not worker.subscribed.is_set():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for batch in envelopes:
            device.publish(batch_topic(batch.device_id, prefix), batch.data, qos=1)
        while worker.stats.messages < len(envelopes):
            assert time.monotonic() < deadline + 60, worker.stats
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
        device.loop_stop()
        device.disconnect()
        forget_session(mqtt_broker.url, client_id)
    assert worker.stats.accepted == len(envelopes)
    over_http, raw_http = stored(sqlite_registry)
    over_mqtt, raw_mqtt = stored(other)
    other.dispose()
    assert over_http.num_rows == len(envelopes) * 48 * 3 > 0
    assert over_http.equals(over_mqtt)
    assert raw_http == raw_mqtt

"""The MQTT path against a real Mosquitto broker: the worker ingests what devices publish,
answers each batch with its receipt, and a second delivery stores nothing twice."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from jcredit.adapters.dmrv.mqtt import MqttIngestWorker
from jcredit.adapters.dmrv.mqtt import batch_topic
from jcredit.adapters.dmrv.mqtt import connect
from jcredit.adapters.dmrv.signing import verify
from jcredit.adapters.dmrv.stores import RawBatchStore
from jcredit.adapters.dmrv.stores import ReadingsStore
from jcredit.bootstrap import Registry
from jcredit.service_layer.dmrv.ingest import Ingestor
from tests.integration.test_dmrv_ingest import Device
from tests.integration.test_dmrv_ingest import Key
from tests.integration.test_dmrv_ingest import Meter
from tests.integration.test_dmrv_ingest import day
from tests.mqtt_broker import MqttBroker
from tests.mqtt_broker import forget_session


def wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.timeout(60)
def test_published_batches_are_ingested_answered_and_never_doubled(
        sqlite_registry: Registry, tmp_path: Path, mqtt_broker: MqttBroker) -> None:
    meters = [Meter(f"PV-{i}") for i in range(10)]
    devices = {m.device_id: Device(m.device_id, f"JCP-000001/HH-{i:04d}",
                                   [Key(m.signer.key_id, m.signer.public_raw)])
               for i, m in enumerate(meters)}
    readings = ReadingsStore(tmp_path / "readings")
    ingestor = Ingestor(sqlite_registry.uow, RawBatchStore(tmp_path / "batches"), readings,
                        verify, sqlite_registry.clock,
                        devices=lambda uow, device_id: devices.get(device_id))
    prefix = MqttBroker.prefix()
    client_id = f"worker-{prefix.rsplit('/', 1)[-1]}"
    worker = MqttIngestWorker(mqtt_broker.url, ingestor.ingest, client_id=client_id,
                              prefix=prefix, max_group=50)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    receipts: list[dict[str, Any]] = []
    device = connect(mqtt_broker.url, f"dev-{client_id}")
    device.on_message = lambda _c, _u, m: receipts.append(json.loads(m.payload))
    device.subscribe(f"{prefix}/devices/+/receipts", qos=1)
    device.loop_start()
    try:
        wait_for(worker.subscribed.is_set)
        sent = []
        for d in range(1, 6):
            for meter in meters:
                payload = meter.batch(day(f"2026-11-{10 + d:02d}"))
                sent.append(payload)
                device.publish(batch_topic(meter.device_id, prefix), payload, qos=1)
        device.publish(batch_topic("PV-0", prefix), sent[0], qos=1)  # delivered again
        wait_for(lambda: len(receipts) == 51)
    finally:
        stop.set()
        thread.join(timeout=10)
        device.loop_stop()
        device.disconnect()
        forget_session(mqtt_broker.url, client_id)
    statuses = sorted(r["status"] for r in receipts)
    assert statuses == ["ACCEPTED"] * 51
    assert worker.stats.accepted == 50 and worker.stats.replayed == 1
    count = readings.query("SELECT count(*) AS n, count(DISTINCT (device_id, channel, start)) "
                           "AS k FROM readings").to_pylist()[0]
    assert count == {"n": 50 * 16, "k": 50 * 16}


@pytest.mark.timeout(60)
def test_a_message_that_breaks_the_pipeline_is_refused_and_the_worker_carries_on(
        sqlite_registry: Registry, tmp_path: Path, mqtt_broker: MqttBroker) -> None:
    """A message whose ingestion raises (here a stand-in pipeline that cannot take it) is
    refused with a receipt and acknowledged once the pipeline is seen to work, instead of
    coming back for ever; the good messages beside it are stored."""
    meter = Meter("PV-7")
    devices = {"PV-7": Device("PV-7", "JCP-000001/HH-0007",
                              [Key(meter.signer.key_id, meter.signer.public_raw)])}
    ingestor = Ingestor(sqlite_registry.uow, RawBatchStore(tmp_path / "batches"),
                        ReadingsStore(tmp_path / "readings"), verify, sqlite_registry.clock,
                        devices=lambda uow, device_id: devices.get(device_id))

    def ingest(items: Any) -> Any:
        if any(item.raw == b"poison" for item in items):
            raise RuntimeError("a bug this message reaches")
        return ingestor.ingest(items)

    prefix = MqttBroker.prefix()
    client_id = f"worker-{prefix.rsplit('/', 1)[-1]}"
    worker = MqttIngestWorker(mqtt_broker.url, ingest, client_id=client_id, prefix=prefix,
                              max_group=10, max_wait=0.3)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    receipts: list[dict[str, Any]] = []
    device = connect(mqtt_broker.url, f"dev-{client_id}")
    device.on_message = lambda _c, _u, m: receipts.append(json.loads(m.payload))
    device.subscribe(f"{prefix}/devices/+/receipts", qos=1)
    device.loop_start()
    thread.start()
    try:
        wait_for(worker.subscribed.is_set)
        topic = batch_topic("PV-7", prefix)
        device.publish(topic, meter.batch(day("2026-11-11")), qos=1)
        device.publish(topic, b"poison", qos=1)
        device.publish(topic, meter.batch(day("2026-11-12")), qos=1)
        wait_for(lambda: len(receipts) == 3)
    finally:
        stop.set()
        thread.join(timeout=10)
        device.loop_stop()
        device.disconnect()
        forget_session(mqtt_broker.url, client_id)
    assert sorted(r["status"] for r in receipts) == ["ACCEPTED", "ACCEPTED", "REFUSED"]
    refused = next(r for r in receipts if r["status"] == "REFUSED")
    assert refused["rule_id"] == "R01" and refused["reason_ja"]
    assert worker.stats.accepted == 2 and worker.stats.refused == 1

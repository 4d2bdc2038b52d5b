"""The MQTT path against a real Mosquitto broker: the worker ingests what devices publish,
answers each batch with its receipt, and a second delivery stores nothing twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
from tests.mqtt_broker import running_worker


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
    with running_worker(mqtt_broker, ingestor.ingest, max_group=50) as run:
        sent = []
        for d in range(1, 6):
            for meter in meters:
                payload = meter.batch(day(f"2026-11-{10 + d:02d}"))
                sent.append(payload)
                run.publish(meter.device_id, payload)
        run.publish("PV-0", sent[0])  # delivered again
        run.wait(lambda: len(run.receipts) == 51, 20)
    receipts, worker = run.receipts, run.worker
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

    with running_worker(mqtt_broker, ingest, max_group=10, max_wait=0.3) as run:
        first = meter.batch(day("2026-11-11"))
        run.publish("PV-7", first)
        run.publish("PV-7", b"poison")
        run.publish("PV-7", meter.batch(day("2026-11-12")))
        run.wait(lambda: len(run.receipts) == 3, 20)
        # PV-7's batch under another device's topic: refused there, not replayed
        run.publish("PV-8", first)
        run.wait(lambda: len(run.receipts) == 4, 20)
    receipts, worker = run.receipts, run.worker
    assert sorted(r["status"] for r in receipts[:3]) == ["ACCEPTED", "ACCEPTED", "REFUSED"]
    refused = next(r for r in receipts if r["status"] == "REFUSED")
    assert refused["rule_id"] == "R01" and refused["reason_ja"]
    assert (receipts[3]["status"], receipts[3]["field"]) == ("REFUSED", "device_id")
    assert worker.stats.accepted == 2 and worker.stats.refused == 2

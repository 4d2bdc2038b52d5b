"""`jcredit worker mqtt` against the real broker: killed with SIGKILL in the middle of a
stream and started again, it loses no acknowledged message and stores none twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from jcredit.adapters.dmrv.mqtt import batch_topic
from jcredit.adapters.dmrv.mqtt import connect
from jcredit.bootstrap import actor_for
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.entrypoints.demo import seed_demo
from jcredit.service_layer import commands as c
from tests.e2e.test_dmrv_devices import body
from tests.e2e.test_dmrv_devices import signer
from tests.integration.test_dmrv_ingest import Meter
from tests.integration.test_dmrv_ingest import day
from tests.mqtt_broker import MqttBroker
from tests.mqtt_broker import forget_session

DEVICES = 5
DAYS = 60


def start_worker(env: dict[str, str], client_id: str) -> subprocess.Popen[bytes]:
    jcredit = str(Path(sys.executable).with_name("jcredit"))
    return subprocess.Popen([jcredit, "worker", "mqtt", "--client-id", client_id, "--max-group", "20"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.timeout(180)
def test_a_killed_worker_loses_no_acknowledged_message(tmp_path: Path,
                                                       mqtt_broker: MqttBroker) -> None:
    settings = Settings(data_dir=tmp_path, environment="test")
    registry = bootstrap(settings)
    seed_demo(registry)
    with registry.uow(write=False) as uow:
        user = uow.users.by_username("taiyo")
    assert user is not None
    operator = actor_for(user)
    for i in range(1, DEVICES + 1):
        registry.bus.handle(c.RegisterDevice(**body(i, capacity_ac_kw="4.5", latitude="35.42")),
                            actor=operator)
    registry.dispose()

    prefix = MqttBroker.prefix()
    client_id = f"worker-{prefix.rsplit('/', 1)[-1]}"
    env = os.environ | {"JCREDIT_DATA_DIR": str(tmp_path), "JCREDIT_ENVIRONMENT": "test",
                        "JCREDIT_MQTT_URL": mqtt_broker.url,
                        "JCREDIT_MQTT_TOPIC_PREFIX": prefix, "JCREDIT_SEED_DEMO_DATA": "0"}
    receipts: dict[str, dict[str, Any]] = {}
    device = connect(mqtt_broker.url, f"dev-{client_id}")
    device.on_message = lambda _c, _u, m: receipts.__setitem__(
        json.loads(m.payload)["batch"], json.loads(m.payload))
    device.subscribe(f"{prefix}/devices/+/receipts", qos=1)
    device.loop_start()
    worker = start_worker(env, client_id)
    meters = [Meter(f"PV-{i:04d}", signer(f"PV-{i:04d}")) for i in range(1, DEVICES + 1)]
    try:
        first = meters[0].batch(day("2026-09-01"))
        deadline = time.monotonic() + 60
        while not receipts:  # until the worker runs and its session exists (replays: same)
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker never answered"
            device.publish(batch_topic(meters[0].device_id, prefix), first, qos=1)
            time.sleep(0.5)
        sent = 1
        for d in range(1, DAYS):
            date = f"2026-{9 + (d // 30):02d}-{1 + d % 30:02d}"
            for meter in meters:
                device.publish(batch_topic(meter.device_id, prefix), meter.batch(day(date)),
                               qos=1)
                sent += 1
        wait_for(lambda: len(receipts) >= sent // 3)
        kill_time = datetime.now(UTC).isoformat()
        worker.send_signal(signal.SIGKILL)  # mid-stream: no clean shutdown
        worker.wait(timeout=10)
        killed_at = len(receipts)
        assert killed_at < sent
        worker = start_worker(env, client_id)
        try:
            wait_for(lambda: len(receipts) == sent, seconds=60)
        except AssertionError:
            worker.send_signal(signal.SIGTERM)
            _, err = worker.communicate(timeout=20)
            probe = bootstrap(settings)
            with probe.uow(write=False) as uow:
                stored = uow.dmrv.counts([f"JCP-000001/HH-{i:03d}" for i in range(1, 6)])
                rows = uow.dmrv.of_sites([f"JCP-000001/HH-{i:03d}" for i in range(1, 6)],
                                         limit=1000)
            probe.dispose()
            missing = sorted((r["received_at"], r["device_id"], r["seq"]) for r in rows
                             if r["hash"] not in receipts)
            stored = f"{stored} missing {missing[:5]} … {missing[-3:]} kill {kill_time}"
            raise AssertionError(f"{len(receipts)} of {sent} receipts (killed at {killed_at}); "
                                 f"stored {stored}; "
                                 f"worker: {err.decode()[-6000:]}") from None
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
        device.loop_stop()
        device.disconnect()
        forget_session(mqtt_broker.url, client_id)
    assert {r["status"] for r in receipts.values()} == {"ACCEPTED"}
    registry = bootstrap(settings)
    try:
        with registry.uow(write=False) as uow:
            counts = uow.dmrv.counts([f"JCP-000001/HH-{i:03d}" for i in range(1, 6)])
        assert counts == {"ACCEPTED": sent}
        rows = registry.readings.query(
            "SELECT count(*) AS n, count(DISTINCT (device_id, channel, start)) AS k "
            "FROM readings").to_pylist()[0]
        assert rows == {"n": sent * 16, "k": sent * 16}
        assert registry.readings.staged() == []
    finally:
        registry.dispose()

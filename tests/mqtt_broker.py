"""An MQTT broker for the tests: the local Mosquitto if reachable, else one started here.

``JCREDIT_TEST_MQTT_URL`` names a broker explicitly. Otherwise 127.0.0.1:1883 is tried;
failing that, Debian's ``mosquitto`` (which ``scripts/setup --test`` installs) is started on a
free loopback port with a throw-away configuration and stopped at the end. Tests isolate
themselves by a topic prefix of their own, and remove their persistent sessions.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

DEFAULT_URL = "mqtt://127.0.0.1:1883"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MqttBroker:
    def __init__(self) -> None:
        self.url = os.environ.get("JCREDIT_TEST_MQTT_URL", "")
        self.process: subprocess.Popen[bytes] | None = None
        self.directory: Path | None = None

    def start(self) -> None:
        if self.url:
            return
        if _reachable("127.0.0.1", 1883):
            self.url = DEFAULT_URL
            return
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise RuntimeError("no MQTT broker: install Debian's mosquitto (scripts/setup "
                               "--test) or set JCREDIT_TEST_MQTT_URL")
        port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="jcredit-mqtt-"))
        config = self.directory / "mosquitto.conf"
        config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n"
                          f"persistence false\nmax_queued_messages 0\n"
                          f"max_inflight_messages 0\n")
        self.process = subprocess.Popen([binary, "-c", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _reachable("127.0.0.1", port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("mosquitto did not start")
            time.sleep(0.05)
        self.url = f"mqtt://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    @staticmethod
    def prefix() -> str:
        return f"jcredit-test/{uuid.uuid4().hex[:12]}"


def forget_session(url: str, client_id: str) -> None:
    """End a persistent session a test made (a clean start with no expiry drops it)."""
    from jcredit.adapters.dmrv.mqtt import connect

    client = connect(url, client_id)
    client.disconnect()


@dataclass
class Running:
    """A worker running on a thread, and a device client that hears every receipt."""

    worker: Any
    device: Any
    prefix: str
    receipts: list[dict[str, Any]] = field(default_factory=list)

    def publish(self, device_id: str, payload: bytes) -> Any:
        from jcredit.adapters.dmrv.mqtt import batch_topic

        return self.device.publish(batch_topic(device_id, self.prefix), payload, qos=1)

    def wait(self, condition: Callable[[], bool], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; worker stats {self.worker.stats}")
            time.sleep(0.05)


@contextmanager
def running_worker(broker: MqttBroker, ingest: Callable[..., Any], *, name: str = "worker",
                   **options: Any) -> Iterator[Running]:
    """``jcredit worker mqtt``'s worker on a thread with a persistent session of its own,
    subscribed before this yields; stopped and its session forgotten after."""
    from jcredit.adapters.dmrv.mqtt import MqttIngestWorker
    from jcredit.adapters.dmrv.mqtt import connect

    prefix = MqttBroker.prefix()
    client_id = f"{name}-{prefix.rsplit('/', 1)[-1]}"
    worker = MqttIngestWorker(broker.url, ingest, client_id=client_id, prefix=prefix,
                              **options)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    running = Running(worker, connect(broker.url, f"dev-{client_id}"), prefix)
    running.device.on_message = lambda _c, _u, m: running.receipts.append(
        json.loads(m.payload))
    running.device.subscribe(f"{prefix}/devices/+/receipts", qos=1)
    running.device.loop_start()
    thread.start()
    try:
        running.wait(worker.subscribed.is_set, 30)
        yield running
    finally:
        stop.set()
        thread.join(timeout=20)
        running.device.loop_stop()
        running.device.disconnect()
        forget_session(broker.url, client_id)

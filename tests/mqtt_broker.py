"""An MQTT broker for the tests: the local Mosquitto if reachable, else one started here.

``JCREDIT_TEST_MQTT_URL`` names a broker explicitly. Otherwise 127.0.0.1:1883 is tried;
failing that, Debian's ``mosquitto`` (which ``scripts/setup --test`` installs) is started on a
free loopback port with a throw-away configuration and stopped at the end. Tests isolate
themselves by a topic prefix of their own, and remove their persistent sessions.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

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

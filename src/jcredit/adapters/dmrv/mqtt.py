"""The MQTT path into the ingestion pipeline (docs/dmrv.md §2): a worker subscribed to
``jcredit/v1/devices/+/batches`` at QoS 1 (the prefix is ``JCREDIT_MQTT_TOPIC_PREFIX``).

No acknowledged message is lost: the worker acknowledges a message (PUBACK, paho's
``manual_ack``) only after the group it belongs to was committed and its raw batches were
made durable. Its session is persistent (MQTT 5, a fixed client id, ``clean_start`` false and a
session expiry), so what arrives while it is stopped, or what it received but had not yet
acknowledged when it was killed, is delivered again when it reconnects; the pipeline's
replay check makes a second delivery store nothing twice. The broker must keep queued
messages for offline sessions (Mosquitto: ``persistence true``; ``max_queued_messages``
large enough for the longest outage).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from jcredit.service_layer.dmrv.ingest import Incoming
from jcredit.service_layer.dmrv.ingest import Outcome

log = logging.getLogger(__name__)

PREFIX = "jcredit/v1"  # JCREDIT_MQTT_TOPIC_PREFIX
BATCHES = "{prefix}/devices/+/batches"
RECEIPTS = "{prefix}/devices/{device}/receipts"
SESSION_EXPIRY_S = 7 * 24 * 3600
RECEIPT_TIMEOUT_S = 30.0


def device_of(topic: str) -> str:
    """The device a topic names.

    >>> device_of("jcredit/v1/devices/PV-1/batches")
    'PV-1'
    """
    parts = topic.split("/")
    return parts[-2] if len(parts) >= 3 and parts[-3] == "devices" else ""


def batch_topic(device_id: str, prefix: str = PREFIX) -> str:
    return f"{prefix}/devices/{device_id}/batches"


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """``mqtt://[user:password@]host[:port]`` or ``mqtts://…`` (TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"JCREDIT_MQTT_URL must look like mqtt://host:1883 or "
                             f"mqtts://host:8883, not {url!r}")
        tls = parts.scheme == "mqtts"
        return cls(parts.hostname, parts.port or (8883 if tls else 1883), tls,
                   parts.username, parts.password)


def connect(url: str, client_id: str, *, receive_maximum: int | None = None,
            persistent: bool = False, manual_ack: bool = False) -> mqtt.Client:
    """A connected MQTT 5 client (its network loop not started)."""
    address = BrokerAddress.parse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    client.max_inflight_messages_set(1000)
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if receive_maximum is not None:
        properties.ReceiveMaximum = receive_maximum
    if persistent:
        properties.SessionExpiryInterval = SESSION_EXPIRY_S
    client.connect(address.host, address.port, keepalive=30, clean_start=not persistent,
                   properties=properties)
    return client


@dataclass
class WorkerStats:
    messages: int = 0
    accepted: int = 0
    held: int = 0
    refused: int = 0
    replayed: int = 0
    groups: int = 0
    started: float = field(default_factory=time.monotonic)


class MqttIngestWorker:
    """Receives batches, ingests them in groups, publishes receipts, then acknowledges."""

    def __init__(self, url: str, ingest: Callable[[Sequence[Incoming]], list[Outcome]], *,
                 client_id: str = "jcredit-ingest", max_group: int = 500,
                 max_wait: float = 0.05, receive_maximum: int = 1000,
                 receipts: bool = True, prefix: str = PREFIX) -> None:
        self.url = url
        self.prefix = prefix
        self.ingest = ingest
        self.client_id = client_id
        self.max_group = max_group
        self.max_wait = max_wait
        self.enough = max(1, min(64, max_group // 4))  # a group worth ingesting without waiting
        self.receive_maximum = receive_maximum
        self.receipts = receipts
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.stats = WorkerStats()
        self.subscribed = threading.Event()

    def run(self, stop: threading.Event) -> WorkerStats:
        client = connect(self.url, self.client_id, receive_maximum=self.receive_maximum,
                         persistent=True, manual_ack=True)
        client.on_message = lambda _c, _u, message: self.messages.put(message)
        client.on_connect = self._on_connect
        client.loop_start()
        try:
            while not stop.is_set():
                group = self._collect(stop)
                if group:
                    self._handle(client, group, stop)
        finally:
            client.loop_stop()
            client.disconnect()
        return self.stats

    def _on_connect(self, client: mqtt.Client, _userdata: object, _flags: object,
                    reason: object, _properties: object) -> None:
        # Subscribing again on every (re)connection is harmless with a persistent session.
        client.subscribe(BATCHES.format(prefix=self.prefix), qos=1)
        self.subscribed.set()

    def _collect(self, stop: threading.Event) -> list[mqtt.MQTTMessage]:
        try:
            first = self.messages.get(timeout=0.2)
        except queue.Empty:
            return []
        group, deadline = [first], time.monotonic() + self.max_wait
        while len(group) < self.max_group and not stop.is_set():
            try:  # what has arrived, without waiting
                group.append(self.messages.get_nowait())
                continue
            except queue.Empty:
                pass
            # a backlog drains in the groups it comes in; a trickle waits a little for more
            remaining = deadline - time.monotonic()
            if len(group) >= self.enough or remaining <= 0:
                break
            try:
                group.append(self.messages.get(timeout=remaining))
            except queue.Empty:
                break
        return group

    def _handle(self, client: mqtt.Client, group: list[mqtt.MQTTMessage],
                stop: threading.Event) -> None:
        items = [Incoming(bytes(m.payload), "json", None, "mqtt", m.topic,
                          device_of(m.topic) or None) for m in group]
        outcomes = self._ingest(items, stop)
        if outcomes is None:
            return
        published = []
        if self.receipts:
            for message, outcome in zip(group, outcomes, strict=True):
                device = device_of(message.topic) or str(outcome.body.get("device_id", ""))
                published.append(client.publish(
                    RECEIPTS.format(prefix=self.prefix, device=device),
                    json.dumps(outcome.body, ensure_ascii=False), qos=1))
            # The receipts reach the broker before the batches are acknowledged: a worker
            # killed in between leaves the batches unacknowledged, so they come again and
            # their (replayed) receipts are sent then. paho holds QoS 1 publishes beyond its
            # in-flight window, so waiting is what orders them before the PUBACKs.
            deadline = time.monotonic() + RECEIPT_TIMEOUT_S
            for info in published:
                info.wait_for_publish(max(deadline - time.monotonic(), 0.001))
            if not all(info.is_published() for info in published):
                # the batches are stored: acknowledge them anyway; a device that misses its
                # receipt sends the batch again and gets the same receipt (a replay)
                log.warning("the broker did not confirm %d receipts within %.0f s",
                            sum(not info.is_published() for info in published),
                            RECEIPT_TIMEOUT_S)
        for message, outcome in zip(group, outcomes, strict=True):
            client.ack(message.mid, message.qos)
            self._count(outcome)
        self.stats.groups += 1

    def _ingest(self, items: list[Incoming], stop: threading.Event) -> list[Outcome] | None:
        """The group's outcomes; None when stopped before the pipeline would take them.

        When the group fails while the pipeline itself works (an empty group goes through),
        one message may be what fails: each is then ingested alone, and one that still
        fails is refused with a receipt and acknowledged, so that it cannot stop the worker
        (a message that breaks the pipeline would otherwise come back for ever). When the
        database or the store is down, nothing is acknowledged and the group is retried."""
        while True:
            try:
                return self.ingest(items)
            except Exception:
                log.exception("ingesting %d MQTT messages failed", len(items))
            if self._healthy():
                outcomes = [self._alone(item) for item in items]
                if all(o is not None for o in outcomes):
                    return [o for o in outcomes if o is not None]
            if stop.wait(1.0):
                return None

    def _healthy(self) -> bool:
        try:
            self.ingest([])
        except Exception:
            return False
        return True

    def _alone(self, item: Incoming) -> Outcome | None:
        try:
            return self.ingest([item])[0]
        except Exception:
            if not self._healthy():
                return None  # the pipeline went down: retry the group later
            log.exception("an MQTT message on %s could not be ingested: refused", item.where)
            return Outcome("REFUSED", {
                "status": "REFUSED", "rule_id": "R01", "field": "batch",
                "reason": "the batch could not be processed; it was not stored",
                "reason_ja": "バッチを処理できませんでした（保存していません）"},
                where=item.where)

    def _count(self, outcome: Outcome) -> None:
        s = self.stats
        s.messages += 1
        if outcome.replayed:
            s.replayed += 1
        elif outcome.status == "ACCEPTED":
            s.accepted += 1
        elif outcome.status == "HELD":
            s.held += 1
        else:
            s.refused += 1

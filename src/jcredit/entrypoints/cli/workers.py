"""``jcredit worker``: long-running workers (the MQTT ingestion of meter data)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import typer

from jcredit.entrypoints.cli.app import _registry
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.strict import StrictGroup

worker_app = typer.Typer(help="Long-running workers", no_args_is_help=True, cls=StrictGroup)
app.add_typer(worker_app, name="worker")


@worker_app.command("mqtt")
def mqtt_worker(url: str | None = typer.Option(None, "--url", help="the broker (default: "
                                               "JCREDIT_MQTT_URL)"),
                client_id: str = typer.Option("jcredit-ingest", "--client-id",
                                              help="the persistent session's id: one per "
                                                   "worker"),
                max_group: int = typer.Option(500, "--max-group", min=1, max=5000)) -> None:
    """Receive device batches from the MQTT broker (topic jcredit/v1/devices/+/batches, QoS
    1), ingest them through the same checks as HTTP, publish each receipt to
    jcredit/v1/devices/DEVICE/receipts, and acknowledge only what is stored."""
    from jcredit.adapters.dmrv.mqtt import BrokerAddress
    from jcredit.adapters.dmrv.mqtt import MqttIngestWorker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    registry = _registry()
    broker = url or registry.settings.mqtt_url
    try:
        BrokerAddress.parse(broker)
    except ValueError as error:
        console.print(f"error [--url]: {error}", markup=False)
        raise typer.Exit(2) from None
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker = MqttIngestWorker(broker, registry.ingestor.ingest, client_id=client_id,
                              max_group=max_group, prefix=registry.settings.mqtt_topic_prefix)
    console.print(f"jcredit MQTT worker: {broker} as {client_id}", markup=False)
    registry.ingestor.start()
    try:
        stats = worker.run(stop)
    finally:
        registry.dispose()
    console.print(f"stopped: {stats.messages} messages, {stats.accepted} accepted, "
                  f"{stats.held} held, {stats.replayed} replayed, {stats.refused} refused",
                  markup=False)

"""dMRV throughput: ours vs the raw limit of the same component, measured in the same run.

* ingest:  a simulated fleet's day batches (signed JSON, series form and row form) through the
           ingestion pipeline as ``jcredit dmrv import`` runs it (groups of 1,000: parse,
           signature, key, chain, channels, times, overlap check, raw store, SQL rows, Parquet),
           against a bare pyarrow Parquet write of the same rows (Python columns → Arrow
           table → zstd Parquet file), performance.md R7, aim ≥ 25 %.
* mqtt:    the same batches queued on a Mosquitto broker started for the run (Debian's
           binary, shared/benchmarks-reference/mosquitto.conf), drained by our worker
           (``jcredit worker mqtt``: ingest, receipts, acknowledgement after commit) against a
           bare paho subscriber that only counts (performance.md R8, aim ≥ 50 %, 0 lost).
* rules:   every per-site rule over the fleet's stored readings, in site-days per second,
           with the Parquet read and the pvlib solar context timed apart.

Usage: python benchmarks/dmrv.py [--smoke] [--sites N] [--days D]
Prints a JSON summary; docs/benchmarks.md records the figures and ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

# This directory holds public.py, which as a module would stand for the `public` package
# (atpublic, imported by ibis): take the script's own directory off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import paho.mqtt.client as mqtt
import pyarrow as pa
import pyarrow.parquet as pq
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from jcredit.adapters.dmrv.mqtt import MqttIngestWorker
from jcredit.adapters.dmrv.mqtt import batch_topic
from jcredit.adapters.dmrv.signing import verify
from jcredit.adapters.dmrv.simulator import Fleet
from jcredit.adapters.dmrv.simulator import simulate_fleet
from jcredit.adapters.dmrv.stores import SCHEMA
from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.domain.dmrv.envelope import canonical_bytes
from jcredit.entrypoints.dmrv_fleet import register_fleet
from jcredit.service_layer import commands as c
from jcredit.service_layer.dmrv.ingest import Incoming

START = date(2026, 4, 1)
ORG = "7000012050002"
PROGRAMME_YEAR_READINGS = 100_000 * 17_520  # 100,000 households × 365 × 48 (performance.md)


# -- a registry with a programme of the fleet's households ---------------------------------

def registry_for(fleet: Fleet, directory: Path) -> Registry:
    registry = bootstrap(Settings(data_dir=directory, environment="test"))
    bus = registry.bus
    bus.handle(c.CreateOrganisation(name="ベンチ太陽光プログラム株式会社", corporate_number=ORG),
               actor=SYSTEM_ACTOR)
    account = bus.handle(c.OpenAccount(organisation=ORG), actor=SYSTEM_ACTOR).data["number"]
    project = bus.handle(c.CreateProject(
        name="ベンチ 家庭用太陽光プログラム", project_type="PROGRAMME", methodology="EN-R-002",
        holder_account=account, prefecture="東京都", address="東京都千代田区霞が関1-3-1",
        start_date="2026-01-05", monitoring_start="2026-04-01", implementer=ORG),
        actor=SYSTEM_ACTOR
    ).data["number"]
    assert project == fleet.project, (project, fleet.project)
    register_fleet(registry, fleet, SYSTEM_ACTOR, project)
    return registry


def batches(fleet: Fleet) -> list[bytes]:
    return [b.data for b in fleet.envelopes() if b.kind == "batch"]


# -- ingest ---------------------------------------------------------------------------------

def ingest_rate(fleet: Fleet, envelopes: list[bytes], directory: Path) -> dict[str, Any]:
    registry = registry_for(fleet, directory)
    ingest = registry.ingestor.ingest
    # first use: imports, the Parquet writer, the page cache, the parsing worker processes
    warm = min(200, len(envelopes) // 4)
    ingest([Incoming(e, "json", None, "file") for e in envelopes[:warm]])
    rows = 0
    started = time.perf_counter()
    for i in range(warm, len(envelopes), 1000):
        for outcome in ingest([Incoming(e, "json", None, "file")
                               for e in envelopes[i:i + 1000]]):
            assert outcome.status == "ACCEPTED", outcome.body
            rows += int(outcome.body["rows"])
    seconds = time.perf_counter() - started
    table = registry.readings.query("SELECT * EXCLUDE (month) FROM readings")
    registry.dispose()
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds),
            "stored_rows": table.num_rows, "table": table}


def bare_parquet_rate(table: pa.Table, directory: Path, repeats: int = 3) -> dict[str, Any]:
    """The limit: the same rows from Python columns to an Arrow table to a zstd Parquet file
    (what any pipeline in Python must at least do), best of ``repeats``."""
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    best = float("inf")
    for i in range(repeats):
        started = time.perf_counter()
        arrow = pa.Table.from_pydict(columns, schema=SCHEMA)
        pq.write_table(arrow, directory / f"bare-{i}.parquet", compression="zstd")
        best = min(best, time.perf_counter() - started)
    return {"rows": table.num_rows, "seconds": round(best, 3),
            "rows_per_s": round(table.num_rows / best)}


# -- MQTT -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_broker(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = directory / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                      "max_queued_messages 0\nmax_inflight_messages 0\nlog_dest none\n")
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    broker = subprocess.Popen([binary, "-c", str(config)])
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return broker, f"mqtt://127.0.0.1:{port}"


def _client(url: str, client_id: str, *, persistent: bool, manual_ack: bool = False
            ) -> mqtt.Client:
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    properties = Properties(PacketTypes.CONNECT)
    properties.ReceiveMaximum = 1000
    if persistent:
        properties.SessionExpiryInterval = 3600
    client.connect(host, int(port), clean_start=not persistent, properties=properties)
    return client


def queue_messages(url: str, prefix: str, subscriber: str, envelopes: list[tuple[str, bytes]]
                   ) -> None:
    """Make the subscriber's persistent session, then queue every message on it."""
    session = _client(url, subscriber, persistent=True)
    session.subscribe(f"{prefix}/devices/+/batches", qos=1)
    session.loop(timeout=1.0)
    session.disconnect()
    publisher = _client(url, f"pub-{subscriber}", persistent=False)
    publisher.loop_start()
    infos = [publisher.publish(batch_topic(device, prefix), data, qos=1)
             for device, data in envelopes]
    for info in infos:
        info.wait_for_publish(60)
    publisher.loop_stop()
    publisher.disconnect()


def subscriber_rate(url: str, envelopes: list[tuple[str, bytes]], name: str,
                    each: Callable[[bytes], None] = lambda payload: None) -> dict[str, Any]:
    """A plain paho subscriber draining the same queued messages, doing ``each`` with every
    payload."""
    prefix, client_id = f"bench/{name}", f"{name}-{time.monotonic_ns()}"
    queue_messages(url, prefix, client_id, envelopes)
    count = [0]
    done = threading.Event()

    def on_message(_c: Any, _u: Any, message: Any) -> None:
        each(message.payload)
        count[0] += 1
        if count[0] >= len(envelopes):
            done.set()

    started = time.perf_counter()
    client = _client(url, client_id, persistent=True)
    client.on_message = on_message
    client.loop_start()
    done.wait(300)
    seconds = time.perf_counter() - started
    client.loop_stop()
    client.disconnect()
    return {"messages": count[0], "seconds": round(seconds, 3),
            "messages_per_s": round(count[0] / seconds)}


def bare_subscriber_rate(url: str, envelopes: list[tuple[str, bytes]]) -> dict[str, Any]:
    """The limit: a subscriber that only counts."""
    return subscriber_rate(url, envelopes, "bare")


def verifying_subscriber_rate(url: str, envelopes: list[tuple[str, bytes]],
                              keys: dict[str, bytes]) -> dict[str, Any]:
    """The floor of any worker that does what the issue asks: the bare subscriber, plus for
    each message only what no conforming worker can skip (read the envelope, the canonical
    bytes, the Ed25519 signature verified); nothing stored, no receipts."""
    bad = [0]

    def check(payload: bytes) -> None:
        doc = json.loads(payload)
        body = doc["batch"]
        if not verify(keys[body["key_id"]], doc["signature"], canonical_bytes(body)):
            bad[0] += 1

    result = subscriber_rate(url, envelopes, "verify", check)
    assert bad[0] == 0, bad
    return result


def worker_rate(fleet: Fleet, url: str, envelopes: list[tuple[str, bytes]], directory: Path
                ) -> dict[str, Any]:
    registry = registry_for(fleet, directory)
    registry.ingestor.ingest([])  # opened before the clock starts, as a running worker is
    registry.ingestor.start()
    prefix, name = "bench/worker", f"worker-{time.monotonic_ns()}"
    queue_messages(url, prefix, name, envelopes)
    worker = MqttIngestWorker(url, registry.ingestor.ingest, client_id=name, prefix=prefix,
                              max_group=500)
    stop = threading.Event()
    started = time.perf_counter()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 600
    while worker.stats.messages < len(envelopes) and time.monotonic() < deadline:
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    stop.set()
    thread.join(timeout=30)
    with registry.uow(write=False) as uow:
        stored = sum(uow.dmrv.counts([s.site for s in fleet.sites]).values())
    registry.dispose()
    return {"messages": worker.stats.messages, "accepted": worker.stats.accepted,
            "stored_batches": stored, "lost": len(envelopes) - stored,
            "seconds": round(seconds, 3), "messages_per_s": round(worker.stats.messages
                                                                   / seconds)}


# -- rules ----------------------------------------------------------------------------------

def rules_rate(fleet: Fleet, directory: Path) -> dict[str, Any]:
    """Read the programme's stored readings (one DuckDB scan), add each site's solar context
    (pvlib), run every per-site rule; each step timed on its own, in site-days per second."""
    from jcredit.adapters.dmrv.solar import annotate
    from jcredit.adapters.dmrv.stores import ReadingsStore
    from jcredit.adapters.dmrv.stores import programme_series
    from jcredit.domain.dmrv.model import SiteSeries
    from jcredit.domain.dmrv.rules import evaluate
    from jcredit.domain.dmrv.thresholds import load

    store = ReadingsStore(directory / "readings")
    since, until = fleet.grid.t0, fleet.grid.end
    thresholds = load()
    timing = {"read": 0.0, "solar": 0.0, "rules": 0.0}
    findings = 0
    t0 = time.perf_counter()
    everything = programme_series(store, [s.site for s in fleet.sites], since, until)
    timing["read"] = time.perf_counter() - t0
    for site in fleet.sites:
        channels = everything[site.site]
        t1 = time.perf_counter()
        series = annotate(SiteSeries(site.facts(), channels))
        t2 = time.perf_counter()
        findings += len(evaluate(series, thresholds))
        t3 = time.perf_counter()
        timing["solar"] += t2 - t1
        timing["rules"] += t3 - t2
    site_days = len(fleet.sites) * fleet.grid.days
    return {"site_days": site_days, "findings": findings,
            "seconds": {k: round(v, 3) for k, v in timing.items()},
            "site_days_per_s": {k: round(site_days / v) for k, v in timing.items() if v},
            "site_days_per_s_all": round(site_days / sum(timing.values()))}


# -- main -----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="short run for CI")
    parser.add_argument("--sites", type=int)
    parser.add_argument("--days", type=int)
    args = parser.parse_args()
    sites = args.sites or (6 if args.smoke else 200)
    days = args.days or (2 if args.smoke else 30)
    work = Path(tempfile.mkdtemp(prefix="jcredit-bench-dmrv-"))
    result: dict[str, Any] = {"sites": sites, "days": days}
    try:
        fleet = simulate_fleet(sites=sites, days=days, seed=5, start=START)
        series = dataclasses.replace(fleet, form="series")
        for name, source in (("series", series), ("rows", fleet)):
            envelopes = batches(source)
            ours = ingest_rate(source, envelopes, work / f"ingest-{name}")
            if name == "series":
                result["rules"] = rules_rate(source, work / f"ingest-{name}")
            table = ours.pop("table")
            bare = bare_parquet_rate(table, work)
            result[f"ingest_{name}"] = {
                "batches": len(envelopes), "bytes_per_batch": round(
                    sum(map(len, envelopes)) / len(envelopes)),
                "ours": ours, "bare_parquet": bare,
                "ratio": round(ours["rows_per_s"] / bare["rows_per_s"], 3)}
        envelopes = [(b.device_id, b.data) for b in series.envelopes() if b.kind == "batch"]
        broker, url = start_broker(work)
        try:
            bare = bare_subscriber_rate(url, envelopes)
            keys = {s.signer.key_id: s.signer.public_raw for s in series.sites}
            floor = verifying_subscriber_rate(url, envelopes, keys)
            ours = worker_rate(series, url, envelopes, work / "mqtt")
        finally:
            broker.terminate()
            broker.wait(10)
        result["mqtt"] = {"messages": len(envelopes), "readings_per_message": 144,
                          "ours": ours, "bare_paho": bare, "bare_paho_verifying": floor,
                          "ratio": round(ours["messages_per_s"] / bare["messages_per_s"], 3),
                          "floor_ratio": round(floor["messages_per_s"]
                                               / bare["messages_per_s"], 3)}
        rate = result["ingest_series"]["ours"]["rows_per_s"]
        site_days = 100_000 * 365
        rules = result["rules"]["site_days_per_s_all"]
        result["programme_year"] = {
            "readings": PROGRAMME_YEAR_READINGS,
            "ingest_hours_at_measured_rate": round(PROGRAMME_YEAR_READINGS / rate / 3600, 2),
            "mqtt_hours_at_measured_rate": round(
                site_days / result["mqtt"]["ours"]["messages_per_s"] / 3600, 2),
            "rules_hours_at_measured_rate": round(site_days / rules / 3600, 2)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.smoke:
        assert result["mqtt"]["ours"]["lost"] == 0, result


if __name__ == "__main__":
    sys.exit(main())

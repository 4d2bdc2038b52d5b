"""A large group is parsed and verified in worker processes (adapters/process_pool.py) while
the caller stores the chunks before it: the outcome must be exactly what one process gives,
for every kind of batch, good and bad, in any chunk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jcredit.adapters.dmrv.signing import DeviceSigner
from jcredit.adapters.dmrv.signing import verify
from jcredit.adapters.dmrv.stores import RawBatchStore
from jcredit.adapters.dmrv.stores import ReadingsStore
from jcredit.adapters.process_pool import ProcessPool
from jcredit.domain.dmrv.model import GENESIS
from jcredit.service_layer.dmrv import ingest as pipeline
from jcredit.service_layer.dmrv.ingest import Incoming
from jcredit.service_layer.dmrv.ingest import Ingestor
from tests.conftest import Clock
from tests.conftest import fresh_sqlite_url
from tests.conftest import make_registry
from tests.integration.test_dmrv_ingest import Device
from tests.integration.test_dmrv_ingest import Key
from tests.integration.test_dmrv_ingest import Meter
from tests.integration.test_dmrv_ingest import day
from tests.integration.test_dmrv_ingest import stored


def dates(n: int) -> list[str]:
    return [f"2026-10-{d:02d}" if d <= 31 else f"2026-11-{d - 31:02d}" for d in range(1, n + 1)]


def scenario() -> tuple[dict[str, Device], list[list[Incoming]], dict[str, bytes]]:
    """Two groups from five meters: accepted chains, an in-group replay, a tampered batch,
    an unknown device, a revoked key, another device's key, a conflict with a batch of the
    same group (held), one with the first group (held), a CSV batch, malformed JSON."""
    a, b, c, d, e = (Meter(f"PV-{i}") for i in range(1, 6))
    stranger = Meter("PV-404")
    impostor_signer = DeviceSigner.generate()  # its key id is known, but it is no one's key
    devices = {m.device_id: Device(m.device_id, f"JCP-000001/HH-000{i}",
                                   [Key(m.signer.key_id, m.signer.public_raw)])
               for i, m in enumerate((a, b, c, d, e), start=1)}
    devices["PV-4"].keys[0].revoked = True
    first, second = [], []
    for date in dates(20):
        first.append(Incoming(a.batch(day(date))))
        first.append(Incoming(b.batch(day(date, base=2_000_000))))
    for k, date in enumerate(dates(40)[20:]):
        second.append(Incoming(a.batch(day(date))))
        second.append(Incoming(c.batch(day(date, base=3_000_000))))
        if k == 3:
            tampered = b.batch(day("2026-11-20", base=9), advance=False)
            second.append(Incoming(tampered.replace(b'"energy":600', b'"energy":601', 1)))
            second.append(Incoming(stranger.batch(day(date))))
            second.append(Incoming(d.batch(day(date))))  # revoked key
            second.append(Incoming(b"{not json", where="line x"))
        if k == 7:  # signed by a key that is not PV-5's, under PV-5's name
            second.append(Incoming(e.batch(day(date), advance=False,
                                           key_id=impostor_signer.key_id)))
            second.append(Incoming(impostor_signer.envelope({
                "v": 1, "device_id": "PV-5", "seq": 1, "prev": GENESIS,
                "key_id": impostor_signer.key_id, "created_at": "2026-11-23T09:00:00+09:00",
                "unit": "Wh", "interval_s": 1800, "readings": day(date)})))
        if k == 9:  # conflicts: with a batch of this group, and with the first group (a
            # day before any of this device's in the chunks so far: its stored spans are
            # fetched again from that day)
            second.append(Incoming(c.batch(day(dates(40)[22], base=3_000_000, step=700))))
            second.append(Incoming(a.batch(day(dates(20)[5], step=650))))
        if k == 10:  # a replay of the first group's first batch
            second.append(Incoming(first[0].raw))
        if k == 12:
            text = ("# jcredit-batch v1\n# device_id=PV-5\n# seq=1\n# prev=" + GENESIS
                    + f"\n# key_id={e.signer.key_id}\n# created_at=2026-11-23T09:00:00+09:00"
                    "\n# unit=kWh\n# interval_s=1800\nstart,channel,register,energy\n"
                    "2026-11-22T10:00:00+09:00,generation,1000.5,0.5\n").encode()
            second.append(Incoming(text, "csv", e.signer.sign(text)))
    # what the database says each key id is when the workers start: PV-3's key id is
    # mapped to another key (the workers verify with it and fail; the caller must then
    # verify with the device's real key), PV-2's is missing (learnt as the group goes)
    known = {a.signer.key_id: a.signer.public_raw,
             c.signer.key_id: DeviceSigner.generate().public_raw,
             impostor_signer.key_id: impostor_signer.public_raw}
    return devices, [first, second], known


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "PARALLEL_FROM", 8)
    monkeypatch.setattr(pipeline, "CHUNK", 5)


def run(sqlite_template: Path, directory: Path, clock: Clock, pool: ProcessPool | None,
        devices: dict[str, Device], groups: list[list[Incoming]], known: dict[str, bytes]
        ) -> tuple[list[list[tuple[Any, ...]]], list[tuple[Any, ...]]]:
    directory.mkdir()
    registry = make_registry(fresh_sqlite_url(sqlite_template, directory), directory, clock)
    readings = ReadingsStore(directory / "readings")
    ingestor = Ingestor(registry.uow, RawBatchStore(directory / "batches"), readings, verify,
                        clock, devices=lambda uow, device_id: devices.get(device_id),
                        pool=pool, all_keys=lambda uow: dict(known))
    try:
        results = [[(o.status, o.replayed, o.where,
                     {k: v for k, v in o.body.items() if k not in ("received_at", "receipt")})
                    for o in ingestor.ingest(group)] for group in groups]
        return results, sorted(stored(readings))
    finally:
        registry.dispose()


@pytest.fixture
def pool() -> Iterator[ProcessPool]:
    pool = ProcessPool(2, preload=["jcredit.service_layer.dmrv.ingest"])
    yield pool
    pool.close()


def test_worker_processes_give_exactly_what_one_process_gives(
        sqlite_template: Path, tmp_path: Path, clock: Clock, small_chunks: None,
        pool: ProcessPool) -> None:
    devices, groups, known = scenario()
    alone = run(sqlite_template, tmp_path / "alone", clock, None, devices, groups, known)
    shared = run(sqlite_template, tmp_path / "pool", clock, pool, devices, groups, known)
    assert pool.enabled and pool._workers, "the pool was used"
    assert shared == alone
    outcomes = alone[0][1]
    statuses = [o[0] for o in outcomes]
    assert statuses.count("HELD") == 2 and sum(o[1] for o in outcomes) == 1  # one replay
    refused = {(o[3]["rule_id"], o[3]["field"]) for o in outcomes if o[0] == "REFUSED"}
    assert refused == {("R02", "signature"), ("R01", "device_id"), ("R02", "key_id"),
                       ("R01", "batch")}
    csv = [o for o in outcomes if o[3].get("device_id") == "PV-5" and o[0] == "ACCEPTED"]
    assert len(csv) == 1 and csv[0][3]["rows"] == 1
    assert len(alone[1]) == 16 * (40 + 20 + 20) + 1


def test_a_worker_that_dies_leaves_the_group_to_the_caller(
        sqlite_template: Path, tmp_path: Path, clock: Clock, small_chunks: None,
        pool: ProcessPool, caplog: pytest.LogCaptureFixture) -> None:
    devices, groups, known = scenario()
    alone = run(sqlite_template, tmp_path / "alone", clock, None, devices, groups, known)
    pool.start()
    pool._workers[0].process.kill()
    pool._workers[0].process.wait()
    shared = run(sqlite_template, tmp_path / "pool", clock, pool, devices, groups, known)
    assert shared == alone
    assert not pool.enabled and "parsing the rest in this process" in caplog.text


def test_progress_is_reported_chunk_by_chunk_both_ways(
        sqlite_template: Path, tmp_path: Path, clock: Clock, small_chunks: None,
        pool: ProcessPool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "SERIAL_CHUNK", 7)
    devices, groups, known = scenario()
    for name, use in (("alone", None), ("pool", pool)):
        directory = tmp_path / name
        directory.mkdir()
        registry = make_registry(fresh_sqlite_url(sqlite_template, directory), directory,
                                 clock)
        ingestor = Ingestor(registry.uow, RawBatchStore(directory / "batches"),
                            ReadingsStore(directory / "readings"), verify, clock,
                            devices=lambda uow, device_id: devices.get(device_id), pool=use,
                            all_keys=lambda uow: dict(known))
        calls: list[int] = []
        try:
            ingestor.ingest(groups[0], calls.append)
        finally:
            registry.dispose()
        assert sum(calls) == len(groups[0]) and len(calls) > 3, (name, calls)

"""The ingestion pipeline against the real database and stores (docs/dmrv.md §2–3).

The device directory is a stand-in here (the device registry has its own tests, and the
end-to-end tests go through it); everything else is real: SQLite, the raw batch store, the
Parquet files and DuckDB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jcredit.adapters.dmrv.signing import DeviceSigner
from jcredit.adapters.dmrv.signing import verify
from jcredit.adapters.dmrv.stores import RawBatchStore
from jcredit.adapters.dmrv.stores import ReadingsStore
from jcredit.bootstrap import Registry
from jcredit.domain.dmrv.envelope import batch_hash
from jcredit.domain.dmrv.envelope import canonical_bytes
from jcredit.domain.dmrv.model import GENESIS
from jcredit.service_layer.dmrv.ingest import Incoming
from jcredit.service_layer.dmrv.ingest import Ingestor

JST = "+09:00"


@dataclass
class Key:
    key_id: str
    public_key: bytes
    revoked: bool = False


@dataclass
class Device:
    device_id: str
    site: str
    keys: list[Key]
    channels: tuple[str, ...] = ("generation", "export", "import")

    def accepts(self, key: Key, at: datetime) -> bool:
        return not key.revoked


@dataclass
class Meter:
    """A device that seals batches and remembers its chain."""

    device_id: str
    signer: DeviceSigner = field(default_factory=DeviceSigner.generate)
    seq: int = 0
    prev: str = GENESIS

    def batch(self, readings: list[dict[str, Any]], *, advance: bool = True,
              **overrides: Any) -> bytes:
        return self.seal({"readings": readings}, advance=advance, **overrides)

    def batch_series(self, series: list[dict[str, Any]], *, advance: bool = True,
                     **overrides: Any) -> bytes:
        return self.seal({"series": series}, advance=advance, **overrides)

    def seal(self, content: dict[str, Any], *, advance: bool = True, **overrides: Any
             ) -> bytes:
        body = {"v": 1, "device_id": self.device_id, "seq": self.seq + 1, "prev": self.prev,
                "key_id": self.signer.key_id, "created_at": "2026-11-23T09:00:00+09:00",
                "unit": "Wh", "interval_s": 1800} | content | overrides
        raw = self.signer.envelope(body)
        if advance:
            self.seq, self.prev = body["seq"], batch_hash(canonical_bytes(body))
        return raw


def day(date: str = "2026-11-22", hours: range = range(8, 16), base: int = 1_000_000,
        step: int = 600) -> list[dict[str, Any]]:
    rows, register = [], base
    for h in hours:
        for m in ("00", "30"):
            register += step
            rows.append({"start": f"{date}T{h:02d}:{m}:00{JST}", "channel": "generation",
                         "register": register, "energy": step})
    return rows


@pytest.fixture
def setup(sqlite_registry: Registry, tmp_path: Path) -> tuple[Ingestor, Meter, Device,
                                                               ReadingsStore, RawBatchStore]:
    meter = Meter("PV-1")
    device = Device("PV-1", "JCP-000001/HH-0001", [Key(meter.signer.key_id,
                                                       meter.signer.public_raw)])
    readings = ReadingsStore(tmp_path / "readings")
    raw = RawBatchStore(tmp_path / "batches")
    devices = {"PV-1": device}
    ingestor = Ingestor(sqlite_registry.uow, raw, readings, verify, sqlite_registry.clock,
                        devices=lambda uow, device_id: devices.get(device_id))
    return ingestor, meter, device, readings, raw


def stored(readings: ReadingsStore) -> list[tuple[Any, ...]]:
    table = readings.query("SELECT channel, epoch(start)::BIGINT AS s, register_wh, energy_wh "
                           "FROM readings ORDER BY channel, s")
    return list(zip(*[table.column(c).to_pylist() for c in table.column_names], strict=True))


def test_an_accepted_batch_is_stored_in_parquet_and_replays_return_the_same_receipt(
        setup: Any) -> None:
    ingestor, meter, _, readings, raw = setup
    envelope = meter.batch(day())
    [first] = ingestor.ingest([Incoming(envelope)])
    assert first.status == "ACCEPTED" and first.body["rows"] == 16
    rows = stored(readings)
    assert len(rows) == 16 and rows[0][2] == 1_000_600 and rows[0][3] == 600
    assert rows[0][1] == int(datetime(2026, 11, 22, 8, tzinfo=UTC).timestamp()) - 9 * 3600
    with ingestor.uow(write=False) as uow:
        location = uow.dmrv.raw_locations([first.body["batch"]])[first.body["batch"]]
    signed, signature = raw.get(first.body["batch"], location)
    sent = json.loads(envelope)
    assert signed == canonical_bytes(sent["batch"]) and signature == sent["signature"]
    [again] = ingestor.ingest([Incoming(envelope)])
    assert again.replayed and again.body == first.body
    assert len(stored(readings)) == 16
    assert readings.files() and all(f.startswith("month=2026-11/") for f in readings.files())


def test_the_chain_refuses_a_gap_a_fork_and_a_changed_batch(setup: Any) -> None:
    ingestor, meter, _, readings, _ = setup
    assert ingestor.ingest([Incoming(meter.batch(day()))])[0].status == "ACCEPTED"
    gap = meter.batch(day("2026-11-21"), advance=False, seq=meter.seq + 2)
    fork = meter.batch(day("2026-11-21"), advance=False, seq=1, prev=GENESIS)
    wrong_prev = meter.batch(day("2026-11-21"), advance=False, prev="f" * 64)
    outcomes = ingestor.ingest([Incoming(gap), Incoming(fork), Incoming(wrong_prev)])
    assert [(o.status, o.body["rule_id"], o.body["field"]) for o in outcomes] == [
        ("REFUSED", "R02", "seq"), ("REFUSED", "R02", "seq"), ("REFUSED", "R02", "prev")]
    tampered = meter.batch(day("2026-11-21"), advance=False).replace(b'"energy":600',
                                                                      b'"energy":900', 1)
    [refused] = ingestor.ingest([Incoming(tampered)])
    assert (refused.body["rule_id"], refused.body["field"]) == ("R02", "signature")
    assert len(stored(readings)) == 16


def test_unknown_devices_revoked_keys_future_times_and_zoneless_times_are_refused(
        setup: Any) -> None:
    ingestor, meter, device, readings, _ = setup
    stranger = Meter("PV-404")
    [unknown] = ingestor.ingest([Incoming(stranger.batch(day()))])
    assert (unknown.body["rule_id"], unknown.body["field"]) == ("R01", "device_id")
    future = meter.batch(day("2026-11-23", range(13, 14)), advance=False)
    [late] = ingestor.ingest([Incoming(future)])
    assert late.body["rule_id"] == "R04"
    zoneless = meter.batch([{"start": "2026-11-22T08:00:00", "channel": "generation",
                             "energy": 5}], advance=False)
    [naive] = ingestor.ingest([Incoming(zoneless)])
    assert naive.body["rule_id"] == "R04" and "time zone" in naive.body["reason"]
    device.keys[0].revoked = True
    [revoked] = ingestor.ingest([Incoming(meter.batch(day(), advance=False))])
    assert (revoked.body["rule_id"], revoked.body["field"]) == ("R02", "key_id")
    assert stored(readings) == []


def test_a_conflicting_batch_is_held_whole_and_identical_overlap_is_dropped(setup: Any
                                                                            ) -> None:
    ingestor, meter, _, readings, _ = setup
    ingestor.ingest([Incoming(meter.batch(day(hours=range(8, 12))))])
    overlap = day(hours=range(8, 16))  # the same first eight, then eight new
    [more] = ingestor.ingest([Incoming(meter.batch(overlap))])
    assert (more.status, more.body["rows"], more.body["duplicates"]) == ("ACCEPTED", 8, 8)
    conflict = day(hours=range(14, 18), base=1_000_000 + 12 * 600, step=700)
    [held] = ingestor.ingest([Incoming(meter.batch(conflict))])
    assert held.status == "HELD" and held.body["rows"] == 0
    with ingestor.uow(write=False) as uow:  # kept for review, not merged
        assert uow.dmrv.get(held.body["batch"])["status"] == "HELD"
        assert uow.dmrv.raw_locations([held.body["batch"]])
    assert len(stored(readings)) == 16
    # the chain moved on: the next batch follows the held one
    [nxt] = ingestor.ingest([Incoming(meter.batch(day("2026-11-21")))])
    assert nxt.status == "ACCEPTED"


def test_a_group_keeps_the_valid_batches_beside_a_bad_one(setup: Any) -> None:
    ingestor, meter, _, readings, _ = setup
    good1 = meter.batch(day("2026-11-20"))
    bad = b'{"batch": {"v": 1}, "signature": "x"}'
    deep = b'{"batch":' + b"[" * 50_000 + b"]" * 50_000 + b',"signature":"x"}'
    long = b'{"batch":{"v":1,"seq":' + b"9" * 5001 + b'},"signature":"x"}'
    huge_seq = meter.batch(day("2026-11-21"), advance=False, seq=2**70)
    good2 = meter.batch(day("2026-11-21"))
    outcomes = ingestor.ingest([Incoming(good1), Incoming(bad, where="line 2"),
                                Incoming(deep), Incoming(long), Incoming(huge_seq),
                                Incoming(good2)])
    assert [o.status for o in outcomes] == ["ACCEPTED"] + ["REFUSED"] * 4 + ["ACCEPTED"]
    assert outcomes[1].where == "line 2" and outcomes[1].body["rule_id"] == "R01"
    assert [o.body["field"] for o in outcomes[2:5]] == ["batch", "batch", "seq"]
    assert len(stored(readings)) == 32


def test_a_csv_batch_is_verified_over_its_exact_bytes(setup: Any) -> None:
    ingestor, meter, _, readings, _ = setup
    text = ("# jcredit-batch v1\n# device_id=PV-1\n# seq=1\n# prev=" + GENESIS
            + f"\n# key_id={meter.signer.key_id}\n# created_at=2026-11-23T09:00:00+09:00\n"
            "# unit=kWh\n# interval_s=1800\nstart,channel,register,energy,quality\n"
            "2026-11-22T10:00:00+09:00,generation,1000.5,0.5,measured\n"
            "2026-11-22T10:30:00+09:00,generation,1001.1,0.6,measured\n").encode()
    signature = meter.signer.sign(text)
    [bad] = ingestor.ingest([Incoming(text + b"\n", "csv", signature)])
    assert bad.body["rule_id"] == "R02"
    [ok] = ingestor.ingest([Incoming(text, "csv", signature)])
    assert ok.status == "ACCEPTED"
    ten = int(datetime(2026, 11, 22, 1, tzinfo=UTC).timestamp())  # 10:00 JST
    assert stored(readings) == [("generation", ten, 1_000_500, 500),
                                ("generation", ten + 1800, 1_001_100, 600)]


def test_recovery_publishes_committed_files_and_removes_the_rest(setup: Any,
                                                                 tmp_path: Path) -> None:
    ingestor, meter, _, readings, _ = setup
    original = readings.publish
    readings.publish = lambda names: None  # the process dies after the commit
    ingestor.ingest([Incoming(meter.batch(day()))])
    readings.publish = original
    assert readings.files() == [] and len(readings.staged()) == 1
    orphan = tmp_path / "readings" / "month=2026-11" / "part-deadbeef.parquet.tmp"
    orphan.write_bytes(b"not committed")
    assert ingestor.recover() == {"published": 1, "removed": 1}
    assert len(stored(readings)) == 16 and not orphan.exists()


def test_receipts_are_json_with_a_seal(setup: Any) -> None:
    ingestor, meter, _, _, _ = setup
    [outcome] = ingestor.ingest([Incoming(meter.batch(day()))])
    body = dict(outcome.body)
    seal = body.pop("receipt")
    import hashlib

    assert seal == hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    assert body["received_at"] == (datetime(2026, 11, 23, 3, tzinfo=UTC)
                                   + timedelta(0)).isoformat()


def test_a_sites_readings_come_back_per_channel_in_order(setup: Any) -> None:
    from jcredit.adapters.dmrv.stores import channel_series

    ingestor, meter, _, readings, _ = setup
    ingestor.ingest([Incoming(meter.batch(day("2026-11-21"))),
                     Incoming(meter.batch_series([{"channel": "export",
                                                   "start": "2026-11-22T10:00:00+09:00",
                                                   "energy": [100, None, 300]}]))])
    since = int(datetime(2026, 11, 21, tzinfo=UTC).timestamp()) - 9 * 3600
    series = channel_series(readings, "JCP-000001/HH-0001", since, since + 2 * 86400)
    assert sorted(series) == ["export", "generation"]
    assert len(series["generation"]) == 16
    assert series["generation"].start == sorted(series["generation"].start)
    assert series["export"].energy_wh == [100, 300]  # the null pair is a gap, not a zero
    assert series["export"].start[1] - series["export"].start[0] == 3600
    assert channel_series(readings, "JCP-000001/HH-0001", since - 86400, since) == {}


def test_a_pack_is_self_describing_and_a_changed_record_is_refused(tmp_path: Path) -> None:
    from jcredit.domain.errors import ConflictError

    store = RawBatchStore(tmp_path)
    items = [(batch_hash(b), b, f"sig{i}") for i, b in enumerate([b"{}", b'{"a":1}'])]
    where = store.put_many("g1", items, day="2026-11-23")
    assert store.get(items[1][0], where[items[1][0]]) == (b'{"a":1}', "sig1")
    [pack] = store.packs()
    data = (tmp_path / pack).read_bytes()
    assert [(d, s, b) for d, s, b in RawBatchStore.records(data)] == [
        (d, s, b) for d, b, s in items]
    (tmp_path / pack).write_bytes(data.replace(b'{"a":1}', b'{"a":2}'))
    with pytest.raises(ConflictError):
        store.get(items[1][0], where[items[1][0]])
    with pytest.raises(ConflictError):
        store.put_many("g2", [(items[0][0], b"other", "s")], day="2026-11-23")


def test_a_batch_across_a_month_end_is_split_into_both_months(setup: Any) -> None:
    ingestor, meter, _, readings, _ = setup
    # 2026-11-01 08:00 JST is 2026-10-31 23:00 UTC: the partitions are UTC months
    [outcome] = ingestor.ingest([Incoming(meter.batch(day("2026-11-01", hours=range(8, 10))))])
    assert outcome.status == "ACCEPTED"
    assert sorted(f.split("/")[0] for f in readings.files()) == ["month=2026-10",
                                                                 "month=2026-11"]
    table = readings.query("SELECT month, count(*) AS n FROM readings GROUP BY month "
                           "ORDER BY month")
    assert table.to_pylist() == [{"month": "2026-10", "n": 2}, {"month": "2026-11", "n": 2}]


def test_a_programmes_readings_in_one_scan_match_each_sites(setup: Any) -> None:
    from jcredit.adapters.dmrv.stores import channel_series
    from jcredit.adapters.dmrv.stores import programme_series

    ingestor, meter, _, readings, _ = setup
    ingestor.ingest([Incoming(meter.batch(day("2026-11-20"))),
                     Incoming(meter.batch(day("2026-11-21")))])
    since = int(datetime(2026, 11, 19, tzinfo=UTC).timestamp())
    site = "JCP-000001/HH-0001"
    together = programme_series(readings, [site, "JCP-000001/HH-0404"], since,
                                since + 4 * 86400)
    assert list(together) == [site]
    assert together[site] == channel_series(readings, site, since, since + 4 * 86400)
    assert len(together[site]["generation"]) == 32

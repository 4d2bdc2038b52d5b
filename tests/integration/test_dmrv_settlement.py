"""Settlement energy (adapters/dmrv/settlement.py): one Ibis definition, DuckDB and Spark give
the same integers, and a clean site's figures equal a hand calculation from its readings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from jcredit.adapters.dmrv.settlement import DuckDBEngine
from jcredit.adapters.dmrv.settlement import Segment
from jcredit.adapters.dmrv.settlement import SparkEngine
from jcredit.adapters.dmrv.signing import verify
from jcredit.adapters.dmrv.simulator import Fleet
from jcredit.adapters.dmrv.simulator import simulate_fleet
from jcredit.adapters.dmrv.stores import RawBatchStore
from jcredit.adapters.dmrv.stores import ReadingsStore
from jcredit.bootstrap import Registry
from jcredit.service_layer.dmrv.ingest import Incoming
from jcredit.service_layer.dmrv.ingest import Ingestor
from tests.integration.test_dmrv_ingest import Device
from tests.integration.test_dmrv_ingest import Key

JST = timedelta(hours=9)
START = date(2026, 3, 27)  # four days of FY2025, then FY2026


def jst_midnight(day: date) -> int:
    return int((datetime(day.year, day.month, day.day, tzinfo=UTC) - JST).timestamp())


SEGMENTS = [Segment("FY2025", jst_midnight(START), jst_midnight(date(2026, 4, 1))),
            Segment("FY2026", jst_midnight(date(2026, 4, 1)), jst_midnight(date(2026, 4, 6)))]


def store(fleet: Fleet, registry: Registry, directory: Path) -> ReadingsStore:
    readings = ReadingsStore(directory / "readings")
    devices = {s.device_id: Device(s.device_id, s.site, [Key(s.signer.key_id,
                                                             s.signer.public_raw)],
                                   channels=("generation", "export", "import"))
               for s in fleet.sites}
    ingestor = Ingestor(registry.uow, RawBatchStore(directory / "batches"), readings, verify,
                        lambda: datetime(2026, 5, 1, tzinfo=UTC),
                        devices=lambda uow, device_id: devices.get(device_id))
    outcomes = ingestor.ingest([Incoming(b.data, "json", None, "file")
                                for b in fleet.envelopes()])
    kinds = [b.kind for b in fleet.envelopes()]
    # every chained batch stored (a conflicting one held), only a tampered one refused
    assert [o.status == "REFUSED" for o in outcomes] == [k == "tampered" for k in kinds]
    return readings


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkEngine]:
    yield SparkEngine("local[2]")


def rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def test_a_clean_sites_energy_equals_the_hand_calculation(sqlite_registry: Registry,
                                                          tmp_path: Path) -> None:
    fleet = simulate_fleet(sites=2, days=10, seed=11, start=START)
    readings = store(fleet, sqlite_registry, tmp_path)
    result = rows(DuckDBEngine().settle(readings.root, SEGMENTS))
    site = fleet.sites[0]
    for segment in SEGMENTS:
        inside = (site.start >= segment.start) & (site.start < segment.end) & site.present
        for channel in ("generation", "export", "import"):
            # by hand: the interval energies the meter reported, all measured, no gaps
            expected = int(site.energy[channel][inside].sum())
            [got] = [r for r in result if (r["site"], r["segment"], r["channel"])
                     == (site.site, segment.name, channel)]
            assert got["energy_wh"] == expected and got["readings"] == int(inside.sum())
            assert got["creditable"] == got["readings"]
    # the register agrees: the last register of FY2025 minus the one before its first
    gen = site.register["generation"]
    first = int((site.start < SEGMENTS[0].start).sum())
    last = int((site.start < SEGMENTS[0].end).sum()) - 1
    [fy25] = [r for r in result if (r["site"], r["segment"], r["channel"])
              == (site.site, "FY2025", "generation")]
    assert fy25["energy_wh"] == int(gen[last]) - int(gen[first]) + int(
        site.energy["generation"][first])


def test_gaps_estimates_resets_and_exclusions_are_not_credited(sqlite_registry: Registry,
                                                               tmp_path: Path) -> None:
    fleet = simulate_fleet(sites=4, days=10, seed=12, start=START,
                           faults=("gap_estimated", "register_reset"), fault_sites=1)
    readings = store(fleet, sqlite_registry, tmp_path)
    engine = DuckDBEngine()
    plain = {(r["site"], r["segment"], r["channel"]): r
             for r in rows(engine.settle(readings.root, SEGMENTS))}
    for site in fleet.sites:
        if not site.faults:
            continue
        total = sum(r["readings"] - r["creditable"] for k, r in plain.items()
                    if k[0] == site.site)
        assert total > 0, (site.faults, "some readings of a faulty site are not credited")
    clean = next(s for s in fleet.sites if not s.faults)
    noon = jst_midnight(date(2026, 4, 2)) + 3 * 3600  # 12:00 JST
    excluded = rows(engine.settle(readings.root, SEGMENTS,
                                  [(clean.site, noon, noon + 2 * 3600)]))
    key = (clean.site, "FY2026", "generation")
    after = next(r for r in excluded if (r["site"], r["segment"], r["channel"]) == key)
    taken = [i for i in range(len(clean.start))
             if noon <= clean.start[i] < noon + 2 * 3600 and clean.present[i]]
    assert len(taken) == 4
    assert after["readings"] == plain[key]["readings"] - 4
    assert after["energy_wh"] == plain[key]["energy_wh"] - sum(
        int(clean.energy["generation"][i]) for i in taken)


def test_duckdb_and_spark_give_the_same_settlement(sqlite_registry: Registry, tmp_path: Path,
                                                   spark: SparkEngine) -> None:
    fleet = simulate_fleet(sites=8, days=10, seed=13, start=START, faults="all",
                           fault_sites=1)
    readings = store(fleet, sqlite_registry, tmp_path)
    exclusions = [(fleet.sites[1].site, SEGMENTS[1].start, SEGMENTS[1].start + 86_400)]
    duck = rows(DuckDBEngine().settle(readings.root, SEGMENTS, exclusions))
    sparked = rows(spark.settle(readings.root, SEGMENTS, exclusions))
    assert duck and sparked == duck


def test_the_first_interval_of_a_month_takes_its_delta_from_the_month_before(
        tmp_path: Path) -> None:
    """The engines read only the month partitions a settlement needs, and the one before:
    the reading before a period's first interval may lie in the previous month."""
    from jcredit.domain.dmrv.model import ReadingRows

    april = int(datetime(2026, 4, 1, tzinfo=UTC).timestamp())  # a UTC month boundary
    data = ReadingRows(channel=["generation"] * 3, start=[april - 1800, april, april + 1800],
                       register_wh=[1000, 1500, 1700], energy_wh=[None, None, None],
                       quality=["measured"] * 3,
                       runs=[(3, "P/HH-1", "PV-1", 1800, "ab" * 32)])
    readings = ReadingsStore(tmp_path / "readings")
    readings.publish(readings.stage(data, "g1"))
    assert sorted(readings.files())[0].startswith("month=2026-03/")
    result = rows(DuckDBEngine().settle(readings.root,
                                           [Segment("P", april, april + 3600)]))
    assert [(r["energy_wh"], r["readings"], r["creditable"]) for r in result] == [(700, 2, 2)]

"""The settlement's definition of a reading's creditable energy (docs/dmrv.md §9, step 1),
checked against a reference written the plain way: each reading's register delta from the
reading of its device and channel that starts one interval (its own) before it, with the
same interval.

Ingestion derives most of it from the readings it stores together (``credit_wh``, ``link``,
``edge`` in ``adapters/dmrv/stores.py``) and the engines look up only the readings at the
edges of what was stored together; the two must agree with the reference whatever the
batches and groups are: split anywhere, readings of a batch in any order, batches
interleaved, any number of batches stored together, a re-sent batch that overlaps stored ones
(only its new readings stored), gaps, missing registers, estimates, resets, month boundaries,
and a store written before the derived columns existed, once upgraded."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from jcredit.adapters.dmrv.settlement import DuckDBEngine
from jcredit.adapters.dmrv.settlement import Segment
from jcredit.adapters.dmrv.settlement import SparkEngine
from jcredit.adapters.dmrv.stores import ReadingsStore
from jcredit.adapters.dmrv.stores import table_of
from jcredit.domain.dmrv.model import ReadingRows

MAY = int(datetime(2026, 5, 1, tzinfo=UTC).timestamp())  # a UTC month boundary
Row = tuple[str, str, str, int, int, int | None, int | None, str]  # site … quality


def readings_of(rng: random.Random) -> list[Row]:
    """Two sites' devices, two channels, a day around a month boundary: gaps, missing
    registers or energies, estimates, a register reset, and a device that changes its
    interval (from 30 to 15 minutes or back) on the way."""
    rows: list[Row] = []
    for d in range(2):
        cadences = rng.choice(((1800, 1800), (900, 900), (1800, 900), (900, 1800)))
        switch = MAY + 1800 * rng.randrange(-6, 8)
        for channel in ("generation", "export"):
            register = rng.randrange(0, 10_000)
            start = MAY - 1800 * rng.randrange(1, 15)
            for _ in range(rng.randrange(5, 60)):
                seconds = cadences[start >= switch]
                energy = rng.randrange(0, 900)
                register = rng.randrange(0, 50) if rng.random() < 0.04 else register + energy
                if rng.random() >= 0.12:  # else a gap
                    reg = None if rng.random() < 0.1 else register
                    en = None if reg is not None and rng.random() < 0.3 else energy
                    quality = "measured" if rng.random() < 0.9 else rng.choice(
                        ("estimated", "interpolated"))
                    rows.append((f"P/HH-{d}", f"PV-{d}", channel, start, seconds, reg, en,
                                 quality))
                start += seconds
    return rows


def batches_of(rows: list[Row], rng: random.Random) -> list[list[Row]]:
    """The rows as batches in arrival order: cut by time at random points, some rows moved
    to another batch of the device (interleaved), each batch's rows shuffled, and re-sent
    batches overlapping earlier ones (their repeated rows are not stored twice)."""
    by_device: dict[tuple[str, int], list[Row]] = defaultdict(list)  # a batch: one interval
    for row in sorted(rows, key=lambda r: (r[1], r[3], r[2])):
        by_device[row[1], row[4]].append(row)
    batches: list[list[Row]] = []
    for device_rows in by_device.values():
        cuts = sorted(rng.sample(range(1, len(device_rows)), min(len(device_rows) - 1,
                                                                 rng.randrange(0, 6))))
        parts = [device_rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(device_rows)],
                                                  strict=True)]
        for i in range(len(parts)):
            for row in list(parts[i]):
                if len(parts) > 1 and rng.random() < 0.08:
                    parts[i].remove(row)
                    parts[rng.randrange(len(parts))].append(row)
        parts = [p for p in parts if p]
        if parts and rng.random() < 0.5:  # a re-send of rows already sent, and more
            a = rng.randrange(len(device_rows))
            parts.append(device_rows[a:a + rng.randrange(1, 20)])
        batches += parts
    rng.shuffle(batches)
    stored: set[tuple[str, str, int]] = set()
    out = []
    for batch in batches:
        new = [r for r in batch if (r[1], r[2], r[3]) not in stored]
        stored.update((r[1], r[2], r[3]) for r in new)
        rng.shuffle(new)
        if new:
            out.append(new)
    return out


def store_batches(batches: list[list[Row]], root: Path, *, old_every: int = 0,
                  group: int = 3) -> ReadingsStore:
    """Each batch a run; ``group`` batches stored together (one ingestion group's files).
    With ``old_every``, every such group's files are rewritten without the derived columns
    (as an older version wrote them), and the store is upgraded."""
    store = ReadingsStore(root)
    for g in range(0, len(batches), group):
        data = ReadingRows()
        for i, batch in enumerate(batches[g:g + group]):
            data.runs.append((len(batch), batch[0][0], batch[0][1], batch[0][4],
                              f"{g + i:064x}"))
            for _, _, channel, start, _, reg, en, quality in batch:
                data.channel.append(channel)
                data.start.append(start)
                data.register_wh.append(reg)
                data.energy_wh.append(en)
                data.quality.append(quality)
        names = store.stage(data, f"g{g:04d}")
        store.publish(names)
        if old_every and (g // group) % old_every == 0:
            for name in names:
                path = Path(store.root) / name
                table = pq.read_table(path, partitioning=None)
                pq.write_table(table.drop_columns(["credit_wh", "link", "edge"]), path)
    if old_every:
        assert store.upgrade() > 0
        assert store.upgrade() == 0  # the marker: a current store is not read again
    return store


def reference(rows: list[Row], segments: list[Segment]) -> dict[tuple[str, str, str], tuple[
        int, int, int]]:
    """Per site, segment and channel: (energy Wh, readings, creditable), the plain way: the
    reading before a reading is the one of its device and channel that starts one interval
    (its own) earlier, with the same interval."""
    by_key = {(r[0], r[1], r[2], r[3]): r for r in rows}
    sums: dict[tuple[str, str, str], list[int]] = {}
    for site, device, channel, start, seconds, reg, en, quality in rows:
        before = by_key.get((site, device, channel, start - seconds))
        if before is not None and before[4] != seconds:
            before = None
        if quality != "measured":
            energy = None
        elif before is not None and reg is not None and before[5] is not None:
            energy = reg - before[5]
        else:
            energy = en
        if energy is not None and energy < 0:
            energy = None
        segment = next((s.name for s in segments if s.start <= start < s.end), None)
        if segment is None:
            continue
        total = sums.setdefault((site, segment, channel), [0, 0, 0])
        total[0] += energy or 0
        total[1] += 1
        total[2] += energy is not None
    return {k: (v[0], v[1], v[2]) for k, v in sums.items()}


def settled(table: Any) -> dict[tuple[str, str, str], tuple[int, int, int]]:
    return {(r["site"], r["segment"], r["channel"]): (r["energy_wh"], r["readings"],
                                                        r["creditable"])
            for r in table.to_pylist()}


SEGMENTS = [Segment("before", MAY - 8 * 3600, MAY), Segment("after", MAY, MAY + 20 * 3600)]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), old_every=st.sampled_from((0, 0, 2)),
       group=st.integers(1, 12))
def test_the_derived_columns_settle_as_the_plain_definition(tmp_path_factory: Any, seed: int,
                                                             old_every: int, group: int) -> None:
    rng = random.Random(seed)
    rows = readings_of(rng)
    batches = batches_of(rows, rng)
    root = tmp_path_factory.mktemp("readings")
    store = store_batches(batches, root, old_every=old_every, group=group)
    assert settled(DuckDBEngine().settle(store.root, SEGMENTS)) == reference(rows, SEGMENTS)


def test_derived_columns_of_a_batch() -> None:
    """One batch by hand, sent out of order: a gap, a missing register, an estimate, a
    reset."""
    t = MAY
    data = ReadingRows(
        channel=["generation"] * 6,
        start=[t + 1800, t, t + 5400, t + 7200, t + 9000, t + 10800],
        register_wh=[1500, 1000, 2000, None, 2600, 100],
        energy_wh=[500, 450, 300, 350, 250, 90],
        quality=["measured", "measured", "measured", "measured", "estimated", "measured"],
        runs=[(6, "P/HH-1", "PV-1", 1800, "ab" * 32)])
    table = table_of(data).to_pydict()
    # in time order: t (link: needs the batch before), t+1800 (delta 500), t+5400 after a gap
    # (link), t+7200 no register (its energy, 350), t+9000 estimated (nothing), t+10800 a
    # negative delta (nothing)
    assert table["link"] == [False, True, True, False, False, False]
    assert table["credit_wh"] == [500, None, None, 350, None, None]
    # edges: the links, the last reading before the gap, and the last one
    assert table["edge"] == [True, True, True, False, False, True]


def test_spark_agrees_on_interleaved_batches_and_an_older_file(tmp_path: Path) -> None:
    rng = random.Random(2026)
    rows = readings_of(rng)
    store = store_batches(batches_of(rows, rng), tmp_path / "readings", old_every=2)
    exclusions = [("P/HH-0", MAY - 3600, MAY + 3600)]
    duck = DuckDBEngine().settle(store.root, SEGMENTS, exclusions)
    assert settled(SparkEngine("local[2]").settle(store.root, SEGMENTS, exclusions)) \
        == settled(duck)
    assert settled(duck) != reference(rows, SEGMENTS)  # the exclusion took something out


def test_a_store_of_older_files_only_is_upgraded(tmp_path: Path) -> None:
    rng = random.Random(7)
    rows = readings_of(rng)
    batches = batches_of(rows, rng)
    store = store_batches(batches, tmp_path / "r", old_every=1)
    for path in Path(store.root).rglob("*.parquet"):
        assert {"credit_wh", "link", "edge"} <= set(pq.read_schema(path).names)
    assert not list(Path(store.root).rglob("*.tmp"))
    assert settled(DuckDBEngine().settle(store.root, SEGMENTS)) == reference(rows, SEGMENTS)
    # the readings themselves are untouched
    again = store_batches(batches, tmp_path / "new")
    query = "SELECT * EXCLUDE (credit_wh, link, edge) FROM readings ORDER BY device_id, " \
        "channel, start"
    assert store.query(query).equals(again.query(query))

"""Settlement throughput (docs/dmrv.md §9): ours against the raw group-by of each engine, in
the same run, over the same Parquet files (performance.md R9, aim ≥ 50 %).

* data:    a synthetic programme in the readings store's schema and layout (month
           partitions, zstd Parquet): N households × D days × 3 channels × 48 half-hours,
           cumulative registers and interval energies (numpy, no simulator: only the volume
           matters here).
* duckdb:  ``DuckDBEngine.settle`` (each reading's creditable energy: derived at ingestion,
           or for the readings at the edges of what was stored together a join to the
           reading before; exclusions; sums per site, segment and channel) against
           ``SELECT site, month, channel, sum(energy_wh) … GROUP BY ALL`` on the same files.
* spark:   ``SparkEngine.settle`` against ``spark.read.parquet(…).groupBy(site, month,
           channel).sum(energy_wh)``, with 1 and then 2 local cores (``local[1]``,
           ``local[2]``), each session started before its clock starts.

Rows/s are readings settled per second (rows in the files ÷ seconds), best of ``--repeats``
(the raw query and ours in turn).
Usage: python benchmarks/settlement.py [--smoke] [--sites N] [--days D] [--no-spark]
Prints a JSON summary; docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

# This directory holds public.py, which as a module would stand for the `public` package
# (atpublic, imported by ibis): take the script's own directory off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np
import pyarrow as pa

from jcredit.adapters.dmrv.settlement import DuckDBEngine
from jcredit.adapters.dmrv.settlement import Segment
from jcredit.adapters.dmrv.settlement import SparkEngine
from jcredit.adapters.dmrv.settlement import spark_session
from jcredit.adapters.dmrv.stores import SCHEMA
from jcredit.adapters.dmrv.stores import credit_columns
from jcredit.adapters.dmrv.stores import write_readings
from jcredit.domain.dmrv.settlement import jst_day_start

START = date(2026, 4, 1)
CHANNELS = ("generation", "export", "import")
PROGRAMME_YEAR_READINGS = 100_000 * 17_520


def write_programme(root: Path, sites: int, days: int, seed: int = 7) -> int:
    """The readings of ``sites`` households over ``days`` days, one Parquet file per site
    block and month; returns the number of rows."""
    rng = np.random.default_rng(seed)
    t0 = jst_day_start(START)
    steps = days * 48
    starts = t0 + 1800 * np.arange(steps, dtype=np.int64)
    months = (starts.astype("datetime64[s]").astype("datetime64[M]")).astype(np.int64)
    shape = np.clip(np.sin(np.pi * ((np.arange(steps) % 48) - 12) / 24), 0, None)
    total = 0
    block = 500
    for first in range(0, sites, block):
        names = [f"JCP-000001/HH-{i + 1:06d}" for i in range(first, min(first + block, sites))]
        energy_parts, register_parts, start_parts, month_parts = [], [], [], []
        site_col, device_col, channel_col, batch_parts = [], [], [], []
        for number, name in enumerate(names):
            peak = rng.uniform(600, 2200)
            for channel, share in zip(CHANNELS, (1.0, 0.6, 0.3), strict=True):
                energy = np.rint(shape * peak * share * rng.uniform(0.5, 1.0, steps)).astype(
                    np.int64)
                energy_parts.append(energy)
                register_parts.append(1_000_000 + np.cumsum(energy))
                start_parts.append(starts)
                month_parts.append(months)
                site_col.append(np.full(steps, name, dtype=object))
                device_col.append(np.full(steps, "PV-" + name[-6:], dtype=object))
                channel_col.append(np.full(steps, channel, dtype=object))
                # one signed batch per household and day, as the devices send them, each
                # stored by its own ingestion group (the fewest readings derived at ingestion)
                batch_parts.append(number * days + np.arange(steps) // 48)
        energy_all = np.concatenate(energy_parts)
        register_all = np.concatenate(register_parts)
        start_all = np.concatenate(start_parts)
        month_all = np.concatenate(month_parts)
        site_all = np.concatenate(site_col)
        device_all = np.concatenate(device_col)
        channel_all = np.concatenate(channel_col)
        credit, link, edge = credit_columns(
            np.concatenate(batch_parts), pa.array(channel_all, pa.string()), start_all,
            np.full(len(start_all), 1800, dtype=np.int32), pa.array(register_all),
            pa.array(energy_all), pa.array(np.full(len(start_all), "measured", dtype=object),
                                           pa.string()))
        for month in np.unique(month_all):
            mask = month_all == month
            n = int(mask.sum())
            table = pa.Table.from_arrays([
                pa.array(site_all[mask], pa.string()), pa.array(device_all[mask], pa.string()),
                pa.array(channel_all[mask], pa.string()),
                pa.array(start_all[mask] * 1_000_000, pa.timestamp("us", tz="UTC")),
                pa.array(np.full(n, 1800, dtype=np.int32)),
                pa.array(register_all[mask]), pa.array(energy_all[mask]),
                pa.array(np.full(n, "measured", dtype=object), pa.string()),
                pa.array(np.full(n, "0" * 64, dtype=object), pa.string()),
                credit.filter(pa.array(mask)), link.filter(pa.array(mask)),
                edge.filter(pa.array(mask))], schema=SCHEMA)
            year, m = divmod(int(month), 12)
            directory = root / f"month={1970 + year:04d}-{m + 1:02d}"
            directory.mkdir(parents=True, exist_ok=True)
            write_readings(table, directory / f"part-{first:06d}.parquet")
            total += n
    return total


def month_segments(days: int) -> list[Segment]:
    out, day = [], START
    end = START + timedelta(days=days)
    while day < end:
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        stop = min(following, end)
        out.append(Segment(f"{day:%Y-%m}", jst_day_start(day), jst_day_start(stop)))
        day = stop
    return out


def best_of_both(raw: Any, ours: Any, repeats: int) -> tuple[float, float]:
    """The best time of each, the two run in turn (raw, ours, raw, ours …) so that a busy
    moment of this shared machine falls on both alike."""
    times: dict[Any, list[float]] = {raw: [], ours: []}
    for _ in range(repeats):
        for fn in (raw, ours):
            started = time.perf_counter()
            fn()
            times[fn].append(time.perf_counter() - started)
    return min(times[raw]), min(times[ours])


def duckdb_rates(root: Path, rows: int, segments: list[Segment], repeats: int
                 ) -> dict[str, Any]:
    import duckdb

    pattern = (root / "month=*" / "*.parquet").as_posix()

    def raw() -> None:
        con = duckdb.connect()
        con.sql(f"SELECT site, month, channel, sum(energy_wh) FROM read_parquet('{pattern}', "
                "hive_partitioning = true) GROUP BY ALL").fetchall()
        con.close()

    engine = DuckDBEngine()

    def ours() -> None:
        engine.settle(root, segments)

    raw()
    ours()  # warm: the page cache, the extension and Ibis's first compile
    raw_s, ours_s = best_of_both(raw, ours, repeats)
    return {"raw_group_by_rows_per_s": round(rows / raw_s), "ours_rows_per_s":
            round(rows / ours_s), "raw_s": round(raw_s, 3), "ours_s": round(ours_s, 3),
            "ratio": round(raw_s / ours_s, 3)}


def spark_rates(root: Path, rows: int, segments: list[Segment], cores: int, repeats: int
                ) -> dict[str, Any]:
    master = f"local[{cores}]"
    session = spark_session(master)
    engine = SparkEngine(master)

    def raw() -> None:
        session.read.parquet(str(root)).groupBy("site", "month", "channel") \
            .sum("energy_wh").collect()

    def ours() -> None:
        engine.settle(root, segments)

    raw()
    ours()
    raw_s, ours_s = best_of_both(raw, ours, repeats)
    session.stop()
    from jcredit.adapters.dmrv import settlement

    settlement._SESSIONS.clear()
    return {"cores": cores, "raw_group_by_rows_per_s": round(rows / raw_s),
            "ours_rows_per_s": round(rows / ours_s), "raw_s": round(raw_s, 3),
            "ours_s": round(ours_s, 3), "ratio": round(raw_s / ours_s, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="short run for CI")
    parser.add_argument("--sites", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    sites = args.sites or (40 if args.smoke else 2000)
    days = args.days or (10 if args.smoke else 61)
    repeats = args.repeats or (1 if args.smoke else 3)
    work = Path(tempfile.mkdtemp(prefix="jcredit-bench-settle-"))
    try:
        root = work / "readings"
        started = time.perf_counter()
        rows = write_programme(root, sites, days)
        result: dict[str, Any] = {"sites": sites, "days": days, "rows": rows,
                                  "write_s": round(time.perf_counter() - started, 1)}
        segments = month_segments(days)
        result["duckdb"] = duckdb_rates(root, rows, segments, repeats)
        if not args.no_spark:
            result["spark"] = [spark_rates(root, rows, segments, cores, repeats)
                               for cores in (1, 2)]
        rate = result["duckdb"]["ours_rows_per_s"]
        result["programme_year"] = {
            "readings": PROGRAMME_YEAR_READINGS,
            "duckdb_minutes_at_measured_rate": round(PROGRAMME_YEAR_READINGS / rate / 60, 1)}
        if not args.no_spark:
            for s in result["spark"]:
                result["programme_year"][f"spark_{s['cores']}_cores_minutes"] = round(
                    PROGRAMME_YEAR_READINGS / s["ours_rows_per_s"] / 60, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.smoke:
        assert result["duckdb"]["ours_rows_per_s"] > 0


if __name__ == "__main__":
    sys.exit(main())

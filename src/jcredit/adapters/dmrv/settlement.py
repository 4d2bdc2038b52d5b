"""Settlement energy: one definition (Ibis), two engines (DuckDB, Apache Spark).

What a site produced and exported in each segment of a monitoring period (a segment is the
part of the period in one fiscal year, since the grid factor is a fiscal year's), from the
readings in Parquet (docs/dmrv.md §9):

1. Each reading's creditable energy (integer Wh). A cumulative register's delta from the
   reading before it (of its device and channel, one interval earlier, with the same
   interval: it ended exactly where this one starts; the register is at the interval's
   end); otherwise the interval energy the meter sent, if any. Nothing for a reading whose
   quality is not ``measured`` (R09: estimated or interpolated energy is never credited),
   nor for a negative delta (R08: a reset or rollover, which the rules block). Energy
   across a gap is not credited: it is not known to which intervals it belongs. Ingestion
   derives this for most readings (``credit_wh``, ``link``, ``edge``:
   ``adapters/dmrv/stores.py`` ``credit_columns``); the rest is a join here.
2. Intervals of a site that a BLOCK finding covers, or a HOLD the verifier rejected, are
   taken out (``exclusions``: ``site``, ``start_s``, ``end_s`` in epoch seconds).
3. Summed per site, segment and channel, in integer Wh, with the number of readings and of
   creditable ones.

The expression is built with Ibis and compiled by each engine: DuckDB over the Parquet files
(the embedded default, no server) and PySpark (local mode in the tests, a cluster in
production). Both give the same integers: ``tests/integration/test_dmrv_settlement.py``.
The reduction itself (kWh, EN-R-002, rounding once) is computed from these sums by the
domain, in ``Decimal``.
"""

from __future__ import annotations

import os
from abc import ABC
from abc import abstractmethod
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import AbstractContextManager
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from jcredit.adapters.dmrv.stores import ReadingsStore
from jcredit.adapters.dmrv.stores import _months
from jcredit.domain.dmrv.merkle import Reading
from jcredit.domain.dmrv.merkle import SiteDay
from jcredit.domain.dmrv.merkle import sorted_readings
from jcredit.domain.dmrv.settlement import SiteEnergy
from jcredit.domain.errors import ValidationError

EXCLUSIONS = pa.schema([("ex_site", pa.string()),
                        ("ex_start", pa.timestamp("us", tz="UTC")),
                        ("ex_end", pa.timestamp("us", tz="UTC"))])
RESULT_ORDER = ("site", "segment", "channel")
PREVIOUS_READING_S = 3600  # the reading before a period starts at most this much earlier


@dataclass(frozen=True)
class Segment:
    name: str  # e.g. "FY2026"
    start: int  # epoch seconds, inclusive
    end: int  # exclusive


COLUMNS = ("site", "device_id", "channel", "start", "seconds", "register_wh", "energy_wh",
           "quality", "credit_wh", "link", "edge")
def _at(epoch: int) -> ir.TimestampScalar:
    """An epoch second as the readings' type (UTC timestamp): comparing the stored column
    with it is cheaper than converting every row to epoch seconds."""
    return ibis.timestamp(datetime.fromtimestamp(epoch, UTC))


def readings_energy(readings: ir.Table, first: int, last: int
                    ) -> tuple[ir.Table, ir.Table]:
    """Step 1: each reading in ``[first, last)`` with its creditable energy in Wh (null:
    none), as ``site``, ``channel``, ``start``, ``energy``: the readings ingestion settled
    and the ``link`` readings, two tables.

    Ingestion derived it already for every reading whose register delta comes from a
    reading stored with it (``credit_wh``). A ``link`` reading needs the reading before it
    from what another group stored: an ``edge`` reading, found by a join on its key."""
    r = readings.select(*COLUMNS)
    # plain column filters, which the engines push into the Parquet scan
    direct = r.filter(r.link == False, r.start >= _at(first), r.start < _at(last))  # noqa: E712
    direct = direct.select("site", "channel", "start", energy=direct.credit_wh)
    # a link reading's register delta is from the reading of its device and channel that
    # starts one interval (its own) before it and has that interval: unique, and an edge of
    # the readings stored with it (docs/dmrv.md §9) — an equi-join, not a window
    links = r.filter(r.link == True, r.start >= _at(first), r.start < _at(last))  # noqa: E712
    links = links.mutate(epoch=links.start.epoch_seconds().cast("int64"))
    edges = r.filter(r.edge == True, r.start >= _at(first - PREVIOUS_READING_S),  # noqa: E712
                     r.start < _at(last))
    edges = edges.select(p_site=edges.site, p_device=edges.device_id,
                         p_channel=edges.channel, p_register=edges.register_wh,
                         p_seconds=edges.seconds,
                         p_end=edges.start.epoch_seconds().cast("int64")
                         + edges.seconds.cast("int64"))
    e = links.left_join(edges, [links.site == edges.p_site, links.device_id == edges.p_device,
                                links.channel == edges.p_channel, links.epoch == edges.p_end,
                                links.seconds == edges.p_seconds])
    delta = e.register_wh - e.p_register
    from_register = e.register_wh.notnull() & e.p_register.notnull()
    energy = ibis.cases((e.quality != "measured", ibis.null("int64")),
                        (from_register, delta),
                        else_=e.energy_wh.cast("int64"))
    energy = ibis.cases((energy < 0, ibis.null("int64")), else_=energy)
    linked = e.select("site", "channel", "start", energy=energy)
    return direct, linked


def settlement(readings: ir.Table, segments: Sequence[Segment],
               exclusions: ir.Table | None) -> ir.Table:
    """Steps 1–3: per site, segment and channel, the creditable energy in Wh. The segments
    (a few fiscal years or months) become one CASE expression rather than a range join;
    the exclusions an anti-join, when there are any."""
    if not segments:
        raise ValidationError("a settlement needs at least one segment", field="segments")
    first, last = min(s.start for s in segments), max(s.end for s in segments)
    def summed(r: ir.Table) -> ir.Table:
        named = ibis.cases(*(((r.start >= _at(s.start)) & (r.start < _at(s.end)), s.name)
                             for s in segments), else_=ibis.null("string"))
        r = r.mutate(segment=named).filter(lambda t: t.segment.notnull())
        if exclusions is not None:
            r = r.anti_join(exclusions, [r.site == exclusions.ex_site,
                                         r.start >= exclusions.ex_start,
                                         r.start < exclusions.ex_end])
        return (r.group_by(["site", "segment", "channel"])
                .aggregate(energy_wh=r.energy.sum().coalesce(0).cast("int64"),
                           readings=r.count().cast("int64"),
                           creditable=r.energy.count().cast("int64")))

    # each part summed where it is read (the large one straight from the scan), then the sums
    direct, linked = readings_energy(readings, first, last)
    both = summed(direct).union(summed(linked), distinct=False)
    return (both.group_by(["site", "segment", "channel"])
            .aggregate(energy_wh=both.energy_wh.sum().cast("int64"),
                       readings=both.readings.sum().cast("int64"),
                       creditable=both.creditable.sum().cast("int64"))
            .order_by(list(RESULT_ORDER)))


def _exclusions_table(exclusions: Sequence[tuple[str, int, int]]) -> pa.Table:
    return pa.Table.from_pylist([{"ex_site": site, "ex_start": datetime.fromtimestamp(start, UTC),
                                  "ex_end": datetime.fromtimestamp(end, UTC)}
                                 for site, start, end in exclusions], schema=EXCLUSIONS)


class Engine(ABC):
    """Runs :func:`settlement` on one backend; the result as an Arrow table."""

    name = "engine"

    @abstractmethod
    def readings(self, con: Any, root: str) -> ir.Table:
        """The store's readings as the backend reads Parquet."""

    @abstractmethod
    def connect(self) -> AbstractContextManager[Any]:
        """A connection (an Ibis backend) for one settlement."""

    def table(self, con: Any, name: str, data: pa.Table) -> ir.Table:
        return ibis.memtable(data)

    def collect(self, con: Any, expr: ir.Table) -> pa.Table:
        return con.to_pyarrow(expr)

    def settle(self, root: str | Path, segments: Sequence[Segment],
               exclusions: Sequence[tuple[str, int, int]] = ()) -> pa.Table:
        first, last = min(s.start for s in segments), max(s.end for s in segments)
        # the month partitions of the segments, and the one before (where the reading before
        # the first interval is, whose register the first delta needs)
        months = _months(first - PREVIOUS_READING_S, last)
        with self.connect() as con:
            ex = self.table(con, "jc_exclusions", _exclusions_table(exclusions)) \
                if exclusions else None
            readings = self.readings(con, str(root))
            readings = readings.filter(readings.month.isin(months))
            return self.collect(con, settlement(readings, segments, ex))


class DuckDBEngine(Engine):
    """The embedded default: DuckDB reads the month partitions directly."""

    name = "duckdb"

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads

    @contextmanager
    def connect(self) -> Iterator[Any]:
        con = ibis.duckdb.connect()
        # epoch seconds of a TIMESTAMPTZ go through the session's time zone: UTC, always
        con.raw_sql("SET TimeZone = 'UTC'")
        if self.threads:
            con.raw_sql(f"SET threads = {int(self.threads)}")
        try:
            yield con
        finally:
            con.disconnect()

    def readings(self, con: Any, root: str) -> ir.Table:
        return con.read_parquet(f"{root.rstrip('/')}/month=*/*.parquet",
                                hive_partitioning=True)


class SparkEngine(Engine):
    """Apache Spark: ``master`` is ``local[N]`` (N cores of this machine) or a cluster's URL
    (``spark://host:7077``, ``yarn``, ``k8s://…``); the readings may be on object storage
    (``s3a://bucket/readings``) the cluster can read."""

    name = "spark"

    def __init__(self, master: str = "local[2]", config: dict[str, str] | None = None
                 ) -> None:
        self.master = master
        self.config = config or {}

    @contextmanager
    def connect(self) -> Iterator[Any]:
        con = ibis.pyspark.connect(spark_session(self.master, self.config))
        yield con

    def readings(self, con: Any, root: str) -> ir.Table:
        # Spark discovers the month=… partitions itself
        return con.read_parquet(root.rstrip("/"))

    def table(self, con: Any, name: str, data: pa.Table) -> ir.Table:
        spark = con._session
        ddl = ", ".join(f"{f.name} {_SPARK_TYPES[str(f.type)]}" for f in data.schema)
        spark.createDataFrame([tuple(r.values()) for r in data.to_pylist()], ddl) \
            .createOrReplaceTempView(name)
        return con.table(name)

    def collect(self, con: Any, expr: ir.Table) -> pa.Table:
        # the SQL Ibis compiles, run by Spark and collected as rows: the result is small
        # (sites × segments × channels), and no pandas conversion stands in between
        schema = expr.schema().to_pyarrow()
        rows = con._session.sql(str(con.compile(expr))).collect()
        return pa.Table.from_pylist([r.asDict() for r in rows], schema=schema)


_SPARK_TYPES = {"string": "string", "int64": "bigint", "timestamp[us, tz=UTC]": "timestamp"}
_SESSIONS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}


def spark_session(master: str, config: dict[str, str] | None = None) -> Any:
    """One Spark session per master, in UTC; kept for reuse (starting the JVM costs
    seconds)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings = {"spark.sql.session.timeZone": "UTC",
                "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                "spark.sql.shuffle.partitions": "8",
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.driver.host": "127.0.0.1"} | (config or {})
    key = (master, tuple(sorted(settings.items())))
    if key not in _SESSIONS:
        # one Spark context per process: getOrCreate would hand back a running session of
        # another master unchanged, so that one is stopped first
        for running in _SESSIONS.values():
            running.stop()
        _SESSIONS.clear()
        builder = SparkSession.builder.master(master).appName("jcredit-settlement")
        for name, value in settings.items():
            builder = builder.config(name, value)
        _SESSIONS[key] = builder.getOrCreate()
    return _SESSIONS[key]


ENGINES = ("duckdb", "spark")


def engine(name: str, *, master: str = "local[2]") -> Engine:
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine(master)
    raise ValidationError(f"engine is one of {', '.join(ENGINES)}, not {name!r}",
                          field="engine", valid=ENGINES)


class ReadingsEnergy:
    """The service layer's ``EnergyEngine``: an engine over the readings store."""

    def __init__(self, store: ReadingsStore, engine: Engine) -> None:
        self.store = store
        self.engine = engine
        self.name = engine.name

    def energy(self, segments: Sequence[tuple[str, int, int]],
               excluded: Sequence[tuple[str, int, int]]) -> list[SiteEnergy]:
        if not self.store.files():
            return []
        table = self.engine.settle(self.store.location, [Segment(*s) for s in segments],
                                   excluded)
        return [SiteEnergy(**row) for row in table.to_pylist()]

    def site_days(self, sites: Sequence[str], since: int, until: int) -> list[SiteDay]:
        return site_days(self.store, sites, since, until)


def site_days(store: ReadingsStore, sites: Sequence[str], since: int, until: int
              ) -> list[SiteDay]:
    """Every reading of ``sites`` in ``[since, until)``, by site and JST day, in the order
    their Merkle trees take them (docs/dmrv.md §10); one DuckDB scan."""
    if not store.files() or not sites:
        return []
    table = store.query(
        "SELECT site, device_id, channel, epoch(start)::BIGINT AS s, seconds, register_wh, "
        "energy_wh, quality, batch, "
        "strftime(to_timestamp(epoch(start)::BIGINT + 32400) AT TIME ZONE 'UTC', "
        "'%Y-%m-%d') AS day "
        "FROM readings WHERE month IN (SELECT unnest($months)) "
        "AND site IN (SELECT unnest($sites)) "
        "AND start >= to_timestamp($since) AND start < to_timestamp($until) "
        "ORDER BY site, day, channel, s, device_id",
        {"sites": list(sites), "since": since, "until": until,
         "months": _months(since, until)})
    columns = [table.column(n).to_pylist() for n in (
        "site", "device_id", "channel", "s", "seconds", "register_wh", "energy_wh",
        "quality", "batch", "day")]
    grouped: dict[tuple[str, str], list[Reading]] = {}
    for site, device, channel, s, seconds, reg, en, quality, batch, day in zip(
            *columns, strict=True):
        grouped.setdefault((site, day), []).append(
            (site, device, channel, int(s), int(seconds), reg, en, quality, batch))
    return [SiteDay(site, day, sorted_readings(rows))
            for (site, day), rows in grouped.items()]

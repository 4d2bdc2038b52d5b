"""Where the dMRV pipeline keeps what it receives (docs/dmrv.md §3).

- :class:`RawBatchStore`: every received batch, immutable and content-addressed by the
  SHA-256 of its signed bytes (as evidence files are): ``<root>/<hash[:2]>/<hash>`` and the
  signature beside it in ``<hash>.sig``. A read re-hashes the bytes and refuses a changed file.
- :class:`ReadingsStore`: one row per device, channel and interval in Parquet files
  partitioned by month (``month=YYYY-MM/``), read with DuckDB. The store is a directory or an
  object-store URL (``s3://bucket/prefix``) that pyarrow's file systems open.

Files of a group of batches are written under a temporary name (``*.parquet.tmp``, which no
reader globs) and renamed into place only after the database transaction that records the
batches committed; :meth:`ReadingsStore.recover` finishes or removes what a crash left.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from jcredit.domain.dmrv.model import ChannelSeries
from jcredit.domain.dmrv.model import ReadingRows
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import NotFoundError

SCHEMA = pa.schema([
    ("site", pa.string()),
    ("device_id", pa.string()),
    ("channel", pa.string()),
    ("start", pa.timestamp("us", tz="UTC")),
    ("seconds", pa.int32()),
    ("register_wh", pa.int64()),
    ("energy_wh", pa.int64()),
    ("quality", pa.string()),
    ("batch", pa.string()),
    # derived at ingestion from the readings stored together (docs/dmrv.md §9); a store
    # written before they existed gains them in ReadingsStore.upgrade
    ("credit_wh", pa.int64()),
    ("link", pa.bool_()),
    ("edge", pa.bool_()),
])
TEMP_SUFFIX = ".tmp"  # part-X.parquet.tmp: no reader globs it
FORMAT = "2"  # 2: the derived columns (credit_wh, link, edge); written to <root>/_format
DERIVED = ("credit_wh", "link", "edge")


class RawBatchStore:
    """Every received batch, immutable and content-addressed: the signed bytes exactly, whose
    SHA-256 is the batch's name, with the signature beside them.

    The batches of one ingestion group are appended to one *pack* file,
    ``<root>/packs/<YYYY-MM-DD>/<group>.pack`` (as git packs objects: one file and one fsync
    per group, not per batch, which is what made a file per batch the slowest step). Each
    record is a header line ``JCB1 <sha256> <signature> <length>`` and then the signed bytes.
    The database keeps each batch's location (``pack:offset:length``); a read re-hashes the
    bytes and refuses a changed record. A pack is self-describing: it can be re-read, and
    every batch in it verified, from the file alone.
    """

    MAGIC = b"JCB1"

    def __init__(self, root: Path) -> None:
        self.root = root

    def put_many(self, group: str, items: list[tuple[str, bytes, str]], *, day: str
                 ) -> dict[str, str]:
        """Write ``(hash, signed bytes, signature)`` records to a new pack, durably (fsync of
        the file and its directory); returns each hash's location."""
        if not items:
            return {}
        directory = self.root / "packs" / day
        directory.mkdir(parents=True, exist_ok=True)
        name = f"packs/{day}/{group}.pack"
        locations: dict[str, str] = {}
        chunks: list[bytes] = []
        offset = 0
        for digest, signed, signature in items:
            if hashlib.sha256(signed).hexdigest() != digest:
                raise ConflictError("the batch bytes do not match their hash", field="batch")
            head = b" ".join((self.MAGIC, digest.encode("ascii"), signature.encode("ascii"),
                              str(len(signed)).encode("ascii"))) + b"\n"
            chunks += (head, signed)
            locations[digest] = f"{name}:{offset}:{len(signed)}"  # the record's first byte
            offset += len(head) + len(signed)
        fd = os.open(self.root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            data = b"".join(chunks)
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
        directory_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)
        return locations

    def get(self, digest: str, location: str) -> tuple[bytes, str]:
        """The signed bytes and the signature of a batch at its location; a changed record
        is refused, not served."""
        try:
            name, offset, length = location.rsplit(":", 2)
            start, size = int(offset), int(length)
        except ValueError as exc:
            raise NotFoundError(f"not a batch location: {location!r}", field="batch") from exc
        path = self.root / name
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise NotFoundError(f"not a batch location: {location!r}", field="batch")
        try:
            with open(path, "rb") as handle:
                handle.seek(start)
                parts = handle.readline(400).split()
                signed = handle.read(size)
        except FileNotFoundError as exc:
            raise NotFoundError(f"no batch {digest}", field="batch") from exc
        if len(parts) != 4 or parts[0] != self.MAGIC or parts[1] != digest.encode() \
                or parts[3] != str(size).encode() \
                or hashlib.sha256(signed).hexdigest() != digest:
            raise ConflictError(f"batch {digest} was changed on disk", field="batch")
        return signed, parts[2].decode("ascii")

    def packs(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in (self.root / "packs").rglob(
            "*.pack")) if (self.root / "packs").is_dir() else []

    @classmethod
    def records(cls, data: bytes) -> Iterator[tuple[str, str, bytes]]:
        """Every ``(hash, signature, signed bytes)`` of a pack's bytes, in order."""
        position = 0
        while position < len(data):
            end = data.index(b"\n", position)
            magic, digest, signature, length = data[position:end].split(b" ")
            if magic != cls.MAGIC:
                raise ConflictError("not a batch pack", field="batch")
            start = end + 1
            position = start + int(length)
            yield digest.decode(), signature.decode(), data[start:position]


def table_of(rows: ReadingRows, *, dictionaries: bool = False) -> pa.Table:
    """The Arrow table of some readings, in the store's schema. The per-batch columns are
    expanded from their runs with numpy and Arrow dictionaries, not built row by row;
    ``dictionaries`` keeps those string columns dictionary-encoded (Parquet stores them so
    anyway, and readers see strings)."""
    counts = np.fromiter((run[0] for run in rows.runs), dtype=np.int64, count=len(rows.runs))
    index = pa.array(np.repeat(np.arange(len(rows.runs), dtype=np.int32), counts))
    # each run's series: its site and device (a device's batches of one group are one series)
    series_of: dict[tuple[str, str], int] = {}
    series = np.repeat(np.fromiter((series_of.setdefault((run[1], run[2]), len(series_of))
                                    for run in rows.runs), dtype=np.int32,
                                   count=len(rows.runs)), counts)

    def text(position: int) -> pa.Array:
        values = pa.array([run[position] for run in rows.runs], pa.string())
        column = pa.DictionaryArray.from_arrays(index, values)
        return column if dictionaries else column.cast(pa.string())

    seconds = np.repeat(np.fromiter((run[3] for run in rows.runs), dtype=np.int32,
                                    count=len(rows.runs)), counts)
    start = np.asarray(rows.start, dtype=np.int64)
    channel = pa.array(rows.channel, pa.string())
    register = pa.array(rows.register_wh, pa.int64())
    energy = pa.array(rows.energy_wh, pa.int64())
    quality = pa.array(rows.quality, pa.string())
    credit, link, edge = credit_columns(series, channel, start, seconds, register, energy,
                                        quality)
    columns = [
        text(1), text(2), channel, pa.array(start * 1_000_000, pa.timestamp("us", tz="UTC")),
        pa.array(seconds, pa.int32()), register, energy, quality, text(4), credit, link, edge]
    if not dictionaries:
        return pa.Table.from_arrays(columns, schema=SCHEMA)
    return pa.Table.from_arrays(columns, names=SCHEMA.names)


def with_derived(table: pa.Table) -> pa.Table:
    """A table of the store's first nine columns with the derived ones added (an older
    file's readings are one unit, their site and device one series)."""
    site = table.column("site").combine_chunks()
    device = table.column("device_id").combine_chunks()
    pairs = pc.binary_join_element_wise(site.cast(pa.string()), device.cast(pa.string()),
                                        "\x00")
    series = np.asarray(pairs.dictionary_encode().indices, dtype=np.int32)
    start = np.asarray(pc.cast(table.column("start"), pa.int64())) // 1_000_000
    credit, link, edge = credit_columns(
        series, table.column("channel").combine_chunks().cast(pa.string()), start,
        np.asarray(table.column("seconds").combine_chunks(), dtype=np.int32),
        table.column("register_wh").combine_chunks(), table.column("energy_wh").combine_chunks(),
        table.column("quality").combine_chunks().cast(pa.string()))
    columns = [table.column(n).cast(SCHEMA.field(n).type) for n in SCHEMA.names
               if n not in DERIVED] + [credit, link, edge]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def credit_columns(series: np.ndarray, channel: pa.Array, start: np.ndarray,
                   seconds: np.ndarray, register: pa.Array, energy: pa.Array,
                   quality: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """What the settlement needs of each reading, derived from the readings stored with it
    (one ingestion group: docs/dmrv.md §9, step 1), vectorised. ``series`` numbers each
    reading's site and device; the arrays are in the readings' order.

    - ``link``: the reading has a register, and no reading of its series and channel stored
      with it ends where it starts: its register delta needs a reading stored by another
      group, which the settlement looks up among the ``edge`` readings;
    - ``edge``: ``link``, or no reading of its series and channel stored with it starts where
      it ends (the reading a ``link`` reading of another group may follow);
    - ``credit_wh``: for a reading that is not ``link``, its creditable energy in Wh — the
      register delta from the reading that ends where it starts when both have a register,
      else the interval energy; null when the quality is not ``measured`` (R09) or the delta
      is negative (R08). Null for a ``link`` reading.

    "The reading before" a reading is the one of its device and channel that starts one
    interval (its own) earlier and has the same interval: unique, since ingestion stores a
    reading once per device, channel and start.
    """
    n = len(start)
    chan = np.asarray(channel.dictionary_encode().indices, dtype=np.int32) if n else \
        np.zeros(0, np.int32)
    keys_sorted = n < 2 or bool(np.all(
        (series[1:] > series[:-1]) | ((series[1:] == series[:-1]) & (
            (chan[1:] > chan[:-1]) | ((chan[1:] == chan[:-1]) & (start[1:] > start[:-1]))))))
    order = None if keys_sorted else np.lexsort((start, chan, series))

    def sort(a: np.ndarray) -> np.ndarray:
        return a if order is None else a[order]

    b, c, s, sec = sort(series), sort(chan), sort(start), sort(seconds)
    has_register = sort(np.asarray(register.is_valid()))
    reg = sort(np.asarray(register.fill_null(0)))
    # follows: the reading before it (in series, channel, start order) is of the same
    # series and channel, has the same interval and ends where it starts
    follows = np.zeros(n, dtype=bool)
    follows[1:] = ((b[1:] == b[:-1]) & (c[1:] == c[:-1]) & (s[:-1] + sec[:-1] == s[1:])
                   & (sec[:-1] == sec[1:]))
    from_register = follows & has_register
    from_register[1:] &= has_register[:-1]
    delta = np.zeros(n, dtype=np.int64)
    delta[1:] = reg[1:] - reg[:-1]
    en = sort(np.asarray(energy.fill_null(0)))
    has_energy = sort(np.asarray(energy.is_valid()))
    measured = sort(np.asarray(pc.equal(quality, "measured").fill_null(False)))
    link = ~follows & has_register
    edge = link.copy()
    edge[:-1] |= ~follows[1:]
    edge[-1:] = True
    credit = np.where(from_register, delta, en)
    valid = measured & ~link & np.where(from_register, delta >= 0, has_energy & (en >= 0))
    if order is not None:  # back to the readings' order
        back = np.empty(n, dtype=np.int64)
        back[order] = np.arange(n)
        credit, valid, link, edge = credit[back], valid[back], link[back], edge[back]
    return (pa.array(credit, pa.int64(), mask=~valid), pa.array(link, pa.bool_()),
            pa.array(edge, pa.bool_()))


SPLIT_FROM = 50_000  # readings in a file from which its edges get a row group of their own


def write_readings(table: pa.Table, out: Any) -> None:
    """One Parquet file of readings (zstd). A large file keeps its ``edge`` readings in a
    row group of their own, first, so that the settlement's look-up of edges (a few per cent
    of the readings) skips the others by their statistics; a small one (a batch or a few)
    is one row group, which readers open faster."""
    if table.num_rows < SPLIT_FROM:
        pq.write_table(table, out, compression="zstd")
        return
    edge = table.column("edge")
    mask = pc.fill_null(edge, True)
    parts = [part for part in (table.filter(mask), table.filter(pc.invert(mask)))
             if part.num_rows]
    with pq.ParquetWriter(out, table.schema, compression="zstd") as writer:
        for part in parts or [table]:
            writer.write_table(part, row_group_size=1 << 20)


def months_of(starts: list[int]) -> np.ndarray:
    """Each start's month (UTC) as months since 1970-01, vectorised."""
    return np.asarray(starts, dtype="datetime64[s]").astype("datetime64[M]").astype(np.int64)


def month_name(months_since_1970: int) -> str:
    """A month's partition name.

    >>> month_name(676)
    '2026-05'
    """
    year, month = divmod(int(months_since_1970), 12)
    return f"{1970 + year:04d}-{month + 1:02d}"


class ReadingsStore:
    """Parquet partitioned by month, queried with DuckDB."""

    def __init__(self, url: str | Path) -> None:
        text = str(url)
        self.url = text
        if "://" in text and not text.startswith("file://"):
            self.fs, self.root = pafs.FileSystem.from_uri(text)
            self.local: Path | None = None
        else:
            path = Path(text.removeprefix("file://"))
            self.fs, self.root, self.local = pafs.LocalFileSystem(), str(path), path
        self.fs.create_dir(self.root, recursive=True)

    # -- writing -----------------------------------------------------------------------------

    def stage(self, rows: ReadingRows, group: str) -> list[str]:
        """Write the rows into one temporary file per month; returns the final names
        (relative to the root) that :meth:`publish` gives them."""
        if not len(rows):
            return []
        table = table_of(rows, dictionaries=True)
        months = months_of(rows.start)
        names = []
        first, last = int(months.min()), int(months.max())
        for key in range(first, last + 1):
            if first == last:
                part = table
            else:
                mask = months == key
                if not mask.any():
                    continue
                part = table.filter(pa.array(mask))
            month = month_name(key)
            name = f"month={month}/part-{group}.parquet"
            self.fs.create_dir(f"{self.root}/month={month}", recursive=True)
            target = f"{self.root}/{name}{TEMP_SUFFIX}"
            with self.fs.open_output_stream(target) as out:
                write_readings(part, out)
            if self.local is not None:  # durable before the batches are recorded
                fd = os.open(target, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            names.append(name)
        return names

    def publish(self, names: Iterable[str]) -> None:
        for name in names:
            self.fs.move(f"{self.root}/{name}{TEMP_SUFFIX}", f"{self.root}/{name}")

    def discard(self, names: Iterable[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError, OSError):
                self.fs.delete_file(f"{self.root}/{name}{TEMP_SUFFIX}")

    def staged(self) -> list[str]:
        """Temporary files a crash left, by final name."""
        return [info.path[len(self.root) + 1:-len(TEMP_SUFFIX)] for info in self._files()
                if info.path.endswith(".parquet" + TEMP_SUFFIX)]

    def files(self) -> list[str]:
        return sorted(info.path[len(self.root) + 1:] for info in self._files()
                      if info.path.endswith(".parquet"))

    def _files(self) -> Iterator[pafs.FileInfo]:
        selector = pafs.FileSelector(self.root, recursive=True, allow_not_found=True)
        return (i for i in self.fs.get_file_info(selector) if i.type == pafs.FileType.File)

    def recover(self, recorded: set[str]) -> dict[str, int]:
        """After a crash: publish the temporary files whose batches the database recorded
        (the transaction committed), remove the others. ``recorded``: the file names the
        database knows."""
        published = removed = 0
        for name in self.staged():
            if name in recorded:
                self.publish([name])
                self._upgrade_file(name)  # a file an older version staged
                published += 1
            else:
                self.discard([name])
                removed += 1
        return {"published": published, "removed": removed}

    def upgrade(self) -> int:
        """Bring a store written by an older version to the current format (``FORMAT``):
        files without the derived columns gain them, computed from the file's own readings
        (any set of stored readings may be the unit, docs/dmrv.md §9), each rewritten under a
        temporary name and moved into place. A marker file records the format, so that a
        current store costs one small read. Returns the number of files rewritten."""
        marker = f"{self.root}/_format"
        try:
            with self.fs.open_input_stream(marker) as handle:
                if handle.read().decode("ascii", "replace").strip() == FORMAT:
                    return 0
        except (FileNotFoundError, OSError):
            pass
        rewritten = sum(self._upgrade_file(name) for name in self.files())
        with self.fs.open_output_stream(marker) as out:
            out.write(FORMAT.encode("ascii") + b"\n")
        return rewritten

    def _upgrade_file(self, name: str) -> bool:
        path = f"{self.root}/{name}"
        with self.fs.open_input_file(path) as handle:
            if set(DERIVED) <= set(pq.read_schema(handle).names):
                return False
        with self.fs.open_input_file(path) as handle:
            old = pq.read_table(handle, partitioning=None)
        table = with_derived(old.select([n for n in SCHEMA.names if n not in DERIVED]))
        with self.fs.open_output_stream(path + TEMP_SUFFIX) as out:
            write_readings(table, out)
        self.fs.move(path + TEMP_SUFFIX, path)
        return True

    # -- reading -----------------------------------------------------------------------------

    @property
    def location(self) -> str:
        """Where an engine finds the store: the local directory, or the object-store URL."""
        return self.local.as_posix() if self.local is not None else self.url

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with a ``readings`` view over every published file."""
        con = duckdb.connect()
        con.execute("SET threads = 2")
        if not self.files():
            con.execute("CREATE VIEW readings AS SELECT * FROM (SELECT NULL::VARCHAR AS site, "
                        "NULL::VARCHAR AS device_id, NULL::VARCHAR AS channel, "
                        "NULL::TIMESTAMPTZ AS start, NULL::INTEGER AS seconds, "
                        "NULL::BIGINT AS register_wh, NULL::BIGINT AS energy_wh, "
                        "NULL::VARCHAR AS quality, NULL::VARCHAR AS batch, "
                        "NULL::BIGINT AS credit_wh, NULL::BOOLEAN AS link, "
                        "NULL::BOOLEAN AS edge, NULL::VARCHAR AS month) WHERE false")
        elif self.local is not None:
            pattern = (self.local / "month=*" / "*.parquet").as_posix().replace("'", "''")
            con.execute(f"CREATE VIEW readings AS SELECT * FROM read_parquet('{pattern}', "
                        "hive_partitioning = true)")
        else:
            import pyarrow.dataset as ds

            dataset = ds.dataset(self.root, filesystem=self.fs, format="parquet",
                                 partitioning="hive")
            con.register("readings", dataset)
        return con

    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pa.Table:
        with self.connect() as con:
            return con.sql(sql, params=params or None).to_arrow_table()


def channel_series(store: ReadingsStore, site: str, since: int, until: int
                   ) -> dict[str, ChannelSeries]:
    """One site's readings in ``[since, until)`` (epoch seconds), per channel, sorted by
    start: what the rules read (docs/dmrv.md §4). The month partitions outside the range
    are not read."""
    return programme_series(store, [site], since, until).get(site, {})


def programme_series(store: ReadingsStore, sites: list[str], since: int, until: int
                     ) -> dict[str, dict[str, ChannelSeries]]:
    """Many sites' readings in one scan (a programme's), per site and channel, sorted."""
    table = store.query(
        "SELECT site, channel, epoch(start)::BIGINT AS s, seconds, register_wh, energy_wh, "
        "quality FROM readings WHERE month IN (SELECT unnest($months)) "
        "AND site IN (SELECT unnest($sites)) "
        "AND start >= to_timestamp($since) AND start < to_timestamp($until) "
        "ORDER BY site, channel, s", {"sites": sites, "months": _months(since, until),
                                      "since": since, "until": until})
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    result: dict[str, dict[str, ChannelSeries]] = {}
    current: ChannelSeries | None = None
    key: tuple[str, str] | None = None
    for i, site in enumerate(columns["site"]):
        if key != (site, columns["channel"][i]):
            key = (site, columns["channel"][i])
            current = result.setdefault(site, {}).setdefault(key[1], ChannelSeries())
        assert current is not None
        current.start.append(columns["s"][i])
        current.seconds.append(columns["seconds"][i])
        current.register_wh.append(columns["register_wh"][i])
        current.energy_wh.append(columns["energy_wh"][i])
        current.quality.append(columns["quality"][i])
    return result


def _months(since: int, until: int) -> list[str]:
    """The ``month=`` partitions that ``[since, until)`` touches.

    >>> _months(1772323200, 1775001600)  # 2026-03-01 to 2026-04-01 UTC
    ['2026-03']
    """
    first = datetime.fromtimestamp(since, UTC)
    last = datetime.fromtimestamp(max(until - 1, since), UTC)
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months

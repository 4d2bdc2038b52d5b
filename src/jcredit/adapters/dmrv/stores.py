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
import threading
import uuid
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
])
TEMP_SUFFIX = ".tmp"  # part-X.parquet.tmp: no reader globs it


class RawBatchStore:
    """``<root>/<hash[:2]>/<hash>``: a first line ``ed25519:<signature>`` and then the signed
    bytes exactly, whose SHA-256 is the name. Self-contained: the batch can be verified and
    re-read from its file alone."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: set[str] = set()

    def _path(self, digest: str) -> str:
        if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
            raise NotFoundError(f"not a SHA-256: {digest!r}", field="batch")
        return f"{self.root}/{digest[:2]}/{digest}"

    def put(self, digest: str, signed: bytes, signature: str) -> bool:
        """Store a batch under its hash (once); False if it was there already. Not yet
        durable: call :meth:`sync` before acknowledging."""
        path = self._path(digest)
        if os.path.exists(path):
            return False
        if hashlib.sha256(signed).hexdigest() != digest:
            raise ConflictError("the batch bytes do not match their hash", field="batch")
        if digest[:2] not in self._made:
            os.makedirs(f"{self.root}/{digest[:2]}", exist_ok=True)
            self._made.add(digest[:2])
        temporary = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
        with open(temporary, "wb") as out:
            out.write(b"ed25519:" + signature.encode("ascii") + b"\n" + signed)
        os.replace(temporary, path)
        return True

    @staticmethod
    def sync() -> None:
        """Make what was put durable before it is acknowledged (one call per group)."""
        os.sync()

    def get(self, digest: str) -> tuple[bytes, str]:
        """The signed bytes and the signature; a changed file is refused, not served."""
        try:
            with open(self._path(digest), "rb") as handle:
                data = handle.read()
        except FileNotFoundError as exc:
            raise NotFoundError(f"no batch {digest}", field="batch") from exc
        head, _, signed = data.partition(b"\n")
        if not head.startswith(b"ed25519:") or hashlib.sha256(signed).hexdigest() != digest:
            raise ConflictError(f"batch {digest} was changed on disk", field="batch")
        return signed, head.removeprefix(b"ed25519:").decode("ascii")

    def exists(self, digest: str) -> bool:
        return os.path.exists(self._path(digest))


def table_of(rows: ReadingRows) -> pa.Table:
    """The Arrow table of some readings, in the store's schema; the per-batch columns are
    expanded from their runs by Arrow (a dictionary decoded), not built row by row."""
    counts = np.fromiter((run[0] for run in rows.runs), dtype=np.int64, count=len(rows.runs))
    index = pa.array(np.repeat(np.arange(len(rows.runs), dtype=np.int32), counts))

    def expand(position: int, kind: pa.DataType) -> pa.Array:
        values = pa.array([run[position] for run in rows.runs], kind)
        if kind == pa.string():
            return pa.DictionaryArray.from_arrays(index, values).cast(kind)
        return values.take(index)

    starts = pa.array(rows.start, pa.int64())
    return pa.Table.from_arrays([
        expand(1, pa.string()),
        expand(2, pa.string()),
        pa.array(rows.channel, pa.string()),
        pc.multiply(starts, 1_000_000).cast(pa.timestamp("us", tz="UTC")),
        expand(3, pa.int32()),
        pa.array(rows.register_wh, pa.int64()),
        pa.array(rows.energy_wh, pa.int64()),
        pa.array(rows.quality, pa.string()),
        expand(4, pa.string()),
    ], schema=SCHEMA)


class ReadingsStore:
    """Parquet partitioned by month, queried with DuckDB."""

    def __init__(self, url: str | Path) -> None:
        text = str(url)
        if "://" in text and not text.startswith("file://"):
            self.fs, self.root = pafs.FileSystem.from_uri(text)
            self.local: Path | None = None
        else:
            path = Path(text.removeprefix("file://"))
            self.fs, self.root, self.local = pafs.LocalFileSystem(), str(path), path
        self.fs.create_dir(self.root, recursive=True)
        self._lock = threading.Lock()

    # -- writing -----------------------------------------------------------------------------

    def stage(self, rows: ReadingRows, group: str) -> list[str]:
        """Write the rows into one temporary file per month; returns the final names
        (relative to the root) that :meth:`publish` gives them."""
        if not len(rows):
            return []
        table = table_of(rows)
        stamps = table.column("start")
        months = pc.add(pc.multiply(pc.year(stamps), 100), pc.month(stamps))
        names = []
        for key in pc.unique(months).to_pylist():
            month = f"{key // 100:04d}-{key % 100:02d}"
            part = table.filter(pc.equal(months, key))
            part = part.sort_by([("device_id", "ascending"), ("channel", "ascending"),
                                 ("start", "ascending")])
            name = f"month={month}/part-{group}.parquet"
            self.fs.create_dir(f"{self.root}/month={month}", recursive=True)
            with self.fs.open_output_stream(f"{self.root}/{name}{TEMP_SUFFIX}") as out:
                pq.write_table(part, out, compression="zstd")
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
                published += 1
            else:
                self.discard([name])
                removed += 1
        return {"published": published, "removed": removed}

    # -- reading -----------------------------------------------------------------------------

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
                        "NULL::VARCHAR AS month) WHERE false")
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
    months = _months(since, until)
    table = store.query(
        "SELECT channel, epoch(start)::BIGINT AS s, seconds, register_wh, energy_wh, quality "
        "FROM readings WHERE site = $site AND month IN (SELECT unnest($months)) "
        "AND start >= to_timestamp($since) AND start < to_timestamp($until) "
        "ORDER BY channel, s", {"site": site, "months": months, "since": since,
                                "until": until})
    result: dict[str, ChannelSeries] = {}
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    for i, channel in enumerate(columns["channel"]):
        series = result.setdefault(channel, ChannelSeries())
        series.start.append(columns["s"][i])
        series.seconds.append(columns["seconds"][i])
        series.register_wh.append(columns["register_wh"][i])
        series.energy_wh.append(columns["energy_wh"][i])
        series.quality.append(columns["quality"][i])
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

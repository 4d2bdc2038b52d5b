"""One pipeline for every way readings arrive (HTTP, MQTT, file import; docs/dmrv.md §2–3).

A group of batches is checked in order inside one database transaction: parsed (R01, R04),
the device known and its key valid (R01, R02), the signature verified (R02), the chain
continued (R02), the channels registered (R01), nothing in the future (R04), and compared
with the readings already stored for the same intervals (R03: identical ones dropped,
different ones hold the batch). Accepted readings are written to Parquet under temporary
names, the raw batches made durable, the transaction committed and only then the files
renamed into place: a crash anywhere leaves either nothing or what
:meth:`Ingestor.recover` completes. A replay returns the first receipt and stores nothing.
"""

from __future__ import annotations

import csv
import json
import logging
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Protocol

from jcredit.domain.dmrv import intake
from jcredit.domain.dmrv.envelope import Batch
from jcredit.domain.dmrv.envelope import BatchRefused
from jcredit.domain.dmrv.envelope import parse_csv_batch
from jcredit.domain.dmrv.envelope import parse_envelope
from jcredit.domain.dmrv.model import ReadingRows
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)


class RawStore(Protocol):
    def put_many(self, group: str, items: list[tuple[str, bytes, str]], *, day: str
                 ) -> dict[str, str]: ...
    def get(self, digest: str, location: str) -> tuple[bytes, str]: ...


class ReadingsWriter(Protocol):
    def stage(self, rows: ReadingRows, group: str) -> list[str]: ...
    def publish(self, names: Iterable[str]) -> None: ...
    def discard(self, names: Iterable[str]) -> None: ...
    def recover(self, recorded: set[str]) -> dict[str, int]: ...
    def staged(self) -> list[str]: ...


Verify = Callable[[bytes, str, bytes], bool]  # public key, signature (base64), signed bytes


class ChunkMap(Protocol):
    """Runs ``prepare_chunk`` on the other cores (adapters/process_pool.py)."""

    @property
    def enabled(self) -> bool: ...
    def start(self) -> Any: ...
    def imap(self, fn: Callable[[Any, dict[Any, Any]], Any], chunks: Iterable[Any],
             shared: list[tuple[Any, Any]] | None = None) -> Iterator[Any]: ...


# A parsed batch, its signature, and the public key it was verified with in a worker
# process (None: not verified there) with the result; or why it was refused.
Prepared = tuple[Batch, str, bytes | None, bool] | BatchRefused

PARALLEL_FROM = 64  # batches in a group; smaller groups are parsed where they arrive
CHUNK = 48  # batches per request to a worker process
SERIAL_CHUNK = 200  # batches checked between two progress reports, parsed here


@dataclass(frozen=True)
class Incoming:
    """One batch as it arrived: its bytes, its form, and where it came from."""

    raw: bytes
    form: str = "json"  # "json" (an envelope) or "csv" (signature beside it)
    signature: str | None = None
    source: str = "http"  # http, mqtt, file
    where: str | None = None  # a file's line or an MQTT topic, for reports
    device: str | None = None  # the device the channel names (an MQTT topic's), if any


@dataclass
class Outcome:
    status: str  # ACCEPTED, HELD, REFUSED
    body: dict[str, Any]
    replayed: bool = False
    where: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != intake.REFUSED


class Ingestor:
    def __init__(self, uow: UnitOfWorkFactory, raw: RawStore, readings: ReadingsWriter,
                 verify: Verify, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 devices: Callable[[AbstractUnitOfWork, str], Any] | None = None,
                 pool: ChunkMap | None = None,
                 all_keys: Callable[[AbstractUnitOfWork], dict[str, bytes]] | None = None
                 ) -> None:
        self.uow = uow
        self.raw = raw
        self.readings = readings
        self.verify = verify
        self.clock = clock
        self.devices = devices or _device_of
        self.pool = pool
        self.all_keys = all_keys
        # key id → public key, append-only, sent to the worker processes as it grows: a key
        # id is a hash of its key, so an entry never changes; whether the key is the
        # device's and valid is still checked here, against the database
        self._keys: dict[str, bytes] = {}
        self._key_list: list[tuple[str, bytes]] = []
        self._keys_loaded = False

    def start(self) -> None:
        """Start the parsing worker processes now (a long-running worker does; an import
        starts them with its first large group)."""
        if self.pool is not None and self.pool.enabled:
            self.pool.start()

    def learn_keys(self, keys: dict[str, bytes]) -> None:
        for key_id, public in keys.items():
            if key_id not in self._keys:
                self._keys[key_id] = public
                self._key_list.append((key_id, public))

    def _prepared(self, uow: AbstractUnitOfWork, items: Sequence[Incoming]
                  ) -> Iterator[list[Prepared]]:
        """The group parsed, in chunks: here, or in worker processes for a large group
        (parsed and verified there while this process stores the chunks before)."""
        if self.pool is None or not self.pool.enabled or len(items) < PARALLEL_FROM:
            for k in range(0, len(items), SERIAL_CHUNK):  # chunks: the progress moves
                yield [_unverified(_parse(item)) for item in items[k:k + SERIAL_CHUNK]]
            return
        if not self._keys_loaded and self.all_keys is not None:
            self.learn_keys(self.all_keys(uow))
            self._keys_loaded = True
        chunks = ((self.verify, [(i.raw, i.form, i.signature) for i in items[k:k + CHUNK]])
                  for k in range(0, len(items), CHUNK))
        done = 0
        try:
            for prepared in self.pool.imap(prepare_chunk, chunks, self._key_list):
                done += len(prepared)
                yield prepared
        except Exception:  # a worker process failed: the rest of the group is parsed here
            log.exception("parsing in worker processes failed after %d of %d batches; "
                          "parsing the rest in this process", done, len(items))
            yield [_unverified(_parse(item)) for item in items[done:]]

    def recover(self) -> dict[str, int]:
        """Finish what a crash between commit and publication left (at start-up)."""
        with self.uow(write=False) as uow:
            groups = uow.dmrv.groups()
        staged_known = {name for name in self.readings.staged()
                        if _group_of(name) in groups}
        return self.readings.recover(staged_known)

    def ingest(self, items: Sequence[Incoming],
               progress: Callable[[int], None] | None = None) -> list[Outcome]:
        """The group's outcomes, in order; ``progress(n)`` after each chunk of ``n`` batches
        is checked (the group is committed at the end, all of it or nothing)."""
        g = _Group(self.clock().astimezone(UTC))
        outcomes: list[Outcome | None] = [None] * len(items)
        names: list[str] = []
        with self.uow(write=True) as uow:
            session = _Session(uow, self.raw, self.devices, self.verify)
            offset = 0
            for prepared in self._prepared(uow, items):
                batches = [p[0] for p in prepared if not isinstance(p, BatchRefused)]
                g.known.update(uow.dmrv.receipts(b.hash for b in batches
                                                 if b.hash not in g.known))
                session.prefetch(batches)
                for i, entry in enumerate(prepared, start=offset):
                    outcomes[i] = self._one(session, g, items[i], entry)
                offset += len(prepared)
                self.learn_keys(session.keys_seen)
                if progress is not None:
                    progress(len(prepared))
            # the raw batches are durable before anything records them
            locations = self.raw.put_many(g.id, g.packed, day=g.stamp[:10])
            for row in g.batch_rows:
                row["raw"] = locations[row["hash"]]
            uow.dmrv.add_many(g.batch_rows)
            uow.dmrv.add_refusals(g.refusal_rows)
            try:
                names = self.readings.stage(g.rows, g.id)
                uow.commit()
            except BaseException:
                self.readings.discard(names)
                raise
        self.readings.publish(names)
        return [o for o in outcomes if o is not None]

    def _one(self, session: _Session, g: _Group, item: Incoming, entry: Prepared) -> Outcome:
        where = item.where
        if isinstance(entry, BatchRefused):
            return Outcome(intake.REFUSED, intake.refusal(entry), where=where)
        batch, signature, checked_with, checked = entry
        if item.device is not None and item.device != batch.device_id:
            # a batch under another device's topic: its receipt would go to that device
            return Outcome(intake.REFUSED, intake.refusal(BatchRefused(
                "R01", "device_id", f"the batch of device {batch.device_id} was sent as "
                f"device {item.device}'s", f"機器 {batch.device_id} のバッチが機器 "
                f"{item.device} として送られました"), batch=batch), where=where)
        if batch.hash in g.known:
            stored = json.loads(g.known[batch.hash])
            return Outcome(stored["status"], stored, replayed=True, where=where)
        try:
            status, comparison = session.check(batch, signature, g.received, g.epoch,
                                               checked_with, checked)
        except BatchRefused as refused:
            if session.device_known(batch.device_id):
                g.refusal_rows.append(_refusal_row(batch, refused, item, g.stamp))
            return Outcome(intake.REFUSED, intake.refusal(refused, batch=batch), where=where)
        new = comparison.new if status == intake.ACCEPTED else []
        body = intake.receipt(batch, status=status, received_at=g.stamp, rows=len(new),
                              duplicates=comparison.duplicates + batch.duplicates_in_batch)
        g.packed.append((batch.hash, batch.signed, signature))
        site = session.site_of(batch.device_id)
        _append(g.rows, batch, site, new)
        session.accepted(batch, status)
        sealed = json.dumps(body)
        g.known[batch.hash] = sealed
        g.batch_rows.append({
            "hash": batch.hash, "device_id": batch.device_id, "site": site,
            "seq": batch.seq, "prev": batch.prev, "key_id": batch.key_id,
            "form": batch.form, "source": item.source,
            "first_start": batch.first_start, "last_end": batch.last_end,
            "rows": len(new), "duplicates": body["duplicates"], "status": status,
            "received_at": g.stamp, "receipt": sealed,
            "parquet_group": g.id if new else None,
            "conflicts": json.dumps(comparison.conflicts, ensure_ascii=False)
            if status == intake.HELD else None})
        return Outcome(status, body, where=where)


@dataclass
class _Group:
    """What one ingestion group gathers before its commit."""

    received: datetime
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    known: dict[str, str] = field(default_factory=dict)  # batch hash → its receipt (JSON)
    rows: ReadingRows = field(default_factory=ReadingRows)
    batch_rows: list[dict[str, Any]] = field(default_factory=list)
    refusal_rows: list[dict[str, Any]] = field(default_factory=list)
    packed: list[tuple[str, bytes, str]] = field(default_factory=list)
    stamp: str = field(init=False)  # the receipts' received_at
    epoch: int = field(init=False)  # for the future-time check

    def __post_init__(self) -> None:
        self.stamp = self.received.isoformat()
        self.epoch = int(self.received.timestamp())


class _Session:
    """What one group's checks look up, cached: devices, chain heads, stored readings."""

    def __init__(self, uow: AbstractUnitOfWork, raw: RawStore,
                 devices: Callable[[AbstractUnitOfWork, str], Any], verify: Verify) -> None:
        self.uow = uow
        self.raw = raw
        self.lookup = devices
        self.verify = verify
        self._devices: dict[str, Any] = {}
        self.heads: dict[str, tuple[int, str] | None] = {}
        self.values: dict[str, dict[intake.Key, intake.Value]] = {}  # batch hash → readings
        self.group_batches: dict[str, list[Batch]] = {}
        self.spans: dict[str, list[tuple[str, str, int, int]]] = {}  # device → stored spans
        self.fetched_since: dict[str, int] = {}  # device → from when its spans were fetched
        self.keys_seen: dict[str, bytes] = {}  # key id → public key, for the workers

    def prefetch(self, batches: list[Batch]) -> None:
        """Chain heads and stored spans of the batches' devices in two queries, not two per
        batch; a device already fetched is fetched again only for an earlier span."""
        since: dict[str, int] = {}
        for b in batches:
            since[b.device_id] = min(since.get(b.device_id, b.first_start), b.first_start)
        new = [d for d in since if d not in self.heads]
        if new:
            heads = self.uow.dmrv.heads(new)
            self.heads.update({device: heads.get(device) for device in new})
        wanted = [d for d, first in since.items()
                  if d not in self.fetched_since or first < self.fetched_since[d]]
        if not wanted:
            return
        for device in wanted:
            self.spans[device] = []
            self.fetched_since[device] = since[device]
        for device, digest, location, first, last in self.uow.dmrv.accepted_spans(
                wanted, min(since[d] for d in wanted)):
            self.spans[device].append((digest, location, first, last))

    def device(self, device_id: str) -> Any:
        if device_id not in self._devices:
            self._devices[device_id] = self.lookup(self.uow, device_id)
        return self._devices[device_id]

    def device_known(self, device_id: str) -> bool:
        return self.device(device_id) is not None

    def site_of(self, device_id: str) -> str:
        return str(self.device(device_id).site)

    def check(self, batch: Batch, signature: str, received: datetime, epoch: int,
              checked_with: bytes | None = None, checked: bool = False
              ) -> tuple[str, intake.Comparison]:
        device = self.device(batch.device_id)
        if device is None:
            raise BatchRefused("R01", "device_id", f"device {batch.device_id} is not registered",
                               f"機器 {batch.device_id} は登録されていません")
        key = next((k for k in device.keys if k.key_id == batch.key_id), None)
        if key is None:
            raise BatchRefused("R02", "key_id", f"key {batch.key_id} is not a key of device "
                               f"{batch.device_id}",
                               f"鍵 {batch.key_id} はこの機器の鍵ではありません")
        if not device.accepts(key, received):
            raise BatchRefused("R02", "key_id", f"key {batch.key_id} was revoked or retired "
                               "before this batch was received",
                               f"鍵 {batch.key_id} は失効しています")
        self.keys_seen[key.key_id] = key.public_key
        # verified in a worker process with this very key, or verified here
        valid = checked if checked_with == key.public_key else \
            self.verify(key.public_key, signature, batch.signed)
        if not valid:
            raise BatchRefused("R02", "signature", "the signature does not verify with the "
                               "device's key: the batch was changed or not signed by the device",
                               "署名が機器の鍵で検証できません（改ざんまたは署名誤り）")
        if batch.device_id not in self.heads:
            self.heads[batch.device_id] = self.uow.dmrv.head(batch.device_id)
        for problem in (intake.chain_problem(self.heads[batch.device_id], batch),
                        intake.channel_problem(batch, device.channels),
                        intake.future_problem(batch, epoch)):
            if problem is not None:
                raise problem
        stored = self._stored(batch)
        comparison = intake.compare(stored, batch)
        return (intake.HELD if comparison.conflict_count else intake.ACCEPTED), comparison

    def accepted(self, batch: Batch, status: str) -> None:
        self.heads[batch.device_id] = (batch.seq, batch.hash)
        if status == intake.ACCEPTED:
            self.group_batches.setdefault(batch.device_id, []).append(batch)

    def _stored(self, batch: Batch) -> dict[intake.Key, intake.Value]:
        stored: dict[intake.Key, intake.Value] = {}
        self.prefetch([batch])
        for digest, location, first, last in self.spans.get(batch.device_id, ()):
            if last <= batch.first_start or first >= batch.last_end:
                continue
            if digest not in self.values:
                self.values[digest] = intake.values_of(_reparse(self.raw, digest, location))
            stored.update(self.values[digest])
        for earlier in self.group_batches.get(batch.device_id, ()):
            if earlier.last_end > batch.first_start and earlier.first_start < batch.last_end:
                stored.update(intake.values_of(earlier))
        return stored


def _parse(item: Incoming) -> tuple[Batch, str] | BatchRefused:
    return _parse_raw(item.raw, item.form, item.signature)


def _parse_raw(raw: bytes, form: str, signature: str | None
               ) -> tuple[Batch, str] | BatchRefused:
    try:
        if form == "csv":
            if not signature:
                raise BatchRefused("R02", "signature", "a CSV batch needs its signature (the "
                                   "X-Jcredit-Signature header)", "CSV バッチの署名がありません")
            return parse_csv_batch(raw), signature
        return parse_envelope(raw)
    except BatchRefused as refused:
        return refused
    except (RecursionError, ValueError, OverflowError, TypeError, csv.Error) as error:
        # what the parsers did not foresee is still one bad batch, not a failed group
        log.warning("a batch could not be read: %r", error)
        return BatchRefused("R01", "batch", "the batch could not be read as a batch",
                            "バッチとして読めません")


def _unverified(parsed: tuple[Batch, str] | BatchRefused) -> Prepared:
    if isinstance(parsed, BatchRefused):
        return parsed
    return parsed[0], parsed[1], None, False


def prepare_chunk(chunk: tuple[Verify, list[tuple[bytes, str, str | None]]],
                  keys: dict[Any, Any]) -> list[Prepared]:
    """In a worker process: parse each batch and verify its signature with the key its key
    id names, when known (the caller still checks that key is the device's and valid)."""
    verify, items = chunk
    out: list[Prepared] = []
    for raw, form, signature in items:
        parsed = _parse_raw(raw, form, signature)
        if isinstance(parsed, BatchRefused):
            out.append(parsed)
            continue
        batch, sig = parsed
        public = keys.get(batch.key_id)
        out.append((batch, sig, public, verify(public, sig, batch.signed) if public else False))
    return out


def _reparse(raw: RawStore, digest: str, location: str) -> Batch:
    data, signature = raw.get(digest, location)
    if data.startswith(b"# jcredit-batch"):
        return parse_csv_batch(data)
    return parse_envelope(json.dumps({"batch": json.loads(data), "signature": signature},
                                     ensure_ascii=False).encode("utf-8"))[0]


def _append(rows: ReadingRows, batch: Batch, site: str, indices: list[int]) -> None:
    r = batch.readings
    n = len(indices)
    if n:
        rows.runs.append((n, site, batch.device_id, batch.interval_s, batch.hash))
    if n == len(r):
        rows.channel.extend(r.channel)
        rows.start.extend(r.start)
        rows.register_wh.extend(r.register_wh)
        rows.energy_wh.extend(r.energy_wh)
        rows.quality.extend(r.quality)
        return
    for i in indices:
        rows.channel.append(r.channel[i])
        rows.start.append(r.start[i])
        rows.register_wh.append(r.register_wh[i])
        rows.energy_wh.append(r.energy_wh[i])
        rows.quality.append(r.quality[i])


def _refusal_row(batch: Batch, refused: BatchRefused, item: Incoming, stamp: str
                 ) -> dict[str, Any]:
    return {"device_id": batch.device_id, "batch_hash": batch.hash, "seq": batch.seq,
            "rule_id": refused.rule_id, "field": (refused.field or "")[:200],
            "reason": refused.message[:500], "reason_ja": refused.message_ja[:500],
            "source": item.source, "received_at": stamp}


def _group_of(name: str) -> str:
    return name.rsplit("part-", 1)[-1].removesuffix(".parquet")


def _device_of(uow: AbstractUnitOfWork, device_id: str) -> Any:
    """The device as ingestion needs it (site, channels, keys, accepts) or None."""
    return uow.devices.get(device_id)

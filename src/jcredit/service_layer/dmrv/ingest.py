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

import json
import logging
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Incoming:
    """One batch as it arrived: its bytes, its form, and where it came from."""

    raw: bytes
    form: str = "json"  # "json" (an envelope) or "csv" (signature beside it)
    signature: str | None = None
    source: str = "http"  # http, mqtt, file
    where: str | None = None  # a file's line or an MQTT topic, for reports


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
                 devices: Callable[[AbstractUnitOfWork, str], Any] | None = None) -> None:
        self.uow = uow
        self.raw = raw
        self.readings = readings
        self.verify = verify
        self.clock = clock
        self.devices = devices or _device_of

    def recover(self) -> dict[str, int]:
        """Finish what a crash between commit and publication left (at start-up)."""
        with self.uow(write=False) as uow:
            groups = uow.dmrv.groups()
        staged_known = {name for name in self.readings.staged()
                        if _group_of(name) in groups}
        return self.readings.recover(staged_known)

    def ingest(self, items: Sequence[Incoming]) -> list[Outcome]:
        received = self.clock().astimezone(UTC)
        stamp = received.isoformat()
        epoch = int(received.timestamp())
        parsed: list[tuple[Batch, str] | BatchRefused] = [_parse(item) for item in items]
        outcomes: list[Outcome | None] = [None] * len(items)
        rows = ReadingRows()
        batch_rows: list[dict[str, Any]] = []
        refusal_rows: list[dict[str, Any]] = []
        group = uuid.uuid4().hex
        names: list[str] = []
        packed: list[tuple[str, bytes, str]] = []
        with self.uow(write=True) as uow:
            known = uow.dmrv.receipts(p[0].hash for p in parsed if not isinstance(p, Exception))
            session = _Session(uow, self.raw, self.devices, self.verify)
            session.prefetch([p[0] for p in parsed if not isinstance(p, Exception)])
            for i, entry in enumerate(parsed):
                where = items[i].where
                if isinstance(entry, BatchRefused):
                    outcomes[i] = Outcome(intake.REFUSED, intake.refusal(entry), where=where)
                    continue
                batch, signature = entry
                if batch.hash in known:
                    stored = json.loads(known[batch.hash])
                    outcomes[i] = Outcome(stored["status"], stored, replayed=True, where=where)
                    continue
                try:
                    status, comparison = session.check(batch, signature, received, epoch)
                except BatchRefused as refused:
                    outcomes[i] = Outcome(intake.REFUSED, intake.refusal(refused, batch=batch),
                                          where=where)
                    if session.device_known(batch.device_id):
                        refusal_rows.append(_refusal_row(batch, refused, items[i], stamp))
                    continue
                new = comparison.new if status == intake.ACCEPTED else []
                body = intake.receipt(batch, status=status, received_at=stamp, rows=len(new),
                                      duplicates=comparison.duplicates
                                      + batch.duplicates_in_batch)
                packed.append((batch.hash, batch.signed, signature))
                site = session.site_of(batch.device_id)
                _append(rows, batch, site, new)
                session.accepted(batch, status)
                sealed = json.dumps(body)
                known[batch.hash] = sealed
                batch_rows.append({
                    "hash": batch.hash, "device_id": batch.device_id, "site": site,
                    "seq": batch.seq, "prev": batch.prev, "key_id": batch.key_id,
                    "form": batch.form, "source": items[i].source,
                    "first_start": batch.first_start, "last_end": batch.last_end,
                    "rows": len(new), "duplicates": body["duplicates"], "status": status,
                    "received_at": stamp, "receipt": sealed,
                    "parquet_group": group if new else None,
                    "conflicts": json.dumps(comparison.conflicts, ensure_ascii=False)
                    if status == intake.HELD else None})
                outcomes[i] = Outcome(status, body, where=where)
            # the raw batches are durable before anything records them
            locations = self.raw.put_many(group, packed, day=stamp[:10])
            for row in batch_rows:
                row["raw"] = locations[row["hash"]]
            uow.dmrv.add_many(batch_rows)
            uow.dmrv.add_refusals(refusal_rows)
            try:
                names = self.readings.stage(rows, group)
                uow.commit()
            except BaseException:
                self.readings.discard(names)
                raise
        self.readings.publish(names)
        return [o for o in outcomes if o is not None]


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
        self.spans: dict[str, list[tuple[str, str, int, int]]] | None = None  # after prefetch

    def prefetch(self, batches: list[Batch]) -> None:
        """Chain heads and stored spans of the group's devices in two queries, not two per
        batch."""
        if not batches:
            return
        ids = list(dict.fromkeys(b.device_id for b in batches))
        heads = self.uow.dmrv.heads(ids)
        self.heads.update({device: heads.get(device) for device in ids})
        self.spans = {}
        for device, digest, location, first, last in self.uow.dmrv.accepted_spans(
                ids, min(b.first_start for b in batches)):
            self.spans.setdefault(device, []).append((digest, location, first, last))

    def device(self, device_id: str) -> Any:
        if device_id not in self._devices:
            self._devices[device_id] = self.lookup(self.uow, device_id)
        return self._devices[device_id]

    def device_known(self, device_id: str) -> bool:
        return self.device(device_id) is not None

    def site_of(self, device_id: str) -> str:
        return str(self.device(device_id).site)

    def check(self, batch: Batch, signature: str, received: datetime, epoch: int
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
        if not self.verify(key.public_key, signature, batch.signed):
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
        if self.spans is None:
            self.prefetch([batch])
        assert self.spans is not None
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
    try:
        if item.form == "csv":
            if not item.signature:
                raise BatchRefused("R02", "signature", "a CSV batch needs its signature (the "
                                   "X-Jcredit-Signature header)", "CSV バッチの署名がありません")
            return parse_csv_batch(item.raw), item.signature
        return parse_envelope(item.raw)
    except BatchRefused as refused:
        return refused


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

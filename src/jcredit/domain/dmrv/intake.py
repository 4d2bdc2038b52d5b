"""The checks a batch passes on its way in (docs/dmrv.md §2), as pure functions: the hash
chain (R02), registered channels (R01), times in the future (R04), duplicates and conflicts
with what is stored (R03), and the receipt.

A batch is refused whole or kept whole: its signature covers all of it, so no reading of a
refused batch is kept and none of a held one is stored until someone decides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from jcredit.domain.dmrv.envelope import Batch
from jcredit.domain.dmrv.envelope import BatchRefused
from jcredit.domain.dmrv.envelope import utc_iso
from jcredit.domain.dmrv.model import GENESIS

ACCEPTED = "ACCEPTED"
HELD = "HELD"
REFUSED = "REFUSED"
FUTURE_TOLERANCE_S = 300  # dmrv.md §5.3 R04: 5 minutes
MAX_CONFLICTS_SHOWN = 50

Key = tuple[str, int]  # channel, start
Value = tuple[int | None, int | None, str]  # register_wh, energy_wh, quality


def chain_problem(head: tuple[int, str] | None, batch: Batch) -> BatchRefused | None:
    """R02: a batch continues its device's chain: seq one more than the head's and ``prev``
    the head's hash (the first batch: seq 1 and 64 zeros).

    >>> from jcredit.domain.dmrv.envelope import Readings
    >>> from datetime import datetime, UTC
    >>> b = Batch("D", 2, "a" * 64, "0" * 16, datetime.now(UTC), "Wh", 1800, Readings(),
    ...           b"", "", "json")
    >>> chain_problem((1, "a" * 64), b) is None
    True
    >>> chain_problem((1, "b" * 64), b).field
    'prev'
    """
    seq, digest = head if head is not None else (0, GENESIS)
    if batch.seq <= seq and batch.prev != digest:
        return BatchRefused("R02", "seq", f"seq {batch.seq} was already used (the chain is at "
                            f"{seq}): a fork", f"seq {batch.seq} は使用済みです（分岐）")
    if batch.seq != seq + 1:
        return BatchRefused("R02", "seq", f"seq {batch.seq} does not follow {seq}: batches "
                            f"{seq + 1}–{batch.seq - 1} are missing or seq is wrong",
                            f"seq {batch.seq} は {seq} の次ではありません（欠落）")
    if batch.prev != digest:
        return BatchRefused("R02", "prev", "prev is not the hash of the device's previous "
                            "batch: the chain is broken",
                            "prev が直前のバッチのハッシュと一致しません")
    return None


def channel_problem(batch: Batch, channels: Iterable[str]) -> BatchRefused | None:
    """R01: every reading is on a channel the device was registered with."""
    allowed = set(channels)
    for name in sorted(set(batch.readings.channel) - allowed):
        return BatchRefused("R01", "channel", f"channel {name!r} is not registered for "
                            f"device {batch.device_id} (registered: {', '.join(sorted(allowed))})",
                            f"チャネル {name} はこの機器に登録されていません")
    return None


def future_problem(batch: Batch, received: int, tolerance: int = FUTURE_TOLERANCE_S
                   ) -> BatchRefused | None:
    """R04: no interval ends after the moment of receipt (plus a tolerance)."""
    if batch.last_end > received + tolerance:
        return BatchRefused("R04", "start", f"an interval ends at {utc_iso(batch.last_end)}, "
                            f"after the batch was received ({utc_iso(received)}): in the future",
                            "受信時刻より後の区間があります（未来の時刻）")
    return None


@dataclass
class Comparison:
    """What of a batch is new, what repeats identical stored readings, what conflicts."""

    new: list[int] = field(default_factory=list)  # indices of the batch's readings
    duplicates: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    conflict_count: int = 0


def compare(stored: dict[Key, Value], batch: Batch) -> Comparison:
    """R03: readings already stored with the same values are dropped (idempotent); one with
    different values is a conflict, and a batch with any conflict is held whole.

    >>> from jcredit.domain.dmrv.envelope import Readings
    >>> from datetime import datetime, UTC
    >>> r = Readings([0, 1800], ["generation"] * 2, [5, 9], [None, None], ["measured"] * 2)
    >>> b = Batch("D", 1, "0" * 64, "0" * 16, datetime.now(UTC), "Wh", 1800, r, b"", "", "json")
    >>> c = compare({("generation", 0): (5, None, "measured")}, b)
    >>> c.new, c.duplicates, c.conflict_count
    ([1], 1, 0)
    >>> compare({("generation", 0): (6, None, "measured")}, b).conflict_count
    1
    """
    result = Comparison()
    r = batch.readings
    if not stored:
        result.new = list(range(len(r)))
        return result
    for i, key in enumerate(zip(r.channel, r.start, strict=True)):
        old = stored.get(key)
        if old is None:
            result.new.append(i)
            continue
        value = (r.register_wh[i], r.energy_wh[i], r.quality[i])
        if old == value:
            result.duplicates += 1
            continue
        result.conflict_count += 1
        if len(result.conflicts) < MAX_CONFLICTS_SHOWN:
            result.conflicts.append({
                "channel": key[0], "start": utc_iso(key[1]),
                "stored": {"register_wh": old[0], "energy_wh": old[1], "quality": old[2]},
                "sent": {"register_wh": value[0], "energy_wh": value[1], "quality": value[2]}})
    return result


def values_of(batch: Batch) -> dict[Key, Value]:
    r = batch.readings
    return {(c, s): (g, e, q) for c, s, g, e, q in zip(
        r.channel, r.start, r.register_wh, r.energy_wh, r.quality, strict=True)}


def receipt(batch: Batch, *, status: str, received_at: str, rows: int, duplicates: int
            ) -> dict[str, Any]:
    """What the device is told and what a replay returns, sealed by a hash of its fields."""
    body = {"batch": batch.hash, "device_id": batch.device_id, "seq": batch.seq,
            "status": status, "received_at": received_at, "rows": rows,
            "duplicates": duplicates}
    seal = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()
    return body | {"receipt": seal}


def refusal(error: BatchRefused, *, batch: Batch | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": REFUSED, "rule_id": error.rule_id, "field": error.field,
                            "reason": error.message, "reason_ja": error.message_ja}
    if batch is not None:
        body |= {"batch": batch.hash, "device_id": batch.device_id, "seq": batch.seq}
    return body

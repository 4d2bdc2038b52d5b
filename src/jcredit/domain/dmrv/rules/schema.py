"""R01 schema, units and channels; R03 duplicates and conflicts; R04 timestamps; R05 the
device clock against the receipt time (dmrv.md §5.3).

Ingestion refuses a malformed *batch* outright (``envelope.parse_envelope``); these rules look
at a *series* as stored or as read from a file, where the same faults can still appear: a
channel the device is not registered for, readings before commissioning, the same interval
twice with different values, intervals in the future or of the wrong length.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from datetime import datetime

from jcredit.domain.dmrv.model import CADENCES
from jcredit.domain.dmrv.model import CHANNELS
from jcredit.domain.dmrv.model import QUALITIES
from jcredit.domain.dmrv.model import ChannelSeries
from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.context import DAY
from jcredit.domain.dmrv.rules.context import JST
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import cadence
from jcredit.domain.dmrv.rules.context import examples
from jcredit.domain.dmrv.rules.context import merge
from jcredit.domain.dmrv.thresholds import Thresholds

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def epoch_of_date_jst(day: date) -> int:
    """00:00 JST of ``day`` in UTC epoch seconds."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY - JST


def _energy_sum(ch: ChannelSeries, indices: Sequence[int]) -> int:
    return sum(ch.energy_wh[i] or 0 for i in indices)


def schema(series: SiteSeries, thresholds: Thresholds | None = None, *,
           ctx: Context | None = None) -> list[Finding]:
    """R01: every channel is a known one and registered for the device; every reading has a
    known quality, a register or an energy, no negative value; none is from before the
    commissioning date (JST). BLOCK: such readings are not credited."""
    ctx = ctx or Context(series, thresholds)
    facts = series.facts
    out: list[Finding] = []
    commissioned = (epoch_of_date_jst(facts.commissioned_on)
                    if facts.commissioned_on is not None else None)
    for name, ch in series.channels.items():
        n = len(ch.start)
        lengths = {len(ch.start), len(ch.seconds), len(ch.register_wh), len(ch.energy_wh),
                   len(ch.quality)}
        if len(lengths) > 1:
            out.append(ctx.finding("R01", "malformed_channel", Severity.BLOCK,
                                   [(min(ch.start), max(ch.start) + 1)] if ch.start else [],
                                   0, {"channel": name, "lengths": sorted(lengths)}))
            continue
        if not n:
            continue
        whole = [(ch.start[i], ch.start[i] + ch.seconds[i]) for i in range(n)]
        if name not in CHANNELS:
            out.append(ctx.finding("R01", "unknown_channel", Severity.BLOCK, whole,
                                   _energy_sum(ch, range(n)),
                                   {"channel": name, "valid": list(CHANNELS), "intervals": n}))
            continue
        if name not in facts.channels:
            out.append(ctx.finding("R01", "unregistered_channel", Severity.BLOCK, whole,
                                   _energy_sum(ch, range(n)),
                                   {"channel": name, "registered": list(facts.channels),
                                    "intervals": n}))
            continue
        bad: dict[str, list[int]] = {}
        if not set(ch.quality) <= set(QUALITIES):
            bad["unknown_quality"] = [i for i, q in enumerate(ch.quality) if q not in QUALITIES]
        if min((e for e in ch.energy_wh if e is not None), default=0) < 0:
            bad["negative_energy"] = [i for i, e in enumerate(ch.energy_wh)
                                      if e is not None and e < 0]
        if min((r for r in ch.register_wh if r is not None), default=0) < 0:
            bad["negative_register"] = [i for i, r in enumerate(ch.register_wh)
                                        if r is not None and r < 0]
        if None in ch.energy_wh and None in ch.register_wh:
            bad["no_value"] = [i for i in range(n)
                               if ch.energy_wh[i] is None and ch.register_wh[i] is None]
        if commissioned is not None and min(ch.start) < commissioned:
            bad["before_commissioning"] = [i for i in range(n) if ch.start[i] < commissioned]
        for kind, indices in bad.items():
            evidence: dict[str, object] = {
                "channel": name, "intervals": len(indices),
                "examples": examples([{"start": ch.start[i], "quality": ch.quality[i],
                                       "register_wh": ch.register_wh[i],
                                       "energy_wh": ch.energy_wh[i]} for i in indices])}
            if kind == "unknown_quality":
                evidence["valid"] = list(QUALITIES)
            if kind == "before_commissioning":
                evidence["commissioned_on"] = str(facts.commissioned_on)
            out.append(ctx.finding("R01", kind, Severity.BLOCK,
                                   [whole[i] for i in indices],
                                   max(0, _energy_sum(ch, indices)), evidence))
    return out


def duplicates(series: SiteSeries, thresholds: Thresholds | None = None, *,
               ctx: Context | None = None) -> list[Finding]:
    """R03 inside a series: the same channel and interval more than once. Identical → FLAG
    (dropped: the receipt is idempotent); different values → HOLD (a conflict is never
    merged silently; the verifier decides which is right)."""
    ctx = ctx or Context(series, thresholds)
    out: list[Finding] = []
    for name, ch in series.channels.items():
        if len(set(ch.start)) == len(ch.start):
            continue
        first: dict[int, int] = {}
        same: list[tuple[int, int]] = []
        conflict: list[tuple[int, int]] = []
        for i, s in enumerate(ch.start):
            j = first.setdefault(s, i)
            if j == i:
                continue
            row_i = (ch.seconds[i], ch.register_wh[i], ch.energy_wh[i], ch.quality[i])
            row_j = (ch.seconds[j], ch.register_wh[j], ch.energy_wh[j], ch.quality[j])
            (same if row_i == row_j else conflict).append((j, i))
        if same:
            out.append(ctx.finding(
                "R03", "duplicate", Severity.FLAG,
                [(ch.start[i], ch.start[i] + ch.seconds[i]) for _, i in same], 0,
                {"channel": name, "duplicates": len(same),
                 "starts": examples([ch.start[i] for _, i in same])}))
        if conflict:
            differing = [max(ch.energy_wh[j] or 0, ch.energy_wh[i] or 0) for j, i in conflict]
            out.append(ctx.finding(
                "R03", "conflict", Severity.HOLD,
                [(ch.start[i], ch.start[i] + ch.seconds[i]) for _, i in conflict],
                sum(differing),
                {"channel": name, "conflicts": len(conflict),
                 "examples": examples([
                     {"start": ch.start[i],
                      "first": {"register_wh": ch.register_wh[j], "energy_wh": ch.energy_wh[j],
                                "quality": ch.quality[j]},
                      "second": {"register_wh": ch.register_wh[i],
                                 "energy_wh": ch.energy_wh[i], "quality": ch.quality[i]}}
                     for j, i in conflict])}))
    return out


def _epoch(now: int | datetime | None) -> int | None:
    if now is None or isinstance(now, int):
        return now
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())


def timestamps(series: SiteSeries, thresholds: Thresholds | None = None, *,
               now: int | datetime | None = None, ctx: Context | None = None,
               ) -> list[Finding]:
    """R04: no interval ends after ``now`` + tolerance (BLOCK: a reading of the future cannot
    exist); starts increase; intervals do not overlap; every interval has the channel's
    cadence, a permitted one (docs/dmrv.md §2), and starts on a multiple of it (HOLD)."""
    ctx = ctx or Context(series, thresholds)
    t = ctx.t
    limit = None if now is None else _epoch(now)
    if limit is not None:
        limit += int(t["R04.future_tolerance"])
    out: list[Finding] = []
    for name, ch in series.channels.items():
        n = len(ch.start)
        if not n or len(ch.seconds) != n:
            continue
        st, sc = ch.start, ch.seconds
        every = cadence(sc)
        if limit is not None and max(s + d for s, d in zip(st, sc, strict=True)) > limit:
            late = [i for i in range(n) if st[i] + sc[i] > limit]
            out.append(ctx.finding("R04", "future", Severity.BLOCK,
                                   [(st[i], st[i] + sc[i]) for i in late],
                                   _energy_sum(ch, late),
                                   {"channel": name, "intervals": len(late), "now": limit
                                    - int(t["R04.future_tolerance"]),
                                    "tolerance_s": int(t["R04.future_tolerance"]),
                                    "first_start": st[late[0]]}))
        problems: dict[str, list[int]] = {}
        if every not in CADENCES or any(d != every for d in sc):
            problems["interval_length"] = [i for i in range(n)
                                           if sc[i] != every or sc[i] not in CADENCES]
        if any(s % d for s, d in zip(st, sc, strict=True) if d > 0):
            problems["misaligned"] = [i for i in range(n) if sc[i] > 0 and st[i] % sc[i]]
        backward = [i for i in range(1, n) if st[i] < st[i - 1]]
        if backward:
            problems["non_monotonic"] = backward
        overlap = [i for i in range(1, n) if st[i - 1] < st[i] < st[i - 1] + sc[i - 1]]
        if overlap:
            problems["overlap"] = overlap
        for kind, indices in problems.items():
            out.append(ctx.finding(
                "R04", kind, Severity.HOLD, [(st[i], st[i] + sc[i]) for i in indices],
                _energy_sum(ch, indices),
                {"channel": name, "intervals": len(indices), "cadence_s": every,
                 "valid_cadences_s": list(CADENCES),
                 "examples": examples([{"start": st[i], "seconds": sc[i]} for i in indices])}))
    return out


def transport_clock(batches: Sequence[tuple[int, int, int, int]],
                    thresholds: Thresholds, *, site: str | None = None) -> list[Finding]:
    """R05 over a device's batches in receipt order, each ``(created_at, received_at,
    first_start, last_end)`` in UTC seconds: the device's clock when it sealed the batch
    against the server's receipt time. Beyond the tolerance → FLAG; for several batches in a
    row → HOLD (a device clock that is persistently wrong also mislabels its intervals)."""
    tolerance = int(thresholds["R05.clock_tolerance"])
    persistent = int(thresholds["R05.persistent_batches"])
    off = [i for i, (created, received, _, _) in enumerate(batches)
           if abs(created - received) > tolerance]
    if not off:
        return []
    runs: list[list[int]] = []
    for i in off:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    out = []
    for severity, chosen in ((Severity.HOLD, [r for r in runs if len(r) >= persistent]),
                             (Severity.FLAG, [r for r in runs if len(r) < persistent])):
        indices = [i for r in chosen for i in r]
        if not indices:
            continue
        out.append(Finding(
            "R05", "R05.transport_clock", severity,
            merge((batches[i][2], batches[i][3]) for i in indices), 0,
            {"batches": len(indices), "tolerance_s": tolerance,
             "persistent_batches": persistent,
             "offsets_s": examples([batches[i][0] - batches[i][1] for i in indices])},
            site=site))
    return out

"""What several rules derive from one site's series, computed once per evaluation.

Rules are pure functions ``(series, thresholds) -> list[Finding]``; :func:`evaluate` builds
one :class:`Context` and passes it to each (``ctx=``), so the register deltas, the local days
and the capacities are derived once, not once per rule. A rule called alone builds its own.

Speed (docs/dmrv.md §5, the benchmark's site-days/s): everything is parallel plain lists
and integer arithmetic; no object per interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from jcredit.domain.dmrv.energy import IntervalEnergy
from jcredit.domain.dmrv.energy import interval_energy
from jcredit.domain.dmrv.model import Channel
from jcredit.domain.dmrv.model import ChannelSeries
from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.thresholds import Thresholds
from jcredit.domain.dmrv.thresholds import load

DAY = 86400
JST = 9 * 3600  # dates of the registry (commissioning, 検定 expiry) are Japanese dates
GEN = Channel.GENERATION.value
EXPORT = Channel.EXPORT.value
EVIDENCE_ITEMS = 20  # examples listed in a finding's evidence; counts say how many in all


def deduplicated(ch: ChannelSeries) -> tuple[ChannelSeries, list[int] | None]:
    """``ch`` sorted by start with each start once (the first reading of a duplicate: R03
    reports the others) and the indices kept; ``(ch, None)`` when already so."""
    starts = ch.start
    if all(starts[i] < starts[i + 1] for i in range(len(starts) - 1)):
        return ch, None
    order = sorted(range(len(starts)), key=starts.__getitem__)
    seen: set[int] = set()
    keep = []
    for i in order:
        if starts[i] not in seen:
            seen.add(starts[i])
            keep.append(i)
    return ChannelSeries([ch.start[i] for i in keep], [ch.seconds[i] for i in keep],
                         [ch.register_wh[i] for i in keep], [ch.energy_wh[i] for i in keep],
                         [ch.quality[i] for i in keep]), keep


def cadence(seconds: Sequence[int]) -> int:
    """The most common interval length of a channel (its declared cadence)."""
    if not seconds:
        return 1800
    first = seconds[0]
    if seconds.count(first) * 2 > len(seconds):
        return first
    counts: dict[int, int] = {}
    for s in seconds:
        counts[s] = counts.get(s, 0) + 1
    return max(counts, key=lambda s: (counts[s], -s))


class Context:
    """One site's derived columns, aligned with its generation channel (deduplicated)."""

    def __init__(self, series: SiteSeries, thresholds: Thresholds | None = None) -> None:
        self.series = series
        self.t = thresholds or load()
        facts = series.facts
        self.facts = facts
        self.site = facts.site
        self.ac_w = float(facts.capacity_ac_kw) * 1000.0
        self.dc_w = float(facts.capacity_dc_kw) * 1000.0
        # the largest power a delta may represent (R11's caps): bounds a rollover's delta
        self.max_power_w = min(self.ac_w * self.t.f("R11.ac_margin"),
                               self.dc_w * self.t.f("R11.dc_margin"))
        sent = series.channel(GEN)
        self.gen, keep = deduplicated(sent)
        self.n = len(self.gen.start)
        self.start = self.gen.start
        self.seconds = self.gen.seconds
        self.cadence = cadence(self.seconds)
        self.elevation = _aligned(series.sun_elevation, len(sent), keep)
        self.clear_sky = _aligned(series.clear_sky_wh, len(sent), keep)
        # local solar time: the day changes at the site's mean solar midnight, so one day
        # holds one whole production window anywhere in Japan
        self.solar_offset = round(float(facts.longitude) * 240)
        self._energy: dict[str, IntervalEnergy] = {}
        self._days: list[tuple[int, int, int]] | None = None
        self._day_of: list[int] | None = None

    def energy_of(self, channel: str) -> IntervalEnergy:
        """The channel's per-interval energy (register deltas where no energy was sent)."""
        found = self._energy.get(channel)
        if found is None:
            ch = self.gen if channel == GEN else deduplicated(self.series.channel(channel))[0]
            found = interval_energy(ch, max_power_w=self.max_power_w)
            self._energy[channel] = found
        return found

    @property
    def energy(self) -> list[int | None]:
        """Generation energy per interval."""
        return self.energy_of(GEN).energy

    @property
    def span(self) -> list[int]:
        return self.energy_of(GEN).span

    def single(self) -> list[int | None]:
        """Generation energy of the intervals whose energy covers that interval alone (not a
        register delta spanning missing intervals); ``None`` elsewhere."""
        energy, span, secs = self.energy, self.span, self.seconds
        return [e if sp == s else None for e, sp, s in zip(energy, span, secs, strict=True)]

    @property
    def day_of(self) -> list[int]:
        """The local solar day number of each interval."""
        if self._day_of is None:
            off = self.solar_offset
            self._day_of = [(s + off) // DAY for s in self.start]
        return self._day_of

    @property
    def days(self) -> list[tuple[int, int, int]]:
        """``(day, first index, end index)`` of each local solar day present."""
        if self._days is None:
            days: list[tuple[int, int, int]] = []
            day_of = self.day_of
            i0 = 0
            for i in range(1, self.n + 1):
                if i == self.n or day_of[i] != day_of[i0]:
                    days.append((day_of[i0], i0, i))
                    i0 = i
            self._days = days
        return self._days

    def day_window(self, day: int) -> tuple[int, int]:
        """A local solar day as a UTC ``[start, end)``."""
        return day * DAY - self.solar_offset, (day + 1) * DAY - self.solar_offset

    def capacity_wh(self, seconds: int) -> float:
        """AC capacity × Δt (Wh), the unit of the fractional thresholds."""
        return self.ac_w * seconds / 3600.0

    def finding(self, rule_id: str, kind: str, severity: Severity,
                intervals: Iterable[tuple[int, int]], energy_wh: int,
                evidence: dict[str, Any]) -> Finding:
        return Finding(rule_id, f"{rule_id}.{kind}", severity, merge(intervals), energy_wh,
                       evidence, site=self.site)

    def ranges(self, indices: Iterable[int], start: Sequence[int] | None = None,
               seconds: Sequence[int] | None = None) -> list[tuple[int, int]]:
        st = self.start if start is None else start
        sc = self.seconds if seconds is None else seconds
        return [(st[i], st[i] + sc[i]) for i in indices]


def _aligned(values: list[float], n: int, keep: list[int] | None) -> list[float] | None:
    """The physics context if it was computed for the channel's intervals, realigned with
    the deduplicated ones; ``None`` when absent."""
    if not n or len(values) != n:
        return None
    return values if keep is None else [values[i] for i in keep]


def merge(intervals: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sorted ``[start, end)`` ranges with touching or overlapping ones joined."""
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1][1] = b
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def examples(items: Sequence[Any]) -> list[Any]:
    return list(items[:EVIDENCE_ITEMS])


def wh_cap(capacity_kw: Decimal, margin: Decimal, seconds: int) -> int:
    """``floor(P × margin × Δt)`` in whole Wh, exactly (R11)."""
    return int(capacity_kw * 1000 * margin * seconds // 3600)

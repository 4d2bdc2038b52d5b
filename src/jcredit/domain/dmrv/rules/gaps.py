"""R09: gaps, and energy that was not measured (dmrv.md §5.3 R09; RdTools availability,
pvanalytics ``completeness_score``, CalTRACK coverage).

- A reading whose quality is ``estimated`` or ``interpolated`` → BLOCK: such energy is never
  credited, on any channel (an estimated export would move self-consumption as much).
- Missing intervals → FLAG (under-reporting is conservative). The evidence scores each day's
  **daylight completeness** (daylight intervals present / daylight intervals expected; a day
  is complete at ≥ ``R09.daylight_completeness``, 90 %) and says how much energy registers
  carry across the gaps: that delta is credited as one block, never spread over time.

Whether a missing interval was in daylight is computed with the domain's approximate sun
(``jcredit.domain.dmrv.sun``): the physics context only covers intervals that were sent.
"""

from __future__ import annotations

from jcredit.domain.dmrv import sun
from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Quality
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.clock import day_date
from jcredit.domain.dmrv.rules.context import DAY
from jcredit.domain.dmrv.rules.context import GEN
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import cadence
from jcredit.domain.dmrv.rules.context import deduplicated
from jcredit.domain.dmrv.rules.context import examples
from jcredit.domain.dmrv.thresholds import Thresholds

_NOT_MEASURED = {Quality.ESTIMATED.value, Quality.INTERPOLATED.value}
MAX_SLOTS_SCORED = 31 * 1440  # missing slots scored for daylight one by one (a month of minutes)


def gaps(series: SiteSeries, thresholds: Thresholds | None = None, *,
         ctx: Context | None = None) -> list[Finding]:
    """R09 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    out: list[Finding] = []
    for name, sent in series.channels.items():
        if not sent.start or len(sent.quality) != len(sent.start):
            continue
        ch = ctx.gen if name == GEN else deduplicated(sent)[0]
        energy = ctx.energy_of(name)
        if not set(ch.quality) <= {Quality.MEASURED.value}:
            bad = [i for i, q in enumerate(ch.quality) if q in _NOT_MEASURED]
            if bad:
                out.append(ctx.finding(
                    "R09", "not_measured", Severity.BLOCK,
                    [(ch.start[i], ch.start[i] + ch.seconds[i]) for i in bad],
                    sum(energy.energy[i] or 0 for i in bad),
                    {"channel": name, "intervals": len(bad),
                     "estimated": sum(ch.quality[i] == Quality.ESTIMATED.value for i in bad),
                     "interpolated": sum(ch.quality[i] == Quality.INTERPOLATED.value
                                         for i in bad)}))
        step = cadence(ch.seconds)
        starts, secs = ch.start, ch.seconds
        holes = [(starts[i] + secs[i], starts[i + 1]) for i in range(len(starts) - 1)
                 if starts[i + 1] > starts[i] + secs[i]]
        if not holes:
            continue
        missing = sum((b - a) // step for a, b in holes)
        spanning = [i for i in range(len(starts)) if energy.span[i] > secs[i]]
        evidence: dict[str, object] = {
            "channel": name, "missing_intervals": missing, "cadence_s": step,
            "register_spans": len(spanning),
            "register_span_wh": sum(energy.energy[i] or 0 for i in spanning),
            "gaps": examples([{"start": a, "end": b} for a, b in holes]),
        }
        if missing <= MAX_SLOTS_SCORED:
            evidence.update(_daylight(ctx, name, starts, secs, holes, step))
        out.append(ctx.finding("R09", "missing", Severity.FLAG, holes, 0, evidence))
    return out


def _daylight(ctx: Context, name: str, starts: list[int], secs: list[int],
              holes: list[tuple[int, int]], step: int) -> dict[str, object]:
    """Per local day: daylight intervals present and missing; the incomplete days."""
    lat, lon = float(ctx.facts.latitude), float(ctx.facts.longitude)
    off = ctx.solar_offset
    present: dict[int, int] = {}
    if name == GEN and ctx.elevation is not None:
        for s, el in zip(starts, ctx.elevation, strict=True):
            if el > 0.0:
                d = (s + off) // DAY
                present[d] = present.get(d, 0) + 1
    else:
        for s, d_s in zip(starts, secs, strict=True):
            if sun.elevation(s + d_s / 2, lat, lon) > 0.0:
                d = (s + off) // DAY
                present[d] = present.get(d, 0) + 1
    absent: dict[int, int] = {}
    for a, b in holes:
        for s in range(a, b - step + 1, step):
            if sun.elevation(s + step / 2, lat, lon) > 0.0:
                d = (s + off) // DAY
                absent[d] = absent.get(d, 0) + 1
    complete = ctx.t.f("R09.daylight_completeness")
    incomplete = []
    for d in sorted(absent):
        score = present.get(d, 0) / (present.get(d, 0) + absent[d])
        if score < complete:
            incomplete.append({"day": day_date(d), "daylight_completeness": round(score, 3)})
    return {"missing_daylight_intervals": sum(absent.values()),
            "incomplete_days": len(incomplete), "incomplete": examples(incomplete),
            "daylight_completeness_min": complete}

"""R07: generation at night (dmrv.md §5.3 R07; pvanalytics ``features.daytime``).

An interval is **night** when the sun at its midpoint is below ``R07.night_elevation``
(−5°: the sun moves at most 3.75° in a quarter hour, so the whole half-hour is dark; twilight
at the edges of the day is not night). Generation above ε = ``R07.night_epsilon`` × AC
capacity × Δt (0.5 %) at night is impossible for PV: a wrong clock, a meter on the wrong
circuit, or invented energy.

- **Sustained** (≥ ``R07.sustained_intervals`` such intervals in one night), or a single one
  above ``R07.faint_max`` (2 % of capacity × Δt) → BLOCK those intervals.
- A single faint interval in a night → FLAG (meter noise, a stray pulse).

Register deltas that span missing intervals are skipped: their energy may be from daylight.
"""

from __future__ import annotations

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.context import DAY
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import examples
from jcredit.domain.dmrv.thresholds import Thresholds


def night_generation(series: SiteSeries, thresholds: Thresholds | None = None, *,
                     ctx: Context | None = None) -> list[Finding]:
    """R07 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    elevation = ctx.elevation
    if elevation is None:
        return []
    t = ctx.t
    dark = t.f("R07.night_elevation")
    eps = t.f("R07.night_epsilon") * ctx.ac_w / 3600.0  # Wh per second of interval
    faint = t.f("R07.faint_max") * ctx.ac_w / 3600.0
    energy, span, secs, start = ctx.energy, ctx.span, ctx.seconds, ctx.start
    lit = [i for i in range(ctx.n)
           if elevation[i] < dark and (e := energy[i]) and e > eps * secs[i]
           and span[i] == secs[i]]
    if not lit:
        return []
    half_day = DAY // 2
    nights: dict[int, list[int]] = {}
    for i in lit:  # a night runs from solar noon to solar noon
        nights.setdefault((start[i] + ctx.solar_offset + half_day) // DAY, []).append(i)
    sustained = int(t["R07.sustained_intervals"])
    block: list[int] = []
    flag: list[int] = []
    for items in nights.values():
        if len(items) >= sustained or (energy[items[0]] or 0) > faint * secs[items[0]]:
            block.extend(items)
        else:
            flag.extend(items)
    out = []
    for severity, indices in ((Severity.BLOCK, block), (Severity.FLAG, flag)):
        if not indices:
            continue
        indices.sort()
        out.append(ctx.finding(
            "R07", "night_generation", severity, ctx.ranges(indices),
            sum(energy[i] or 0 for i in indices),
            {"intervals": len(indices),
             "nights": len({(start[i] + ctx.solar_offset + half_day) // DAY
                            for i in indices}),
             "epsilon_wh_per_30min": round(eps * 1800, 1),
             "examples": examples([{"start": start[i], "energy_wh": energy[i],
                                    "sun_elevation": round(elevation[i], 1)}
                                   for i in indices]),
             "thresholds": t.of_rule("R07")}))
    return out

"""Over-production: R11 physical cap, R12 clear-sky cap, R18 clipping plateau above the
registered AC rating (dmrv.md §5.3).

All three look only **up**: more energy than the registered system can make is
over-reporting (HOLD or BLOCK); less is conservative and left to the other rules.

- **R11** ``E ≤ P_AC × Δt × 1.05`` and ``E ≤ P_DC × Δt × 1.1`` (``R11.ac_margin``,
  ``R11.dc_margin``; FEA GC registry 1.1; D-MRV "theoretical maximum output"), exact in whole
  Wh. Δt is the time the energy covers (a register delta over a gap covers the gap). BLOCK
  the excess energy.
- **R12** against the clear-sky expectation (pvlib, ``jcredit.adapters.dmrv.solar``): per
  30-minute block ``E > 1.25 × E_clear + slack`` (cloud enhancement is allowed for; the slack,
  ``R12.slack`` × AC × Δt, covers dawn and dusk where the expectation is near zero); per local
  day ``ΣE > 1.10 × ΣE_clear``. HOLD.
- **R18** a flat run of at least ``R18.min_duration`` above ``R18.plateau_factor`` × AC × Δt,
  consecutive energies within ``R18.flatness`` of each other: an inverter that clips there is
  larger than registered (pvanalytics ``features.clipping``). HOLD.
"""

from __future__ import annotations

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.clock import day_date
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import examples
from jcredit.domain.dmrv.rules.context import wh_cap
from jcredit.domain.dmrv.thresholds import Thresholds

BLOCK_S = 1800  # R12's interval cap is for 30 minutes


def physical_cap(series: SiteSeries, thresholds: Thresholds | None = None, *,
                 ctx: Context | None = None) -> list[Finding]:
    """R11 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    t = ctx.t
    facts = ctx.facts
    ac_m, dc_m = t["R11.ac_margin"], t["R11.dc_margin"]
    caps: dict[int, int] = {}
    over: list[tuple[int, int, int]] = []
    for i, (e, sp) in enumerate(zip(ctx.energy, ctx.span, strict=True)):
        if e is None:
            continue
        cap = caps.get(sp)
        if cap is None:
            cap = caps[sp] = min(wh_cap(facts.capacity_ac_kw, ac_m, sp),
                                 wh_cap(facts.capacity_dc_kw, dc_m, sp))
        if e > cap:
            over.append((i, e, cap))
    if not over:
        return []
    start, secs = ctx.start, ctx.seconds
    return [ctx.finding(
        "R11", "physical_cap", Severity.BLOCK,
        [(start[i] + secs[i] - ctx.span[i], start[i] + secs[i]) for i, _, _ in over],
        sum(e - cap for _, e, cap in over),
        {"intervals": len(over), "max_ratio": round(max(e / cap if cap else float("inf")
                                                       for _, e, cap in over), 3),
         "cap_wh_per_30min": caps.get(1800) or min(
             wh_cap(facts.capacity_ac_kw, ac_m, 1800), wh_cap(facts.capacity_dc_kw, dc_m, 1800)),
         "capacity_ac_kw": str(facts.capacity_ac_kw),
         "capacity_dc_kw": str(facts.capacity_dc_kw),
         "examples": examples([{"start": start[i], "energy_wh": e, "cap_wh": cap}
                               for i, e, cap in over]),
         "thresholds": t.of_rule("R11")})]


def clear_sky_cap(series: SiteSeries, thresholds: Thresholds | None = None, *,
                  ctx: Context | None = None) -> list[Finding]:
    """R12 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    cs = ctx.clear_sky
    if cs is None:
        return []
    t = ctx.t
    energy = ctx.single()
    start, secs = ctx.start, ctx.seconds
    cap = t.f("R12.interval_cap")
    slack = t.f("R12.slack") * ctx.ac_w / 3600.0
    # 30-minute blocks: intervals of 30 minutes are their own block
    blocks: list[tuple[int, int, int, float]] = []  # (first, end index, energy, clear sky)
    if ctx.cadence == BLOCK_S:
        blocks = [(i, i + 1, e, cs[i]) for i, e in enumerate(energy)
                  if e is not None and e > cap * cs[i] + slack * secs[i]]
    else:
        i = 0
        while i < ctx.n:
            key = start[i] // BLOCK_S
            j = i
            e_sum = 0
            c_sum = 0.0
            while j < ctx.n and start[j] // BLOCK_S == key:
                e_sum += energy[j] or 0
                c_sum += cs[j]
                j += 1
            if e_sum > cap * c_sum + slack * BLOCK_S:
                blocks.append((i, j, e_sum, c_sum))
            i = j
    out = []
    if blocks:
        idx = [k for a, b, _, _ in blocks for k in range(a, b)]
        out.append(ctx.finding(
            "R12", "clear_sky_interval", Severity.HOLD, ctx.ranges(idx),
            sum(e for _, _, e, _ in blocks),
            {"blocks": len(blocks), "cap": cap,
             # generation where the clear-sky expectation is 0 has no ratio: counted apart
             "max_ratio": max((round(e / c, 3) for _, _, e, c in blocks if c > 0),
                              default=None),
             "without_clear_sky": sum(1 for _, _, _, c in blocks if c <= 0),
             "examples": examples([{"start": start[a], "energy_wh": e,
                                    "clear_sky_wh": round(c, 1)} for a, _, e, c in blocks]),
             "thresholds": t.of_rule("R12")}))
    daily_cap = t.f("R12.daily_cap")
    floor = t.f("R12.daily_min_clear_sky") * float(ctx.facts.capacity_dc_kw) * 1000.0
    days = []
    for day, i0, i1 in ctx.days:
        e_sum = 0
        c_sum = 0.0
        for k in range(i0, i1):
            e = energy[k]
            if e is not None:
                e_sum += e
                c_sum += cs[k]
        if c_sum >= floor and e_sum > daily_cap * c_sum:
            days.append((day, i0, i1, e_sum, c_sum))
    if days:
        out.append(ctx.finding(
            "R12", "clear_sky_daily", Severity.HOLD,
            [ctx.day_window(d) for d, _, _, _, _ in days], sum(e for *_, e, _ in days),
            {"days": len(days), "cap": daily_cap,
             "max_ratio": round(max(e / c for *_, e, c in days), 3),
             "examples": examples([{"day": day_date(d), "energy_wh": e,
                                    "clear_sky_wh": round(c)} for d, _, _, e, c in days]),
             "thresholds": t.of_rule("R12")}))
    return out


def clipping_plateau(series: SiteSeries, thresholds: Thresholds | None = None, *,
                     ctx: Context | None = None) -> list[Finding]:
    """R18 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    t = ctx.t
    level = t.f("R18.plateau_factor") * ctx.ac_w / 3600.0
    flat = t.f("R18.flatness")
    need = t.f("R18.min_duration")
    energy = ctx.single()
    start, secs = ctx.start, ctx.seconds
    above = [e is not None and e > level * s for e, s in zip(energy, secs, strict=True)]
    if not any(above):
        return []
    runs = []
    i = 0
    while i < ctx.n:
        if not above[i]:
            i += 1
            continue
        j = i + 1
        while (j < ctx.n and above[j] and start[j] == start[j - 1] + secs[j - 1]
               and abs(energy[j] - energy[j - 1]) <= flat * energy[j - 1]):  # type: ignore[operator]
            j += 1
        if sum(secs[i:j]) >= need:
            runs.append((i, j))
        i = j
    if not runs:
        return []
    idx = [k for a, b in runs for k in range(a, b)]
    rated = ctx.ac_w * ctx.cadence / 3600.0
    return [ctx.finding(
        "R18", "clipping_plateau", Severity.HOLD, ctx.ranges(idx),
        sum(energy[k] or 0 for k in idx),
        {"plateaus": len(runs), "intervals": len(idx),
         "capacity_ac_kw": str(ctx.facts.capacity_ac_kw),
         "plateau_ratio_to_rating": round(
             max(sum(energy[k] or 0 for k in range(a, b)) / (b - a) for a, b in runs)
             / rated, 3),
         "examples": examples([{"start": start[a], "intervals": b - a,
                                "energy_wh": [energy[k] for k in range(a, b)]}
                               for a, b in runs]),
         "thresholds": t.of_rule("R18")})]

"""R10: a stuck meter and linear back-fill (dmrv.md §5.3 R10; pvanalytics
``quality.gaps.stale_values_diff`` and ``interpolation_diff``).

Only **productive daylight** counts: intervals whose clear-sky expectation is at least
``R10.daylight_clear_sky`` × AC capacity × Δt. Night zeros and dawn trickles are not stale.

- **Stuck**: the generation register does not move (delta 0, or ``energy_wh`` 0) for
  ``R10.stuck_duration`` (90 min: 3 half-hours, 6 quarter-hours) of productive daylight,
  between two intervals that produced, on a day whose other daylight intervals produced at
  least ``R10.sunny_day_ratio`` of their clear-sky energy: a snow-covered or overcast day
  produces nothing anywhere, a stuck meter only within the run; zeros at the edge of the
  day's production are a late clock or shade. HOLD.
- **Constant energy** over more than ``R10.interpolation_intervals`` intervals (identical
  non-zero values to within 1 Wh, above ``R10.interpolation_min_energy`` × AC × Δt) is a
  register filled in by a straight line over that many readings (its deltas are equal) or a
  frozen value: HOLD. Three equal values happen by chance under clouds across a fleet; four
  do not. Values at or above ``R10.clipping_level`` × AC × Δt are inverter clipping, not a
  meter fault, for this test and the next (R18 looks at plateaus above the rating).
- **Linear back-fill**: at least ``R10.interpolation_intervals`` consecutive intervals lie on
  the straight line between their neighbours (second differences within, and each value's
  distance from the chord below, ``R10.interpolation_tolerance`` Wh: the rounding of an
  interpolation), with a slope, above ``R10.interpolation_min_energy`` × AC × Δt, where the
  clear-sky curve of the registered roof, scaled to the measured level, bends away from its
  chord by at least ``R10.interpolation_bend`` Wh: a clear afternoon can be nearly straight by
  itself for two hours, a run the sky should have bent cannot. Without a registered
  orientation only constant runs are tested. HOLD.
"""

from __future__ import annotations

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import examples
from jcredit.domain.dmrv.thresholds import Thresholds


def stuck_meter(series: SiteSeries, thresholds: Thresholds | None = None, *,
                ctx: Context | None = None) -> list[Finding]:
    """R10 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    cs = ctx.clear_sky
    if cs is None or ctx.n < 3:
        return []
    t = ctx.t
    n, start, secs = ctx.n, ctx.start, ctx.seconds
    energy = ctx.single()
    regs = ctx.gen.register_wh
    per_s = ctx.ac_w / 3600.0
    daylight = t.f("R10.daylight_clear_sky") * per_s
    productive = [c >= daylight * s for c, s in zip(cs, secs, strict=True)]
    clip = t.f("R10.clipping_level") * per_s
    stuck_s = t.f("R10.stuck_duration")
    sunny = t.f("R10.sunny_day_ratio")
    low = t.f("R10.interpolation_min_energy") * per_s
    need = int(t["R10.interpolation_intervals"])
    next_to = [i + 1 < n and start[i + 1] == start[i] + secs[i] for i in range(n)]

    def frozen(i: int) -> bool:
        """The register did not move over interval ``i`` (or no energy was produced)."""
        if energy[i] == 0:
            return True
        return (i > 0 and next_to[i - 1] and regs[i] is not None
                and regs[i] == regs[i - 1])

    stuck: list[tuple[int, int]] = []
    constant: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if not productive[i] or energy[i] is None:
            i += 1
            continue
        zero = frozen(i)
        first = energy[i]
        j = i + 1
        while j < n and productive[j] and next_to[j - 1] and energy[j] is not None:
            if zero:
                if not frozen(j):
                    break
            elif abs(energy[j] - first) > 1:  # type: ignore[operator]
                break
            j += 1
        if zero:
            if (sum(secs[i:j]) >= stuck_s and _between_production(energy, next_to, i, j)
                    and _sunny_elsewhere(ctx, energy, cs, i, j, sunny)):
                stuck.append((i, j))
        elif j - i > need and first is not None and low * secs[i] <= first < clip * secs[i]:
            constant.append((i, j))
        i = j
    linear = _linear_runs(ctx, energy, productive, next_to)
    out = []
    if stuck:
        idx = [k for a, b in stuck for k in range(a, b)]
        out.append(ctx.finding(
            "R10", "stuck_meter", Severity.HOLD, ctx.ranges(idx), 0,
            {"runs": len(stuck), "intervals": len(idx),
             "clear_sky_wh": round(sum(cs[k] for k in idx)),
             "examples": examples([{"start": start[a], "intervals": b - a,
                                    "register_wh": regs[a]} for a, b in stuck]),
             "thresholds": t.of_rule("R10")}))
    if constant or linear:
        runs = sorted(constant + linear)
        idx = [k for a, b in runs for k in range(a, b)]
        out.append(ctx.finding(
            "R10", "linear_backfill", Severity.HOLD, ctx.ranges(idx),
            sum(energy[k] or 0 for k in idx),
            {"runs": len(runs), "constant_runs": len(constant), "sloped_runs": len(linear),
             "intervals": len(idx),
             "examples": examples([{"start": start[a],
                                    "energy_wh": [energy[k] for k in range(a, b)]}
                                   for a, b in runs]),
             "thresholds": t.of_rule("R10")}))
    return out


def _between_production(energy: list[int | None], next_to: list[bool], a: int, b: int
                        ) -> bool:
    """Whether the intervals just before and just after the run produced: a meter that stops
    and starts again. Zeros at the start or the end of the day's production are a late
    clock, morning shade or snow sliding off, not a stuck register."""
    return (a > 0 and next_to[a - 1] and bool(energy[a - 1])
            and b < len(energy) and next_to[b - 1] and bool(energy[b]))


def _sunny_elsewhere(ctx: Context, energy: list[int | None], cs: list[float], a: int, b: int,
                     ratio: float) -> bool:
    """Whether the rest of the run's day, in daylight (clear sky > 0), produced at least
    ``ratio`` of its clear sky (energy labelled at night, a shifted clock's, does not
    count)."""
    day = ctx.day_of[a]
    produced = 0
    expected = 0.0
    for d, i0, i1 in ctx.days:
        if d != day:
            continue
        for k in range(i0, i1):
            if a <= k < b or cs[k] <= 0.0:
                continue
            produced += energy[k] or 0
            expected += cs[k]
    return expected > 0.0 and produced >= ratio * expected


def _linear_runs(ctx: Context, energy: list[int | None], productive: list[bool],
                 next_to: list[bool]) -> list[tuple[int, int]]:
    """``[a, b)`` runs of interior points on a straight line with a slope."""
    t = ctx.t
    tol = t.f("R10.interpolation_tolerance")
    need = int(t["R10.interpolation_intervals"])
    low = t.f("R10.interpolation_min_energy") * ctx.ac_w / 3600.0
    clip = t.f("R10.clipping_level") * ctx.ac_w / 3600.0  # a plateau is clipping, not a line
    secs = ctx.seconds
    cs = ctx.clear_sky or []
    bend = t.f("R10.interpolation_bend")
    facts = ctx.facts
    if facts.tilt is None or facts.azimuth is None:
        return []  # the clear-sky envelope of an unknown roof does not have the roof's shape
    runs = []
    run_start = -1
    for i in range(1, ctx.n):
        e0, e1 = energy[i - 1], energy[i]
        e2 = energy[i + 1] if i + 1 < ctx.n else None
        ok = (e0 is not None and e1 is not None and e2 is not None and productive[i]
              and next_to[i - 1] and next_to[i] and low * secs[i] <= e1 < clip * secs[i]
              and abs(e2 - 2 * e1 + e0) <= tol)
        if ok:
            if run_start < 0:
                run_start = i
            continue
        if (run_start >= 0 and i - run_start >= need
                and _on_chord(energy, run_start - 1, i, tol)
                and _bends(energy, cs, run_start - 1, i, bend)):
            runs.append((run_start, i))
        run_start = -1
    return runs


def _on_chord(energy: list[int | None], a: int, b: int, tol: float) -> bool:
    """Whether the points strictly between ``a`` and ``b`` lie within ``tol`` Wh of the
    straight line from ``energy[a]`` to ``energy[b]`` (what an interpolation between the
    neighbours writes, up to rounding), and that line has a slope (a flat one is R10's
    constant run)."""
    ea, eb = energy[a] or 0, energy[b] or 0
    if abs(eb - ea) <= 2 * tol:
        return False
    steps = b - a
    return all(abs((energy[k] or 0) - (ea + (eb - ea) * (k - a) / steps)) < tol
               for k in range(a + 1, b))


def _bends(energy: list[int | None], cs: list[float], a: int, b: int, least: float) -> bool:
    """Whether the modelled clear-sky curve, scaled to the measured level, departs from its
    own chord over ``[a, b]`` by at least ``least`` Wh: only then is a straight run
    unnatural (a clear afternoon can be nearly straight for two hours by itself)."""
    ca, cb = cs[a], cs[b]
    steps = b - a
    worst = 0.0
    for k in range(a + 1, b):
        c = cs[k]
        if c <= 0.0:
            return False
        chord = ca + (cb - ca) * (k - a) / steps
        worst = max(worst, abs(c - chord) * (energy[k] or 0) / c)
    return worst >= least

"""R06: a clock or time-zone shift, found from the physics of the production window
(dmrv.md §5.3 R06; pvanalytics ``quality.time.shifts_ruptures``; SDT time-shift analysis).

The sun does not lie about the time: on a sunny day, the centre of a PV system's production
falls near solar noon. Per local solar day, the rule compares the **centre of the measured
production window** (the energy-weighted circular mean of the intervals' midpoints) with the
**centre of the modelled clear-sky window** (the same mean weighted by the clear-sky
expectation). The difference is that day's offset, in minutes.

Robust on real household PV (tuned on the fleet simulator: 0 HOLD on clean fleets):

- Days are timed only when complete (≥ 90 % of their intervals present). A **sunny** day has
  energy / clear-sky energy at least ``R06.usable_day_ratio`` of the site's clear days (its
  90th percentile: relative, so an unregistered orientation that inflates the clear-sky
  envelope does not leave a site without sunny days); sunny days still scatter by ±20 min (a
  cloudy afternoon, summer convection for weeks). A **clear** day also has the clear-sky
  shape: energy / clear sky (moved by the day's offset) varies over the day by a coefficient
  of variation of at most ``R06.clear_day_spread``; clear days are timed to ±10 min, but only
  with a registered orientation (the envelope of an unknown roof has no roof's shape).
- A roof facing east or west moves the centre by a constant (up to about 2 h when the
  orientation is not registered); morning shade on an east roof by up to an hour even when
  it is. So shifts are measured against the site's own **reference**: the median offset of
  its first ``R06.sunny_baseline_days`` sunny days (``R06.baseline_days`` clear days for the
  clear-day test). It does not follow later days, or a slow drift would carry its own
  reference along.
- Offsets are smoothed by a **rolling median** over ``R06.smoothing_days`` days for the
  45-minute test and over ``R06.sustained_smoothing_days`` for the 1-hour test (an hour off
  on two sunny days of three is no cloud) and the 15-day test (its duration rules out a few
  odd days; a short window follows a drift).

HOLD (auto-correction only with the verifier's sign-off) on the days where

0. a complete day with at least ``R06.any_day_ratio`` of a clear day's energy, cloudy or not,
   is centred ``R06.orientation_allowance`` + ``R06.impossible_shift`` (150 + 90 min) from the
   reference or more: no roof, shade or cloud puts production there, so one such day is
   enough (a 9-hour mislabel of the last two or three days of a period, rainy or not);
1. the smoothed offset of sunny days differs by ≥ ``R06.any_shift`` (60 min) from the
   reference clamped to ± ``R06.orientation_allowance`` (what a roof and its shade can
   explain: a 9-hour mislabel from the first day is still hours off);
2. the smoothed offset of sunny days differs from the reference by ≥ ``R06.large_shift``
   (45 min);
3. the smoothed offset of clear days differs from their reference by ≥ ``R06.min_shift``
   (15 min) on consecutive clear days spanning ≥ ``R06.min_shift_days`` (15 days), at least
   ``R06.sustained_smoothing_days`` of them (dmrv.md's "shift ≥ 15 min lasting ≥ 15 days";
   clear days are timed to ±10 min, so three of them are evidence enough), the run lasting
   on through the sunny days after it that agree, until the next clear day;
4. the offsets of every day with at least ``R06.any_day_ratio`` of a clear day's energy
   follow a drift: a robust (Theil–Sen) line through them moves by ≥ ``R06.drift_change``
   (60 min) over the period and the last ``R06.smoothing_days`` of them are ≥
   ``R06.large_shift`` from the reference the same way (rainy weeks hide a drift from the
   sunny-day tests; a line through every day still sees it).

A 9-hour mislabel is caught by 0 and 1, a drift of a few minutes a day by 1 to 4.
"""

from __future__ import annotations

import math
from datetime import date
from statistics import median

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.context import DAY
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import examples
from jcredit.domain.dmrv.thresholds import Thresholds

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_TAU = 2.0 * math.pi
COMPLETE_DAY = 0.9  # share of a day's intervals present for its window to be timed
CLEAR_DAYS = 0.9  # the percentile of a site's daily clear-sky index taken as its clear days


def day_date(day: int) -> str:
    return date.fromordinal(day + _EPOCH_ORDINAL).isoformat()


def timed_days(ctx: Context) -> list[tuple[float, int, float, int, int, float]]:
    """``(clear-sky index, day, offset minutes, first index, end index, shape spread)`` of
    each complete day with production: the day's energy over its clear-sky energy, relative
    to the site's clear days (1.0 = as sunny as its 90th percentile); its measured production
    centre minus its modelled clear-sky centre, in (−720, 720]; how far its shape was from
    the clear-sky shape (:func:`_shape_spread`)."""
    cs = ctx.clear_sky
    if cs is None:
        return []
    energy = ctx.single()
    start, secs, off = ctx.start, ctx.seconds, ctx.solar_offset
    slots = DAY / ctx.cadence
    trig: dict[int, tuple[float, float]] = {}
    complete = []
    for day, i0, i1 in ctx.days:
        if i1 - i0 < COMPLETE_DAY * slots:
            continue
        ex = ey = cx = cy = 0.0
        e_sum = 0
        c_sum = 0.0
        for i in range(i0, i1):
            key = (2 * start[i] + secs[i] + 2 * off) % (2 * DAY)  # twice the local midpoint
            cos_sin = trig.get(key)
            if cos_sin is None:
                angle = _TAU * key / (2 * DAY)
                cos_sin = trig[key] = (math.cos(angle), math.sin(angle))
            e = energy[i]
            if e:
                ex += e * cos_sin[0]
                ey += e * cos_sin[1]
                e_sum += e
            c = cs[i]
            if c > 0.0:
                cx += c * cos_sin[0]
                cy += c * cos_sin[1]
                c_sum += c
        if c_sum <= 0.0 or e_sum <= 0 or (ex == 0.0 and ey == 0.0):
            continue
        diff = math.atan2(ey, ex) - math.atan2(cy, cx)
        diff = (diff + math.pi) % _TAU - math.pi
        minutes = diff * 1440.0 / _TAU
        complete.append([e_sum / c_sum, day, minutes, i0, i1,
                         _shape_spread(energy, cs, i0, i1, minutes * 60.0 / ctx.cadence)])
    if not complete:
        return []
    indices = sorted(c[0] for c in complete)
    clear = indices[min(len(indices) - 1, int(CLEAR_DAYS * len(indices)))]
    return [(c[0] / clear, int(c[1]), c[2], int(c[3]), int(c[4]), c[5]) for c in complete]


def _shape_spread(energy: list[int | None], cs: list[float], i0: int, i1: int,
                  shift: float) -> float:
    """The coefficient of variation of energy / clear sky over the day's productive
    intervals, the clear sky moved by ``shift`` intervals (the day's offset, so that a
    shifted clock does not count as a bad shape): near 0 when the day had the clear-sky shape
    (a clear day, whatever its level and clock), large under clouds or haze."""
    top = max(cs[i0:i1])
    ratios = []
    for i in range(i0, i1):
        e = energy[i]
        x = i - shift
        j = math.floor(x)
        if e is None or j < i0 or j + 1 >= i1:
            continue
        c = cs[j] + (cs[j + 1] - cs[j]) * (x - j)
        if c >= 0.2 * top:
            ratios.append(e / c)
    if len(ratios) < 3:
        return math.inf
    mean = sum(ratios) / len(ratios)
    if mean <= 0.0:
        return math.inf
    return math.sqrt(sum((r - mean) ** 2 for r in ratios) / len(ratios)) / mean


def _registered(ctx: Context) -> bool:
    return ctx.facts.tilt is not None and ctx.facts.azimuth is not None


def daily_offsets(ctx: Context, *, clear: bool = False) -> list[tuple[int, float, int, int]]:
    """``(day, offset minutes, first index, end index)`` of each usable day (sunny), or of
    each clear one (``clear``: also the clear-sky shape; only with a registered
    orientation, else none)."""
    least = ctx.t.f("R06.usable_day_ratio")
    if clear and not _registered(ctx):
        return []
    spread = ctx.t.f("R06.clear_day_spread") if clear else math.inf
    return [(day, offset, i0, i1) for index, day, offset, i0, i1, cv in timed_days(ctx)
            if index >= least and cv <= spread]


def rolling_median(values: list[float], window: int) -> list[float]:
    """The median of ``window`` values around each (a full window everywhere: at the ends of
    the series, the first or the last one)."""
    if len(values) <= window:
        return [median(values)] * len(values)
    half = window // 2
    last = len(values) - window
    out = []
    for j in range(len(values)):
        a = min(max(0, j - half), last)
        out.append(median(values[a: a + window]))
    return out


def _reference(raw: list[float], first: int) -> float:
    """The site's reference offset: the median of its first ``first`` days. It does not
    follow later days, or a slow drift would carry its own reference along."""
    return median(raw[:first]) if raw else 0.0


def _sustained(t: Thresholds, days: list[int], raw: list[float],
               sunny: list[tuple[int, float]]) -> dict[int, tuple[str, float, float, float]]:
    """Criterion 3 over clear days: the days of runs of ≥ ``R06.min_shift`` from the
    reference spanning ≥ ``R06.min_shift_days``, with at least
    ``R06.sustained_smoothing_days`` clear days. A run the clear days establish lasts on
    through the ``sunny`` days after it that agree with it (≥ the shift, the same way), up
    to the next clear day: a rainy month after a shift does not end it."""
    min_shift, min_days = t.f("R06.min_shift"), int(t["R06.min_shift_days"])
    few = int(t["R06.sustained_smoothing_days"])
    brief = rolling_median(raw, few)
    ref = _reference(raw, int(t["R06.baseline_days"]))
    out: dict[int, tuple[str, float, float, float]] = {}

    def close(run: list[int], sign: int) -> None:
        if len(run) < few:
            return
        end = days[run[-1]]
        following = days[run[-1] + 1] if run[-1] + 1 < len(days) else None
        extra = []
        for day, offset in sunny:
            if day <= end:
                continue
            if following is not None and day >= following:
                break
            if (offset - ref) * sign < min_shift:
                break
            extra.append((day, offset))
        last = extra[-1][0] if extra else end
        if last - days[run[0]] + 1 >= min_days:
            for j in run:
                out[days[j]] = ("sustained_shift", raw[j], brief[j], ref)
            for day, offset in extra:
                out[day] = ("sustained_shift", offset, offset, ref)

    run: list[int] = []
    run_sign = 0
    for j, value in enumerate(brief):
        rel = value - ref
        sign = 0 if abs(rel) < min_shift else (1 if rel > 0 else -1)
        if sign and sign == run_sign:
            run.append(j)
            continue
        close(run, run_sign)
        run, run_sign = ([j] if sign else []), sign
    close(run, run_sign)
    return out


def _drift(t: Thresholds, days: list[int], raw: list[float]
           ) -> dict[int, tuple[str, float, float, float]]:
    """Criterion 4 over the days with production: a robust (Theil–Sen) line through the
    offsets that moves ≥ ``R06.drift_change`` over the period, with the last
    ``R06.smoothing_days`` days ≥ ``R06.large_shift`` from the reference the same way. The
    days where the line and the days' rolling median are both ≥ ``R06.min_shift`` from the
    reference the same way are flagged (a step is not spread over the days before it). Rainy weeks
    hide a drift from the sunny-day tests; a line through every day still sees it."""
    window = int(t["R06.smoothing_days"])
    if len(days) < 2 * window:
        return {}
    slopes = [(raw[k] - raw[j]) / (days[k] - days[j])
              for j in range(len(days)) for k in range(j + 1, len(days)) if days[k] > days[j]]
    if not slopes:
        return {}
    slope = median(slopes)
    intercept = median(raw[j] - slope * days[j] for j in range(len(days)))
    change = slope * (days[-1] - days[0])
    ref = _reference(raw, int(t["R06.sunny_baseline_days"]))
    tail = median(raw[-window:]) - ref
    if (abs(change) < t.f("R06.drift_change") or abs(tail) < t.f("R06.large_shift")
            or (tail > 0) != (change > 0)):
        return {}
    least = t.f("R06.min_shift")
    brief = rolling_median(raw, int(t["R06.sustained_smoothing_days"]))
    out = {}
    for j, day in enumerate(days):  # where the line and the days themselves are off
        line = intercept + slope * day
        if all(abs(v - ref) >= least and (v - ref > 0) == (change > 0)
               for v in (line, brief[j])):
            out[day] = ("drift", raw[j], line, ref)
    return out


def clock_shift(series: SiteSeries, thresholds: Thresholds | None = None, *,
                ctx: Context | None = None) -> list[Finding]:
    """R06 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    t = ctx.t
    timed = timed_days(ctx)
    least = t.f("R06.usable_day_ratio")
    usable = [(day, offset) for index, day, offset, *_ in timed if index >= least]
    days = [u[0] for u in usable]
    raw = [u[1] for u in usable]
    window = int(t["R06.smoothing_days"])
    any_shift, large = t.f("R06.any_shift"), t.f("R06.large_shift")
    allowance = t.f("R06.orientation_allowance")
    flagged: dict[int, tuple[str, float, float, float]] = {}  # day → reason, offsets
    usable_count = len(usable)
    if len(usable) >= window:
        smooth = rolling_median(raw, window)
        brief = rolling_median(raw, int(t["R06.sustained_smoothing_days"]))
        ref = [_reference(raw, int(t["R06.sunny_baseline_days"]))] * len(days)
        for j, day in enumerate(days):
            expected = max(-allowance, min(allowance, ref[j]))
            if abs(brief[j] - expected) >= any_shift:
                flagged[day] = ("shift_1h", raw[j], brief[j], ref[j])
            elif abs(smooth[j] - ref[j]) >= large:
                flagged[day] = ("shift_from_reference", raw[j], smooth[j], ref[j])
    # 0: a day whose production is centred where no roof, shade or cloud can put it
    impossible = allowance + t.f("R06.impossible_shift")
    weak = t.f("R06.any_day_ratio")
    for index, day, offset, *_ in timed:
        if index >= weak and day not in flagged:
            r = _reference(raw, int(t["R06.sunny_baseline_days"]))
            if abs(offset - max(-allowance, min(allowance, r))) >= impossible:
                flagged[day] = ("impossible_offset", offset, offset, r)
    # 4: a drift seen through every day with production, sunny or not
    weak_days = [(day, offset) for index, day, offset, *_ in timed if index >= weak]
    for day, values in _drift(t, [w[0] for w in weak_days], [w[1] for w in weak_days]).items():
        flagged.setdefault(day, values)
    # 3: clear days only (timed to a few minutes), a smaller shift that lasts
    clear = [(day, offset) for day, offset, _, _ in daily_offsets(ctx, clear=True)]
    if len(clear) >= window:
        flagged_clear = _sustained(t, [c[0] for c in clear], [c[1] for c in clear], usable)
        for day, values in flagged_clear.items():
            flagged.setdefault(day, values)
    if not flagged:
        return []
    # each flagged day and, between two flagged timed days, the days in between
    timed_order = [d for _, d, *_ in timed]
    stretches: list[list[int]] = []
    previous: int | None = None
    for d in timed_order:
        if d in flagged:
            if stretches and stretches[-1][-1] == previous:
                stretches[-1].append(d)
            else:
                stretches.append([d])
        previous = d
    intervals = [(ctx.day_window(r[0])[0], ctx.day_window(r[-1])[1]) for r in stretches]
    energy = ctx.energy
    total = 0
    for day, i0, i1 in ctx.days:
        a, b = ctx.day_window(day)
        if any(x <= a and b <= y for x, y in intervals):
            total += sum(e for e in energy[i0:i1] if e)
    order = sorted(flagged)
    worst = max(order, key=lambda d: abs(flagged[d][2] - flagged[d][3]))
    evidence = {
        "reasons": sorted({flagged[d][0] for d in order}),
        "usable_days": usable_count, "clear_days": len(clear), "flagged_days": len(order),
        "largest": {"day": day_date(worst), "offset_min": round(flagged[worst][2], 1),
                    "reference_min": round(flagged[worst][3], 1)},
        "offsets": examples([{"day": day_date(d), "offset_min": round(flagged[d][1], 1),
                              "smoothed_min": round(flagged[d][2], 1),
                              "reference_min": round(flagged[d][3], 1),
                              "reason": flagged[d][0]} for d in order]),
        "thresholds": t.of_rule("R06"),
    }
    return [ctx.finding("R06", "clock_shift", Severity.HOLD, intervals, total, evidence)]

"""R06: a clock or time-zone shift, found from the physics of the production window
(dmrv.md §5.3 R06; pvanalytics ``quality.time.shifts_ruptures``; SDT time-shift analysis).

The sun does not lie about the time: on a sunny day, the centre of a PV system's production
falls near solar noon. Per local solar day, the rule compares the **centre of the measured
production window** (the energy-weighted circular mean of the intervals' midpoints) with the
**centre of the modelled clear-sky window** (the same mean weighted by the clear-sky
expectation). The difference is that day's offset, in minutes.

Robust on real household PV:

- Only **usable days** count: complete (≥ 90 % of the day's intervals present) and sunny:
  energy / clear-sky energy at least ``R06.usable_day_ratio`` of the site's clear days (its
  90th percentile; relative, so an unregistered orientation that inflates the clear-sky
  envelope does not leave a site without usable days). A cloudy morning moves one day's
  centre, not the clock.
- Offsets are smoothed by a **rolling median** over ``R06.smoothing_days`` usable days for the
  30-minute test, over ``R06.sustained_smoothing_days`` for the 1-hour test (an hour off on
  two sunny days of three is no cloud) and the 15-day test (its duration already rules out a
  few odd days, and it must follow a drift closely).
- A roof facing east or west moves the centre by a constant (up to about 2 h when the
  orientation is not registered); morning shade on an east roof by up to an hour even when
  it is. So shifts are measured against the site's own **reference**: the median offset of its first
  ``R06.baseline_days`` usable days, and later of the usable days in the preceding
  ``R06.baseline_window`` days (the seasons move an unregistered roof's offset slowly; a
  clock moves it in a day or a few minutes a day).

HOLD (auto-correction only with the verifier's sign-off) on the days where

0. a complete day with at least ``R06.any_day_ratio`` of a clear day's energy, cloudy or not,
   is centred ``R06.orientation_allowance`` + ``R06.impossible_shift`` (150 + 90 min) from the
   reference or more: no roof, shade or cloud puts production there, so one such day is
   enough (a 9-hour mislabel of the last two or three days of a period, rainy or not);

or where the smoothed offset

1. differs by ≥ ``R06.any_shift`` (60 min) from the reference clamped to
   ± ``R06.orientation_allowance`` (what a roof and its shade can explain): a 9-hour UTC/JST
   mislabel from the first day is still hours off anything a roof explains;
2. differs from the reference by ≥ ``R06.large_shift`` (30 min);
3. differs from the reference by ≥ ``R06.min_shift`` (15 min) on usable days spanning
   ≥ ``R06.min_shift_days`` (15 days).

A 9-hour mislabel is caught by 1 and 2, a slow drift of a few minutes a day by 2 and 3.
"""

from __future__ import annotations

import math
from bisect import bisect_left
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


def timed_days(ctx: Context) -> list[tuple[float, int, float, int, int]]:
    """``(clear-sky index, day, offset minutes, first index, end index)`` of each complete
    day with production: the day's energy over its clear-sky energy, relative to the site's
    clear days (1.0 = as sunny as its 90th percentile), and its measured production centre
    minus its modelled clear-sky centre, in (−720, 720]."""
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
        complete.append([e_sum / c_sum, day, diff * 1440.0 / _TAU, i0, i1])
    if not complete:
        return []
    indices = sorted(c[0] for c in complete)
    clear = indices[min(len(indices) - 1, int(CLEAR_DAYS * len(indices)))]
    return [(c[0] / clear, int(c[1]), c[2], int(c[3]), int(c[4])) for c in complete]


def daily_offsets(ctx: Context) -> list[tuple[int, float, int, int]]:
    """``(day, offset minutes, first index, end index)`` of each usable day."""
    least = ctx.t.f("R06.usable_day_ratio")
    return [(day, offset, i0, i1) for index, day, offset, i0, i1 in timed_days(ctx)
            if index >= least]


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


def _reference(t: Thresholds, days: list[int], raw: list[float], day: int) -> float:
    """The site's reference offset on ``day`` (see the module docstring)."""
    first = int(t["R06.baseline_days"])
    before = bisect_left(days, day)
    earlier = [raw[j] for j in range(before)
               if days[j] >= day - int(t["R06.baseline_window"])]
    if before >= first and len(earlier) >= int(t["R06.smoothing_days"]):
        return median(earlier)
    return median(raw[:first])


def clock_shift(series: SiteSeries, thresholds: Thresholds | None = None, *,
                ctx: Context | None = None) -> list[Finding]:
    """R06 (see the module docstring)."""
    ctx = ctx or Context(series, thresholds)
    t = ctx.t
    timed = timed_days(ctx)
    least = t.f("R06.usable_day_ratio")
    usable = [(day, offset) for index, day, offset, _, _ in timed if index >= least]
    window = int(t["R06.smoothing_days"])
    if len(usable) < window:
        return []
    days = [u[0] for u in usable]
    raw = [u[1] for u in usable]
    smooth = rolling_median(raw, window)
    brief = rolling_median(raw, int(t["R06.sustained_smoothing_days"]))
    ref = [_reference(t, days, raw, d) for d in days]
    any_shift, large = t.f("R06.any_shift"), t.f("R06.large_shift")
    min_shift, min_days = t.f("R06.min_shift"), int(t["R06.min_shift_days"])
    allowance = t.f("R06.orientation_allowance")
    flagged: dict[int, tuple[str, float, float, float]] = {}  # day → reason, offsets
    for j, day in enumerate(days):
        expected = max(-allowance, min(allowance, ref[j]))
        if abs(brief[j] - expected) >= any_shift:
            flagged[day] = ("shift_1h", raw[j], brief[j], ref[j])
        elif abs(smooth[j] - ref[j]) >= large:
            flagged[day] = ("shift_from_reference", raw[j], smooth[j], ref[j])
    # 0: a day whose production is centred where no roof, shade or cloud can put it
    impossible = allowance + t.f("R06.impossible_shift")
    weak = t.f("R06.any_day_ratio")
    for index, day, offset, _, _ in timed:
        if index >= weak and day not in flagged:
            r = _reference(t, days, raw, day)
            if abs(offset - max(-allowance, min(allowance, r))) >= impossible:
                flagged[day] = ("impossible_offset", offset, offset, r)

    def close(run: list[int]) -> None:
        if run and days[run[-1]] - days[run[0]] + 1 >= min_days:
            for j in run:
                flagged.setdefault(days[j], ("sustained_shift", raw[j], brief[j], ref[j]))

    run: list[int] = []
    run_sign = 0
    for j, value in enumerate(brief):
        rel = value - ref[j]
        sign = 0 if abs(rel) < min_shift else (1 if rel > 0 else -1)
        if sign and sign == run_sign:
            run.append(j)
            continue
        close(run)
        run, run_sign = ([j] if sign else []), sign
    close(run)
    if not flagged:
        return []
    # each flagged day and, between two flagged timed days, the days in between
    timed_order = [d for _, d, _, _, _ in timed]
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
        "usable_days": len(usable), "flagged_days": len(order),
        "largest": {"day": day_date(worst), "offset_min": round(flagged[worst][2], 1),
                    "reference_min": round(flagged[worst][3], 1)},
        "offsets": examples([{"day": day_date(d), "offset_min": round(flagged[d][1], 1),
                              "smoothed_min": round(flagged[d][2], 1),
                              "reference_min": round(flagged[d][3], 1),
                              "reason": flagged[d][0]} for d in order]),
        "thresholds": t.of_rule("R06"),
    }
    return [ctx.finding("R06", "clock_shift", Severity.HOLD, intervals, total, evidence)]

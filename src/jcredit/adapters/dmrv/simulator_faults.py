"""Fault injection for the fleet simulator: turns one site's physics into meter readings and
injects its faults (domain/dmrv/faults.py), returning their labels.

Order, so that each fault looks as it would in the field:

1. physics (the real system differs from the registered one): ``capacity_inflated``,
   ``clipping_above_rating``, ``fleet_outlier``; then integer Wh, and the household balance
   (self-consumption = min(generation, load));
2. meter energies: ``stuck_meter``, ``night_generation``, ``export_gt_generation``,
   ``gap_interpolated``;
3. the device clock: ``slow_drift`` (every interval re-read through the drifting clock),
   ``clock_shift_9h`` (times relabelled);
4. registers (start + running sum), then ``register_reset``, ``rollover``;
5. qualities and gaps: ``gap_estimated``, ``gap``;
6. the registry and the batches: ``expired_certification``; ``duplicate_batch``,
   ``conflicting_batch``, ``tampered_batch`` (days chosen here, files made by
   :meth:`Fleet.envelopes`).

Faults are placed where their rule can see them: a stuck meter on a sunny midday, night
generation with the sun 10° below the horizon, a reset in daylight (so the register has moved).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from jcredit.adapters.dmrv import pv_physics as phys
from jcredit.adapters.dmrv.simulator import CLIP_MARGIN
from jcredit.adapters.dmrv.simulator import DAY_S
from jcredit.adapters.dmrv.simulator import ROLLOVER_LIMIT_WH
from jcredit.adapters.dmrv.simulator import SIM_CHANNELS
from jcredit.adapters.dmrv.simulator import Grid
from jcredit.adapters.dmrv.simulator import Label
from jcredit.adapters.dmrv.simulator import SimSite
from jcredit.adapters.dmrv.simulator import Work
from jcredit.adapters.dmrv.simulator import to_int_wh
from jcredit.adapters.dmrv.simulator import utc_text

JST_9H = 9 * 3600
Span = tuple[int, int]  # [a, b) indexes of the simulation grid


def inject(site: SimSite, work: Work, grid: Grid, rng: np.random.Generator) -> list[Label]:
    """Fill ``site``'s readings from ``work`` with its faults; the labels of those faults."""
    faults = set(site.faults)
    spans: dict[str, list[Span]] = {}  # in grid indexes, turned into labelled times at the end
    times: dict[str, list[Span]] = {}  # already epoch ranges
    details: dict[str, dict[str, Any]] = {}
    hours = grid.interval_s / 3600
    whole = [(grid.t0, grid.end)]
    night = work.elevation <= 0

    # 1. physics
    daylight = work.elevation > 0
    site.clean_generation = break_ties(to_int_wh(work.gen_wh), daylight)
    gen_wh = work.gen_wh.copy()
    if "capacity_inflated" in faults:
        gen_wh = gen_wh * 2
        times["capacity_inflated"] = whole
        details["capacity_inflated"] = {"real_ac_kw": round(2 * work.ac_w / 1000, 3),
                                        "real_dc_kw": round(2 * work.dc_w / 1000, 3)}
    if "clipping_above_rating" in faults:
        gen_wh, plateau, info = _bigger_pcs(work, grid)
        spans["clipping_above_rating"] = _runs(plateau)
        details["clipping_above_rating"] = info
    if "fleet_outlier" in faults:
        target = float(rng.uniform(1.5, 1.7))
        gen_wh, factor = _outlier(gen_wh, work, grid, target)
        times["fleet_outlier"] = whole
        details["fleet_outlier"] = {"yield_factor": round(target, 3),
                                    "scale": round(factor, 3)}
    gen = break_ties(to_int_wh(np.where(night, 0.0, gen_wh)), daylight)
    load = to_int_wh(work.load_wh)
    own = np.minimum(site.clean_generation, load)
    total = int(site.clean_generation.sum())
    site.self_share = float(own.sum() / total) if total else 0.3
    energy = _balance(gen, load)

    # 2. meter energies
    used: set[int] = set()  # days already carrying a fault on this site
    if "stuck_meter" in faults:
        found = []
        for day in _days(work, rng, int(rng.integers(1, 3)), used, sunny=True):
            span = _run_in_day(work, grid, day, grid.hours(int(rng.integers(4, 7))), rng,
                               low=15.0)
            if span:
                found.append(span)
                energy["generation"][span[0]:span[1]] = 0
        spans["stuck_meter"] = found
    if "night_generation" in faults:
        found = []
        for day in _days(work, rng, int(rng.integers(3, 5)), used, sunny=False):
            span = _run_in_day(work, grid, day, grid.hours(int(rng.integers(3, 7))), rng,
                               high=-10.0)
            if span:
                found.append(span)
                a, b = span
                energy["generation"][a:b] = np.maximum(1, np.round(
                    work.ac_w * hours * rng.uniform(0.02, 0.10, b - a))).astype(np.int64)
        spans["night_generation"] = found
    if "export_gt_generation" in faults:
        found = []
        for day in _days(work, rng, 1, used, sunny=True):
            span = _run_in_day(work, grid, day, grid.hours(int(rng.integers(4, 9))), rng,
                               low=20.0, need=energy["generation"] > 0)
            if span:
                found.append(span)
                a, b = span
                g = energy["generation"][a:b]
                energy["export"][a:b] = np.round(
                    g * rng.uniform(1.15, 1.4, b - a)
                    + rng.uniform(30, 120, b - a) * grid.interval_s / 1800).astype(np.int64)
        spans["export_gt_generation"] = found
    if "gap_interpolated" in faults:
        found = []
        for day in _days(work, rng, 1, used, sunny=True):
            n = grid.hours(int(rng.integers(4, 7)))
            span = _run_in_day(work, grid, day, n, rng, low=25.0, margin=1)
            if span:
                found.append(span)
                _straight_line(energy, load, span)
        spans["gap_interpolated"] = found

    # 3. the device clock
    start = grid.starts.copy()
    zulu = np.zeros(grid.n, dtype=bool)
    clock_offset = np.zeros(grid.days)
    if "slow_drift" in faults:
        first = int(rng.integers(0, max(1, grid.days // 4)))
        minutes = min(15.0, max(2.0, 75.0 / (grid.days - first)))
        rate = minutes * 60 * (1 if rng.random() < 0.5 else -1)  # seconds per day
        t_s = grid.t0 + first * DAY_S
        energy = {ch: _through_clock(e, grid, t_s, rate) for ch, e in energy.items()}
        ends = grid.t0 + (np.arange(grid.days) + 1) * DAY_S + 300
        clock_offset = rate * np.clip(ends - t_s, 0, None) / DAY_S
        times["slow_drift"] = [(t_s, grid.end)]
        details["slow_drift"] = {"seconds_per_day": rate, "from": utc_text(t_s),
                                 "offset_at_end_s": round(rate * (grid.end - t_s) / DAY_S)}
    if "clock_shift_9h" in faults:
        first = int(rng.integers(max(1, grid.days // 4), max(2, grid.days - 2)))
        i0 = first * grid.per_day
        start[i0:] += JST_9H
        zulu[i0:] = True
        clock_offset[first:] += JST_9H
        times["clock_shift_9h"] = [(grid.t0 + first * DAY_S, grid.end + JST_9H)]
        details["clock_shift_9h"] = {"from": utc_text(grid.t0 + first * DAY_S),
                                     "shift_s": JST_9H}

    # 4. registers
    register = {ch: site.register_start[ch] + np.cumsum(e) for ch, e in energy.items()}
    if "register_reset" in faults:
        i = _daylight_interval(work, grid, rng, used, energy["generation"])
        if i is not None:
            reg = register["generation"]
            if _near_limit(int(reg[i - 1])):  # keep a reset distinguishable from a rollover
                site.register_start["generation"] //= 2
                reg = site.register_start["generation"] + np.cumsum(energy["generation"])
            before = int(reg[i - 1])
            reg[i:] = int(rng.integers(0, 20)) + np.cumsum(energy["generation"][i:])
            register["generation"] = reg
            spans["register_reset"] = [(i, i + 1)]
            details["register_reset"] = {"before_wh": before, "after_wh": int(reg[i])}
    if "rollover" in faults:
        i = _daylight_interval(work, grid, rng, used, energy["generation"], least=2)
        if i is not None:
            cum = np.cumsum(energy["generation"])
            short = int(rng.integers(1, int(energy["generation"][i])))
            r0 = ROLLOVER_LIMIT_WH - short - int(cum[i - 1])
            site.register_start["generation"] = r0
            register["generation"] = (r0 + cum) % ROLLOVER_LIMIT_WH
            spans["rollover"] = [(i, i + 1)]
            details["rollover"] = {"limit_wh": ROLLOVER_LIMIT_WH,
                                   "before_wh": int(register["generation"][i - 1]),
                                   "after_wh": int(register["generation"][i])}

    # 5. qualities and gaps
    quality = {ch: np.zeros(grid.n, dtype=np.int8) for ch in SIM_CHANNELS}
    present = np.ones(grid.n, dtype=bool)
    if "gap_estimated" in faults:
        found = []
        for day in _days(work, rng, 1, used, sunny=False):
            span = _run_in_day(work, grid, day, int(rng.integers(3, 9)), rng, low=5.0)
            if span:
                found.append(span)
                for ch in SIM_CHANNELS:
                    quality[ch][span[0]:span[1]] = 1  # estimated
        spans["gap_estimated"] = found
    if "gap" in faults:
        found = []
        for day in _days(work, rng, 1, used, sunny=False):
            span = _run_in_day(work, grid, day, grid.hours(int(rng.integers(2, 11))), rng,
                               low=5.0, margin=1)
            if span:
                found.append(span)
                present[span[0]:span[1]] = False
        spans["gap"] = found

    # 6. the registry and the batches
    if "expired_certification" in faults:
        site.certification_expires = grid.start - timedelta(days=int(rng.integers(1, 120)))
        times["expired_certification"] = whole
        details["expired_certification"] = {
            "certification_expires": site.certification_expires.isoformat()}
    for name in ("duplicate_batch", "conflicting_batch", "tampered_batch"):
        if name in faults:
            day = _days(work, rng, 1, used, sunny=False)[0]
            site.batch_faults[name] = day
            spans[name] = [(day * grid.per_day, (day + 1) * grid.per_day)]
            details[name] = {"day": grid.dates[day].isoformat()}

    site.start, site.zulu, site.present = start, zulu, present
    site.day = grid.day.astype(np.int64)
    site.energy, site.register, site.quality = energy, register, quality
    site.clock_offset = clock_offset
    site.elevation, site.clear_sky_wh, site.clearness = \
        work.elevation, work.clear_wh, work.clearness
    labels = []
    for name in site.faults:
        ranges = times.get(name) or [(int(start[a]), int(start[b - 1]) + grid.interval_s)
                                     for a, b in spans.get(name, [])]
        if not ranges:
            raise RuntimeError(f"{name} found no place on {site.site}")  # pragma: no cover
        labels.append(Label(site.site, site.device_id, name, ranges, details.get(name, {})))
    return labels


def break_ties(e: np.ndarray, daylight: np.ndarray) -> np.ndarray:
    """Integer Wh with no three equal non-zero values in a row in daylight: a chance tie of a
    noisy signal rounded to 1 Wh (about one per 100 sites × 60 days, mostly on dark days) is
    indistinguishable from a stuck or back-filled meter (R10), so the labels would miss it.
    The middle value moves 1 Wh up and its successor 1 Wh down: the running sum (the
    register) is unchanged from the next interval on."""
    out = e.copy()
    for _ in range(10):
        same = (out[2:] == out[1:-1]) & (out[1:-1] == out[:-2]) & (out[1:-1] > 0) \
            & daylight[2:] & daylight[1:-1] & daylight[:-2]
        where = np.flatnonzero(same) + 1
        if where.size == 0:
            break
        out[where] += 1
        out[where + 1] -= 1
    return out


def _balance(gen: np.ndarray, load: np.ndarray) -> dict[str, np.ndarray]:
    own = np.minimum(gen, load)
    return {"generation": gen, "export": gen - own, "import": load - own}


def _bigger_pcs(work: Work, grid: Grid) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The real PCS is 1.15 × the registered rating and the array big enough to reach it on
    the sunnier days: generation with the real sizes, the plateau mask, the real sizes."""
    real_ac = 1.15 * work.ac_w
    daily_peak = np.sort(work.pdc.reshape(grid.days, grid.per_day).max(axis=1))
    reference = daily_peak[-min(3, grid.days)]  # the third sunniest day reaches the plateau
    scale = float(np.clip(1.2 * real_ac / (phys.ETA_INV * max(reference, 1.0)), 1.2, 3.0))
    pac = phys.inverter(work.pdc * scale, real_ac)
    plateau = pac >= 0.999 * real_ac
    gen = np.where(plateau, real_ac * (1 + 0.25 * work.eps),
                   np.minimum(pac * (1 + work.eps), real_ac * CLIP_MARGIN))
    gen = np.where(work.elevation <= 0, 0.0, gen) * grid.interval_s / 3600
    return gen, plateau, {"real_ac_kw": round(real_ac / 1000, 3),
                          "real_dc_kw": round(scale * work.dc_w / 1000, 3)}


def _outlier(gen: np.ndarray, work: Work, grid: Grid, target: float
             ) -> tuple[np.ndarray, float]:
    """Generation whose period total is ``target`` × the site's physics while staying under
    the AC rating (R11's cap): scaled by the factor that reaches the target once clipped at
    the rating (bisection), as an inverter at its limit clips (with its few-per-mille
    ripple). Where no factor up to 4 reaches it, the plain scaling (over the cap)."""
    cap = work.ac_w * grid.interval_s / 3600 * np.minimum(1 + 0.25 * work.eps, CLIP_MARGIN)
    total = gen.sum()
    if total <= 0:
        return gen * target, target

    def realised(f: float) -> float:
        return float(np.minimum(gen * f, cap).sum() / total)

    if realised(4.0) < target:
        return gen * target, target
    lo, hi = target, 4.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if realised(mid) < target else (lo, mid)
    return np.minimum(gen * hi, cap), hi


def _straight_line(energy: dict[str, np.ndarray], load: np.ndarray, span: Span) -> None:
    """Back-fill ``span`` as a logger does: the generation register drawn straight between
    its neighbours (equal energies; the remainder of the division goes to the next
    interval), and the household balance recomputed."""
    a, b = span
    gen = energy["generation"]
    q, r = divmod(int(gen[a:b].sum()), b - a)
    gen[a:b] = q
    gen[b] += r
    own = np.minimum(gen[a:b + 1], load[a:b + 1])
    energy["export"][a:b + 1] = gen[a:b + 1] - own
    energy["import"][a:b + 1] = load[a:b + 1] - own


def _through_clock(e: np.ndarray, grid: Grid, t_s: int, rate: float) -> np.ndarray:
    """Energies as a drifting clock labels them: labelled boundary L is true time
    L − δ(L), δ growing by ``rate`` s/day from ``t_s``; the running sum is read there."""
    bounds = grid.t0 + np.arange(grid.n + 1, dtype=np.int64) * grid.interval_s
    true = bounds - rate * np.clip(bounds - t_s, 0, None) / DAY_S
    cum = np.concatenate([[0], np.cumsum(e)])
    read = np.round(np.interp(true, bounds.astype(float), cum.astype(float))).astype(np.int64)
    return np.diff(read)


def _runs(mask: np.ndarray) -> list[Span]:
    """The [a, b) runs of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


def _days(work: Work, rng: np.random.Generator, k: int, used: set[int], *,
          sunny: bool) -> list[int]:
    """``k`` days not used yet by another fault of the site: sunny ones (clearness ≥ 0.6, or
    the sunnier half) when ``sunny``; tried in random order by the caller."""
    days = [d for d in range(len(work.clearness)) if d not in used] or \
        list(range(len(work.clearness)))
    if sunny:
        good = [d for d in days if work.clearness[d] >= 0.6]
        if len(good) < k:
            ranked = sorted(days, key=lambda d: -work.clearness[d])
            good = ranked[:max(k, len(ranked) // 2)]
        days = good
    chosen = [int(d) for d in rng.permutation(days)]
    picked = sorted(chosen[:k])
    used.update(picked)
    return picked


def _run_in_day(work: Work, grid: Grid, day: int, n: int, rng: np.random.Generator, *,
                low: float | None = None, high: float | None = None,
                need: np.ndarray | None = None, margin: int = 0) -> Span | None:
    """A random run of ``n`` intervals inside ``day`` whose sun elevation is ≥ ``low`` (or
    ≤ ``high``) throughout, with ``margin`` intervals of the same day on each side; else the
    same on the nearest day that has one."""
    order = sorted(range(grid.days), key=lambda d: (abs(d - day), d))
    for d in order:
        lo, hi = d * grid.per_day, (d + 1) * grid.per_day
        ok = np.ones(hi - lo, dtype=bool)
        if low is not None:
            ok &= work.elevation[lo:hi] >= low
        if high is not None:
            ok &= work.elevation[lo:hi] <= high
        if need is not None:
            ok &= need[lo:hi]
        cum = np.concatenate([[0], np.cumsum(ok)])
        starts = [p for p in range(margin, hi - lo - n - margin + 1)
                  if cum[p + n] - cum[p] == n]
        if starts:
            p = starts[int(rng.integers(len(starts)))]
            return lo + p, lo + p + n
    return None


def _daylight_interval(work: Work, grid: Grid, rng: np.random.Generator, used: set[int],
                       gen: np.ndarray, least: int = 1) -> int | None:
    """An interval (not the first) with the sun ≥ 20° and at least ``least`` Wh generated."""
    for day in _days(work, rng, 1, used, sunny=True) + list(range(grid.days)):
        lo, hi = max(1, day * grid.per_day), (day + 1) * grid.per_day
        candidates = np.flatnonzero((work.elevation[lo:hi] >= 20) & (gen[lo:hi] >= least))
        if candidates.size:
            return lo + int(candidates[int(rng.integers(candidates.size))])
    return None


def _near_limit(value: int) -> bool:
    """Whether a register reads within 10 % of the next power of ten (where a drop to 0
    would look like a rollover)."""
    if value <= 0:
        return False
    power = 10 ** len(str(value))
    return bool(value >= 0.9 * power)

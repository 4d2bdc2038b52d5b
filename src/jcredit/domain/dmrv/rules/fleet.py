"""R16: a site out of line with its fleet (dmrv.md §5.3 R16; pvanalytics ``hampel`` /
``zscore``, z > 4).

Input: the programme's daily specific yields, ``{site: {day: Wh/kWp}}`` (:func:`daily_yields`
computes one site's; :func:`fleet_check` does it all for a list of series). Weather moves the
sites of a region together and differs between regions (the Japan Sea coast in winter), so a
site is compared with the sites around it, its ``R16.neighbours`` nearest ("the same grid
cell", dmrv.md), **day by day** and then over the period:

1. each day, the site's yield over its neighbours' median yield that day (days on which fewer
   than ``R16.min_sites`` of them reported are skipped; without locations, the fleet's
   median);
2. the site's **score**: the median of those daily ratios over its days (at least
   ``R16.min_days``), so a single odd day (a local shower) does not make an outlier;
3. a robust z-score of the scores: ``z = 0.6745 (score − median) / MAD`` (Iglewicz–Hoaglin),
   with the MAD at least ``R16.mad_floor`` × the median, so a fleet of near-identical
   systems does not turn every small difference into an outlier.

``z > R16.z_high`` (4) → HOLD (over-reporting: the verifier looks); ``z < −R16.z_low`` → FLAG
(under-performance lowers credits; maintenance, not fraud).

With ``expected`` (each site's clear-sky specific yield per day, from the physics context),
the yields are first divided by it: a site's latitude, orientation and clipping no longer
count against it, only what the sky and the meter did.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from bisect import bisect_right
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import date
from datetime import timedelta
from decimal import Decimal
from statistics import median

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules.context import DAY
from jcredit.domain.dmrv.rules.context import EVIDENCE_ITEMS
from jcredit.domain.dmrv.rules.context import JST
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import merge
from jcredit.domain.dmrv.thresholds import Thresholds
from jcredit.domain.dmrv.thresholds import load

_EPOCH = date(1970, 1, 1)
_Z = 0.6745  # Φ⁻¹(0.75): makes the MAD comparable with a standard deviation


def daily_yields(series: SiteSeries, thresholds: Thresholds | None = None, *,
                 ctx: Context | None = None) -> tuple[dict[date, float], dict[date, float]]:
    """One site's daily specific yield (Wh per kWp DC) by JST date, measured and clear-sky
    expected (empty when the series has no physics context). Register deltas spanning gaps
    are left out of both, so a gap lowers a day rather than piling energy onto another."""
    ctx = ctx or Context(series, thresholds)
    kwp = float(ctx.facts.capacity_dc_kw)
    measured: dict[date, float] = {}
    expected: dict[date, float] = {}
    cs = ctx.clear_sky
    energy = ctx.single()
    day_before = None
    key = _EPOCH
    for i, s in enumerate(ctx.start):
        e = energy[i]
        if e is None:
            continue
        day = (s + JST) // DAY
        if day != day_before:
            key = _EPOCH + timedelta(days=day)
            day_before = day
        measured[key] = measured.get(key, 0.0) + e / kwp
        if cs is not None:
            expected[key] = expected.get(key, 0.0) + cs[i] / kwp
    return measured, expected


def _window(day: date) -> tuple[int, int]:
    start = (day - _EPOCH).days * DAY - JST
    return start, start + DAY


def neighbours(locations: Mapping[str, tuple[float, float]], k: int) -> dict[str, list[str]]:
    """Each site's ``k`` nearest other sites by great-circle distance (the "same grid cell"
    of dmrv.md §5.3 R16, sized by the fleet's density rather than a fixed grid). Candidates
    come from a latitude band that widens until it holds enough, so a programme of 100,000
    households does not compare every pair."""
    by_lat = sorted((lat, lon, site) for site, (lat, lon) in locations.items())
    lats = [row[0] for row in by_lat]
    out: dict[str, list[str]] = {}
    for lat, lon, site in by_lat:
        band = 0.25
        while True:
            lo, hi = bisect_left(lats, lat - band), bisect_right(lats, lat + band)
            if hi - lo > k or hi - lo >= len(lats):
                break
            band *= 2
        found = sorted((_km(lat, lon, la, lo_), other) for la, lo_, other in by_lat[lo:hi]
                       if other != site)
        # the k nearest inside the band are the k nearest overall only if the k-th is closer
        # than the band's edge; otherwise widen once to that distance
        if len(found) >= k and found[k - 1][0] > band * 111.0:
            reach = found[k - 1][0] / 111.0
            lo, hi = bisect_left(lats, lat - reach), bisect_right(lats, lat + reach)
            found = sorted((_km(lat, lon, la, lo_), other)
                           for la, lo_, other in by_lat[lo:hi] if other != site)
        out[site] = [other for _, other in found[:k]]
    return out


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def fleet_outliers(yields: Mapping[str, Mapping[date, float]], thresholds: Thresholds, *,
                   expected: Mapping[str, Mapping[date, float]] | None = None,
                   locations: Mapping[str, tuple[float, float]] | None = None,
                   capacity_kw: Mapping[str, Decimal] | None = None) -> list[Finding]:
    """R16 over a programme (see the module docstring). ``locations`` (latitude, longitude
    per site) compares each site with its ``R16.neighbours`` nearest sites, which share its
    weather; without it, with the whole fleet. ``capacity_kw`` (DC, per site) turns the
    affected yields into the findings' ``energy_wh``."""
    t = thresholds
    min_sites, min_days = int(t["R16.min_sites"]), int(t["R16.min_days"])
    values: dict[str, dict[date, float]] = {}
    for site, days in yields.items():
        ref = expected.get(site, {}) if expected is not None else None
        row = {}
        for day, y in days.items():
            if ref is None:
                row[day] = y
            elif ref.get(day, 0.0) > 0.0:
                row[day] = y / ref[day]
        values[site] = row
    near = (neighbours({s: locations[s] for s in values if s in locations},
                       int(t["R16.neighbours"])) if locations is not None else None)
    fleet_median: dict[date, float] = {}
    if near is None:
        by_day: dict[date, list[float]] = {}
        for row in values.values():
            for day, v in row.items():
                by_day.setdefault(day, []).append(v)
        fleet_median = {d: median(v) for d, v in by_day.items() if len(v) >= min_sites}
    scores: dict[str, tuple[float, int]] = {}
    for site, row in values.items():
        ratios = []
        for day, v in row.items():
            if near is None:
                ref_value = fleet_median.get(day, 0.0)
            else:
                around = [values[o][day] for o in near.get(site, ()) if day in values[o]]
                ref_value = median(around) if len(around) >= min_sites else 0.0
            if ref_value > 0.0:
                ratios.append(v / ref_value)
        if len(ratios) >= min_days:
            scores[site] = (median(ratios), len(ratios))
    if len(scores) < min_sites:
        return []
    centre = median(s for s, _ in scores.values())
    mad = median(abs(s - centre) for s, _ in scores.values())
    mad = max(mad, t.f("R16.mad_floor") * abs(centre))
    if mad <= 0.0:
        return []
    high, low = t.f("R16.z_high"), t.f("R16.z_low")
    out = []
    for site in sorted(scores):
        score, n_days = scores[site]
        z = _Z * (score - centre) / mad
        if z > high:
            severity = Severity.HOLD
        elif z < -low:
            severity = Severity.FLAG
        else:
            continue
        dated = sorted(values[site])
        energy = 0
        if capacity_kw is not None and site in capacity_kw:
            energy = round(sum(yields[site].values()) * float(capacity_kw[site]))
        out.append(Finding(
            "R16", "R16.fleet_outlier", severity, merge(_window(d) for d in dated), energy,
            {"z": round(z, 2), "score": round(score, 3), "fleet_median": round(centre, 3),
             "mad": round(mad, 4), "days": n_days, "sites": len(scores),
             "compared_with": "neighbours" if near is not None else "fleet",
             "neighbours": near.get(site, [])[:EVIDENCE_ITEMS] if near is not None else None,
             "normalised_by_clear_sky": expected is not None,
             "first_day": dated[0].isoformat(), "last_day": dated[-1].isoformat(),
             "thresholds": t.of_rule("R16")},
            site=site))
    return out


def fleet_check(fleet: Iterable[SiteSeries], thresholds: Thresholds | None = None
                ) -> list[Finding]:
    """R16 over a fleet of annotated series: daily yields normalised by each site's
    clear-sky expectation, each site against its nearest neighbours."""
    t = thresholds or load()
    yields: dict[str, dict[date, float]] = {}
    expected: dict[str, dict[date, float]] = {}
    locations: dict[str, tuple[float, float]] = {}
    capacity: dict[str, Decimal] = {}
    for series in fleet:
        site = series.facts.site
        yields[site], expected[site] = daily_yields(series, t)
        locations[site] = (float(series.facts.latitude), float(series.facts.longitude))
        capacity[site] = series.facts.capacity_dc_kw
    have_physics = all(expected.values())
    return fleet_outliers(yields, t, expected=expected if have_physics else None,
                          locations=locations, capacity_kw=capacity)

"""Small synthetic PV series for the rule tests, built in the test (no simulator).

The physics is the domain's approximate sun (``jcredit.domain.dmrv.sun``): a clear-sky
expectation ``DC × 0.9 × sin(elevation)^1.2`` capped at the AC rating, and a measured
generation of ``clear sky × day clearness × (1 ± noise)``, deterministic for a seed. The same
expectation fills ``SiteSeries.clear_sky_wh``, so a clean series has the modelled shape and a
fault is the only thing the rules can see. ``physics`` lets a test use pvlib instead.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal

from jcredit.domain.dmrv import sun
from jcredit.domain.dmrv.model import ChannelSeries
from jcredit.domain.dmrv.model import SiteFacts
from jcredit.domain.dmrv.model import SiteSeries

JST = timezone(timedelta(hours=9))
TOKYO = (Decimal("35.68"), Decimal("139.69"))


def facts(ac: str = "4.5", dc: str = "5.0", *, site: str = "JCP-000001/HH-0001",
          channels: tuple[str, ...] = ("generation", "export"), **extra: object) -> SiteFacts:
    base = SiteFacts(site=site, device_id="PV-" + site[-4:], capacity_ac_kw=Decimal(ac),
                     capacity_dc_kw=Decimal(dc), latitude=TOKYO[0], longitude=TOKYO[1],
                     tilt=Decimal(30), azimuth=Decimal(180), channels=channels)
    return replace(base, **extra)  # type: ignore[arg-type]


def epoch(day: date, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST).timestamp())


def synthetic_physics(f: SiteFacts, starts: list[int], interval: int
                      ) -> tuple[list[float], list[float]]:
    """Sun elevation at each midpoint and the clear-sky Wh of each interval."""
    lat, lon = float(f.latitude), float(f.longitude)
    dc, ac = float(f.capacity_dc_kw) * 1000, float(f.capacity_ac_kw) * 1000
    elevation, clear = [], []
    for s in starts:
        el = sun.elevation(s + interval / 2, lat, lon)
        # mean of three samples so the interval's energy, not its midpoint, is modelled
        power = 0.0
        for k in (1, 3, 5):
            e = sun.elevation(s + interval * k / 6, lat, lon)
            power += min(ac, dc * 0.9 * math.sin(math.radians(e)) ** 1.2) if e > 0 else 0.0
        elevation.append(el)
        clear.append(power / 3 * interval / 3600)
    return elevation, clear


def site_series(days: int = 30, *, first: date = date(2026, 5, 1), interval: int = 1800,
                seed: int = 1, f: SiteFacts | None = None, cloudy: bool = True,
                scale: float = 1.0, noise: float = 0.01,
                physics: Callable[[SiteFacts, list[int], int],
                                  tuple[list[float], list[float]]] = synthetic_physics,
                ) -> SiteSeries:
    """A clean series: generation (register and energy) and export, with its physics."""
    f = f or facts()
    rng = random.Random(seed)
    t0 = epoch(first)
    starts = list(range(t0, t0 + days * 86400, interval))
    elevation, clear = physics(f, starts, interval)
    per_day = 86400 // interval
    clearness = [(0.95 if not cloudy or rng.random() < 0.6 else rng.uniform(0.2, 0.8))
                 for _ in range(days)]
    gen, exp = [], []
    for i, c in enumerate(clear):
        k = clearness[i // per_day]
        if k < 0.9:  # broken clouds move from interval to interval
            k *= rng.uniform(0.6, 1.3)
        e = int(c * k * scale * (1 + rng.gauss(0, noise))) if c > 0 else 0
        gen.append(max(0, e))
        exp.append(max(0, gen[-1] - int(400 * interval / 1800)))
    register = []
    total = 12_345_678
    for e in gen:
        total += e
        register.append(total)
    n = len(starts)
    channels = {
        "generation": ChannelSeries(list(starts), [interval] * n, register, gen,
                                    ["measured"] * n),
        "export": ChannelSeries(list(starts), [interval] * n, [None] * n, exp,
                                ["measured"] * n),
    }
    return SiteSeries(f, channels, sun_elevation=elevation, clear_sky_wh=clear)


def relabel(series: SiteSeries, shift: Callable[[int, int], int], physics: Callable[
        [SiteFacts, list[int], int], tuple[list[float], list[float]]] = synthetic_physics,
            ) -> SiteSeries:
    """The same readings under other labels (a device clock): ``shift(i, start)`` seconds
    added to each start; the physics recomputed for the new labels."""
    channels = {}
    for name, ch in series.channels.items():
        starts = [s + shift(i, s) for i, s in enumerate(ch.start)]
        channels[name] = ChannelSeries(starts, list(ch.seconds), list(ch.register_wh),
                                       list(ch.energy_wh), list(ch.quality))
    gen = channels["generation"]
    elevation, clear = physics(series.facts, gen.start, gen.seconds[0])
    return SiteSeries(series.facts, channels, sun_elevation=elevation, clear_sky_wh=clear)


def utc(epoch_s: int) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)

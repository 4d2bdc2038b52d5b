"""The physics context of the rules (adapters/dmrv/solar.py, pvlib): sun elevation at each
interval's midpoint and the clear-sky generation expected at the registered capacity."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from jcredit.adapters.dmrv import solar
from jcredit.domain.dmrv import sun
from jcredit.domain.dmrv.model import ChannelSeries
from jcredit.domain.dmrv.model import SiteSeries
from tests.dmrv_synthetic import epoch
from tests.dmrv_synthetic import facts

MAY = date(2026, 5, 10)


def half_hours(day: date) -> np.ndarray:
    start = epoch(day)
    return np.arange(start, start + 86400, 1800, dtype=np.int64)


def test_solar_noon_in_tokyo_in_may_is_about_11_40_jst() -> None:
    f = facts()
    minutes = np.arange(epoch(MAY, 10), epoch(MAY, 14), 60, dtype=np.int64)
    elevation = solar.sun_elevation(f, minutes)
    noon = int(minutes[int(np.argmax(elevation))])
    assert epoch(MAY, 11, 35) <= noon <= epoch(MAY, 11, 45)
    assert 70 < elevation.max() < 76  # 90 − 35.7 + 17.6 (declination)
    # the domain's approximate sun (for intervals never sent) agrees within a degree
    for t in minutes[::37]:
        assert abs(sun.elevation(int(t), 35.68, 139.69)
                   - float(solar.sun_elevation(f, np.array([t]))[0])) < 1.0


def test_clear_sky_is_zero_at_night_and_plausible_at_midday() -> None:
    f = facts(ac="4.5", dc="5.0")
    starts = half_hours(MAY)
    wh = solar.clear_sky_wh(f, starts, np.full(len(starts), 1800))
    elevation = solar.sun_elevation(f, starts + 900)
    assert np.all(wh[elevation < -5] == 0)  # an interval half in twilight may have some
    assert wh[:8].sum() == 0  # 00:00–04:00 JST
    noon = wh[(starts >= epoch(MAY, 11)) & (starts < epoch(MAY, 12, 30))]
    # 5 kW DC facing south: about 4 kW at noon; the 4.5 kW PCS caps it at 2,250 Wh
    assert np.all(noon > 1800) and np.all(noon <= 2250 + 1e-6)
    day_kwh_per_kwp = wh.sum() / 1000 / 5.0
    assert 5.5 < day_kwh_per_kwp < 8.0  # a clear May day in Tokyo


def test_an_unknown_orientation_is_generous() -> None:
    known = facts()
    unknown = replace(known, tilt=None, azimuth=None)
    starts = half_hours(MAY)
    seconds = np.full(len(starts), 1800)
    a = solar.clear_sky_wh(known, starts, seconds)
    b = solar.clear_sky_wh(unknown, starts, seconds)
    assert np.all(b >= a - 1e-6)  # the envelope over roofs is never below one roof
    west = replace(known, azimuth=Decimal(270))
    assert np.all(b >= solar.clear_sky_wh(west, starts, seconds) - 1e-6)


def test_shorter_intervals_add_up_to_the_half_hour() -> None:
    f = facts()
    start = epoch(MAY, 9)
    half = solar.clear_sky_wh(f, [start], [1800])[0]
    quarters = solar.clear_sky_wh(f, [start, start + 900], [900, 900]).sum()
    minutes = solar.clear_sky_wh(f, list(range(start, start + 1800, 60)), [60] * 30).sum()
    assert quarters == pytest.approx(half, rel=1e-9)
    assert minutes == pytest.approx(half, rel=0.02)


def test_annotate_fills_the_generation_intervals_and_caches_days() -> None:
    f = facts()
    starts = half_hours(MAY).tolist()
    n = len(starts)
    series = SiteSeries(f, {"generation": ChannelSeries(starts, [1800] * n, [None] * n,
                                                        [0] * n, ["measured"] * n)})
    solar.annotate(series)
    assert len(series.sun_elevation) == len(series.clear_sky_wh) == n
    again = solar.clear_sky_wh(f, starts, [1800] * n)
    assert again.tolist() == series.clear_sky_wh  # the cached day gives the same values
    assert all(isinstance(x, float) for x in series.clear_sky_wh[:3])

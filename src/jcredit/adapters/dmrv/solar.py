"""The physics context of a site's readings (docs/dmrv.md §4): the sun's elevation at each
interval's midpoint and the clear-sky generation expected in each interval (Wh).

Model (dmrv.md §5.2, "expected values"), vectorised with numpy and pvlib:

1. Solar position: pvlib (``solarposition.get_solarposition``, its ephemeris algorithm: a
   tenth of SPA's time, within 0.4° of it at the horizon and far closer above).
2. Clear-sky irradiance: Ineichen–Perez with pvlib's Linke turbidity climatology
   (``clearsky.lookup_linke_turbidity``) and the site's altitude (``location.lookup_altitude``).
3. Plane of array: the larger of the isotropic and the Perez transposition, for the
   registered tilt and azimuth or, without them, the **envelope** (per instant, the largest)
   over plausible household orientations (tilt 0–40°, azimuth east to west). Both are generous on
   purpose: the expectation is a *cap* for R12, so an unknown orientation must never make a
   clean site look like over-reporting; it only makes the cap looser.
4. DC power at the DC nameplate: ``P = P_DC × POA/1000 × (1 + γ (T_cell − 25 °C)) × loss``
   (PVWatts form), with a cool cell ``T_cell = T_amb + rise × POA/1000``; AC-limited at the
   registered AC rating. γ, T_amb, rise and the loss factor are unverified model values in
   ``domain/dmrv/data/thresholds.csv`` (``R12.model_*``), so changing them is an R22 HOLD.
5. Integration over the interval: the power is sampled every 5 minutes (at 2.5, 7.5, …
   minutes into the interval) and averaged, so a 30-minute interval is the mean of six
   samples (dmrv.md §3: "compute clear-sky at high resolution and integrate to the meter
   interval"). Intervals shorter than 5 minutes take their midpoint's sample.

Results are floats: physics context sets thresholds and is never credited.

Speed: the 5-minute grid is computed per site and per UTC day and kept in a bounded cache, so
annotating a site's daily batches one by one does not recompute the days already seen.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib

from jcredit.domain.dmrv.model import SiteFacts
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.thresholds import Thresholds
from jcredit.domain.dmrv.thresholds import load

SAMPLE_S = 300  # the integration step
# pvlib's ephemeris algorithm: within 0.05° of SPA above 10° of elevation and 0.4° at the
# horizon (refraction), and a tenth of SPA's time; a half-hour's expectation needs no more
SOLPOS = "ephemeris"
_PER_DAY = 86400 // SAMPLE_S
# Plausible household orientations when none is registered (tilt °, azimuth ° with 180 = south)
ENVELOPE = ((0.0, 180.0),
            *((tilt, az) for tilt in (15.0, 30.0, 40.0)
              for az in (90.0, 135.0, 180.0, 225.0, 270.0)))
_CACHE_DAYS = 8192


@dataclass(frozen=True)
class ClearSkyModel:
    """The expectation's unverified parameters (thresholds.csv ``R12.model_*``)."""

    loss_factor: float
    gamma: float  # 1/°C
    ambient_c: float
    cell_rise_c: float  # at 1000 W/m²

    @classmethod
    def from_thresholds(cls, thresholds: Thresholds | None = None) -> ClearSkyModel:
        t = thresholds or load()
        return cls(t.f("R12.model_loss_factor"), t.f("R12.model_gamma"),
                   t.f("R12.model_ambient"), t.f("R12.model_cell_rise"))


_cache: OrderedDict[tuple[object, ...], np.ndarray] = OrderedDict()
_lock = threading.Lock()


def _site_key(facts: SiteFacts, model: ClearSkyModel) -> tuple[object, ...]:
    return (str(facts.latitude), str(facts.longitude), facts.tilt, facts.azimuth,
            str(facts.capacity_ac_kw), str(facts.capacity_dc_kw), model)


def _times(epoch_s: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(epoch_s, unit="s", utc=True))


def _position(times: pd.DatetimeIndex, lat: float, lon: float) -> pd.DataFrame:
    with warnings.catch_warnings():  # pvlib uses a pandas API pandas deprecates
        warnings.simplefilter("ignore")
        return pvlib.solarposition.get_solarposition(times, lat, lon, method=SOLPOS)


def sun_elevation(facts: SiteFacts, epoch_s: np.ndarray) -> np.ndarray:
    """Apparent sun elevation (degrees) at ``epoch_s`` (UTC seconds)."""
    if len(epoch_s) == 0:
        return np.zeros(0)
    position = _position(_times(epoch_s), float(facts.latitude), float(facts.longitude))
    return np.asarray(position["apparent_elevation"].to_numpy(), dtype=float)


def clear_sky_power_w(facts: SiteFacts, epoch_s: np.ndarray,
                      model: ClearSkyModel | None = None) -> np.ndarray:
    """Expected AC power (W) under a clear sky at the registered capacity, at each instant."""
    model = model or ClearSkyModel.from_thresholds()
    if len(epoch_s) == 0:
        return np.zeros(0)
    lat, lon = float(facts.latitude), float(facts.longitude)
    times = _times(epoch_s)
    position = _position(times, lat, lon)
    zenith = position["apparent_zenith"]
    altitude = float(pvlib.location.lookup_altitude(lat, lon))
    with warnings.catch_warnings():  # pvlib's lookup uses a pandas API pandas deprecates
        warnings.simplefilter("ignore")
        turbidity = pvlib.clearsky.lookup_linke_turbidity(times, lat, lon)
    airmass = pvlib.atmosphere.get_absolute_airmass(
        pvlib.atmosphere.get_relative_airmass(zenith), pvlib.atmosphere.alt2pres(altitude))
    dni_extra = pd.Series(np.asarray(pvlib.irradiance.get_extra_radiation(
        times.day_of_year.to_numpy()), dtype=float), index=times)
    sky = pvlib.clearsky.ineichen(zenith, airmass, turbidity, altitude=altitude,
                                  dni_extra=dni_extra)
    if facts.tilt is not None and facts.azimuth is not None:
        orientations = [(float(facts.tilt), float(facts.azimuth))]
    else:
        orientations = list(ENVELOPE)
    relative_airmass = pvlib.atmosphere.get_relative_airmass(zenith)
    poa = np.zeros(len(times))
    for tilt, azimuth in orientations:
        for transposition in ("isotropic", "perez"):
            total = pvlib.irradiance.get_total_irradiance(
                tilt, azimuth, zenith, position["azimuth"], sky["dni"], sky["ghi"],
                sky["dhi"], dni_extra=dni_extra, airmass=relative_airmass,
                model=transposition)
            poa = np.fmax(poa, np.nan_to_num(total["poa_global"].to_numpy(), nan=0.0))
    cell = model.ambient_c + model.cell_rise_c * poa / 1000.0
    dc = (float(facts.capacity_dc_kw) * poa * (1.0 + model.gamma * (cell - 25.0))
          * model.loss_factor)
    return np.clip(dc, 0.0, float(facts.capacity_ac_kw) * 1000.0)


def _day_grid(facts: SiteFacts, days: range, model: ClearSkyModel) -> np.ndarray:
    """Power on the 5-minute grid (sample j of day d at d·86400 + 150 + 300·j), cached."""
    key = _site_key(facts, model)
    found: dict[int, np.ndarray] = {}
    with _lock:
        for day in days:
            value = _cache.get((*key, day))
            if value is not None:
                _cache.move_to_end((*key, day))
                found[day] = value
    missing = [d for d in days if d not in found]
    if missing:
        # one pvlib call over the missing days' contiguous range
        first, last = missing[0], missing[-1]
        grid = (np.arange((last - first + 1) * _PER_DAY, dtype=np.int64) * SAMPLE_S
                + first * 86400 + SAMPLE_S // 2)
        power = clear_sky_power_w(facts, grid, model).reshape(-1, _PER_DAY)
        with _lock:
            for day in missing:
                found[day] = row = power[day - first]
                _cache[(*key, day)] = row
            while len(_cache) > _CACHE_DAYS:
                _cache.popitem(last=False)
    return np.concatenate([found[d] for d in days])


def clear_sky_wh(facts: SiteFacts, starts: Sequence[int] | np.ndarray,
                 seconds: Sequence[int] | np.ndarray, model: ClearSkyModel | None = None,
                 ) -> np.ndarray:
    """The clear-sky expected energy (Wh) of each interval ``[start, start + seconds)``."""
    model = model or ClearSkyModel.from_thresholds()
    start = np.asarray(starts, dtype=np.int64)
    secs = np.asarray(seconds, dtype=np.int64)
    if len(start) == 0:
        return np.zeros(0)
    out = np.zeros(len(start))
    first_day = int(start.min() // 86400)
    last_day = int((start + secs).max() // 86400)
    grid = _day_grid(facts, range(first_day, last_day + 1), model)
    origin = first_day * 86400
    cumulative = np.concatenate([[0.0], np.cumsum(grid)])
    aligned = (start % SAMPLE_S == 0) & (secs % SAMPLE_S == 0)
    if aligned.any():
        j0 = (start[aligned] - origin) // SAMPLE_S
        m = secs[aligned] // SAMPLE_S
        mean_w = (cumulative[j0 + m] - cumulative[j0]) / m
        out[aligned] = mean_w * secs[aligned] / 3600.0
    if (~aligned).any():
        mid = start[~aligned] + secs[~aligned] / 2.0
        j = np.clip(((mid - origin) // SAMPLE_S).astype(np.int64), 0, len(grid) - 1)
        out[~aligned] = grid[j] * secs[~aligned] / 3600.0
    return out


def annotate(series: SiteSeries, model: ClearSkyModel | None = None) -> SiteSeries:
    """Fill ``series.sun_elevation`` and ``series.clear_sky_wh``, aligned with the generation
    channel's intervals, and return the series."""
    generation = series.channel("generation")
    start = np.asarray(generation.start, dtype=np.int64)
    secs = np.asarray(generation.seconds, dtype=np.int64)
    series.sun_elevation = sun_elevation(series.facts, start + secs / 2.0).tolist()
    series.clear_sky_wh = clear_sky_wh(series.facts, start, secs, model).tolist()
    return series

"""Household PV physics for the fleet simulator, vectorised over sites × intervals (pvlib).

Power is sampled at each interval's midpoint and multiplied by its length: the same
convention as the rules' clear-sky expectation (docs/dmrv.md §4), so that a clean site's
ratio to it stays a weather ratio, not an integration artefact at sunrise.

Chain, per site and interval (every step a pvlib function or a documented formula):

1. Sun position: NREL SPA (Reda & Andreas 2004) as pvlib implements it. The time-only part
   (sidereal time, the sun's right ascension and declination) is computed once per instant
   and the site-dependent part (hour angle, parallax, refraction) over the sites × times
   grid: the same numbers as ``pvlib.solarposition.get_solarposition`` at a fraction of the
   cost for a fleet.
2. Clear sky: Ineichen–Perez with pvlib's monthly Linke turbidity climatology, Kasten–Young
   air mass, sea level (a conservative choice: altitude only adds irradiance).
3. Weather: a clearness factor ``k`` per interval (see the simulator); GHI = k × GHI_clear, the
   beam share falls faster than the total as clouds thicken, diffuse = GHI − beam.
4. Plane of array: isotropic sky (Liu–Jordan), ground albedo 0.2, ASHRAE incidence-angle
   modifier (b = 0.05) on the beam. The isotropic model is the lowest of pvlib's transposition
   models on clear days, so the simulated sites never outrun a rules' expectation that uses a
   richer sky model.
5. Cell temperature: SAPM, glass/glass on a rack (a pitched-roof array on standoffs runs
   about 30 °C above the air at 1,000 W/m²), wind 1.5 m/s.
6. DC: PVWatts, γ = −0.37 %/K (crystalline silicon), then the site's system losses
   (soiling, wiring, mismatch, LID: 9–14 %, PVWatts' default is 14 % with availability).
7. AC: PVWatts inverter, η_nom 0.96, clipping at the PCS (AC) rating.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib
from pvlib import spa

PRESSURE_MBAR = 1013.25  # standard atmosphere, as pvlib's defaults
SPA_TEMPERATURE_C = 12.0  # pvlib's default for the refraction correction
ATMOS_REFRACT = 0.5667  # degrees, SPA's apparent sun radius + refraction at the horizon
ALBEDO = 0.2  # a residential surround (grass, roofs, asphalt)
IAM_B = 0.05  # ASHRAE incidence-angle modifier parameter for glass
GAMMA_PDC = -0.0037  # 1/K, crystalline silicon module power temperature coefficient
ETA_INV = 0.96  # PVWatts nominal inverter efficiency
WIND_M_S = 1.5
TEMPERATURE_MODEL = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][
    "open_rack_glass_glass"]


@dataclass(frozen=True)
class Sun:
    """Sun position on the sites × times grid (degrees)."""

    elevation: np.ndarray  # geometric (no refraction): < 0 is night
    apparent_zenith: np.ndarray  # with refraction: what irradiance models use
    azimuth: np.ndarray


def sun_position(unix_mid: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> Sun:
    """SPA for every site (rows) at every instant (columns).

    ``unix_mid`` holds epoch seconds (float), ``lat``/``lon`` degrees per site.
    """
    unix = np.asarray(unix_mid, dtype=float)
    years = pd.to_datetime(unix, unit="s").year.to_numpy()
    months = pd.to_datetime(unix, unit="s").month.to_numpy()
    delta_t = spa.calculate_deltat(years, months)
    v, alpha, delta = spa.solar_position_numpy(
        unix, 0.0, 0.0, 0.0, PRESSURE_MBAR, SPA_TEMPERATURE_C, delta_t, ATMOS_REFRACT, 1,
        sst=True)
    (radius,) = spa.solar_position_numpy(unix, 0.0, 0.0, 0.0, PRESSURE_MBAR,
                                         SPA_TEMPERATURE_C, delta_t, ATMOS_REFRACT, 1,
                                         esd=True)
    la = np.asarray(lat, dtype=float)[:, None]
    lo = np.asarray(lon, dtype=float)[:, None]
    v, alpha, delta, radius = (x[None, :] for x in (v, alpha, delta, radius))
    hour = spa.local_hour_angle(v, lo, alpha)
    xi = spa.equatorial_horizontal_parallax(radius)
    u = spa.uterm(la)
    x = spa.xterm(u, la, 0.0)
    y = spa.yterm(u, la, 0.0)
    delta_alpha = spa.parallax_sun_right_ascension(x, xi, hour, delta)
    delta_prime = spa.topocentric_sun_declination(delta, x, y, xi, delta_alpha, hour)
    hour_prime = spa.topocentric_local_hour_angle(hour, delta_alpha)
    e0 = spa.topocentric_elevation_angle_without_atmosphere(la, delta_prime, hour_prime)
    delta_e = spa.atmospheric_refraction_correction(PRESSURE_MBAR, SPA_TEMPERATURE_C, e0,
                                                    ATMOS_REFRACT)
    e = spa.topocentric_elevation_angle(e0, delta_e)
    gamma = spa.topocentric_astronomers_azimuth(hour_prime, delta_prime, la)
    return Sun(elevation=e0, apparent_zenith=90.0 - e, azimuth=spa.topocentric_azimuth_angle(gamma))


def linke_turbidity(unix_mid: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """pvlib's monthly Linke turbidity climatology (Remund et al. 2003), interpolated to the
    day, per site (rows) and instant (columns)."""
    times = pd.DatetimeIndex(pd.to_datetime(np.asarray(unix_mid), unit="s", utc=True))
    out = np.empty((len(lat), len(times)))
    with warnings.catch_warnings():  # pvlib's lookup uses a pandas API pandas deprecates
        warnings.simplefilter("ignore")
        cache: dict[tuple[float, float], np.ndarray] = {}
        for row, (la, lo) in enumerate(zip(lat, lon, strict=True)):
            key = (round(float(la), 1), round(float(lo), 1))  # the table's cells are 1/12°
            if key not in cache:
                cache[key] = np.asarray(pvlib.clearsky.lookup_linke_turbidity(
                    times, float(la), float(lo)), dtype=float)
            out[row] = cache[key]
    return out


def clear_sky(sun: Sun, unix_mid: np.ndarray, turbidity: np.ndarray) -> dict[str, np.ndarray]:
    """Ineichen clear-sky GHI, DNI, DHI (W/m²), zero with the sun below the horizon."""
    doy = pd.to_datetime(np.asarray(unix_mid), unit="s").day_of_year.to_numpy()
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(doy), dtype=float)[None, :]
    with np.errstate(all="ignore"):
        am_rel = pvlib.atmosphere.get_relative_airmass(sun.apparent_zenith)
        am_abs = pvlib.atmosphere.get_absolute_airmass(am_rel, PRESSURE_MBAR * 100)
        cs = pvlib.clearsky.ineichen(sun.apparent_zenith, am_abs, turbidity, altitude=0,
                                     dni_extra=dni_extra)
    up = sun.apparent_zenith < 90.0
    return {k: np.where(up, np.nan_to_num(np.asarray(cs[k], dtype=float)), 0.0)
            for k in ("ghi", "dni", "dhi")}


@dataclass(frozen=True)
class Array:
    """The PV systems, one per row: orientation, sizes, losses."""

    tilt: np.ndarray  # degrees
    azimuth: np.ndarray  # degrees, 180 = south
    dc_w: np.ndarray  # DC nameplate W
    ac_w: np.ndarray  # PCS rating W
    losses: np.ndarray  # system losses, fraction


def ac_power(array: Array, sun: Sun, cs: dict[str, np.ndarray], temp_air: np.ndarray,
             k: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """AC and DC power (W) for clearness ``k`` (None: clear sky), sites × times."""
    with np.errstate(all="ignore"):
        if k is None:
            ghi, dni = cs["ghi"], cs["dni"]
        else:
            # Beam falls faster than the total as clouds thicken: kb = ((k − 0.3)/0.7)^1.5,
            # at most 1 (cloud enhancement is diffuse light from cloud edges). kb ≤ k keeps
            # diffuse ≥ 0.
            ghi = k * cs["ghi"]
            kb = np.clip((k - 0.3) / 0.7, 0.0, 1.0) ** 1.5
            dni = kb * cs["dni"]
        cosz = np.clip(np.cos(np.radians(sun.apparent_zenith)), 0.0, None)
        dhi = np.clip(ghi - dni * cosz, 0.0, None)
        tilt = array.tilt[:, None]
        az = array.azimuth[:, None]
        poa = pvlib.irradiance.get_total_irradiance(
            tilt, az, sun.apparent_zenith, sun.azimuth, dni, ghi, dhi, albedo=ALBEDO,
            model="isotropic")
        aoi = pvlib.irradiance.aoi(tilt, az, sun.apparent_zenith, sun.azimuth)
        iam = np.nan_to_num(np.asarray(pvlib.iam.ashrae(aoi, b=IAM_B), dtype=float))
        beam = np.nan_to_num(np.asarray(poa["poa_direct"], dtype=float))
        diffuse = np.nan_to_num(np.asarray(poa["poa_diffuse"], dtype=float))
        effective = np.clip(beam * iam + diffuse, 0.0, None)
        poa_global = np.clip(beam + diffuse, 0.0, None)
        t_cell = pvlib.temperature.sapm_cell(poa_global, temp_air, WIND_M_S,
                                             **TEMPERATURE_MODEL)
        pdc = pvlib.pvsystem.pvwatts_dc(effective, t_cell, array.dc_w[:, None], GAMMA_PDC)
        pdc = np.clip(np.nan_to_num(np.asarray(pdc, dtype=float)), 0.0, None) \
            * (1.0 - array.losses[:, None])
        pac = inverter(pdc, array.ac_w[:, None])
    return pac, pdc


def inverter(pdc: np.ndarray, ac_w: np.ndarray | float) -> np.ndarray:
    """PVWatts inverter: efficiency curve, output clipped at the AC rating ``ac_w``."""
    with np.errstate(all="ignore"):
        pac = pvlib.inverter.pvwatts(pdc, np.asarray(ac_w) / ETA_INV, eta_inv_nom=ETA_INV)
    return np.asarray(np.clip(np.nan_to_num(np.asarray(pac, dtype=float)), 0.0, None))

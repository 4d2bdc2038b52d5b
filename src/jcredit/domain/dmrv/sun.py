"""An approximate sun elevation in pure Python, for intervals that have no physics context.

The physics context of a series (``SiteSeries.sun_elevation``, ``clear_sky_wh``) is computed
with pvlib outside the domain (``jcredit.adapters.dmrv.solar``) for the intervals a device
*sent*. R09 must also tell whether an interval that was **never sent** fell in daylight, to
score a day's daylight completeness; this function answers that with the NOAA low-precision
formulas (declination and equation of time from the fractional year; within 0.2° of pvlib's
SPA over 2025, far finer than calling a 30-minute interval day or night needs).
Source: NOAA Global Monitoring Laboratory, "General Solar Position Calculations"
(https://gml.noaa.gov/grad/solcalc/solareqns.PDF).
"""

from __future__ import annotations

import math

_DAY = 86400.0


def elevation(epoch_s: float, latitude: float, longitude: float) -> float:
    """Sun elevation in degrees (geometric, no refraction) at UTC ``epoch_s``.

    >>> round(elevation(1746675600, 35.68, 139.69))  # 2025-05-08 12:40 JST, Tokyo
    67
    >>> elevation(1746630000, 35.68, 139.69) < 0  # 00:00 JST
    True
    """
    days = epoch_s / _DAY
    # fractional year from the day of the year (365.2422-day mean year from 1970-01-01)
    year_frac = (days % 365.2422) / 365.2422
    g = 2.0 * math.pi * year_frac
    eqtime = 229.18 * (0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g)
                       - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g))
    decl = (0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
            - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
            - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g))
    minutes_utc = (epoch_s % _DAY) / 60.0
    true_solar = minutes_utc + eqtime + 4.0 * longitude
    hour_angle = math.radians(true_solar / 4.0 - 180.0)
    lat = math.radians(latitude)
    cos_zenith = (math.sin(lat) * math.sin(decl)
                  + math.cos(lat) * math.cos(decl) * math.cos(hour_angle))
    return 90.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))

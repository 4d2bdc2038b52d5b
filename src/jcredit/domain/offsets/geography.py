"""Where prefectures are: the prefectural offices, for travel distances by prefecture.

A meeting's travel leg may give the participants' prefecture instead of a distance; the
distance is then the great circle between the two prefectural offices (data/
prefecture_offices.csv, latitude and longitude to three decimals) times the factor table's
detour factor. The great circle is computed in binary floating point (trigonometry has no
exact decimal form) and kept to whole kilometres as the leg's **input**; everything after
it is ``Decimal``.
"""

from __future__ import annotations

import csv
import math
from decimal import Decimal
from importlib import resources

EARTH_RADIUS_KM = 6371.0  # mean radius (IUGG)


def _offices() -> dict[str, tuple[float, float]]:
    text = resources.files(__package__).joinpath("data", "prefecture_offices.csv").read_text(
        "utf-8")
    return {row["prefecture"]: (float(row["latitude"]), float(row["longitude"]))
            for row in csv.DictReader(text.splitlines())}


PREFECTURE_OFFICES: dict[str, tuple[float, float]] = _offices()


def straight_line_km(origin: str, destination: str) -> Decimal:
    """Great-circle distance between two prefectural offices [km], whole kilometres.

    >>> straight_line_km("東京都", "大阪府")
    Decimal('395')
    >>> straight_line_km("東京都", "東京都")
    Decimal('0')
    """
    lat1, lon1 = (math.radians(x) for x in PREFECTURE_OFFICES[origin])
    lat2, lon2 = (math.radians(x) for x in PREFECTURE_OFFICES[destination])
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return Decimal(round(2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))))

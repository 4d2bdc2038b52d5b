"""One standalone generation series from an ordinary CSV file (``jcredit dmrv check``): a
time column and a value column, as inverter clouds and loggers export them.

Units (``--unit``):

- ``W``, ``kW``: the **average power over the interval** that starts at the time given.
  Energy = P × Δt exactly in ``Decimal`` (1,234 W over 30 min = 617 Wh; 1,235 W = 617.5 Wh).
  Energies are integer Wh (docs/dmrv.md), so the exact values are **accumulated** and each
  interval gets ``floor(running total) − floor(previous running total)``: every interval is
  within 1 Wh of its exact energy and the file's total is exact to below 1 Wh, where rounding
  each interval would drift by up to 0.5 Wh per interval. Negative power (an inverter's
  standby draw at night) is generation 0; the summary counts such rows.
- ``Wh``, ``kWh``: the energy of the interval; a kWh value finer than 1 Wh is carried the same
  way.
- ``register_Wh``, ``register_kWh``: a cumulative register read at the **end** of the
  interval; a kWh register finer than 1 Wh is truncated (a register shows what has been
  counted). Interval energies then come from register deltas (``jcredit.domain.dmrv.energy``).

Times are ISO 8601 (``2026-05-01T10:00:00+09:00``, ``2026-05-01 10:00``, ``Z``; ``/`` for
``-`` in the date is accepted). A time without a zone is read in ``tz``. An empty value is a
missing interval (R09 reports it). Any other unreadable cell refuses the file with every bad
line listed (line numbers count the header as line 1).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from jcredit.domain.dmrv.model import CADENCES
from jcredit.domain.dmrv.model import ChannelSeries
from jcredit.domain.dmrv.model import Quality
from jcredit.domain.errors import ValidationError
from jcredit.domain.numbers import D

MAX_VALUE = 10**12  # W, kW, Wh or kWh of one interval or register: far above any house

UNITS = ("W", "kW", "Wh", "kWh", "register_Wh", "register_kWh")
_SCALE = {"W": Decimal(1), "kW": Decimal(1000), "Wh": Decimal(1), "kWh": Decimal(1000),
          "register_Wh": Decimal(1), "register_kWh": Decimal(1000)}
MAX_ERRORS = 20  # bad lines listed before the file is refused
_INTERVAL_UNITS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}


@dataclass
class CsvSeries:
    """The generation channel read from a file and what was done to get it."""

    channel: ChannelSeries
    rows: int
    missing_values: int = 0
    negative_power: int = 0
    zone_added: int = 0  # rows whose time had no zone (read in ``tz``)
    notes: list[str] = field(default_factory=list)


def parse_interval(text: str) -> int:
    """``30min``, ``15min``, ``300s`` or ``1800`` → seconds; one of the permitted cadences
    (docs/dmrv.md §2: 30 minutes or finer).

    >>> parse_interval("30min"), parse_interval("5min"), parse_interval("900")
    (1800, 300, 900)
    """
    raw = text.strip().lower()
    number = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(number):] or "s"
    try:
        seconds = int(number) * _INTERVAL_UNITS[unit]
    except (ValueError, KeyError):
        raise ValidationError(f"interval {text!r} is not a duration such as 30min, 15min or 1h",
                              field="--interval", valid=[f"{c // 60}min" for c in CADENCES]
                              ) from None
    if seconds not in CADENCES:
        raise ValidationError(f"interval {text!r} is not a permitted cadence", field="--interval",
                              valid=[f"{c // 60}min" for c in CADENCES])
    return seconds


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {name!r}", field="--tz",
                              valid=["Asia/Tokyo", "UTC"]) from None


def _time(text: str, tz: ZoneInfo) -> tuple[int, bool]:
    raw = text.strip()
    if len(raw) >= 10 and raw[4] == "/" and raw[7] == "/":
        raw = raw[:4] + "-" + raw[5:7] + "-" + raw[8:]
    when = datetime.fromisoformat(raw)
    if when.tzinfo is None:
        return int(when.replace(tzinfo=tz).timestamp()), True
    return int(when.timestamp()), False


def read_series_csv(text: str, *, time_column: str, value_column: str, unit: str,
                    interval_s: int, tz: str = "Asia/Tokyo") -> CsvSeries:
    """The generation channel of a CSV text (see the module docstring)."""
    if unit not in UNITS:
        raise ValidationError(f"unknown unit {unit!r}", field="--unit", valid=list(UNITS))
    where = zone(tz)
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValidationError("the file is empty: it needs a header line", field="--csv")
    names = [h.strip() for h in header]
    for option, column in (("--time-column", time_column), ("--value-column", value_column)):
        if column not in names:
            raise ValidationError(f"line 1: no column {column!r} in the header", field=option,
                                  valid=names)
    ti, vi = names.index(time_column), names.index(value_column)
    scale = _SCALE[unit]
    power = unit in ("W", "kW")
    register = unit.startswith("register_")
    per_hour = Decimal(interval_s) / Decimal(3600)
    rows: list[tuple[int, Decimal]] = []
    errors: list[dict[str, object]] = []
    out = CsvSeries(ChannelSeries(), rows=0)

    def bad(line: int, column: str, value: str, message: str) -> None:
        if len(errors) < MAX_ERRORS:
            errors.append({"line": line, "column": column, "value": value[:40],
                           "message": message})

    count_bad = 0
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        out.rows += 1
        if len(row) != len(names):
            # too few cells, or too many: an unquoted "1,234" would be read as 1
            count_bad += 1
            bad(line, value_column if len(row) > ti else time_column, ",".join(row),
                f"the line has {len(row)} cells; the header has {len(names)}"
                + (" (a value with an unquoted comma, such as 1,234?)"
                   if len(row) > len(names) else ""))
            continue
        try:
            start, naive = _time(row[ti], where)
        except ValueError:
            count_bad += 1
            bad(line, time_column, row[ti], "not an ISO 8601 time such as "
                "2026-05-01T10:00:00+09:00 or 2026-05-01 10:00")
            continue
        out.zone_added += naive
        cell = row[vi].strip()
        if not cell:
            out.missing_values += 1
            continue
        try:
            value = D(cell)
        except ValueError:
            count_bad += 1
            bad(line, value_column, row[vi], f"not a number in {unit} (a comma only "
                "separates thousands)")
            continue
        if not value.is_finite() or value.copy_abs() > MAX_VALUE:
            # before any arithmetic: 1E999999999 and 5,000 digits are numbers too
            count_bad += 1
            bad(line, value_column, row[vi], f"not a meter's value: at most {MAX_VALUE} "
                f"{unit} in absolute value")
            continue
        rows.append((start, value * scale))
    if count_bad:
        first = errors[0]
        raise ValidationError(
            f"{count_bad} line(s) cannot be read; line {first['line']}, column "
            f"{first['column']!r}: {first['message']}",
            field=f"line {first['line']}", errors=errors)
    if not rows:
        raise ValidationError("the file has no readings", field="--csv")
    rows.sort(key=lambda r: r[0])
    ch = out.channel
    exact = Decimal(0)
    whole = 0
    for start, value in rows:
        ch.start.append(start)
        ch.seconds.append(interval_s)
        ch.quality.append(Quality.MEASURED.value)
        if register:
            ch.register_wh.append(math.floor(value))
            ch.energy_wh.append(None)
            continue
        if power:
            if value < 0:
                out.negative_power += 1
                value = Decimal(0)
            value *= per_hour
        ch.register_wh.append(None)
        if value < 0:  # a negative energy stays as sent: R01 blocks it
            ch.energy_wh.append(math.floor(value))
            continue
        exact += value
        now = math.floor(exact)
        ch.energy_wh.append(now - whole)
        whole = now
    if out.zone_added:
        out.notes.append(f"{out.zone_added} times without a zone read in {tz}")
    if out.negative_power:
        out.notes.append(f"{out.negative_power} negative power values read as 0 W")
    return out

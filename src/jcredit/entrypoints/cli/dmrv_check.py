"""``jcredit dmrv check``: the automatic checks from the command line.

It runs the automatic checks (docs/dmrv.md §5) on one standalone series,
with no registry: an implementer checks their data before submitting it, a verifier checks a
file they were given. How the file is read (units, time zones, whole watt-hours) is
``jcredit.domain.dmrv.series_csv``'s docstring.
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from jcredit.domain.dmrv.model import SEVERITY_RANK
from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteFacts
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.series_csv import UNITS
from jcredit.domain.dmrv.series_csv import parse_interval
from jcredit.domain.dmrv.series_csv import read_series_csv
from jcredit.domain.dmrv.series_csv import zone
from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.cli.app import JsonOpt
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.app import reports_errors
from jcredit.entrypoints.cli.dmrv import dmrv_app
from jcredit.entrypoints.cli.projects import EncodingOpt
from jcredit.entrypoints.cli.projects import read_csv


def _number(text: str, option: str, low: Decimal, high: Decimal, *, strict_low: bool = False
            ) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValidationError(f"{option} must be a number, not {text!r}", field=option) from None
    if not value.is_finite() or value > high or value < low or (strict_low and value == low):
        bound = f"> {low}" if strict_low else f"≥ {low}"
        raise ValidationError(f"{option} {text} is out of range ({bound} and ≤ {high})",
                              field=option)
    return value


def _iso(epoch: int, tz: str) -> str:
    return datetime.fromtimestamp(epoch, zone(tz)).isoformat()


def _summary(findings: list[Finding], series: SiteSeries) -> dict[str, Any]:
    from jcredit.domain.dmrv.rules import blocked

    gen = series.channel("generation")
    energy = sum(e for e in gen.energy_wh if e)
    counts = {s.value: sum(f.severity is s for f in findings) for s in Severity}
    ranges = blocked(findings)
    blocked_wh = 0
    for i, s in enumerate(gen.start):
        e = gen.energy_wh[i]
        if e and any(a <= s < b for a, b in ranges):
            blocked_wh += e
    return {"findings": counts, "rules": sorted({f.rule_id for f in findings}),
            "blocked_intervals": [list(r) for r in ranges],
            "blocked_energy_wh": blocked_wh, "energy_wh": energy,
            "worst": max((f.severity.value for f in findings),
                         key=lambda s: SEVERITY_RANK[Severity(s)], default=None)}


WIDE = 110  # columns from which the findings are a table


def _why(f: Finding) -> str:
    """A one-line reason from the evidence (the JSON has all of it)."""
    skip = {"examples", "thresholds", "offsets", "gaps", "incomplete", "neighbours", "changed"}
    parts = [f"{k}={v}" for k, v in f.evidence.items()
             if k not in skip and v is not None and not isinstance(v, (list, dict))]
    return ", ".join(parts[:5])


@dmrv_app.command("check")
@reports_errors
def check(
    csv_file: Path = typer.Option(..., "--csv", help="the CSV file (a header line; UTF-8 or "
                                  "Shift_JIS, see --encoding)"),
    time_column: str = typer.Option(..., "--time-column", help="the column of interval starts"),
    value_column: str = typer.Option(..., "--value-column", help="the column of values"),
    unit: str = typer.Option(..., "--unit", help="W or kW (average power over the interval), "
                             "Wh or kWh (interval energy), register_Wh or register_kWh "
                             "(cumulative register at the interval's end)"),
    capacity_kw: str = typer.Option(..., "--capacity-kw", help="registered AC capacity (kW)"),
    dc_kw: str | None = typer.Option(None, "--dc-kw", help="DC nameplate (kW); default the AC"),
    lat: str = typer.Option(..., "--lat", help="latitude (°N)"),
    lon: str = typer.Option(..., "--lon", help="longitude (°E)"),
    tz: str = typer.Option("Asia/Tokyo", "--tz", help="zone of times written without one"),
    interval: str = typer.Option("30min", "--interval", help="interval length (30min or finer)"),
    tilt: str | None = typer.Option(None, "--tilt", help="panel tilt (°), if known"),
    azimuth: str | None = typer.Option(None, "--azimuth", help="panel azimuth (°, 180 = south)"),
    encoding: str = EncodingOpt, as_json: bool = JsonOpt,
) -> None:
    """Check one PV generation series with the automatic rules (R01–R21, docs/dmrv.md §5)
    and print the findings: BLOCK (no credit), HOLD (the verifier decides), FLAG (shown)."""
    from jcredit.adapters.dmrv.solar import annotate
    from jcredit.domain.dmrv.rules import RULES
    from jcredit.domain.dmrv.rules import evaluate

    if unit not in UNITS:
        raise ValidationError(f"unknown unit {unit!r}", field="--unit", valid=list(UNITS))
    seconds = parse_interval(interval)
    # capacities from 1 W: 1E-400 kW is more than 0 and nothing a site has
    ac = _number(capacity_kw, "--capacity-kw", Decimal("0.001"), Decimal(100_000))
    dc = (_number(dc_kw, "--dc-kw", Decimal("0.001"), Decimal(100_000))
          if dc_kw is not None else ac)
    latitude = _number(lat, "--lat", Decimal(-90), Decimal(90))
    longitude = _number(lon, "--lon", Decimal(-180), Decimal(180))
    tilt_d = _number(tilt, "--tilt", Decimal(0), Decimal(90)) if tilt is not None else None
    az_d = (_number(azimuth, "--azimuth", Decimal(0), Decimal(360))
            if azimuth is not None else None)
    zone(tz)
    if not csv_file.exists():
        raise ValidationError(f"no such file: {csv_file}", field="--csv")
    text = read_csv(csv_file, encoding)
    read = read_series_csv(text, time_column=time_column, value_column=value_column,
                           unit=unit, interval_s=seconds, tz=tz)
    facts = SiteFacts(site=f"file:{csv_file.name}", device_id="csv", capacity_ac_kw=ac,
                      capacity_dc_kw=dc, latitude=latitude, longitude=longitude,
                      tilt=tilt_d, azimuth=az_d)
    series = annotate(SiteSeries(facts, {"generation": read.channel}))
    findings = evaluate(series, now=datetime.now(UTC))
    gen = read.channel
    summary = _summary(findings, series)
    items: list[dict[str, Any]] = [f.as_dict() | {
        "name_en": RULES[f.rule_id].name_en, "name_ja": RULES[f.rule_id].name_ja,
        "first_start": _iso(f.intervals[0][0], tz) if f.intervals else None,
        "last_end": _iso(f.intervals[-1][1], tz) if f.intervals else None}
        for f in findings]
    first, last = _iso(gen.start[0], tz), _iso(gen.start[-1] + gen.seconds[-1], tz)
    data: dict[str, Any] = {
        "file": str(csv_file),
        "input": {"rows": read.rows, "readings": len(gen.start), "unit": unit,
                  "interval_s": seconds, "tz": tz, "capacity_ac_kw": str(ac),
                  "capacity_dc_kw": str(dc), "latitude": str(latitude),
                  "longitude": str(longitude),
                  "tilt": None if tilt_d is None else str(tilt_d),
                  "azimuth": None if az_d is None else str(az_d),
                  "first_start": first, "last_end": last,
                  "missing_values": read.missing_values, "notes": read.notes},
        "summary": summary,
        "findings": items,
    }
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        return
    table = Table(title=f"{csv_file.name}: 自動チェック / automatic checks")
    for column in ("rule", "チェック / check", "severity", "ranges", "from – to", "Wh",
                   "why"):
        # the times and ids never wrap mid-value; the reason takes what width is left
        table.add_column(column, no_wrap=column in ("rule", "severity", "from – to"),
                         overflow="fold")
    for item, f in zip(items, findings, strict=True):
        info = RULES[f.rule_id]
        span = (f"{item['first_start'][:16].replace('T', ' ')}\n"
                f"{item['last_end'][:16].replace('T', ' ')}" if item["first_start"] else "")
        table.add_row(f.rule_id, f"{info.name_ja}\n{info.name_en}", f.severity.value,
                      str(len(f.intervals)), span, f"{f.energy_wh:,}", _why(f))
    console.print(f"{read.rows} rows, {len(gen.start)} readings, {first} – {last}",
                  markup=False, highlight=False)
    for note in read.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    if findings and console.width >= WIDE:
        console.print(table)
    elif findings:  # a narrow terminal: one finding a few lines, nothing cut
        console.print(f"{csv_file.name}: 自動チェック / automatic checks", markup=False)
        for item, f in zip(items, findings, strict=True):
            info = RULES[f.rule_id]
            console.print(f"{f.rule_id} {f.severity.value}  {info.name_ja} / {info.name_en}",
                          markup=False, highlight=False)
            span = (f", {item['first_start'][:16].replace('T', ' ')} – "
                    f"{item['last_end'][:16].replace('T', ' ')}" if item["first_start"] else "")
            console.print(f"  {len(f.intervals)} ranges{span}, {f.energy_wh:,} Wh",
                          markup=False, highlight=False)
            if _why(f):
                console.print(f"  {_why(f)}", markup=False, highlight=False)
    counts = summary["findings"]
    console.print(f"BLOCK {counts['BLOCK']}  HOLD {counts['HOLD']}  FLAG {counts['FLAG']}  "
                  f"(発電量 / generation {summary['energy_wh']:,} Wh; 対象外 / blocked "
                  f"{summary['blocked_energy_wh']:,} Wh)", markup=False, highlight=False)
    if not findings:
        console.print("問題は見つかりませんでした / no findings", markup=False)

"""``jcredit dmrv check`` on standalone CSV files: a clean month, then the same month with
one fault each (night generation, a 9-hour clock shift, a capacity ×2), time zones, units,
and files it cannot read."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from jcredit.adapters.dmrv import solar
from jcredit.domain.dmrv.model import SiteFacts
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.entrypoints.cli.app import app
from tests.dmrv_synthetic import JST
from tests.dmrv_synthetic import site_series

runner = CliRunner()
SITE = ["--capacity-kw", "4.5", "--dc-kw", "5.0", "--lat", "35.68", "--lon", "139.69",
        "--tilt", "30", "--azimuth", "180"]


def pvlib_physics(f: SiteFacts, starts: list[int], interval: int
                  ) -> tuple[list[float], list[float]]:
    st = np.asarray(starts, dtype=np.int64)
    return (solar.sun_elevation(f, st + interval / 2).tolist(),
            solar.clear_sky_wh(f, st, np.full(len(st), interval)).tolist())


@pytest.fixture(scope="module")
def month() -> SiteSeries:
    return site_series(30, seed=11, physics=pvlib_physics)


def write(path: Path, series: SiteSeries, *, unit: str = "W", zone: bool = True,
          value: Callable[[int, int], object] | None = None, shift: int = 0) -> Path:
    g = series.channels["generation"]
    lines = ["time,value,comment"]
    for i, (s, e) in enumerate(zip(g.start, g.energy_wh, strict=True)):
        when = datetime.fromtimestamp(s + shift, JST)
        text = when.isoformat() if zone else when.strftime("%Y-%m-%d %H:%M")
        if value is not None:
            v = value(i, e or 0)
        elif unit == "W":
            v = (e or 0) * 2  # energy over 30 min → average power
        elif unit == "kWh":
            v = f"{(e or 0) / 1000:.3f}"
        else:
            v = e
        lines.append(f"{text},{v},ok")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def check(path: Path, *extra: str, unit: str = "W") -> tuple[int, Any]:
    result = runner.invoke(app, ["dmrv", "check", "--csv", str(path), "--time-column", "time",
                                 "--value-column", "value", "--unit", unit, *SITE, *extra,
                                 "--json"])
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.stdout + result.stderr


def severities(data: Any) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["severity"]) for f in data["findings"]}


def test_a_clean_month_has_no_block_or_hold(tmp_path: Path, month: SiteSeries) -> None:
    code, data = check(write(tmp_path / "clean.csv", month))
    assert code == 0, data
    assert data["summary"]["findings"]["BLOCK"] == data["summary"]["findings"]["HOLD"] == 0
    assert data["input"]["readings"] == 30 * 48
    g = month.channels["generation"]
    assert data["summary"]["energy_wh"] == sum(e for e in g.energy_wh if e)  # W → Wh exact
    assert data["input"]["first_start"] == "2026-05-01T00:00:00+09:00"
    human = runner.invoke(app, ["dmrv", "check", "--csv", str(tmp_path / "clean.csv"),
                                "--time-column", "time", "--value-column", "value",
                                "--unit", "W", *SITE])
    assert human.exit_code == 0 and "no findings" in human.stdout


def test_night_generation_is_blocked(tmp_path: Path, month: SiteSeries) -> None:
    def value(i: int, e: int) -> object:
        hour = (i % 48) / 2
        day = i // 48
        return 300 if day in (5, 9, 13) and 1 <= hour < 3 else e * 2  # 300 W at 01:00–03:00

    code, data = check(write(tmp_path / "night.csv", month, value=value))
    assert code == 0
    assert ("R07", "BLOCK") in severities(data)
    r07 = next(f for f in data["findings"] if f["rule_id"] == "R07")
    assert r07["evidence"]["nights"] == 3 and r07["energy_wh"] == 3 * 4 * 150
    assert r07["name_ja"] == "夜間の発電" and r07["first_start"].startswith("2026-05-06T01:00")
    assert data["summary"]["blocked_energy_wh"] >= 3 * 4 * 150


def test_a_9_hour_shift_is_held(tmp_path: Path, month: SiteSeries) -> None:
    g = month.channels["generation"]
    lines = ["time,value"]
    for i, (s, e) in enumerate(zip(g.start, g.energy_wh, strict=True)):
        late = 9 * 3600 if i >= 18 * 48 else 0  # JST written as if UTC from the 19th
        lines.append(f"{datetime.fromtimestamp(s + late, JST).isoformat()},{(e or 0) * 2}")
    path = tmp_path / "shift.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, data = check(path)
    assert code == 0
    r06 = [f for f in data["findings"] if f["rule_id"] == "R06"]
    assert [f["severity"] for f in r06] == ["HOLD"]
    assert r06[0]["first_start"] >= "2026-05-18"
    assert ("R07", "BLOCK") in severities(data)  # the shifted production lands at night


def test_twice_the_registered_capacity_is_blocked(tmp_path: Path, month: SiteSeries) -> None:
    path = write(tmp_path / "double.csv", month, value=lambda i, e: e * 4)
    code, data = check(path)
    assert code == 0
    assert ("R11", "BLOCK") in severities(data) and ("R12", "HOLD") in severities(data)
    r11 = next(f for f in data["findings"] if f["rule_id"] == "R11")
    assert r11["energy_wh"] > 0 and r11["evidence"]["cap_wh_per_30min"] == 2362


def test_times_without_a_zone_are_read_in_tz(tmp_path: Path, month: SiteSeries) -> None:
    aware = check(write(tmp_path / "aware.csv", month))[1]
    naive_code, naive = check(write(tmp_path / "naive.csv", month, zone=False))
    assert naive_code == 0
    assert naive["findings"] == aware["findings"]
    assert naive["input"]["notes"] == ["1440 times without a zone read in Asia/Tokyo"]
    # the same local times read as UTC are 9 hours late: the sun says so
    code, utc = check(tmp_path / "naive.csv", "--tz", "UTC")
    assert code == 0 and ("R06", "HOLD") in severities(utc)


def test_energy_and_register_units(tmp_path: Path, month: SiteSeries) -> None:
    g = month.channels["generation"]
    code, kwh = check(write(tmp_path / "kwh.csv", month, unit="kWh"), unit="kWh")
    assert code == 0 and kwh["summary"]["energy_wh"] == sum(e for e in g.energy_wh if e)
    regs = write(tmp_path / "reg.csv", month,
                 value=lambda i, e: f"{g.register_wh[i] / 1000:.3f}")
    code, reg = check(regs, unit="register_kWh")
    assert code == 0, reg
    assert reg["summary"]["findings"]["BLOCK"] == reg["summary"]["findings"]["HOLD"] == 0
    assert reg["input"]["readings"] == 30 * 48


def test_average_power_becomes_whole_watt_hours_without_drift(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    rows = ["time,value"] + [f"2026-05-01T{h:02d}:{m:02d}:00+09:00,1235"
                             for h in range(10, 12) for m in (0, 30)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    from jcredit.domain.dmrv.series_csv import read_series_csv

    read = read_series_csv(path.read_text(), time_column="time", value_column="value",
                           unit="W", interval_s=1800)
    assert read.channel.energy_wh == [617, 618, 617, 618]  # 617.5 Wh each, carried


def test_a_bad_line_is_refused_naming_it(tmp_path: Path, month: SiteSeries) -> None:
    path = write(tmp_path / "bad.csv", month)
    lines = path.read_text().splitlines()
    lines[5] = "2026-05-01T02:00:00+09:00,twelve,ok"
    lines[9] = "yesterday,12,ok"
    path.write_text("\n".join(lines) + "\n")
    code, data = check(path)
    assert code != 0
    error = data["error"]
    assert error["field"] == "line 6" and "column 'value'" in error["message"]
    assert [(e["line"], e["column"]) for e in error["errors"]] == [(6, "value"), (10, "time")]
    plain = runner.invoke(app, ["dmrv", "check", "--csv", str(path), "--time-column", "time",
                                "--value-column", "value", "--unit", "W", *SITE])
    assert plain.exit_code != 0 and "line 6" in plain.stderr and "line 10" in plain.stderr


@pytest.mark.parametrize(("args", "field"), [
    (["--value-column", "power"], "--value-column"),
    (["--unit", "MW"], "--unit"),
    (["--interval", "7min"], "--interval"),
    (["--capacity-kw", "0"], "--capacity-kw"),
    (["--tz", "Mars/Olympus"], "--tz"),
])
def test_bad_options_are_refused(tmp_path: Path, month: SiteSeries, args: list[str],
                                 field: str) -> None:
    path = write(tmp_path / "x.csv", month)
    base = {"--csv": str(path), "--time-column": "time", "--value-column": "value",
            "--unit": "W", "--capacity-kw": "4.5", "--lat": "35.68", "--lon": "139.69"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = runner.invoke(app, ["dmrv", "check", *[x for kv in base.items() for x in kv],
                                 "--json"])
    assert result.exit_code != 0
    assert json.loads(result.stdout)["error"]["field"] == field


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    code, data = check(tmp_path / "nowhere.csv")
    assert code != 0 and data["error"]["field"] == "--csv"



def test_a_value_with_an_unquoted_thousands_comma_is_refused_not_misread(
        tmp_path: Path, month: SiteSeries) -> None:
    path = write(tmp_path / "thousands.csv", month)
    lines = path.read_text().splitlines()
    lines[30] = lines[30].split(",")[0] + ",1,234,ok"  # read as 1 W if the extra cell went
    path.write_text("\n".join(lines) + "\n")
    code, data = check(path)
    assert code != 0
    [error] = data["error"]["errors"]
    assert error["line"] == 31 and "4 cells" in error["message"]
    assert "unquoted comma" in error["message"]


def test_a_shift_jis_file_with_japanese_headers_is_read(tmp_path: Path,
                                                        month: SiteSeries) -> None:
    path = write(tmp_path / "x.csv", month)
    text = path.read_text().replace("time,value,comment", "時刻,発電量,備考", 1)
    path.write_bytes(text.encode("cp932"))
    result = runner.invoke(app, ["dmrv", "check", "--csv", str(path), "--time-column", "時刻",
                                 "--value-column", "発電量", "--unit", "W", *SITE, "--json"])
    assert result.exit_code == 0, result.output
    plain = runner.invoke(app, ["dmrv", "check", "--csv", str(tmp_path / "x.csv"),
                                "--time-column", "時刻", "--value-column", "発電量", "--unit",
                                "W", *SITE, "--json", "--encoding", "utf-8"])
    assert plain.exit_code != 0  # told it is UTF-8, the Shift_JIS bytes are refused
    energy = sum(e or 0 for e in month.channels["generation"].energy_wh)
    assert json.loads(result.stdout)["summary"]["energy_wh"] == energy


def test_absurd_values_and_capacities_are_refused_not_crashed(tmp_path: Path,
                                                              month: SiteSeries) -> None:
    for value in ("1E999999999", "9" * 5001, "1E20"):
        path = write(tmp_path / "absurd.csv", month)
        lines = path.read_text().splitlines()
        lines[20] = lines[20].split(",")[0] + f",{value},ok"
        path.write_text("\n".join(lines) + "\n")
        code, data = check(path)
        assert code == 4, (value, data)
        [error] = data["error"]["errors"]
        assert error["line"] == 21 and "not a meter's value" in error["message"]
    path = write(tmp_path / "x.csv", month)
    result = runner.invoke(app, ["dmrv", "check", "--csv", str(path), "--time-column", "time",
                                 "--value-column", "value", "--unit", "W", "--capacity-kw",
                                 "4.5", "--dc-kw", "1E-400", "--lat", "35.68", "--lon",
                                 "139.69", "--json"])
    assert result.exit_code == 4
    assert json.loads(result.stdout)["error"]["field"] == "--dc-kw"

"""``jcredit simulate fleet`` writes a fleet's files: devices, activities, signed batches,
labels and the manifest; bad arguments are refused with the field at fault."""

from __future__ import annotations

import csv
import json
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jcredit.adapters.dmrv.signing import public_key_bytes
from jcredit.adapters.dmrv.signing import verify
from jcredit.domain.dmrv.envelope import parse_envelope
from jcredit.domain.dmrv.faults import FAULTS
from jcredit.domain.dmrv.model import GENESIS
from jcredit.entrypoints.cli.app import app

runner = CliRunner()


def simulate(*args: str) -> tuple[int, dict[str, object] | str]:
    result = runner.invoke(app, ["simulate", "fleet", *args, "--json"])
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.stdout + result.stderr


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_cli_writes_a_fleet_with_labelled_faults(tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    code, data = simulate("--sites", "10", "--days", "8", "--seed", "3", "--project",
                          "JCP-000042", "--faults", "night_generation,gap,duplicate_batch,"
                          "tampered_batch,conflicting_batch", "--fault-sites", "1",
                          "--out", str(out))
    assert code == 0, data
    assert isinstance(data, dict) and data["sites"] == 10 and data["days"] == 8
    assert sorted(p.name for p in out.iterdir()) == [
        "activities.csv", "batches", "devices.csv", "fleet.json", "labels.csv"]

    devices = rows(out / "devices.csv")
    assert len(devices) == 10 and list(devices[0]) == [
        "project", "activity", "device_id", "capacity_ac_kw", "capacity_dc_kw",
        "commissioned_on", "latitude", "longitude", "tilt", "azimuth", "serial",
        "certification_expires", "channels", "public_key"]
    assert {d["project"] for d in devices} == {"JCP-000042"}
    activities = rows(out / "activities.csv")
    assert [a["code"] for a in activities] == [d["activity"] for d in devices]
    assert set(activities[0]) == {"code", "address", "operation_start",
                                  "expected_tco2_per_year", "household"}

    labels = rows(out / "labels.csv")
    assert sorted(lb["fault"] for lb in labels) == sorted(
        ["night_generation", "gap", "duplicate_batch", "tampered_batch", "conflicting_batch"])
    for lb in labels:
        assert (lb["rule_id"], lb["severity"]) == (FAULTS[lb["fault"]].rule_id,
                                                   FAULTS[lb["fault"]].severity.value)
        assert lb["first_start"].endswith("Z") and lb["first_start"] < lb["last_end"]

    manifest = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 3 and manifest["sites"] == 10 and manifest["start"]
    assert manifest["counts"]["batch_kinds"] == {"batch": 80, "duplicate": 1, "tampered": 1,
                                                 "conflicting": 1}

    keys = {d["device_id"]: public_key_bytes(d["public_key"]) for d in devices}
    tampered = 0
    for device in keys:
        files = sorted((out / "batches" / device).iterdir())
        prev, seq = GENESIS, 0
        for path in files:
            batch, signature = parse_envelope(path.read_bytes())
            if not verify(keys[device], signature, batch.signed):
                assert path.name.endswith(".tampered.json")
                tampered += 1
                continue
            if path.name.endswith(".duplicate.json"):
                continue
            assert (batch.seq, batch.prev) == (seq + 1, prev) and path.name == \
                f"{batch.seq:06d}.json"
            prev, seq = batch.hash, batch.seq
    assert tampered == 1


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert simulate("--sites", "3", "--days", "2", "--out", str(tmp_path / name))[0] == 0
    for relative in ("devices.csv", "activities.csv", "labels.csv",
                     "batches/PV-000001-0002/000002.json"):
        assert (tmp_path / "a" / relative).read_bytes() == \
            (tmp_path / "b" / relative).read_bytes()


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    code, message = simulate("--sites", "3", "--days", "2", "--faults", "wobble",
                             "--out", str(tmp_path / "x"))
    assert code != 0 and "wobble" in str(message) and "faults" in str(message)
    assert not (tmp_path / "x").exists()
    code, message = simulate("--sites", "3", "--days", "2", "--interval", "20min",
                             "--out", str(tmp_path / "y"))
    assert code != 0 and "interval" in str(message)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    code, message = simulate("--sites", "2", "--days", "1", "--out", str(tmp_path / "full"))
    assert code != 0 and "not an empty directory" in str(message)
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]


def test_help_lists_the_faults() -> None:
    result = runner.invoke(app, ["simulate", "fleet", "--help"])
    assert result.exit_code == 0
    assert "clock_shift_9h" in result.stdout and "--fault-rate" in result.stdout


def test_a_simulated_fleet_goes_through_the_registry_and_ingestion(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files fit the other parts: the activities join the demo programme, the devices
    register from devices.csv, and the batches import with only the batch faults caught
    (the duplicate replayed, the conflict held, the tampered copy refused by R02)."""
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")
    assert runner.invoke(app, ["demo"]).exit_code == 0
    out = tmp_path / "fleet"
    start = (date.today() - timedelta(days=40)).isoformat()
    code, data = simulate("--sites", "6", "--days", "4", "--start", start, "--faults",
                          "duplicate_batch,conflicting_batch,tampered_batch,gap,"
                          "clock_shift_9h", "--fault-sites", "1", "--out", str(out))
    assert code == 0, data
    for args in (["project", "add-activities", "JCP-000001", "--csv",
                  str(out / "activities.csv")],
                 ["dmrv", "device", "import", str(out / "devices.csv")]):
        result = runner.invoke(app, [*args, "--as", "taiyo", "--json"])
        assert result.exit_code == 0, result.stdout + result.stderr
    result = runner.invoke(app, ["dmrv", "import", str(out / "batches"), "--json"])
    assert result.exit_code == 1  # one refusal
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("batches", "accepted", "held", "replayed", "refused")} == {
        "batches": 27, "accepted": 24, "held": 1, "replayed": 1, "refused": 1}
    (refusal,) = summary["refusals"]
    assert refusal["rule_id"] == "R02" and refusal["where"].endswith(".tampered.json")


def test_a_fleet_can_start_after_the_demo_households(tmp_path: Path) -> None:
    """The demo programme already has HH-0001–HH-0024: --first-site numbers after them."""
    code, _ = simulate("--sites", "2", "--days", "1", "--first-site", "25", "--out",
                       str(tmp_path / "f"))
    assert code == 0
    assert [r["activity"] for r in rows(tmp_path / "f" / "devices.csv")] == ["HH-0025",
                                                                             "HH-0026"]
    assert [r["device_id"] for r in rows(tmp_path / "f" / "devices.csv")] == [
        "PV-000001-0025", "PV-000001-0026"]

"""``jcredit offsets``: a calculator on a JSON file, the factor table, a certificate checked
by its code, the reporting table as CSV (docs/offsets.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.demo import seed_demo

runner = CliRunner()


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")
    registry = bootstrap(Settings(data_dir=tmp_path, environment="test"))
    seed_demo(registry)
    registry.dispose()
    return tmp_path


def test_offsets_cli(demo: Path) -> None:
    inputs = demo / "meeting.json"
    inputs.write_text('{"participants": 40, "travel": [{"mode": "CAR", "people": 40, '
                      '"km": 100}], "accommodation_nights": 20}', encoding="utf-8")
    done = runner.invoke(app, ["offsets", "calculate", "MEETING", str(inputs), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["credits"] == 3  # 2.03 t rounded up
    human = runner.invoke(app, ["offsets", "calculate", "MEETING", str(inputs)])
    assert "→ 3 credits (rounded up)" in human.stdout and "unverified" in human.stdout
    inputs.write_text('{"travel": [{"mode": "UFO", "people": 1, "km": 1}]}', encoding="utf-8")
    refused = runner.invoke(app, ["offsets", "calculate", "MEETING", str(inputs)])
    assert refused.exit_code != 0 and "travel[0].mode" in refused.output

    table = json.loads(runner.invoke(app, ["offsets", "factors", "--json"]).stdout)
    assert table["version"] == 1 and any(f["key"] == "travel.RAIL" for f in table["factors"])

    registry = bootstrap(Settings(data_dir=demo, environment="test"))
    with registry.uow(write=False) as uow:
        token = uow.offsets.certificates(1)[0]["token"]
    registry.dispose()
    verified = runner.invoke(app, ["offsets", "verify", f"http://x/verify/{token}"])
    assert verified.exit_code == 0 and "genuine" in verified.stdout
    assert runner.invoke(app, ["offsets", "verify", "no-such-certificate"]).exit_code != 0

    csv_out = runner.invoke(app, ["offsets", "report", "--csv"])
    lines = csv_out.stdout.splitlines()
    assert lines[0].startswith("reporting_fiscal_year,credit_user_name")
    assert any("JCN-" in line and "OFFSET" in line for line in lines[1:])

"""``jcredit project import-registered FILE [--format csv|json]`` (issue 16)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jcredit.entrypoints.cli.app import app
from tests.unit.test_registered_projects import LIST

runner = CliRunner()
HEADER = ["No.", "申請日", "実施者", "実施場所", "保有者", "概要", "開始日", "方法論"]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def test_import_csv_in_the_official_shape_then_json(env: Path) -> None:
    path = env / "projects.csv"
    with path.open("w", encoding="cp932", newline="") as f:  # as Japanese Excel saves it
        writer = csv.DictWriter(f, fieldnames=HEADER, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(row for row in LIST if "No." in row)
    done = runner.invoke(app, ["project", "import-registered", str(path), "--json"])
    assert done.exit_code == 1  # a line refused: reported, the good ones landed
    data = json.loads(done.stdout)
    assert data["added"] == 1 and data["unchanged"] == 0
    assert "line 3 [holder_corporate_number]" in done.stderr
    again = runner.invoke(app, ["project", "import-registered", str(path), "--json"])
    assert json.loads(again.stdout)["unchanged"] == 1 and json.loads(again.stdout)["added"] == 0

    as_json = env / "list.json"
    as_json.write_text(json.dumps({"projects": [LIST[2]]}, ensure_ascii=False), "utf-8")
    done = runner.invoke(app, ["project", "import-registered", str(as_json)])
    assert done.exit_code == 0 and "added 1" in done.stdout
    wrong = runner.invoke(app, ["project", "import-registered", str(as_json), "--format",
                                "xml"])
    assert wrong.exit_code != 0 and "csv or json" in wrong.output

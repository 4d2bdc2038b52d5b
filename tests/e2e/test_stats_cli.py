"""``jcredit stats`` prints the numbers ``jcredit ledger check`` totals (issue 16), on the
demo data; the historical dataset reproduces the 2022 slide."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from jcredit.entrypoints.cli.app import app
from tests.e2e.test_offsets_cli import demo  # noqa: F401 (fixture: a demo registry)

runner = CliRunner()


def test_stats_agree_with_ledger_check(demo: Path) -> None:  # noqa: F811
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    check = json.loads(runner.invoke(app, ["ledger", "check", "--json"]).stdout)
    totals, ledger = stats["totals"], check["totals"]
    assert check["ok"] is True and totals["issued"] == ledger["issued"] > 0
    assert totals["held"] + totals["reserved"] == ledger["held"]
    for state in ("invalidated", "retired", "cancelled"):
        assert totals[state] == ledger[state]
    human = runner.invoke(app, ["stats", "--by", "vintage"])
    assert human.exit_code == 0 and "credits by vintage" in human.stdout
    assert runner.invoke(app, ["stats", "--by", "colour"]).exit_code != 0
    slide = json.loads(runner.invoke(app, ["stats", "--historical", "2022-02-16",
                                           "--json"]).stdout)
    assert slide["summary"]["purposes_total"] == "554"
    assert slide["summary"]["reduction_invalidation_ratio"] == "62.5"


def test_public_export_writes_the_zip(demo: Path, tmp_path: Path) -> None:  # noqa: F811
    import zipfile

    out = tmp_path / "export.zip"
    result = runner.invoke(app, ["public", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = set(zipfile.ZipFile(out).namelist())
    assert {"manifest.json", "projects.csv", "issuances.json", "holdings.csv",
            "invalidations.csv", "cases.json", "statistics-by-category.csv"} <= names
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    check = json.loads(runner.invoke(app, ["ledger", "check", "--json"]).stdout)
    issuances = json.loads(zipfile.ZipFile(out).read("issuances.json"))
    assert sum(i["issued"] for i in issuances) == check["totals"]["issued"]
    assert manifest["journal_head"]["seq"] > 0


def test_cases_seed_adds_the_seed_cases_once(tmp_path: Path, monkeypatch: Any) -> None:
    from jcredit.bootstrap import bootstrap
    from jcredit.config import Settings
    from jcredit.domain.cases.seed import seed_cases

    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")
    bootstrap(Settings(data_dir=tmp_path, environment="test")).dispose()
    first = runner.invoke(app, ["cases", "seed", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["added"] == len(seed_cases())
    again = json.loads(runner.invoke(app, ["cases", "seed", "--json"]).stdout)
    assert again["added"] == 0 and again["skipped"] == len(seed_cases())

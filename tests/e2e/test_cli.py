"""The ``jcredit`` CLI through Typer's runner, with JSON output and exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jcredit.entrypoints.cli.app import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "test")


def cli(*args: str) -> tuple[int, object]:
    result = runner.invoke(app, [*args, "--json"])
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.stdout + result.stderr


def test_cli_registry_round_trip(env: None) -> None:
    assert cli("db", "upgrade")[0] == 0
    code, org = cli("org", "create", "--name", "株式会社テスト", "--corporate-number",
                    "7000012050002")
    assert code == 0 and org["corporate_number"] == "7000012050002"  # type: ignore[index]
    a = cli("account", "open", "--org", "7000012050002", "--kind", "holding")[1]["number"]  # type: ignore[index]
    b = cli("account", "open", "--org", "7000012050002", "--name", "購買部")[1]["number"]  # type: ignore[index]
    code, issued = cli("credits", "issue", "--to", a, "--quantity", "100", "--scheme", "JC",
                       "--type", "ER", "--category", "ENERGY_SAVING", "--project", "P1",
                       "--vintage", "2025")
    assert code == 0 and issued["quantity"] == 100  # type: ignore[index]
    # the operator is not the holder: an ordinary transfer is refused; a correction moves
    code, refused = cli("credits", "transfer", "--from", a, "--to", b, "--serials", "1-10")
    assert code == 6 and "does not belong" in str(refused)
    correct = ("credits", "correct", "--from", a, "--to", b, "--serials", "1-10",
               "--reason-code", "ERROR_CORRECTION", "--reason", "発行先口座の誤り")
    assert cli(*correct)[0] == 4  # no second confirmation
    code, moved = cli(*correct, "--confirm-account", a)
    assert code == 0 and moved["quantity"] == 10  # type: ignore[index]
    assert moved["reason"] == "発行先口座の誤り"  # type: ignore[index]
    code, app_ = cli("credits", "invalidate", "--from", b, "--quantity", "4", "--use",
                     "SHOENE_HO", "--purpose", "共同省エネ", "--user", "株式会社テスト",
                     "--fiscal-year", "2026")
    assert code == 0
    app_id = str(app_["id"])  # type: ignore[index]
    assert cli("invalidations", "execute", app_id)[0] == 4  # not confirmed: refused
    code, done = cli("invalidations", "execute", app_id, "--yes")
    assert code == 0 and done["executed"][0]["status"] == "EXECUTED"  # type: ignore[index]
    code, shown = cli("account", "show", b)
    assert shown["balance"] == 6  # type: ignore[index]
    code, checked = cli("ledger", "check")
    assert code == 0 and checked["ok"] is True  # type: ignore[index]
    export = runner.invoke(app, ["ledger", "export", "--format", "csv"])
    assert export.exit_code == 0 and "INVALIDATED" in export.stdout


@pytest.mark.parametrize(
    ("args", "exit_code", "fragment"),
    [
        (("org", "create", "--name", "株式会社テスト", "--corporate-number", "1234567890123"),
         4, "check digit"),
        (("account", "show", "H-0000099-2"), 3, "no account"),
        (("account", "show", "H-0000099-1"), 4, "check digit"),
        (("credits", "transfer", "--from", "H-0000099-2", "--to", "H-0000098-4",
          "--quantity", "1"), 3, "no account"),
        (("ledger", "export", "--format", "xml"), 4, "not supported"),
    ],
)
def test_cli_errors_are_one_line_with_an_exit_code(env: None, args: tuple[str, ...],
                                                   exit_code: int, fragment: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, list(args))
    assert result.exit_code == exit_code, result.output
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_methodology_commands(env: None, tmp_path: pytest.TempPathFactory) -> None:
    code, listed = cli("methodology", "list")
    assert code == 0 and "FO-001" in {m["id"] for m in listed}  # type: ignore[union-attr]
    code, described = cli("methodology", "describe", "AG-004")
    assert code == 0 and described["category"] == "AGRICULTURE"  # type: ignore[index]
    path = tmp_path / "tv1.json"  # type: ignore[operator]
    path.write_text('{"period_start": "2020-04-01", "period_end": "2021-03-31", '
                    '"operation_start": "2020-04-01", "grid_factor_method": "TRANSITIONAL", '
                    '"el_self_kwh": 1575, "marginal_factor_kg_per_kwh": 0.540, '
                    '"all_sources_factor_kg_per_kwh": 0.487}', encoding="utf-8")
    code, result = cli("methodology", "calc", "EN-R-002", "--input", str(path))
    assert code == 0
    assert result["reduction_tco2"] == "0.85050" and result["credits"] == 0  # type: ignore[index]
    code, _ = cli("methodology", "describe", "EN-R-999")
    assert code != 0


def test_estimate_command_and_its_errors(env: None) -> None:
    code, result = cli("estimate", "PV", "--set", "capacity_kw=500",
                       "--set", "self_consumption_share=0.9")
    assert code == 0 and result["planning_support"] is True  # type: ignore[index]
    result_bad = runner.invoke(app, ["estimate", "PV", "--set", "capacity_kw=abc"])
    assert result_bad.exit_code != 0
    assert "inputs.capacity_kw" in result_bad.stderr


def test_project_commands_act_as_a_user(env: None) -> None:
    assert cli("demo")[0] == 0
    code, projects = cli("project", "list", "--as", "taiyo")
    assert code == 0 and [p["number"] for p in projects] == ["JCP-000001"]  # type: ignore[union-attr]
    code, shown = cli("project", "show", "JCP-000001", "--as", "shinsa")
    assert code == 0 and shown["periods"][0]["state"] == "VERIFICATION"  # type: ignore[index]
    code, done = cli("project", "period", "action", "JCP-000001", "1",
                     "complete_verification", "--as", "shinsa")
    assert code == 0 and done["to_state"] == "VERIFIED"  # type: ignore[index]
    code, refused = cli("project", "period", "action", "JCP-000001", "1",
                        "apply_for_certification", "--as", "shinsa")  # the operator's step
    assert code != 0 and refused["error"]["code"] == "forbidden"  # type: ignore[index]
    code, wrong = cli("project", "period", "action", "JCP-000001", "1", "certify",
                      "--as", "iinkai")  # not yet applied for
    assert code != 0 and wrong["error"]["code"] == "invalid_state"  # type: ignore[index]


def test_the_methodology_reference_page_is_current() -> None:
    from pathlib import Path

    from jcredit.entrypoints.cli.projects import methodology_markdown

    page = Path(__file__).resolve().parents[2] / "docs" / "methodologies.md"
    assert page.read_text(encoding="utf-8") == methodology_markdown(), (
        "docs/methodologies.md is stale: run `jcredit methodology docs -o docs/methodologies.md`")


def test_monitoring_data_from_csv(env: None, tmp_path: pytest.TempPathFactory) -> None:
    assert cli("demo")[0] == 0
    # the demo period is under verification: return it so the operator can correct the data
    assert cli("project", "period", "action", "JCP-000001", "1", "return", "--comment",
               "HH-001 のメーター値を再確認", "--as", "shinsa")[0] == 0
    path = tmp_path / "readings.csv"  # type: ignore[operator]
    path.write_text("code,el_self_kwh\nHH-001,1000\nHH-002,2000\n", encoding="utf-8")
    code, result = cli("project", "period", "data", "JCP-000001", "1", "--csv", str(path),
                       "--as", "taiyo")
    assert code == 0, result
    assert set(result["result"]["activities"]) == {"HH-001", "HH-002"}  # type: ignore[index]
    code, _ = cli("project", "period", "data", "JCP-000001", "1", "--as", "taiyo")
    assert code != 0


def test_the_lifecycle_reference_page_is_current() -> None:
    from pathlib import Path

    from jcredit.entrypoints.cli.projects import lifecycle_markdown

    page = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"
    assert page.read_text(encoding="utf-8") == lifecycle_markdown(), (
        "docs/lifecycle.md is stale: run `jcredit project docs -o docs/lifecycle.md`")


def test_cancellation_notice_from_the_cli(env: None, tmp_path: pytest.TempPathFactory) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    assert cli("demo")[0] == 0
    midori = "H-0000006-7"  # first holding account of the demo (midori, 環境推進部)
    code, cancelled = cli("credits", "cancel", "--from", midori, "--quantity", "5",
                          "--reason", "二重計上の是正", "--yes")
    assert code == 0, cancelled
    pdf = tmp_path / "cancel.pdf"  # type: ignore[operator]
    code, written = cli("ledger", "notice", str(cancelled["journal_seq"]),  # type: ignore[index]
                        "-o", str(pdf))
    assert code == 0 and written["notice_number"].startswith("JCN-")  # type: ignore[index]
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.read_bytes())).pages)
    assert "クレジット取消通知書" in text and "二重計上の是正" in text


@pytest.mark.parametrize("args", [
    ["credits", "invalidate", "--from", "H-0000001-1", "--quantity", "1",
     "--use", "ONTAIHO_EMISSIONS", "--use", "OFFSET", "--user", "A", "--user", "B",
     "--purpose", "x", "--fiscal-year", "2026"],
    ["credits", "transfer", "--from", "H-0000001-1", "--to", "H-0000002-9", "--to",
     "H-0000003-7", "--quantity", "1"],
    ["project", "period", "open", "JCP-000001", "--start", "2026-12-01", "--start",
     "2027-01-01", "--end", "2027-03-31"],
])
def test_a_repeated_single_valued_option_is_refused_and_changes_nothing(
        env: None, args: list[str]) -> None:
    """Finding 16: Click keeps the last of a repeated option; the CLI refuses instead."""
    assert cli("db", "upgrade")[0] == 0
    before = cli("ledger", "check")[1]["entries"]  # type: ignore[index]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "given more than once" in result.output
    repeated = {a for a in args if a.startswith("--") and args.count(a) > 1}
    assert all(option in result.output for option in repeated)
    code, journal = cli("ledger", "check")
    assert code == 0 and journal["entries"] == before  # type: ignore[index]

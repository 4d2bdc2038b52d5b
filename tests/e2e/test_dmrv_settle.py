"""A monitoring period settled from the readings (docs/dmrv.md §9): a registered programme
whose simulated households send data; ``jcredit dmrv settle`` shows the settlement and with
``--submit`` records it as the period's monitoring data, through the same methodology as a
CSV. A clean household's reduction equals a hand calculation from its readings."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jcredit.adapters.dmrv.simulator import Fleet
from jcredit.bootstrap import Registry
from jcredit.domain.dmrv.merkle import check_proof
from jcredit.domain.dmrv.settlement import period_bounds
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import grid_factor
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.cli.app import app
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor
from tests.conftest import Clock
from tests.dmrv_programme import END
from tests.dmrv_programme import START
from tests.dmrv_programme import actor
from tests.dmrv_programme import build_programme
from tests.e2e.support import login
from tests.e2e.support import web_log_in


@pytest.fixture
def programme(sqlite_registry: Registry, clock: Clock, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> tuple[Registry, Fleet, str]:
    """tests/dmrv_programme.py's programme, and the CLI pointed at its registry."""
    registry = sqlite_registry
    fleet, project = build_programme(registry, clock)
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_DATABASE_URL", registry.settings.database_url)
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "development")
    return registry, fleet, project


def cli(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_period_is_settled_from_the_readings_and_submitted(
        programme: tuple[Registry, Fleet, str]) -> None:
    registry, fleet, project = programme
    preview = cli("dmrv", "settle", project, "1", "--as", "taiyo")
    assert preview["engine"] == "duckdb" and preview["totals"]["sites"] == 10
    # the same settlement on Spark (local mode): the same figures to the Wh
    sparked = cli("dmrv", "settle", project, "1", "--engine", "spark", "--master", "local[2]",
                  "--as", "taiyo")
    assert sparked["engine"] == "spark" and sparked["sites"] == preview["sites"]
    assert sparked["readings_root"] == preview["readings_root"]
    since, until = period_bounds(START, END)
    faulty = {lb.site for lb in fleet.labels}
    night = next(lb.site for lb in fleet.labels if lb.fault == "night_generation")
    by_site = {s["site"]: s for s in preview["sites"]}
    # the night generation is blocked (R07): its intervals are taken out
    assert by_site[night]["excluded_ranges"] > 0
    assert any(x["site"] == night and x["rule_id"] == "R07" for x in preview["excluded"])
    factor = grid_factor(2026, GridFactorType.SUBSTITUTE).value
    data = cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")
    # the same figures (the digest covers the time of the checks too)
    assert data["settlement"]["sites"] == preview["sites"]
    assert data["settlement"]["readings_root"] == preview["readings_root"]
    period = data["period"]
    checked = 0
    for site in fleet.sites:
        if site.site in faulty:
            continue
        inside = (site.start >= since) & (site.start < until) & site.present
        # by hand, from the readings as the meter reported them: every interval measured
        gen = Decimal(int(site.energy["generation"][inside].sum())) / 1000
        exp = Decimal(int(site.energy["export"][inside].sum())) / 1000
        assert by_site[site.site]["generation_kwh"] == str(gen)
        result = period["result"]["activities"][site.activity]
        assert Decimal(result["reduction_tco2"]) == (gen - exp) * factor
        checked += 1
    assert checked == 7
    total = sum(Decimal(a["reduction_tco2"]) for a in period["result"]["activities"].values())
    assert Decimal(period["result"]["total_tco2"]) == total
    with registry.uow(write=False) as uow:
        entries = [e for e in uow.journal.iterate() if e.command == "monitoring.submit_data"]
    assert entries[-1].payload["source"] == "dmrv"
    assert entries[-1].payload["settlement_sha256"] == data["settlement"]["sha256"]


def test_typed_values_cannot_replace_a_device_projects_settlement(
        programme: tuple[Registry, Fleet, str]) -> None:
    """A project with meters takes its values from them: a pasted CSV would skip the checks,
    the Merkle root and the HOLD decisions (found by a new-user trial)."""
    from jcredit.domain.errors import ConflictError

    registry, _, project = programme
    cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")
    forged = {f"HH-{i:04d}": {"e_gen_kwh": "99999", "e_export_kwh": "0"} for i in range(1, 11)}
    with pytest.raises(ConflictError, match="has devices"):
        registry.bus.handle(c.SubmitMonitoringData(project=project, period=1,
                                                   activities=forged),
                            actor=actor(registry, "taiyo"))
    with TestClient(create_app(registry.settings, registry=registry)) as client:
        web_log_in(client, "taiyo")
        page = client.get(f"/projects/{project}")
        assert 'id="data-from-meters-1"' in page.text and 'id="submit-data-1"' not in page.text
        # the committee, which certifies, and the auditor read the dossier and the HOLDs
        for who in ("iinkai", "auditor"):
            client.cookies.clear()
            web_log_in(client, who)
            assert client.get(f"/projects/{project}/periods/1/dossier").status_code == 200
            assert client.get(f"/projects/{project}/periods/1/holds").status_code == 200


def test_a_settlement_that_does_not_match_its_values_is_refused(
        programme: tuple[Registry, Fleet, str]) -> None:
    registry, _, project = programme
    preview = cli("dmrv", "settle", project, "1", "--as", "taiyo")
    activities = preview.pop("activities")
    code = next(iter(activities))
    activities[code] = {"e_gen_kwh": "99999", "e_export_kwh": "0"}
    from jcredit.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="SHA-256"):
        registry.bus.handle(c.SubmitMonitoringData(project=project, period=1,
                                                   activities=activities,
                                                   settlement=preview),
                            actor=actor(registry, "taiyo"))


def test_settling_is_for_the_projects_parties_and_needs_devices(
        programme: tuple[Registry, Fleet, str]) -> None:
    _, _, project = programme
    result = CliRunner().invoke(app, ["dmrv", "settle", "JCP-000001", "1", "--as", "taiyo"])
    assert result.exit_code != 0 and "no devices" in result.output
    result = CliRunner().invoke(app, ["dmrv", "settle", project, "1", "--engine", "oracle"])
    assert result.exit_code != 0 and "duckdb" in result.output


def test_the_readings_root_is_certified_and_a_proof_finds_any_change(
        programme: tuple[Registry, Fleet, str], tmp_path: Path) -> None:
    registry, fleet, project = programme
    data = cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")
    root = data["settlement"]["readings_root"]
    assert data["settlement"]["site_days"] == 10 * 14
    bus = registry.bus
    for who, action in (("taiyo", "submit_for_verification"),
                        ("shinsa", "complete_verification"),
                        ("taiyo", "apply_for_certification"), ("iinkai", "certify")):
        if action == "complete_verification":  # every HOLD decided first
            for hold in data["settlement"]["holds"]:
                bus.handle(c.DecideHold(project=project, period=1, key=hold["key"],
                                        decision="ACCEPT"), actor=actor(registry, "shinsa"))
        bus.handle(c.PeriodTransition(project=project, period=1, action=action),
                   actor=actor(registry, who))
    with registry.uow(write=False) as uow:
        certify = [e for e in uow.journal.iterate() if e.command == "monitoring.transition"
                   and e.payload.get("action") == "certify"]
    assert certify[-1].payload["readings_root"] == root
    # every number again from the raw batches alone
    again = cli("dmrv", "reproduce", project, "1", "--as", "shinsa")
    assert again["agrees"] and again["problems"] == [] and again["readings_root"] == root
    assert again["certified"] and again["batches"] == 10 * 14
    # a site-day's proof, checked offline against the root in the journal
    site = fleet.sites[3]
    proof_file = tmp_path / "proof.json"
    result = CliRunner().invoke(app, ["dmrv", "proof", site.site, "2026-10-05", "-o",
                                      str(proof_file), "--as", "shinsa"])
    assert result.exit_code == 0, result.output
    document = json.loads(proof_file.read_text())
    assert document["published_root"] == root == document["root"]
    assert len(document["readings"]) == 3 * 48
    ok = CliRunner().invoke(app, ["dmrv", "verify-proof", str(proof_file), "--root", root])
    assert ok.exit_code == 0 and "OK" in ok.output
    # an edited root
    bad = CliRunner().invoke(app, ["dmrv", "verify-proof", str(proof_file), "--root",
                                   "0" * 64])
    assert bad.exit_code == 1 and "FAILS" in bad.output
    # a changed Parquet row: the rebuilt proof no longer leads to the published root
    changed = change_one_reading(registry, site.site)
    result = CliRunner().invoke(app, ["dmrv", "proof", site.site, changed, "-o",
                                      str(proof_file)])
    # written, with a warning and exit 1: the stored readings left the published root
    assert result.exit_code == 1 and "warning" in result.output, result.output
    after = CliRunner().invoke(app, ["dmrv", "verify-proof", str(proof_file), "--root", root])
    assert after.exit_code == 1 and "not to the root " + root in after.output
    # a root is required (one inside the file proves nothing) and must be 64 hex digits
    assert CliRunner().invoke(app, ["dmrv", "verify-proof", str(proof_file)]).exit_code == 2
    assert CliRunner().invoke(app, ["dmrv", "verify-proof", str(proof_file), "--root",
                                    "xyz"]).exit_code == 2


def change_one_reading(registry: Registry, site: str) -> str:
    """Add 1 Wh to one generation reading of ``site`` in the Parquet file that holds it;
    returns the JST day of that reading."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    store = registry.readings
    for name in store.files():
        path = Path(store.root) / name
        table = pq.read_table(path)
        rows = table.to_pylist()
        for row in rows:
            if row["site"] == site and row["channel"] == "generation" \
                    and row["energy_wh"]:
                row["energy_wh"] += 1
                pq.write_table(type(table).from_pylist(rows, schema=table.schema), path)
                assert pc.sum(pq.read_table(path).column("energy_wh")).as_py() \
                    == pc.sum(table.column("energy_wh")).as_py() + 1
                return (row["start"] + timedelta(hours=9)).date().isoformat()
    raise AssertionError("no reading to change")


def test_the_proof_api_answers_the_projects_readers_only(
        programme: tuple[Registry, Fleet, str]) -> None:
    registry, fleet, project = programme
    code = fleet.sites[0].activity
    url = f"/api/v1/dmrv/proofs/{project}/{code}"
    with TestClient(create_app(registry.settings, registry=registry)) as client:
        users = {u: login(client, u) for u in ("taiyo", "shinsa", "midori")}
        before = client.get(f"{url}/2026-10-05", headers=users["taiyo"])
        assert before.status_code == 404 and "settled" in before.text  # not settled yet
        cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")
        ok = client.get(f"{url}/2026-10-05", headers=users["shinsa"])
        assert ok.status_code == 200, ok.text
        document = ok.json()
        assert check_proof(document, document["published_root"]) == []
        assert client.get(f"{url}/2026-10-05", headers=users["midori"]).status_code == 403
        assert client.get(f"{url}/2026-11-30", headers=users["taiyo"]).status_code == 404
        assert client.get(f"{url}/2026-13-01", headers=users["taiyo"]).status_code == 422
        assert client.get(f"{url}/yesterday", headers=users["taiyo"]).status_code == 422
        assert client.get(f"/api/v1/dmrv/proofs/{project}/HH-9999/2026-10-05",
                          headers=users["taiyo"]).status_code == 404


def test_reproduce_finds_a_parquet_row_changed_before_the_settlement_and_a_changed_raw_batch(
        programme: tuple[Registry, Fleet, str]) -> None:
    registry, fleet, project = programme
    site = fleet.sites[5]
    change_one_reading(registry, site.site)  # the store no longer says what was sent
    cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")
    result = CliRunner().invoke(app, ["dmrv", "reproduce", project, "1", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert not report["agrees"]
    assert any(p.startswith("readings root") for p in report["problems"])
    # (a register delta settles the energy; the changed interval energy shows in the root)
    # one byte of one raw batch changed in its pack
    with registry.uow(write=False) as uow:
        [(_, digest, location, _, _)] = uow.dmrv.accepted_spans([site.device_id], 0)[:1]
    name, offset, length = location.rsplit(":", 2)
    pack = registry.raw_batches.root / name
    data = bytearray(pack.read_bytes())
    data[int(offset) + int(length) // 2] ^= 0x01
    pack.write_bytes(bytes(data))
    result = CliRunner().invoke(app, ["dmrv", "reproduce", project, "1", "--json"])
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert any(p.startswith(f"raw batch {digest}") for p in report["problems"]), report


def test_reproduce_finds_a_derived_credit_changed_in_parquet(
        programme: tuple[Registry, Fleet, str]) -> None:
    """The columns ingestion derives for the settlement (docs/dmrv.md §9) are not evidence
    and not in the Merkle tree: one changed in the store moves the settled sum, which the
    readings rebuilt from the raw batches do not give."""
    import pyarrow.parquet as pq

    registry, fleet, project = programme
    site = next(s.site for s in fleet.sites if not s.faults)
    store = registry.readings
    for name in store.files():
        path = Path(store.root) / name
        table = pq.read_table(path, partitioning=None)
        rows = table.to_pylist()
        row = next((r for r in rows if r["site"] == site and r["channel"] == "generation"
                    and r["credit_wh"]), None)
        if row is not None:
            row["credit_wh"] += 5000
            pq.write_table(type(table).from_pylist(rows, schema=table.schema), path)
            break
    else:
        raise AssertionError("no derived credit to change")
    settled = cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")["settlement"]
    result = CliRunner().invoke(app, ["dmrv", "reproduce", project, "1", "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.output)["problems"]
    [mine] = [s for s in settled["sites"] if s["site"] == site]
    assert f"{site} generation_wh: recorded {mine['generation_wh']}, reproduced " \
        f"{mine['generation_wh'] - 5000}" in problems, problems
    assert not any(p.startswith("readings root") for p in problems)  # the evidence is intact


def test_the_verifier_decides_the_holds_and_a_rejection_is_settled_again(
        programme: tuple[Registry, Fleet, str]) -> None:
    from jcredit.domain.errors import ConflictError
    from jcredit.domain.errors import NotFoundError
    from jcredit.domain.errors import PermissionDeniedError
    from jcredit.domain.errors import ValidationError

    registry, fleet, project = programme
    bus = registry.bus
    taiyo, shinsa = actor(registry, "taiyo"), actor(registry, "shinsa")
    first = cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")["settlement"]
    # the linear back-fill of a gap is for a person; the stuck meter's and the night
    # generation's HOLDs lie inside BLOCKs (export > generation, night): nothing to decide
    stuck = next(lb.site for lb in fleet.labels if lb.fault == "gap_interpolated")
    holds = first["holds"]
    assert [(h["site"], h["rule_id"]) for h in holds] == [(stuck, "R10")]
    assert {f["rule_id"] for f in first["findings"] if f["severity"] == "HOLD"} == {"R10",
                                                                                    "R12"}
    rejected = next(h for h in holds if h["site"] == stuck)

    def period(action: str, who: Actor, comment: str = "") -> None:
        bus.handle(c.PeriodTransition(project=project, period=1, action=action,
                                      comment=comment), actor=who)

    def decide(key: str, decision: str, who: Actor = shinsa, comment: str = "") -> None:
        bus.handle(c.DecideHold(project=project, period=1, key=key, decision=decision,
                                comment=comment), actor=who)

    with pytest.raises(ConflictError, match="under verification"):
        decide(rejected["key"], "ACCEPT")
    period("submit_for_verification", taiyo)
    with pytest.raises(ConflictError, match="not decided"):
        period("complete_verification", shinsa)
    with pytest.raises(PermissionDeniedError):
        decide(rejected["key"], "ACCEPT", taiyo)
    with pytest.raises(ValidationError, match="needs a comment"):
        decide(rejected["key"], "REJECT")
    with pytest.raises(ValidationError) as refused:
        decide(rejected["key"], "MAYBE")
    assert refused.value.valid == ("ACCEPT", "REJECT")
    with pytest.raises(NotFoundError):
        decide("JCP-000002/HH-0001|R12|0", "ACCEPT")
    for hold in holds:
        decide(hold["key"], "ACCEPT", comment="写真で確認")
    decide(rejected["key"], "REJECT", comment="メーターが固着: 実測でない")  # changed mind
    with pytest.raises(ConflictError, match="settled again"):
        period("complete_verification", shinsa)
    period("return", shinsa, "固着した区間を除いて再計算してください")
    again = cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")["settlement"]
    taken = [x for x in again["excluded"] if x["reason"] == "HOLD rejected"]
    assert taken and {x["site"] for x in taken} == {stuck}
    before = next(s for s in first["sites"] if s["site"] == stuck)
    after = next(s for s in again["sites"] if s["site"] == stuck)
    assert after["excluded_ranges"] > before["excluded_ranges"]
    assert after["generation_wh"] <= before["generation_wh"]
    period("resubmit", taiyo)
    period("complete_verification", shinsa)
    with registry.uow(write=False) as uow:
        proj = uow.projects.by_number(project)
        assert proj is not None
        report = max((d for d in uow.projects.documents(proj.id)
                      if d.kind == "VERIFICATION_REPORT"), key=lambda d: d.version)
        journal = [e.payload for e in uow.journal.iterate() if e.command == "dmrv.decide_hold"]
    decisions = json.loads(report.content)["hold_decisions"]
    assert {d["key"]: d["decision"] for d in decisions}[rejected["key"]] == "REJECT"
    assert len(journal) == len(holds) + 1
    assert cli("dmrv", "reproduce", project, "1")["agrees"]
    # the monitoring report and the verification report, as PDFs in Japanese
    from io import BytesIO

    from pypdf import PdfReader

    with TestClient(create_app(registry.settings, registry=registry)) as client:
        headers = login(client, "shinsa")

        def pdf(kind: str) -> str:
            response = client.get(f"/api/v1/projects/{project}/documents/{kind}.pdf",
                                  params={"period": 1}, headers=headers)
            assert response.status_code == 200, response.text
            return "".join(p.extract_text() for p in PdfReader(BytesIO(response.content)).pages)

        monitoring, verification = pdf("MONITORING_REPORT"), pdf("VERIFICATION_REPORT")
    flat = monitoring.replace("\n", "")
    assert "計測データからの精算" in monitoring and again["readings_root"] in flat
    assert stuck.split("/")[1] in monitoring
    assert "保留項目の判断" in verification and "認めない" in verification
    assert "除外した時間帯" in monitoring and "R07" in monitoring  # why energy was taken out
    assert again["sha256"] in verification.replace("\n", "")


def test_the_dossier_gives_every_check_the_holds_a_seeded_sample_and_the_items(
        programme: tuple[Registry, Fleet, str]) -> None:
    import hashlib

    from jcredit.domain.dmrv.rules import RULES

    registry, fleet, project = programme
    settled = cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")["settlement"]
    night = next(lb.site for lb in fleet.labels if lb.fault == "night_generation")
    with TestClient(create_app(registry.settings, registry=registry)) as client:
        users = {u: login(client, u) for u in ("taiyo", "shinsa", "midori")}
        response = client.get(f"/api/v1/dmrv/dossiers/{project}/1", headers=users["shinsa"])
        assert response.status_code == 200, response.text
        d = response.json()
        assert client.get(f"/api/v1/dmrv/dossiers/{project}/1",
                          headers=users["midori"]).status_code == 403
        assert client.get("/api/v1/dmrv/dossiers/JCP-000001/1",
                          headers=users["taiyo"]).status_code == 409
        assert client.get(f"/api/v1/dmrv/dossiers/{project}/9",
                          headers=users["taiyo"]).status_code == 404
        page = client.get(f"/projects/{project}/periods/1/dossier")
    assert d["summary"]["readings_root"] == settled["readings_root"]
    assert d["summary"]["settlement_sha256"] == settled["sha256"]
    checks = {c["rule_id"]: c for c in d["checks"]}
    assert set(checks) == set(RULES)
    assert checks["R07"]["sites_failed"] == 1 and checks["R07"]["severities"] == ["BLOCK"]
    assert checks["R07"]["sites_passed"] == 9 and checks["R07"]["energy_wh"] > 0
    assert Decimal(checks["R07"]["tco2"]) > 0
    assert checks["R01"]["sites_failed"] == 0 and checks["R01"]["findings"] == 0
    assert [h["rule_id"] for h in d["holds"]["holds"]] == ["R10"]
    sample = d["sample"]
    root = settled["readings_root"]
    assert sample["seed"] == root and sample["size"] == 4
    assert all(s["rank"] == hashlib.sha256(f"{root}|{s['site']}".encode()).hexdigest()
               for s in sample["sample"])
    # settling the same readings again (a new settlement hash) draws the same sites
    cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")
    with TestClient(create_app(registry.settings, registry=registry)) as client:
        redo = client.get(f"/api/v1/dmrv/dossiers/{project}/1",
                          headers=login(client, "shinsa")).json()
    assert redo["summary"]["settlement_sha256"] != settled["sha256"]
    assert redo["sample"]["sample"] == sample["sample"]
    assert all(s["serial"] and s["device_id"] for s in sample["sample"])
    assert d["items_for_a_person"] <= 10 and d["max_items_for_a_person"] == 10
    assert night in {s["site"] for s in settled["sites"]}
    assert page.status_code in (200, 303)  # the page needs a login (tested in Chromium)


def test_a_reading_changed_after_the_settlement_is_named_by_reproduce_and_the_proof(
        programme: tuple[Registry, Fleet, str], tmp_path: Path) -> None:
    """reproduce compares the live store too (what the pages, proofs and a new settlement
    read), and ``dmrv proof`` says when the stored readings no longer lead to the published
    root."""
    registry, fleet, project = programme
    cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")
    clean = next(s for s in fleet.sites if not s.faults)
    assert CliRunner().invoke(app, ["dmrv", "reproduce", project, "1"]).exit_code == 0
    day = change_one_reading(registry, clean.site)
    result = CliRunner().invoke(app, ["dmrv", "reproduce", project, "1", "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.output)["problems"]
    assert any(p.startswith("readings store: its readings now give the root")
               for p in problems), problems
    proof = CliRunner().invoke(app, ["dmrv", "proof", f"{project}/{clean.activity}", day,
                                     "-o", str(tmp_path / "p.json"), "--as", "taiyo"])
    assert proof.exit_code == 1 and "not to the published root" in " ".join(
        proof.output.split())
    assert (tmp_path / "p.json").exists()  # written all the same, for whoever investigates
    nowhere = CliRunner().invoke(app, ["dmrv", "proof", f"{project}/{clean.activity}", day,
                                       "-o", str(tmp_path / "no" / "dir" / "p.json"),
                                       "--as", "taiyo"])
    assert nowhere.exit_code != 0 and "cannot write" in " ".join(nowhere.output.split())
    assert "Traceback" not in nowhere.output


def test_a_bad_spark_master_is_an_error_not_a_traceback(
        programme: tuple[Registry, Fleet, str]) -> None:
    _, _, project = programme
    result = CliRunner().invoke(app, ["dmrv", "settle", project, "1", "--engine", "spark",
                                      "--master", "bogus://x", "--as", "taiyo"])
    assert result.exit_code != 0
    assert "Spark could not start with --master bogus://x" in " ".join(
        result.output.split()), result.output
    assert "Traceback" not in result.output


def test_a_batch_held_for_a_conflict_is_a_hold_for_the_verifier(
        sqlite_registry: Registry, clock: Clock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A chained batch that re-sends a day with other values is held (R03); the stored
    readings of that day are then in doubt: the settlement lists the conflict among the HOLDs
    to decide, the dossier counts it, and a rejection takes the day's intervals out."""
    registry = sqlite_registry
    fleet, project = build_programme(registry, clock, faults=("conflicting_batch",))
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_DATABASE_URL", registry.settings.database_url)
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "development")
    [site] = [s.site for s in fleet.sites if s.faults or s.batch_faults]
    first = cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")["settlement"]
    [hold] = [h for h in first["holds"] if h["rule_id"] == "R03"]
    assert hold["site"] == site and hold["energy_wh"] > 0
    assert {"rule_id": "R03", "severity": "HOLD"}.items() <= next(
        f for f in first["findings"] if f["rule_id"] == "R03").items()
    start, end = hold["intervals"][0]
    bus, shinsa, taiyo = registry.bus, actor(registry, "shinsa"), actor(registry, "taiyo")
    bus.handle(c.PeriodTransition(project=project, period=1, action="submit_for_verification"),
               actor=taiyo)
    bus.handle(c.DecideHold(project=project, period=1, key=hold["key"], decision="REJECT",
                            comment="値が食い違うため除外"), actor=shinsa)
    again = cli("dmrv", "settle", project, "1", "--as", "taiyo")
    taken = [x for x in again["excluded"] if x["site"] == site and x["rule_id"] == "R03"]
    assert [(x["start"], x["end"]) for x in taken] == [(start, end)]
    [before] = [s for s in first["sites"] if s["site"] == site]
    [after] = [s for s in again["sites"] if s["site"] == site]
    assert after["generation_wh"] < before["generation_wh"]


def test_a_site_without_readings_is_flagged_and_never_sampled(
        sqlite_registry: Registry, clock: Clock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Households whose meters sent nothing for the period fail the completeness check
    (R09, a flag: nothing earns) and are not drawn for the deep checks: the sample is of the
    sites that earn."""
    from jcredit.entrypoints.dmrv_fleet import ingest_in_groups
    from jcredit.service_layer.dmrv.ingest import Incoming

    registry = sqlite_registry
    fleet, project = build_programme(registry, clock, faults=(), ingest=False)
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_DATABASE_URL", registry.settings.database_url)
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "development")
    silent = {s.device_id: s.site for s in fleet.sites[6:]}
    ingest_in_groups(registry, (Incoming(b.data, "json", None, "file", b.name)
                                for b in fleet.envelopes() if b.device_id not in silent))
    settled = cli("dmrv", "settle", project, "1", "--submit", "--as", "taiyo")["settlement"]
    r09 = next(f for f in settled["findings"] if f["rule_id"] == "R09")
    assert r09["severity"] == "FLAG" and r09["sites"] == len(silent)
    with TestClient(create_app(registry.settings, registry=registry)) as client:
        response = client.get(f"/api/v1/dmrv/dossiers/{project}/1",
                              headers=login(client, "shinsa"))
    assert response.status_code == 200, response.text
    dossier = response.json()
    [check] = [ch for ch in dossier["checks"] if ch["rule_id"] == "R09"]
    assert check["sites_failed"] == len(silent)
    drawn = {s["site"] for s in dossier["sample"]["sample"]}
    assert drawn and not drawn & set(silent.values())

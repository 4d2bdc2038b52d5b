"""The digital creation system end to end (issue 14): 100 simulated households with injected
faults over two monitoring periods, their signed batches sent over HTTP (to a live server)
and over MQTT (a real Mosquitto and the worker), each period settled from the readings, the
dossier generated, the HOLD findings decided by the verifier in Chromium (one rejected: the
period returned and settled again), verified, certified by the committee and issued into
the operator's account; then `jcredit ledger check` and `jcredit dmrv reproduce` pass for
both periods, and a random site-day's inclusion proof verifies against the root the journal
recorded at certification."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from jcredit.bootstrap import Registry
from jcredit.domain.dmrv.merkle import check_proof
from jcredit.entrypoints.cli.app import app
from jcredit.service_layer import commands as c
from tests.browser.test_forms import log_in
from tests.browser.test_forms import settled
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import pytestmark  # noqa: F401
from tests.browser.test_web_flow import serve
from tests.conftest import Clock
from tests.dmrv_programme import START
from tests.dmrv_programme import actor
from tests.dmrv_programme import build_programme
from tests.mqtt_broker import MqttBroker
from tests.mqtt_broker import running_worker

PERIODS = ((START, date(2026, 10, 7)), (date(2026, 10, 8), date(2026, 10, 14)))
SITES = 100


def cli(*args: str, code: int = 0) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.output)


def send_over_http_and_mqtt(registry: Registry, url: str, broker: MqttBroker,
                            fleet: Any) -> None:
    """Even households over HTTP (the live server), odd ones over MQTT (the worker)."""
    devices = [s.device_id for s in fleet.sites]
    over_mqtt = set(devices[1::2])
    envelopes = list(fleet.envelopes())
    with running_worker(broker, registry.ingestor.ingest, max_group=200) as run:
        published = [run.publish(b.device_id, b.data)
                     for b in envelopes if b.device_id in over_mqtt]
        with httpx.Client(base_url=url, timeout=30) as http:
            for b in envelopes:
                if b.device_id not in over_mqtt:
                    response = http.post("/api/v1/dmrv/batches", content=b.data,
                                         headers={"Content-Type": "application/json"})
                    assert response.status_code in (200, 201, 202, 422), response.text
        for info in published:
            info.wait_for_publish(30)
        run.wait(lambda: run.worker.stats.messages >= len(published), 120)
    with registry.uow(write=False) as uow:
        stored = uow.dmrv.counts([s.site for s in fleet.sites])
    days = (PERIODS[-1][1] - START).days + 1
    assert sum(stored.values()) >= SITES * days  # every day of every household


def decide_in_chromium(url: str, project: str, period: int) -> str:
    """The verifier rejects the first open HOLD finding and accepts the others; returns the
    rejected finding's key."""
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.server = url
        log_in(page, "shinsa")
        page.goto(f"{url}/projects/{project}/periods/{period}/dossier")
        expect(page.locator("h1")).to_contain_text("検証資料")
        page.click("#dossier-holds-link")
        expect(page.locator("h1")).to_contain_text("保留項目の判断")
        settled(page)
        cards = page.locator("div.hold")
        count = cards.count()
        assert count >= 1
        rejected = cards.nth(0).get_attribute("data-key")
        for i in range(1, count + 1):
            choice = "REJECT" if i == 1 else "ACCEPT"
            page.select_option(f"#hold-{i}-decision", choice)
            if choice == "REJECT":
                page.fill(f"#hold-{i}-comment", "直線補間の疑い: 実測でない")
            page.click(f"#hold-{i}-submit")
            settled(page)
            expect(page.locator(f"#hold-{i}")).to_have_attribute("data-decision", choice)
        expect(page.locator("#holds-counts")).to_contain_text("未判断 0 件")
        browser.close()
    assert rejected
    return rejected


@pytest.mark.timeout(600)
def test_a_programme_from_meters_to_issued_credits(
        sqlite_registry: Registry, clock: Clock, mqtt_broker: MqttBroker, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    registry = sqlite_registry
    fleet, project = build_programme(
        registry, clock, sites=SITES, periods=PERIODS, ingest=False,
        faults=("night_generation", "stuck_meter", "gap_interpolated", "register_reset",
                "tampered_batch", "duplicate_batch"))
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JCREDIT_DATABASE_URL", registry.settings.database_url)
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "development")
    bus = registry.bus
    taiyo, shinsa, iinkai, admin = (actor(registry, u)
                                    for u in ("taiyo", "shinsa", "iinkai", "admin"))

    def period(number: int, action: str, who: Any, comment: str = "") -> None:
        bus.handle(c.PeriodTransition(project=project, period=number, action=action,
                                      comment=comment), actor=who)

    for url in serve(registry):
        send_over_http_and_mqtt(registry, url, mqtt_broker, fleet)
        for number in (1, 2):
            first = cli("dmrv", "settle", project, str(number), "--submit", "--as", "taiyo")
            assert first["settlement"]["totals"]["sites"] == SITES
            period(number, "submit_for_verification", taiyo)
            dossier = cli("dmrv", "settle", project, str(number), "--as", "shinsa")
            assert dossier["readings_root"] == first["settlement"]["readings_root"]
            if first["settlement"]["holds"]:
                rejected = decide_in_chromium(url, project, number)
                period(number, "return", shinsa, "保留項目を反映して再計算してください")
                again = cli("dmrv", "settle", project, str(number), "--submit", "--as",
                            "taiyo")["settlement"]
                assert any(x["reason"] == "HOLD rejected" for x in again["excluded"])
                assert rejected.split("|")[0] in {x["site"] for x in again["excluded"]}
                period(number, "resubmit", taiyo)
            period(number, "complete_verification", shinsa)
            period(number, "apply_for_certification", taiyo)
            period(number, "certify", iinkai)
            period(number, "issue", admin)

    # the credits are in the operator's account
    with registry.uow(write=False) as uow:
        proj = uow.projects.by_number(project)
        assert proj is not None
        periods = uow.projects.periods(proj.id)
        certify = {e.payload["period"]: e.payload for e in uow.journal.iterate()
                   if e.command == "monitoring.transition"
                   and e.payload.get("action") == "certify"}
    assert [p.state.value for p in periods] == ["ISSUED", "ISSUED"]
    issued = sum(a["credits"] for p in periods for a in p.certified)
    assert issued >= 1
    assert cli("ledger", "check")["ok"]
    for number in (1, 2):
        again = cli("dmrv", "reproduce", project, str(number))
        assert again["agrees"], again["problems"]
        assert again["readings_root"] == certify[number]["readings_root"]
    # a random site-day's proof against the root the journal recorded at certification
    pick = random.Random(7)
    site = pick.choice(fleet.sites).site
    day = date(2026, 10, pick.randint(8, 14)).isoformat()
    proof_file = tmp_path / "proof.json"
    result = CliRunner().invoke(app, ["dmrv", "proof", site, day, "-o", str(proof_file)])
    assert result.exit_code == 0, result.output
    document = json.loads(proof_file.read_text())
    assert check_proof(document, certify[2]["readings_root"]) == []
    assert CliRunner().invoke(app, ["dmrv", "verify-proof", str(proof_file), "--root",
                                    certify[2]["readings_root"]]).exit_code == 0

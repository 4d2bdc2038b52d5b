"""A site's readings and findings over the API (docs/dmrv.md §8), on the demo programme's
simulated households: who reads (and that an outsider reads nothing), the faults the
simulator injected found on their sites and nothing BLOCK or HOLD on the clean ones, the
period's bad dates named, the CSV of the readings, a batch's receipt and conflicts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from jcredit.bootstrap import actor_for
from jcredit.domain.dmrv.faults import FAULTS
from jcredit.domain.errors import PermissionDeniedError
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.demo import DEMO_FLEET_DAYS
from jcredit.entrypoints.demo import demo_fleet
from jcredit.entrypoints.demo import seed_demo
from jcredit.service_layer.dmrv import sites
from tests.conftest import Clock
from tests.conftest import fresh_sqlite_url
from tests.conftest import make_registry
from tests.e2e.support import login

PROJECT = "JCP-000001"
URL = f"/api/v1/dmrv/sites/{PROJECT}"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 12:00 JST


@pytest.fixture(scope="module")
def fleet_registry(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[Registry]:
    """The demo with its 24 metered households (read-only tests share it)."""
    directory = tmp_path_factory.mktemp("fleet")
    registry = make_registry(fresh_sqlite_url(sqlite_template, directory), directory,
                             Clock(NOW))
    seed_demo(registry, fleet=True)
    yield registry
    registry.dispose()


@pytest.fixture(scope="module")
def client(fleet_registry: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(fleet_registry.settings, registry=fleet_registry)) as c:
        c.headers_of = {u: login(c, u) for u in  # type: ignore[attr-defined]
                        ("taiyo", "shinsa", "auditor", "midori", "iinkai", "admin")}
        yield c


@pytest.fixture(scope="module")
def labels() -> dict[str, set[str]]:
    """Which fault the simulator put on which site (its labels)."""
    found: dict[str, set[str]] = {}
    for label in demo_fleet(NOW.astimezone(sites.JST).date()).labels:
        found.setdefault(label.site.split("/")[1], set()).add(label.fault)
    return found


def site_of(labels: dict[str, set[str]], fault: str) -> str:
    return next(code for code, faults in sorted(labels.items()) if fault in faults)


def get(client: TestClient, user: str, path: str, **params: str) -> Any:
    return client.get(path, params=params, headers=client.headers_of[user])  # type: ignore[attr-defined]


def whole_period() -> dict[str, str]:
    last = NOW.astimezone(sites.JST).date() - timedelta(days=1)
    return {"from": (last - timedelta(days=DEMO_FLEET_DAYS + 1)).isoformat(),
            "to": last.isoformat()}


def test_a_faulty_site_shows_its_findings_chart_and_totals(
        client: TestClient, labels: dict[str, set[str]]) -> None:
    for fault in ("night_generation", "capacity_inflated", "export_gt_generation",
                  "register_reset", "stuck_meter"):
        code = site_of(labels, fault)
        response = get(client, "taiyo", f"{URL}/{code}", **whole_period())
        assert response.status_code == 200, response.text
        view = response.json()
        expected = FAULTS[fault]
        found = {(f["rule_id"], f["severity"]) for f in view["findings"]}
        assert (expected.rule_id, expected.severity.value) in found, (fault, found)
        finding = next(f for f in view["findings"] if f["rule_id"] == expected.rule_id)
        assert finding["name_ja"] and finding["name_en"] and finding["intervals"]
        assert finding["evidence"]
        # most severe first
        rank = {"BLOCK": 3, "HOLD": 2, "FLAG": 1}
        ranks = [rank[f["severity"]] for f in view["findings"]]
        assert ranks == sorted(ranks, reverse=True)
        # the chart: aligned arrays, the clear sky known where generation is
        series = view["series"]
        n = len(series["start"])
        assert n >= DEMO_FLEET_DAYS * 48 - 48
        assert all(len(series[k]) == n for k in ("seconds", "generation_wh", "export_wh",
                                                 "import_wh", "clear_sky_wh"))
        assert series["start"] == sorted(series["start"])
        assert sum(1 for g, c in zip(series["generation_wh"], series["clear_sky_wh"],
                                     strict=True) if g is not None and c is None) == 0
        assert view["totals"]["energy_wh"]["generation"] == sum(
            g for g in series["generation_wh"] if g is not None)
        # every finding's intervals are marked, by the most severe finding there; the
        # marks do not overlap
        bands = sorted((b["start"], b["end"], rank[b["severity"]]) for b in view["bands"])
        assert all(a[1] <= b[0] for a, b in zip(bands, bands[1:], strict=False))
        for f in view["findings"]:
            for start, end in f["intervals"]:
                covering = [b for b in bands if b[0] < end and b[1] > start]
                assert sum(min(b[1], end) - max(b[0], start) for b in covering) == end - start
                assert all(b[2] >= rank[f["severity"]] for b in covering)
        assert max(b[2] for b in bands) == ranks[0]
        if expected.severity.value == "BLOCK":
            assert view["totals"]["blocked_wh"] > 0
            assert view["totals"]["findings"]["BLOCK"] >= 1


def test_clean_sites_have_no_block_or_hold(client: TestClient,
                                           labels: dict[str, set[str]]) -> None:
    clean = [f"HH-{i:04d}" for i in range(1, 25) if f"HH-{i:04d}" not in labels]
    assert len(clean) >= 10
    for code in clean:
        view = get(client, "taiyo", f"{URL}/{code}", **whole_period()).json()
        serious = [(f["rule_id"], f["severity"]) for f in view["findings"]
                   if f["severity"] in ("BLOCK", "HOLD")]
        assert serious == [], (code, serious)
        assert view["totals"]["blocked_wh"] == view["totals"]["held_wh"] == 0
        assert view["totals"]["energy_wh"]["generation"] > 0


def test_the_default_period_is_the_28_days_to_the_last_reading(client: TestClient) -> None:
    view = get(client, "taiyo", f"{URL}/HH-0003").json()
    window = view["window"]
    assert window["default"] is True and window["days"] == 28
    last_end = max(s + d for s, d in zip(view["series"]["start"], view["series"]["seconds"],
                                         strict=True))
    assert last_end == window["until"]  # the last reading ends the period's last day
    assert view["series"]["start"][0] == window["since"]
    assert date.fromisoformat(window["to"]) - date.fromisoformat(window["from"]) == timedelta(
        days=27)


def test_who_reads_a_site(client: TestClient, fleet_registry: Registry) -> None:
    for user in ("taiyo", "shinsa", "auditor", "admin"):
        response = get(client, user, f"{URL}/HH-0005")
        assert response.status_code == 200, (user, response.text)
        assert response.json()["findings"]
    assert get(client, "taiyo", f"{URL}/HH-0005").json()["can_manage"] is True
    assert get(client, "shinsa", f"{URL}/HH-0005").json()["can_manage"] is False
    for user in ("midori", "iinkai"):  # another organisation; a role that reads no site
        for path in (f"{URL}/HH-0005", f"{URL}/HH-0005/readings.csv"):
            response = get(client, user, path)
            assert response.status_code == 403, (user, path, response.text)
    assert client.get(f"{URL}/HH-0005").status_code == 401
    assert get(client, "taiyo", f"{URL}/HH-9999").status_code == 404
    assert get(client, "taiyo", "/api/v1/dmrv/sites/JCP-999999/HH-0001").status_code == 404


class Spy:
    """A readings port that records every read."""

    def __init__(self, real: Any) -> None:
        self.real, self.calls = real, []

    def series(self, site: str, since: int, until: int) -> Any:
        self.calls.append(("series", site))
        return self.real.series(site, since, until)

    def many(self, sites: list[str], since: int, until: int) -> Any:
        self.calls.extend(("series", site) for site in sites)
        return self.real.many(sites, since, until)

    def annotate(self, series: Any) -> Any:
        self.calls.append(("annotate", series.facts.site))
        return self.real.annotate(series)


def test_an_outsider_reads_nothing(fleet_registry: Registry) -> None:
    spy = Spy(fleet_registry.site_readings)
    with fleet_registry.uow(write=False) as uow:
        outsider = actor_for(uow.users.by_username("midori"))  # type: ignore[arg-type]
        with pytest.raises(PermissionDeniedError):
            sites.site_view(uow, spy, outsider, PROJECT, "HH-0005", now=NOW)
        with pytest.raises(PermissionDeniedError):
            sites.site_readings(uow, spy, outsider, PROJECT, "HH-0005", now=NOW)
        assert spy.calls == []
        verifier = actor_for(uow.users.by_username("shinsa"))  # type: ignore[arg-type]
        view = sites.site_view(uow, spy, verifier, PROJECT, "HH-0005", now=NOW)
    assert spy.calls == [("series", f"{PROJECT}/HH-0005"), ("annotate", f"{PROJECT}/HH-0005")]
    assert view["findings"]


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-13-01"}, "from"),
    ({"from": "2026/11/01"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2026-11-10", "to": "2026-11-01"}, "to"),
    ({"from": "2026-01-01", "to": "2026-11-01"}, "to"),  # more than 92 days
    ({"from": "1899-01-01"}, "from"),
])
def test_bad_dates_are_refused_naming_the_field(client: TestClient, params: dict[str, str],
                                                field: str) -> None:
    for path in (f"{URL}/HH-0005", f"{URL}/HH-0005/readings.csv"):
        response = get(client, "taiyo", path, **params)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["field"] == field, problem
        assert problem["detail"]


def test_one_bound_gives_28_days_and_92_days_are_allowed(client: TestClient) -> None:
    window = get(client, "taiyo", f"{URL}/HH-0005", **{"from": "2026-11-01"}).json()["window"]
    assert (window["from"], window["to"], window["days"]) == ("2026-11-01", "2026-11-28", 28)
    window = get(client, "taiyo", f"{URL}/HH-0005", to="2026-11-28").json()["window"]
    assert (window["from"], window["to"]) == ("2026-11-01", "2026-11-28")
    response = get(client, "taiyo", f"{URL}/HH-0005", **{"from": "2026-08-24",
                                                        "to": "2026-11-23"})
    assert response.status_code == 200 and response.json()["window"]["days"] == 92


def test_the_readings_csv_has_every_reading_with_utc_and_jst(client: TestClient) -> None:
    period = {"from": "2026-11-10", "to": "2026-11-11"}
    response = get(client, "taiyo", f"{URL}/HH-0003/readings.csv", **period)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["site", "channel", "start_utc", "start_jst", "seconds",
                             "register_wh", "energy_wh", "quality"]
    # two days of three channels at 30 minutes
    assert len(rows) == 2 * 48 * 3
    assert {r["channel"] for r in rows} == {"generation", "export", "import"}
    first = rows[0]
    assert first["start_utc"] == "2026-11-09T15:00:00Z"
    assert first["start_jst"] == "2026-11-10 00:00:00"
    for row in rows:
        utc = datetime.strptime(row["start_utc"], "%Y-%m-%dT%H:%M:%SZ")
        jst = datetime.strptime(row["start_jst"], "%Y-%m-%d %H:%M:%S")
        assert jst - utc == timedelta(hours=9)
        assert row["site"] == f"{PROJECT}/HH-0003" and row["quality"] == "measured"
    # the same energies as the view's chart
    view = get(client, "taiyo", f"{URL}/HH-0003", **period).json()
    generation = [int(r["energy_wh"]) for r in rows if r["channel"] == "generation"]
    assert generation == view["series"]["generation_wh"]


def test_batches_refusals_and_a_held_batch_with_its_conflicts(
        client: TestClient, labels: dict[str, set[str]]) -> None:
    held_site = site_of(labels, "conflicting_batch")
    view = get(client, "taiyo", f"{URL}/{held_site}").json()
    assert view["batches"] and view["batch_counts"]["HELD"] == 1
    [held] = view["held"]
    assert held["status"] == "HELD" and held["conflicts"]
    conflict = held["conflicts"][0]
    assert conflict["stored"]["energy_wh"] != conflict["sent"]["energy_wh"]
    detail = get(client, "shinsa", f"/api/v1/dmrv/batches/{held['batch']}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["status"] == "HELD"
    assert detail.json()["conflicts"] == held["conflicts"]
    assert detail.json()["receipt"]["batch"] == held["batch"]
    accepted = view["batches"][0]
    one = get(client, "auditor", f"/api/v1/dmrv/batches/{accepted['batch']}").json()
    assert one["status"] == "ACCEPTED" and one["conflicts"] is None
    assert one["receipt"]["rows"] == one["rows"]
    assert get(client, "midori", f"/api/v1/dmrv/batches/{held['batch']}").status_code == 403
    assert get(client, "taiyo", "/api/v1/dmrv/batches/" + "0" * 64).status_code == 404
    assert get(client, "taiyo", "/api/v1/dmrv/batches/xyz").status_code == 422

    tampered_site = site_of(labels, "tampered_batch")
    refusals = get(client, "taiyo", f"{URL}/{tampered_site}").json()["refusals"]
    assert [r["rule_id"] for r in refusals] == ["R02"]
    assert refusals[0]["reason_ja"]


def test_the_api_documents_the_site_routes(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    site = paths["/api/v1/dmrv/sites/{number}/{activity}"]["get"]
    names = {p["name"] for p in site["parameters"]}
    assert {"number", "activity", "from", "to"} <= names
    assert "422" in site["responses"] and "403" in site["responses"]
    assert "/api/v1/dmrv/sites/{number}/{activity}/readings.csv" in paths
    assert "/api/v1/dmrv/batches/{digest}" in paths


@pytest.fixture(scope="module")
def web(fleet_registry: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(fleet_registry.settings, registry=fleet_registry)) as c:
        yield c


def test_site_pages_read_as_japanese_and_english(web: TestClient,
                                                 labels: dict[str, set[str]]) -> None:
    """The crawl's checks (tests/e2e/test_ui_crawl.py) on the pages of every faulty
    household and a clean one: no raw code, no English sentence, no UTC time, no long
    decimal, in Japanese; the English page too."""
    from tests.e2e.support import web_log_in
    from tests.e2e.test_ui_crawl import VisibleText
    from tests.e2e.test_ui_crawl import problems_in

    web.cookies.set("lang", "ja")
    web_log_in(web, "taiyo")
    clean = next(f"HH-{i:04d}" for i in range(1, 25) if f"HH-{i:04d}" not in labels)
    found = []
    for code in [*sorted(labels), clean]:
        response = web.get(f"/projects/{PROJECT}/sites/{code}", params=whole_period())
        assert response.status_code == 200, (code, response.text[:300])
        parser = VisibleText()
        parser.feed(response.text)
        found += [f"{code}: {p}" for p in problems_in(parser.text)]
        assert 'id="site-chart-data"' in response.text
    assert not found, "\n".join(found)
    night = site_of(labels, "night_generation")
    page = web.get(f"/projects/{PROJECT}/sites/{night}").text
    assert "夜間の発電" in page and 'data-rule="R07"' in page
    web.cookies.set("lang", "en")
    page = web.get(f"/projects/{PROJECT}/sites/{night}").text
    assert "Generation at night" in page and "Readings and checks" in page
    web.cookies.set("lang", "ja")


def test_the_site_page_refuses_an_outsider_and_shows_a_bad_date_at_its_field(
        web: TestClient) -> None:
    from tests.e2e.support import web_log_in

    web.cookies.set("lang", "ja")
    web_log_in(web, "midori")
    assert web.get(f"/projects/{PROJECT}/sites/HH-0005").status_code == 403
    web_log_in(web, "shinsa")
    response = web.get(f"/projects/{PROJECT}/sites/HH-0005", params={"to": "2026-02-30"})
    assert response.status_code == 422
    assert 'id="period-to-error"' in response.text and 'value="2026-02-30"' in response.text
    assert 'id="site-chart-data"' in response.text  # the default period is still shown


def test_a_held_batch_is_a_hold_among_the_findings(client: TestClient) -> None:
    """The conflicting batch the demo's fleet sends is held; its site shows an R03 HOLD
    over its intervals, not only a line in the batch list."""
    for i in range(1, 25):
        view = get(client, "taiyo", f"{URL}/HH-{i:04d}").json()
        if view["held"]:
            break
    else:
        raise AssertionError("no demo site has a held batch")
    [held] = view["held"]
    r03 = [f for f in view["findings"] if f["rule_id"] == "R03" and f["severity"] == "HOLD"]
    assert len(r03) == 1 and r03[0]["evidence"]["batch"] == held["batch"]
    assert r03[0]["intervals"][0][0] >= held["first_start"]
    assert any(b["severity"] == "HOLD" for b in view["bands"])

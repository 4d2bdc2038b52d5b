"""A metered household's page in Chromium (docs/dmrv.md §8): from the project's device list
to the site with night generation, its chart drawn by the vendored Chart.js with the
finding's intervals marked, the finding in the table; a bad date in the period shown at its
field, then a good period shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jcredit.bootstrap import Registry
from jcredit.entrypoints.demo import demo_fleet
from jcredit.service_layer.dmrv.sites import JST
from tests.browser.test_forms import expect_field_error
from tests.browser.test_forms import log_in
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import fleet_server  # noqa: F401
from tests.browser.test_web_flow import pytestmark  # noqa: F401


@pytest.fixture
def page(fleet_server: str) -> Iterator[Any]:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.server = fleet_server
        tab.errors = []
        tab.on("pageerror", lambda error: tab.errors.append(str(error)))
        yield tab
        browser.close()


def test_a_faulty_site_shows_its_chart_and_finding_and_a_bad_date_at_its_field(
        page: Any, sqlite_registry: Registry) -> None:
    from playwright.sync_api import expect

    today = sqlite_registry.clock().astimezone(JST).date()
    site = next(label.site for label in demo_fleet(today).labels
                if label.fault == "night_generation")
    project = site.split("/")[0]
    log_in(page, "taiyo")
    page.goto(f"{page.server}/projects/{project}")
    link = page.locator(f"#device-list a.site-link:text-is('{site}')")
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("h1")).to_contain_text(site)

    canvas = page.locator("#site-chart")
    expect(canvas).to_have_attribute("data-drawn", "yes")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 200
    # Chart.js drew on it: the canvas is not blank, and the bands' legend entry is there
    drawn = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById('site-chart'));
        const labels = chart.data.datasets.map(d => d.label);
        const pixels = document.getElementById('site-chart').getContext('2d')
            .getImageData(0, 0, 600, 300).data;
        let ink = 0;
        for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { ink++; } }
        return {labels, ink, bands: chart.options.plugins.jcreditBands.bands.length};
    }""")
    assert "除外 (BLOCK)" in drawn["labels"] and "発電量" in drawn["labels"]
    assert drawn["bands"] >= 1 and drawn["ink"] > 1000

    row = page.locator("#finding-list tr.finding[data-rule='R07']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("夜間の発電")
    expect(row).to_contain_text("除外")
    expect(row).to_contain_text("kWh")
    expect(page.locator("#total-blocked")).not_to_have_text("0 kWh")

    page.fill("#period-from", "2026-11-31")  # no such day
    page.click("#period-show")
    expect_field_error(page, "period-from", "暦にありません")
    expect(page.locator("#period-errors")).to_contain_text("入力内容を確認してください")
    expect(page.locator("#period-from")).to_have_value("2026-11-31")  # what was typed kept
    expect(page.locator("#site-chart")).to_have_attribute("data-drawn", "yes")

    last = today.isoformat()
    first = (today.replace(day=1)).isoformat()
    page.fill("#period-from", first)
    page.fill("#period-to", last)
    page.click("#period-show")
    expect(page.locator("#period-shown")).to_contain_text(
        f"{today.year}年{today.month}月1日 – {today.year}年{today.month}月{today.day}日")
    expect(page.locator("#period-from-error")).to_have_count(0)
    expect(page.locator("#site-chart")).to_have_attribute("data-drawn", "yes")
    assert page.errors == []

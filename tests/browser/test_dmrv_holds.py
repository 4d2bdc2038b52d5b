"""The verifier decides a settled period's HOLD findings in Chromium (docs/dmrv.md §12):
from the project page's link to the HOLD list, a rejection without a reason shown at its
field, then a rejection and acceptances recorded, the page read-only for the implementer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jcredit.bootstrap import Registry
from jcredit.service_layer import commands as c
from jcredit.service_layer.dmrv.settlement import settle_period
from tests.browser.test_forms import expect_field_error
from tests.browser.test_forms import log_in
from tests.browser.test_forms import settled
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import pytestmark  # noqa: F401
from tests.browser.test_web_flow import serve
from tests.conftest import Clock
from tests.dmrv_programme import actor
from tests.dmrv_programme import build_programme

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui"


@pytest.fixture
def holds_server(sqlite_registry: Registry, clock: Clock) -> Iterator[tuple[str, str, Any]]:
    """The programme settled from its readings and under verification."""
    registry = sqlite_registry
    fleet, project = build_programme(registry, clock)
    taiyo = actor(registry, "taiyo")
    settle_period(registry.uow, registry.bus, registry.site_readings, registry.energy(),
                  taiyo, project, 1, now=registry.clock())
    registry.bus.handle(c.PeriodTransition(project=project, period=1,
                                           action="submit_for_verification"), actor=taiyo)
    for url in serve(registry):
        yield url, project, fleet


@pytest.fixture
def page(holds_server: tuple[str, str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.server, tab.project, tab.fleet = holds_server
        tab.errors = []
        tab.on("pageerror", lambda error: tab.errors.append(str(error)))
        yield tab
        browser.close()


def test_the_verifier_rejects_and_accepts_holds_in_the_browser(
        page: Any, sqlite_registry: Registry) -> None:
    from playwright.sync_api import expect

    stuck = next(lb.site for lb in page.fleet.labels if lb.fault == "gap_interpolated")
    log_in(page, "shinsa")
    page.goto(f"{page.server}/projects/{page.project}")
    page.click("#holds-link-1")
    expect(page.locator("h1")).to_contain_text("保留項目の判断")
    cards = page.locator("div.hold")
    count = cards.count()
    assert count >= 1
    expect(page.locator("#holds-counts")).to_contain_text(f"未判断 {count} 件")
    target = page.locator(f"div.hold:has(a:text-is('{stuck.split('/')[1]}'))").first
    expect(target).to_contain_text("R10")
    index = target.get_attribute("id").removeprefix("hold-")
    # a rejection needs its reason: shown at the comment field, nothing recorded
    page.select_option(f"#hold-{index}-decision", "REJECT")
    page.click(f"#hold-{index}-submit")
    settled(page)
    expect_field_error(page, f"hold-{index}-comment", "理由")
    expect(page.locator(f"#hold-{index}")).to_have_attribute("data-decision", "")
    page.select_option(f"#hold-{index}-decision", "REJECT")
    page.fill(f"#hold-{index}-comment", "メーターが固着しており実測値ではない")
    page.click(f"#hold-{index}-submit")
    settled(page)
    expect(page.locator(f"#hold-{index}")).to_have_attribute("data-decision", "REJECT")
    expect(page.locator(f"#hold-{index}-status")).to_contain_text("認めない")
    expect(page.locator("#holds-to-settle")).to_be_visible()
    for i in range(1, count + 1):
        if str(i) == index:
            continue
        page.select_option(f"#hold-{i}-decision", "ACCEPT")
        page.click(f"#hold-{i}-submit")
        settled(page)
        expect(page.locator(f"#hold-{i}")).to_have_attribute("data-decision", "ACCEPT")
    expect(page.locator("#holds-counts")).to_contain_text("未判断 0 件")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "holds.png"), full_page=True)
    assert page.errors == []
    # the dossier: every check, the sample, who checks what
    page.goto(f"{page.server}/projects/{page.project}")
    page.click("#dossier-link-1")
    expect(page.locator("h1")).to_contain_text("検証資料")
    from jcredit.domain.dmrv.rules import RULES

    expect(page.locator("#dossier-check-list tr.check")).to_have_count(len(RULES))
    expect(page.locator("#dossier-check-list tr.check[data-rule='R07']")).to_contain_text(
        "夜間")
    expect(page.locator("#dossier-sample-list tr.sampled")).to_have_count(4)
    expect(page.locator("#dossier-items-count")).to_contain_text("上限 10 件")
    page.screenshot(path=str(SHOTS / "dossier.png"), full_page=True)
    with sqlite_registry.uow(write=False) as uow:
        project = uow.projects.by_number(page.project)
        assert project is not None
        decided = uow.dmrv.decisions(project.id, 1)
    assert len(decided) == count
    assert sum(d["decision"] == "REJECT" for d in decided.values()) == 1
    # the implementer reads, and cannot decide
    page.context.clear_cookies()
    log_in(page, "taiyo")
    page.goto(f"{page.server}/projects/{page.project}/periods/1/holds")
    expect(page.locator("form.hold-form")).to_have_count(0)
    expect(page.locator(f"#hold-{index}-status")).to_contain_text("認めない")

"""Screenshots of the main pages for each role, taken by every run of this test and shown
in docs/ui.md ("Screens by role"). Chromium (Debian's) at 1280×900, the visible part of
the page only, saved as PNG with a 32-colour palette (text stays sharp, files stay small).

Each page must open (status < 400, an <h1>), every request must stay on this server (no page
needs the internet), and the estimate's and a site's charts must be drawn by the vendored
Chart.js. The demo includes the programme's metered households (``seed_demo(fleet=True)``).
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from jcredit.bootstrap import Registry
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import demo_fleet
from jcredit.service_layer.dmrv.sites import JST
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import fleet_server  # noqa: F401  (the fixture)
from tests.browser.test_web_flow import pytestmark  # noqa: F401  (browser mark, skip)

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "ui"
OTHER_HOLDER = "H-0000008-3"  # 山林組合ひのき森林's account in the demo data
VIEWPORT = {"width": 1280, "height": 900}
# (file, role or None for a visitor, path; "estimate-*" posts the estimator first;
# "site:FAULT" is the page of the demo household the simulator gave that fault)
SCREENS = (
    ("landing.png", None, "/"),
    ("estimate-pv.png", None, "estimate:PV"),
    ("methodologies.png", None, "/methodologies"),
    ("methodology-en-r-002.png", None, "/methodologies/EN-R-002"),
    ("offset-calculator.png", None, "offsets:meeting"),
    ("offset-verify.png", None, "verify"),
    ("public-projects.png", None, "/public/projects"),
    ("public-statistics.png", None, "/public/statistics"),
    ("public-invalidations.png", None, "/public/invalidations"),
    ("public-lineage.png", None, "lineage"),
    ("cases.png", None, "/cases?q=森林"),
    ("case.png", None, "case"),
    ("holder-accounts.png", "midori", "/"),
    ("holder-account.png", "midori", "account"),
    ("holder-transfer-error.png", "midori", "transfer:0"),
    ("holder-transfer-review.png", "midori", "transfer:25"),
    ("holder-history.png", "midori", "history"),
    ("holder-offsets.png", "shoji", "/offsets"),
    ("holder-calculation.png", "shoji", "calculation"),
    ("holder-offset.png", "shoji", "/offsets/1"),
    ("operator-projects.png", "taiyo", "/"),
    ("operator-project.png", "taiyo", "/projects/JCP-000001"),
    ("operator-site-findings.png", "taiyo", "site:night_generation"),
    ("verifier-queue.png", "shinsa", "/"),
    ("verifier-document.png", "shinsa", "/projects/JCP-000001/documents/PLAN"),
    ("committee-agenda.png", "iinkai", "/"),
    ("secretariat-queue.png", "admin", "/"),
    ("secretariat-invalidations.png", "admin", "/invalidations"),
    ("holder-case-form.png", "midori", "/cases/new"),
    ("auditor-journal.png", "auditor", "/"),
    ("auditor-journal-entry.png", "auditor", "/journal/1"),
    ("error-403.png", "midori", "/journal"),
)
MAX_BYTES = 120_000


def save_small(png: bytes, path: Path) -> None:
    """A screenshot as a palette PNG: 32 colours are enough for a page of text and tables."""
    from PIL import Image

    image = Image.open(BytesIO(png)).convert("RGB")
    image.quantize(colors=32, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def site_with(fault: str, registry: Registry) -> str:
    """The demo household that carries ``fault`` (the simulator's labels)."""
    today = registry.clock().astimezone(JST).date()
    return next(label.site for label in demo_fleet(today).labels if label.fault == fault)


def test_screenshots_of_the_main_pages_for_each_role(fleet_server: str,  # noqa: F811
                                                     sqlite_registry: Registry) -> None:
    server = fleet_server
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    local = urlsplit(server).netloc
    foreign: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for role in dict.fromkeys(role for _, role, _ in SCREENS):
            context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
            context.add_cookies([{"name": "lang", "value": "ja", "url": server}])
            page = context.new_page()
            page.on("request", lambda request: foreign.append(request.url)
                    if urlsplit(request.url).netloc not in (local, "") else None)
            if role:
                page.goto(f"{server}/login")
                page.fill("#username", role)
                page.fill("#password", DEMO_PASSWORD)
                with page.expect_navigation():
                    page.click("#login")
            for name, _, target in (s for s in SCREENS if s[1] == role):
                if target.startswith("estimate:"):
                    page.goto(f"{server}/estimate?kind={target.split(':')[1]}")
                    page.fill("#in-capacity_kw", "50")
                    page.fill("#in-self_consumption_share", "0.8")
                    page.fill("#in-price_yen_per_tco2", "3000")
                    page.click("#calculate")
                    expect(page.locator("#estimate-chart")).to_have_attribute("data-drawn",
                                                                              "yes")
                    page.locator("#result").scroll_into_view_if_needed()
                elif target == "offsets:meeting":  # the calculator with a result
                    page.goto(f"{server}/offsets/calculator")
                    page.fill("#calculator-participants", "40")
                    page.fill("#calculator-travel_0_people", "40")
                    page.fill("#calculator-travel_0_km", "100")
                    page.fill("#calculator-accommodation_nights", "20")
                    page.click("#calculate")
                    expect(page.locator("#offset-chart")).to_have_attribute("data-drawn", "yes")
                    page.locator("#result").scroll_into_view_if_needed()
                elif target == "calculation":  # the demo's saved meeting calculation
                    page.goto(f"{server}/offsets")
                    page.locator("#calculations a").first.click()
                    expect(page.locator("#offset-chart")).to_have_attribute("data-drawn", "yes")
                elif target == "verify":  # the demo certificate's public page
                    with sqlite_registry.uow(write=False) as uow:
                        token = uow.offsets.certificates(1)[0]["token"]
                    page.goto(f"{server}/verify/{token}")
                    expect(page.locator("#genuine")).to_be_visible()
                elif target == "lineage":  # the demo's invalidated forest block
                    page.goto(f"{server}/public/projects/JCP-0210")
                    page.locator("a.lineage-link").first.click()
                    page.locator("#lineage tr.live", has_text="無効化口座").first.locator(
                        "a").click()
                    expect(page.locator("#lineage-heading")).to_be_visible()
                    page.evaluate("document.getElementById('lineage-heading')"
                                  ".scrollIntoView()")
                elif target == "case":  # カーボン商事's case, linked to the registry
                    page.goto(f"{server}/cases?organisation=カーボン商事")
                    page.locator("#case-list a").first.click()
                    expect(page.locator("#case-invalidated-total")).to_be_visible()
                elif target.startswith("site:"):  # the chart drawn, the findings below it
                    project, code = site_with(target.split(":")[1], sqlite_registry).split("/")
                    page.goto(f"{server}/projects/{project}/sites/{code}")
                    expect(page.locator("#site-chart")).to_have_attribute("data-drawn", "yes")
                    expect(page.locator("#finding-list tr.finding").first).to_be_visible()
                    page.evaluate("document.getElementById('period-shown').scrollIntoView()")
                elif target in ("account", "history") or target.startswith("transfer:"):
                    page.goto(f"{server}/accounts")
                    page.locator("a.mono").first.click()
                    expect(page.locator("#balance")).to_be_visible()
                    if target == "history":
                        page.goto(f"{page.url}/history")
                    elif target.startswith("transfer:"):  # an error, then the review
                        page.fill("#to_account", OTHER_HOLDER)
                        page.fill("#transfer_quantity", target.split(":")[1])
                        page.click("#submit-transfer")
                        if target.endswith(":0"):  # refused: the errors scrolled to, focused
                            expect(page.locator("#transfer-error")).to_be_focused()
                        else:
                            expect(page.locator("#recipient-number")).to_be_visible()
                else:
                    response = page.goto(f"{server}{target}")
                    assert response is not None
                    assert response.status < 400 or name.startswith("error-"), (name,
                                                                                 response.status)
                expect(page.locator("h1").first).to_be_visible()
                path = SHOTS / name
                save_small(page.screenshot(type="png"), path)
                assert 0 < path.stat().st_size <= MAX_BYTES, (name, path.stat().st_size)
            context.close()
        browser.close()
    assert not foreign, f"pages asked other hosts: {sorted(set(foreign))}"
    documented = set(re.findall(r"\(ui/([\w.-]+\.png)\)",
                                (ROOT / "docs" / "ui.md").read_text(encoding="utf-8")))
    assert documented == {name for name, _, _ in SCREENS}, "docs/ui.md shows these screens"

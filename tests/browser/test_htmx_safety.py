"""htmx in Chromium: errors reach the screen, and a download is never swapped into a page.

Found by trying the UI as users and attackers would: htmx 2 drops 4xx responses by default
(every form error vanished), and the boosted body fetched links to downloads and put their
bytes into ``<body>`` as HTML, so a text file uploaded as evidence holding ``hx-post``
attributes executed an invalidation in the name of the administrator who opened it.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.service_layer import queries
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import pytestmark  # noqa: F401
from tests.browser.test_web_flow import server  # noqa: F401


def pending(registry: Registry) -> list[int]:
    with registry.uow(write=False) as uow:
        return [a["id"] for a in queries.applications(uow, SYSTEM_ACTOR,
                                                      status=ApplicationStatus.PENDING)]


def test_form_errors_reach_the_screen(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{server}/login")
        page.fill("#username", "midori")
        page.fill("#password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("#login")
        links = page.locator("a.mono")
        target = links.nth(1).inner_text()
        links.nth(0).click()
        expect(page.locator("#balance")).to_have_text("2,400")
        for quantity, words in (("0", "quantity"), ("1.5", "quantity"), ("999999", "")):
            page.fill("#to_account", target)
            page.fill("#transfer_quantity", quantity)
            page.click("#submit-transfer")
            error = page.locator("#transfer-error")
            expect(error).to_be_visible()
            expect(error).to_contain_text(words)
            expect(page.locator("#balance")).to_have_text("2,400")
        browser.close()


def test_a_download_is_never_swapped_into_a_page(server: str,  # noqa: F811
                                                 sqlite_registry: Registry) -> None:
    from playwright.sync_api import sync_playwright

    waiting = pending(sqlite_registry)
    assert waiting, "the demo has an invalidation waiting for the secretariat"
    payload = (
        '<div id="x" hx-get="/invalidations" hx-select="input[name=csrf]" '
        'hx-trigger="load"></div>\n'
        '<div id="planted" hx-post="/invalidations/execute" hx-trigger="load delay:300ms" '
        f'hx-include="#x" hx-vals=\'{{"confirm":"yes","application_id":"{waiting[0]}"}}\'>'
        "</div>\n")
    api = TestClient(create_app(sqlite_registry.settings, registry=sqlite_registry))
    token = api.post("/api/v1/auth/token", json={"username": "taiyo",
                                                  "password": DEMO_PASSWORD}).json()
    uploaded = api.post("/api/v1/projects/JCP-000001/evidence",
                        headers={"Authorization": f"Bearer {token['access_token']}",
                                 "Idempotency-Key": "planted-notes"},
                        files={"file": ("meter-notes.txt", payload.encode(), "text/plain")})
    assert uploaded.status_code == 201, uploaded.text

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(accept_downloads=True)
        page.goto(f"{server}/login")
        page.fill("#username", "admin")
        page.fill("#password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("#login")
        page.goto(f"{server}/projects/JCP-000001")
        with page.expect_download() as download:
            page.click("#evidence-files a")
        assert download.value.suggested_filename == "meter-notes.txt"
        page.wait_for_timeout(1500)  # longer than the planted delay
        assert page.locator("#planted").count() == 0
        browser.close()
    assert pending(sqlite_registry) == waiting


def test_htmx_gets_only_pages(server: str) -> None:  # noqa: F811
    """Without a browser: what the middleware answers an htmx request for a non-page."""
    import httpx

    with httpx.Client(base_url=server) as http:
        spec = http.get("/api/v1/openapi.json", headers={"HX-Request": "true"})
        assert spec.status_code == 200 and spec.content == b""
        assert spec.headers["hx-redirect"] == "/api/v1/openapi.json"
        assert spec.headers["x-content-type-options"] == "nosniff"
        query = http.get("/api/v1/methodologies?x=1", headers={"HX-Request": "true"})
        assert query.headers["hx-redirect"] == "/api/v1/methodologies?x=1"
        posted = http.post("/api/v1/auth/token", json={}, headers={"HX-Request": "true"})
        assert posted.headers["hx-reswap"] == "none" and posted.content == b""
        page = http.get("/login", headers={"HX-Request": "true"})
        assert page.status_code == 200 and "hx-redirect" not in page.headers
        assert page.text.startswith("<!doctype html>")
        plain = http.get("/api/v1/openapi.json")
        assert plain.status_code == 200 and plain.json()["openapi"]


def test_the_api_documentation_loads_nothing_from_elsewhere(server: str) -> None:  # noqa: F811
    """Swagger UI is vendored and runs under the site's CSP: no CDN, no CSP violation."""
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        hosts: set[str] = set()
        page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
        page.goto(f"{server}/api/docs")
        expect(page.locator(".opblock").first).to_be_visible(timeout=15000)
        assert page.locator(".opblock").count() > 40
        assert hosts == {server.split("/")[2]}
        assert problems == []
        browser.close()

"""Accessibility (issue 16; JIS X 8341-3:2016, i.e. WCAG 2.0/2.1 AA): axe-core 4.10.3
(vendored from the npm registry, ``tests/browser/vendor/axe-core``) run in Chromium over every
public page and the pages each role uses most, including a confirmation page and pages
showing form errors: no critical or serious violation. The keyboard reaches the main
navigation with a visible focus ring. docs/ui.md lists the result per page."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from jcredit.entrypoints.demo import DEMO_PASSWORD
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import pytestmark  # noqa: F401 (browser marker and skip)
from tests.browser.test_web_flow import server  # noqa: F401 (fixture)

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("critical", "serious")

PUBLIC = ["/", "/login", "/public/projects", "/public/projects/JCP-0210",
          "/public/invalidations", "/public/statistics", "/public/statistics?by=vintage",
          "/cases", "/cases?q=森林", "/cases?use=NOPE", "/methodologies", "/estimate",
          "/offsets/calculator", "/offsets/factors/table"]
ROLE_PAGES = {
    "midori": ["/accounts", "{account}", "{account}/history", "/invalidations", "/issuances",
               "/offsets", "/cases/new", "/cases/mine", "/projects"],
    "admin": ["/queue", "/invalidations?status=PENDING", "/journal", "/agenda", "{project}",
              "/cases/review", "/registry/registered-projects/import", "/reports/invalidations",
              "/projects"],
    "shinsa": ["/queue", "/projects", "{project}"],
    "iinkai": ["/agenda", "/projects"],
    "taiyo": ["/accounts", "/projects", "/projects/new", "{project}"],
    "auditor": ["/journal", "/accounts"],
}


def audit(page: Any, url: str) -> list[dict[str, Any]]:
    page.goto(url)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                           resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""", TAGS)
    return list(result)


def test_axe_finds_no_critical_or_serious_violation(server: str,  # noqa: F811
                                                     tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    report: dict[str, list[dict[str, Any]]] = {}
    titles: dict[str, str] = {}  # page path → its title
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        anonymous = browser.new_page(bypass_csp=True)  # to inject axe
        urls = list(PUBLIC)
        anonymous.goto(f"{server}/public/projects/JCP-0210")
        lineage = anonymous.locator("a.lineage-link").first.get_attribute("href")
        anonymous.goto(f"{server}{lineage}")
        block = anonymous.locator("#lineage a").last.get_attribute("href")
        anonymous.goto(f"{server}/cases")
        case = anonymous.locator("#case-list a").first.get_attribute("href")
        urls += [str(lineage), str(block), str(case)]
        for url in urls:
            report[f"(anonymous) {url}"] = audit(anonymous, f"{server}{url}")
            titles[re.split(r"[?#]", url)[0]] = anonymous.title()
        for username, pages in ROLE_PAGES.items():
            context = browser.new_context(bypass_csp=True)
            page = context.new_page()
            page.goto(f"{server}/login")
            page.fill("#username", username)
            page.fill("#password", DEMO_PASSWORD)
            with page.expect_navigation():
                page.click("#login")
            account = ""
            if "{account}" in " ".join(pages):
                page.goto(f"{server}/accounts")
                account = str(page.locator("main a[href^='/accounts/']").first
                              .get_attribute("href"))
            project = ""
            if "{project}" in " ".join(pages):
                page.goto(f"{server}/projects")
                project = str(page.locator("main a[href^='/projects/JCP']").first
                              .get_attribute("href"))
            for url in pages:
                url = url.format(account=account, project=project)
                report[f"{username} {url}"] = audit(page, f"{server}{url}")
                titles.setdefault(re.split(r"[?#]", url)[0], page.title())
            if username == "midori":  # a form with errors, then a confirmation page
                page.goto(f"{server}{account}")
                page.fill("#inv_quantity", "-1")
                page.click("#review-invalidation")
                report[f"{username} {account} (errors)"] = audit_current(page)
                page.fill("#inv_quantity", "5")
                page.select_option("#use", "RE100")
                page.fill("#purpose_details", "RE100 報告")
                page.click("#review-invalidation")
                page.wait_for_selector("#irreversible")
                report[f"{username} invalidation confirmation"] = audit_current(page)
                page.goto(f"{server}/cases/new")
                page.click("#case-submit")
                page.wait_for_selector("#case-errors")
                report[f"{username} /cases/new (errors)"] = audit_current(page)
            context.close()
        browser.close()
    out = Path(os.environ.get("AXE_REPORT", tmp_path / "axe.json"))
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    blocking = {where: [v for v in found if v["impact"] in BLOCKING]
                for where, found in report.items()}
    assert not {k: v for k, v in blocking.items() if v}, json.dumps(
        {k: v for k, v in blocking.items() if v}, ensure_ascii=False, indent=1)
    assert len(report) >= 40
    # each page its own title (the role's home pages share a path with another role's)
    shared = {title: [u for u, t in titles.items() if t == title] for title in titles.values()}
    assert all(len(urls) == 1 for urls in shared.values()), {
        t: u for t, u in shared.items() if len(u) > 1}


def audit_current(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    return list(page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                           resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""", TAGS))


def test_keyboard_reaches_the_navigation_with_a_visible_focus(server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{server}/public/projects")
        seen = []
        for _ in range(6):
            page.keyboard.press("Tab")
            seen.append(page.evaluate("""() => {
                const e = document.activeElement; const s = getComputedStyle(e);
                return {text: e.textContent.trim(), outline: s.outlineStyle,
                        width: s.outlineWidth, shadow: s.boxShadow};
            }"""))
        browser.close()
    texts = [s["text"] for s in seen]
    assert any(re.search("登録プロジェクト", t) for t in texts), texts
    for s in seen:
        assert (s["outline"] not in ("none", "") and s["width"] != "0px") or \
            s["shadow"] != "none", s


def test_a_page_swapped_in_by_htmx_moves_focus_and_is_announced(server: str,  # noqa: F811
                                                                 ) -> None:
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{server}/public/projects")
        page.click("header >> text=事例検索")  # a boosted link: htmx swaps the body
        expect(page.locator("h1")).to_have_text("J-クレジット活用事例検索")
        expect(page.locator("#page-announcer")).to_contain_text("J-クレジット活用事例検索")
        assert page.evaluate("document.activeElement.tagName") == "H1"
        # a form sent back with errors: the error summary (role=alert) takes the focus
        page.select_option("#case-search-use", "OFFSET")
        page.goto(f"{server}/cases?use=NOPE")
        summary = page.locator("#case-search-errors")
        expect(summary).to_have_attribute("role", "alert")
        expect(summary).to_be_focused()
        browser.close()

"""Every document link on a project page, opened in Debian's Chromium as the 審査機関
(shinsa): the documents render as pages, the PDFs are PDFs shown inline, the period's CSV
and the evidence files download with their type and (Japanese) file name."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from jcredit.entrypoints.demo import DEMO_PASSWORD
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import pytestmark  # noqa: F401  (browser marker, skip rule)
from tests.browser.test_web_flow import server  # noqa: F401  (fixture)

EVIDENCE_NAME = "現地確認メモ 2026.txt"
DOCUMENT_TITLES = {"PLAN": "プロジェクト計画書", "VALIDATION_REPORT": "妥当性確認報告書",
                   "MONITORING_REPORT": "モニタリング報告書", "VERIFICATION_REPORT": "検証報告書"}


def filename_of(disposition: str) -> str:
    """The UTF-8 file name of a Content-Disposition header (``filename*=UTF-8''…``)."""
    marker = "filename*=UTF-8''"
    assert marker in disposition, disposition
    return unquote(disposition.split(marker, 1)[1].split(";")[0])


def test_the_verifier_opens_every_document_link(server: str, tmp_path: Path  # noqa: F811
                                                ) -> None:
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    evidence = tmp_path / EVIDENCE_NAME
    evidence.write_text("HH-001 メーター番号確認済み\n", encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(20_000)
        page.goto(f"{server}/login")
        page.fill("#username", "shinsa")
        page.fill("#password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("#login")
        project = f"{server}/projects/JCP-000001"
        page.goto(project)
        # the verifier attaches a working paper and completes the verification: the page
        # then links every kind of document there is (plan, validation, monitoring and
        # verification reports), the period's results and an evidence file
        page.set_input_files("#evidence-file", str(evidence))
        with page.expect_navigation():
            page.click("#upload-evidence")
        page.select_option("#period-1-action", "complete_verification")
        page.fill("#period-1-comment", "適正")
        page.click("#period-1-submit")
        expect(page.locator("#period-1-state")).to_have_text("検証済")

        documents = page.locator("#documents a.document")
        pdfs = page.locator("#documents a.pdf")
        csvs = page.locator("a[id^=results-csv-]")
        files = page.locator("#evidence-files a.download")
        pages = [(a.get_attribute("href"), a.inner_text()) for a in documents.all()]
        pdf_links = [a.get_attribute("href") for a in pdfs.all()]
        csv_links = [a.get_attribute("id") for a in csvs.all()]
        file_links = [(a.get_attribute("href"), a.inner_text()) for a in files.all()]
        kinds = {str(href).split("/documents/")[1].split("?")[0] for href, _ in pages}
        assert kinds == set(DOCUMENT_TITLES), kinds
        assert len(pdf_links) == len(pages) and csv_links and file_links
        links = [*pages, *[(h, "") for h in pdf_links], *file_links]
        assert not any(str(href).startswith("/api/") for href, _ in links)

        # each document is a page: its title, labelled fields, times in JST, no JSON
        for href, title in pages:
            response = page.goto(f"{server}{href}")
            assert response is not None and response.status == 200, href
            assert response.headers["content-type"].startswith("text/html")
            expect(page.locator("#document-title")).to_have_text(title)
            assert title in DOCUMENT_TITLES.values()
            body = page.locator("main").inner_text()
            assert '{"' not in body and "+00:00" not in body, href
            expect(page.locator("#document-meta")).to_contain_text("年")
            kind = str(href).split("/documents/")[1].split("?")[0]
            if kind == "MONITORING_REPORT":
                expect(page.locator("#document-results")).to_contain_text("HH-012")
                expect(page.locator("#document-amounts")).to_contain_text("2026年度")
            if kind == "PLAN":
                expect(page.locator("#document-fields")).to_contain_text("プログラム型")
            # the page's own PDF link is a PDF too
            pdf = page.request.get(f"{server}{page.locator('#document-pdf').get_attribute('href')}")
            assert pdf.headers["content-type"] == "application/pdf"

        # each PDF: application/pdf, shown inline, named in Japanese, really a PDF
        for href in pdf_links:
            response = page.request.get(f"{server}{href}")
            assert response.status == 200, href
            assert response.headers["content-type"] == "application/pdf"
            disposition = response.headers["content-disposition"]
            assert disposition.startswith("inline;"), disposition
            name = filename_of(disposition)
            assert name.startswith("JCP-000001_") and name.endswith(".pdf")
            assert any(t in name for t in DOCUMENT_TITLES.values()), name
            assert "object-src 'self'" in response.headers["content-security-policy"]
            assert response.body().startswith(b"%PDF-")

        # the period's results: a CSV download, UTF-8 with BOM, one row per household
        page.goto(project)
        with page.expect_download() as download_info:
            page.click(f"#{csv_links[0]}")
        download = download_info.value
        assert download.suggested_filename == "JCP-000001-01-results.csv"
        data = Path(download.path()).read_bytes()
        assert data.startswith("\ufeff".encode())
        lines = data.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("project,period,activity") and len(lines) == 13
        response = page.request.get(f"{server}/projects/JCP-000001/periods/1/results.csv")
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith("attachment;")

        # the evidence file: a download with its type and its Japanese name
        for href, name in file_links:
            assert name == EVIDENCE_NAME
            with page.expect_download() as download_info:
                page.click(f"#evidence-files a[href='{href}']")
            assert download_info.value.suggested_filename == EVIDENCE_NAME
            assert Path(download_info.value.path()).read_text("utf-8").startswith("HH-001")
            response = page.request.get(f"{server}{href}")
            assert response.headers["content-type"].startswith("text/plain")
            assert filename_of(response.headers["content-disposition"]) == EVIDENCE_NAME
            assert response.headers["content-disposition"].startswith("attachment;")

        # a holder of another organisation may open none of them
        page.click("#logout")
        page.goto(f"{server}/login")
        page.fill("#username", "midori")
        page.fill("#password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("#login")
        for href in [pages[0][0], pdf_links[0], file_links[0][0],
                     "/projects/JCP-000001/periods/1/results.csv"]:
            response = page.request.get(f"{server}{href}")
            assert response.status == 403, href
            assert "application/pdf" not in response.headers["content-type"]
        browser.close()

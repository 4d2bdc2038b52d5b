"""The web UI in Debian's Chromium, driven by Playwright: log in, transfer, invalidate,
execute, download the notice PDF and read its text."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
import uvicorn

from jcredit.bootstrap import Registry
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import seed_demo

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                       reason="Debian's chromium is not installed (scripts/setup --test)"),
]


@pytest.fixture
def server(sqlite_registry: Registry) -> Iterator[str]:
    seed_demo(sqlite_registry)
    yield from serve(sqlite_registry)


@pytest.fixture
def fleet_server(sqlite_registry: Registry) -> Iterator[str]:
    """The demo with the programme's 24 metered households and their four weeks of data
    (a few with faults: ``demo_fleet(...).labels`` says which)."""
    seed_demo(sqlite_registry, fleet=True)
    yield from serve(sqlite_registry)


def serve(sqlite_registry: Registry) -> Iterator[str]:
    app = create_app(sqlite_registry.settings, registry=sqlite_registry)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if uv.started and uv.servers:
            break
        time.sleep(0.05)
    port = uv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


def test_login_transfer_invalidate_execute_and_download_notice(server: str,
                                                               tmp_path: Path) -> None:
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(accept_downloads=True)
        page.on("dialog", lambda dialog: dialog.accept())

        def log_in(username: str) -> None:
            page.goto(f"{server}/login")
            page.fill("#username", username)
            page.fill("#password", DEMO_PASSWORD)
            with page.expect_navigation():
                page.click("#login")
            expect(page.locator("h1")).to_contain_text(  # each role lands on its work
                "対応待ちの業務" if username == "admin" else "口座一覧")

        log_in("midori")
        links = page.locator("a.mono")
        target = links.nth(1).inner_text()
        links.nth(0).click()
        expect(page.locator("#balance")).to_have_text("2,400")

        page.fill("#to_account", target)
        page.fill("#transfer_quantity", "25")
        page.click("#submit-transfer")
        expect(page.locator("#recipient-number")).to_have_text(target)  # the review step
        page.click("#confirm-transfer")
        expect(page.locator(".flash")).to_contain_text("25 t-CO2 を")
        expect(page.locator(".flash")).to_contain_text(f"({target})へ移転しました")
        expect(page.locator("#balance")).to_have_text("2,375")

        page.fill("#inv_quantity", "40")
        page.select_option("#use", "RE100")
        page.fill("#purpose_details", "RE100 年次報告 (ブラウザテスト)")
        page.click("#review-invalidation")
        expect(page.locator("#irreversible")).to_contain_text("取り消せません")
        expect(page.locator("#preview-blocks")).to_contain_text("JC-ER-")
        page.check("#confirm")
        page.click("#submit-invalidation")
        expect(page.locator("#status")).to_have_text("申請中")
        application_url = page.url
        assert re.search(r"/invalidations/\d+$", application_url)
        with page.expect_navigation():
            page.click("#logout")
        expect(page.locator("h1")).to_have_text("ログイン")

        log_in("admin")
        page.goto(application_url)
        page.check("#confirm-execute")
        page.click("#execute")
        expect(page.locator("#status")).to_have_text("無効化済")
        notice_number = page.locator("#notice-number").inner_text()
        assert notice_number.startswith("JCN-")

        with page.expect_download() as download_info:
            page.click("#notice-pdf")
        pdf_path = tmp_path / "notice.pdf"
        download_info.value.save_as(pdf_path)
        browser.close()

    text = "".join(pg.extract_text() for pg in PdfReader(BytesIO(pdf_path.read_bytes())).pages)
    assert "J-クレジット無効化通知書" in text
    assert notice_number in text
    assert "40 t-CO2" in text and "RE100" in text
    assert "RE100 年次報告 (ブラウザテスト)" in text
    assert shutil.which("chromium") or os.path.exists(CHROMIUM)

"""Open to inspection in Chromium (issue 16): an anonymous visitor searches the cases in
Japanese (in hiragana, for a katakana word), opens a case, follows it to its project and to
a block's lineage, and downloads the statistics CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import pytestmark  # noqa: F401 (browser marker and skip)
from tests.browser.test_web_flow import server  # noqa: F401 (fixture)


def test_case_to_project_to_lineage_to_statistics(server: str,  # noqa: F811
                                                  tmp_path: Path) -> None:
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(accept_downloads=True)
        page.goto(f"{server}/")
        page.click("header >> text=事例検索")
        expect(page.locator("h1")).to_have_text("J-クレジット活用事例検索")
        # hiragana for the katakana in the text, and a kanji word: both must appear
        page.fill("#case-q", "森林 おふせっと")
        page.select_option("#case-search-use", "OFFSET")
        page.click("#case-search-button")
        expect(page.locator("#case-count")).not_to_have_text("0 件の事例")
        page.screenshot(path=str(tmp_path / "cases.png"), full_page=True)
        page.click("#case-list >> text=環境フォーラムの開催に伴うCO2を森林クレジットでオフセット")
        expect(page.locator("#case-title")).to_contain_text("環境フォーラム")
        # the registry's quantity, not a typed one
        expect(page.locator("#case-invalidated-total")).to_have_text("120 t-CO2")
        page.screenshot(path=str(tmp_path / "case.png"), full_page=True)

        page.click("a.case-project")
        expect(page.locator("h1")).to_contain_text("JCP-0210")
        expect(page.locator("#public-project-issuances")).to_be_visible()
        page.click("#public-project-issuances a.lineage-link")
        expect(page.locator("h1")).to_have_text("クレジットの履歴")
        expect(page.locator("#lineage")).to_contain_text("無効化")
        # a block: the invalidated one, its path from issuance
        page.locator("#lineage tr.live", has_text="無効化口座").first.locator("a").click()
        expect(page.locator("#lineage-heading")).to_contain_text("次のシリアル番号の記録")
        rows = page.locator("#lineage tr")
        expect(rows.nth(1)).to_contain_text("発行")
        expect(page.locator("#lineage")).to_contain_text("移転")
        expect(page.locator("#lineage")).to_contain_text("株式会社カーボン商事")
        page.screenshot(path=str(tmp_path / "lineage.png"), full_page=True)

        page.click("header >> text=統計")
        with page.expect_download() as download_info:
            page.click("#statistics-csv")
        download = download_info.value
        text = Path(download.path()).read_text(encoding="utf-8-sig")
        rows_csv = list(csv.DictReader(io.StringIO(text)))
        assert rows_csv and {"issued", "invalidated"} <= set(rows_csv[0])
        assert sum(int(r["issued"]) for r in rows_csv) > 0
        browser.close()

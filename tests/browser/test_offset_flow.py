"""Offsets in Chromium (issue 15): a company computes a meeting's emissions, offsets them
with its own credits in one flow, the secretariat executes, the company issues and
downloads the certificate (its text checked), an anonymous visitor opens the verification
URL read from the QR code and sees the certificate is genuine, and a second certificate
for the same tonnes is refused."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from jcredit.entrypoints.demo import DEMO_PASSWORD
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import pytestmark  # noqa: F401 (browser marker and skip)
from tests.browser.test_web_flow import server  # noqa: F401 (fixture)


def test_meeting_offset_certificate_verified_from_the_qr_code(server: str,  # noqa: F811
                                                              tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.on("dialog", lambda dialog: dialog.accept())

        def log_in(username: str) -> None:
            page.goto(f"{server}/login")
            page.fill("#username", username)
            page.fill("#password", DEMO_PASSWORD)
            with page.expect_navigation():
                page.click("#login")

        def log_out() -> None:
            with page.expect_navigation():
                page.click("#logout")

        # 知って: the meeting's emissions
        log_in("shoji")
        page.goto(f"{server}/offsets/calculator")
        page.fill("#calculator-title", "環境フォーラム2026")
        page.fill("#calculator-participants", "40")
        page.fill("#calculator-venue_room_area_m2", "200")
        page.fill("#calculator-venue_hours", "3")
        page.select_option("#calculator-travel_0_mode", "CAR")
        page.fill("#calculator-travel_0_people", "40")
        page.fill("#calculator-travel_0_km", "100")
        page.fill("#calculator-accommodation_nights", "20")
        page.fill("#calculator-participants", "-4")  # a mistake first
        page.click("#calculate")
        expect(page.locator("#calculator--participants .field-error")).to_be_visible()
        page.fill("#calculator-participants", "40")
        page.click("#calculate")
        # venue 200 m2 × 3 h: 36 kWh × 0.434 + 1.2 m3 × 2.05 = 18.084 kg; travel 1,400;
        # nights 630 → 2.048084 t → 3 credits (rounded up)
        expect(page.locator("#total-t")).to_contain_text("2.048")
        expect(page.locator("#credits")).to_have_text("3 t-CO2")
        expect(page.locator("#offset-chart")).to_have_attribute("data-drawn", "yes")
        page.screenshot(path=str(tmp_path / "calculator.png"), full_page=True)
        page.click("#save-calculation")
        expect(page.locator("h1")).to_contain_text("環境フォーラム2026")

        # 減らして、オフセット: with its own credits, in one flow
        page.click("#offset-this")
        expect(page.locator("#holdings")).to_be_visible()
        page.locator("#holdings input[type=radio]").nth(1).check()  # the first block
        expect(page.locator("#offset-quantity")).to_have_value("3")
        page.fill("#offset-period", "2026年11月20日")
        page.click("#review-offset")
        expect(page.locator("#offset-preview")).to_contain_text("会議・イベント")
        page.check("#confirm")
        page.click("#submit-offset")
        expect(page.locator("#offset-status")).to_have_text("申請中")
        offset_url = page.url
        assert re.search(r"/offsets/\d+$", offset_url)
        application_id = offset_url.rsplit("/", 1)[1]
        log_out()

        # the secretariat executes (the registry's existing path and notice)
        log_in("admin")
        page.goto(f"{server}/invalidations?status=PENDING")
        page.click(f"#execute-{application_id}")
        page.wait_for_url(re.compile(rf"/invalidations/{application_id}$"))
        expect(page.locator("#status")).to_have_text("無効化済")
        log_out()

        # the certificate, its PDF and its QR code
        log_in("shoji")
        page.goto(offset_url)
        expect(page.locator("#offset-status")).to_have_text("無効化済")
        page.click("#issue-certificate")
        expect(page.locator("#certificate-list")).to_contain_text("株式会社カーボン商事")
        expect(page.locator("#fully-certified")).to_be_visible()
        page.screenshot(path=str(tmp_path / "offset.png"), full_page=True)
        pdf_url = page.locator(".certificate-pdf").first.get_attribute("href")
        assert pdf_url
        pdf = page.request.get(f"{server}{pdf_url}")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        text = "".join(pg.extract_text() for pg in PdfReader(BytesIO(pdf.body())).pages)
        flat = text.replace("\n", "")
        for expected in ("カーボン・オフセット証明書", "株式会社カーボン商事", "環境フォーラム2026",
                         "会議・イベント", "3 t-CO2", "JCN-", "2026年11月20日"):
            assert expected in flat, expected

        qr = page.locator(".qr").first
        qr.screenshot(path=str(tmp_path / "qr.png"))
        codes = zxingcpp.read_barcodes(Image.open(tmp_path / "qr.png").convert("L"))
        assert codes, "the QR code did not decode"
        url = codes[0].text
        assert url.startswith(f"{server}/verify/") and url in flat  # the PDF has the same URL

        # a second certificate for the same tonnes is refused
        csrf = page.locator("input[name=csrf]").first.get_attribute("value")
        again = page.request.post(f"{offset_url}/certificates", form={
            "holder_name": "別の会社", "quantity": "1", "third_party": "yes",
            "csrf": csrf or ""})
        assert again.status == 409 and "3" in again.text()

        # anyone, without logging in, from the QR code
        visitor = browser.new_context().new_page()
        visitor.goto(url)
        expect(visitor.locator("#genuine")).to_contain_text("本物")
        expect(visitor.locator("#certificate-holder")).to_have_text("株式会社カーボン商事")
        expect(visitor.locator("#backing")).to_contain_text("JC-")
        expect(visitor.locator("#backs-nothing-else")).to_contain_text("1 件")
        visitor.screenshot(path=str(tmp_path / "verify.png"), full_page=True)
        browser.close()

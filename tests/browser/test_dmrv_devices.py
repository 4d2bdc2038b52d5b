"""The device registration form in Chromium: a mistake is shown next to its field (in
Japanese, what was typed kept), the corrected form registers the device, and it is listed
on the project page and on its own page."""

from __future__ import annotations

from typing import Any

from jcredit.adapters.dmrv.signing import DeviceSigner
from tests.browser.test_forms import expect_field_error
from tests.browser.test_forms import log_in
from tests.browser.test_forms import page  # noqa: F401
from tests.browser.test_web_flow import pytestmark  # noqa: F401
from tests.browser.test_web_flow import server  # noqa: F401

PROJECT = "JCP-000001"


def test_register_a_device_with_a_mistake_fix_it_and_see_it_listed(
        page: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    key = DeviceSigner.from_seed(b"browser/PV-B001")
    log_in(page, "taiyo")
    page.goto(f"{page.server}/projects/{PROJECT}")
    expect(page.locator("#device-list")).to_contain_text("登録された機器はありません")
    page.click("#device-register summary")
    page.select_option("#device-activity", "HH-003")
    page.fill("#device-id", "PV-B001")
    page.fill("#device-serial", "SN-2024-0001")
    page.fill("#device-ac", "4.5")
    page.fill("#device-dc", "5.2")
    page.fill("#device-commissioned", "2024-04-01")
    page.fill("#device-latitude", "53.42")  # a mistake: north of Japan
    page.fill("#device-longitude", "136.76")
    page.check("#device-channel-export")
    page.fill("#device-public-key", key.public_b64)
    page.click("#register-device")
    expect_field_error(page, "device-latitude", "20〜46")
    expect(page.locator("#device-errors")).to_contain_text("入力内容を確認してください")
    # what was typed is kept, the other fields too
    expect(page.locator("#device-latitude")).to_have_value("53.42")
    expect(page.locator("#device-id")).to_have_value("PV-B001")
    expect(page.locator("#device-activity")).to_have_value("HH-003")
    expect(page.locator("#device-channel-export")).to_be_checked()
    expect(page.locator("#device-list")).to_contain_text("登録された機器はありません")

    page.fill("#device-latitude", "35.42")
    page.click("#register-device")
    expect(page.locator("#flash")).to_contain_text(f"機器 PV-B001 を {PROJECT}/HH-003 に登録")
    row = page.locator("#device-PV-B001")
    expect(row).to_contain_text(f"{PROJECT}/HH-003")
    expect(row).to_contain_text("4.5")
    expect(row).to_contain_text(key.key_id)
    page.click("#device-PV-B001 a.device-link")
    expect(page.locator("#device-title")).to_have_text("PV-B001")
    expect(page.locator(f"#key-{key.key_id}-status")).to_have_text("有効")
    expect(page.locator("#device-facts")).to_contain_text("発電量、売電量(逆潮流)")

"""Every form in Chromium: a bad value shows its error next to the field (in Japanese, the
typed values kept), and a good value after it succeeds. Also the transfer's confirmation
step (recipient organisation, serials, 修正する keeping the values, the journal link), the
secretariat's correction with its second confirmation, and the batch execution's count."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jcredit.entrypoints.demo import DEMO_PASSWORD
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import pytestmark  # noqa: F401
from tests.browser.test_web_flow import server  # noqa: F401

MIDORI = "H-0000006-7"
HINOKI = "H-0000008-3"
HINOKI_ORG = "山林組合ひのき森林株式会社"


@pytest.fixture
def page(server: str) -> Iterator[Any]:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page()
        tab.on("dialog", lambda dialog: dialog.accept())
        tab.server = server
        yield tab
        browser.close()


def log_in(page: Any, username: str) -> None:
    page.goto(f"{page.server}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("#login")


def settled(page: Any) -> None:
    """Wait until htmx has finished swapping and settling the page and form-errors.js has
    moved the focus (it runs 30 ms after htmx:afterSettle): typing into a page that is
    still being swapped can land in the element being replaced (a loaded machine showed it)."""
    page.wait_for_function("() => !document.querySelector("
                           "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
    page.wait_for_timeout(150)


def expect_field_error(page: Any, field_id: str, words: str) -> None:
    """The message is right under the field, names it for assistive technology, and the
    form's summary says there is something to check."""
    from playwright.sync_api import expect

    error = page.locator(f"#{field_id}-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(words)
    settled(page)
    field = page.locator(f"#{field_id}")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert f"{field_id}-error" in (field.get_attribute("aria-describedby") or "")
    # the error follows its field in the same wrapper: "next to the field"
    assert page.locator(f".field:has(#{field_id}) #{field_id}-error").count() == 1


def test_login_form(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{page.server}/login")
    page.fill("#username", "midori")
    page.fill("#password", "wrong password")
    page.click("#login")
    expect(page.locator("#login-error")).to_contain_text("パスワードが違います")
    expect(page.locator("#username")).to_have_value("midori")
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("#login")
    expect(page.locator("#logout")).to_be_visible()


def test_transfer_errors_then_review_edit_confirm_and_journal_link(page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, "midori")
    page.goto(f"{page.server}/accounts/{MIDORI}")
    for quantity, words in (("0", "1 以上の整数"), ("-1", "1 以上の整数"),
                            ("1.5", "1 以上の整数"), ("999999", "足りません")):
        page.fill("#to_account", HINOKI)
        page.fill("#transfer_quantity", quantity)
        page.click("#submit-transfer")
        expect_field_error(page, "transfer_quantity", words)
        expect(page.locator("#transfer_quantity")).to_have_value(quantity)
        expect(page.locator("#to_account")).to_have_value(HINOKI)
        expect(page.locator("#transfer-error")).to_contain_text("入力内容を確認してください")
    page.fill("#to_account", "H-0000008-4")
    page.fill("#transfer_quantity", "25")
    page.click("#submit-transfer")
    expect_field_error(page, "to_account", "口座番号が正しくありません")
    page.fill("#to_account", "H-0000099-2")
    page.click("#submit-transfer")
    expect_field_error(page, "to_account", "登録簿にありません")

    page.fill("#to_account", HINOKI)
    page.fill("#transfer_quantity", "25")
    page.click("#submit-transfer")
    expect(page.locator("h1")).to_have_text("移転内容の確認")
    expect(page.locator("#recipient-organisation")).to_have_text(HINOKI_ORG)
    expect(page.locator("#recipient-number")).to_have_text(HINOKI)
    expect(page.locator("#transfer-quantity")).to_contain_text("25")
    expect(page.locator("#preview-blocks")).to_contain_text("JC-ER-C000014-")
    page.click("#edit-transfer")  # 修正する: back to the form with what was typed
    expect(page.locator("#transfer_quantity")).to_have_value("25")
    expect(page.locator("#to_account")).to_have_value(HINOKI)
    expect(page.locator("#balance")).to_have_text("2,400")  # nothing moved
    page.fill("#transfer_quantity", "30")
    page.click("#submit-transfer")
    expect(page.locator("#transfer-quantity")).to_contain_text("30")
    page.click("#confirm-transfer")
    expect(page.locator("#flash")).to_contain_text(f"30 t-CO2 を {HINOKI_ORG}({HINOKI})へ移転")
    assert re.search(r"/journal/\d+$", page.locator("#flash-link").get_attribute("href"))
    expect(page.locator("#balance")).to_have_text("2,370")


def test_invalidation_errors_then_confirm_keeps_values_on_edit(page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, "midori")
    page.goto(f"{page.server}/accounts/{MIDORI}")
    page.fill("#inv_quantity", "10")
    page.select_option("#use", "OFFSET")
    page.fill("#purpose_details", "社員旅行のオフセット")
    page.click("#review-invalidation")
    expect_field_error(page, "offset_purpose", "オフセットの目的を選んでください")
    expect(page.locator("#purpose_details")).to_have_value("社員旅行のオフセット")
    expect(page.locator("#use")).to_have_value("OFFSET")

    page.select_option("#use", "RE100")
    page.check("input[name=designation][value=serials] >> nth=1")
    page.fill("#inv_serials", "2001-2010")  # 省エネ credits: not for RE100
    page.click("#review-invalidation")
    expect_field_error(page, "use", "このクレジットは使えません")
    expect(page.locator("#inv_serials")).to_have_value("2001-2010")

    page.check("input[name=designation][value=quantity] >> nth=1")
    page.fill("#fiscal_year", "2019")
    page.click("#review-invalidation")
    expect_field_error(page, "fiscal_year", "この報告対象年度は選べません。選べる年度: ")
    page.fill("#fiscal_year", "2026")
    page.fill("#purpose_details", "")
    page.click("#review-invalidation")
    expect_field_error(page, "purpose_details", "入力してください")

    page.fill("#purpose_details", "RE100 年次報告")
    page.click("#review-invalidation")
    expect(page.locator("#irreversible")).to_be_visible()
    page.click("#edit-invalidation")
    expect(page.locator("#purpose_details")).to_have_value("RE100 年次報告")
    expect(page.locator("#inv_quantity")).to_have_value("10")
    expect(page.locator("#use")).to_have_value("RE100")
    page.click("#review-invalidation")
    page.check("#confirm")
    page.click("#submit-invalidation")
    expect(page.locator("#status")).to_have_text("申請中")


def test_new_project_form(page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, "taiyo")
    page.goto(f"{page.server}/projects/new")
    page.fill("#address", "愛知県名古屋市中区三の丸3-1-2")
    page.click("#create-project")
    # every problem of the form at once, each under its field
    expect_field_error(page, "name", "入力してください")
    expect_field_error(page, "prefecture", "都道府県を選んでください")
    expect_field_error(page, "start_date", "2026-04-01 の形式")
    expect(page.locator("#address")).to_have_value("愛知県名古屋市中区三の丸3-1-2")
    page.fill("#name", "フォームテスト 太陽光")
    page.select_option("#methodology", "EN-R-002")
    page.select_option("#prefecture", "愛知県")
    page.fill("#start_date", "2025-13-01")  # the form is right, the month does not exist
    page.fill("#monitoring_start", "2026-12-01")
    page.click("#create-project")
    expect_field_error(page, "start_date", "暦にありません")
    expect(page.locator("#name")).to_have_value("フォームテスト 太陽光")
    expect(page.locator("#methodology")).to_have_value("EN-R-002")
    page.fill("#start_date", "2025-06-01")
    page.fill("#investment_yen", "-5")
    page.click("#create-project")
    expect_field_error(page, "investment_yen", "0 以上")
    page.wait_for_timeout(300)  # let form-errors.js finish its scroll before the next click
    page.fill("#investment_yen", "")
    page.click("#create-project")
    page.wait_for_url(re.compile(r"/projects/JCP-\d+$"), timeout=20_000)
    expect(page.locator("h1")).to_contain_text("フォームテスト 太陽光", timeout=20_000)


def test_estimate_form(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{page.server}/estimate")
    page.fill("#in-capacity_kw", "-4")
    page.click("#calculate")
    expect_field_error(page, "in-capacity_kw", "0 以上の数")
    expect(page.locator("#in-capacity_kw")).to_have_value("-4")
    page.fill("#in-capacity_kw", "abc")
    page.click("#calculate")
    expect_field_error(page, "in-capacity_kw", "数値を入力")
    page.fill("#in-capacity_kw", "4.5")
    page.fill("#in-self_consumption_share", "0.3")
    page.click("#calculate")
    expect(page.locator("#annual")).to_be_visible()


def test_every_form_of_the_project_page(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    log_in(page, "taiyo")
    url = f"{page.server}/projects/JCP-000001"
    page.goto(url)
    # evidence upload with no file: an error at the file field, not raw JSON
    page.click("#upload-evidence")
    expect_field_error(page, "evidence-file", "ファイルを選んでください")
    evidence = tmp_path / "meter-photo.txt"
    evidence.write_text("検針票の写し", encoding="utf-8")
    page.set_input_files("#evidence-file", str(evidence))
    page.click("#upload-evidence")
    expect(page.locator("#evidence-files")).to_contain_text("meter-photo.txt")

    # activities: a bad line is named, next to the form, the text kept
    page.goto(url)
    page.locator("details:has(#activities-csv)").evaluate("d => d.open = true")
    header = "code,address,operation_start,expected_tco2_per_year,household\n"
    page.fill("#activities-csv", header + "TJ-900,愛知県名古屋市,2026-13-01,1.2,true")
    page.click("#add-activities")
    problems = page.locator("#activity-problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("2行目")
    expect(page.locator("#activities-csv")).to_have_value(
        header + "TJ-900,愛知県名古屋市,2026-13-01,1.2,true")
    page.fill("#activities-csv", header + "TJ-900,愛知県名古屋市中区1-1,2026-01-01,1.2,true")
    page.click("#add-activities")
    expect(page.locator("#flash")).to_contain_text("1 件の削減活動を追加しました")

    # a new monitoring period: a bad date, then a good one
    page.goto(url)
    page.fill("#period-start", "2027-04-31")  # 31 April
    page.fill("#period-end", "2027-06-30")
    page.click("#open-period")
    expect_field_error(page, "period-start", "暦にありません")
    expect(page.locator("#period-end")).to_have_value("2027-06-30")
    page.fill("#period-start", "2027-04-01")
    page.click("#open-period")
    expect(page.locator("#period-2")).to_be_visible()

    # monitoring data of the new period: a bad value, then good data
    page.fill("#data-2", "code,el_self_kwh\nTJ-900,abc")
    page.click("#submit-data-2")
    expect(page.locator("#data-problems-2")).to_contain_text("2行目")
    expect(page.locator("#data-problems-2")).to_be_in_viewport()  # far down the page: shown
    expect(page.locator("#data-2")).to_have_value("code,el_self_kwh\nTJ-900,abc")

    # the verifier choice: none chosen, then the accredited body
    page.goto(url)
    page.select_option("#verifier", "")
    page.click("#assign-verifier")
    expect_field_error(page, "verifier", "13桁")
    page.select_option("#verifier", index=1)
    page.click("#assign-verifier")
    expect(page.locator("#verifier-error")).to_have_count(0)


def test_lifecycle_action_needs_its_comment(page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, "shinsa")
    page.goto(f"{page.server}/projects/JCP-000001")
    page.select_option("#period-1-action", "return")
    page.fill("#period-1-comment", "")
    page.click("#period-1-submit")
    expect_field_error(page, "period-1-comment", "コメントに書いてください")
    expect(page.locator("#period-1-action")).to_have_value("return")
    page.fill("#period-1-comment", "2号機の検針票が不足しています")
    page.click("#period-1-submit")
    expect(page.locator("#period-1-state")).to_have_text("差し戻し")


def test_batch_execution_says_how_many(page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, "admin")
    page.goto(f"{page.server}/invalidations")
    page.click("#execute-all")
    flash = page.locator("#flash")
    expect(flash).to_contain_text("件の無効化申請を実行しました")
    text = flash.inner_text()
    assert re.search(r"[1-9]\d* 件の無効化申請を実行しました[((]#\d+", text), text


def test_secretariat_correction_with_reason_and_second_confirmation(page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, "admin")
    page.goto(f"{page.server}/accounts/{MIDORI}")
    expect(page.locator("#submit-transfer")).to_have_count(0)  # no ordinary transfer
    page.locator("#correction").evaluate("d => d.open = true")
    page.fill("#correction-to", HINOKI)
    page.fill("#correction-quantity", "5")
    page.select_option("#correction-reason-code", "COURT_ORDER")
    page.click("#review-correction")
    expect_field_error(page, "correction-reason", "入力してください")
    expect(page.locator("#correction-quantity")).to_have_value("5")
    page.fill("#correction-reason", "東京地裁 令和8年(ワ)第123号")
    page.click("#review-correction")
    expect(page.locator("h1")).to_have_text("登録簿の訂正の確認")
    expect(page.locator("#recipient-organisation")).to_have_text(HINOKI_ORG)
    expect(page.locator("#correction-reason-shown")).to_contain_text("裁判所の命令")
    page.fill("#confirm-account", "H-0000007-5")  # not the source account
    page.click("#confirm-correction")
    expect_field_error(page, "confirm-account", "一致しません")
    page.fill("#confirm-account", MIDORI)
    page.click("#confirm-correction")
    expect(page.locator("#flash")).to_contain_text("保有者に通知しました")
    expect(page.locator("#balance")).to_have_text("2,395")

    with page.expect_navigation():
        page.click("#logout")
    log_in(page, "midori")
    page.goto(f"{page.server}/accounts/{MIDORI}")
    notices = page.locator("#notices")
    expect(notices).to_contain_text("事務局による登録簿の訂正")
    expect(notices).to_contain_text("東京地裁 令和8年(ワ)第123号")


@pytest.mark.parametrize("username, path, form", [
    ("shoji", "/accounts/H-0000009-1/history", "history"), ("auditor", "/journal", "journal")])
def test_history_and_journal_filters(page: Any, username: str, path: str, form: str) -> None:
    from playwright.sync_api import expect

    log_in(page, username)
    page.goto(f"{page.server}{path}")
    page.fill("#since", "2026-12-01")
    page.fill("#until", "2026-01-01")  # before the start
    page.click(f"#filter-{form}")
    expect_field_error(page, "until", "終了日は開始日より後")
    expect(page.locator("#since")).to_have_value("2026-12-01")
    page.fill("#since", "2020-01-01")
    page.fill("#until", "2030-12-31")
    page.click(f"#filter-{form}")
    expect(page.locator(f"#{form}-errors")).to_have_count(0)
    expect(page.locator("#until")).to_have_value("2030-12-31")
    assert "until=2030-12-31" in page.url

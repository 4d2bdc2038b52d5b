"""A programme-type project through the web UI in Debian's Chromium: the operator drafts the
plan and pastes 50 households, the 審査機関 validates, the committee registers, two
monitoring periods are verified, certified and issued, and the ledger check passes."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import pytest

from jcredit.bootstrap import Registry
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.service_layer import project_queries
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from tests.browser.test_web_flow import CHROMIUM
from tests.browser.test_web_flow import FLAGS
from tests.browser.test_web_flow import pytestmark  # noqa: F401  (browser marker, skip rule)
from tests.browser.test_web_flow import server  # noqa: F401  (fixture)

HOUSEHOLDS = 50
FACTOR = Fraction("0.434") / 1000


def kwh(period: int, i: int) -> int:
    return 600 + 7 * i if period == 1 else 1700 + 13 * i


@pytest.fixture
def browser_page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def test_programme_project_through_the_web(server: str, browser_page: object,  # noqa: F811
                                           sqlite_registry: Registry) -> None:
    from playwright.sync_api import Page
    from playwright.sync_api import expect

    page = browser_page
    assert isinstance(page, Page)

    def log_in(username: str) -> None:
        page.goto(f"{server}/login")
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("#login")

    def log_out() -> None:
        with page.expect_navigation():
            page.click("#logout")

    def project_action(action: str, state: str, comment: str = "") -> None:
        page.select_option("#project-action", action)
        page.fill("#project-comment", comment)
        page.click("#project-submit")
        expect(page.locator("#project-state")).to_have_text(state)

    def period_action(number: int, action: str, state: str) -> None:
        page.select_option(f"#period-{number}-action", action)
        page.click(f"#period-{number}-submit")
        expect(page.locator(f"#period-{number}-state")).to_have_text(state)

    # the operator drafts the plan
    log_in("taiyo")
    page.goto(f"{server}/projects/new")
    page.fill("#name", "愛知 家庭用太陽光プログラム (ブラウザテスト)")
    page.select_option("#project_type", "PROGRAMME")
    page.select_option("#methodology", "EN-R-002")
    page.select_option("#prefecture", "愛知県")
    page.fill("#address", "愛知県名古屋市中区三の丸3-1-2")
    page.fill("#start_date", "2025-06-01")
    page.fill("#monitoring_start", "2026-12-01")
    page.click("#create-project")
    expect(page.locator("#project-state")).to_have_text("計画書作成中")
    project_url = page.url
    number = project_url.rsplit("/", 1)[-1]
    rows = ["code,address,operation_start,expected_tco2_per_year,household"] + [
        f"HH-{i + 1:03d},愛知県名古屋市中区栄{i + 1}-1,2025-06-01,1.2,yes"
        for i in range(HOUSEHOLDS)]
    page.fill("#activities-csv", "\n".join(rows))
    page.click("#add-activities")
    expect(page.locator(".flash")).to_contain_text(f"{HOUSEHOLDS} 件の削減活動を追加しました")
    page.set_input_files("#evidence-file", files=[{
        "name": "設置写真一覧.csv", "mimeType": "text/csv",
        "buffer": b"code,photo\nHH-001,IMG_0001.jpg\n"}])
    with page.expect_navigation():
        page.click("#upload-evidence")
    expect(page.locator(".flash")).to_contain_text("SHA-256")
    expect(page.locator("#evidence-files")).to_contain_text("設置写真一覧.csv")
    page.select_option("#verifier", index=1)  # the first accredited body
    page.click("#assign-verifier")
    expect(page.locator("#project-action")).to_be_visible()
    project_action("submit_for_validation", "妥当性確認中")
    log_out()

    log_in("shinsa")
    page.goto(project_url)
    project_action("complete_validation", "妥当性確認済", "適合")
    log_out()

    log_in("taiyo")
    page.goto(project_url)
    project_action("apply_for_registration", "登録申請中")
    log_out()

    log_in("iinkai")
    page.goto(f"{server}/projects")
    expect(page.locator("#queue")).to_contain_text(number)
    page.goto(project_url)
    project_action("register", "登録済")
    expect(page.locator("#crediting-period")).to_contain_text("2026年12月1日 – 2034年11月30日")
    log_out()

    for period, (start, end) in enumerate([("2026-12-01", "2027-03-31"),
                                           ("2027-04-01", "2028-03-31")], start=1):
        log_in("taiyo")
        page.goto(project_url)
        page.fill("#period-start", start)
        page.fill("#period-end", end)
        page.click("#open-period")
        expect(page.locator(f"#period-{period}-state")).to_have_text("モニタリング中")
        data = ["code,el_self_kwh"] + [f"HH-{i + 1:03d},{kwh(period, i)}"
                                       for i in range(HOUSEHOLDS)]
        page.fill(f"#data-{period}", "\n".join(data))
        page.click(f"#submit-data-{period}")
        total = sum(kwh(period, i) for i in range(HOUSEHOLDS)) * FACTOR
        expect(page.locator(f"#period-{period} .certified")).to_contain_text(str(int(total)))
        period_action(period, "submit_for_verification", "検証中")
        log_out()

        log_in("shinsa")
        page.goto(project_url)
        period_action(period, "complete_verification", "検証済")
        log_out()

        log_in("taiyo")
        page.goto(project_url)
        period_action(period, "apply_for_certification", "認証申請中")
        log_out()

        log_in("iinkai")
        page.goto(project_url)
        period_action(period, "certify", "認証済")
        log_out()

        log_in("admin")
        page.goto(project_url)
        period_action(period, "issue", "発行済")
        expect(page.locator(f"#period-{period}")).to_contain_text(f"{int(total)} t-CO2")
        log_out()

    log_in("iinkai")
    page.goto(f"{server}/agenda")
    expect(page.locator("#decided")).to_contain_text(number)
    expect(page.locator("#decided")).to_contain_text("認証する")
    log_out()

    secretariat = Actor(name="test", role=Role.ADMIN)
    with sqlite_registry.uow(write=False) as uow:
        assert queries.check_ledger(uow).ok
        detail = project_queries.project_detail(uow, secretariat, number)
        account = queries.account_detail(uow, secretariat, detail["holder_account"])
    issued = sum(i["quantity"] for p in detail["periods"] for i in p["issued"])
    expected = sum(int(sum(kwh(p, i) for i in range(HOUSEHOLDS)) * FACTOR) for p in (1, 2))
    assert issued == expected
    assert sum(b["quantity"] for b in account["blocks"] if b["project_id"] == number) == expected

"""Offsets over HTTP (issue 15): the public calculator API and pages, saving, offsetting
in one flow, the secretariat's execution, certificates (PDF text, public verification,
never twice for the same tonnes), the factor table and the reporting table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from jcredit.bootstrap import Registry
from tests.e2e.support import demo_client
from tests.e2e.support import login
from tests.e2e.support import web_log_in

MEETING_JSON = ('{"participants": 40, "prefecture": "東京都", "travel": [{"mode": "CAR", '
                '"people": 40, "km": 100.0}], "accommodation_nights": 20}')


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field"
    return match.group(1)


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_public_calculator_api(client: TestClient) -> None:
    answer = client.post("/api/v1/public/offsets/calculate/MEETING", content=MEETING_JSON,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # 40 × 100 km × 2 × 0.175 = 1,400 kg; 20 nights × 31.5 = 630 kg → 2.03 t → 3 credits
    assert Decimal(body["total_t_co2"]) == Decimal("2.03") and body["credits"] == 3
    assert {f["key"] for f in body["factors"]} == {"travel.CAR", "accommodation.night"}
    assert all(f["source"] for f in body["factors"])
    bad = client.post("/api/v1/public/offsets/calculate/MEETING",
                      json={"participants": -1, "travel": [{"mode": "UFO", "people": 1,
                                                            "km": "1"}]})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"participants", "travel[0].mode"}
    zero = client.post("/api/v1/public/offsets/calculate/DONATION",
                       json={"yen_per_item": 1, "items": 100, "price_per_t": 0})
    assert zero.status_code == 422 and zero.json()["field"] == "price_per_t"
    factors = client.get("/api/v1/public/offsets/factors").json()
    assert factors["version"] == 1 and len(factors["factors"]) > 30


def test_calculator_page_anonymous_with_errors_at_fields(client: TestClient) -> None:
    page = client.get("/offsets/calculator")
    assert page.status_code == 200 and "会議・イベント" in page.text
    done = client.post("/offsets/calculator", data={
        "kind": "MEETING", "participants": "40", "prefecture": "東京都",
        "travel_0_mode": "CAR", "travel_0_people": "40", "travel_0_km": "100",
        "travel_0_round_trip": "yes", "accommodation_nights": "20"})
    assert done.status_code == 200, done.text
    assert 'id="credits"><strong>3</strong>' in done.text and "offset-chart-data" in done.text
    wrong = client.post("/offsets/calculator", data={
        "kind": "MEETING", "participants": "-5", "travel_1_mode": "CAR",
        "travel_1_people": "3", "travel_1_km": "abc"})
    assert wrong.status_code == 422
    assert 'id="calculator-participants" value="-5" aria-invalid="true"' in wrong.text
    assert 'id="calculator-travel_1_km"' in wrong.text
    assert re.search(r'id="calculator-travel_1_km"[^>]*aria-invalid="true"', wrong.text)
    donation = client.post("/offsets/calculator", data={
        "kind": "DONATION", "yen_per_item": "1", "items": "25000", "price_per_t": "8000"})
    assert 'id="remainder">¥1,000' in donation.text
    prefilled = client.get("/offsets/calculator?kind=DONATION&carried_yen=1000&price_per_t=8000")
    assert 'id="calculator-carried_yen" value="1000"' in prefilled.text


def test_meeting_offset_certificate_and_verification(client: TestClient) -> None:
    web_log_in(client, "shoji")
    page = client.get("/offsets/calculator")
    saved = client.post("/offsets/calculator", data={
        "kind": "MEETING", "title": "環境フォーラム2026", "participants": "40",
        "prefecture": "東京都", "travel_0_mode": "CAR", "travel_0_people": "40",
        "travel_0_km": "100", "travel_0_round_trip": "yes", "accommodation_nights": "20",
        "save": "yes", "csrf": csrf_of(page.text)}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    calc_url = saved.headers["location"]
    token = calc_url.rsplit("/", 1)[1]
    assert "環境フォーラム2026" in client.get(calc_url).text
    csv = client.get(f"{calc_url}/csv")
    assert csv.status_code == 200 and "travel.CAR" in csv.text

    form = client.get(f"/offsets/new?calculation={token}")
    assert form.status_code == 200 and 'id="holdings"' in form.text
    account = re.search(r'name="from_account" value="([^"]+)"', form.text)
    assert account
    fields = {"calculation": token, "from_account": account.group(1), "quantity": "3",
              "subject": "環境フォーラム2026", "period": "2026-11-20",
              "credit_user_name": "株式会社しょうじ", "fiscal_year": "2026",
              "csrf": csrf_of(form.text)}
    too_many = client.post("/offsets/review", data=fields | {"quantity": "100000"})
    assert too_many.status_code == 409 and 'id="offset-quantity"' in too_many.text
    review = client.post("/offsets/review", data=fields)
    assert review.status_code == 200 and 'id="submit-offset"' in review.text
    filed = client.post("/offsets", data=fields | {"confirm": "yes",
                                                   "csrf": csrf_of(review.text)},
                        follow_redirects=False)
    assert filed.status_code == 303, filed.text
    application_id = int(filed.headers["location"].rsplit("/", 1)[1])

    admin = login(client, "admin")
    executed = client.post("/api/v1/invalidations/execute",
                           json={"application_ids": [application_id], "confirm": True},
                           headers=admin | {"Idempotency-Key": "exec-offset-1"})
    assert executed.status_code == 200, executed.text

    detail = client.get(f"/offsets/{application_id}")
    issued = client.post(f"/offsets/{application_id}/certificates", data={
        "holder_name": "株式会社しょうじ", "quantity": "3", "csrf": csrf_of(detail.text)},
        follow_redirects=False)
    assert issued.status_code == 303, issued.text
    detail = client.get(f"/offsets/{application_id}")
    cert_token = re.search(r'/verify/([A-Za-z0-9_-]+)', detail.text)
    assert cert_token and 'id="fully-certified"' in detail.text
    pdf = client.get(f"/api/v1/public/offsets/certificates/{cert_token.group(1)}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for expected in ("カーボン・オフセット証明書", "株式会社しょうじ", "環境フォーラム2026",
                     "JCN-", "/verify/" + cert_token.group(1)):
        assert expected in text.replace("\n", ""), expected
    english = pdf_text(client.get(
        f"/api/v1/public/offsets/certificates/{cert_token.group(1)}/pdf?lang=en").content)
    assert "Carbon Offset Certificate" in english and "meeting or event" in english

    # the same tonnes are never certified twice
    again = client.post(f"/offsets/{application_id}/certificates", data={
        "holder_name": "別の会社", "quantity": "1", "third_party": "yes",
        "csrf": csrf_of(detail.text)})
    assert again.status_code in (409, 200)
    api_again = client.post(f"/api/v1/offsets/{application_id}/certificates",
                            json={"holder_name": "別の会社", "quantity": "1",
                                  "third_party": True},
                            headers=login(client, "shoji") | {"Idempotency-Key": "c2"})
    assert api_again.status_code == 409 and api_again.json()["field"] == "quantity"

    anonymous = TestClient(client.app)
    verify = anonymous.get(f"/verify/{cert_token.group(1)}")
    assert verify.status_code == 200 and 'id="genuine"' in verify.text
    assert "株式会社しょうじ" in verify.text and "JCN-" in verify.text
    fake = anonymous.get("/verify/not-a-real-certificate")
    assert fake.status_code == 404 and 'id="not-genuine"' in fake.text


def test_reporting_table_and_factor_publishing(client: TestClient) -> None:
    web_log_in(client, "shoji")
    report = client.get("/reports/invalidations?fiscal_year=2026")
    assert report.status_code == 200 and "JCN-" in report.text  # the demo's executed offset
    csv = client.get("/reports/invalidations?fiscal_year=2026&format=csv")
    assert csv.status_code == 200 and "notice_number" in csv.text.splitlines()[0]
    client.post("/logout", data={"csrf": csrf_of(report.text)})
    web_log_in(client, "admin")
    table = client.get("/offsets/factors/table")
    assert 'id="factor-form"' in table.text
    refused = client.post("/offsets/factors/table", data={
        "key": "travel.CAR", "value": "-1", "confidence": "secondary", "source": "",
        "note": "", "csrf": csrf_of(table.text)})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    published = client.post("/offsets/factors/table", data={
        "key": "travel.CAR", "value": "0.130", "confidence": "secondary",
        "source": "MLIT FY2019", "note": "car factor updated", "csrf": csrf_of(table.text)},
        follow_redirects=False)
    assert published.status_code == 303
    assert client.get("/api/v1/public/offsets/factors").json()["version"] == 2
    # a calculation saved on v1 offers the re-run with v2 and saves it as a new one
    web_log_in(client, "shoji")
    listing = client.get("/offsets")
    old = re.search(r'href="(/offsets/calculations/[^"]+)"', listing.text)
    assert old
    page = client.get(old.group(1))
    assert 'id="rerun"' in page.text and 'id="save-rerun"' in page.text
    rerun = client.post(f"{old.group(1)}/rerun", data={"csrf": csrf_of(page.text)},
                        follow_redirects=False)
    assert rerun.status_code == 303 and rerun.headers["location"] != old.group(1)
    again = client.get(rerun.headers["location"])
    assert "係数表 v2" in again.text and 'id="rerun"' not in again.text


def test_saved_donation_carries_its_remainder_to_the_next_period(client: TestClient) -> None:
    web_log_in(client, "shoji")
    page = client.get("/offsets/calculator?kind=DONATION")
    saved = client.post("/offsets/calculator", data={
        "kind": "DONATION", "title": "めかぶ 1パック1円", "yen_per_item": "1",
        "items": "25000", "price_per_t": "8000", "save": "yes", "csrf": csrf_of(page.text)})
    assert saved.status_code == 200 and "めかぶ" in saved.text
    link = re.search(r'id="next-period" href="([^"]+)"', saved.text)
    assert link and "carried_yen=1000" in link.group(1)
    following = client.get(link.group(1).replace("&amp;", "&"))
    assert 'id="calculator-carried_yen" value="1000"' in following.text


def test_errors_explained_in_japanese_and_huge_figures_shown(client: TestClient) -> None:
    wrong = client.post("/offsets/calculator", data={
        "kind": "MEETING", "participants": "abc", "meals": "12a"})
    assert wrong.status_code == 422
    assert "0以上の整数で入力してください" in wrong.text and "法人番号" not in wrong.text
    huge = client.post("/offsets/calculator", data={
        "kind": "DONATION", "yen_per_item": "1000000000000", "items": "9999999999999",
        "price_per_t": "0.01"})
    assert huge.status_code == 200 and 'id="credits"' in huge.text


def test_offset_form_keeps_what_was_typed_and_shows_every_error(client: TestClient) -> None:
    web_log_in(client, "shoji")
    bad_filter = client.get("/offsets/new?vintage=abc")
    assert bad_filter.status_code == 422 and 'id="offset-form"' in bad_filter.text
    assert re.search(r'id="filter-vintage"[^>]*aria-invalid="true"', bad_filter.text)
    form = client.get("/offsets/new")
    account = re.search(r'name="from_account" value="([^"]+)"', form.text)
    assert account
    refused = client.post("/offsets/review", data={
        "from_account": account.group(1), "subject": "", "quantity": "abc",
        "credit_user_name": "株式会社カーボン商事", "fiscal_year": "2026",
        "offset_purpose": "EVENT", "csrf": csrf_of(form.text)})
    assert refused.status_code == 422
    assert re.search(r'id="offset-subject" value=""[^>]*aria-invalid="true"', refused.text)
    assert re.search(r'id="offset-quantity" value="abc"[^>]*aria-invalid="true"', refused.text)
    block = re.search(r'name="block" value="([^"]+)"', form.text)
    assert block and block.group(1)
    for typed in ("abc", "0", "-2"):
        wrong = client.post("/offsets/review", data={
            "from_account": account.group(1), "subject": "会議", "quantity": typed,
            "block": block.group(1), "credit_user_name": "株式会社カーボン商事",
            "fiscal_year": "2026", "offset_purpose": "EVENT", "csrf": csrf_of(form.text)})
        assert wrong.status_code == 422, typed
        assert re.search(r'id="offset-quantity"[^>]*aria-invalid="true"', wrong.text), typed
    auditor = TestClient(client.app)
    web_log_in(auditor, "auditor")
    assert auditor.get("/offsets/new").status_code == 403

"""Methodologies, the estimate and the project lifecycle over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import VERIFIER_ORG
from tests.e2e.support import demo_client
from tests.e2e.support import login

TV1 = {"period_start": "2020-04-01", "period_end": "2021-03-31", "operation_start": "2020-04-01",
       "grid_factor_method": "TRANSITIONAL"}


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        yield test_client


def test_methodologies_and_calculation_are_public_and_exact(client: TestClient) -> None:
    ids = {m["id"] for m in client.get("/api/v1/methodologies").json()}
    assert {"EN-R-002", "EN-R-001", "EN-S-001", "EN-S-006", "FO-001", "AG-004"} <= ids
    described = client.get("/api/v1/methodologies/EN-R-002").json()
    assert any(i["name"] == "el_self_kwh" and i["unit"] == "kWh" for i in described["inputs"])
    # JSON numbers arrive as exact decimals: 0.540 × 1,575 = 850.5 kg, 50 households → 42 t
    body = '{"activities": [' + ",".join(
        '{"period_start": "2020-04-01", "period_end": "2021-03-31", '
        '"operation_start": "2020-04-01", "grid_factor_method": "TRANSITIONAL", '
        '"el_self_kwh": 1575, "marginal_factor_kg_per_kwh": 0.540, '
        '"all_sources_factor_kg_per_kwh": 0.487}' for _ in range(50)) + "]}"
    result = client.post("/api/v1/methodologies/EN-R-002/calculate", content=body,
                         headers={"content-type": "application/json"})
    assert result.status_code == 200, result.text
    data = result.json()
    assert data["activities"][0]["reduction_tco2"] == "0.85050"
    assert data["certified"] == [{"vintage": 2020, "total_tco2": "42.52500", "credits": 42,
                                  "remainder_tco2": "0.52500"}]


def test_outside_applicability_is_problem_json(client: TestClient) -> None:
    response = client.post("/api/v1/methodologies/AG-004/calculate", json={"lots": [{
        "lot_id": "L1", "applied_on": "2025-05-10", "mass_dry_t": "10", "feedstock": "WOOD",
        "temperature_c": "300", "fixed_carbon_pct": "80", "soil": "MINERAL",
        "land_use": "CROPLAND", "domestic_unused_feedstock": True}]})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "TEMPERATURE" in response.json()["detail"]


def test_estimate_needs_no_login(client: TestClient) -> None:
    response = client.post("/api/v1/estimate/FOREST", json={
        "area_ha": "300", "species": "SUGI", "annual_increment_m3_per_ha": "8",
        "stand_age_years": "40", "price_yen_per_tco2": "5000"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["crediting_years"] == 16 and data["planning_support"] is True
    assert data["audit_support_yen"]["validation"] == "600000"


def test_project_routes_check_roles_keys_and_replay(client: TestClient) -> None:
    taiyo = login(client, "taiyo")
    midori = login(client, "midori")
    projects = client.get("/api/v1/projects", headers=taiyo).json()
    assert [p["number"] for p in projects] == ["JCP-000001"]
    assert client.get("/api/v1/projects", headers=midori).json() == []
    assert client.get("/api/v1/projects/JCP-000001", headers=midori).status_code == 403
    body = {"name": "API プロジェクト", "project_type": "NORMAL", "methodology": "EN-S-006",
            "holder_account": client.get("/api/v1/projects/JCP-000001",
                                         headers=taiyo).json()["holder_account"],
            "prefecture": "岐阜県", "address": "岐阜県大垣市1", "start_date": "2026-01-01",
            "monitoring_start": "2026-12-01",
            "additionality": {"investment_yen": 5000000, "annual_income_yen": 800000}}
    missing_key = client.post("/api/v1/projects", json=body, headers=taiyo)
    assert missing_key.status_code == 422
    assert missing_key.json()["field"] == "Idempotency-Key"
    first = client.post("/api/v1/projects", json=body, headers=taiyo | {"Idempotency-Key": "p1"})
    again = client.post("/api/v1/projects", json=body, headers=taiyo | {"Idempotency-Key": "p1"})
    assert first.status_code == 201, first.text
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    number = first.json()["number"]
    assert first.json()["additionality"]["investment_yen"] == "5000000"
    elsewhere = client.post("/api/v1/projects", json=body | {"prefecture": "北海道"},
                            headers=taiyo | {"Idempotency-Key": "p3"})
    # an address in 岐阜県 with 北海道 chosen is refused, not saved as written
    assert elsewhere.status_code == 422 and elsewhere.json()["field"] == "prefecture"
    assert elsewhere.json()["valid"] == ["岐阜県"]
    unknown = client.post("/api/v1/projects", json=body | {"colour": "green"},
                          headers=taiyo | {"Idempotency-Key": "p2"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "colour"
    shinsa = login(client, "shinsa")
    wrong_party = client.post(f"/api/v1/projects/{number}/actions",
                              json={"action": "submit_for_validation"},
                              headers=shinsa | {"Idempotency-Key": "a1"})
    assert wrong_party.status_code == 403
    wrong_state = client.post(f"/api/v1/projects/{number}/actions", json={"action": "register"},
                              headers=taiyo | {"Idempotency-Key": "a2"})
    assert wrong_state.status_code == 409
    assert "submit_for_validation" in wrong_state.json()["detail"]
    added = client.post(f"/api/v1/projects/{number}/activities", json={
        "code": "SITE", "address": "岐阜県大垣市丸の内2-29", "operation_start": "2026-01-01",
        "expected_tco2_per_year": 12.5, "inputs": {"grid_factor_type": "SUBSTITUTE"}},
        headers=taiyo | {"Idempotency-Key": "act1"})
    assert added.status_code == 201, added.text
    assert added.json()["expected_tco2_per_year"] == "12.5"
    assigned = client.post(f"/api/v1/projects/{number}/verifier",
                           json={"verifier": VERIFIER_ORG[1]},
                           headers=taiyo | {"Idempotency-Key": "v1"})
    assert assigned.status_code == 200, assigned.text
    queue = client.get("/api/v1/projects/queue", headers=shinsa).json()
    assert any(q["number"] == "JCP-000001" and q["task"] == "verification" for q in queue)
    plan = client.get(f"/api/v1/projects/{number}/documents/PLAN", headers=taiyo).json()
    assert plan["version"] == 1 and len(plan["sha256"]) == 64


def test_documents_render_to_pdf_in_japanese(client: TestClient) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    taiyo = login(client, "taiyo")
    response = client.get("/api/v1/projects/JCP-000001/documents/MONITORING_REPORT.pdf",
                          params={"period": 1}, headers=taiyo)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(response.content)).pages)
    document = client.get("/api/v1/projects/JCP-000001/documents/MONITORING_REPORT",
                          params={"period": 1}, headers=taiyo).json()
    assert "モニタリング報告書" in text and "HH-012" in text
    assert document["sha256"] in text.replace("\n", "")
    validation = client.get("/api/v1/projects/JCP-000001/documents/VALIDATION_REPORT.pdf",
                            headers=taiyo)
    vtext = "".join(p.extract_text() for p in PdfReader(BytesIO(validation.content)).pages)
    assert "妥当性確認報告書" in vtext and "適合" in vtext
    assert client.get("/api/v1/projects/JCP-000001/documents/PLAN.pdf",
                      headers=login(client, "midori")).status_code == 403


def test_evidence_is_content_addressed_and_checked_on_download(
        client: TestClient, sqlite_registry: Registry) -> None:
    import hashlib

    taiyo = login(client, "taiyo")
    content = "月,発電量kWh\n2026-12,120.5\n".encode()
    sha = hashlib.sha256(content).hexdigest()
    files = {"file": ("発電量.csv", content, "text/csv")}
    first = client.post("/api/v1/projects/JCP-000001/evidence", files=files,
                        headers=taiyo | {"Idempotency-Key": "e1"})
    assert first.status_code == 201, first.text
    assert first.json()["sha256"] == sha and first.json()["already_attached"] is False
    same = client.post("/api/v1/projects/JCP-000001/evidence", files=files,
                       headers=taiyo | {"Idempotency-Key": "e2"})
    assert same.json()["already_attached"] is True
    detail = client.get("/api/v1/projects/JCP-000001", headers=taiyo).json()
    assert [e["sha256"] for e in detail["evidence"]] == [sha]
    download = client.get(f"/api/v1/projects/JCP-000001/evidence/{sha}", headers=taiyo)
    assert download.content == content and download.headers["X-Content-SHA256"] == sha
    midori = login(client, "midori")
    assert client.get(f"/api/v1/projects/JCP-000001/evidence/{sha}",
                      headers=midori).status_code == 403
    assert client.post("/api/v1/projects/JCP-000001/evidence", files=files,
                       headers=midori | {"Idempotency-Key": "e3"}).status_code == 403
    # a file changed on disk is refused, not served
    path = sqlite_registry.evidence._path(sha)
    path.write_bytes(b"tampered")
    assert client.get(f"/api/v1/projects/JCP-000001/evidence/{sha}",
                      headers=taiyo).status_code == 409


def test_committee_agenda_lists_pending_and_past_decisions(client: TestClient) -> None:
    iinkai = login(client, "iinkai")
    agenda = client.get("/api/v1/projects/agenda", headers=iinkai).json()
    assert [d["action"] for d in agenda["decided"]] == ["register"]
    assert agenda["pending"] == []  # the demo period waits on the 審査機関, not the committee
    assert client.get("/api/v1/projects/agenda",
                      headers=login(client, "taiyo")).status_code == 403
    page = client.get("/agenda", headers=iinkai)  # the web page needs a session
    assert page.status_code in (200, 303)


def test_web_errors_lead_with_a_summary_in_the_readers_language(client: TestClient) -> None:
    bad = {"kind": "PV", "capacity_kw": "abc", "self_consumption_share": "0.5"}
    japanese = client.post("/estimate", data=bad)
    assert japanese.status_code == 422
    # the explanation in the reader's language under the field, then the precise detail
    assert ('<p class="field-error" id="in-capacity_kw-error">数値を入力してください。 '
            '<span class="detail" lang="en">(inputs.capacity_kw must be a number') in japanese.text
    assert "入力内容を確認してください" in japanese.text  # the form's summary
    client.cookies.set("lang", "en")
    english = client.post("/estimate", data=bad)
    assert '<p class="field-error" id="in-capacity_kw-error">Enter a number.' in english.text
    assert "Please check what you entered." in english.text


def test_the_project_page_offers_only_the_viewers_actions(client: TestClient) -> None:
    shinsa = client.get("/api/v1/projects/JCP-000001", headers=login(client, "shinsa")).json()
    taiyo = client.get("/api/v1/projects/JCP-000001", headers=login(client, "taiyo")).json()
    auditor = client.get("/api/v1/projects/JCP-000001", headers=login(client, "auditor")).json()
    assert shinsa["periods"][0]["allowed_actions"] == ["complete_verification", "return"]
    assert taiyo["periods"][0]["allowed_actions"] == ["withdraw"]
    assert auditor["periods"][0]["allowed_actions"] == [] and auditor["allowed_actions"] == []
    assert {n["action"] for n in taiyo["next_steps"]} == {"terminate"}


def test_removing_an_activity_over_http(client: TestClient) -> None:
    taiyo = login(client, "taiyo")
    holder = client.get("/api/v1/projects/JCP-000001", headers=taiyo).json()["holder_account"]
    number = client.post("/api/v1/projects", headers=taiyo | {"Idempotency-Key": "rp"}, json={
        "name": "下書き", "project_type": "PROGRAMME", "methodology": "EN-R-002",
        "holder_account": holder, "prefecture": "岐阜県", "address": "岐阜県岐阜市1",
        "start_date": "2026-01-01", "monitoring_start": "2026-12-01"}).json()["number"]
    client.post(f"/api/v1/projects/{number}/activities", headers=taiyo | {
        "Idempotency-Key": "ra"}, json={"code": "X-1", "address": "岐阜県岐阜市誤記1",
                                        "operation_start": "2026-01-01",
                                        "expected_tco2_per_year": "1"})
    removed = client.post(f"/api/v1/projects/{number}/activities/X-1/remove",
                          params={"reason": "誤記"}, headers=taiyo | {"Idempotency-Key": "rr"})
    assert removed.status_code == 200 and removed.json()["removed"] is True
    detail = client.get(f"/api/v1/projects/{number}", headers=taiyo).json()
    assert detail["activities"] == []
    assert detail["timeline"][-1]["action"] == "remove_activity"
    assert client.post("/api/v1/projects/JCP-000001/activities/HH-001/remove",
                       headers=taiyo | {"Idempotency-Key": "rr2"}).status_code == 409


@pytest.mark.parametrize("username", ["admin", "auditor", "midori", "taiyo", "shinsa", "iinkai"])
def test_every_role_sees_the_project_pages(client: TestClient, username: str) -> None:
    import re

    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    logged_in = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                            "csrf": csrf.group(1)}, follow_redirects=False)
    assert logged_in.status_code == 303
    assert client.get("/projects").status_code == 200
    page = client.get("/projects/JCP-000001")
    may_see = username not in ("midori",)
    assert page.status_code == (200 if may_see else 403)
    if may_see:
        assert "JCP-000001" in page.text and "timeline" in page.text
    agenda = client.get("/agenda")
    assert agenda.status_code == (200 if username in ("admin", "auditor", "iinkai") else 403)
    assert client.get("/estimate").status_code == 200


def test_methodology_pages_are_public(client: TestClient) -> None:
    listing = client.get("/methodologies")
    assert listing.status_code == 200
    assert "EN-R-002" in listing.text and "未検証" in listing.text  # the confidence, labelled
    page = client.get("/methodologies/FO-001")
    assert page.status_code == 200 and "44/12" in page.text and "stands[].species" in page.text
    assert client.get("/methodologies/XX-999").status_code == 404


def test_period_results_as_csv_for_the_verifier(client: TestClient) -> None:
    import csv as csv_module
    import io

    shinsa = login(client, "shinsa")
    response = client.get("/api/v1/projects/JCP-000001/periods/1/results.csv", headers=shinsa)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv_module.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 12 and rows[0]["activity"] == "HH-001"
    assert rows[0]["inputs"] == "el_self_kwh=1400"
    assert "CEF_grid SUBSTITUTE FY2023" in rows[0]["unverified_factors"]
    assert client.get("/api/v1/projects/JCP-000001/periods/9/results.csv",
                      headers=shinsa).status_code == 404

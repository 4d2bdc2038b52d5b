"""The public project list and the secretariat's import page (issue 16)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from tests.e2e.support import csrf_of
from tests.e2e.support import demo_client
from tests.e2e.support import web_log_in
from tests.unit.test_registered_projects import LIST

HEADER = ["No.", "申請日", "実施者", "実施場所", "保有者", "概要", "開始日", "方法論"]


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        yield test_client


def official_csv() -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(row for row in LIST if "No." in row)
    return out.getvalue().encode("cp932")


def test_import_page_then_the_public_list(client: TestClient) -> None:
    assert client.get("/registry/registered-projects/import").status_code in (401, 303, 200)
    web_log_in(client, "midori")
    assert client.get("/registry/registered-projects/import").status_code == 403
    client.cookies.clear()
    web_log_in(client, "admin")
    page = client.get("/registry/registered-projects/import")
    assert page.status_code == 200 and 'id="import-form"' in page.text
    none = client.post("/registry/registered-projects/import",
                       data={"csrf": csrf_of(page.text)})
    assert none.status_code == 422 and 'aria-invalid="true"' in none.text
    done = client.post("/registry/registered-projects/import",
                       data={"csrf": csrf_of(page.text)},
                       files={"file": ("projects.csv", official_csv(), "text/csv")})
    assert done.status_code == 200 and 'id="import-problems"' in done.text
    # the demo holds No. 10 already (as published, "FO-001 Ver.2.0"): the file updates it
    assert "追加 0 件、更新 1 件" in done.text and "holder_corporate_number" in done.text
    again = client.post("/registry/registered-projects/import",
                        data={"csrf": csrf_of(page.text)},
                        files={"file": ("projects.csv", official_csv(), "text/csv")})
    assert "追加 0 件" in again.text and "変更なし 1 件" in again.text

    anonymous = TestClient(client.app)
    listing = anonymous.get("/public/projects")
    assert listing.status_code == 200 and "中標津町" in listing.text
    assert "9000020016926" in listing.text and "FO-001" in listing.text
    found = anonymous.get("/public/projects", params={"q": "町有林", "methodology": "FO-001",
                                                      "prefecture": "北海道"})
    assert "中標津町" in found.text and "美深町" in found.text and "2 件" in found.text
    nothing = anonymous.get("/public/projects", params={"prefecture": "沖縄県"})
    assert "0 件" in nothing.text and "中標津町" not in nothing.text


def test_statistics_page_and_open_data(client: TestClient) -> None:
    anonymous = TestClient(client.app)
    page = anonymous.get("/public/statistics")
    assert page.status_code == 200 and 'data-chart="used-chart-data"' in page.text
    assert 'id="how-computed"' in page.text and "554" in page.text
    assert "森林" in page.text  # the demo's forest credits, named
    for dimension in ("methodology", "credit_type", "vintage", "prefecture"):
        assert anonymous.get(f"/public/statistics?by={dimension}").status_code == 200
    api = anonymous.get("/api/v1/public/statistics")
    assert api.status_code == 200 and api.headers["etag"]
    totals = api.json()["totals"]
    assert totals["issued"] == sum(t["issued"] for t in api.json()["by"]["category"].values())
    again = anonymous.get("/api/v1/public/statistics",
                          headers={"If-None-Match": api.headers["etag"]})
    assert again.status_code == 304
    csv_text = anonymous.get("/api/v1/public/statistics?format=csv&by=vintage").text
    assert csv_text.lstrip("\ufeff").startswith("vintage,issued,held")
    projects = anonymous.get("/api/v1/public/projects", params={"prefecture": "北海道"})
    body = projects.json()
    assert body["count"] == 2 and {p["no"] for p in body["data"]} == {"10", "219"}
    assert "last-modified" in projects.headers
    # nothing but the list's public columns
    assert set(body["data"][0]) == {"no", "source", "applied_on", "implementer",
                                    "implementer_corporate_number", "location", "prefecture",
                                    "holder", "holder_corporate_number", "summary",
                                    "start_date", "methodology_id", "methodology_version"}
    csv_projects = anonymous.get("/api/v1/public/projects?format=csv").text
    assert "中標津町" in csv_projects


PRIVATE = [re.compile(r"\b[A-Z]-\d{7}-\d\b"),  # account numbers
           re.compile(r"\$argon2"), re.compile(r"事務局 管理者|監査人"),  # users
           re.compile(r"\b(midori|hinoki|shoji|taiyo|shinsa|iinkai|auditor)\b"),
           re.compile(r"RE100 年次報告")]  # a pending application's purpose
# An executed application's purpose details: on the certificate its holder hands out (the
# verification page shows what the certificate says), never on the registry's public pages.
DETAILS = re.compile(r"の開催に伴うCO2排出量のオフセット")


def test_public_routes_show_no_private_field(client: TestClient) -> None:
    """Every public page and open-data route, as an anonymous visitor: no account number,
    no user, no password hash, nothing of an application that is not executed."""
    anonymous = TestClient(client.app)
    with client.app.state.registry.uow(write=False) as uow:
        token = uow.offsets.certificates(1)[0]["token"]
    routes = ["/public/projects", "/public/statistics", "/api/v1/public/projects",
              "/api/v1/public/projects?format=csv", "/api/v1/public/statistics",
              "/api/v1/public/statistics?format=csv&by=prefecture", "/offsets/calculator",
              "/offsets/factors/table", "/api/v1/public/offsets/factors",
              f"/verify/{token}", f"/api/v1/public/offsets/certificates/{token}"]
    routes += [f"/public/statistics?by={d}" for d in ("methodology", "credit_type", "vintage",
                                                      "prefecture")]
    listing = anonymous.get("/api/v1/public/projects").json()["data"]
    routes += [f"/public/projects/{p['no']}" for p in listing]
    routes += ["/public/invalidations", "/api/v1/public/invalidations",
               "/api/v1/public/invalidations?format=csv", "/cases",
               "/api/v1/public/cases?format=csv"]
    cases = anonymous.get("/api/v1/public/cases").json()
    assert cases["count"] >= 18
    for page in range(1, cases["pages"] + 1):  # every published case, page and JSON
        for case in anonymous.get("/api/v1/public/cases", params={"page": page}).json()[
                "data"]:
            routes += [f"/cases/{case['id']}", f"/api/v1/public/cases/{case['id']}"]
    for project in listing:  # every issuance's lineage, and every block's
        page = anonymous.get(f"/public/projects/{project['no']}").text
        for issuance in re.findall(r'href="(/public/credits/\d+)"', page):
            routes += [issuance, "/api/v1" + issuance]
            for held in anonymous.get("/api/v1" + issuance).json()["holdings"]:
                routes.append(f"{issuance}/blocks/{held['block_id']}")
    assert sum("/blocks/" in r for r in routes) >= 3
    for route in routes:
        response = anonymous.get(route)
        assert response.status_code == 200, route
        for pattern in PRIVATE:
            assert not pattern.search(response.text), (route, pattern.pattern)
        assert "certificates" in route or "/verify/" in route or not DETAILS.search(
            response.text), route
    # the daily full export: every file in it
    import zipfile
    archive = zipfile.ZipFile(io.BytesIO(anonymous.get("/api/v1/public/export").content))
    for name in archive.namelist():
        text = archive.read(name).decode("utf-8-sig")
        for pattern in (*PRIVATE, DETAILS):
            assert not pattern.search(text), (name, pattern.pattern)
    page = anonymous.get("/public/projects/JCP-000001")
    assert 'id="public-project-credits"' in page.text or 'id="no-credits"' in page.text
    assert anonymous.get("/public/projects/NOPE-1").status_code == 404

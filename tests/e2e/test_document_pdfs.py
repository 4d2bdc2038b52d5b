"""Every project document's PDF, read back as text: it says what the document's page says,
in Japanese (the crawl test's checker: no raw code, English sentence, UTC/ISO time or long
decimal), with the plan's activities and the monitoring report's values; the API's PDF is the
same PDF. The invalidation notice's PDF too, with a Japanese file name shown inline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from jcredit.bootstrap import Registry
from tests.e2e.support import demo_client
from tests.e2e.support import login
from tests.e2e.support import web_log_in
from tests.e2e.test_ui_crawl import problems_in

PROJECT = "JCP-000001"
DOCUMENTS = {"PLAN": "", "VALIDATION_REPORT": "", "MONITORING_REPORT": "?period=1",
             "VERIFICATION_REPORT": "?period=1", "CERTIFICATION_DECISION": "?period=1"}
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages)


def reader_problems(text: str) -> list[str]:
    """The crawl test's problems, and a date written as ISO (2026-11-23)."""
    return problems_in(text) + [f"ISO date {m!r}" for m in ISO_DATE.findall(text)]


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    """The demo, with period 1 verified (with a report) and certified: every kind of
    document exists."""
    with demo_client(sqlite_registry) as test_client:
        steps = [("shinsa", "complete_verification", {"report": {"現地確認": "12世帯を確認"}}),
                 ("taiyo", "apply_for_certification", {}), ("iinkai", "certify", {})]
        for username, action, extra in steps:
            response = test_client.post(
                f"/api/v1/projects/{PROJECT}/periods/1/actions",
                headers=login(test_client, username) | {"Idempotency-Key": action},
                json={"action": action, "comment": "適正"} | extra)
            assert response.status_code == 200, response.text
        yield test_client


def test_reader_problems_catch_what_the_old_pdfs_showed() -> None:
    old = ("created_at 2026-12-01T16:07:50.782302+00:00 methodology_id 種別 PROGRAMME 状態 "
           "PLAN_DRAFT IN_JAPAN site prefecture is in Japan 0.607600 FY2026 2027-03-31")
    found = " ".join(reader_problems(old))
    for expected in ("UTC time", "'PROGRAMME'", "'PLAN_DRAFT'", "'IN_JAPAN'", "English",
                     "long decimal '0.607600'", "'2027-03-31'", "untranslated key 'created_at'"):
        assert expected in found, expected


def test_every_document_pdf_reads_as_japanese_like_its_page(client: TestClient) -> None:
    web_log_in(client, "shinsa")
    api = login(client, "shinsa")
    texts = {}
    for kind, query in DOCUMENTS.items():
        response = client.get(f"/projects/{PROJECT}/documents/{kind}.pdf{query}")
        assert response.status_code == 200, (kind, response.text)
        text = texts[kind] = pdf_text(response.content)
        assert reader_problems(text) == [], (kind, text)
        # the API gives the same PDF (in Japanese whatever the reader's language)
        from_api = client.get(f"/api/v1/projects/{PROJECT}/documents/{kind}.pdf{query}",
                              headers=api)
        assert from_api.status_code == 200 and pdf_text(from_api.content) == text, kind
        # created 2026-11-23T03:00:00 UTC: 12:00 in Japan
        assert "2026年11月23日 12:00" in text, (kind, text)

    plan = texts["PLAN"]
    assert "種別 プログラム型" in plan and "計画書作成中" in plan
    assert "経団連低炭素社会実行計画 いいえ" in plan and "開始日 2025年4月1日" in plan
    # the twelve households, each with its address
    assert all(f"HH-{n:03d}" in plan for n in range(1, 13)), plan
    assert "岐阜県岐阜市長良福光12-14" in plan
    page = client.get(f"/projects/{PROJECT}/documents/PLAN").text  # and so does its page
    table = page.split('id="document-activities"', 1)[1].split("</table>", 1)[0]
    assert table.count("<td>2025年4月1日</td>") == 12 and "HH-012" in table

    validation = texts["VALIDATION_REPORT"]
    assert "実施場所の都道府県「岐阜県」は国内です" in validation
    assert "国内での実施" in validation and "適合" in validation

    monitoring = texts["MONITORING_REPORT"]
    # the monitored values, named as on the page, and the results rounded for people
    assert "自家消費電力量" in monitoring and "1,785" in monitoring, monitoring
    assert "8.29" in monitoring and "2026年度" in monitoring and "0.61" in monitoring
    assert "系統電力の排出係数" in monitoring and "2023年度" in monitoring
    assert "2026年11月23日 – 2027年3月31日" in monitoring

    assert "12世帯を確認" in texts["VERIFICATION_REPORT"]
    decision = texts["CERTIFICATION_DECISION"]
    assert f"{PROJECT}-01" in decision and "8" in decision


def test_the_notice_pdf_is_japanese_and_named_in_japanese(client: TestClient) -> None:
    # the demo executes invalidation 1 (an offset by shoji's organisation)
    web_log_in(client, "shoji")
    response = client.get("/invalidations/1/notice.pdf")
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("inline;"), disposition
    name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    assert name.startswith("JCN-") and name.endswith("_無効化通知書.pdf"), name
    text = pdf_text(response.content)
    assert "J-クレジット無効化通知書" in text and "年度" in text and "区分" in text
    assert reader_problems(text) == [], text
    page = client.get("/invalidations/1/notice").text  # the page says the same
    assert not ISO_DATE.search(page) and "journal seq" not in page and "年度</td>" in page
    from_api = client.get("/api/v1/invalidations/1/notice.pdf", headers=login(client, "shoji"))
    assert from_api.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''JCN-" in from_api.headers["content-disposition"]
    assert pdf_text(from_api.content) == text

"""Each role lands on its work (issue 12 item 10), and ``/`` tells a visitor what this is
(item 11): the login and ``/`` lead a logged-in user to its role's home."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from tests.e2e.support import demo_client
from tests.e2e.support import web_log_in as log_in

HOMES = {"midori": "/accounts", "taiyo": "/projects", "shinsa": "/queue",
         "iinkai": "/agenda", "admin": "/queue", "auditor": "/journal"}


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as test_client:
        yield test_client


@pytest.mark.parametrize(("username", "home"), sorted(HOMES.items()))
def test_the_login_and_the_root_lead_each_role_to_its_work(client: TestClient, username: str,
                                                           home: str) -> None:
    assert log_in(client, username) == home
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 303 and root.headers["location"] == home
    page = client.get(home)
    assert page.status_code == 200
    assert "口座一覧</h1>" not in page.text or username == "midori"


def test_the_verifier_lands_on_the_verification_waiting_for_it(client: TestClient) -> None:
    log_in(client, "shinsa")
    page = client.get("/queue").text
    assert "JCP-000001" in page and "検証" in page


def test_the_secretariat_lands_on_pending_invalidations_and_project_tasks(
        client: TestClient) -> None:
    log_in(client, "admin")
    page = client.get("/queue").text
    assert 'id="pending-invalidations"' in page and "RE100" in page
    assert 'href="/invalidations?status=PENDING"' in page


def test_the_root_tells_a_visitor_what_this_is_and_offers_login(client: TestClient) -> None:
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 200
    for link in ('href="/estimate"', 'href="/methodologies"', 'href="/api/docs"',
                 'href="/login"'):
        assert link in page.text
    assert "J-クレジット" in page.text and 'lang="en"' in page.text
    assert "J-Credit scheme" in page.text


def test_an_error_page_speaks_the_readers_language(client: TestClient) -> None:
    client.cookies.set("lang", "ja")
    log_in(client, "midori")
    page = client.get("/journal")
    assert page.status_code == 403
    assert "権限がありません" in page.text and "事務局にお問い合わせください" in page.text
    assert 'id="error-detail"' in page.text  # the system's detail, marked lang="en"
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "見つかりませんでした" in missing.text

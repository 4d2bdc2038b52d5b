"""What the API tests share: a client on a registry seeded with the demo, and a login."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from jcredit.entrypoints.api.app import create_app
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.entrypoints.demo import seed_demo


@contextmanager
def demo_client(registry: Registry) -> Iterator[TestClient]:
    seed_demo(registry)
    with TestClient(create_app(registry.settings, registry=registry)) as test_client:
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    """The Authorization header of a demo user's new token."""
    response = client.post("/api/v1/auth/token",
                           json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def web_log_in(client: TestClient, username: str) -> str:
    """Log a demo user in through the login form; where the login sends it."""
    import re

    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert match, "no CSRF field on /login"
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf": match.group(1)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    import re

    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field"
    return match.group(1)

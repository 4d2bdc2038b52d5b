"""Logins over HTTP: throttling answers 429 with Retry-After and never locks the owner out;
an unknown username costs the same time as a known one."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import AuthenticationError
from jcredit.entrypoints.api.app import create_app
from jcredit.service_layer import commands as c
from jcredit.service_layer.login_throttle import PAIR
from jcredit.service_layer.login_throttle import USERNAME
from jcredit.service_layer.login_throttle import LoginThrottle

PASSWORD = "granite orchard whistle 31"
PAIR_FREE = PAIR.free


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def registry(sqlite_registry: Registry) -> Registry:
    sqlite_registry.bus.handle(c.CreateUser(username="owner", password=PASSWORD,
                                            role="AUDITOR"), actor=SYSTEM_ACTOR)
    return sqlite_registry


def client_at(registry: Registry, address: str) -> TestClient:
    return TestClient(create_app(registry.settings, registry=registry), client=(address, 40000))


@pytest.fixture
def throttle_clock(registry: Registry) -> Iterator[FakeClock]:
    fake = FakeClock()
    registry.throttle = LoginThrottle(fake)
    yield fake


def token(client: TestClient, password: str) -> object:
    return client.post("/api/v1/auth/token", json={"username": "owner", "password": password})


def test_a_guesser_gets_429_and_the_owner_still_logs_in(registry: Registry,
                                                        throttle_clock: FakeClock) -> None:
    guesser = client_at(registry, "198.51.100.7")
    statuses = []
    for _ in range(16):
        response = token(guesser, "wrong guess number one")
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["code"] == "too_many_attempts"
            throttle_clock.now += int(response.headers["retry-after"])
    assert 429 in statuses and statuses.count(401) > PAIR_FREE
    if statuses[-1] == 429:  # the wait is over: fail once more
        assert token(guesser, "wrong guess number one").status_code == 401
    refused = token(guesser, PASSWORD)  # even the right password waits at the guesser's
    assert refused.status_code == 429
    owner = client_at(registry, "192.0.2.1")
    first = token(owner, PASSWORD)
    if first.status_code == 429:  # slowed by the username's soft limit, never locked
        assert int(first.headers["retry-after"]) <= USERNAME.cap
        throttle_clock.now += int(first.headers["retry-after"])
        first = token(owner, PASSWORD)
    assert first.status_code == 200, first.text


def test_web_login_is_throttled_too(registry: Registry, throttle_clock: FakeClock) -> None:
    import re

    web = client_at(registry, "198.51.100.8")
    codes = []
    for _ in range(8):
        csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/login").text)
        assert csrf
        codes.append(web.post("/login", data={"username": "owner", "password": "nope nope",
                                              "csrf": csrf.group(1)},
                              follow_redirects=False).status_code)
    assert codes[0] == 401 and codes[-1] == 429


def test_unknown_and_known_usernames_take_the_same_time(registry: Registry) -> None:
    def duration(username: str) -> float:
        start = time.perf_counter()
        with pytest.raises(AuthenticationError):
            registry.authenticate(username, "not the password at all")
        return time.perf_counter() - start

    duration("owner"), duration("nobody-here")  # warm up (the dummy hash is made once)
    known, unknown = [], []
    for i in range(5):
        known.append(duration("owner"))
        unknown.append(duration(f"nobody-{i}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (known, unknown)

"""Failed logins: exponential back-off by (username, address), by address and (capped) by
username; nobody can lock the owner out; a success clears only its own counter."""

from __future__ import annotations

import pytest

from jcredit.domain.errors import TooManyAttemptsError
from jcredit.service_layer.login_throttle import ADDRESS
from jcredit.service_layer.login_throttle import PAIR
from jcredit.service_layer.login_throttle import QUIET_SECONDS
from jcredit.service_layer.login_throttle import USERNAME
from jcredit.service_layer.login_throttle import LoginThrottle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_for(throttle: LoginThrottle, username: str, address: str) -> int:
    try:
        throttle.check(username, address)
    except TooManyAttemptsError as error:
        assert error.retry_after >= 1
        return error.retry_after
    return 0


def fail(throttle: LoginThrottle, clock: FakeClock, username: str, address: str,
         times: int) -> None:
    """``times`` failures, each made as soon as the throttle allows it."""
    for _ in range(times):
        clock.now += wait_for(throttle, username, address)
        throttle.failed(username, address)


def test_the_wait_grows_exponentially_for_one_guesser() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    waits = []
    for _ in range(PAIR.free + 6):
        waits.append(wait_for(throttle, "admin", "203.0.113.9"))
        clock.now += waits[-1]
        throttle.failed("admin", "203.0.113.9")
    assert waits[:PAIR.free] == [0] * PAIR.free  # a few typing mistakes cost nothing
    assert waits[PAIR.free:] == [1, 2, 4, 8, 16, 32]


def test_a_guesser_elsewhere_cannot_lock_the_owner_out() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    fail(throttle, clock, "admin", "198.51.100.7", 40)  # far past every free allowance
    assert wait_for(throttle, "admin", "198.51.100.7") >= 60  # the guesser waits long
    owner_wait = wait_for(throttle, "admin", "192.0.2.1")
    assert owner_wait <= USERNAME.cap  # the owner is at most slowed, never locked
    clock.now += owner_wait
    throttle.check("admin", "192.0.2.1")  # and then gets a try


def test_a_success_does_not_erase_other_addresses_failures() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    fail(throttle, clock, "admin", "198.51.100.7", PAIR.free + 3)
    before = wait_for(throttle, "admin", "198.51.100.7")
    throttle.succeeded("admin", "192.0.2.1")  # the owner logs in from home
    assert wait_for(throttle, "admin", "198.51.100.7") == before > 0


def test_spraying_many_usernames_from_one_address_is_slowed() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    for i in range(ADDRESS.free + 3):
        fail(throttle, clock, f"user{i}", "198.51.100.7", 1)
    assert wait_for(throttle, "someone-new", "198.51.100.7") > 0
    assert wait_for(throttle, "someone-new", "192.0.2.1") == 0  # other addresses are not


def test_counters_start_again_after_a_quiet_hour() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    fail(throttle, clock, "admin", "198.51.100.7", PAIR.free + 2)
    clock.now += QUIET_SECONDS + 1
    assert wait_for(throttle, "admin", "198.51.100.7") == 0
    throttle.failed("admin", "198.51.100.7")
    assert wait_for(throttle, "admin", "198.51.100.7") == 0  # one failure, not eight


@pytest.mark.parametrize("username", ["Admin", " admin "])
def test_usernames_are_compared_as_logins_are(username: str) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    fail(throttle, clock, "admin", "198.51.100.7", PAIR.free + 1)
    assert wait_for(throttle, username, "198.51.100.7") > 0

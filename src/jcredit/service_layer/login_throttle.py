"""Failed logins slow the next attempt down, exponentially, without locking anyone out.

Three counters, each "failures since the last quiet hour" with the time of the last one:

* per (username, client address): the guesser at one address waits 1 s, 2 s, 4 s … up to
  15 minutes after the first few failures. The owner, at another address, is not affected:
  an attacker cannot lock the real user out (ASVS 2.2.1 without the lock-out).
* per client address, whatever the username: password spraying from one address slows the
  same way.
* per username, from anywhere: a distributed guesser is slowed too, but this limit only
  slows (its wait is capped at 30 s), so the owner can always get in.

A success clears only its own (username, address) counter: it proves nothing about the
other addresses, whose failures still count. The clock is injected (tests use a fake one).
State is per process; a restart forgets it, which only ever helps a legitimate user.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from jcredit.domain.errors import TooManyAttemptsError


@dataclass(frozen=True, slots=True)
class Rule:
    free: int  # failures allowed before any wait
    base: float  # the first wait, in seconds; doubled by each further failure
    cap: float  # the longest wait

    def wait(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.base * 2.0 ** (failures - self.free), self.cap)


PAIR = Rule(free=5, base=1.0, cap=15 * 60.0)
ADDRESS = Rule(free=20, base=1.0, cap=15 * 60.0)
USERNAME = Rule(free=10, base=1.0, cap=30.0)
QUIET_SECONDS = 3600.0  # a counter with no failure for this long starts again at zero
MAX_KEYS = 100_000  # bound the memory an attacker can make us use


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, ...], tuple[int, float]] = {}

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[tuple[str, ...], Rule], ...]:
        name = username.strip().lower()
        return ((("pair", name, address), PAIR), (("address", address), ADDRESS),
                (("username", name), USERNAME))

    def check(self, username: str, address: str) -> None:
        """Raise :class:`TooManyAttemptsError` while any counter asks the caller to wait."""
        now = self.clock()
        with self._lock:
            wait = max(self._remaining(key, rule, now)
                       for key, rule in self._keys(username, address))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyAttemptsError(
                f"too many failed logins; try again in {seconds} seconds",
                retry_after=seconds, field="password")

    def _remaining(self, key: tuple[str, ...], rule: Rule, now: float) -> float:
        failures, last = self._failures.get(key, (0, now))
        if now - last > QUIET_SECONDS:
            return 0.0
        return last + rule.wait(failures) - now

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                self._forget_quiet(now)
            for key, _ in self._keys(username, address):
                failures, last = self._failures.get(key, (0, now))
                if now - last > QUIET_SECONDS:
                    failures = 0
                self._failures[key] = (failures + 1, now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(username, address)[0][0], None)

    def _forget_quiet(self, now: float) -> None:
        for key in [k for k, (_, last) in self._failures.items() if now - last > QUIET_SECONDS]:
            del self._failures[key]
        if len(self._failures) >= MAX_KEYS:  # still full: drop the oldest half
            oldest = sorted(self._failures, key=lambda k: self._failures[k][1])
            for key in oldest[: len(oldest) // 2]:
                del self._failures[key]

"""Password hashing with Argon2id (argon2-cffi defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError


class Argon2PasswordHasher:
    """``fast``: the test environment's parameters (8 MiB, one pass), about 50 times
    cheaper, so that a suite creating hundreds of users stays quick. Never for real
    passwords; verification reads the parameters from each hash, so hashes of either kind
    verify with either hasher."""

    def __init__(self, *, fast: bool = False) -> None:
        self._hasher = (PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1) if fast
                        else PasswordHasher())

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    @functools.cached_property
    def dummy_hash(self) -> str:
        """A hash of a random password nobody knows, with the same parameters as real ones:
        checking a login for an unknown user against it costs what a known user's check
        costs, so the answer's timing does not tell which usernames exist."""
        return self.hash(secrets.token_urlsafe(32))

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

"""API tokens. Failed logins are limited per username (ASVS 2.2.1)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections import deque
from typing import Any

from fastapi import APIRouter

from jcredit.bootstrap import Registry
from jcredit.domain.errors import AuthenticationError
from jcredit.domain.errors import ConflictError
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.api.schemas import TokenRequest
from jcredit.service_layer.unit_of_work import User

router = APIRouter()

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
_failures: dict[str, deque[float]] = defaultdict(deque)


def login(registry: Registry, username: str, password: str) -> User:
    """Check a password, refusing after too many recent failures for the username."""
    key = username.strip().lower()
    now = time.monotonic()
    recent = _failures[key]
    while recent and now - recent[0] > WINDOW_SECONDS:
        recent.popleft()
    if len(recent) >= MAX_FAILURES:
        raise ConflictError("too many failed logins for this user; wait 15 minutes",
                            field="username")
    try:
        user = registry.authenticate(username, password)
    except AuthenticationError:
        recent.append(now)
        raise
    recent.clear()
    return user


@router.post("/auth/token", tags=["auth"])
def token(body: TokenRequest, registry: RegistryDep) -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    user = login(registry, body.username, body.password)
    return {"access_token": registry.issue_token(user), "token_type": "bearer",
            "expires_in": registry.settings.token_lifetime_hours * 3600,
            "role": user.role.value}

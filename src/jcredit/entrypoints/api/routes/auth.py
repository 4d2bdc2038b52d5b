"""API tokens. Failed logins slow further attempts down (ASVS 2.2.1, ``LoginThrottle``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi import Request

from jcredit.bootstrap import Registry
from jcredit.domain.errors import AuthenticationError
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.api.schemas import TokenRequest
from jcredit.service_layer.unit_of_work import User

router = APIRouter()


def client_address(request: Request) -> str:
    """The peer's address (behind a reverse proxy, run uvicorn with ``--proxy-headers`` and
    ``--forwarded-allow-ips`` so that this is the client's, not the proxy's)."""
    return request.client.host if request.client else "unknown"


def login(registry: Registry, username: str, password: str, address: str) -> User:
    """Check a password, slowed down after recent failures (``LoginThrottle``)."""
    registry.throttle.check(username, address)
    try:
        user = registry.authenticate(username, password)
    except AuthenticationError:
        registry.throttle.failed(username, address)
        raise
    registry.throttle.succeeded(username, address)
    return user


@router.post("/auth/token", tags=["auth"], responses={
    401: {"description": "Wrong username or password"},
    429: {"description": "Too many recent failures: wait the Retry-After seconds"}})
def token(body: TokenRequest, registry: RegistryDep, request: Request) -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    user = login(registry, body.username, body.password, client_address(request))
    return {"access_token": registry.issue_token(user), "token_type": "bearer",
            "expires_in": registry.settings.token_lifetime_hours * 3600,
            "role": user.role.value}

"""API tokens and passwords. Failed logins slow further attempts down (ASVS 2.2.1,
``LoginThrottle``). Tokens are short-lived (``JCREDIT_TOKEN_LIFETIME_HOURS``, default 24)
and revocable: by their holder (one, or the one presented), by a password change (all but
the caller's), by an administrator (all of a user's, with the web sessions)."""

from __future__ import annotations

from typing import Annotated
from typing import Any

from fastapi import APIRouter
from fastapi import Header
from fastapi import Path
from fastapi import Request
from fastapi import Response

from jcredit.bootstrap import Registry
from jcredit.bootstrap import hash_token
from jcredit.domain.errors import AuthenticationError
from jcredit.domain.errors import NotFoundError
from jcredit.entrypoints.api.deps import ActorDep
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.api.deps import presented_token
from jcredit.entrypoints.api.schemas import PasswordChange
from jcredit.entrypoints.api.schemas import TokenRequest
from jcredit.service_layer import commands as c
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


AuthorizationHeader = Annotated[str | None, Header()]


@router.delete("/auth/token", tags=["auth"], status_code=204)
def revoke_presented_token(actor: ActorDep, registry: RegistryDep,
                           authorization: AuthorizationHeader = None) -> Response:
    """Log out an API client: the token presented in this request stops working."""
    token = presented_token(authorization)
    if token is None:
        raise AuthenticationError("send the token to revoke as 'Authorization: Bearer <token>'")
    registry.revoke_token(token)
    return Response(status_code=204)


@router.get("/auth/tokens", tags=["auth"])
def list_tokens(actor: ActorDep, registry: RegistryDep,
                authorization: AuthorizationHeader = None) -> dict[str, Any]:
    """The caller's live tokens: id, created, expires, last used (never the token)."""
    assert actor.user_id is not None
    return {"data": registry.tokens_of(actor.user_id, current=presented_token(authorization))}


@router.delete("/auth/tokens/{token_id}", tags=["auth"], status_code=204)
def revoke_token(token_id: Annotated[int, Path(ge=1, le=2**63 - 1)], actor: ActorDep,
                 registry: RegistryDep) -> Response:
    """Revoke one of the caller's own tokens by its id."""
    assert actor.user_id is not None
    if not registry.revoke_token_id(actor.user_id, token_id):
        raise NotFoundError(f"you have no token {token_id}", field="token_id")
    return Response(status_code=204)


@router.post("/auth/password", tags=["auth"], responses={
    401: {"description": "The current password is wrong"},
    422: {"description": "The new password does not meet the policy"}})
def change_password(body: PasswordChange, actor: ActorDep, registry: RegistryDep,
                    request: Request, authorization: AuthorizationHeader = None
                    ) -> dict[str, Any]:
    """Change one's own password; every other session and token ends (the one used for
    this request stays)."""
    token = presented_token(authorization)
    session_id = request.session.get("sid") if "session" in request.scope else None
    keep = hash_token(token) if token else (hash_token(str(session_id)) if session_id else None)
    return registry.bus.handle(c.ChangePassword(
        username=actor.name, new_password=body.new_password,
        current_password=body.current_password, keep=keep), actor=actor).data


@router.delete("/users/{username}/sessions", tags=["users"])
def revoke_user_sessions(username: str, actor: ActorDep, registry: RegistryDep
                         ) -> dict[str, Any]:
    """Administrators: end every web session and API token of a user (e.g. a lost laptop)."""
    return registry.bus.handle(c.RevokeSessions(username=username), actor=actor).data

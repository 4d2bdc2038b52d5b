"""FastAPI dependencies: the registry, the current actor, role guards, idempotency keys.

They are ``async def`` on purpose: FastAPI runs every plain ``def`` dependency in the thread
pool, and each hop costs more than these functions do (a token lookup is one indexed read).
The command itself (a plain ``def`` route) still runs in the pool, off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from typing import Any

from fastapi import Depends
from fastapi import Header
from fastapi import Request

from jcredit.bootstrap import Registry
from jcredit.bootstrap import actor_for
from jcredit.domain.errors import AuthenticationError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role


async def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(get_registry)]


async def current_actor(request: Request, registry: RegistryDep,
                  authorization: Annotated[str | None, Header()] = None) -> Actor:
    """A bearer token (API clients) or the web session cookie (the browser)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
        user = registry.user_for_token(token.strip())
        if user is None:
            raise AuthenticationError("the token is unknown or expired; get a new one from "
                                      "POST /api/v1/auth/token")
        return actor_for(user)
    session_id = request.session.get("sid") if "session" in request.scope else None
    if session_id:
        user = registry.user_for_session(str(session_id))
        if user is not None:
            return actor_for(user)
    raise AuthenticationError("log in first: send 'Authorization: Bearer <token>'")


def presented_token(authorization: str | None) -> str | None:
    """The bearer token of an ``Authorization`` header, if there is one."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


ActorDep = Annotated[Actor, Depends(current_actor)]


def _check_role(actor: Actor, roles: tuple[Role, ...]) -> Actor:
    if actor.role not in roles:
        raise PermissionDeniedError(
            f"this needs the role {', '.join(r.value for r in roles)}; you are {actor.role}"
        )
    return actor


def require(*roles: Role) -> object:
    async def guard(actor: ActorDep) -> Actor:
        return _check_role(actor, roles)

    return Depends(guard)


WRITER_ROLES = (Role.ADMIN, Role.HOLDER, Role.IMPLEMENTER, Role.OPERATOR)
AuditDep = Annotated[Actor, require(Role.ADMIN, Role.AUDITOR)]


async def idempotency_key(idempotency_key: Annotated[str | None, Header()] = None) -> str:
    return _checked_key(idempotency_key)


def _checked_key(idempotency_key: str | None) -> str:
    if not idempotency_key or not idempotency_key.strip():
        raise ValidationError(
            "every write needs an Idempotency-Key header (a unique string per operation, "
            "e.g. a UUID): a retry with the same key returns the first response and changes "
            "nothing",
            field="Idempotency-Key",
        )
    return idempotency_key.strip()


IdempotencyKeyDep = Annotated[str, Depends(idempotency_key)]


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """A write route's caller, checked: the registry, the actor (role checked) and the
    Idempotency-Key. One dependency instead of four: FastAPI's cost per dependency is
    several times that of the token lookup, and a write is the registry's hot path."""

    registry: Registry
    actor: Actor
    key: str


def writer(*roles: Role) -> Any:
    async def write_request(request: Request,
                            authorization: Annotated[str | None, Header()] = None,
                            idempotency_key: Annotated[str | None, Header()] = None,
                            ) -> WriteRequest:
        registry: Registry = request.app.state.registry
        actor = await current_actor(request, registry, authorization)
        return WriteRequest(registry, _check_role(actor, roles), _checked_key(idempotency_key))

    return Depends(write_request)


AdminWrite = Annotated[WriteRequest, writer(Role.ADMIN)]
HolderWrite = Annotated[WriteRequest, writer(*WRITER_ROLES)]

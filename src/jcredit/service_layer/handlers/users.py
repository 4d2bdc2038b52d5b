"""Users and their roles."""

from __future__ import annotations

import re
from typing import Any

from jcredit.domain.errors import AuthenticationError
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.credits import parse_enum
from jcredit.domain.passwords import check_password
from jcredit.service_layer.actors import ORGANISATION_ROLES
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import ChangePassword
from jcredit.service_layer.commands import CreateUser
from jcredit.service_layer.commands import RevokeSessions
from jcredit.service_layer.handlers.lookups import organisation_by_corporate_number
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.unit_of_work import User

_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def create_user(cmd: CreateUser, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, action="creating a user")
    username = cmd.username.strip().lower()
    if not _USERNAME_RE.match(username):
        raise ValidationError(
            "username must be 3-64 lower-case letters, digits, '.', '_' or '-'", field="username"
        )
    check_password(cmd.password, username=username, display_name=cmd.display_name)
    role = parse_enum(Role, cmd.role, field="role")
    org_id = None
    if role in ORGANISATION_ROLES:
        if not cmd.organisation:
            raise ValidationError(f"a {role} user belongs to an organisation",
                                  field="organisation")
        org_id = organisation_by_corporate_number(ctx.uow, cmd.organisation).id
    elif cmd.organisation:
        raise ValidationError(f"a {role} user does not belong to an organisation",
                              field="organisation")
    if ctx.uow.users.by_username(username) is not None:
        raise ConflictError(f"username {username} is taken", field="username")
    user = ctx.uow.users.add(
        username=username,
        display_name=" ".join(cmd.display_name.split()) or username,
        role=role,
        organisation_id=org_id,
        password_hash=ctx.password_hasher.hash(cmd.password),
    )
    view = {"id": user.id, "username": user.username, "role": role.value,
            "organisation_id": org_id, "display_name": user.display_name}
    ctx.record(cmd.NAME, view)
    return view


def _user_named(ctx: CommandContext, username: str) -> User:
    user = ctx.uow.users.by_username(username.strip().lower())
    if user is None:
        raise NotFoundError(f"no user {username.strip().lower()!r}", field="username")
    return user


def change_password(cmd: ChangePassword, ctx: CommandContext) -> dict[str, Any]:
    """Own password: the current one proves it is the user (a stolen session alone cannot
    change it). Someone else's: administrators only (a reset)."""
    user = _user_named(ctx, cmd.username)
    if ctx.actor.user_id == user.id:
        if not cmd.current_password or not ctx.password_hasher.verify(
                user.password_hash, cmd.current_password):
            raise AuthenticationError("the current password is wrong",
                                      field="current_password")
    else:
        require_role(ctx.actor, Role.ADMIN, action="changing another user's password")
    check_password(cmd.new_password, username=user.username, display_name=user.display_name,
                   field="new_password")
    ctx.uow.users.set_password(user.id, ctx.password_hasher.hash(cmd.new_password))
    tokens, sessions = ctx.uow.users.revoke_all(user.id, keep=cmd.keep)
    view = {"username": user.username, "revoked_tokens": tokens, "revoked_sessions": sessions}
    ctx.record(cmd.NAME, {"username": user.username})
    return view


def revoke_sessions(cmd: RevokeSessions, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, action="ending a user's sessions")
    user = _user_named(ctx, cmd.username)
    tokens, sessions = ctx.uow.users.revoke_all(user.id)
    view = {"username": user.username, "revoked_tokens": tokens, "revoked_sessions": sessions}
    ctx.record(cmd.NAME, {"username": user.username})
    return view

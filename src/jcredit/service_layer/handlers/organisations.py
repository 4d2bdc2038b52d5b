"""Registering organisations (法人)."""

from __future__ import annotations

from typing import Any

from jcredit.domain.errors import ConflictError
from jcredit.domain.identifiers import parse_corporate_number
from jcredit.domain.organisations import parse_legal_name
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import CreateOrganisation
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.views import organisation_view


def create_organisation(cmd: CreateOrganisation, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, action="registering an organisation")
    name = parse_legal_name(cmd.name)
    number = parse_corporate_number(cmd.corporate_number)
    existing = ctx.uow.organisations.by_corporate_number(number)
    if existing is not None:
        raise ConflictError(
            f"法人番号 {number} is already registered as {existing.name}",
            field="corporate_number",
        )
    org = ctx.uow.organisations.add(name=name, corporate_number=number)
    view = organisation_view(org)
    ctx.record(cmd.NAME, view)
    return view

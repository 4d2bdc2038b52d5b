"""Opening holding accounts (保有口座): several per organisation, one per department."""

from __future__ import annotations

from typing import Any

from jcredit.domain.errors import ValidationError
from jcredit.domain.identifiers import format_account_number
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.credits import parse_enum
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import OpenAccount
from jcredit.service_layer.handlers.lookups import organisation_by_corporate_number
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.views import account_view


def open_account(cmd: OpenAccount, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, action="opening an account")
    kind = parse_enum(AccountKind, cmd.kind, field="kind")
    if kind is not AccountKind.HOLDING:
        raise ValidationError(
            f"organisations open holding accounts only; the {kind} account is the registry's",
            field="kind",
            valid=[AccountKind.HOLDING.value],
        )
    org = organisation_by_corporate_number(ctx.uow, cmd.organisation)
    name = " ".join(cmd.account_name.split()) or org.name
    if len(name) > 200:
        raise ValidationError("account_name is longer than 200 characters", field="account_name")
    account = ctx.uow.accounts.add(
        number=format_account_number(kind.prefix, ctx.next_account_seq()),
        kind=kind,
        organisation_id=org.id,
        name=name,
        opened_at=ctx.now_iso,
    )
    view = account_view(account) | {"organisation": org.name}
    # the id, for ledger check to rebuild the accounts table (postings name accounts by id)
    ctx.record(cmd.NAME, view | {"id": account.id})
    return view

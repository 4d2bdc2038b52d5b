"""Registry initialisation: the registry's own accounts and the first journal entry."""

from __future__ import annotations

from typing import Any

from jcredit.domain.identifiers import format_account_number
from jcredit.domain.ledger.accounts import REGISTRY_ACCOUNT_KINDS
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import InitialiseRegistry
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.views import account_view


def initialise_registry(cmd: InitialiseRegistry, ctx: CommandContext) -> dict[str, Any]:
    """Open the invalidation, retirement, cancellation, secretariat and buffer accounts.

    Idempotent by nature: a registry that has journal entries is already initialised.
    """
    require_role(ctx.actor, Role.ADMIN, action="initialising the registry")
    if ctx.state.head_seq > 0:
        return {"initialised": False, "accounts": []}
    opened = []
    for kind in REGISTRY_ACCOUNT_KINDS:
        account = ctx.uow.accounts.add(
            number=format_account_number(kind.prefix, ctx.next_account_seq()),
            kind=kind,
            organisation_id=None,
            name=kind.label_ja,
            opened_at=ctx.now_iso,
        )
        opened.append(account_view(account) | {"id": account.id})
    # the ids, for ledger check to rebuild the accounts table (postings name accounts by id)
    ctx.record(cmd.NAME, {"accounts": opened})
    opened = [{k: v for k, v in a.items() if k != "id"} for a in opened]
    return {"initialised": True, "accounts": opened}

"""Permission rules, checked by every handler (the routes check the role as well)."""

from __future__ import annotations

from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.ledger.accounts import Account
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.service_layer.actors import ACCOUNT_HOLDER_ROLES
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role


def require_role(actor: Actor, *roles: Role, action: str) -> None:
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDeniedError(f"{action} needs the role {allowed}; you are {actor.role}")


def require_account_control(actor: Actor, account: Account, *, action: str) -> None:
    """The caller may move credits out of ``account``.

    Holders act only on their own organisation's holding accounts; the administrator may
    act on any holding account (and the journal records that it did).
    """
    if account.kind is not AccountKind.HOLDING:
        raise PermissionDeniedError(
            f"{action}: credits in the {account.kind} account {account.number} cannot be moved"
        )
    if actor.role is Role.ADMIN:
        return
    if actor.role in ACCOUNT_HOLDER_ROLES and actor.organisation_id == account.organisation_id:
        return
    raise PermissionDeniedError(
        f"{action}: account {account.number} does not belong to your organisation"
    )


def require_own_account(actor: Actor, account: Account, *, action: str) -> None:
    """The caller may give an ordinary instruction (a transfer) for ``account``: only a
    member of the organisation that holds it, whatever the role. The secretariat moves a
    holder's credits only by a registry correction (``CorrectHolding``: a reason, a second
    confirmation, journaled, the holder notified). The composition root's own actor
    (``via == "system"``: demo seeding and tests; no entrypoint acts as it) is not a person
    and is not refused."""
    if account.kind is not AccountKind.HOLDING:
        raise PermissionDeniedError(
            f"{action}: credits in the {account.kind} account {account.number} cannot be moved"
        )
    if actor.via == "system" or (actor.role in ACCOUNT_HOLDER_ROLES
                                 and actor.organisation_id == account.organisation_id):
        return
    raise PermissionDeniedError(
        f"{action}: account {account.number} does not belong to your organisation; only its "
        "holder transfers its credits (the secretariat uses a registry correction, "
        "credits.correct, with a reason)",
        field="from_account",
    )


def can_view_account(actor: Actor, account: Account) -> bool:
    if actor.role in (Role.ADMIN, Role.AUDITOR):
        return True
    return actor.organisation_id is not None and actor.organisation_id == account.organisation_id


def require_account_view(actor: Actor, account: Account) -> None:
    if not can_view_account(actor, account):
        raise PermissionDeniedError(
            f"account {account.number} does not belong to your organisation"
        )

"""Per-issuance breakdowns (held, reserved, invalidated, retired, cancelled) and a holder's
totals of credits that left for good.

Who sees what: the administrator and auditors see every issuance; a holder sees the
issuances of which its organisation's accounts hold live credits (the whole breakdown, as
every holder of those credits may check where the rest went). A holder's own totals are in
the account read, which only that holder, the administrator and auditors may see.
"""

from __future__ import annotations

from typing import Any

from jcredit.domain.errors import Issue
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.ledger.breakdown import Breakdown
from jcredit.domain.ledger.breakdown import state_of
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.projection import TABLE_FIELDS
from jcredit.domain.ledger.serials import MAX_SERIAL
from jcredit.domain.ledger.serials import SerialRange
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.views import attributes_view
from jcredit.service_layer.views import render_serials

Issuance = tuple[int, CreditAttributes, int, int, int]


def _sees_all(actor: Actor) -> bool:
    return actor.role in (Role.ADMIN, Role.AUDITOR)


def _breakdowns(uow: AbstractUnitOfWork, issuances: list[Issuance], *, every: bool
                ) -> dict[int, Breakdown]:
    found = {root: Breakdown(issued=end - start + 1) for root, _, start, end, _ in issuances}
    roots = None if every else list(found)
    for root, kind, reserved, quantity in uow.projections.live_quantities(roots):
        if root in found:
            found[root].add(state_of(kind, reserved), quantity)
    return found


def _view(issuance: Issuance, breakdown: Breakdown) -> dict[str, Any]:
    root, a, start, end, seq = issuance
    return {
        "id": root,
        "serials": render_serials(a, SerialRange(start, end)),
        "first_serial": start,
        "last_serial": end,
        **attributes_view(a),
        "issued_seq": seq,
        "breakdown": breakdown.as_dict(),
    }


def issuances_for(uow: AbstractUnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """Every issuance the actor may see, with its breakdown, oldest first."""
    if _sees_all(actor):
        issuances = uow.projections.issuances()
    else:
        issuances = uow.projections.issuances(organisation_id=actor.organisation_id or -1)
    breakdowns = _breakdowns(uow, issuances, every=_sees_all(actor))
    return [_view(i, breakdowns[i[0]]) for i in issuances]


def issuance_detail(uow: AbstractUnitOfWork, actor: Actor, ref: str | int
                    ) -> list[dict[str, Any]]:
    """The issuance with id ``ref``, or the issuances of 認証番号 ``ref`` (one per vintage)."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit() and int(text) <= MAX_SERIAL:  # a 64-bit key
        issuances = uow.projections.issuances(root_ids=[int(text)])
    else:
        issuances = uow.projections.issuances(certification_number=text)
    if not issuances:
        raise NotFoundError(f"issuance: no issuance with id or 認証番号 {text!r}",
                            field="issuance")
    if not _sees_all(actor):
        held = {i[0] for i in uow.projections.issuances(
            root_ids=[i[0] for i in issuances], organisation_id=actor.organisation_id or -1)}
        if not held:
            raise PermissionDeniedError(
                f"issuance {text}: your organisation holds none of its credits")
        issuances = [i for i in issuances if i[0] in held]
    breakdowns = _breakdowns(uow, issuances, every=False)
    return [_view(i, breakdowns[i[0]]) for i in issuances]


def breakdown_issues(uow: AbstractUnitOfWork) -> list[Issue]:
    """For ``ledger check``: in every issuance, held + reserved + invalidated + retired +
    cancelled = issued, counted from the stored tables the views read (their values are
    not parsed, so a tampered row is reported, not raised)."""
    fields = TABLE_FIELDS["issuances"]
    first, last = fields.index("serial_start"), fields.index("serial_end")
    found = {root: Breakdown(issued=row[last] - row[first] + 1)
             for root, row in uow.projections.rows("issuances")}
    for root, kind, reserved, quantity in uow.projections.live_quantities():
        if root in found:
            found[root].add(state_of(kind, reserved), quantity)
    return [
        Issue("ISSUANCE_NOT_CONSERVED",
              f"issued {b.issued} but held + reserved + invalidated + retired + cancelled = "
              f"{b.accounted}", f"issuance {root}")
        for root, b in found.items() if not b.conserved]

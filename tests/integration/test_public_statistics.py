"""The public statistics agree with ``ledger check``'s totals (issue 16): on a registry
with some history and after random sequences of transfers, invalidations (executed,
pending, withdrawn), retirements and cancellations."""

from __future__ import annotations

import random
from typing import Any

import pytest

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import DomainError
from jcredit.service_layer import commands as c
from jcredit.service_layer import public_queries
from jcredit.service_layer import queries
from tests.conftest import issue
from tests.conftest import setup_two_orgs


def run(registry: Registry, command: c.Command) -> dict[str, Any]:
    return registry.bus.handle(command, actor=SYSTEM_ACTOR).data


def agree(registry: Registry) -> dict[str, Any]:
    with registry.uow(write=False) as uow:
        stats = public_queries.statistics(uow)
        check = queries.check_ledger(uow)
    assert check.ok, check.issues
    totals, ledger = stats["totals"], check.totals
    assert totals["issued"] == ledger.issued
    assert totals["held"] + totals["reserved"] == ledger.held
    assert (totals["invalidated"], totals["retired"], totals["cancelled"]) == (
        ledger.invalidated, ledger.retired, ledger.cancelled)
    for dimension in stats["by"].values():  # every dimension adds up to the totals
        assert {k: sum(t[k] for t in dimension.values()) for k in totals} == totals
    return stats


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_statistics_agree_with_the_ledger_check(registry: Registry, seed: int) -> None:
    rng = random.Random(seed)
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 40, vintage=2023)
    issue(registry, acc["a"], 25, category="FOREST", credit_type="FM", vintage=2024)
    issue(registry, acc["b"], 12, scheme="KC", credit_type="KC", category="ENERGY_SAVING")
    pending: list[int] = []
    for _ in range(25):
        source = rng.choice([acc["a"], acc["b"]])
        other = acc["b"] if source == acc["a"] else acc["a"]
        action = rng.choice(["transfer", "apply", "execute", "withdraw", "retire", "cancel"])
        quantity = rng.randint(1, 6)
        try:
            if action == "transfer":
                run(registry, c.TransferCredits(from_account=source, to_account=other,
                                                quantity=quantity))
            elif action == "apply":
                pending.append(run(registry, c.ApplyInvalidation(
                    from_account=source, quantity=quantity, use="OFFSET",
                    offset_purpose=rng.choice(["EVENT", "ORGANIZATION", "DONATION"]),
                    purpose_details="統計テスト", credit_user_name="株式会社エー",
                    fiscal_year=2026))["id"])
            elif action == "execute" and pending:
                run(registry, c.ExecuteInvalidations(application_ids=(pending.pop(0),),
                                                     confirm=True))
            elif action == "withdraw" and pending:
                run(registry, c.WithdrawInvalidation(application_id=pending.pop()))
            elif action == "retire":
                run(registry, c.RetireCredits(from_account=source, quantity=quantity,
                                              reason="償却", confirm=True))
            elif action == "cancel":
                run(registry, c.CancelCredits(from_account=source, quantity=quantity,
                                              reason="取消", confirm=True))
        except DomainError:
            pass  # not enough credits of the kind asked for: refused, nothing changed
    stats = agree(registry)
    assert stats["totals"]["issued"] == 77
    executed = sum(stats["offsets_by_purpose"].values())
    assert executed == stats["invalidations_by_use"].get("OFFSET", 0)
    assert set(stats["by"]["category"]) <= {"RENEWABLE_POWER", "FOREST", "ENERGY_SAVING"}

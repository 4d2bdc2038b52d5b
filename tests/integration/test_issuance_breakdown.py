"""Per issuance: held, reserved, invalidated, retired and cancelled t-CO2, adding up to the
issued quantity; a holder's invalidated, retired and cancelled totals; who may see them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.service_layer import commands as c
from jcredit.service_layer import issuance_queries
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from tests.conftest import issue
from tests.conftest import setup_two_orgs

OFFSET = {"use": "OFFSET", "offset_purpose": "SELF", "purpose_details": "イベント",
          "credit_user_name": "株式会社ビー", "fiscal_year": 2026}


def run(registry: Registry, command: c.Command) -> dict[str, Any]:
    return registry.bus.handle(command, actor=SYSTEM_ACTOR).data


def history(registry: Registry) -> dict[str, Any]:
    acc = setup_two_orgs(registry)
    first = issue(registry, acc["a"], 10, vintage=2024)
    legacy = issue(registry, acc["a"], 3, scheme="KC", credit_type="KC",
                   category="ENERGY_SAVING", vintage=2025)
    run(registry, c.TransferCredits(from_account=acc["a"], to_account=acc["b"], quantity=4))
    run(registry, c.ApplyInvalidation(from_account=acc["b"], quantity=1, **OFFSET))  # pending
    done = run(registry, c.ApplyInvalidation(from_account=acc["b"], quantity=2, **OFFSET))
    run(registry, c.ExecuteInvalidations(application_ids=(done["id"],), confirm=True))
    run(registry, c.CancelCredits(from_account=acc["a"], quantity=1, reason="取消",
                                  confirm=True))
    run(registry, c.RetireCredits(from_account=acc["a"], quantity=1, reason="償却",
                                  confirm=True))
    with registry.uow(write=False) as uow:
        orgs = {o.corporate_number: o.id for o in uow.organisations.list()}
    return acc | {"first": first["block_id"], "legacy": legacy["block_id"], "orgs": orgs}


def holder_of(registry: Registry, org_id: int) -> Actor:
    return Actor(name="holder", role=Role.HOLDER, organisation_id=org_id)


def test_each_issuance_splits_into_states_that_add_up(registry: Registry) -> None:
    h = history(registry)
    auditor = Actor(name="auditor", role=Role.AUDITOR)
    with registry.uow(write=False) as uow:
        listed = {i["id"]: i["breakdown"] for i in issuance_queries.issuances_for(uow, auditor)}
        (by_number,) = issuance_queries.issuance_detail(
            uow, auditor, str(issuance_queries.issuance_detail(uow, auditor, h["first"])[0]
                              ["certification_number"]))
    # 10 issued to A; 4 to B, of which 1 is reserved and 2 invalidated; A cancels 1
    assert listed[h["first"]] == {"issued": 10, "held": 6, "reserved": 1, "invalidated": 2,
                                  "retired": 0, "cancelled": 1}
    # the retirement takes the legacy 国内クレジット (KC) only
    assert listed[h["legacy"]] == {"issued": 3, "held": 2, "reserved": 0, "invalidated": 0,
                                   "retired": 1, "cancelled": 0}
    assert by_number["breakdown"] == listed[h["first"]]
    for b in listed.values():
        assert b["held"] + b["reserved"] + b["invalidated"] + b["retired"] + b["cancelled"] \
            == b["issued"]
        assert all(isinstance(v, int) for v in b.values())


def test_a_holders_totals_are_in_its_account_read(registry: Registry) -> None:
    h = history(registry)
    with registry.uow(write=False) as uow:
        a = queries.account_detail(uow, SYSTEM_ACTOR, h["a"])
        b = queries.account_detail(uow, SYSTEM_ACTOR, h["b"])
    assert (a["invalidated"], a["retired"], a["cancelled"]) == (0, 1, 1)
    assert (b["invalidated"], b["retired"], b["cancelled"]) == (2, 0, 0)
    assert (b["balance"], b["reserved"]) == (2, 1)


def test_a_holder_sees_only_issuances_it_holds_credits_of(registry: Registry) -> None:
    from tests.conftest import ORG_B

    h = history(registry)
    holder_b = holder_of(registry, h["orgs"][ORG_B])
    with registry.uow(write=False) as uow:
        assert [i["id"] for i in issuance_queries.issuances_for(uow, holder_b)] == [h["first"]]
        (seen,) = issuance_queries.issuance_detail(uow, holder_b, h["first"])
        assert seen["breakdown"]["issued"] == 10  # the whole issuance, not B's part
        with pytest.raises(PermissionDeniedError):
            issuance_queries.issuance_detail(uow, holder_b, h["legacy"])
        with pytest.raises(PermissionDeniedError):
            queries.account_detail(uow, holder_b, h["a"])  # A's totals are A's
        with pytest.raises(NotFoundError) as missing:
            issuance_queries.issuance_detail(uow, holder_b, "NO-SUCH-CERT")
        assert missing.value.field == "issuance"
        outsider = Actor(name="x", role=Role.HOLDER, organisation_id=None)
        assert issuance_queries.issuances_for(uow, outsider) == []


def test_ledger_check_asserts_every_issuance_adds_up_in_the_tables(registry: Registry) -> None:
    h = history(registry)
    with registry.uow(write=False) as uow:
        assert queries.check_ledger(uow).ok
    with registry.engine.begin() as connection:  # a live block vanishes from the tables
        connection.execute(text("DELETE FROM blocks WHERE closed_seq IS NULL AND root_id = "
                                f"{h['legacy']} AND account_id = (SELECT id FROM accounts "
                                "WHERE kind = 'RETIREMENT')"))
    with registry.uow(write=False) as uow:
        problems = [str(i) for i in queries.check_ledger(uow).issues]
    assert (f"ISSUANCE_NOT_CONSERVED [issuance {h['legacy']}]: issued 3 but held + reserved "
            "+ invalidated + retired + cancelled = 2") in problems

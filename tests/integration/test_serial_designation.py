"""A serial designation written as a full serial number must match the credits it names
(scheme, credit type, 認証番号 and range), through the message bus, or nothing moves."""

from __future__ import annotations

from typing import Any

import pytest

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import SerialRangeUnavailableError
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries
from tests.conftest import issue
from tests.conftest import setup_two_orgs


def run(registry: Registry, command: c.Command) -> dict[str, Any]:
    return registry.bus.handle(command, actor=SYSTEM_ACTOR).data


def holdings(registry: Registry, account: str) -> list[tuple[int, int]]:
    with registry.uow(write=False) as uow:
        detail = queries.account_detail(uow, SYSTEM_ACTOR, account)
    return [(b["first_serial"], b["last_serial"]) for b in detail["blocks"]]


def test_a_foreign_serial_number_moves_nothing_and_the_right_one_moves_its_credits(
        registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issued = issue(registry, acc["a"], 10)
    first = int(str(issued["first_serial"]))
    prefix = str(issued["serials"]).rsplit("-", 2)[0]  # JC-ER-<認証番号>
    before = holdings(registry, acc["a"])
    offset = {"use": "OFFSET", "offset_purpose": "SELF", "purpose_details": "イベント",
              "credit_user_name": "株式会社エー", "fiscal_year": 2026}
    for command in (
            c.TransferCredits(from_account=acc["a"], to_account=acc["b"],
                              serials=f"KC-KC-NO-SUCH-CERT-{first}-{first + 4}"),
            c.ApplyInvalidation(from_account=acc["a"],
                                serials=f"JC-ER-NO-SUCH-CERT-{first}-{first + 4}", **offset),
            c.CancelCredits(from_account=acc["a"], serials=f"JCL-ER-{prefix[6:]}-{first}-{first}",
                            reason="取消", confirm=True)):
        with pytest.raises(SerialRangeUnavailableError) as raised:
            run(registry, command)
        assert raised.value.field == "serials"
    assert holdings(registry, acc["a"]) == before
    moved = run(registry, c.TransferCredits(
        from_account=acc["a"], to_account=acc["b"],
        serials=f"{prefix}-{first:010d}-{first + 4:010d}"))
    assert [(b["first_serial"], b["quantity"]) for b in moved["blocks"]] == [(first, 5)]
    assert holdings(registry, acc["b"]) == [(first, first + 4)]

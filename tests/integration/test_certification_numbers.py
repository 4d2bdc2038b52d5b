"""A クレジット認証番号 is issued once, on every issuance path (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from jcredit.adapters.db import tables
from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import ConflictError
from jcredit.service_layer import commands as c
from jcredit.service_layer import project_queries
from jcredit.service_layer import queries
from tests.conftest import setup_two_orgs
from tests.integration.test_projects import World
from tests.integration.test_projects import certify_and_issue
from tests.integration.test_projects import registered_with_monitored_period


def issue_with(registry: Registry, account: str, certification_number: str, vintage: int
               ) -> dict[str, object]:
    return registry.bus.handle(c.IssueCredits(
        to_account=account, quantity=5, scheme="JC", credit_type="ER",
        category="RENEWABLE_POWER", project_id="P-1", vintage=vintage,
        certification_number=certification_number), actor=SYSTEM_ACTOR).data


def journal_length(registry: Registry) -> int:
    with registry.uow(write=False) as uow:
        return len(list(uow.journal.iterate()))


@pytest.mark.parametrize("vintage", [2024, 2025])
def test_credits_issue_refuses_a_certification_number_already_issued(
        registry: Registry, vintage: int) -> None:
    """Same 認証番号, same or another vintage: refused, naming the field; nothing written."""
    acc = setup_two_orgs(registry)
    first = issue_with(registry, acc["a"], "C-0042", 2024)
    before = journal_length(registry)
    with pytest.raises(ConflictError, match="C-0042") as raised:
        issue_with(registry, acc["b"], "C-0042", vintage)
    assert raised.value.field == "certification_number"
    assert str(first["block_id"]) in raised.value.message
    assert journal_length(registry) == before
    issue_with(registry, acc["b"], "C-0043", vintage)  # another number is fine
    with registry.uow(write=False) as uow:
        assert queries.check_ledger(uow).ok


def test_the_database_refuses_a_repeated_certification_number_and_vintage(
        registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issued = issue_with(registry, acc["a"], "C-0042", 2024)
    row = {"root_id": 10_000, "scheme": "JC", "credit_type": "ER",
           "category": "RENEWABLE_POWER", "project_id": "P-1", "methodology_id": "M",
           "methodology_version": "1", "certification_number": "C-0042", "vintage": 2024,
           "serial_start": int(str(issued["last_serial"])) + 1_000, "serial_end": 99_999,
           "issued_seq": 1}
    with pytest.raises(IntegrityError), registry.engine.begin() as connection:
        connection.execute(insert(tables.issuances).values(row))
    with registry.engine.begin() as connection:  # another vintage of a certification is fine
        connection.execute(insert(tables.issuances).values(row | {"vintage": 2025}))


def test_a_period_issuance_refuses_a_certification_number_issued_by_hand(
        registry: Registry) -> None:
    w = World(registry)
    project = registered_with_monitored_period(w)
    issue_with(registry, w.account, f"{project}-01", 2026)  # the number the period will get
    with pytest.raises(ConflictError) as raised:
        certify_and_issue(w, project, 1)
    assert raised.value.field == "certification_number"
    with registry.uow(write=False) as uow:
        (period,) = project_queries.project_detail(uow, w.secretariat, project)["periods"]
    assert period["state"] == "CERTIFIED"  # the issue step changed nothing

"""``ledger check`` rebuilds every journal-determined table from the journal and names each
difference: one direct SQL change to any field, or a row deleted, added or re-keyed, is
reported as exactly that difference (table, key, field, journal value, table value).

A registry with some history (issuances of three kinds, transfers, an executed, a pending
and a withdrawn invalidation application, a retirement, a cancellation) is built once per
database and copied for each case (SQLite: a file copy; PostgreSQL: CREATE DATABASE …
TEMPLATE). Cases come from ``TABLE_FIELDS``, so a field added there is tested here too.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from jcredit.adapters.db import tables
from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.domain.ledger.projection import TABLE_FIELDS
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from tests.conftest import ORG_B
from tests.conftest import Clock
from tests.conftest import fresh_sqlite_url
from tests.conftest import issue
from tests.conftest import make_registry
from tests.conftest import setup_two_orgs
from tests.pg_server import PostgresServer


def run(registry: Registry, command: c.Command) -> dict[str, Any]:
    return registry.bus.handle(command, actor=SYSTEM_ACTOR).data


def check(registry: Registry) -> list[str]:
    with registry.uow(write=False) as uow:
        return [str(i) for i in queries.check_ledger(uow).issues]


def differences(registry: Registry) -> list[str]:
    """The projection differences ledger check reports; any other finding may only be what
    the changed tables now show (an issuance whose stored blocks no longer add up)."""
    problems = check(registry)
    others = [p for p in problems if not p.startswith("PROJECTION_")]
    assert all(p.startswith("ISSUANCE_NOT_CONSERVED") for p in others), others
    return [p for p in problems if p.startswith("PROJECTION_")]


def make_history(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10, vintage=2024)
    issue(registry, acc["a"], 5, category="FOREST", credit_type="FM", vintage=2021)
    issue(registry, acc["a"], 3, scheme="KC", credit_type="KC", category="ENERGY_SAVING")
    run(registry, c.TransferCredits(from_account=acc["a"], to_account=acc["b"], quantity=6))
    offset = {"use": "OFFSET", "offset_purpose": "SELF", "purpose_details": "イベント",
              "credit_user_name": "株式会社ビー", "fiscal_year": 2026}
    executed = run(registry, c.ApplyInvalidation(from_account=acc["b"], quantity=2,
                                                 credit_user_corporate_number=ORG_B,
                                                 publish=True, **offset))
    run(registry, c.ExecuteInvalidations(application_ids=(executed["id"],), confirm=True))
    held = queries_first_serial(registry, acc["b"])
    run(registry, c.ApplyInvalidation(from_account=acc["b"], serials=f"{held}-{held}", **offset))
    withdrawn = run(registry, c.ApplyInvalidation(from_account=acc["b"], quantity=1, **offset))
    run(registry, c.WithdrawInvalidation(application_id=withdrawn["id"]))
    holder_b = Actor(name="b", role=Role.HOLDER, organisation_id=2)
    saved = registry.bus.handle(c.SaveOffsetCalculation(kind="PRODUCT", inputs={
        "kg_per_unit": "100", "units": 10}), actor=holder_b).data
    offset_of = registry.bus.handle(c.ApplyOffset(
        from_account=acc["b"], subject="製品", credit_user_name="株式会社ビー",
        fiscal_year=2026, calculation=saved["token"], scope="製品のライフサイクル",
        period="2026年度"), actor=holder_b).data
    run(registry, c.ExecuteInvalidations(application_ids=(offset_of["application_id"],),
                                         confirm=True))
    registry.bus.handle(c.IssueOffsetCertificate(application_id=offset_of["application_id"],
                                                 quantity="0.5"), actor=holder_b)
    run(registry, c.RetireCredits(from_account=acc["a"], quantity=1, reason="償却",
                                  confirm=True))
    run(registry, c.CancelCredits(from_account=acc["a"], quantity=1, reason="取消",
                                  confirm=True))
    case = run(registry, c.SubmitCase(case={
        "kind": "UTILISATION", "title": "製品のオフセット", "organisation": "株式会社ビー",
        "prefecture": "東京都", "uses": ["OFFSET"], "method": "PURCHASE", "mark": True,
        "summary": "製品のCO2をオフセットした。", "invalidations": [executed["id"]]}))
    run(registry, c.ReviewCase(case_id=case["id"], decision="RETURN", note="期間を"))
    run(registry, c.SubmitCase(case_id=case["id"], case={
        "kind": "UTILISATION", "title": "製品のオフセット", "organisation": "株式会社ビー",
        "prefecture": "東京都", "uses": ["OFFSET"], "method": "PURCHASE", "mark": True,
        "start_year": 2026, "summary": "製品のCO2をオフセットした。"}))
    listed = {"no": "10", "applied_at": "2013/12/27", "operator": "中標津町 9000020016926",
              "location": "北海道標津郡中標津町", "credit_buyer": "中標津町 9000020016926",
              "summary": "町有林における森林経営活動", "started_at": "2013/4/1",
              "methodology": "FO-001 Ver.2.0"}
    run(registry, c.ImportRegisteredProjects(rows=(listed,)))
    run(registry, c.ImportRegisteredProjects(rows=(listed | {"summary": "町有林の森林経営"},)))


def queries_first_serial(registry: Registry, account: str) -> int:
    with registry.uow(write=False) as uow:
        detail = queries.account_detail(uow, SYSTEM_ACTOR, account)
    return int(min(b["first_serial"] for b in detail["blocks"] if b["reserved_for"] is None))


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgres", marks=pytest.mark.postgres)])
def history(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[str, Any]]:
    """(kind, template): a registry database holding the history, to copy per test."""
    directory = tmp_path_factory.mktemp("history")
    clock = Clock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    if request.param == "sqlite":
        url = fresh_sqlite_url(request.getfixturevalue("sqlite_template"), directory)
    else:
        server: PostgresServer = request.getfixturevalue("pg_server")
        name = server.create_database(template=request.getfixturevalue("pg_template"))
        url = server.sqlalchemy_url(name)
    registry = make_registry(url, directory, clock)
    try:
        make_history(registry)
        assert check(registry) == []
    finally:
        registry.dispose()
    if request.param == "sqlite":
        yield "sqlite", Path(url.removeprefix("sqlite:///"))
        return
    yield "postgres", name
    server.drop_database(name)


@pytest.fixture
def registry(history: tuple[str, Any], request: pytest.FixtureRequest, tmp_path: Path
             ) -> Iterator[Registry]:
    kind, template = history
    if kind == "sqlite":
        target = tmp_path / "registry.sqlite3"
        shutil.copyfile(template, target)
        url = f"sqlite:///{target}"
    else:
        server: PostgresServer = request.getfixturevalue("pg_server")
        name = server.create_database(template=template)
        url = server.sqlalchemy_url(name)
    # a copy of a migrated, initialised registry: no migration run per case
    reg = bootstrap(Settings(database_url=url, data_dir=tmp_path, environment="test"),
                    migrate=False, clock=Clock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)))
    yield reg
    reg.dispose()
    if kind == "postgres":
        server.drop_database(name)


def tamper(registry: Registry, *statements: Any) -> None:
    """Run statements as someone with direct database access would: foreign keys off."""
    with registry.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection
        if sqlite:  # outside a transaction, where SQLite takes it
            raw.execute("PRAGMA foreign_keys=OFF")
        with connection.begin():
            if not sqlite:
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for statement in statements:
                connection.execute(statement)
        if sqlite:
            raw.execute("PRAGMA foreign_keys=ON")


# The row each case changes, and its key as ledger check names it.
def target(connection: Connection, table: str) -> tuple[Any, Any, dict[str, Any]]:
    """(key as reported, primary-key condition, row) of the row a case changes."""
    if table == "issuances":
        row = connection.execute(select(tables.issuances).order_by(
            tables.issuances.c.root_id)).mappings().first()
        assert row is not None
        return row["root_id"], tables.issuances.c.root_id == row["root_id"], dict(row)
    if table == "blocks":  # reserved for the executed application, then superseded
        row = connection.execute(select(tables.blocks).where(
            tables.blocks.c.reservation_id.isnot(None), tables.blocks.c.closed_seq.isnot(None))
            .order_by(tables.blocks.c.id)).mappings().first()
        assert row is not None
        return row["id"], tables.blocks.c.id == row["id"], dict(row)
    if table == "accounts":
        row = connection.execute(select(tables.accounts).where(
            tables.accounts.c.organisation_id.isnot(None)).order_by(tables.accounts.c.id)
        ).mappings().first()
        assert row is not None
        return row["number"], tables.accounts.c.id == row["id"], dict(row)
    if table == "offsets":
        row = connection.execute(select(tables.offsets)).mappings().first()
        assert row is not None
        return (row["application_id"], tables.offsets.c.application_id == row["application_id"],
                dict(row))
    if table == "offset_certificates":
        row = connection.execute(select(tables.offset_certificates)).mappings().first()
        assert row is not None
        return row["id"], tables.offset_certificates.c.id == row["id"], dict(row)
    if table == "registered_projects":
        row = connection.execute(select(tables.registered_projects)).mappings().first()
        assert row is not None
        return row["no"], tables.registered_projects.c.no == row["no"], dict(row)
    if table == "cases":
        row = connection.execute(select(tables.cases)).mappings().first()
        assert row is not None
        return row["id"], tables.cases.c.id == row["id"], dict(row)
    apps = tables.invalidation_applications
    row = connection.execute(select(apps).where(apps.c.status == "EXECUTED")).mappings().first()
    assert row is not None
    return row["id"], apps.c.id == row["id"], dict(row)


TABLES = ("issuances", "blocks", "accounts", "invalidation_applications", "offsets",
          "offset_certificates", "cases", "registered_projects")
NEW_TEXT = {"scheme": "JCL", "credit_type": "ERL", "category": "FOREST", "kind": "INVALIDATION",
            "use": "CDP", "status": "WITHDRAWN", "offset_purpose": "EVENT"}
FIELD_CASES = [(table, name) for table in TABLES for name in TABLE_FIELDS[table]]


def other_account(connection: Connection, not_id: int) -> tuple[int, str]:
    row = connection.execute(select(tables.accounts.c.id, tables.accounts.c.number).where(
        tables.accounts.c.id != not_id, tables.accounts.c.organisation_id.isnot(None))).first()
    assert row is not None
    return row[0], row[1]


@pytest.mark.parametrize(("table", "name"), FIELD_CASES,
                         ids=[f"{t}.{n}" for t, n in FIELD_CASES])
def test_a_changed_field_is_reported_with_both_values(registry: Registry, table: str,
                                                      name: str) -> None:
    with registry.engine.connect() as connection:
        key, where, row = target(connection, table)
        if name == "account":  # an application's account, shown by its number
            column = "account_id"
            new_id, new_value = other_account(connection, row["account_id"])
            old_value = connection.execute(select(tables.accounts.c.number).where(
                tables.accounts.c.id == row["account_id"])).scalar()
            written: Any = new_id
        else:
            column, old_value = name, row[name]
            if name == "organisation_id":
                new_value = connection.execute(select(tables.organisations.c.id).where(
                    tables.organisations.c.id != old_value)).scalar()
            elif isinstance(old_value, bool):  # a consent flag
                new_value = not old_value
            elif isinstance(old_value, int):
                new_value = old_value + 1000
            elif old_value is None:
                new_value = NEW_TEXT.get(name, 1000 if "seq" in name or "serial" in name
                                         or name.endswith("_id") else "tampered")
            else:
                new_value = NEW_TEXT.get(name, old_value[:-1] + chr(ord(old_value[-1]) ^ 1))
            written = new_value
    tamper(registry, update(getattr(tables, table)).where(where).values({column: written}))
    assert differences(registry) == [
        f"PROJECTION_MISMATCH [{table} {key}]: {name}: the journal says {old_value!r}, "
        f"the table {new_value!r}"]


@pytest.mark.parametrize("table", TABLES)
def test_a_deleted_row_is_reported_missing(registry: Registry, table: str) -> None:
    with registry.engine.connect() as connection:
        key, where, _ = target(connection, table)
    tamper(registry, delete(getattr(tables, table)).where(where))
    assert differences(registry) == [
        f"PROJECTION_MISSING_ROW [{table} {key}]: in the journal, not in the table"]


EXTRA_ROW = {
    "issuances": ("root_id", {"root_id": 90_000, "serial_start": 90_000, "serial_end": 90_009,
                              "certification_number": "FORGED-1"}),
    "blocks": ("id", {"id": 90_000}),
    "accounts": ("number", {"id": 900, "number": "H-9999999-9"}),
    "invalidation_applications": ("id", {"id": 900, "notice_number": None}),
    "offsets": ("application_id", {"application_id": 900}),
    "offset_certificates": ("id", {"id": 900, "number": "JCO-FORGED", "token": "forged-9"}),
    "cases": ("id", {"id": 900}),
    "registered_projects": ("no", {"no": "9999"}),
}


@pytest.mark.parametrize("table", TABLES)
def test_an_added_row_is_reported_extra(registry: Registry, table: str) -> None:
    with registry.engine.connect() as connection:
        _, _, row = target(connection, table)
    key_field, changes = EXTRA_ROW[table]
    tamper(registry, insert(getattr(tables, table)).values(row | changes))
    assert differences(registry) == [
        f"PROJECTION_EXTRA_ROW [{table} {changes[key_field]}]: in the table, not in the journal"]


def test_a_re_keyed_issuance_is_missing_under_its_key_and_extra_under_the_new_one(
        registry: Registry) -> None:
    """The issue's example: an issuance's key set to 0 (account show then reports 0)."""
    with registry.engine.connect() as connection:
        key, where, _ = target(connection, "issuances")
    tamper(registry, update(tables.issuances).where(where).values(root_id=0))
    assert sorted(differences(registry)) == [
        "PROJECTION_EXTRA_ROW [issuances 0]: in the table, not in the journal",
        f"PROJECTION_MISSING_ROW [issuances {key}]: in the journal, not in the table"]


def test_a_changed_deleted_or_added_period_issuance_is_reported(database_url: str,
                                                                tmp_path: Path) -> None:
    """A project's issued amounts (period_issuances) come from the period's issue entry."""
    from tests.integration.test_projects import World
    from tests.integration.test_projects import certify_and_issue
    from tests.integration.test_projects import registered_with_monitored_period

    registry = make_registry(database_url, tmp_path,
                             Clock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)))
    try:
        w = World(registry)
        project = registered_with_monitored_period(w)
        (issued,) = certify_and_issue(w, project, 1)["blocks"]
        assert check(registry) == []
        key = f"period_issuances {(project, 1, issued['vintage'])}"
        quantity = tables.period_issuances.c.quantity
        tamper(registry, update(tables.period_issuances).values(quantity=quantity + 1))
        problems = check(registry)
        assert (f"PROJECTION_MISMATCH [{key}]: quantity: the journal says "
                f"{issued['quantity']}, the table {issued['quantity'] + 1}") in problems
        assert all(not p.startswith("PROJECTION") or p.startswith(f"PROJECTION_MISMATCH [{key}]")
                   for p in problems)  # the others are project_issues' own findings
        tamper(registry, update(tables.period_issuances).values(quantity=quantity - 1,
                                                                root_id=0))
        assert [p for p in check(registry) if p.startswith("PROJECTION")] == [
            f"PROJECTION_MISMATCH [{key}]: root_id: the journal says {issued['block_id']}, "
            "the table 0"]
        tamper(registry, delete(tables.period_issuances))
        assert [p for p in check(registry) if p.startswith("PROJECTION")] == [
            f"PROJECTION_MISSING_ROW [{key}]: in the journal, not in the table"]
    finally:
        registry.dispose()


def test_a_kind_that_is_not_one_is_reported_not_raised(registry: Registry) -> None:
    with registry.engine.connect() as connection:
        key, where, row = target(connection, "accounts")
    tamper(registry, update(tables.accounts).where(where).values(kind="BOGUS"))
    assert differences(registry) == [
        f"PROJECTION_MISMATCH [accounts {key}]: kind: the journal says {row['kind']!r}, "
        "the table 'BOGUS'"]

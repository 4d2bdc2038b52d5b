"""The ledger on a real database, SQLite and PostgreSQL in turn."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain import errors as e
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from tests.conftest import Clock
from tests.conftest import issue
from tests.conftest import make_registry
from tests.conftest import race
from tests.conftest import setup_two_orgs


def run(registry: Registry, command: c.Command, actor: Actor = SYSTEM_ACTOR,
        key: str | None = None) -> dict[str, Any]:
    return registry.bus.handle(command, actor=actor, idempotency_key=key).data


def balance(registry: Registry, account: str) -> int:
    with registry.uow(write=False) as uow:
        return int(queries.account_detail(uow, SYSTEM_ACTOR, account)["balance"])


def check(registry: Registry) -> list[str]:
    with registry.uow(write=False) as uow:
        return [str(i) for i in queries.check_ledger(uow).issues]


def journal_length(registry: Registry) -> int:
    with registry.uow(write=False) as uow:
        return len(list(uow.journal.iterate()))


def test_issue_transfer_invalidate_execute_keeps_every_invariant(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    first = issue(registry, acc["a"], 100, vintage=2025)
    second = issue(registry, acc["a"], 50, vintage=2023)
    assert second["first_serial"] == first["last_serial"] + 1  # one registry-wide sequence

    moved = run(registry, c.TransferCredits(from_account=acc["a"], to_account=acc["b"],
                                            quantity=60))
    # Oldest vintage first: all 50 of FY2023, then 10 of FY2025.
    assert [(b["vintage"], b["quantity"]) for b in moved["blocks"]] == [(2023, 50), (2025, 10)]
    run(registry, c.TransferCredits(from_account=acc["a"], to_account=acc["b"], serials="90-100"))
    assert balance(registry, acc["a"]) == 79 and balance(registry, acc["b"]) == 71

    application = run(registry, c.ApplyInvalidation(
        from_account=acc["b"], quantity=20, use="RE100", purpose_details="RE100 report",
        credit_user_name="株式会社ビー", fiscal_year=2026))
    with registry.uow(write=False) as uow:
        detail = queries.account_detail(uow, SYSTEM_ACTOR, acc["b"])
    assert (detail["balance"], detail["reserved"], detail["available"]) == (71, 20, 51)
    with pytest.raises(e.InsufficientCreditsError):
        run(registry, c.TransferCredits(from_account=acc["b"], to_account=acc["a"], quantity=52))

    result = run(registry, c.ExecuteInvalidations(application_ids=(application["id"],),
                                                  confirm=True))
    assert result["executed"][0]["notice_number"].startswith("JCN-2026-")
    assert balance(registry, acc["b"]) == 51
    assert check(registry) == []
    with registry.uow(write=False) as uow:
        totals = queries.check_ledger(uow).totals
    assert (totals.issued, totals.held, totals.invalidated) == (150, 130, 20)


def test_executed_invalidation_cannot_be_executed_or_withdrawn_again(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    app = run(registry, c.ApplyInvalidation(from_account=acc["a"], quantity=5, use="OFFSET",
                                            offset_purpose="SELF", purpose_details="x",
                                            credit_user_name="A", fiscal_year=2026))
    run(registry, c.ExecuteInvalidations(application_ids=(app["id"],), confirm=True))
    for command in (c.ExecuteInvalidations(application_ids=(app["id"],), confirm=True),
                    c.WithdrawInvalidation(application_id=app["id"])):
        with pytest.raises(e.InvalidStateError, match="EXECUTED"):
            run(registry, command)


def test_withdrawal_releases_the_reservation(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    app = run(registry, c.ApplyInvalidation(from_account=acc["a"], serials="3-7", use="CDP",
                                            purpose_details="CDP", credit_user_name="A",
                                            fiscal_year=2026))
    run(registry, c.WithdrawInvalidation(application_id=app["id"]))
    moved = run(registry, c.TransferCredits(from_account=acc["a"], to_account=acc["b"],
                                            serials="1-10"))
    assert moved["quantity"] == 10
    assert check(registry) == []


def test_batch_execution_skips_applications_whose_year_closed(registry: Registry,
                                                              clock: Clock) -> None:
    from datetime import UTC
    from datetime import datetime

    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    clock.now = datetime(2026, 6, 30, 3, 0, tzinfo=UTC)  # 30 June: FY2025 still open
    old = run(registry, c.ApplyInvalidation(from_account=acc["a"], quantity=2,
                                            use="ONTAIHO_EMISSIONS", purpose_details="温対法",
                                            credit_user_name="A", fiscal_year=2025))
    ok = run(registry, c.ApplyInvalidation(from_account=acc["a"], quantity=3,
                                           use="ONTAIHO_EMISSIONS", purpose_details="温対法",
                                           credit_user_name="A", fiscal_year=2026))
    clock.now = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)  # 1 July: FY2025 closed
    result = run(registry, c.ExecuteInvalidations(confirm=True))
    assert [a["id"] for a in result["executed"]] == [ok["id"]]
    assert [s["id"] for s in result["skipped"]] == [old["id"]]
    assert "2025" in result["skipped"][0]["reason"]


def test_retire_only_legacy_domestic_credits_and_cancel_needs_admin(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    issue(registry, acc["a"], 5, scheme="KC", credit_type="KC", category="ENERGY_SAVING",
          vintage=2012)
    retired = run(registry, c.RetireCredits(from_account=acc["a"], quantity=5, reason="償却",
                                            confirm=True))
    assert retired["blocks"][0]["scheme"] == "KC"
    with pytest.raises(e.InsufficientCreditsError, match="国内クレジット"):
        run(registry, c.RetireCredits(from_account=acc["a"], quantity=1, reason="x",
                                      confirm=True))
    holder = Actor(name="a", role=Role.HOLDER, organisation_id=1)
    with pytest.raises(e.PermissionDeniedError):
        run(registry, c.CancelCredits(from_account=acc["a"], quantity=1, reason="x",
                                      confirm=True), actor=holder)
    with pytest.raises(e.ConfirmationRequiredError):
        run(registry, c.CancelCredits(from_account=acc["a"], quantity=1, reason="x"))
    run(registry, c.CancelCredits(from_account=acc["a"], quantity=2, reason="double count",
                                  confirm=True))
    with registry.uow(write=False) as uow:
        totals = queries.check_ledger(uow).totals
    assert (totals.retired, totals.cancelled, totals.held) == (5, 2, 8)


BAD_INPUTS = [
    (lambda a: c.TransferCredits(from_account="H-9999999-1", to_account=a["b"], quantity=1),
     e.ValidationError),  # check digit wrong
    (lambda a: c.TransferCredits(from_account="H-0999999-6", to_account=a["b"], quantity=1),
     e.NotFoundError),
    (lambda a: c.TransferCredits(from_account=a["a"], to_account=a["b"], quantity=0),
     e.ValidationError),
    (lambda a: c.TransferCredits(from_account=a["a"], to_account=a["b"], quantity=-3),
     e.ValidationError),
    (lambda a: c.TransferCredits(from_account=a["a"], to_account=a["b"], quantity="2.5"),
     e.ValidationError),
    (lambda a: c.TransferCredits(from_account=a["a"], to_account=a["b"], quantity=11),
     e.InsufficientCreditsError),
    (lambda a: c.TransferCredits(from_account=a["a"], to_account=a["b"], serials="5-500"),
     e.SerialRangeUnavailableError),
    (lambda a: c.TransferCredits(from_account=a["a"], to_account=a["b"], quantity=1,
                                 serials="1-1"), e.ValidationError),
    (lambda a: c.TransferCredits(from_account=a["a"], to_account=a["a"], quantity=1),
     e.ValidationError),
    (lambda a: c.ApplyInvalidation(from_account=a["a"], quantity=1, use="SHOENE_HO",
                                   purpose_details="x", credit_user_name="A", fiscal_year=2026),
     e.InsufficientCreditsError),  # no energy-saving credits held
    (lambda a: c.ApplyInvalidation(from_account=a["a"], serials="1-2", use="SHOENE_HO",
                                   purpose_details="x", credit_user_name="A", fiscal_year=2026),
     e.IneligibleUseError),
    (lambda a: c.ApplyInvalidation(from_account=a["a"], quantity=1, use="OFFSET",
                                   purpose_details="x", credit_user_name="A", fiscal_year=2026),
     e.ValidationError),  # offset without sub-purpose
    (lambda a: c.ApplyInvalidation(from_account=a["a"], quantity=1, use="ONTAIHO_EF",
                                   purpose_details="x", credit_user_name="A", fiscal_year=2024),
     e.ValidationError),  # reporting year closed
    (lambda a: c.ApplyInvalidation(from_account=a["a"], quantity=1, use="NOPE",
                                   purpose_details="x", credit_user_name="A", fiscal_year=2026),
     e.ValidationError),
    (lambda a: c.IssueCredits(to_account=a["a"], quantity=5, scheme="JC", credit_type="ERL",
                              category="ENERGY_SAVING", project_id="P", vintage=2024),
     e.ValidationError),
    (lambda a: c.CreateOrganisation(name="株式会社シー", corporate_number="1234567890123"),
     e.ValidationError),
    (lambda a: c.ExecuteInvalidations(application_ids=(99,), confirm=True), e.NotFoundError),
]


@pytest.mark.parametrize(("make", "error"), BAD_INPUTS)
def test_bad_input_gets_a_clear_error_and_writes_nothing(
    registry: Registry, make: Any, error: type[e.DomainError]
) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    before = (journal_length(registry), balance(registry, acc["a"]), balance(registry, acc["b"]))
    with pytest.raises(error) as info:
        run(registry, make(acc))
    assert info.value.message and len(info.value.message) > 10
    after = (journal_length(registry), balance(registry, acc["a"]), balance(registry, acc["b"]))
    assert after == before
    assert check(registry) == []


def test_someone_elses_account_is_forbidden(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["b"], 10)
    holder_a = Actor(name="a", role=Role.HOLDER, organisation_id=1)
    with pytest.raises(e.PermissionDeniedError, match="does not belong"):
        run(registry, c.TransferCredits(from_account=acc["b"], to_account=acc["a"], quantity=1),
            actor=holder_a)
    with pytest.raises(e.PermissionDeniedError), registry.uow(write=False) as uow:
        queries.account_detail(uow, holder_a, acc["b"])
    assert balance(registry, acc["b"]) == 10


def test_idempotent_replay_returns_the_same_body_and_changes_nothing(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    command = c.TransferCredits(from_account=acc["a"], to_account=acc["b"], quantity=4)
    first = registry.bus.handle(command, actor=SYSTEM_ACTOR, idempotency_key="k-1")
    again = registry.bus.handle(command, actor=SYSTEM_ACTOR, idempotency_key="k-1")
    assert again.replayed and again.body == first.body
    assert balance(registry, acc["b"]) == 4
    with pytest.raises(e.IdempotencyKeyReusedError):
        registry.bus.handle(c.TransferCredits(from_account=acc["a"], to_account=acc["b"],
                                              quantity=5), actor=SYSTEM_ACTOR,
                            idempotency_key="k-1")


def test_a_ledger_response_is_kept_by_reference_and_replayed_byte_for_byte(
        registry: Registry) -> None:
    """Migration 0005: a response that is the journal payload plus its seq is not stored
    twice; the replay rebuilds it from the entry. Other responses keep their body."""
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    command = c.TransferCredits(from_account=acc["a"], to_account=acc["b"], quantity=3)
    first = registry.bus.handle(command, actor=SYSTEM_ACTOR, idempotency_key="ref-1")
    org = registry.bus.handle(c.CreateOrganisation(name="株式会社参照", corporate_number=
                                                   "2000012010019"),
                              actor=SYSTEM_ACTOR, idempotency_key="org-1")
    with registry.engine.connect() as conn:
        rows = {key: (body is None, seq) for key, body, seq in conn.execute(text(
            'SELECT "key", body, journal_seq FROM idempotency_keys '
            "WHERE \"key\" IN ('ref-1', 'org-1')"))}
    assert rows["ref-1"] == (True, first.data["journal_seq"])
    assert rows["org-1"] == (False, None)  # not the payload plus a seq: the body is stored
    again = registry.bus.handle(command, actor=SYSTEM_ACTOR, idempotency_key="ref-1")
    assert again.replayed and again.body == first.body
    org_again = registry.bus.handle(
        c.CreateOrganisation(name="株式会社参照", corporate_number="2000012010019"),
        actor=SYSTEM_ACTOR, idempotency_key="org-1")
    assert org_again.replayed and org_again.body == org.body
    assert balance(registry, acc["b"]) == 3


def test_the_journal_is_append_only_in_the_database(registry: Registry) -> None:
    setup_two_orgs(registry)
    for statement in ("UPDATE journal SET actor = 'x'", "DELETE FROM journal"):
        with pytest.raises(Exception, match="append-only"), registry.engine.begin() as conn:
            conn.execute(text(statement))
    assert journal_length(registry) > 0


def test_ledger_check_finds_a_tampered_projection(registry: Registry) -> None:
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    with registry.engine.begin() as conn:
        conn.execute(text("UPDATE blocks SET serial_end = serial_end + 5"))
    problems = check(registry)
    assert any("PROJECTION_MISMATCH" in p for p in problems)


def test_ledger_check_finds_a_block_whose_vintage_differs_from_its_issuance(
        registry: Registry) -> None:
    """Allocation order reads the vintage copied onto each block (migration 0006)."""
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10, vintage=2024)
    run(registry, c.TransferCredits(from_account=acc["a"], to_account=acc["b"], quantity=4))
    assert check(registry) == []
    with registry.engine.begin() as conn:
        changed = conn.execute(text("UPDATE blocks SET vintage = 2013 WHERE closed_seq IS NULL "
                                    "AND serial_start = (SELECT min(serial_start) FROM blocks "
                                    "WHERE closed_seq IS NULL)")).rowcount
    assert changed == 1
    problems = check(registry)
    assert len(problems) == 1 and problems[0].startswith("PROJECTION_MISMATCH [blocks ")
    assert problems[0].endswith("vintage: the journal says 2024, the table 2013")


def test_a_fresh_process_reads_the_attributes_of_issuances_it_has_not_seen(
        database_url: str, tmp_path: Path, clock: Clock) -> None:
    """A move reads blocks without their issuance's columns; a registry started on an
    existing database (a restarted server, the CLI) has none cached and reads each once."""
    first = make_registry(database_url, tmp_path, clock)
    try:
        acc = setup_two_orgs(first)
        issue(first, acc["a"], 10, vintage=2021, category="FOREST", credit_type="FM")
        issue(first, acc["a"], 10, vintage=2019, project="P-9")
    finally:
        first.dispose()
    second = make_registry(database_url, tmp_path, clock)
    try:
        moved = run(second, c.TransferCredits(from_account=acc["a"], to_account=acc["b"],
                                              quantity=12))
        assert [(b["vintage"], b["project_id"], b["category"], b["quantity"])
                for b in moved["blocks"]] == [(2019, "P-9", "RENEWABLE_POWER", 10),
                                              (2021, "P-1", "FOREST", 2)]
        assert check(second) == []
    finally:
        second.dispose()


def test_a_move_reads_the_account_in_allocation_order_from_the_index(sqlite_url: str) -> None:
    """No join to the issuances and no sort: the cost of a transfer does not grow with the
    number of blocks the account holds."""
    from jcredit.adapters.db import repositories
    from jcredit.adapters.db.engine import build_engine

    engine = build_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            sql = repositories._AVAILABLE_IN_ORDER._compile(conn).sql
            plan = " / ".join(row[3] for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + sql, (1,)))
    finally:
        engine.dispose()
    assert "ix_blocks_account_live" in plan
    assert "TEMP B-TREE" not in plan and "issuances" not in plan, plan


def test_racing_transfers_never_overdraw(registry: Registry) -> None:
    """Eight threads each try to move 3 of 10 credits out of one account at once."""
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)

    def attempt(i: int) -> str:
        try:
            registry.bus.handle(c.TransferCredits(from_account=acc["a"], to_account=acc["b"],
                                                  quantity=3), actor=SYSTEM_ACTOR,
                                idempotency_key=f"race-{i}")
            return "ok"
        except e.InsufficientCreditsError:
            return "insufficient"

    outcomes = race(attempt)
    assert outcomes.count("ok") == 3 and outcomes.count("insufficient") == 5
    assert (balance(registry, acc["a"]), balance(registry, acc["b"])) == (1, 9)
    assert check(registry) == []


def test_sqlite_writers_of_separate_engines_queue_on_the_writer_lock(sqlite_url: str) -> None:
    """Two writers with their own lock-file descriptions (as two processes have) take turns:
    the second waits in the kernel until the first releases, then gets the lock at once."""
    from jcredit.adapters.db.engine import build_engine
    from jcredit.adapters.db.unit_of_work import SqliteWriter

    engines = [build_engine(sqlite_url), build_engine(sqlite_url)]
    first, second = (SqliteWriter(engine) for engine in engines)
    acquired = threading.Event()

    def take_second() -> None:
        connection = second.acquire()
        acquired.set()
        second.release(connection)

    connection = first.acquire()
    held = True
    try:
        waiter = threading.Thread(target=take_second, daemon=True)
        waiter.start()
        assert not acquired.wait(0.3)  # held by the first writer
        first.release(connection)
        held = False
        assert acquired.wait(5)
        waiter.join(5)
    finally:
        if held:
            first.release(connection)
        first.close()
        second.close()
        for engine in engines:
            engine.dispose()


def _transfer_without_waiting(registry: Registry, acc: dict[str, str], key: str) -> Any:
    return registry.bus.handle(c.TransferCredits(from_account=acc["a"], to_account=acc["b"],
                                                 quantity=1), actor=SYSTEM_ACTOR,
                               idempotency_key=key, wait=False)


def test_a_command_that_must_not_wait_finds_the_writer_busy_at_once(
        sqlite_registry: Registry, sqlite_url: str) -> None:
    """``wait=False`` (what the API's event loop uses) never waits: not for a writer thread of
    this process, not for one of another process (its own lock file description), and not
    for a foreign program holding SQLite's write lock without our lock file. Each time
    nothing is written; once the writer is free, the same call runs."""
    import sqlite3
    import time

    from jcredit.adapters.db.engine import build_engine
    from jcredit.adapters.db.unit_of_work import SqliteWriter
    from jcredit.service_layer.unit_of_work import WriterBusyError

    registry = sqlite_registry
    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    before = journal_length(registry)

    def busy(label: str) -> None:
        started = time.perf_counter()
        with pytest.raises(WriterBusyError):
            _transfer_without_waiting(registry, acc, f"busy-{label}")
        assert time.perf_counter() - started < 0.5, label

    writer = registry.uow.writer
    assert writer is not None
    connection = writer.acquire()  # this process's writer, held by "another thread"
    try:
        busy("thread")
    finally:
        writer.release(connection)

    other_engine = build_engine(sqlite_url)
    other = SqliteWriter(other_engine)  # another process's writer
    connection = other.acquire()
    try:
        busy("process")
    finally:
        other.release(connection)
        other.close()
        other_engine.dispose()

    database = sqlite_url.removeprefix("sqlite:///")
    foreign = sqlite3.connect(database, isolation_level=None)  # e.g. an sqlite3 shell
    foreign.execute("BEGIN IMMEDIATE")
    try:
        busy("foreign")
    finally:
        foreign.execute("ROLLBACK")
        foreign.close()

    assert journal_length(registry) == before
    assert balance(registry, acc["b"]) == 0
    result = _transfer_without_waiting(registry, acc, "free")
    assert result.status_code == 200 and balance(registry, acc["b"]) == 1
    # The busy timeout is back: a waiting writer still waits (up to 60 s) as before.
    assert writer._connection is not None
    driver = writer._connection.connection.dbapi_connection
    assert driver is not None
    assert driver.execute("PRAGMA busy_timeout").fetchone()[0] == 60_000


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_postgres_has_no_write_that_never_waits(registry: Registry) -> None:
    """PostgreSQL waits on the network and on row locks: ``wait=False`` always declines, and
    the API runs the command in a worker thread."""
    from jcredit.service_layer.unit_of_work import WriterBusyError

    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    with pytest.raises(WriterBusyError):
        _transfer_without_waiting(registry, acc, "pg")
    assert balance(registry, acc["b"]) == 0


def test_a_token_lookup_sees_the_latest_commit_and_never_waits(registry: Registry) -> None:
    """The kept-open lookup connection runs outside any transaction: a token issued or a
    user added by another connection is visible to the very next lookup (no stale snapshot,
    on either database), and a second lookup while the first holds it uses the pool."""
    from jcredit.bootstrap import hash_token

    run(registry, c.CreateUser(username="tok", password="token-password-1", role="AUDITOR"))
    user = registry.authenticate("tok", "token-password-1")
    assert registry.user_for_token("not-a-token") is None  # opens the lookup connection
    token = registry.issue_token(user)  # committed through the writer
    found = registry.user_for_token(token)
    assert found is not None and found.username == "tok"
    with registry.uow(write=True) as uow:  # revoke by expiring it, from another connection
        uow.users.add_token(user_id=user.id, token_hash=hash_token("second"),
                            created_at="2020-01-01T00:00:00+00:00",
                            expires_at="2020-01-02T00:00:00+00:00")
        uow.commit()
    assert registry.user_for_token("second") is None  # expired

    lookup = registry.uow.lookup
    held = lookup.acquire()
    assert held is not None
    try:
        assert lookup.acquire() is None  # in use: nobody waits for it
        again = registry.user_for_token(token)  # falls back to a pooled connection
        assert again is not None and again.id == user.id
    finally:
        lookup.release(held, failed=False)
    after_failure = registry.uow(write=False, one_statement=True)
    with pytest.raises(RuntimeError), after_failure:
        raise RuntimeError("a statement failed")
    assert lookup._connection is not None and lookup._connection.invalidated
    assert registry.user_for_token(token) is not None  # a fresh connection next time


def test_accounts_are_cached_only_once_their_transaction_committed(
        registry: Registry) -> None:
    """Accounts (and issuance attributes) are kept in memory across units of work, since
    they are never updated. One seen only inside a transaction that rolled back must not
    be: the next unit of work finds no such account."""
    from jcredit.domain.identifiers import format_account_number
    from jcredit.domain.ledger.accounts import AccountKind

    number = format_account_number("H", 9_999_999)
    with registry.uow(write=True) as uow:
        uow.accounts.add(number=number, kind=AccountKind.HOLDING, organisation_id=None,
                         name="rolled back", opened_at="2026-04-01T00:00:00+00:00")
        assert uow.accounts.by_number(number) is not None  # visible inside its transaction
    with registry.uow(write=True) as uow:
        assert uow.accounts.by_number(number) is None
    assert number not in registry.uow.rows.accounts

    acc = setup_two_orgs(registry)
    issue(registry, acc["a"], 10)
    run(registry, c.TransferCredits(from_account=acc["a"], to_account=acc["b"], quantity=1))
    assert {acc["a"], acc["b"]} <= set(registry.uow.rows.accounts)  # committed: cached
    assert registry.uow.rows.attributes  # the issuance's attributes too
    with pytest.raises(e.NotFoundError):
        run(registry, c.TransferCredits(from_account=acc["a"], to_account=number, quantity=1))


def test_a_password_never_reaches_storage_not_even_inside_a_fingerprint(
        registry: Registry) -> None:
    """A user created or re-passworded with an Idempotency-Key: no table holds the password,
    and the stored fingerprint is the same whatever the password was (a fast hash of it
    would be an offline guesser's gift, ASVS V2.4)."""
    from sqlalchemy import text

    password = "correct horse battery staple 42"
    made = registry.bus.handle(c.CreateUser(username="kanri", password=password, role="ADMIN"),
                               actor=SYSTEM_ACTOR, idempotency_key="create-kanri")
    assert made.data["username"] == "kanri"
    other = c.CreateUser(username="kanri", password="another long passphrase 43", role="ADMIN")
    from jcredit.service_layer.messagebus import fingerprint

    same = c.CreateUser(username="kanri", password=password, role="ADMIN")
    assert fingerprint(other) == fingerprint(same)
    with registry.engine.connect() as connection:
        stored = [str(v) for table in ("idempotency_keys", "journal")
                  for row in connection.execute(text(f"SELECT * FROM {table}"))
                  for v in row]
    assert not any(password in v for v in stored)

"""``ledger check`` rebuilds the registry's tables from the journal alone
(``domain/ledger/projection.py``) and names every row and field the stored tables get wrong."""

from __future__ import annotations

from typing import Any

import pytest

from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.journal import GENESIS_HASH
from jcredit.domain.ledger.journal import JournalEntry
from jcredit.domain.ledger.journal import make_entry
from jcredit.domain.ledger.projection import TABLE_FIELDS
from jcredit.domain.ledger.projection import UNKNOWN
from jcredit.domain.ledger.projection import JournalProjection
from jcredit.domain.ledger.projection import compare_table
from tests.unit.test_domain_rules_replay import HOLD
from tests.unit.test_domain_rules_replay import HOLD2
from tests.unit.test_domain_rules_replay import INV
from tests.unit.test_domain_rules_replay import issue
from tests.unit.test_domain_rules_replay import move

AT = "2026-05-01T10:00:00+09:00"


def entry(seq: int, command: str, payload: dict[str, Any],
          *postings: dict[str, object], recorded_at: str = AT) -> JournalEntry:
    """One journal entry; the projection reads it alone (the chain is the replay's job)."""
    return make_entry(seq=seq, recorded_at=recorded_at, actor="admin", request_id="r",
                      idempotency_key=None, command=command, payload=payload,
                      postings=list(postings), prev_hash=GENESIS_HASH)


def rebuilt(*entries: JournalEntry) -> JournalProjection:
    projection = JournalProjection()
    for one in entries:
        projection.add(one)
    return projection


def issued_view(block_id: int, *, vintage: int = 2024, quantity: int = 100,
                **changes: object) -> dict[str, Any]:
    """The issued block as an issuance entry shows it (``views.block_view``)."""
    return {"block_id": block_id, "quantity": quantity, "scheme": "JC", "credit_type": "ER",
            "category": "RENEWABLE_POWER", "project_id": "P-0001",
            "methodology": "EN-R-002 v3.0", "certification_number": "P-0001-01",
            "vintage": vintage, "reserved_for": None, **changes}


def application(**changes: object) -> dict[str, Any]:
    """An invalidation application as its journal entries show it (``application_view``)."""
    return {"id": 4, "account": "H-0000006-7", "quantity": 50, "designation": "SERIALS",
            "serials": "101-150", "use": "OFFSET", "offset_purpose": "SELF",
            "purpose_details": "2026年度 報告", "credit_user_name": "株式会社サンプル",
            "credit_user_corporate_number": "7000012050002", "fiscal_year": 2026,
            "status": "PENDING", "applied_at": "t5", "applied_by": "holder",
            "executed_at": None, "executed_by": None, "notice_number": None,
            "published": False, **changes}


def differences(table: str, projection: JournalProjection,
                stored: list[tuple[Any, tuple[Any, ...]]]) -> list[str]:
    return [str(i) for i in compare_table(table, dict(projection.tables[table]), stored)]


# --- issuances and the blocks they create ---------------------------------------------------

def test_an_issuance_rebuilds_its_issuance_row_and_the_block_it_creates() -> None:
    projection = rebuilt(entry(3, "credits.issue", issued_view(1),
                               issue(1, 101, 200, HOLD)))
    assert projection.issues == []
    assert projection.tables["issuances"] == {1: (
        "JC", "ER", "RENEWABLE_POWER", "P-0001", "EN-R-002", "3.0", "P-0001-01", 2024,
        101, 200, 3)}
    assert projection.tables["blocks"] == {1: (1, HOLD, 101, 200, None, 3, None, 2024)}
    assert all(len(rows[key]) == len(TABLE_FIELDS[table])
               for table, rows in projection.tables.items() for key in rows)


def test_a_stored_issuance_that_differs_from_the_journal_is_named_field_by_field() -> None:
    projection = rebuilt(entry(3, "credits.issue", issued_view(1),
                               issue(1, 101, 200, HOLD)))
    row = ("JC", "ER", "FOREST", "P-0001", "EN-R-002", "3.0", "P-0001-99", 2024, 101, 200, 3)
    assert differences("issuances", projection, [(1, row)]) == [
        "PROJECTION_MISMATCH [issuances 1]: category: the journal says 'RENEWABLE_POWER', "
        "the table 'FOREST'",
        "PROJECTION_MISMATCH [issuances 1]: certification_number: the journal says "
        "'P-0001-01', the table 'P-0001-99'"]


@pytest.mark.parametrize(("methodology", "methodology_id", "version"), [
    ("EN-R-002 v3.0", "EN-R-002", "3.0"),
    ("AG-004 v1.0 variant B", "AG-004", "1.0 variant B"),  # an id has no spaces
    ("EN-S-001", "EN-S-001", ""),
])
def test_the_methodology_splits_into_id_and_version_at_the_first_v(
        methodology: str, methodology_id: str, version: str) -> None:
    projection = rebuilt(entry(1, "credits.issue", issued_view(1, methodology=methodology),
                               issue(1, 1, 10)))
    assert projection.tables["issuances"][1][4:6] == (methodology_id, version)


@pytest.mark.parametrize("view", [
    {"methodology": None}, {"methodology": ""},
])
def test_an_issuance_without_its_methodology_leaves_id_and_version_uncompared(
        view: dict[str, object]) -> None:
    projection = rebuilt(entry(1, "credits.issue", issued_view(1) | view, issue(1, 1, 10)))
    row = projection.tables["issuances"][1]
    assert row[4] is UNKNOWN and row[5] is UNKNOWN
    assert row[:4] == ("JC", "ER", "RENEWABLE_POWER", "P-0001")
    stored = ("JC", "ER", "RENEWABLE_POWER", "P-0001", "any", "any", "P-0001-01", 2024, 1, 10, 1)
    assert differences("issuances", projection, [(1, stored)]) == []


def test_an_issuance_view_lacking_fields_compares_only_the_fields_it_has() -> None:
    view = {"block_id": 1, "scheme": "JC", "methodology": "EN-R-002 v3.0"}
    projection = rebuilt(entry(1, "credits.issue", view, issue(1, 1, 10)))
    row = projection.tables["issuances"][1]
    assert row[0] == "JC" and row[4:6] == ("EN-R-002", "3.0") and row[8:] == (1, 10, 1)
    assert all(value is UNKNOWN for value in (*row[1:4], row[6], row[7]))
    assert projection.tables["blocks"][1][7] is UNKNOWN  # the block's vintage too
    stored = ("JC", "JCL", "FOREST", "P-9", "EN-R-002", "3.0", "X", 1999, 1, 10, 1)
    assert differences("issuances", projection, [(1, stored)]) == []
    assert differences("issuances", projection, [(1, ("JV", *stored[1:]))]) == [
        "PROJECTION_MISMATCH [issuances 1]: scheme: the journal says 'JC', the table 'JV'"]


def test_an_issuance_recorded_before_payloads_carried_its_view_still_checks_serials() -> None:
    projection = rebuilt(entry(2, "credits.issue", {"quantity": 10}, issue(1, 11, 20, HOLD2)))
    row = projection.tables["issuances"][1]
    assert row[:8] == (UNKNOWN,) * 8 and row[8:] == (11, 20, 2)
    assert projection.tables["blocks"][1] == (1, HOLD2, 11, 20, None, 2, None, UNKNOWN)
    assert repr(row[0]) == "unknown"  # shown as such when a row is printed
    anything = ("JV", "JCL", "FOREST", "P-9", "X", "1", "Y", 1999)
    assert differences("issuances", projection, [(1, (*anything, 11, 20, 2))]) == []
    assert differences("issuances", projection, [(1, (*anything, 11, 21, 2))]) == [
        "PROJECTION_MISMATCH [issuances 1]: serial_end: the journal says 20, the table 21"]


def test_a_period_issuance_rebuilds_every_block_it_issued_with_its_own_view() -> None:
    payload = {"project": "P-0001", "period": 2, "action": "issue",
               "blocks": [issued_view(11, vintage=2024, quantity=100),
                          issued_view(12, vintage=2025, quantity=40)]}
    projection = rebuilt(entry(9, "monitoring.transition", payload,
                               issue(11, 1, 100), issue(12, 101, 140)))
    assert projection.issues == []
    assert projection.tables["period_issuances"] == {("P-0001", 2, 2024): (11, 100),
                                                     ("P-0001", 2, 2025): (12, 40)}
    issuances = projection.tables["issuances"]
    assert (issuances[11][7:], issuances[12][7:]) == ((2024, 1, 100, 9), (2025, 101, 140, 9))
    assert projection.tables["blocks"][12] == (12, HOLD, 101, 140, None, 9, None, 2025)


@pytest.mark.parametrize(("command", "action"), [
    ("monitoring.transition", "certify"), ("project.transition", "issue"),
])
def test_only_an_issuing_monitoring_transition_adds_period_issuances(command: str,
                                                                     action: str) -> None:
    payload = {"project": "P-0001", "period": 2, "action": action,
               "blocks": [issued_view(11)]}
    projection = rebuilt(entry(9, command, payload))
    assert projection.tables["period_issuances"] == {} and projection.issues == []


# --- moves ----------------------------------------------------------------------------------

def test_a_move_closes_its_parent_and_its_children_inherit_lineage_and_vintage() -> None:
    projection = rebuilt(
        entry(1, "credits.issue", issued_view(1, vintage=2023), issue(1, 1, 100)),
        entry(5, "credits.transfer", {}, move(1, (2, HOLD2, 1, 30, None),
                                              (3, HOLD, 31, 100, 8))))
    assert projection.issues == []
    assert projection.tables["blocks"] == {
        1: (1, HOLD, 1, 100, None, 1, 5, 2023),
        2: (1, HOLD2, 1, 30, None, 5, None, 2023),
        3: (1, HOLD, 31, 100, 8, 5, None, 2023)}  # reserved for application 8


def test_a_stored_block_that_differs_from_the_journal_is_named() -> None:
    projection = rebuilt(
        entry(1, "credits.issue", issued_view(1), issue(1, 1, 100)),
        entry(2, "credits.transfer", {}, move(1, (2, INV, 1, 100, None))))
    stored = [(1, (1, HOLD, 1, 100, None, 1, 2, 2024)),
              (2, (1, HOLD, 1, 100, None, 2, None, 2024))]
    assert differences("blocks", projection, stored) == [
        f"PROJECTION_MISMATCH [blocks 2]: account_id: the journal says {INV}, the table {HOLD}"]


def test_a_move_of_a_block_the_journal_never_issued_still_rebuilds_its_children() -> None:
    """The replay reports the dead block; the projection keeps what the move says."""
    projection = rebuilt(entry(7, "credits.transfer", {}, move(99, (100, HOLD2, 1, 5, 3))))
    assert projection.issues == []
    assert projection.tables["blocks"] == {100: (UNKNOWN, HOLD2, 1, 5, 3, 7, None, UNKNOWN)}


def test_a_block_moved_twice_is_closed_by_the_move_that_superseded_it() -> None:
    projection = rebuilt(
        entry(1, "credits.issue", issued_view(1), issue(1, 1, 10)),
        entry(2, "credits.transfer", {}, move(1, (2, HOLD2, 1, 10, None))),
        entry(3, "credits.transfer", {}, move(2, (3, HOLD, 1, 10, None))))
    blocks = projection.tables["blocks"]
    assert [blocks[i][5:7] for i in (1, 2, 3)] == [(1, 2), (2, 3), (3, None)]
    assert {blocks[i][0] for i in (1, 2, 3)} == {1}


# --- accounts -------------------------------------------------------------------------------

def account_view(number: str, id_: int | None, kind: str, **changes: object) -> dict[str, Any]:
    view = {"number": number, "kind": kind, "organisation_id": 2, "name": "本社", **changes}
    return view if id_ is None else {"id": id_, **view}


def test_initialising_the_registry_and_opening_an_account_rebuild_the_accounts() -> None:
    projection = rebuilt(
        entry(1, "registry.initialise", {"accounts": [
            account_view("I-0000001-1", 3, "INVALIDATION", organisation_id=None),
            account_view("C-0000002-2", 5, "CANCELLATION", organisation_id=None)]},
            recorded_at="t1"),
        entry(4, "account.open", account_view("H-0000006-7", 6, "HOLDING"), recorded_at="t4"))
    assert projection.issues == []
    assert projection.tables["accounts"] == {
        "I-0000001-1": (3, "INVALIDATION", None, "本社", "t1"),
        "C-0000002-2": (5, "CANCELLATION", None, "本社", "t1"),
        "H-0000006-7": (6, "HOLDING", 2, "本社", "t4")}
    assert projection.account_kinds == {3: AccountKind.INVALIDATION,
                                        5: AccountKind.CANCELLATION, 6: AccountKind.HOLDING}


def test_an_account_view_lacking_fields_compares_only_the_opening_time() -> None:
    projection = rebuilt(entry(1, "account.open", {"number": "H-1"}, recorded_at="t1"))
    assert projection.tables["accounts"] == {"H-1": (UNKNOWN,) * 4 + ("t1",)}
    assert projection.account_kinds == {}
    assert differences("accounts", projection, [("H-1", (9, "BUFFER", 7, "x", "t1"))]) == []
    assert differences("accounts", projection, [("H-1", (9, "BUFFER", 7, "x", "t2"))]) == [
        "PROJECTION_MISMATCH [accounts H-1]: opened_at: the journal says 't1', the table 't2'"]


def test_other_commands_open_no_account() -> None:
    projection = rebuilt(entry(1, "organisation.create",
                               {"accounts": [account_view("H-1", 1, "HOLDING")]}))
    assert projection.tables["accounts"] == {} and projection.account_kinds == {}


# --- invalidation applications --------------------------------------------------------------

def test_an_executed_application_is_rebuilt_from_its_last_entry_with_the_execution_seq() -> None:
    projection = rebuilt(
        entry(5, "invalidation.apply", application()),
        entry(8, "invalidation.execute", application(status="EXECUTED", executed_at="t8",
                                                     executed_by="secretariat",
                                                     notice_number="N-1")))
    assert projection.issues == []
    assert projection.tables["invalidation_applications"] == {4: (
        "H-0000006-7", 50, 101, 150, "OFFSET", "SELF", "2026年度 報告", "株式会社サンプル",
        "7000012050002", 2026, "EXECUTED", "t5", "holder", "t8", "secretariat", "N-1", False,
        8)}


def test_an_entry_after_the_execution_keeps_the_execution_seq() -> None:
    projection = rebuilt(
        entry(5, "invalidation.apply", application()),
        entry(8, "invalidation.execute", application(status="EXECUTED")),
        entry(9, "invalidation.withdraw", application(status="EXECUTED")))
    assert projection.tables["invalidation_applications"][4][-1] == 8


def test_a_withdrawn_application_was_never_executed() -> None:
    projection = rebuilt(
        entry(5, "invalidation.apply", application(designation="QUANTITY", serials=None)),
        entry(6, "invalidation.withdraw", application(designation="QUANTITY", serials=None,
                                                      status="WITHDRAWN")))
    row = projection.tables["invalidation_applications"][4]
    assert row[2:4] == (None, None)  # designated by quantity: no serials
    assert row[10] == "WITHDRAWN" and row[-1] is None


def test_fields_an_older_application_view_lacks_are_not_compared() -> None:
    view = application()
    for name in ("account", "quantity", "serials"):
        del view[name]
    projection = rebuilt(entry(5, "invalidation.apply", view))
    row = projection.tables["invalidation_applications"][4]
    assert row[:4] == (UNKNOWN,) * 4 and row[4] == "OFFSET"
    stored = ("H-0000009-9", 7, 1, 7, *row[4:])
    assert differences("invalidation_applications", projection, [(4, stored)]) == []


# --- entries the projection cannot read -----------------------------------------------------

def test_an_unreadable_entry_is_reported_with_the_reason_and_the_next_ones_still_apply(
        ) -> None:
    projection = rebuilt(
        entry(1, "credits.issue", issued_view(1), issue(1, 1, 10)),
        entry(2, "credits.transfer", {}, {"op": "move", "parent": 1, "children": [[2, 1]]}),
        entry(3, "credits.transfer", {}, move(1, (3, HOLD2, 1, 10, None))))
    assert [(i.code, i.subject) for i in projection.issues] == [
        ("JOURNAL_UNREADABLE", "journal seq 2")]
    assert projection.issues[0].message.startswith(
        "cannot rebuild the tables from this entry: ValueError(")
    assert projection.tables["blocks"][3] == (1, HOLD2, 1, 10, None, 3, None, 2024)


@pytest.mark.parametrize(("command", "payload", "postings"), [
    ("credits.issue", {}, [{"op": "issue", "block": "x", "account": 1, "start": 1, "end": 2}]),
    ("account.open", {"id": 1, "number": "H-1", "kind": "NOT_A_KIND"}, []),
    ("account.open", {"accounts": [None]}, []),
    ("invalidation.apply", application(serials="101"), []),
    ("monitoring.transition", {"project": "P", "period": 1, "action": "issue",
                               "blocks": [{"block_id": 1}]}, []),
])
def test_every_kind_of_unreadable_entry_is_reported_not_raised(
        command: str, payload: dict[str, Any], postings: list[dict[str, object]]) -> None:
    projection = rebuilt(entry(6, command, payload, *postings))
    assert [(i.code, i.subject) for i in projection.issues] == [
        ("JOURNAL_UNREADABLE", "journal seq 6")]


# --- comparing with the stored tables -------------------------------------------------------

def test_rows_missing_on_either_side_are_named_and_matching_rows_are_not() -> None:
    projection = rebuilt(
        entry(1, "registry.initialise", {"accounts": [account_view("I-1", 3, "INVALIDATION"),
                                                      account_view("H-2", 4, "HOLDING")]}))
    expected = dict(projection.tables["accounts"])
    stored = [("X-9", (9, "HOLDING", 2, "x", AT)), ("I-1", (3, "INVALIDATION", 2, "本社", AT))]
    assert [(i.code, i.subject, i.message) for i in compare_table("accounts", expected,
                                                                   stored)] == [
        ("PROJECTION_EXTRA_ROW", "accounts X-9", "in the table, not in the journal"),
        ("PROJECTION_MISSING_ROW", "accounts H-2", "in the journal, not in the table")]
    stored[1] = ("I-1", (3, "INVALIDATION", 2, "支社", AT))
    assert [i.code for i in compare_table("accounts", dict(projection.tables["accounts"]),
                                          stored)] == [
        "PROJECTION_EXTRA_ROW", "PROJECTION_MISMATCH", "PROJECTION_MISSING_ROW"]


def test_a_stored_row_of_the_wrong_width_is_an_error_not_a_silent_match() -> None:
    projection = rebuilt(entry(1, "account.open", account_view("H-1", 1, "HOLDING")))
    with pytest.raises(ValueError, match="zip"):
        differences("accounts", projection, [("H-1", (1, "HOLDING", 2, "本社"))])

"""``ledger check``'s pure replay: what an auditor is told about a journal, issue by issue."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.replay import ReplayedBlock
from jcredit.domain.ledger.replay import ReplayResult
from jcredit.domain.ledger.replay import replay
from tests.unit.test_domain_ledger import _entries as chain  # one hash-chain builder

HOLD, HOLD2, INV, RET, CAN, SEC, BUF = 1, 2, 3, 4, 5, 6, 7
KINDS = {HOLD: AccountKind.HOLDING, HOLD2: AccountKind.HOLDING, INV: AccountKind.INVALIDATION,
         RET: AccountKind.RETIREMENT, CAN: AccountKind.CANCELLATION,
         SEC: AccountKind.SECRETARIAT, BUF: AccountKind.BUFFER}


def issue(block: int, start: int, end: int, account: int = HOLD) -> dict[str, object]:
    return {"op": "issue", "block": block, "account": account, "start": start, "end": end}


def move(parent: int, *children: tuple[int, int, int, int, int | None]) -> dict[str, object]:
    return {"op": "move", "parent": parent, "children": [list(c) for c in children]}


def found(result: ReplayResult) -> list[tuple[str, str]]:
    return [(i.code, i.subject) for i in result.issues]


def test_a_sound_journal_is_counted_entry_by_entry_and_reports_nothing() -> None:
    result = replay(chain([issue(1, 1, 100)], [move(1, (2, HOLD2, 1, 30, None),
                                                       (3, HOLD, 31, 100, None))], []), KINDS)
    assert found(result) == []
    assert result.ok
    assert result.entries == 3
    assert result.roots == {1: (1, 100)}
    assert result.live == {2: ReplayedBlock(2, 1, HOLD2, 1, 30, None),
                           3: ReplayedBlock(3, 1, HOLD, 31, 100, None)}


def test_a_missing_entry_is_reported_as_a_gap_and_a_broken_chain_at_the_next_seq() -> None:
    e1, _, e3 = chain([issue(1, 1, 10)], [], [])
    result = replay([e1, e3], KINDS)
    assert found(result) == [("JOURNAL_GAP", "journal seq 3"), ("CHAIN_BROKEN", "journal seq 3")]
    assert result.issues[0].message == "expected seq 2"
    assert result.entries == 2


def test_an_edited_entry_is_reported_as_a_hash_mismatch_at_its_seq() -> None:
    e1, e2 = chain([issue(1, 1, 10)], [])
    result = replay([e1, replace(e2, command="edited")], KINDS)
    assert found(result) == [("HASH_MISMATCH", "journal seq 2")]


def test_a_block_id_issued_twice_is_reported_and_the_second_issuance_ignored() -> None:
    result = replay(chain([issue(1, 1, 10)], [issue(1, 11, 20)]), KINDS)
    assert found(result) == [("BLOCK_ID_REUSED", "journal seq 2")]
    assert result.roots == {1: (1, 10)}
    assert result.totals.issued == 10


def test_issuing_under_the_id_of_a_block_that_has_moved_is_reported() -> None:
    result = replay(chain([issue(1, 1, 10)], [move(1, (2, HOLD, 1, 10, None))],
                          [issue(1, 11, 20)]), KINDS)
    assert found(result) == [("BLOCK_ID_REUSED", "journal seq 3")]


def test_an_issuance_whose_last_serial_precedes_its_first_is_reported_as_empty() -> None:
    result = replay(chain([issue(1, 10, 9)]), KINDS)
    assert found(result) == [("EMPTY_RANGE", "journal seq 1")]
    assert result.issues[0].message == "issued range 10-9"
    assert result.live == {} and result.roots == {}


def test_an_issuance_of_a_single_credit_is_sound() -> None:
    result = replay(chain([issue(1, 7, 7)]), KINDS)
    assert found(result) == []
    assert result.totals.issued == 1 and result.totals.held == 1


@pytest.mark.parametrize("account", [INV, SEC, 99])
def test_an_issuance_into_anything_but_a_holding_account_is_reported(account: int) -> None:
    result = replay(chain([issue(1, 1, 10, account=account)]), KINDS)
    assert found(result)[0] == ("ISSUED_OUTSIDE_HOLDING", "journal seq 1")


def test_a_move_of_a_block_that_is_not_live_is_reported() -> None:
    result = replay(chain([issue(1, 1, 10)], [move(5, (6, HOLD, 1, 10, None))]), KINDS)
    assert found(result) == [("MOVE_OF_DEAD_BLOCK", "journal seq 2")]
    assert set(result.live) == {1}


def test_moving_a_block_twice_is_reported_the_second_time() -> None:
    result = replay(chain([issue(1, 1, 10)], [move(1, (2, HOLD, 1, 10, None))],
                          [move(1, (3, HOLD, 1, 10, None))]), KINDS)
    assert found(result) == [("MOVE_OF_DEAD_BLOCK", "journal seq 3")]


@pytest.mark.parametrize("terminal", [INV, RET, CAN])
def test_credits_leaving_a_terminal_account_are_reported(terminal: int) -> None:
    result = replay(chain([issue(1, 1, 10)], [move(1, (2, terminal, 1, 10, None))],
                          [move(2, (3, HOLD, 1, 10, None))]), KINDS)
    assert found(result) == [("TERMINAL_CREDITS_MOVED", "journal seq 3")]
    assert str(KINDS[terminal]) in result.issues[0].message


@pytest.mark.parametrize("circulating", [HOLD2, SEC, BUF])
def test_credits_leaving_a_circulating_account_are_not_reported(circulating: int) -> None:
    result = replay(chain([issue(1, 1, 10)], [move(1, (2, circulating, 1, 10, None))],
                          [move(2, (3, HOLD, 1, 10, None))]), KINDS)
    assert found(result) == []


def test_a_split_given_in_any_order_that_covers_the_block_exactly_is_sound() -> None:
    result = replay(chain([issue(1, 1, 10)], [move(1, (4, HOLD, 10, 10, 7),
                                                   (2, HOLD, 1, 1, None),
                                                   (3, HOLD2, 2, 9, None))]), KINDS)
    assert found(result) == []
    assert result.live[4] == ReplayedBlock(4, 1, HOLD, 10, 10, 7)
    assert result.live[2].reservation_id is None


@pytest.mark.parametrize(
    "children",
    [
        [(2, HOLD, 1, 4, None), (3, HOLD, 6, 10, None)],  # a hole at 5
        [(2, HOLD, 2, 10, None)],  # starts late
        [(2, HOLD, 1, 5, None), (3, HOLD, 5, 10, None)],  # 5 twice
        [(2, HOLD, 1, 5, None), (3, HOLD, 6, 5, None), (4, HOLD, 6, 10, None)],  # empty child
        [(2, HOLD, 1, 9, None)],  # stops short
        [(2, HOLD, 1, 11, None)],  # a move of more credits than the block holds
    ],
)
def test_a_split_that_does_not_exactly_cover_its_block_is_reported(
    children: list[tuple[int, int, int, int, None]],
) -> None:
    result = replay(chain([issue(1, 1, 10)], [move(1, *children)]), KINDS)
    codes = found(result)
    assert codes.count(("SPLIT_NOT_EXACT", "journal seq 2")) == 1
    assert codes[0] == ("SPLIT_NOT_EXACT", "journal seq 2")


def test_a_split_that_stops_short_names_where_it_stops() -> None:
    result = replay(chain([issue(1, 1, 10)], [move(1, (2, HOLD, 1, 9, None))]), KINDS)
    assert result.issues[0].message == "children of block 1 stop at 9, not 10"
    assert found(result) == [("SPLIT_NOT_EXACT", "journal seq 2"),
                             ("LINEAGE_NOT_CONSERVED", "lineage of block 1")]


def test_the_children_of_an_inexact_split_are_still_followed_by_later_moves() -> None:
    """One report for the bad split: its children stay live, so moving them again is not
    reported as a move of a dead block."""
    result = replay(chain([issue(1, 1, 10)], [move(1, (2, HOLD, 2, 10, None))],
                          [move(2, (3, HOLD2, 2, 10, None))]), KINDS)
    assert found(result) == [("SPLIT_NOT_EXACT", "journal seq 2"),
                             ("LINEAGE_NOT_CONSERVED", "lineage of block 1")]
    assert result.live == {3: ReplayedBlock(3, 1, HOLD2, 2, 10, None)}


def test_a_child_reusing_a_live_or_moved_block_id_is_reported_and_not_made_live() -> None:
    result = replay(chain([issue(1, 1, 10), issue(5, 11, 20)],
                          [move(1, (2, HOLD, 1, 10, None))],
                          [move(2, (5, HOLD, 1, 5, None), (1, HOLD, 6, 10, None))]), KINDS)
    assert found(result)[:2] == [("BLOCK_ID_REUSED", "journal seq 3"),
                                 ("BLOCK_ID_REUSED", "journal seq 3")]
    assert result.live[5] == ReplayedBlock(5, 5, HOLD, 11, 20, None)
    assert 1 not in result.live


def test_a_child_in_an_unknown_account_is_reported_at_the_move_and_at_the_end() -> None:
    result = replay(chain([issue(1, 1, 10)], [move(1, (2, 99, 1, 10, None))]), KINDS)
    assert found(result) == [("UNKNOWN_ACCOUNT", "journal seq 2"), ("UNKNOWN_ACCOUNT", ""),
                             ("LINEAGE_NOT_CONSERVED", "lineage of block 1")]
    assert result.issues[1].message == "block 2 is in account 99"


def test_a_block_in_an_unknown_account_does_not_hide_the_other_blocks() -> None:
    result = replay(chain([issue(1, 1, 10)], [move(1, (2, 99, 1, 10, None))],
                          [issue(3, 11, 20)]), KINDS)
    assert found(result) == [("UNKNOWN_ACCOUNT", "journal seq 2"), ("UNKNOWN_ACCOUNT", ""),
                             ("LINEAGE_NOT_CONSERVED", "lineage of block 1")]
    assert (result.totals.issued, result.totals.held) == (20, 10)


def test_an_unknown_posting_is_reported() -> None:
    result = replay(chain([{"op": "burn", "block": 1}]), KINDS)
    assert found(result) == [("UNKNOWN_POSTING", "journal seq 1")]
    assert result.issues[0].message == "posting op 'burn'"


def test_the_totals_place_every_credit_in_its_state() -> None:
    result = replay(chain([issue(1, 1, 100), issue(2, 101, 110)],
                          [move(1, (3, HOLD, 1, 10, None), (4, SEC, 11, 30, None),
                                (5, BUF, 31, 60, None), (6, INV, 61, 64, None),
                                (7, RET, 65, 71, None), (8, CAN, 72, 100, None))]), KINDS)
    assert found(result) == []
    t = result.totals
    assert (t.issued, t.held, t.invalidated, t.retired, t.cancelled) == (110, 70, 4, 7, 29)


def test_credits_lost_from_a_lineage_are_reported_with_the_counts() -> None:
    e1, e2 = chain([issue(1, 1, 10), issue(2, 11, 20)], [])
    result = replay([e1, e2], KINDS)
    assert found(result) == []
    # a move whose children cover the block, but one child's account is unknown
    result = replay(chain([issue(1, 1, 10)], [move(1, (2, HOLD, 1, 4, None),
                                                   (3, 99, 5, 10, None))]), KINDS)
    lineage = [i for i in result.issues if i.code == "LINEAGE_NOT_CONSERVED"]
    assert [(i.subject, i.message) for i in lineage] == [
        ("lineage of block 1", "issued 10 but held + invalidated + retired + cancelled = 4")]


def test_adjacent_issuances_do_not_overlap_but_touching_ones_do() -> None:
    assert found(replay(chain([issue(1, 1, 10), issue(2, 11, 20)]), KINDS)) == []
    result = replay(chain([issue(2, 10, 20), issue(1, 1, 10)]), KINDS)
    assert [i.code for i in result.issues] == ["SERIAL_OVERLAP", "SERIAL_OVERLAP"]
    assert result.issues[0].message == (
        "issuance 10-20 (block 2) overlaps issuance 1-10 (block 1)")
    assert result.issues[1].message == "live blocks 1 (1-10) and 2 (10-20) overlap"


def test_three_issuances_are_checked_pairwise_in_serial_order() -> None:
    result = replay(chain([issue(1, 1, 10), issue(2, 21, 30), issue(3, 11, 21)]), KINDS)
    assert [i.message for i in result.issues] == [
        "issuance 21-30 (block 2) overlaps issuance 11-21 (block 3)",
        "live blocks 3 (11-21) and 2 (21-30) overlap",
    ]


def test_a_stored_projection_equal_to_the_replay_reports_nothing() -> None:
    entries = chain([issue(1, 1, 10), issue(2, 11, 20)])
    stored = [ReplayedBlock(2, 2, HOLD, 11, 20, None), ReplayedBlock(1, 1, HOLD, 1, 10, None)]
    assert found(replay(entries, KINDS, stored)) == []


def test_a_stored_projection_that_differs_is_reported_block_by_block() -> None:
    entries = chain([issue(1, 1, 10), issue(2, 11, 20), issue(3, 21, 30)])
    stored = [ReplayedBlock(2, 2, HOLD, 11, 20, 9), ReplayedBlock(3, 3, HOLD, 21, 30, None),
              ReplayedBlock(8, 8, HOLD, 31, 40, None)]
    result = replay(entries, KINDS, stored)
    assert found(result) == [("PROJECTION_MISSING_BLOCK", "block 1"),
                             ("PROJECTION_MISMATCH", "block 2"),
                             ("PROJECTION_EXTRA_BLOCK", "block 8")]


def test_without_a_stored_projection_nothing_is_compared() -> None:
    assert found(replay(chain([issue(1, 1, 10)]), KINDS, None)) == []
    assert found(replay(chain([issue(1, 1, 10)]), KINDS, [])) == [
        ("PROJECTION_MISSING_BLOCK", "block 1")]

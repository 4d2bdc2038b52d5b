"""Blocks, designation, uses, the journal chain and the replay checker."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jcredit.domain.errors import IneligibleUseError
from jcredit.domain.errors import InsufficientCreditsError
from jcredit.domain.errors import SerialRangeUnavailableError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.blocks import Block
from jcredit.domain.ledger.blocks import plan_moves
from jcredit.domain.ledger.blocks import select_by_quantity
from jcredit.domain.ledger.blocks import select_by_serials
from jcredit.domain.ledger.blocks import take_in_allocation_order
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.credits import CreditType
from jcredit.domain.ledger.credits import SchemeCode
from jcredit.domain.ledger.journal import GENESIS_HASH
from jcredit.domain.ledger.journal import canonical_json
from jcredit.domain.ledger.journal import make_entry
from jcredit.domain.ledger.projection import JournalProjection
from jcredit.domain.ledger.projection import compare_table
from jcredit.domain.ledger.replay import replay
from jcredit.domain.ledger.serials import SerialPrefix
from jcredit.domain.ledger.serials import SerialRange
from jcredit.domain.ledger.serials import parse_serial_designation
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import check_use
from jcredit.domain.ledger.uses import ineligibility_reason


def attrs(category: Category = Category.RENEWABLE_POWER, vintage: int = 2024,
          scheme: SchemeCode = SchemeCode.JC, ctype: CreditType = CreditType.ER
          ) -> CreditAttributes:
    return CreditAttributes(scheme, ctype, category, "P", "EN-R-002", "3.0", "C1", vintage)


def block(id_: int, start: int, end: int, vintage: int = 2024, account: int = 1) -> Block:
    return Block(id_, id_, account, SerialRange(start, end), attrs(vintage=vintage))


def test_quantity_designation_takes_oldest_vintage_first_then_lowest_serial() -> None:
    blocks = [block(1, 1, 10, 2025), block(2, 11, 20, 2023), block(3, 21, 30, 2023)]
    chosen = select_by_quantity(blocks, 15)
    assert [(s.block.id, s.part) for s in chosen] == [
        (2, SerialRange(11, 20)), (3, SerialRange(21, 25))]


def test_quantity_designation_refuses_more_than_available() -> None:
    with pytest.raises(InsufficientCreditsError, match="holds 10"):
        select_by_quantity([block(1, 1, 10)], 11)


def test_ordered_designation_reads_only_as_many_blocks_as_the_quantity_needs() -> None:
    read: list[int] = []

    def store() -> Iterator[Block]:  # a database cursor, in allocation order
        for i in range(1, 1001):
            read.append(i)
            yield block(i, 10 * i, 10 * i + 9)

    chosen = take_in_allocation_order(store(), 25)
    assert [s.part.quantity for s in chosen] == [10, 10, 5]
    assert read == [1, 2, 3]


def test_ordered_designation_counts_everything_when_short() -> None:
    with pytest.raises(InsufficientCreditsError, match=r"holds 30 .* fewer than the 31"):
        take_in_allocation_order(iter([block(1, 1, 10), block(2, 11, 30)]), 31)


def test_serial_designation_spans_adjacent_blocks_and_names_the_first_missing_serial() -> None:
    blocks = [block(1, 1, 10), block(2, 11, 20), block(3, 31, 40)]
    chosen = select_by_serials(blocks, SerialRange(5, 15))
    assert [s.part for s in chosen] == [SerialRange(5, 10), SerialRange(11, 15)]
    with pytest.raises(SerialRangeUnavailableError, match="serial 21"):
        select_by_serials(blocks, SerialRange(15, 35))


@pytest.mark.parametrize(("text", "part", "named"), [
    ("KC-KC-NO-SUCH-CERT-1-5", "scheme (制度記号)", "is JC, not KC"),  # the issue's example
    ("JC-ERL-C1-1-5", "credit type (クレジット種別)", "is ER, not ERL"),
    ("JC-ER-C2-0000000001-0000000005", "certification number (認証番号)", "is C1, not C2"),
])
def test_a_full_serial_number_must_match_the_credits_it_designates(text: str, part: str,
                                                                     named: str) -> None:
    wanted, prefix = parse_serial_designation(text)
    assert wanted == SerialRange(1, 5) and prefix is not None
    with pytest.raises(SerialRangeUnavailableError) as raised:
        select_by_serials([block(1, 1, 10)], wanted, prefix)
    assert raised.value.field == "serials"
    assert part in raised.value.message and named in raised.value.message
    assert raised.value.message.startswith(f"serials {prefix}-1-5: ")  # what was written


def test_a_matching_full_serial_number_or_a_bare_range_designates_the_serials() -> None:
    blocks = [block(1, 1, 10)]
    for text in ("JC-ER-C1-0000000001-0000000005", "jc-er-C1-1-5", "1-5", "1 ～ 5"):
        wanted, prefix = parse_serial_designation(text)
        chosen = select_by_serials(blocks, wanted, prefix)
        assert [(s.block.id, s.part) for s in chosen] == [(1, SerialRange(1, 5))], text


def test_a_certification_number_with_a_dash_is_kept_whole() -> None:
    wanted, prefix = parse_serial_designation("JCL-ERL-P0001-01-0000000011-0000000020")
    assert wanted == SerialRange(11, 20)
    assert prefix == SerialPrefix("JCL", "ERL", "P0001-01")


@pytest.mark.parametrize("text", ["JC-1-5", "JC-ER-1-5", "-1-5", "JC--C1-1-5"])
def test_a_prefix_without_scheme_type_and_certification_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="scheme, the credit type and the 認証番号") as raised:
        parse_serial_designation(text)
    assert raised.value.field == "serials"


def test_a_partial_move_splits_into_children_that_exactly_cover_the_parent() -> None:
    ids = itertools.count(100)
    parent = block(1, 1, 100)
    chosen = select_by_serials([parent], SerialRange(40, 59))
    (move,) = plan_moves(chosen, to_account_id=2, to_reservation_id=None, next_id=lambda: next(ids))
    assert [(c.serials, c.account_id) for c in move.children] == [
        (SerialRange(1, 39), 1), (SerialRange(40, 59), 2), (SerialRange(60, 100), 1)]
    assert move.moved.serials == SerialRange(40, 59)
    assert [c.id for c in move.children] == [100, 101, 102]  # in serial order
    assert all(c.root_id == parent.root_id for c in move.children)


def test_credit_attributes_reject_impossible_combinations() -> None:
    with pytest.raises(ValidationError, match="credit type"):
        attrs(scheme=SchemeCode.JC, ctype=CreditType.ERL)
    with pytest.raises(ValidationError, match="FM"):
        attrs(category=Category.ENERGY_SAVING, ctype=CreditType.FM)
    with pytest.raises(ValidationError, match="vintage"):
        attrs(vintage=1999)


@pytest.mark.parametrize(
    ("use", "category", "ok"),
    [
        (InvalidationUse.RE100, Category.RENEWABLE_POWER, True),
        (InvalidationUse.RE100, Category.RENEWABLE_HEAT, False),
        (InvalidationUse.RE100, Category.ENERGY_SAVING, False),
        (InvalidationUse.SHOENE_HO, Category.ENERGY_SAVING, True),
        (InvalidationUse.SHOENE_HO, Category.RENEWABLE_POWER, False),
        (InvalidationUse.SBT, Category.RENEWABLE_HEAT, True),
        (InvalidationUse.SBT, Category.FOREST, False),
        (InvalidationUse.ONTAIHO_EMISSIONS, Category.WASTE, True),
        (InvalidationUse.OFFSET, Category.AGRICULTURE, True),
    ],
)
def test_validity_matrix(use: InvalidationUse, category: Category, ok: bool) -> None:
    ctype = CreditType.FM if category is Category.FOREST else CreditType.ER
    assert (ineligibility_reason(use, attrs(category=category, ctype=ctype)) is None) is ok


def test_keidanren_use_needs_jcl_or_fm() -> None:
    assert ineligibility_reason(InvalidationUse.KEIDANREN_CN, attrs(
        scheme=SchemeCode.JCL, ctype=CreditType.ERL)) is None
    assert ineligibility_reason(InvalidationUse.KEIDANREN_CN, attrs(
        category=Category.FOREST, ctype=CreditType.FM)) is None
    with pytest.raises(IneligibleUseError, match="Keidanren"):
        check_use(InvalidationUse.KEIDANREN_CN, attrs(), subject="serials 1-10")


def test_legacy_domestic_credits_are_retired_not_invalidated() -> None:
    kc = attrs(scheme=SchemeCode.KC, ctype=CreditType.KC, category=Category.ENERGY_SAVING)
    assert "償却" in (ineligibility_reason(InvalidationUse.OFFSET, kc) or "")


def _chain() -> list:  # type: ignore[type-arg]
    e1 = make_entry(seq=1, recorded_at="t1", actor="a", request_id="r", idempotency_key=None,
                    command="credits.issue", payload={"q": 100},
                    postings=[{"op": "issue", "block": 1, "account": 1, "start": 1, "end": 100}],
                    prev_hash=GENESIS_HASH)
    e2 = make_entry(seq=2, recorded_at="t2", actor="a", request_id="r", idempotency_key="k",
                    command="credits.transfer", payload={"q": 30},
                    postings=[{"op": "move", "parent": 1,
                               "children": [[2, 2, 1, 30, None], [3, 1, 31, 100, None]]}],
                    prev_hash=e1.hash)
    return [e1, e2]


KINDS = {1: AccountKind.HOLDING, 2: AccountKind.HOLDING, 3: AccountKind.INVALIDATION}


def test_replay_of_a_sound_journal_finds_nothing() -> None:
    result = replay(_chain(), KINDS)
    assert result.ok, result.issues
    assert result.totals.issued == 100 and result.totals.held == 100
    assert {b.id for b in result.live.values()} == {2, 3}


def test_replay_detects_an_edited_entry() -> None:
    e1, e2 = _chain()
    tampered = replace(e2, payload={"q": 31})
    codes = {i.code for i in replay([e1, tampered], KINDS).issues}
    assert codes == {"HASH_MISMATCH"}


def test_replay_detects_a_removed_entry() -> None:
    e1, e2 = _chain()
    e3 = make_entry(seq=3, recorded_at="t3", actor="a", request_id="r", idempotency_key=None,
                    command="x", payload={}, postings=[], prev_hash=e2.hash)
    codes = {i.code for i in replay([e1, e3], KINDS).issues}
    assert {"JOURNAL_GAP", "CHAIN_BROKEN"} <= codes


def test_replay_detects_a_split_that_creates_credits() -> None:
    e1, _ = _chain()
    bad = make_entry(seq=2, recorded_at="t2", actor="a", request_id="r", idempotency_key=None,
                     command="credits.transfer", payload={},
                     postings=[{"op": "move", "parent": 1,
                                "children": [[2, 2, 1, 30, None], [3, 1, 31, 101, None]]}],
                     prev_hash=e1.hash)
    codes = {i.code for i in replay([e1, bad], KINDS).issues}
    assert "SPLIT_NOT_EXACT" in codes and "LINEAGE_NOT_CONSERVED" in codes


def test_replay_detects_overlapping_issuances_and_moves_out_of_invalidation() -> None:
    e1 = make_entry(seq=1, recorded_at="t", actor="a", request_id="r", idempotency_key=None,
                    command="i", payload={}, prev_hash=GENESIS_HASH,
                    postings=[{"op": "issue", "block": 1, "account": 1, "start": 1, "end": 10}])
    e2 = make_entry(seq=2, recorded_at="t", actor="a", request_id="r", idempotency_key=None,
                    command="i", payload={}, prev_hash=e1.hash,
                    postings=[{"op": "issue", "block": 2, "account": 1, "start": 5, "end": 15},
                              {"op": "move", "parent": 1, "children": [[3, 3, 1, 10, None]]}])
    e3 = make_entry(seq=3, recorded_at="t", actor="a", request_id="r", idempotency_key=None,
                    command="m", payload={}, prev_hash=e2.hash,
                    postings=[{"op": "move", "parent": 3, "children": [[4, 1, 1, 10, None]]}])
    codes = {i.code for i in replay([e1, e2, e3], KINDS).issues}
    assert {"SERIAL_OVERLAP", "TERMINAL_CREDITS_MOVED"} <= codes


def test_serial_designation_refuses_a_range_whose_last_serial_is_missing() -> None:
    """The account holds 1-4 of a designated 1-5: the move is refused, naming serial 5."""
    with pytest.raises(SerialRangeUnavailableError, match="serial 5 of 1-5"):
        select_by_serials([block(1, 1, 4)], SerialRange(1, 5))


def _entries(*postings_per_entry: list[dict[str, object]]) -> list:  # type: ignore[type-arg]
    """A sound hash chain carrying the given postings, one entry each."""
    entries = []
    prev = GENESIS_HASH
    for seq, postings in enumerate(postings_per_entry, start=1):
        entry = make_entry(seq=seq, recorded_at=f"t{seq}", actor="a", request_id="r",
                           idempotency_key=None, command="c", payload={}, postings=postings,
                           prev_hash=prev)
        entries.append(entry)
        prev = entry.hash
    return entries


def test_replay_accepts_a_one_credit_issuance() -> None:
    result = replay(_entries([{"op": "issue", "block": 1, "account": 1, "start": 7, "end": 7}]),
                    KINDS)
    assert result.ok, result.issues
    assert result.totals.issued == 1 and result.totals.held == 1
    assert [b.quantity for b in result.live.values()] == [1]


def test_replay_reports_a_child_that_starts_at_the_wrong_serial() -> None:
    entries = _entries(
        [{"op": "issue", "block": 1, "account": 1, "start": 1, "end": 100}],
        [{"op": "move", "parent": 1, "children": [[2, 2, 2, 100, None]]}])
    codes = {i.code for i in replay(entries, KINDS).issues}
    assert "SPLIT_NOT_EXACT" in codes


@pytest.mark.parametrize("reuse", ["live", "superseded"])
def test_replay_reports_a_reused_block_id(reuse: str) -> None:
    """Issuing block 1 again, while it is live or after a move superseded it."""
    first = [{"op": "issue", "block": 1, "account": 1, "start": 1, "end": 10}]
    again = [{"op": "issue", "block": 1, "account": 1, "start": 11, "end": 20}]
    move = [{"op": "move", "parent": 1, "children": [[2, 2, 1, 10, None]]}]
    entries = _entries(first, again) if reuse == "live" else _entries(first, move, again)
    reused = [i for i in replay(entries, KINDS).issues if i.code == "BLOCK_ID_REUSED"]
    assert [i.subject for i in reused] == [f"journal seq {len(entries)}"]


def test_replay_reports_a_move_of_a_dead_block_without_crashing() -> None:
    entries = _entries(
        [{"op": "issue", "block": 1, "account": 1, "start": 1, "end": 10}],
        [{"op": "move", "parent": 1, "children": [[2, 2, 1, 10, None]]}],
        [{"op": "move", "parent": 1, "children": [[3, 2, 1, 10, None]]}],
        [{"op": "move", "parent": 99, "children": [[4, 2, 1, 10, None]]}])
    issues = replay(entries, KINDS).issues
    dead = [i for i in issues if i.code == "MOVE_OF_DEAD_BLOCK"]
    assert [(i.subject, i.message) for i in dead] == [
        ("journal seq 3", "block 1 is not live"), ("journal seq 4", "block 99 is not live")]


def test_an_entry_recorded_before_account_ids_were_journaled_still_rebuilds() -> None:
    """Old account.open entries do not name the id: every other field is compared, the
    id is not, and the replay falls back on the table's account kinds."""
    old = make_entry(seq=1, recorded_at="t1", actor="a", request_id="r", idempotency_key=None,
                     command="account.open", payload={"number": "H-1", "kind": "HOLDING",
                                                      "organisation_id": 1, "name": "部"},
                     postings=[], prev_hash=GENESIS_HASH)
    projection = JournalProjection()
    projection.add(old)
    assert projection.account_kinds == {} and projection.issues == []
    stored = [("H-1", (7, "HOLDING", 1, "部", "t1"))]
    assert list(compare_table("accounts", projection.tables["accounts"], stored)) == []
    projection.add(replace(old, seq=2, command="account.open", payload={
        "number": "H-2", "kind": "HOLDING", "organisation_id": 1, "name": "部", "id": 8}))
    assert projection.account_kinds == {8: AccountKind.HOLDING}
    stored = [("H-2", (9, "HOLDING", 1, "部", "t1"))]
    assert [str(i) for i in compare_table("accounts", projection.tables["accounts"], stored)] == [
        "PROJECTION_MISMATCH [accounts H-2]: id: the journal says 8, the table 9"]


def test_a_field_an_older_payload_lacks_is_not_compared_and_the_rest_is() -> None:
    view = {"id": 1, "account": "H-1", "quantity": 2, "serials": None, "use": "OFFSET",
            "purpose_details": "p", "credit_user_name": "u", "fiscal_year": 2026,
            "status": "PENDING", "applied_at": "t", "applied_by": "a", "executed_at": None,
            "executed_by": None, "notice_number": None}  # no offset_purpose, corp. number,
    # nor the consent to publication (older than it)
    projection = JournalProjection()
    projection.add(make_entry(seq=1, recorded_at="t", actor="a", request_id="r",
                              idempotency_key=None, command="invalidation.apply", payload=view,
                              postings=[], prev_hash=GENESIS_HASH))
    assert projection.issues == []
    row = ("H-1", 2, None, None, "OFFSET", "SELF", "p", "u", "7000012050002", 2026, "PENDING",
           "t", "a", None, None, None, True, None)
    expected = projection.tables["invalidation_applications"]
    assert list(compare_table("invalidation_applications", dict(expected), [(1, row)])) == []
    changed = (*row[:1], 3, *row[2:])
    assert [str(i) for i in compare_table("invalidation_applications", dict(expected),
                                          [(1, changed)])] == [
        "PROJECTION_MISMATCH [invalidation_applications 1]: quantity: the journal says 2, "
        "the table 3"]


def test_an_entry_the_projection_cannot_read_is_reported_not_raised() -> None:
    projection = JournalProjection()
    projection.add(make_entry(seq=4, recorded_at="t", actor="a", request_id="r",
                              idempotency_key=None, command="credits.transfer", payload={},
                              postings=[{"op": "move", "parent": 1, "children": [[2, 1]]}],
                              prev_hash=GENESIS_HASH))
    assert [(i.code, i.subject) for i in projection.issues] == [
        ("JOURNAL_UNREADABLE", "journal seq 4")]


def test_replay_compares_the_stored_projection() -> None:
    result = replay(_chain(), KINDS, stored_live=[])
    assert {i.code for i in result.issues} == {"PROJECTION_MISSING_BLOCK"}


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8),
                                                     st.none()), max_size=5),
       st.text(max_size=12), st.one_of(st.none(), st.text(max_size=12)))
def test_the_fast_sealed_body_equals_the_canonical_body(payload: dict[str, object], actor: str,
                                                         key: str | None) -> None:
    entry = make_entry(seq=7, recorded_at="2026-11-23T00:00:00+00:00", actor=actor,
                       request_id="r", idempotency_key=key, command="credits.transfer",
                       payload=payload, postings=[{"op": "move", "parent": 1}],
                       prev_hash=GENESIS_HASH)
    assert entry.hash == entry.computed_hash()


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(st.text().filter(lambda k: k != "journal_seq"), _json_values,
                       max_size=8),
       st.integers(min_value=1))
def test_a_ledger_response_is_its_journal_payload_behind_the_sequence_number(
        payload: dict[str, object], seq: int) -> None:
    """The messagebus encodes a payload once, for the journal, and answers with that text
    behind ``journal_seq``; a replay rebuilds the same bytes from the stored entry."""
    from jcredit.service_layer.messagebus import response_from_entry
    from jcredit.service_layer.messagebus import response_json

    body = response_json(seq, canonical_json(payload))
    assert json.loads(body) == payload | {"journal_seq": seq}
    assert body.startswith(f'{{"journal_seq":{seq}')
    entry = make_entry(seq=seq, recorded_at="t", actor="a", request_id="r",
                       idempotency_key=None, command="c", payload=json.loads(
                           canonical_json(payload)), postings=[], prev_hash="0" * 64)
    assert response_from_entry(entry) == body


def test_a_request_fingerprint_tells_a_retry_from_a_different_request() -> None:
    """The same command prints the same; any changed field prints differently, whatever the
    number of fields (one, several, none) and whether they are scalars or mappings, whose
    key order does not matter."""
    from jcredit.service_layer import commands as c
    from jcredit.service_layer.messagebus import fingerprint

    transfer = c.TransferCredits(from_account="H-1", to_account="H-2", quantity=5)
    # the form keys stored by earlier versions were printed with: a retry must still match
    assert fingerprint(transfer) == hashlib.sha256(
        f"{c.TransferCredits.NAME}('H-1', 'H-2', 5, None)".encode()).hexdigest()
    assert fingerprint(c.WithdrawInvalidation(application_id=5)) == hashlib.sha256(
        f"{c.WithdrawInvalidation.NAME}(5,)".encode()).hexdigest()
    assert fingerprint(transfer) == fingerprint(
        c.TransferCredits(from_account="H-1", to_account="H-2", quantity=5))
    assert len({fingerprint(transfer), fingerprint(replace(transfer, quantity=6)),
                fingerprint(replace(transfer, quantity="5")),
                fingerprint(replace(transfer, quantity=None, serials="5")),
                fingerprint(c.WithdrawInvalidation(application_id=5)),
                fingerprint(c.WithdrawInvalidation(application_id=6)),
                fingerprint(c.InitialiseRegistry())}) == 7
    plan = {"a": 1, "b": [1, 2]}
    project = c.CreateProject(name="n", project_type="NORMAL", methodology="EN-R-002",
                              holder_account="H-1", prefecture="東京都", address="x",
                              start_date="2025-04-01", monitoring_start="2025-04-01",
                              plan=plan)
    assert fingerprint(project) == fingerprint(replace(project, plan={"b": [1, 2], "a": 1}))
    assert fingerprint(project) != fingerprint(replace(project, plan={"a": 2, "b": [1, 2]}))


def test_request_ids_are_unique_per_process_and_after_a_fork() -> None:
    import os

    from jcredit.service_layer.messagebus import new_request_id

    ids = [new_request_id() for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(len(i) == 32 for i in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports its next id and exits at once
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    child_id = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert len(child_id) == 32 and child_id[:16] != ids[0][:16]
    assert child_id not in ids and new_request_id() != child_id


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12))
def test_canonical_json_is_exactly_what_json_dumps_gives(value: object) -> None:
    """Journal hashes are taken over this text: the encoder kept between calls must give
    byte for byte what the documented json.dumps call gives."""
    assert canonical_json(value) == json.dumps(value, sort_keys=True, separators=(",", ":"),
                                               ensure_ascii=False)


def test_canonical_json_refuses_what_json_cannot_encode() -> None:
    from decimal import Decimal

    with pytest.raises(TypeError, match="Decimal is not JSON serializable"):
        canonical_json({"quantity": Decimal("1.5")})

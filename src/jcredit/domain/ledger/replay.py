"""Replay the journal and check every invariant of the ledger.

This is the auditor's view: it trusts nothing but the journal. It recomputes the hash
chain, rebuilds every block from the postings, and checks that

* the chain is intact and the sequence has no gaps;
* the serial ranges of all issuances are disjoint, and no two live blocks overlap;
* every move replaces a live block by children that exactly cover its range;
* per lineage: issued = held + invalidated + retired + cancelled;
* credits in an invalidation, retirement or cancellation account never move again;
* the stored projection (the blocks table) equals the replayed one.

Each problem is returned as an :class:`~jcredit.domain.errors.Issue`; nothing is raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from jcredit.domain.errors import Issue
from jcredit.domain.ledger.accounts import TERMINAL_KINDS
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.journal import GENESIS_HASH
from jcredit.domain.ledger.journal import JournalEntry


@dataclass(frozen=True, slots=True)
class ReplayedBlock:
    """A live block as rebuilt from the journal: (root, account, first, last, reservation)."""

    id: int
    root_id: int
    account_id: int
    start: int
    end: int
    reservation_id: int | None

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1


@dataclass
class LedgerTotals:
    """Credits per state, summed over all lineages [unit]."""

    issued: int = 0
    held: int = 0
    invalidated: int = 0
    retired: int = 0
    cancelled: int = 0


@dataclass
class ReplayResult:
    entries: int = 0
    live: dict[int, ReplayedBlock] = field(default_factory=dict)
    roots: dict[int, tuple[int, int]] = field(default_factory=dict)
    totals: LedgerTotals = field(default_factory=LedgerTotals)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


_STATE_BY_KIND = {
    AccountKind.HOLDING: "held",
    AccountKind.SECRETARIAT: "held",
    AccountKind.BUFFER: "held",
    AccountKind.INVALIDATION: "invalidated",
    AccountKind.RETIREMENT: "retired",
    AccountKind.CANCELLATION: "cancelled",
}


def replay(
    entries: Iterable[JournalEntry],
    account_kinds: Mapping[int, AccountKind],
    stored_live: Iterable[ReplayedBlock] | None = None,
) -> ReplayResult:
    """Replay ``entries`` (in seq order) and check the invariants; see the module docstring."""
    result = ReplayResult()
    issues = result.issues
    prev_hash = GENESIS_HASH
    expected_seq = 1
    retired_ids: set[int] = set()
    for entry in entries:
        result.entries += 1
        subject = f"journal seq {entry.seq}"
        if entry.seq != expected_seq:
            issues.append(Issue("JOURNAL_GAP", f"expected seq {expected_seq}", subject))
        expected_seq = entry.seq + 1
        if entry.prev_hash != prev_hash:
            issues.append(
                Issue("CHAIN_BROKEN", "prev_hash does not match the previous entry", subject)
            )
        if entry.computed_hash() != entry.hash:
            issues.append(
                Issue("HASH_MISMATCH", "the entry's content does not match its hash", subject)
            )
        prev_hash = entry.hash
        for posting in entry.postings:
            _apply(posting, result, retired_ids, account_kinds, subject)

    _check_end_state(result, account_kinds)
    if stored_live is not None:
        _compare_projection(result, stored_live)
    return result


def _apply(
    posting: Mapping[str, object],
    result: ReplayResult,
    retired_ids: set[int],
    account_kinds: Mapping[int, AccountKind],
    subject: str,
) -> None:
    issues = result.issues
    op = posting.get("op")
    if op == "issue":
        block_id = int(posting["block"])  # type: ignore[call-overload]
        start = int(posting["start"])  # type: ignore[call-overload]
        end = int(posting["end"])  # type: ignore[call-overload]
        account_id = int(posting["account"])  # type: ignore[call-overload]
        if block_id in result.live or block_id in retired_ids:
            issues.append(Issue("BLOCK_ID_REUSED", f"block {block_id} issued twice", subject))
            return
        if end < start:
            issues.append(Issue("EMPTY_RANGE", f"issued range {start}-{end}", subject))
            return
        result.roots[block_id] = (start, end)
        result.live[block_id] = ReplayedBlock(block_id, block_id, account_id, start, end, None)
        if account_kinds.get(account_id) is not AccountKind.HOLDING:
            issues.append(
                Issue("ISSUED_OUTSIDE_HOLDING", f"issued into account {account_id}", subject)
            )
    elif op == "move":
        parent_id = int(posting["parent"])  # type: ignore[call-overload]
        parent = result.live.pop(parent_id, None)
        if parent is None:
            issues.append(
                Issue("MOVE_OF_DEAD_BLOCK", f"block {parent_id} is not live", subject)
            )
            return
        retired_ids.add(parent_id)
        if account_kinds.get(parent.account_id) in TERMINAL_KINDS:
            issues.append(
                Issue(
                    "TERMINAL_CREDITS_MOVED",
                    f"block {parent_id} left a {account_kinds[parent.account_id]} account",
                    subject,
                )
            )
        children = [
            ReplayedBlock(int(c[0]), parent.root_id, int(c[1]), int(c[2]), int(c[3]),
                          None if c[4] is None else int(c[4]))
            for c in posting["children"]  # type: ignore[attr-defined]
        ]
        children.sort(key=lambda c: c.start)
        cursor = parent.start
        for child in children:
            if child.start != cursor or child.end < child.start:
                issues.append(
                    Issue(
                        "SPLIT_NOT_EXACT",
                        f"children of block {parent_id} do not exactly cover "
                        f"{parent.start}-{parent.end}",
                        subject,
                    )
                )
                break
            cursor = child.end + 1
        else:
            if cursor != parent.end + 1:
                issues.append(
                    Issue(
                        "SPLIT_NOT_EXACT",
                        f"children of block {parent_id} stop at {cursor - 1}, "
                        f"not {parent.end}",
                        subject,
                    )
                )
        for child in children:
            if child.id in result.live or child.id in retired_ids:
                issues.append(Issue("BLOCK_ID_REUSED", f"block {child.id}", subject))
                continue
            if child.account_id not in account_kinds:
                issues.append(
                    Issue("UNKNOWN_ACCOUNT", f"account {child.account_id}", subject)
                )
            result.live[child.id] = child
    else:
        issues.append(Issue("UNKNOWN_POSTING", f"posting op {op!r}", subject))


def _check_end_state(result: ReplayResult, account_kinds: Mapping[int, AccountKind]) -> None:
    issues = result.issues
    by_root: dict[int, dict[str, int]] = {}
    for block in result.live.values():
        kind = account_kinds.get(block.account_id)
        state = _STATE_BY_KIND.get(kind) if kind is not None else None
        if state is None:
            issues.append(
                Issue("UNKNOWN_ACCOUNT", f"block {block.id} is in account {block.account_id}")
            )
            continue
        sums = by_root.setdefault(block.root_id, {})
        sums[state] = sums.get(state, 0) + block.quantity
        setattr(result.totals, state, getattr(result.totals, state) + block.quantity)
    for root_id, (start, end) in result.roots.items():
        issued = end - start + 1
        result.totals.issued += issued
        accounted = sum(by_root.get(root_id, {}).values())
        if accounted != issued:
            issues.append(
                Issue(
                    "LINEAGE_NOT_CONSERVED",
                    f"issued {issued} but held + invalidated + retired + cancelled = {accounted}",
                    f"lineage of block {root_id}",
                )
            )
    roots = sorted((start, end, root_id) for root_id, (start, end) in result.roots.items())
    for (s1, e1, r1), (s2, e2, r2) in zip(roots, roots[1:], strict=False):
        if s2 <= e1:
            issues.append(
                Issue(
                    "SERIAL_OVERLAP",
                    f"issuance {s2}-{e2} (block {r2}) overlaps issuance {s1}-{e1} (block {r1})",
                )
            )
    ordered = sorted(result.live.values(), key=lambda b: b.start)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start <= before.end:
            issues.append(
                Issue(
                    "SERIAL_OVERLAP",
                    f"live blocks {before.id} ({before.start}-{before.end}) and {after.id} "
                    f"({after.start}-{after.end}) overlap",
                )
            )


def _compare_projection(result: ReplayResult, stored_live: Iterable[ReplayedBlock]) -> None:
    stored = {b.id: b for b in stored_live}
    for block_id, block in result.live.items():
        other = stored.pop(block_id, None)
        if other is None:
            result.issues.append(
                Issue("PROJECTION_MISSING_BLOCK", "live in the journal, not in the table",
                      f"block {block_id}")
            )
        elif other != block:
            result.issues.append(
                Issue("PROJECTION_MISMATCH", f"table has {other}, journal says {block}",
                      f"block {block_id}")
            )
    for block_id in stored:
        result.issues.append(
            Issue("PROJECTION_EXTRA_BLOCK", "live in the table, not in the journal",
                  f"block {block_id}")
        )

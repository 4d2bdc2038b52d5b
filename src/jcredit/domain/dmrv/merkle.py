"""Merkle trees over the readings (docs/dmrv.md §10): a tree per site-day, a root per
monitoring period over the site-days, and inclusion proofs anyone can check offline.

The tree is RFC 6962's (Certificate Transparency, §2.1): a leaf hashes ``0x00 || data``, an
inner node ``0x01 || left || right``, and a tree of n leaves splits at the largest power of
two below n, so no leaf can pose as a node and no odd leaf is duplicated. The audit path of
leaf m and its check are the RFC's ``PATH`` and the verification of RFC 9162 §2.1.3.2.

A reading's leaf is the canonical JSON of ``[site, device_id, channel, start, seconds,
register_wh, energy_wh, quality, batch]`` (start in UTC epoch seconds); a site-day's leaves
are its readings sorted by channel, start and device. A period's leaves are its site-days,
sorted by site and day, each the JSON of ``[site, day, site_day_root, readings]``. Standard
library only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

LEAF, NODE = b"\x00", b"\x01"

Reading = tuple[str, str, str, int, int, int | None, int | None, str, str]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def reading_leaf(reading: Reading) -> bytes:
    return _canonical(list(reading))


def site_day_leaf(site: str, day: str, root: str, readings: int) -> bytes:
    return _canonical([site, day, root, readings])


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n ≥ 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root_of(hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of leaf hashes (RFC 6962 MTH; the empty tree is SHA-256 of
    nothing).

    >>> root_of([]).hex()[:16]
    'e3b0c44298fc1c14'
    >>> a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    >>> root_of([a, b, c]) == node_hash(node_hash(a, b), c)
    True
    """
    if not hashes:
        return hashlib.sha256(b"").digest()
    level = list(hashes)
    return _mth(level, 0, len(level))


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


def audit_path(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]): the sibling hashes from leaf ``index`` up to the root."""
    if not 0 <= index < len(hashes):
        raise IndexError(f"leaf {index} of a tree of {len(hashes)}")
    path: list[bytes] = []
    lo, hi, m = 0, len(hashes), index
    stack: list[bytes] = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            stack.append(_mth(hashes, lo + k, hi))
            hi = lo + k
        else:
            stack.append(_mth(hashes, lo, lo + k))
            lo, m = lo + k, m - k
    path = list(reversed(stack))
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root an audit path leads to from a leaf hash (RFC 9162 §2.1.3.2), or None when
    the path cannot belong to a tree of ``size`` leaves.

    >>> leaves = [leaf_hash(bytes([i])) for i in range(7)]
    >>> all(root_from_path(leaves[i], i, 7, audit_path(leaves, i)) == root_of(leaves)
    ...     for i in range(7))
    True
    """
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


@dataclass(frozen=True)
class SiteDay:
    site: str
    day: str  # JST, YYYY-MM-DD
    readings: tuple[Reading, ...]

    @property
    def root(self) -> bytes:
        return root_of([leaf_hash(reading_leaf(r)) for r in self.readings])

    def leaf(self) -> bytes:
        return site_day_leaf(self.site, self.day, self.root.hex(), len(self.readings))


def sorted_readings(readings: Sequence[Reading]) -> tuple[Reading, ...]:
    return tuple(sorted(readings, key=lambda r: (r[2], r[3], r[1])))


def period_root(days: Sequence[SiteDay]) -> bytes:
    """The root of a monitoring period over its site-days (sorted by site and day)."""
    return root_of([leaf_hash(d.leaf()) for d in sorted(days, key=_order)])


def _order(d: SiteDay) -> tuple[str, str]:
    return d.site, d.day


def proof(days: Sequence[SiteDay], site: str, day: str) -> dict[str, Any]:
    """The inclusion proof of one site-day in its period: its readings (from which anyone
    recomputes the site-day's root), its place among the period's site-days, the audit path
    and the root it leads to."""
    ordered = sorted(days, key=_order)
    index = next((i for i, d in enumerate(ordered) if (d.site, d.day) == (site, day)), None)
    if index is None:
        raise KeyError(f"{site} has no readings on {day} in this period")
    hashes = [leaf_hash(d.leaf()) for d in ordered]
    target = ordered[index]
    return {
        "format": "jcredit-merkle-proof/1",
        "hash": "SHA-256, RFC 6962 (leaf 0x00, node 0x01)",
        "site": site, "day": day,
        "readings": [list(r) for r in target.readings],
        "site_day_root": target.root.hex(),
        "index": index, "size": len(ordered),
        "path": [p.hex() for p in audit_path(hashes, index)],
        "root": root_of(hashes).hex(),
    }


def check_proof(document: dict[str, Any], root: str | None = None) -> list[str]:
    """What is wrong with a proof (nothing: it holds) against ``root`` (the published one;
    without it, the root the proof names). Checks that the readings give the site-day's
    root, and that the site-day's leaf and path lead to the root."""
    problems: list[str] = []
    try:
        readings = [tuple(r) for r in document["readings"]]
        site, day = str(document["site"]), str(document["day"])
        index, size = document["index"], document["size"]
        if not (isinstance(index, int) and isinstance(size, int)) or isinstance(index, bool):
            raise TypeError("index and size are integers")
        path = [bytes.fromhex(p) for p in document["path"]]
        named = str(document["root"])
        stated_day_root = str(document["site_day_root"])
    except (KeyError, TypeError, ValueError) as exc:
        return [f"not a jcredit Merkle proof: {exc}"]
    day_root = root_of([leaf_hash(_canonical(list(r))) for r in readings]).hex()
    if day_root != stated_day_root:
        problems.append(f"the readings give the site-day root {day_root}, the proof says "
                        f"{stated_day_root}")
    leaf = leaf_hash(site_day_leaf(site, day, day_root, len(readings)))
    reached = root_from_path(leaf, index, size, path)
    expected = (root or named).lower()
    if reached is None:
        problems.append("the audit path does not fit a tree of that size")
    elif reached.hex() != expected:
        problems.append(f"the path leads to {reached.hex()}, not to the root {expected}")
    if root is not None and named.lower() != root.lower():
        problems.append(f"the proof names the root {named}, the published one is {root}")
    return problems

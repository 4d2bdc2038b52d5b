"""The verifier's stratified random sample of sites (docs/dmrv.md §13).

Sites are grouped by DC capacity band and by how their data came (HTTP, MQTT, file, or a mix);
a sample of ``size`` sites (by default ⌈√N⌉, at least 3, at most N) is spread over the strata
in proportion to their sizes (largest remainders), every stratum getting one where the size
allows. Within a stratum the sites whose SHA-256 of ``seed | site`` is smallest are taken:
anyone can redo the draw from the seed with nothing but hashlib, and nobody can steer it
without changing the seed. The seed is the Merkle root of the period's readings, recorded in
the journal: it follows from what the meters sent and signed, so no one can choose it, and
settling the same readings again draws the same sites. Standard library only.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

BANDS = ((Decimal(4), "<4 kW"), (Decimal(6), "4–6 kW"), (Decimal(10), "6–10 kW"),
         (None, "≥10 kW"))


@dataclass(frozen=True)
class SiteFacts:
    site: str
    capacity_dc_kw: Decimal
    source: str  # http, mqtt, file, mixed


def band(capacity_kw: Decimal) -> str:
    """
    >>> band(Decimal("3.99")), band(Decimal("4")), band(Decimal("12"))
    ('<4 kW', '4–6 kW', '≥10 kW')
    """
    for limit, name in BANDS:
        if limit is None or capacity_kw < limit:
            return name
    raise AssertionError("unreachable")


def default_size(n: int) -> int:
    """
    >>> [default_size(n) for n in (0, 2, 10, 100, 10_000)]
    [0, 2, 4, 10, 100]
    """
    return min(n, max(3, math.ceil(math.sqrt(n)))) if n else 0


def rank(seed: str, site: str) -> str:
    return hashlib.sha256(f"{seed}|{site}".encode()).hexdigest()


def allocate(sizes: dict[str, int], total: int) -> dict[str, int]:
    """``total`` spread over strata in proportion to their sizes (largest remainders), then
    every stratum given one where the total allows, taken from the largest allocations.

    >>> allocate({"a": 90, "b": 9, "c": 1}, 10)
    {'a': 8, 'b': 1, 'c': 1}
    >>> allocate({"a": 5, "b": 5}, 1)
    {'a': 1, 'b': 0}
    """
    whole = sum(sizes.values())
    out = dict.fromkeys(sizes, 0)
    if not whole or total <= 0:
        return out
    quotas = {k: total * sizes[k] / whole for k in sizes}
    for k in sizes:
        out[k] = min(int(quotas[k]), sizes[k])
    by_remainder = sorted(sizes, key=lambda k: (-(quotas[k] - int(quotas[k])), -sizes[k], k))
    rest = total - sum(out.values())
    for k in by_remainder:
        if rest <= 0:
            break
        if out[k] < sizes[k]:
            out[k] += 1
            rest -= 1
    for k in sorted(sizes, key=lambda k: (-sizes[k], k)):  # the small strata get one
        if out[k] == 0:
            donor = max(out, key=lambda d: (out[d], sizes[d]))
            if out[donor] > 1:
                out[donor] -= 1
                out[k] = 1
    return out


def stratified_sample(sites: Sequence[SiteFacts], seed: str, size: int | None = None
                      ) -> dict[str, Any]:
    """The draw: each stratum's sites and how many were taken, and the sample."""
    strata: dict[str, list[SiteFacts]] = {}
    for s in sites:
        strata.setdefault(f"{band(s.capacity_dc_kw)} / {s.source}", []).append(s)
    total = default_size(len(sites)) if size is None else min(size, len(sites))
    quota = allocate({k: len(v) for k, v in strata.items()}, total)
    sample: list[dict[str, str]] = []
    for name in sorted(strata):
        ranked = sorted(strata[name], key=lambda s: rank(seed, s.site))
        sample.extend({"site": s.site, "stratum": name, "rank": rank(seed, s.site)}
                      for s in ranked[:quota[name]])
    return {"seed": seed, "size": total, "population": len(sites),
            "strata": [{"stratum": k, "sites": len(strata[k]), "taken": quota[k]}
                       for k in sorted(strata)],
            "sample": sample}

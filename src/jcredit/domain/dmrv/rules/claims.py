"""R20: the same energy claimed twice (dmrv.md §5.3 R20; Energy Web Origin #556/#566, FEA
#50: the same period requested twice; users cannot see what was already issued against).

A **claim** is a monitoring period a project asks credits for, for one site and device. Two
claims double-claim when they share the **device** or the **site** and their periods
overlap: two projects claiming one household, two overlapping monitoring periods of one
project, or a period already credited claimed again. BLOCK the overlap: no interval is
credited twice, whichever claim came second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity


@dataclass(frozen=True, slots=True)
class Claim:
    ref: str  # the claim's id (e.g. a monitoring report or an issuance)
    project: str
    site: str  # PROJECT/ACTIVITY
    device_id: str | None
    start: int  # [start, end) UTC epoch seconds
    end: int
    credited: bool = False  # credits already issued for it


def _why(a: Claim, b: Claim) -> str:
    if a.credited or b.credited:
        return "already_credited"
    if a.project != b.project:
        return "two_projects"
    return "overlapping_periods"


def double_claims(claims: Iterable[Claim]) -> list[Finding]:
    """R20 over all claims of a registry (see the module docstring): one BLOCK finding per
    overlapping pair, on the later claim's site, over the overlap."""
    items = sorted(claims, key=lambda c: (c.start, c.end, c.ref))
    groups: dict[tuple[str, str], list[Claim]] = {}
    for c in items:
        groups.setdefault(("site", c.site), []).append(c)
        if c.device_id:
            groups.setdefault(("device", c.device_id), []).append(c)
    pairs: dict[tuple[str, str], tuple[Claim, Claim, list[str]]] = {}
    for (kind, _), group in groups.items():
        active: list[Claim] = []
        for c in group:  # sorted by start: a sweep keeps the claims still open
            active = [a for a in active if a.end > c.start]
            for a in active:
                if a.ref == c.ref:
                    continue
                key = (a.ref, c.ref)
                found = pairs.setdefault(key, (a, c, []))
                found[2].append(kind)
            active.append(c)
    out = []
    for a, b, shared in pairs.values():
        second, first = (b, a) if not b.credited or a.credited else (a, b)
        overlap = (max(a.start, b.start), min(a.end, b.end))
        out.append(Finding(
            "R20", "R20.double_claim", Severity.BLOCK, (overlap,), 0,
            {"reason": _why(a, b), "shared": sorted(set(shared)),
             "claim": second.ref, "project": second.project,
             "other_claim": first.ref, "other_project": first.project,
             "other_credited": first.credited, "device_id": second.device_id},
            site=second.site))
    return out

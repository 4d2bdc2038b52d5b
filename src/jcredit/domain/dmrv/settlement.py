"""From settled energy to a monitoring period's values (docs/dmrv.md §9).

The engines (DuckDB, Spark) sum each site's creditable energy in integer Wh; this module,
pure and in ``Decimal``, turns those sums into what EN-R-002 takes per activity (generation
and export in kWh, exactly: 1 Wh = 0.001 kWh, nothing rounded), says which intervals are
taken out and why (BLOCK findings; HOLDs the verifier rejected), and bounds a monitoring
period in UTC epoch seconds from its JST dates. The reduction itself is the methodology's
(jcredit.domain.methodologies.en_r_002), rounded once at certification.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.rules.context import merge

JST = timedelta(hours=9)
WH_PER_KWH = Decimal(1000)
GENERATION, EXPORT = "generation", "export"


def jst_day_start(day: date) -> int:
    """The UTC epoch second at which a JST day starts.

    >>> jst_day_start(date(2026, 4, 1))
    1774969200
    """
    return int((datetime(day.year, day.month, day.day, tzinfo=UTC) - JST).timestamp())


def period_bounds(start: date, end: date) -> tuple[int, int]:
    """A monitoring period of JST dates, ``end`` inclusive, as ``[since, until)`` epoch
    seconds.

    >>> period_bounds(date(2026, 4, 1), date(2026, 4, 30))
    (1774969200, 1777561200)
    """
    return jst_day_start(start), jst_day_start(end + timedelta(days=1))


@dataclass(frozen=True)
class SiteEnergy:
    """One site's creditable energy in one segment of a period, for one channel."""

    site: str
    segment: str
    channel: str
    energy_wh: int
    readings: int
    creditable: int


@dataclass(frozen=True)
class Exclusion:
    """Intervals of a site that earn nothing, and why."""

    site: str
    start: int
    end: int
    rule_id: str
    severity: str
    reason: str  # "BLOCK" or "HOLD rejected"


@dataclass
class SiteSettlement:
    site: str
    generation_wh: int = 0
    export_wh: int = 0
    readings: int = 0
    creditable: int = 0
    excluded: list[Exclusion] = field(default_factory=list)

    @property
    def excluded_seconds(self) -> int:
        """How long the exclusions take out (their ranges merged), in seconds."""
        return sum(b - a for a, b in merge((x.start, x.end) for x in self.excluded))

    @property
    def activity(self) -> str:
        return self.site.rsplit("/", 1)[-1]

    @property
    def generation_kwh(self) -> Decimal:
        return Decimal(self.generation_wh) / WH_PER_KWH

    @property
    def export_kwh(self) -> Decimal:
        return Decimal(self.export_wh) / WH_PER_KWH

    def inputs(self) -> dict[str, str]:
        """The activity's EN-R-002 inputs for the period (E_gen and E_exp in kWh, exact)."""
        return {"e_gen_kwh": str(self.generation_kwh), "e_export_kwh": str(self.export_kwh)}


def exclusions(findings: Iterable[Finding], rejected: Mapping[str, bool] | None = None, *,
               site: str = "") -> list[Exclusion]:
    """The intervals that earn nothing: every BLOCK finding's, and a HOLD finding's when
    the verifier rejected it (``rejected``: the finding's key → True). A HOLD not yet
    decided earns, and is listed for the verifier; a FLAG is shown only."""
    rejected = rejected or {}
    out: list[Exclusion] = []
    for f in findings:
        if f.severity is Severity.BLOCK:
            reason = "BLOCK"
        elif f.severity is Severity.HOLD and rejected.get(finding_key(f, site)):
            reason = "HOLD rejected"
        else:
            continue
        out.extend(Exclusion(f.site or site, start, end, f.rule_id, f.severity.value, reason)
                   for start, end in f.intervals)
    return out


def covered(intervals: Iterable[tuple[int, int]], by: Iterable[tuple[int, int]]) -> bool:
    """Whether every interval lies inside the union of ``by``.

    >>> covered([(10, 20), (30, 40)], [(0, 25), (25, 50)])
    True
    >>> covered([(10, 20)], [(0, 15)])
    False
    """
    merged = merge(by)
    return all(any(m[0] <= a and b <= m[1] for m in merged) for a, b in intervals)


def open_holds(findings: Iterable[Finding], excluded: Iterable[Exclusion], *,
               site: str = "") -> list[Finding]:
    """The HOLD findings a person must decide: not those whose every interval a BLOCK
    already takes out (nothing of theirs could earn whatever the decision)."""
    blocked: dict[str, list[tuple[int, int]]] = {}
    for x in excluded:
        if x.reason == "BLOCK":
            blocked.setdefault(x.site, []).append((x.start, x.end))
    return [f for f in findings if f.severity is Severity.HOLD
            and not covered(f.intervals, blocked.get(f.site or site, []))]


def finding_key(f: Finding, site: str = "") -> str:
    """A finding's stable name in decisions: site, rule and its first interval.

    >>> from jcredit.domain.dmrv.model import Finding, Severity
    >>> finding_key(Finding("R12", "clear_sky", Severity.HOLD, ((100, 200),), 5, {}),
    ...             "P/HH-1")
    'P/HH-1|R12|100'
    """
    first = f.intervals[0][0] if f.intervals else 0
    return f"{f.site or site}|{f.rule_id}|{first}"


def settle(energies: Iterable[SiteEnergy], sites: Iterable[str],
           excluded: Iterable[Exclusion] = ()) -> list[SiteSettlement]:
    """Per site, the period's generation and export (summed over its segments) with the
    exclusions that applied; every site named, with zeros where nothing was read."""
    result = {site: SiteSettlement(site) for site in sites}
    for e in energies:
        s = result.setdefault(e.site, SiteSettlement(e.site))
        if e.channel == GENERATION:
            s.generation_wh += e.energy_wh
            s.readings += e.readings
            s.creditable += e.creditable
        elif e.channel == EXPORT:
            s.export_wh += e.energy_wh
    for x in excluded:
        if x.site in result:
            result[x.site].excluded.append(x)
    return [result[site] for site in sorted(result)]


def digest(summary: Mapping[str, Any]) -> str:
    """The SHA-256 of a settlement's canonical JSON, its own ``sha256`` left out: what the
    monitoring report and the journal name it by, and what shows that the activities' values
    are the ones it settled.

    >>> digest({"a": 1, "sha256": "x"}) == digest({"a": 1})
    True
    """
    body = {k: v for k, v in summary.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode("utf-8")).hexdigest()

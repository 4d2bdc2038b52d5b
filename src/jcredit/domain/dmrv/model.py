"""The data the dMRV pipeline passes around (docs/dmrv.md §1, §4): channels, qualities,
severities, a site's registered facts, one site's readings and a rule's finding.

Energies are integer watt-hours throughout: exact, and what meters count. Physics context
(sun elevation, clear-sky expectation) is float: it sets thresholds, it is never credited.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    GENERATION = "generation"  # 発電量
    EXPORT = "export"  # 売電量 (逆潮流)
    IMPORT = "import"  # 買電量
    BATTERY_CHARGE = "battery_charge"  # 蓄電池充電
    BATTERY_DISCHARGE = "battery_discharge"  # 蓄電池放電


CHANNELS = tuple(c.value for c in Channel)


class Quality(StrEnum):
    MEASURED = "measured"
    ESTIMATED = "estimated"  # never credited (R09)
    INTERPOLATED = "interpolated"  # never credited (R09)


QUALITIES = tuple(q.value for q in Quality)


class Severity(StrEnum):
    """BLOCK: no credit for the intervals; HOLD: the verifier decides; FLAG: shown only."""

    BLOCK = "BLOCK"
    HOLD = "HOLD"
    FLAG = "FLAG"


SEVERITY_RANK = {Severity.BLOCK: 3, Severity.HOLD: 2, Severity.FLAG: 1}

# Interval lengths a batch may declare, in seconds: 30 minutes or finer (docs/dmrv.md §2).
CADENCES = (60, 300, 600, 900, 1800)

GENESIS = "0" * 64  # the ``prev`` of a device's first batch


@dataclass(frozen=True)
class SiteFacts:
    """What the registry knows of a site and its device (docs/dmrv.md §1)."""

    site: str  # PROJECT/ACTIVITY
    device_id: str
    capacity_ac_kw: Decimal
    capacity_dc_kw: Decimal
    latitude: Decimal
    longitude: Decimal
    commissioned_on: date | None = None
    certification_expires: date | None = None
    tilt: Decimal | None = None
    azimuth: Decimal | None = None
    channels: tuple[str, ...] = (Channel.GENERATION.value,)
    programme: str | None = None  # the project the site belongs to (fleet rules)


@dataclass
class ChannelSeries:
    """One channel's intervals, sorted by start: parallel lists, one item per interval."""

    start: list[int] = field(default_factory=list)  # UTC epoch seconds
    seconds: list[int] = field(default_factory=list)
    register_wh: list[int | None] = field(default_factory=list)
    energy_wh: list[int | None] = field(default_factory=list)
    quality: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.start)


@dataclass
class SiteSeries:
    """One site's readings and, aligned with the generation channel's intervals, the physics
    context computed outside the domain (jcredit.adapters.dmrv.solar)."""

    facts: SiteFacts
    channels: dict[str, ChannelSeries]
    sun_elevation: list[float] = field(default_factory=list)  # degrees, at each midpoint
    clear_sky_wh: list[float] = field(default_factory=list)  # expected at registered capacity

    def channel(self, name: str) -> ChannelSeries:
        return self.channels.get(name) or ChannelSeries()


@dataclass(frozen=True)
class Finding:
    """What one rule found (docs/dmrv.md §4)."""

    rule_id: str
    qualified_name: str
    severity: Severity
    intervals: tuple[tuple[int, int], ...]  # [start, end) UTC epoch seconds
    energy_wh: int
    evidence: dict[str, Any]
    site: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "qualified_name": self.qualified_name,
                "severity": self.severity.value, "site": self.site,
                "intervals": [list(i) for i in self.intervals], "energy_wh": self.energy_wh,
                "evidence": self.evidence}


@dataclass
class ReadingRows:
    """Readings on their way to the store (docs/dmrv.md §3): per-reading columns, and the
    columns that are constant for a batch's rows as runs ``(count, site, device_id,
    seconds, batch)`` (they are expanded in Arrow, not in Python)."""

    channel: list[str] = field(default_factory=list)
    start: list[int] = field(default_factory=list)  # epoch seconds UTC
    register_wh: list[int | None] = field(default_factory=list)
    energy_wh: list[int | None] = field(default_factory=list)
    quality: list[str] = field(default_factory=list)
    runs: list[tuple[int, str, str, int, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.start)

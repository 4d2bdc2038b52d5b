"""A site's page and its read API (docs/dmrv.md §8): the readings of a period, the automatic
checks run over them, and what the pipeline received from the site's devices.

Who reads: the project's implementer or operator (its organisation's users) and the
secretariat, the project's assigned 審査機関, and the auditor (read-only, as for the
journal). Nobody else: the role is checked before anything is read, the caller's part in
the project before any reading is.

The readings live in the Parquet store and the physics context comes from pvlib, both
adapters, which this layer may not import: the entrypoint passes a :class:`SiteReadings`
port (``Registry.site_readings``), as the Registry wires the ingestion pipeline.

The checks are run on the period shown (``rules.evaluate``), with the methodology's default
thresholds. A finding that needs more days than the period holds (R06's references, R16's
fleet) may appear over a longer period and not a shorter one: the page states the period.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone
from typing import Any
from typing import Protocol

from jcredit.domain.dmrv.devices import Device
from jcredit.domain.dmrv.model import SEVERITY_RANK
from jcredit.domain.dmrv.model import ChannelSeries
from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules import RULES
from jcredit.domain.dmrv.rules import evaluate
from jcredit.domain.dmrv.rules.context import Context
from jcredit.domain.dmrv.rules.context import deduplicated
from jcredit.domain.dmrv.rules.context import merge
from jcredit.domain.dmrv.thresholds import Thresholds
from jcredit.domain.dmrv.thresholds import load
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.projects.model import Project
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.dmrv_queries import READER_ROLES
from jcredit.service_layer.dmrv_queries import can_read
from jcredit.service_layer.dmrv_queries import device_summary
from jcredit.service_layer.handlers.dmrv import activity_of
from jcredit.service_layer.handlers.dmrv import actor_manages
from jcredit.service_layer.handlers.projects import activity_view
from jcredit.service_layer.handlers.projects import project_by_number
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork

JST = timezone(timedelta(hours=9), "JST")
DEFAULT_DAYS = 28  # the period shown when none is asked for: four weeks to the last reading
MAX_DAYS = 92  # a quarter: at 30-minute cadence 4,416 intervals per channel, one page
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
SITE_READER_ROLES = (*READER_ROLES, Role.AUDITOR)
CHART_CHANNELS = ("generation", "export", "import")
RECENT_BATCHES = 20
RECENT_REFUSALS = 20
HELD_SHOWN = 10
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class SiteReadings(Protocol):
    """What a site's page needs from outside the service layer."""

    def series(self, site: str, since: int, until: int) -> dict[str, ChannelSeries]:
        """The site's stored readings in ``[since, until)`` (UTC epoch s), per channel,
        sorted by start (``adapters.dmrv.stores.channel_series``)."""
        ...

    def many(self, sites: list[str], since: int, until: int
             ) -> dict[str, dict[str, ChannelSeries]]:
        """:meth:`series` of many sites in one read (a programme's, for its settlement)."""
        ...

    def annotate(self, series: SiteSeries) -> SiteSeries:
        """Fill the sun's elevation and the clear-sky expectation (``adapters.dmrv.solar``)."""
        ...


# --- who reads -----------------------------------------------------------------------------


def can_read_site(actor: Actor, project: Project) -> bool:
    """The project's parties, its 審査機関, the secretariat, the auditor, and the
    certification committee (which certifies from the dossier)."""
    return actor.role in (Role.AUDITOR, Role.COMMITTEE) or can_read(actor, project)


def _require_site_reader(actor: Actor, project: Project) -> None:
    if not can_read_site(actor, project):
        raise PermissionDeniedError(
            f"the sites of project {project.number} are for its implementer, its 審査機関, "
            "the secretariat and the auditor")


# --- the period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The days shown, in Japan (both inclusive), and the same as UTC ``[since, until)``."""

    first: date
    last: date
    default: bool

    @property
    def since(self) -> int:
        return int(datetime.combine(self.first, time(0), JST).timestamp())

    @property
    def until(self) -> int:
        return int(datetime.combine(self.last + timedelta(days=1), time(0), JST).timestamp())

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "days": self.days,
                "since": self.since, "until": self.until, "default": self.default,
                "max_days": MAX_DAYS}


def parse_day(value: object, field: str) -> date | None:
    """A ``YYYY-MM-DD`` day of the period, or None when not given."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        text = str(value).strip()
        if not _DATE.fullmatch(text):
            raise ValidationError(f"{field} must be a date (YYYY-MM-DD): {str(value)[:40]!r}",
                                  field=field, valid=("YYYY-MM-DD",))
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValidationError(f"{field}: the day {text} does not exist in the calendar",
                                  field=field) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(f"{field} must be a date from {FIRST_DAY} to {LAST_DAY}: {day}",
                              field=field, valid=(f"{FIRST_DAY} – {LAST_DAY}",))
    return day


def window(since: object, until: object, *, extent: tuple[int, int] | None,
           now: datetime) -> Window:
    """The period asked for (``from``/``to``, JST days, both inclusive), or by default the
    28 days to the last stored reading (to today without readings). One bound alone gives
    28 days from or to it. Refused: a bad date (naming the field), ``to`` before ``from``,
    more than 92 days."""
    first, last = parse_day(since, "from"), parse_day(until, "to")
    default = first is None and last is None
    if default:
        end = extent[1] - 1 if extent else int(now.timestamp())
        last = datetime.fromtimestamp(end, JST).date()
    if first is None:
        assert last is not None
        first = max(FIRST_DAY, last - timedelta(days=DEFAULT_DAYS - 1))
    if last is None:
        last = min(LAST_DAY, first + timedelta(days=DEFAULT_DAYS - 1))
    if last < first:
        raise ValidationError(f"to ({last}) is before from ({first})", field="to")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise ValidationError(f"the period is at most {MAX_DAYS} days; {first} to {last} is "
                              f"{days} days", field="to", valid=(f"1–{MAX_DAYS} days",))
    return Window(first, last, default)


# --- the view ------------------------------------------------------------------------------


def site_view(uow: AbstractUnitOfWork, readings: SiteReadings, actor: Actor, project: str,
              activity: str, since: object = None, until: object = None, *,
              now: datetime | None = None, thresholds: Thresholds | None = None
              ) -> dict[str, Any]:
    """One site over a period: its facts and devices, per-interval arrays for the chart
    (UTC epoch s; generation, export, import and the clear-sky expectation in Wh), the
    findings of the automatic checks (most severe first), totals, and what the pipeline
    received: the recent batches, the refusals and the held batches with their conflicts.
    ``since``/``until``: the ``from``/``to`` days (JST, ``YYYY-MM-DD``)."""
    now = now or datetime.now(UTC)
    found, proj, code, devices = _site(uow, actor, project, activity)
    site = f"{proj.number}/{code}"
    period = window(since, until, extent=uow.dmrv.extent([site]), now=now)
    t = thresholds or load()
    view: dict[str, Any] = {
        "site": site, "project": proj.number, "project_name": proj.name,
        "project_state": proj.state.value, "activity": found,
        "can_manage": actor_manages(actor, proj),
        "devices": [device_summary(d) for d in devices],
        "facts": _facts(devices[0]) if devices else None,
        "window": period.as_dict(), "thresholds_version": t.version,
        "thresholds_changed": [{"key": k, "default": str(d), "value": str(v)}
                               for k, d, v in t.changed()],
    }
    view |= _received(uow, site, devices)
    if not devices:
        return view | {"series": _chart(None, None), "findings": [], "bands": [],
                       "totals": _totals(None, None, [])}
    series = SiteSeries(devices[0].site_facts(),
                        readings.series(site, period.since, period.until))
    if len(series.channel("generation")):
        series = readings.annotate(series)
    findings = sorted(evaluate(series, t, now=now) + held_findings(view["held"], site,
                                                                     period.since,
                                                                     period.until),
                      key=_severity_order)
    ctx = Context(series, t)
    return view | {"series": _chart(series, ctx), "findings": [_finding(f) for f in findings],
                   "bands": _bands(findings), "totals": _totals(series, ctx, findings)}


def site_readings(uow: AbstractUnitOfWork, readings: SiteReadings, actor: Actor,
                  project: str, activity: str, since: object = None, until: object = None,
                  *, now: datetime | None = None) -> dict[str, Any]:
    """The stored readings of a site over a period, as they were sent (for the CSV): per
    channel and interval, ``start`` (UTC epoch s), ``seconds``, ``register_wh``,
    ``energy_wh``, ``quality``."""
    now = now or datetime.now(UTC)
    _, proj, code, _ = _site(uow, actor, project, activity)
    site = f"{proj.number}/{code}"
    period = window(since, until, extent=uow.dmrv.extent([site]), now=now)
    rows = []
    for channel, ch in sorted(readings.series(site, period.since, period.until).items()):
        for i in range(len(ch)):
            rows.append({"channel": channel, "start": ch.start[i], "seconds": ch.seconds[i],
                         "register_wh": ch.register_wh[i], "energy_wh": ch.energy_wh[i],
                         "quality": ch.quality[i]})
    rows.sort(key=lambda r: (r["start"], r["channel"]))
    return {"site": site, "window": period.as_dict(), "readings": rows}


def batch_view(uow: AbstractUnitOfWork, actor: Actor, digest: str) -> dict[str, Any]:
    """A received batch: its receipt, status and, if held, the conflicting readings (stored
    value beside sent value). Readable by whoever reads the batch's site."""
    require_role(actor, *SITE_READER_ROLES, action="reading a batch")
    row = uow.dmrv.get(str(digest).strip().lower())
    if row is None:
        raise NotFoundError(f"no batch {digest}", field="batch")
    number, _, _ = str(row["site"]).partition("/")
    project = uow.projects.by_number(number)
    if project is None:
        raise NotFoundError(f"no batch {digest}", field="batch")
    _require_site_reader(actor, project)
    return _batch(row) | {"conflicts": _conflicts(row) if row["status"] == "HELD" else None}


# --- parts ---------------------------------------------------------------------------------


def _site(uow: AbstractUnitOfWork, actor: Actor, project: str, activity: str
          ) -> tuple[dict[str, Any], Project, str, list[Device]]:
    require_role(actor, *SITE_READER_ROLES, action="reading a site")
    proj = project_by_number(uow, project)
    _require_site_reader(actor, proj)
    found = activity_of(uow, proj, activity)
    devices = sorted(uow.devices.of_activity(found.id),
                     key=lambda d: (d.commissioned_on or date.min, d.device_id))
    return activity_view(found), proj, found.code, devices


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _facts(device: Device) -> dict[str, Any]:
    f = device.site_facts()
    return {"device_id": f.device_id, "capacity_ac_kw": str(f.capacity_ac_kw),
            "capacity_dc_kw": str(f.capacity_dc_kw), "latitude": str(f.latitude),
            "longitude": str(f.longitude),
            "tilt": str(f.tilt) if f.tilt is not None else None,
            "azimuth": str(f.azimuth) if f.azimuth is not None else None,
            "commissioned_on": _iso(f.commissioned_on),
            "certification_expires": _iso(f.certification_expires),
            "channels": list(f.channels)}


def _severity_order(f: Finding) -> tuple[int, str, tuple[tuple[int, int], ...], str]:
    return (-SEVERITY_RANK[f.severity], f.rule_id, f.intervals[:1], f.qualified_name)


def first_devices(devices: Iterable[Device]) -> dict[str, Device]:
    """Each site's first registered device: the one whose facts (capacity, serial,
    certification) the site's checks and its dossier entry use."""
    first: dict[str, Device] = {}
    for device in devices:
        first.setdefault(device.site, device)
    return first


def held_findings(held: list[dict[str, Any]], site: str, since: int, until: int
                   ) -> list[Finding]:
    """A batch held because it conflicts with stored readings is an R03 HOLD over its
    intervals: it shows among the findings and on the chart, not only in the batch list."""
    found = []
    for batch in held:
        first, last = int(batch["first_start"]), int(batch["last_end"])
        if last <= since or first >= until:
            continue
        conflicts = batch.get("conflicts") or []
        sent = sum(int((c.get("sent") or {}).get("energy_wh") or 0) for c in conflicts
                   if c.get("channel") == "generation")
        found.append(Finding(
            "R03", "R03.conflict", Severity.HOLD,
            ((max(first, since), min(last, until)),), sent,
            {"batch": batch["batch"], "conflicts": len(conflicts)}, site=site))
    return found


def _finding(f: Finding) -> dict[str, Any]:
    info = RULES.get(f.rule_id)
    first = f.intervals[0][0] if f.intervals else None
    last = f.intervals[-1][1] if f.intervals else None
    return f.as_dict() | {
        "name_ja": info.name_ja if info else f.rule_id,
        "name_en": info.name_en if info else f.rule_id,
        "first_start": first, "last_end": last,
        "seconds": sum(b - a for a, b in f.intervals)}


def _bands(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """The intervals to mark on the chart: per severity, merged ranges; where findings of
    several severities overlap, only the most severe is marked (BLOCK over HOLD over
    FLAG), so a band's colour says what happens to those intervals."""
    by: dict[Severity, list[tuple[int, int]]] = {s: [] for s in Severity}
    for f in findings:
        by[f.severity].extend(f.intervals)
    out: list[dict[str, Any]] = []
    taken: tuple[tuple[int, int], ...] = ()
    for severity in (Severity.BLOCK, Severity.HOLD, Severity.FLAG):
        ranges = merge(by[severity])
        out += [{"severity": severity.value, "start": a, "end": b}
                for a, b in _subtract(ranges, taken)]
        taken = merge([*taken, *ranges])
    return out


def _subtract(ranges: Sequence[tuple[int, int]], minus: Sequence[tuple[int, int]]
              ) -> list[tuple[int, int]]:
    """The parts of the merged, sorted ``ranges`` outside the merged, sorted ``minus``.

    >>> _subtract([(0, 10), (20, 30)], [(5, 22), (25, 26)])
    [(0, 5), (22, 25), (26, 30)]
    """
    out: list[tuple[int, int]] = []
    k = 0
    for a, b in ranges:
        while k < len(minus) and minus[k][1] <= a:
            k += 1
        j, start = k, a
        while j < len(minus) and minus[j][0] < b:
            if minus[j][0] > start:
                out.append((start, minus[j][0]))
            start = max(start, minus[j][1])
            j += 1
        if start < b:
            out.append((start, b))
    return out


def _chart(series: SiteSeries | None, ctx: Context | None) -> dict[str, list[Any]]:
    """Per interval on the union of the channels' starts: the energy the rules count (a
    register delta where no energy was sent) and the clear-sky expectation; ``None`` where
    a channel has no reading."""
    empty: dict[str, list[Any]] = {"start": [], "seconds": [], "generation_wh": [],
                                   "export_wh": [], "import_wh": [], "clear_sky_wh": []}
    if series is None or ctx is None:
        return empty
    values: dict[str, dict[int, int | None]] = {}
    seconds: dict[int, int] = {}
    for name in CHART_CHANNELS:
        ch = ctx.gen if name == "generation" else deduplicated(series.channel(name))[0]
        energy = ctx.energy_of(name).energy if len(ch) else []
        values[name] = dict(zip(ch.start, energy, strict=True))
        for s, sec in zip(ch.start, ch.seconds, strict=True):
            seconds.setdefault(s, sec)
    clear = ({s: round(v, 3) for s, v in zip(ctx.start, ctx.clear_sky, strict=True)}
             if ctx.clear_sky is not None else {})
    starts = sorted(seconds)
    return {"start": starts, "seconds": [seconds[s] for s in starts],
            "generation_wh": [values["generation"].get(s) for s in starts],
            "export_wh": [values["export"].get(s) for s in starts],
            "import_wh": [values["import"].get(s) for s in starts],
            "clear_sky_wh": [clear.get(s) for s in starts]}


def _covered(starts: Sequence[int], seconds: Sequence[int],
             ranges: Sequence[tuple[int, int]]) -> list[bool]:
    """Whether each interval ``[start, start + seconds)`` overlaps one of the merged,
    sorted ``ranges``."""
    ends = [b for _, b in ranges]
    out = []
    for s, sec in zip(starts, seconds, strict=True):
        k = bisect.bisect_right(ends, s)  # the first range ending after s
        out.append(k < len(ranges) and ranges[k][0] < s + sec)
    return out


def _totals(series: SiteSeries | None, ctx: Context | None, findings: Sequence[Finding]
            ) -> dict[str, Any]:
    """Energy by channel over the period; the generation in BLOCKed intervals (not
    credited) and in HOLD intervals not blocked (the verifier decides); findings by
    severity."""
    counts = {s.value: sum(1 for f in findings if f.severity is s) for s in Severity}
    energy: dict[str, int | None] = dict.fromkeys(CHART_CHANNELS)
    totals: dict[str, Any] = {"energy_wh": energy, "blocked_wh": 0, "held_wh": 0,
                              "self_consumption_wh": None, "intervals": 0,
                              "findings": counts}
    if series is None or ctx is None:
        return totals
    # a negative register delta (a reset, R08) is no energy: it would lower the sums
    for name in CHART_CHANNELS:
        if len(series.channel(name)):
            energy[name] = sum(e for e in ctx.energy_of(name).energy if e is not None and e > 0)
    gen = [e if e is not None and e > 0 else 0 for e in ctx.energy]
    blocked = merge(i for f in findings if f.severity is Severity.BLOCK for i in f.intervals)
    held = merge(i for f in findings if f.severity is Severity.HOLD for i in f.intervals)
    in_block = _covered(ctx.start, ctx.seconds, blocked)
    in_hold = _covered(ctx.start, ctx.seconds, held)
    totals["blocked_wh"] = sum(e for e, b in zip(gen, in_block, strict=True) if b)
    totals["held_wh"] = sum(e for e, b, h in zip(gen, in_block, in_hold, strict=True)
                            if h and not b)
    totals["intervals"] = ctx.n
    if energy["generation"] is not None and energy["export"] is not None:
        # EN-R-002: only self-consumed electricity is credited, E_self = E_gen − E_exp
        totals["self_consumption_wh"] = energy["generation"] - energy["export"]
    return totals


def held_batches(uow: AbstractUnitOfWork, sites: list[str], *, limit: int = 100_000
                 ) -> dict[str, list[dict[str, Any]]]:
    """The sites' batches held for conflicts (the latest ``limit``), with their conflicts,
    by site."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in uow.dmrv.of_sites(sites, status="HELD", limit=limit):
        full = uow.dmrv.get(row["hash"]) or row
        out.setdefault(row["site"], []).append(_batch(full) | {"conflicts": _conflicts(full)})
    return out


def _received(uow: AbstractUnitOfWork, site: str, devices: Sequence[Device]
              ) -> dict[str, Any]:
    batches = [_batch(b) for b in uow.dmrv.of_sites([site], limit=RECENT_BATCHES)]
    held = held_batches(uow, [site], limit=HELD_SHOWN).get(site, [])
    refusals = uow.dmrv.refusals([d.device_id for d in devices],
                                 limit=RECENT_REFUSALS) if devices else []
    return {"batches": batches, "batch_counts": uow.dmrv.counts([site]), "held": held,
            "refusals": [dict(r) for r in refusals]}


def _batch(row: dict[str, Any]) -> dict[str, Any]:
    receipt = json.loads(row["receipt"]) if row.get("receipt") else None
    return {"batch": row["hash"], "device_id": row["device_id"], "site": row["site"],
            "seq": row["seq"], "key_id": row["key_id"], "status": row["status"],
            "form": row["form"], "source": row["source"], "first_start": row["first_start"],
            "last_end": row["last_end"], "rows": row["rows"], "duplicates": row["duplicates"],
            "received_at": row["received_at"], "receipt": receipt}


def _conflicts(row: dict[str, Any]) -> list[dict[str, Any]]:
    text = row.get("conflicts")
    return list(json.loads(text)) if text else []

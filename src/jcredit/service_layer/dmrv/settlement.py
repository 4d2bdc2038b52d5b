"""A monitoring period settled from the readings (docs/dmrv.md §9).

For every site of a project with devices: the automatic checks over the period (the per-site
rules and the fleet's R16), the intervals they take out (BLOCK; a HOLD the verifier
rejected), and the creditable generation and export summed by an engine (DuckDB or Spark,
an adapter behind :class:`EnergyEngine`). :func:`settlement_preview` returns all of it;
:func:`settle_period` submits the activities' values as the period's monitoring data
(``SubmitMonitoringData`` with the settlement beside them), the same command a pasted CSV
goes through, so the methodology, the document and the journal are the ones every project
has. Projects without devices keep the CSV path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Protocol

from jcredit.domain.dmrv.merkle import SiteDay
from jcredit.domain.dmrv.merkle import period_root
from jcredit.domain.dmrv.merkle import proof
from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.model import SiteSeries
from jcredit.domain.dmrv.rules import evaluate
from jcredit.domain.dmrv.rules.fleet import fleet_check
from jcredit.domain.dmrv.settlement import SiteEnergy
from jcredit.domain.dmrv.settlement import digest
from jcredit.domain.dmrv.settlement import exclusions
from jcredit.domain.dmrv.settlement import finding_key
from jcredit.domain.dmrv.settlement import open_holds
from jcredit.domain.dmrv.settlement import period_bounds
from jcredit.domain.dmrv.settlement import settle
from jcredit.domain.dmrv.thresholds import Thresholds
from jcredit.domain.dmrv.thresholds import load
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.dmrv.sites import SiteReadings
from jcredit.service_layer.dmrv.sites import can_read_site
from jcredit.service_layer.dmrv.sites import first_devices
from jcredit.service_layer.dmrv.sites import held_batches
from jcredit.service_layer.dmrv.sites import held_findings
from jcredit.service_layer.dmrv.sites import parse_day
from jcredit.service_layer.handlers.projects import period_by_number
from jcredit.service_layer.handlers.projects import project_by_number
from jcredit.service_layer.messagebus import MessageBus
from jcredit.service_layer.unit_of_work import UnitOfWorkFactory


class EnergyEngine(Protocol):
    """Sums each site's creditable energy (adapters/dmrv/settlement.py), and gives the
    readings of site-days for their Merkle trees."""

    name: str

    def energy(self, segments: Sequence[tuple[str, int, int]],
               excluded: Sequence[tuple[str, int, int]]) -> list[SiteEnergy]: ...

    def site_days(self, sites: Sequence[str], since: int, until: int) -> list[SiteDay]: ...


def settlement_preview(uow_factory: UnitOfWorkFactory, readings: SiteReadings,
                       engine: EnergyEngine, actor: Actor, project: str, period: object, *,
                       now: datetime | None = None, thresholds: Thresholds | None = None,
                       rejected: set[str] | None = None) -> dict[str, Any]:
    """The settlement of one monitoring period, computed and not recorded. The HOLD
    findings the verifier rejected are taken out (``rejected``: their keys, to reproduce a
    settlement as it was made; by default the decisions recorded now)."""
    now = now or datetime.now(UTC)
    t = thresholds or load()
    with uow_factory(write=False) as uow:
        proj = project_by_number(uow, project)
        if not can_read_site(actor, proj):
            raise PermissionDeniedError(f"you may not read {proj.number}'s readings",
                                        field="project")
        monitoring = period_by_number(uow, proj, period)
        devices = uow.devices.of_project(proj.id)
        decided = uow.dmrv.decisions(proj.id, monitoring.number)
        held = held_batches(uow, sorted({d.site for d in devices}))
    if not devices:
        raise ConflictError(f"{proj.number} has no devices: its monitoring data come from a "
                            "CSV file", field="project")
    since, until = period_bounds(monitoring.start, monitoring.end)
    first = first_devices(devices)
    findings: list[Finding] = []
    annotated: list[SiteSeries] = []
    stored = readings.many(sorted(first), since, until)  # one scan for the programme
    for site, device in sorted(first.items()):
        series = SiteSeries(device.site_facts(), stored.get(site, {}))
        if len(series.channel("generation")):
            series = readings.annotate(series)
            annotated.append(series)
        else:  # R09 at its extreme: the meter sent nothing for the period (nothing earns)
            findings.append(Finding("R09", "missing", Severity.FLAG, ((since, until),), 0,
                                    {"readings": 0}, site=site))
        findings.extend(_with_site(evaluate(series, t, now=now), site))
        # a batch held for conflicting with stored readings: an R03 HOLD the verifier decides
        # (accept: the stored readings stand; reject: those intervals are taken out)
        findings.extend(held_findings(held.get(site, []), site, since, until))
    if len(annotated) >= 2:
        findings.extend(fleet_check(annotated, t))
    if rejected is None:
        rejected = {key for key, d in decided.items() if d["decision"] == "REJECT"}
    else:
        decided = {key: {"decision": "REJECT"} for key in rejected}
    excluded = exclusions(findings, dict.fromkeys(rejected, True))
    energies = engine.energy([(f"P{monitoring.number}", since, until)],
                             [(x.site, x.start, x.end) for x in excluded])
    sites = settle(energies, first, excluded)
    days = engine.site_days(sorted(first), since, until)
    holds = open_holds(findings, excluded)
    stats: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        entry = stats.setdefault((f.rule_id, f.severity.value),
                                 {"count": 0, "sites": set(), "energy_wh": 0})
        entry["count"] += 1
        entry["sites"].add(f.site)
        entry["energy_wh"] += f.energy_wh
    summary: dict[str, Any] = {
        "project": proj.number, "period": monitoring.number,
        "period_start": monitoring.start.isoformat(),
        "period_end": monitoring.end.isoformat(), "since": since, "until": until,
        "engine": engine.name, "thresholds_version": t.version,
        "evaluated_at": now.isoformat(),  # the checks' "now" (R04, R21), to reproduce them
        "sites": [{"site": s.site, "activity": s.activity,
                   "generation_wh": s.generation_wh, "export_wh": s.export_wh,
                   "generation_kwh": str(s.generation_kwh), "export_kwh": str(s.export_kwh),
                   "readings": s.readings, "creditable": s.creditable,
                   "excluded_ranges": len(s.excluded),
                   "excluded_seconds": s.excluded_seconds} for s in sites],
        "findings": [{"rule_id": r, "severity": sev, "count": v["count"],
                      "sites": len(v["sites"]), "energy_wh": v["energy_wh"]}
                     for (r, sev), v in sorted(stats.items())],
        "excluded": [{"site": x.site, "start": x.start, "end": x.end, "rule_id": x.rule_id,
                      "reason": x.reason} for x in excluded],
        "holds": [{"key": finding_key(f), "site": f.site, "rule_id": f.rule_id,
                   "intervals": [list(i) for i in f.intervals], "energy_wh": f.energy_wh,
                   "evidence": f.evidence,
                   "decision": decided.get(finding_key(f), {}).get("decision")}
                  for f in holds],
        # the Merkle root of every reading of the period (docs/dmrv.md §10)
        "readings_root": period_root(days).hex(), "site_days": len(days),
        "totals": {"generation_wh": sum(s.generation_wh for s in sites),
                   "export_wh": sum(s.export_wh for s in sites),
                   "sites": len(sites), "excluded_ranges": len(excluded),
                   "excluded_seconds": sum(s.excluded_seconds for s in sites),
                   "holds": len(holds)},
    }
    summary["activities"] = {s.activity: s.inputs() for s in sites}
    summary["sha256"] = digest(summary)
    return summary


def settle_period(uow_factory: UnitOfWorkFactory, bus: MessageBus, readings: SiteReadings,
                  engine: EnergyEngine, actor: Actor, project: str, period: object, *,
                  now: datetime | None = None, thresholds: Thresholds | None = None,
                  idempotency_key: str | None = None) -> dict[str, Any]:
    """Settle the period and submit its activities' values as its monitoring data."""
    summary = settlement_preview(uow_factory, readings, engine, actor, project, period,
                                 now=now, thresholds=thresholds)
    result = bus.handle(c.SubmitMonitoringData(
        project=summary["project"], period=summary["period"],
        activities=summary["activities"],
        settlement={k: v for k, v in summary.items() if k != "activities"}),
        actor=actor, idempotency_key=idempotency_key).data
    return {"settlement": summary, "period": result}


def _with_site(findings: list[Finding], site: str) -> list[Finding]:
    return [f if f.site else replace(f, site=site) for f in findings]


def site_day_proof(uow_factory: UnitOfWorkFactory, engine: EnergyEngine, actor: Actor,
                   site: str, day: object) -> dict[str, Any]:
    """The inclusion proof of one site-day's readings in the Merkle root of the settled
    monitoring period that contains the day (docs/dmrv.md §10), with the root the journal
    recorded. The tree is built again from the readings as they are now: if they changed
    since the settlement, the proof leads to another root and the check says so."""
    number, _, code = str(site).partition("/")
    when = parse_day(day, "day")
    if when is None or not code:
        raise ValidationError("name a site as PROJECT/ACTIVITY and a day as YYYY-MM-DD",
                              field="site" if not code else "day")
    with uow_factory(write=False) as uow:
        proj = project_by_number(uow, number)
        if not can_read_site(actor, proj):
            raise PermissionDeniedError(f"you may not read {proj.number}'s readings",
                                        field="project")
        settled = [p for p in uow.projects.periods(proj.id)
                   if p.start <= when <= p.end
                   and ((p.result or {}).get("settlement") or {}).get("readings_root")]
        if not settled:
            raise NotFoundError(f"no settled monitoring period of {proj.number} contains "
                                f"{when}", field="day")
        period = settled[-1]
        seqs = [e.journal_seq for e in uow.projects.events(proj.id)
                if e.period_number == period.number and e.action in ("submit_data", "certify")]
        sites = sorted({d.site for d in uow.devices.of_project(proj.id)})
    since, until = period_bounds(period.start, period.end)
    days = engine.site_days(sites, since, until)
    try:
        document = proof(days, f"{proj.number}/{code}", when.isoformat())
    except KeyError as error:
        raise NotFoundError(f"{proj.number}/{code} has no readings on {when}",
                            field="site") from error
    recorded = period.result["settlement"]
    return document | {"project": proj.number, "period": period.number,
                       "published_root": recorded["readings_root"],
                       "settlement_sha256": recorded.get("sha256"),
                       "journal_seqs": seqs}

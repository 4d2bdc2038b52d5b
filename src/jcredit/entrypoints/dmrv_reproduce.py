"""``jcredit dmrv reproduce PROJECT PERIOD``: every number of a settled period again, from the
raw batches alone (docs/dmrv.md §11).

The raw batches the devices sent (the packs, each record re-hashed as it is read) are the
evidence; the Parquet readings, the settlement and the certified amounts were derived from
them. Reproducing re-reads every accepted batch of the project's devices that touches the
period, verifies its signature with the device's key again, rebuilds the readings exactly as
ingestion stored them (a reading belongs to the first batch, in chain order, that brought
it) into a scratch store, and settles the period over it with the same checks, engine and
definition, at the time the settlement was made. Then it compares: the readings' Merkle
root, each site's generation, export and exclusions, the activities' values, and the
certified amounts recomputed by the methodology. Anything that differs is named; a changed
raw record, a batch that no longer verifies, a changed Parquet row (the root and the sums
differ) or an edited recorded root (it differs from the rebuilt one) cannot pass.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from jcredit.adapters.dmrv.settlement import DuckDBEngine
from jcredit.adapters.dmrv.settlement import ReadingsEnergy
from jcredit.adapters.dmrv.signing import verify
from jcredit.adapters.dmrv.site_readings import StoredSiteReadings
from jcredit.adapters.dmrv.stores import ReadingsStore
from jcredit.bootstrap import Registry
from jcredit.domain.dmrv.envelope import Batch
from jcredit.domain.dmrv.envelope import BatchRefused
from jcredit.domain.dmrv.merkle import period_root
from jcredit.domain.dmrv.model import ReadingRows
from jcredit.domain.dmrv.settlement import period_bounds
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.methodologies.base import certified_amounts
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.dmrv.ingest import _append
from jcredit.service_layer.dmrv.ingest import _reparse
from jcredit.service_layer.dmrv.settlement import settlement_preview
from jcredit.service_layer.dmrv.sites import can_read_site
from jcredit.service_layer.handlers.dmrv_decisions import settled_summary
from jcredit.service_layer.handlers.monitoring import calculate_period
from jcredit.service_layer.handlers.projects import period_by_number
from jcredit.service_layer.handlers.projects import project_by_number


def recorded_settlement(registry: Registry, project: Any, period: int) -> dict[str, Any]:
    """The settlement of the period's latest monitoring report."""
    with registry.uow(write=False) as uow:
        summary = settled_summary(uow, project, period)
    if summary is None:
        raise NotFoundError(f"period {period} was not settled from the readings",
                            field="period")
    return summary


def reproduce(registry: Registry, actor: Actor, project: str, period: object
              ) -> dict[str, Any]:
    with registry.uow(write=False) as uow:
        proj = project_by_number(uow, project)
        if not can_read_site(actor, proj):
            raise PermissionDeniedError(f"you may not read {proj.number}'s readings",
                                        field="project")
        monitoring = period_by_number(uow, proj, period)
        devices = {d.device_id: d for d in uow.devices.of_project(proj.id)}
        since, until = period_bounds(monitoring.start, monitoring.end)
        spans = [s for s in uow.dmrv.accepted_spans(list(devices), since) if s[3] < until]
        activities = uow.projects.activities(proj.id)
    recorded = recorded_settlement(registry, proj, monitoring.number)
    problems: list[str] = []
    rows = ReadingRows()
    seen: set[tuple[str, str, int]] = set()
    for device_id, digest, location, _first, _last in spans:
        device = devices[device_id]
        try:
            data, signature = registry.raw_batches.get(digest, location)
            batch: Batch = _reparse(registry.raw_batches, digest, location)
        except (ConflictError, NotFoundError, BatchRefused, OSError) as error:
            problems.append(f"raw batch {digest}: {getattr(error, 'message', error)}")
            continue
        key = next((k for k in device.keys if k.key_id == batch.key_id), None)
        if key is None or not verify(key.public_key, signature, data):
            problems.append(f"raw batch {digest} of {device_id}: its signature does not "
                            "verify with the device's key")
            continue
        r = batch.readings
        new = []
        for i in range(len(r)):
            mark = (device_id, r.channel[i], r.start[i])
            if mark not in seen:
                seen.add(mark)
                new.append(i)
        _append(rows, batch, device.site, new)
    with tempfile.TemporaryDirectory(prefix="jcredit-reproduce-") as scratch:
        store = ReadingsStore(Path(scratch) / "readings")
        store.publish(store.stage(rows, "reproduce"))
        evaluated = recorded.get("evaluated_at")
        again = settlement_preview(
            registry.uow, StoredSiteReadings(store), ReadingsEnergy(store, DuckDBEngine()),
            actor, proj.number, monitoring.number,
            now=datetime.fromisoformat(evaluated) if evaluated else registry.clock(),
            rejected={h["key"] for h in recorded.get("holds", [])
                      if h.get("decision") == "REJECT"})
    problems += compare(recorded, again)
    problems += compare_store(registry, recorded, since, until)
    if monitoring.certified:
        results, _ = calculate_period(proj, monitoring, activities, again["activities"])
        amounts = [a.as_dict() for a in certified_amounts(results)]
        if amounts != monitoring.certified:
            problems.append(f"certified amounts: recorded {monitoring.certified}, "
                            f"reproduced {amounts}")
    return {"project": proj.number, "period": monitoring.number, "agrees": not problems,
            "problems": problems, "batches": len(spans), "readings": len(rows),
            "readings_root": again["readings_root"], "totals": again["totals"],
            "recorded_root": recorded.get("readings_root"),
            "certified": monitoring.certified}


def compare_store(registry: Registry, recorded: dict[str, Any], since: int, until: int
                  ) -> list[str]:
    """What the live readings store says now against what was recorded: the readings' root
    (the pages, the proofs and a new settlement read the store) and each site's settled
    energy with the recorded exclusions (the columns derived for the settlement included)."""
    sites = [s["site"] for s in recorded.get("sites", [])]
    live = ReadingsEnergy(registry.readings, DuckDBEngine())
    out = []
    root = period_root(live.site_days(sites, since, until)).hex()
    if recorded.get("readings_root") and root != recorded["readings_root"]:
        out.append(f"readings store: its readings now give the root {root}, not the recorded "
                   f"{recorded['readings_root']} (changed after the settlement)")
    energies: dict[tuple[str, str], int] = {}
    for e in live.energy([("P", since, until)], [(x["site"], x["start"], x["end"])
                                                  for x in recorded.get("excluded", [])]):
        energies[e.site, e.channel] = energies.get((e.site, e.channel), 0) + e.energy_wh
    for site in recorded.get("sites", []):
        for channel in ("generation", "export"):
            now, then = energies.get((site["site"], channel), 0), site.get(f"{channel}_wh")
            if then is not None and now != then:
                out.append(f"readings store: {site['site']} {channel}_wh is now {now}, "
                           f"recorded {then}")
    return out


def compare(recorded: dict[str, Any], again: dict[str, Any]) -> list[str]:
    """What differs between the recorded settlement and the reproduced one."""
    out = []
    if recorded.get("readings_root") != again["readings_root"]:
        out.append(f"readings root: recorded {recorded.get('readings_root')}, reproduced "
                   f"{again['readings_root']}")
    mine = {s["site"]: s for s in again["sites"]}
    for site in recorded.get("sites", []):
        other = mine.pop(site["site"], None)
        if other is None:
            out.append(f"{site['site']}: recorded, not reproduced")
            continue
        for field in ("generation_wh", "export_wh", "readings", "creditable",
                      "excluded_ranges", "excluded_seconds"):
            if site.get(field) != other.get(field):
                out.append(f"{site['site']} {field}: recorded {site.get(field)}, "
                           f"reproduced {other.get(field)}")
    out.extend(f"{site}: reproduced, not recorded" for site in mine)
    if recorded.get("activities") != again["activities"]:
        out.append("the activities' values differ from the recorded monitoring data")
    return out

"""The verification dossier of a period settled from the readings (docs/dmrv.md §13).

Generated, not written: what the period settled (sites, readings, energy, t-CO2, the Merkle
root and the settlement's SHA-256 as the journal records them); every automated check with
the sites it passed and failed and the energy and t-CO2 it affected; only the HOLD findings,
for decision, with what was decided; a stratified random sample of sites for the checks a
person makes (photos, meter serial and certificate, the household's agreement), drawn from a
seed nobody can choose (the readings' Merkle root: settling again draws the same); and the
verification items, which the system has taken over (with the check that proves each) and
which remain for a person.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jcredit.domain.dmrv.rules import RULES
from jcredit.domain.dmrv.sampling import SiteFacts
from jcredit.domain.dmrv.sampling import stratified_sample
from jcredit.domain.dmrv.verification_items import MAX_PERSON_ITEMS
from jcredit.domain.dmrv.verification_items import items
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import grid_factor
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.dmrv.sites import can_read_site
from jcredit.service_layer.dmrv.sites import first_devices
from jcredit.service_layer.handlers.dmrv_decisions import decisions_view
from jcredit.service_layer.handlers.dmrv_decisions import settled_summary
from jcredit.service_layer.handlers.projects import period_by_number
from jcredit.service_layer.handlers.projects import project_by_number
from jcredit.service_layer.unit_of_work import UnitOfWorkFactory

WH_PER_KWH = Decimal(1000)


def dossier(uow_factory: UnitOfWorkFactory, actor: Actor, project: str, period: object
            ) -> dict[str, Any]:
    with uow_factory(write=False) as uow:
        proj = project_by_number(uow, project)
        if not can_read_site(actor, proj):
            raise PermissionDeniedError(f"you may not read {proj.number}'s verification "
                                        "dossier", field="project")
        monitoring = period_by_number(uow, proj, period)
        summary = settled_summary(uow, proj, monitoring.number)
        if summary is None:
            raise ConflictError(f"period {monitoring.number} of {proj.number} was not settled "
                                "from the readings: it has no dossier", field="period")
        holds = decisions_view(uow, proj, monitoring)
        devices = uow.devices.of_project(proj.id)
        sources = uow.dmrv.sources(sorted({d.site for d in devices}))
    factor = grid_factor(fiscal_year_of(monitoring.start), GridFactorType.SUBSTITUTE)
    sites = summary.get("sites", [])
    population = len(sites)
    checks = []
    found = {(f["rule_id"], f["severity"]): f for f in summary.get("findings", [])}
    for rule_id, info in sorted(RULES.items()):
        rows = [f for (r, _), f in found.items() if r == rule_id]
        failed = max((f.get("sites", 0) for f in rows), default=0)
        energy = sum(f.get("energy_wh", 0) for f in rows)
        checks.append({
            "rule_id": rule_id, "name_ja": info.name_ja, "name_en": info.name_en,
            "severities": sorted({f["severity"] for f in rows}),
            "findings": sum(f["count"] for f in rows),
            "sites_passed": population - failed, "sites_failed": failed,
            "energy_wh": energy,
            # the energy at the fiscal year's grid factor: what the finding could move
            "tco2": str(Decimal(energy) / WH_PER_KWH * factor.value)})
    first_device = first_devices(devices)
    facts = [SiteFacts(s["site"], first_device[s["site"]].capacity_dc_kw,
                       _source(sources.get(s["site"], set())))
             # the sites that earn something: a site without creditable readings in the
             # period contributes nothing a deep check could confirm
             for s in sites if s["site"] in first_device and s.get("creditable", 1)]
    # the seed: the readings' Merkle root — what the meters sent, which nobody can choose;
    # settling again (a later time of the checks, a new settlement hash) draws the same
    draw = stratified_sample(facts, str(summary.get("readings_root", "")))
    for entry in draw["sample"]:
        d = first_device[entry["site"]]
        entry |= {"device_id": d.device_id, "serial": d.serial,
                  "certification_expires": d.certification_expires.isoformat()
                  if d.certification_expires else None,
                  "capacity_dc_kw": str(d.capacity_dc_kw)}
    table = items()
    person = [i for i in table if i.who == "person"]
    result = monitoring.result or {}
    return {
        "project": proj.number, "project_name": proj.name, "period": monitoring.number,
        "period_start": monitoring.start.isoformat(), "period_end": monitoring.end.isoformat(),
        "state": monitoring.state.value,
        "summary": {"sites": population,
                    "readings": sum(s.get("readings", 0) for s in sites),
                    "creditable": sum(s.get("creditable", 0) for s in sites),
                    "generation_wh": summary.get("totals", {}).get("generation_wh"),
                    "export_wh": summary.get("totals", {}).get("export_wh"),
                    "excluded_ranges": summary.get("totals", {}).get("excluded_ranges"),
                    "excluded_seconds": summary.get("totals", {}).get("excluded_seconds"),
                    "total_tco2": result.get("total_tco2"),
                    "readings_root": summary.get("readings_root"),
                    "site_days": summary.get("site_days"),
                    "settlement_sha256": summary.get("sha256"),
                    "engine": summary.get("engine"),
                    "thresholds_version": summary.get("thresholds_version"),
                    "evaluated_at": summary.get("evaluated_at"),
                    "grid_factor": {"name": factor.name, "value": str(factor.value),
                                    "unit": factor.unit}},
        "checks": checks,
        "holds": holds,
        "sample": draw,
        "items": [{"id": i.id, "who": i.who, "item_ja": i.item_ja, "item_en": i.item_en,
                   "proved_by": i.proved_by, "reason": i.reason, "source": i.source,
                   "verified": i.verified} for i in table],
        "items_for_a_person": len(person), "items_for_the_system": len(table) - len(person),
        "max_items_for_a_person": MAX_PERSON_ITEMS,
    }


def _source(paths: set[str]) -> str:
    return next(iter(paths)) if len(paths) == 1 else ("mixed" if paths else "none")

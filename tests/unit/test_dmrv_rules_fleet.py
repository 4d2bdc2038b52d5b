"""The rules on the fleet simulator (issue 13, "done when"): every injected per-site fault is
caught by its rule with its severity (domain/dmrv/faults.py), and a clean fleet of 100 sites ×
60 days gives no BLOCK or HOLD. Batch faults (R02, R03) are ingestion's and tested there."""

from __future__ import annotations

import pytest

from jcredit.adapters.dmrv.simulator import simulate_fleet
from jcredit.domain.dmrv.faults import FAULTS
from jcredit.domain.dmrv.model import Finding
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.rules import evaluate
from jcredit.domain.dmrv.rules import fleet_check


def findings_of(fleet_sites: int, days: int, **options: object) -> tuple[object, dict[str, list[Finding]]]:
    fleet = simulate_fleet(fleet_sites, days, **options)  # type: ignore[arg-type]
    series = [fleet.site_series(s) for s in fleet.sites]
    found = {s.facts.site: evaluate(s) for s in series}
    for f in fleet_check(series):
        found[f.site or ""].append(f)
    return fleet, found


def test_a_clean_fleet_has_no_block_or_hold() -> None:
    _, found = findings_of(100, 60, seed=1)
    serious = [(site, f.qualified_name, f.severity.value) for site, fs in found.items()
               for f in fs if f.severity is not Severity.FLAG]
    assert serious == []


@pytest.mark.parametrize("seed", [1, 2])
def test_every_injected_fault_is_caught_by_its_rule(seed: int) -> None:
    fleet, found = findings_of(60, 60, seed=seed, faults="all", fault_sites=2)
    labels = [lb for lb in fleet.labels if FAULTS[lb.fault].level != "batch"]  # type: ignore[attr-defined]
    assert {lb.fault for lb in labels} == {n for n, f in FAULTS.items() if f.level != "batch"}
    missed = []
    for label in labels:
        spec = FAULTS[label.fault]
        if not any(f.rule_id == spec.rule_id and f.severity is spec.severity
                   for f in found[label.site]):
            missed.append((label.site, label.fault))
    assert missed == []
    faulty = {lb.site for lb in fleet.labels}  # type: ignore[attr-defined]
    clean = [(site, f.qualified_name) for site, fs in found.items() if site not in faulty
             for f in fs if f.severity is not Severity.FLAG]
    assert clean == []

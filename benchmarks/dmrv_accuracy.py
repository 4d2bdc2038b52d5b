"""Precision and recall of each automatic check on a simulated fleet with labelled faults
(issue 13: "precision and recall per rule over a larger simulated fleet are reported in
docs/dmrv.md").

Each per-site fault of domain/dmrv/faults.py is injected alone on ``--per-fault`` sites of a
fleet of ``--sites`` households over ``--days`` days (the other sites clean), the rules run on
every site (with the pvlib solar context of ``adapters/dmrv/solar.py``) and the fleet check on
the fleet; per rule, at the severity the fault table expects of it:

* recall    = labelled sites where the rule fired at that severity / labelled sites;
* precision = sites where it fired at that severity and a label expects it (as the rule of
              the fault or as one of the fault's listed consequences, ``also``) / sites
              where it fired at that severity.

Site granularity: a rule "fires" on a site if it reports at least one finding of that
severity. Usage: python benchmarks/dmrv_accuracy.py [--sites 300 --days 60 --per-fault 10
--seeds 1,2] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

# This directory holds public.py, which as a module would stand for the `public` package
# (atpublic, imported by ibis): take the script's own directory off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from jcredit.adapters.dmrv.simulator import simulate_fleet
from jcredit.adapters.dmrv.solar import annotate
from jcredit.domain.dmrv.faults import FAULTS
from jcredit.domain.dmrv.model import Severity
from jcredit.domain.dmrv.rules import evaluate
from jcredit.domain.dmrv.rules import fleet_check

PER_SITE = [name for name, spec in FAULTS.items() if spec.level != "batch"]


def run(sites: int, days: int, per_fault: int, seed: int) -> dict[str, Any]:
    fleet = simulate_fleet(sites, days, seed=seed, start=date(2026, 5, 1), faults=PER_SITE,
                           fault_sites=per_fault)
    series = [annotate(fleet.site_series(s)) for s in fleet.sites]
    fired: dict[str, set[tuple[str, Severity]]] = defaultdict(set)
    for one in series:
        for f in evaluate(one):
            fired[one.facts.site].add((f.rule_id, f.severity))
    for f in fleet_check(series):
        fired[f.site or ""].add((f.rule_id, f.severity))
    expected: dict[str, set[tuple[str, Severity]]] = defaultdict(set)  # what must fire
    allowed: dict[str, set[tuple[str, Severity]]] = defaultdict(set)  # what may fire
    for label in fleet.labels:
        spec = FAULTS[label.fault]
        expected[label.site].add((spec.rule_id, spec.severity))
        allowed[label.site] |= {(spec.rule_id, spec.severity), *spec.also}
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"labelled": 0, "caught": 0, "fired": 0, "true": 0})
    for site in (s.facts.site for s in series):
        for key in expected[site]:
            c = counts[(key[0], key[1].value)]
            c["labelled"] += 1
            c["caught"] += key in fired[site]
        for key in fired[site]:
            if key[1] is Severity.FLAG and key not in expected[site]:
                continue  # a FLAG is shown only; precision is about what holds or blocks
            c = counts[(key[0], key[1].value)]
            c["fired"] += 1
            c["true"] += key in allowed[site] or key in expected[site]
    return {f"{rule}/{severity}": c for (rule, severity), c in sorted(counts.items())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-fault", type=int, default=10)
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    total: dict[str, dict[str, int]] = defaultdict(
        lambda: {"labelled": 0, "caught": 0, "fired": 0, "true": 0})
    for seed in (int(s) for s in args.seeds.split(",")):
        for key, c in run(args.sites, args.days, args.per_fault, seed).items():
            for k, v in c.items():
                total[key][k] += v
    rows = []
    for key, c in sorted(total.items()):
        recall = c["caught"] / c["labelled"] if c["labelled"] else None
        precision = c["true"] / c["fired"] if c["fired"] else None
        rows.append({"rule": key, **c, "recall": recall, "precision": precision})
    if args.markdown:
        print("| rule / severity | labelled sites | caught | recall | sites fired | of them "
              "expected | precision |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            rec = f"{r['recall']:.0%}" if r["recall"] is not None else "—"
            pre = f"{r['precision']:.0%}" if r["precision"] is not None else "—"
            print(f"| {r['rule']} | {r['labelled']} | {r['caught']} | {rec} | {r['fired']} "
                  f"| {r['true']} | {pre} |")
    else:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

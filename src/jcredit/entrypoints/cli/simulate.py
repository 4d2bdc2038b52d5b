"""``jcredit simulate fleet``: a fleet of simulated households with labelled faults.

No registry is needed: the command writes files (docs/dmrv.md §6) that the device import, the
batch ingestion and the rules read, and the labels that say which rule must catch what. The
simulator (numpy, pvlib) is imported when the command runs, not when ``jcredit`` starts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress

from jcredit.adapters.dmrv.simulator_options import DEFAULT_PROJECT
from jcredit.adapters.dmrv.simulator_options import DEFAULT_START
from jcredit.adapters.dmrv.simulator_options import REGIONS
from jcredit.domain.dmrv.faults import FAULT_NAMES
from jcredit.domain.parsing import parse_date
from jcredit.entrypoints.cli.app import JsonOpt
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.app import emit
from jcredit.entrypoints.cli.app import err
from jcredit.entrypoints.cli.app import reports_errors

simulate_app = typer.Typer(help="Simulated data: a PV fleet with labelled faults",
                           no_args_is_help=True)
app.add_typer(simulate_app, name="simulate")


@simulate_app.command("fleet")
@reports_errors
def simulate_fleet_command(
    sites: int = typer.Option(100, "--sites", help="Households (sites), 1 to 100,000"),
    days: int = typer.Option(60, "--days", help="JST days from --start"),
    faults: str = typer.Option("", "--faults", help="Faults to inject: name,name or all "
                               f"(default none). Names: {', '.join(FAULT_NAMES)}"),
    fault_rate: float = typer.Option(0.02, "--fault-rate", help="Share of the sites that "
                                     "carry each fault (at least one site each)"),
    fault_sites: int | None = typer.Option(None, "--fault-sites", help="Sites per fault "
                                           "(instead of --fault-rate)"),
    seed: int = typer.Option(1, "--seed", help="The same seed gives the same fleet"),
    start: str = typer.Option(DEFAULT_START.isoformat(), "--start", help="First day, "
                              "YYYY-MM-DD (JST)"),
    project: str = typer.Option(DEFAULT_PROJECT, "--project", help="The programme's "
                                "project number (sites are PROJECT/HH-0001 …)"),
    first_site: int = typer.Option(1, "--first-site", min=1, max=999_999,
                                   help="Number of the first household (HH-0025 … beside "
                                        "the demo programme's HH-0001–HH-0024)"),
    interval: str = typer.Option("30min", "--interval", help="30min, 15min, 10min, 5min or "
                                 "1min (or seconds)"),
    region: str | None = typer.Option(None, "--region", help="Place every site in one "
                                      f"region: {', '.join(REGIONS)}"),
    out: Path = typer.Option(..., "--out", help="A new (or empty) directory for the files"),
    as_json: bool = JsonOpt,
) -> None:
    """Simulate household PV (pvlib clear sky × weather, self-consumption, export, import)
    and write devices.csv, activities.csv, batches/DEVICE/NNNNNN.json (signed, chained),
    labels.csv and fleet.json."""
    from jcredit.adapters.dmrv.simulator import parse_interval
    from jcredit.adapters.dmrv.simulator import simulate_fleet

    first = parse_date(start, field="start")
    seconds = parse_interval(interval)
    quiet = as_json or not sys.stderr.isatty()
    with Progress(console=err, transient=True, disable=quiet) as progress:
        simulating = progress.add_task("simulating sites", total=sites)
        fleet = simulate_fleet(
            sites, days, seed=seed, start=first, faults=faults, fault_rate=fault_rate,
            fault_sites=fault_sites, project=project, interval_s=seconds, region=region,
            progress=lambda done, total: progress.update(simulating, completed=done),
            first_site=first_site)
        writing = progress.add_task("writing signed batches", total=fleet.envelope_count())
        manifest = fleet.write(out, progress=lambda done, total: progress.update(
            writing, completed=done, total=total))
    data = {"out": str(out), "seed": manifest["seed"], "project": manifest["project"],
            "sites": manifest["sites"], "days": manifest["days"],
            "start": manifest["start"], "interval_s": manifest["interval_s"],
            "faults": manifest["faults"], "counts": manifest["counts"],
            "files": ["devices.csv", "activities.csv", "labels.csv", "fleet.json",
                      "batches/"]}

    def human(d: dict[str, Any]) -> None:
        counts = d["counts"]
        console.print(f"{d['sites']} sites × {d['days']} days from {d['start']} "
                      f"({d['interval_s']} s) for {d['project']}, seed {d['seed']}",
                      markup=False)
        console.print(f"{counts['batches']} batches, {counts['readings']} readings → "
                      f"{d['out']}", markup=False)
        if d["faults"]:
            console.print(f"{counts['labels']} faults on {counts['faulty_sites']} sites: "
                          + ", ".join(f"{k} {v}" for k, v in counts["faults"].items()),
                          markup=False)
        else:
            console.print("no faults (a clean fleet)")

    emit(data, as_json, human)

"""``jcredit dmrv``: the digital creation system from the command line (docs/dmrv.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress
from rich.progress import TextColumn
from rich.progress import TimeRemainingColumn

from jcredit.entrypoints.cli.app import JsonOpt
from jcredit.entrypoints.cli.app import _registry
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.app import reports_errors
from jcredit.entrypoints.cli.strict import StrictGroup
from jcredit.service_layer.dmrv.ingest import Incoming

dmrv_app = typer.Typer(help="Digital creation system (創出システム): devices, meter data, checks",
                       no_args_is_help=True, cls=StrictGroup)
app.add_typer(dmrv_app, name="dmrv")

GROUP = 1000  # batches per transaction and per Parquet file


def batches_in(path: Path) -> Iterator[Incoming]:
    """The batches of an import: a directory of envelopes (``*.json``, and CSV batches
    ``*.csv`` with their signature in ``*.csv.sig``), in path order (a device's files are
    numbered in chain order), or a JSON-lines file with one envelope per line."""
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            if file.suffix == ".json":
                yield Incoming(file.read_bytes(), "json", None, "file", str(file))
            elif file.suffix == ".csv":
                signature = file.with_name(file.name + ".sig")
                yield Incoming(file.read_bytes(), "csv",
                               signature.read_text("ascii").strip() if signature.exists()
                               else None, "file", str(file))
        return
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield Incoming(line.strip(), "json", None, "file", f"line {number}")


def _count(path: Path) -> int:
    if path.is_dir():
        return sum(1 for p in path.rglob("*") if p.suffix in (".json", ".csv"))
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


@dmrv_app.command("import")
@reports_errors
def import_batches(file: Path = typer.Argument(..., exists=True, help="a directory of batch "
                                               "files or a JSON-lines file of envelopes"),
                   as_json: bool = JsonOpt) -> None:
    """Back-fill signed batches from files (a month of readings for a fleet) through the same
    checks as HTTP and MQTT. Valid batches are kept beside refused ones; every refusal is
    listed with its file or line and reason, and the exit code is 1 if any was refused."""
    registry = _registry()
    total = _count(file)
    summary: dict[str, Any] = {"batches": 0, "accepted": 0, "held": 0, "replayed": 0,
                               "refused": 0, "rows": 0}
    refusals: list[dict[str, Any]] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=as_json) as progress:
        task = progress.add_task("importing batches", total=total)
        group: list[Incoming] = []
        for item in batches_in(file):
            group.append(item)
            if len(group) >= GROUP:
                _ingest(registry, group, summary, refusals)
                progress.advance(task, len(group))
                group = []
        if group:
            _ingest(registry, group, summary, refusals)
            progress.advance(task, len(group))
    if as_json:
        print(json.dumps(summary | {"refusals": refusals}, ensure_ascii=False, indent=1))
    else:
        console.print(" ".join(f"{k}: {v}" for k, v in summary.items()), markup=False)
        for r in refusals:
            sys.stderr.write(f"refused {r['where']}: {r['rule_id']} [{r['field']}] "
                             f"{r['reason']}\n")
    if refusals:
        raise typer.Exit(1)


def _ingest(registry: Any, group: list[Incoming], summary: dict[str, Any],
            refusals: list[dict[str, Any]]) -> None:
    for outcome in registry.ingestor.ingest(group):
        summary["batches"] += 1
        if outcome.replayed:
            summary["replayed"] += 1
        elif outcome.status == "REFUSED":
            summary["refused"] += 1
            refusals.append({"where": outcome.where} | outcome.body)
        else:
            summary["accepted" if outcome.status == "ACCEPTED" else "held"] += 1
            summary["rows"] += int(outcome.body.get("rows", 0))

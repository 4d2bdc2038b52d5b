"""``jcredit stats``: the public statistics, summed from the registry's rows (the same
numbers as the statistics page; ``ledger check`` rebuilds those rows from the journal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from jcredit.domain.cases.model import CaseStatus
from jcredit.domain.cases.seed import seed_cases
from jcredit.domain.public.statistics import historical
from jcredit.domain.public.statistics import historical_summary
from jcredit.entrypoints.cli.app import JsonOpt
from jcredit.entrypoints.cli.app import _registry
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.cli.app import cli_actor
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.app import emit
from jcredit.entrypoints.cli.app import reports_errors
from jcredit.entrypoints.cli.strict import StrictGroup
from jcredit.entrypoints.exports import write_daily_export
from jcredit.service_layer import commands as c
from jcredit.service_layer import public_queries

DIMENSIONS = ("category", "methodology", "credit_type", "vintage", "prefecture")


@app.command("stats")
@reports_errors
def stats(by: str = typer.Option("category", "--by", help="category, methodology, "
                                 "credit_type, vintage or prefecture"),
          historical_set: str | None = typer.Option(None, "--historical", help="print a "
                                                    "historical dataset instead, e.g. "
                                                    "2022-02-16"),
          as_json: bool = JsonOpt) -> None:
    """Credits issued, held, reserved, invalidated, retired and cancelled, in total and by
    a dimension; invalidations by use and offset purpose; invalidation ratios."""
    if historical_set:
        figures = historical(historical_set)
        data: dict[str, Any] = {
            "figures": [{"table": f.table, "key": f.key, "label_ja": f.label_ja,
                         "value_10kt": str(f.value), "source": f.source} for f in figures],
            "summary": {k: str(v) for k, v in historical_summary(figures).items()}}
        emit(data, as_json)
        return
    if by not in DIMENSIONS:
        raise typer.BadParameter(f"--by must be one of {', '.join(DIMENSIONS)}")
    with _registry().uow(write=False) as uow:
        data = public_queries.statistics(uow)

    def human(d: dict[str, Any]) -> None:
        table = Table(title=f"credits by {by} [t-CO2]")
        table.add_column(by)
        for name in d["totals"]:
            table.add_column(name, justify="right")
        for key, totals in d["by"][by].items():
            table.add_row(key, *(f"{v:,}" for v in totals.values()))
        table.add_row("total", *(f"{v:,}" for v in d["totals"].values()))
        console.print(table)
        console.print("invalidated by use: " + ", ".join(
            f"{k} {v:,}" for k, v in d["invalidations_by_use"].items()), markup=False)

    emit(data, as_json, human)


public_app = typer.Typer(help="Open data: the public tables as one file", no_args_is_help=True,
                         cls=StrictGroup)
app.add_typer(public_app, name="public")


@public_app.command("export")
@reports_errors
def export(out: Path | None = typer.Option(None, "--out", help="the ZIP file to write "
                                           "(default: <data_dir>/exports/"
                                           "jcredit-public-<JST date>.zip)")) -> None:
    """Write the full export of every public table (CSV and JSON, with a manifest naming
    the journal head and each file's SHA-256). Run it daily (e.g. from cron); the API
    serves the day's file at /api/v1/public/export."""
    registry = _registry()
    path = write_daily_export(registry, out)
    console.print(f"{path} ({path.stat().st_size:,} bytes)", markup=False)


cases_app = typer.Typer(help="The case search (活用事例): the secretariat's tools",
                        no_args_is_help=True, cls=StrictGroup)
app.add_typer(cases_app, name="cases")


@cases_app.command("seed")
@reports_errors
def seed(as_json: bool = JsonOpt) -> None:
    """Publish the cases the seed documents name (domain/cases/data/seed_cases.json), as the
    secretariat; a case whose title is already in the database is skipped, so running it
    again adds nothing."""
    registry = _registry()
    try:
        with registry.uow(write=False) as uow:
            rows, _ = uow.cases.search(words=[], statuses=[s.value for s in CaseStatus],
                                       filters={}, limit=100_000)
        titles = {row["title"] for row in rows}
        added = []
        for case in seed_cases():
            if case["title"] in titles:
                continue
            made = registry.bus.handle(c.SubmitCase(case=case), actor=cli_actor()).data
            registry.bus.handle(c.ReviewCase(case_id=made["id"], decision="PUBLISH"),
                                actor=cli_actor())
            added.append(made["id"])
    finally:
        registry.dispose()
    emit({"added": len(added), "skipped": len(seed_cases()) - len(added), "ids": added},
         as_json)

"""``jcredit offsets``: the calculators, the factor table, certificates and the reporting
table from the command line (docs/offsets.md). Reads only; offsets and certificates are
filed through the web UI or the API, where the holder confirms them."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from jcredit.domain.offsets.calculators import CalculatorKind
from jcredit.entrypoints.api.routes.offsets import REPORT_FIELDS
from jcredit.entrypoints.api.routes.offsets import report_csv_rows
from jcredit.entrypoints.cli.app import JsonOpt
from jcredit.entrypoints.cli.app import _registry
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.cli.app import cli_actor
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.app import emit
from jcredit.entrypoints.cli.app import reports_errors
from jcredit.entrypoints.cli.projects import read_json
from jcredit.service_layer import offset_queries

offsets_app = typer.Typer(help="Offsets: calculators, factor table, certificates, the "
                          "温対法 reporting table", no_args_is_help=True)
app.add_typer(offsets_app, name="offsets")


@offsets_app.command("calculate")
@reports_errors
def calculate(kind: CalculatorKind = typer.Argument(..., help="MEETING, ORGANIZATION, "
                                                    "PRODUCT or DONATION"),
              inputs: Path = typer.Argument(..., help="the inputs as JSON (docs/offsets.md)"),
              factor_version: int | None = typer.Option(None, "--factor-version", min=1),
              as_json: bool = JsonOpt) -> None:
    """Run a calculator on a JSON file of inputs: every line, the total, the credits."""
    document = read_json(inputs, field="inputs")
    with _registry().uow(write=False) as uow:
        data = offset_queries.calculate(uow, kind, document, factor_version)

    def human(d: dict[str, Any]) -> None:
        table = Table(title=f"{d['kind']} (factor table v{d['factor_version']})")
        for col in ("category", "basis", "factor", "kg-CO2"):
            table.add_column(col)
        for line in d["lines"]:
            table.add_row(line["category"], line["basis"], line["factor"], line["kg_co2"])
        console.print(table)
        console.print(f"total {d['total_t_co2']} t-CO2 → {d['credits']} credits "
                      f"({'rounded down' if d['kind'] == 'DONATION' else 'rounded up'})",
                      markup=False)
        unverified = [f["key"] for f in d["factors"] if f["confidence"] == "unverified"]
        if unverified:
            console.print(f"unverified factors: {', '.join(unverified)}", markup=False)

    emit(data, as_json, human)


@offsets_app.command("factors")
@reports_errors
def factors(version: int | None = typer.Option(None, "--version", min=1),
            as_json: bool = JsonOpt) -> None:
    """The factor table (the latest, or --version) with each value's source and flag."""
    with _registry().uow(write=False) as uow:
        data = offset_queries.factor_tables(uow, version)

    def human(d: dict[str, Any]) -> None:
        table = Table(title=f"offset factors v{d['version']}: {d['note']}")
        for col in ("key", "value", "unit", "confidence"):
            table.add_column(col)
        for f in d["factors"]:
            table.add_row(f["key"], f["value"], f["unit"], f["confidence"])
        console.print(table)

    emit(data, as_json, human)


@offsets_app.command("verify")
@reports_errors
def verify(token: str = typer.Argument(..., help="the code at the end of the certificate's "
                                       "verification URL"),
           as_json: bool = JsonOpt) -> None:
    """Check an offset certificate: genuine or not, and the credits behind it."""
    with _registry().uow(write=False) as uow:
        data = offset_queries.certificate(uow, token.rsplit("/", 1)[-1])

    def human(d: dict[str, Any]) -> None:
        state = "genuine" if d["genuine"] else "NOT CONFIRMED"
        console.print(f"{d['number']}: {state}; {d['quantity']} t-CO2 to {d['holder_name']}; "
                      f"offset by {d['offsetting_party']} ({d['subject']}); notice "
                      f"{d['notice_number']} of {d['executed_date']}; {d['certificates_on_offset']}"
                      f" certificate(s) claim {d['certified_on_offset']} of the "
                      f"{d['invalidated']} t-CO2 invalidated", markup=False)
        for b in d["blocks"]:
            console.print(f"  {b['serials']}  {b['quantity']} t  {b['category']}  "
                          f"FY{b['vintage']}  {b['project_id']}", markup=False)

    emit(data, as_json, human)
    if not data["genuine"]:
        raise typer.Exit(1)


@offsets_app.command("report")
@reports_errors
def report(fiscal_year: int | None = typer.Option(None, "--fiscal-year", min=1900, max=9999),
           as_csv: bool = typer.Option(False, "--csv", help="CSV on stdout (the report's "
                                       "fields, UTF-8)"),
           as_json: bool = JsonOpt) -> None:
    """Executed invalidations counting for each reporting fiscal year (温対法 and other
    reports), per credit user and use, with the notice numbers."""
    with _registry().uow(write=False) as uow:
        data = offset_queries.reporting_table(uow, cli_actor(), fiscal_year=fiscal_year)
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=REPORT_FIELDS, extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(report_csv_rows(data))
        return

    def human(d: dict[str, Any]) -> None:
        table = Table(title="invalidations by reporting fiscal year")
        for col in ("FY", "credit user", "use", "t-CO2", "notice", "executed", "may count for"):
            table.add_column(col)
        for r in d["rows"]:
            table.add_row(str(r["reporting_fiscal_year"]), r["credit_user_name"], r["use"],
                          str(r["quantity"]), r["notice_number"], r["executed_date"],
                          " ".join(map(str, r["assignable_years"])))
        console.print(table)

    emit(data, as_json, human)

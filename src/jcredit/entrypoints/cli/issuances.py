"""``jcredit ledger issuances [ID|認証番号]``: where each issuance's credits are now."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from jcredit.domain.ledger.breakdown import STATES
from jcredit.entrypoints.cli.app import JsonOpt
from jcredit.entrypoints.cli.app import _registry
from jcredit.entrypoints.cli.app import cli_actor
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.app import emit
from jcredit.entrypoints.cli.app import ledger_app
from jcredit.entrypoints.cli.app import reports_errors
from jcredit.service_layer import issuance_queries


@ledger_app.command("issuances")
@reports_errors
def ledger_issuances(
    ref: str | None = typer.Argument(None, help="an issuance id or a 認証番号; all if omitted"),
    as_json: bool = JsonOpt,
) -> None:
    """Each issuance's tonnes: held, reserved (pending invalidation), invalidated, retired,
    cancelled; they add up to the issued quantity."""
    registry = _registry()
    try:
        with registry.uow(write=False) as uow:
            data = (issuance_queries.issuances_for(uow, cli_actor()) if ref is None
                    else issuance_queries.issuance_detail(uow, cli_actor(), ref))
    finally:
        registry.dispose()

    def human(rows: list[dict[str, Any]]) -> None:
        table = Table(title="issuances (t-CO2)")
        for column in ("id", "認証番号", "vintage", "category", "issued", *STATES):
            table.add_column(column)
        for row in rows:
            b = row["breakdown"]
            table.add_row(str(row["id"]), row["certification_number"], str(row["vintage"]),
                          row["category"], *(str(b[k]) for k in ("issued", *STATES)))
        console.print(table)

    emit(data, as_json, human)

"""``jcredit backup`` and ``jcredit restore``: a registry's database and files, verified.

The logic lives in ``adapters/backup.py``; here are the options, the confirmation for
``--force`` and the ledger check after a restore.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from jcredit.adapters.backup import create_backup
from jcredit.adapters.backup import restore_backup
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.entrypoints.cli.app import JsonOpt
from jcredit.entrypoints.cli.app import _confirm_interactively
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.app import emit
from jcredit.entrypoints.cli.app import reports_errors
from jcredit.service_layer import queries


@app.command("backup")
@reports_errors
def backup(destination: Path = typer.Argument(..., help="A new directory, or an archive "
                                              "ending .tar, .tar.gz or .tgz"),
           as_json: bool = JsonOpt) -> None:
    """Back up the registry (online: the service may keep running) with a manifest."""
    settings = Settings()
    manifest = create_backup(settings.database_url, settings.data_dir, destination)
    data = {"backup": str(destination), "database": manifest.database_kind,
            "created_at": manifest.created_at, "journal_head_seq": manifest.head_seq,
            "journal_head_hash": manifest.head_hash, "files": len(manifest.files),
            "bytes": sum(f["size"] for f in manifest.files)}
    emit(data, as_json, lambda d: console.print(
        f"backup {d['backup']}: {d['database']}, journal head {d['journal_head_seq']} "
        f"({d['journal_head_hash'][:16]}), {d['files']} files, {d['bytes']} bytes",
        markup=False))


@app.command("restore")
@reports_errors
def restore(source: Path = typer.Argument(..., help="A backup directory or archive"),
            force: bool = typer.Option(False, "--force",
                                       help="Replace a registry that is not empty"),
            yes: bool = typer.Option(False, "--yes", help="Confirm --force without asking"),
            as_json: bool = JsonOpt) -> None:
    """Restore a backup into an empty registry (stop the service first), then check it."""
    if force and not (yes or _confirm_interactively(
            "--force replaces the registry's database and files with the backup's. Proceed?")):
        raise ConfirmationRequiredError("--force replaces the registry: confirm with --yes",
                                        field="force")
    settings = Settings()
    manifest = restore_backup(source, settings.database_url, settings.data_dir, force=force)
    registry = bootstrap(settings)
    try:
        with registry.uow(write=False) as uow:
            result = queries.check_ledger(uow)
    finally:
        registry.dispose()
    data: dict[str, Any] = {
        "restored": str(source), "database": manifest.database_kind,
        "backup_created_at": manifest.created_at, "journal_head_seq": manifest.head_seq,
        "journal_head_hash": manifest.head_hash, "files": len(manifest.files),
        "ledger_ok": result.ok, "entries": result.entries,
        "problems": [{"code": i.code, "subject": i.subject, "message": i.message}
                     for i in result.issues]}

    def human(d: dict[str, Any]) -> None:
        console.print(f"restored {d['restored']} ({d['database']}, {d['backup_created_at']}): "
                      f"journal head {d['journal_head_seq']}, {d['files']} files", markup=False)
        for p in result.issues:
            console.print(f"PROBLEM {p}", markup=False)
        console.print("ledger OK" if d["ledger_ok"] else
                      f"ledger check: {len(d['problems'])} problem(s) found")

    emit(data, as_json, human)
    if not result.ok:
        raise typer.Exit(7)

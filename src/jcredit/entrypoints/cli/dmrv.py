"""``jcredit dmrv``: the digital creation system from the command line (docs/dmrv.md).

``jcredit dmrv device add|import|show|list|rotate-key|revoke-key`` manage the device registry
(docs/dmrv.md §1). Like the project commands they act as a registered user given with
``--as USERNAME`` (the implementer or programme operator), or as the local registry operator
(the secretariat) without it; the journal records which.
"""

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
from rich.table import Table

from jcredit.domain.errors import DomainError
from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.cli.app import JsonOpt
from jcredit.entrypoints.cli.app import KeyOpt
from jcredit.entrypoints.cli.app import _confirm_interactively
from jcredit.entrypoints.cli.app import _registry
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.app import emit
from jcredit.entrypoints.cli.app import err
from jcredit.entrypoints.cli.app import reports_errors
from jcredit.entrypoints.cli.projects import AsOpt
from jcredit.entrypoints.cli.projects import EncodingOpt
from jcredit.entrypoints.cli.projects import actor_as
from jcredit.entrypoints.cli.projects import read_csv
from jcredit.entrypoints.cli.projects import run_as
from jcredit.entrypoints.cli.strict import StrictGroup
from jcredit.entrypoints.dmrv_fleet import ingest_in_groups
from jcredit.entrypoints.dmrv_tables import HEADER
from jcredit.entrypoints.dmrv_tables import device_rows
from jcredit.service_layer import commands as c
from jcredit.service_layer import dmrv_queries
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
        outcomes = ingest_in_groups(registry, batches_in(file), group=GROUP,
                                    progress=lambda n: progress.advance(task, n))
    for outcome in outcomes:
        summary["batches"] += 1
        if outcome.replayed:
            summary["replayed"] += 1
        elif outcome.status == "REFUSED":
            summary["refused"] += 1
            refusals.append({"where": outcome.where} | outcome.body)
        else:
            summary["accepted" if outcome.status == "ACCEPTED" else "held"] += 1
            summary["rows"] += int(outcome.body.get("rows", 0))
    if as_json:
        print(json.dumps(summary | {"refusals": refusals}, ensure_ascii=False, indent=1))
    else:
        console.print(" ".join(f"{k}: {v}" for k, v in summary.items()), markup=False)
        for r in refusals:
            sys.stderr.write(f"refused {r['where']}: {r['rule_id']} [{r['field']}] "
                             f"{r['reason']}\n")
    if refusals:
        raise typer.Exit(1)


# --- devices (機器): the device registry, docs/dmrv.md §1 -----------------------------


device_app = typer.Typer(help="Devices (機器): register one or a CSV file, show, list, rotate "
                         "and revoke keys", no_args_is_help=True)
dmrv_app.add_typer(device_app, name="device")

KeyText = typer.Option(None, "--public-key", help="Ed25519 public key: base64 of the 32 raw "
                       "bytes (44 characters) or hex (64 digits)")
KeyFile = typer.Option(None, "--public-key-file", help="a file holding the key (PEM PUBLIC "
                       "KEY block, base64 or hex)")


def _key(text: str | None, path: Path | None) -> str:
    if text and path:
        raise ValidationError("give --public-key or --public-key-file, not both",
                              field="public_key")
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise ValidationError(f"--public-key-file: cannot read {path}: {error}",
                                  field="public_key") from None
    return text or ""


def _keys_table(keys: list[dict[str, Any]]) -> None:
    table = Table(title="keys")
    for col in ("key_id", "status", "added_at", "retired_at", "revoked_at", "accepts_until"):
        table.add_column(col)
    for k in keys:
        table.add_row(k["key_id"], k["status"], k["added_at"], k["retired_at"] or "",
                      k["revoked_at"] or "", k["accepts_until"] or "")
    console.print(table)


def _show(d: dict[str, Any]) -> None:
    console.print(f"{d['device_id']}  site {d['site']}  serial {d['serial']}", markup=False)
    console.print(f"AC {d['capacity_ac_kw']} kW, DC {d['capacity_dc_kw']} kW, commissioned "
                  f"{d['commissioned_on']}, at {d['latitude']} N {d['longitude']} E"
                  + (f", tilt {d['tilt']}°" if d.get("tilt") else "")
                  + (f", azimuth {d['azimuth']}°" if d.get("azimuth") else ""), markup=False)
    console.print(f"channels {', '.join(d['channels'])}; certification (検定) expires "
                  f"{d['certification_expires'] or '—'}", markup=False)
    console.print(f"active key {d['active_key_id'] or 'none'}", markup=False)
    if d.get("keys"):
        _keys_table(d["keys"])


@device_app.command("add")
@reports_errors
def device_add(
    project: str = typer.Option(..., "--project", help="the project's number, e.g. JCP-000007"),
    activity: str = typer.Option(..., "--activity", help="the activity (site) code"),
    device_id: str = typer.Option(..., "--device-id", help="1–64 of A–Z a–z 0–9 . _ -"),
    capacity_ac_kw: str = typer.Option(..., "--capacity-ac-kw", help="PV capacity AC, kW"),
    capacity_dc_kw: str = typer.Option(..., "--capacity-dc-kw", help="PV capacity DC, kW"),
    commissioned_on: str = typer.Option(..., "--commissioned-on", help="YYYY-MM-DD"),
    latitude: str = typer.Option(..., "--latitude", help="°N, 20–46"),
    longitude: str = typer.Option(..., "--longitude", help="°E, 122–154"),
    serial: str = typer.Option(..., "--serial", help="the meter's or PCS's serial number"),
    public_key: str | None = KeyText, public_key_file: Path | None = KeyFile,
    channels: str = typer.Option("generation", "--channels",
                                 help="separated by ';', e.g. generation;export;import"),
    tilt: str | None = typer.Option(None, "--tilt", help="0–90°"),
    azimuth: str | None = typer.Option(None, "--azimuth", help="0–360°, 180 = south"),
    certification_expires: str | None = typer.Option(
        None, "--certification-expires", help="the meter's 検定 expiry, YYYY-MM-DD"),
    user: str | None = AsOpt, key: str | None = KeyOpt, as_json: bool = JsonOpt,
) -> None:
    """Register one device for a project's activity (the site) with its public key."""
    data = run_as(c.RegisterDevice(
        project=project, activity=activity, device_id=device_id,
        capacity_ac_kw=capacity_ac_kw, capacity_dc_kw=capacity_dc_kw,
        commissioned_on=commissioned_on, latitude=latitude, longitude=longitude,
        serial=serial, public_key=_key(public_key, public_key_file), channels=channels,
        tilt=tilt, azimuth=azimuth, certification_expires=certification_expires), user, key)
    emit(data, as_json, _show)


@device_app.command("import")
@reports_errors
def device_import(
    csv_file: Path = typer.Argument(..., help=f"the bulk device CSV: {HEADER}"),
    encoding: str = EncodingOpt, user: str | None = AsOpt, key: str | None = KeyOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Register every device of a CSV file in one transaction, or none: every bad line is
    listed (line, column, value, what is valid)."""
    text = read_csv(csv_file, encoding)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        rows = device_rows(text)
        reading = progress.add_task("read", total=len(rows))
        progress.update(reading, completed=len(rows))
        registering = progress.add_task(f"checking and registering {len(rows)} devices",
                                        total=len(rows))
        data = run_as(c.RegisterDevices(devices=tuple(r for _, r in rows),
                                        lines=tuple(line for line, _ in rows)), user, key)
        progress.update(registering, completed=data["registered"])
    emit(data, as_json, lambda d: console.print(
        f"{d['registered']} devices registered in {', '.join(d['projects'])}", markup=False))


@device_app.command("show")
@reports_errors
def device_show(device_id: str = typer.Argument(...), user: str | None = AsOpt,
                as_json: bool = JsonOpt) -> None:
    """A device: its site, fields and every key with its status."""
    actor = actor_as(user)
    registry = _registry()
    try:
        with registry.uow(write=False) as uow:
            data = dmrv_queries.device_detail(uow, actor, device_id)
    finally:
        registry.dispose()
    emit(data, as_json, _show)


@device_app.command("list")
@reports_errors
def device_list(project: str = typer.Argument(..., help="the project's number"),
                activity: str | None = typer.Option(None, "--activity",
                                                    help="only this activity's devices"),
                user: str | None = AsOpt, as_json: bool = JsonOpt) -> None:
    """The devices of a project (or of one activity)."""
    actor = actor_as(user)
    registry = _registry()
    try:
        with registry.uow(write=False) as uow:
            data = dmrv_queries.project_devices(uow, actor, project, activity)
    finally:
        registry.dispose()

    def human(d: dict[str, Any]) -> None:
        table = Table(title=f"{d['project']}: {len(d['devices'])} devices")
        for col in ("device_id", "site", "AC kW", "DC kW", "検定 expires", "active key"):
            table.add_column(col)
        for v in d["devices"]:
            table.add_row(v["device_id"], v["site"], v["capacity_ac_kw"], v["capacity_dc_kw"],
                          v["certification_expires"] or "", v["active_key_id"] or "none")
        console.print(table)

    emit(data, as_json, human)


@device_app.command("rotate-key")
@reports_errors
def device_rotate_key(device_id: str = typer.Argument(...),
                      public_key: str | None = KeyText, public_key_file: Path | None = KeyFile,
                      user: str | None = AsOpt, key: str | None = KeyOpt,
                      as_json: bool = JsonOpt) -> None:
    """Give the device a new active key; the active one is retired (accepted 7 more days)."""
    data = run_as(c.RotateDeviceKey(device_id=device_id,
                                    public_key=_key(public_key, public_key_file)), user, key)
    emit(data, as_json, lambda d: console.print(
        f"{d['device_id']}: key {d['key_id']} active"
        + (f"; {d['retired_key_id']} retired, accepted until {d['retired_key_accepted_until']}"
           if d["retired_key_id"] else ""), markup=False))


@device_app.command("revoke-key")
@reports_errors
def device_revoke_key(device_id: str = typer.Argument(...), key_id: str = typer.Argument(...),
                      reason: str = typer.Option("", "--reason"),
                      yes: bool = typer.Option(False, "--yes",
                                               help="Confirm: revoking is irreversible"),
                      user: str | None = AsOpt, key: str | None = KeyOpt,
                      as_json: bool = JsonOpt) -> None:
    """Revoke a key: every batch received from now on signed with it is refused."""
    confirm = yes or _confirm_interactively(
        f"Revoke key {key_id} of {device_id}? Batches signed with it will be refused from now "
        "on. This cannot be undone.")
    data = run_as(c.RevokeDeviceKey(device_id=device_id, key_id=key_id, confirm=confirm,
                                    reason=reason), user, key)
    emit(data, as_json, lambda d: console.print(
        f"{d['device_id']}: key {d['key_id']} revoked at {d['revoked_at']}; active key "
        f"{d['active_key_id'] or 'none'}", markup=False))


@dmrv_app.command("settle")
@reports_errors
def settle(
    project: str = typer.Argument(..., help="the project's number, e.g. JCP-000001"),
    period: int = typer.Argument(..., help="the monitoring period's number"),
    engine: str = typer.Option("duckdb", "--engine",
                               help="duckdb (embedded) or spark (local[N] or a cluster)"),
    master: str | None = typer.Option(None, "--master",
                                      help="with --engine spark: local[N] (default "
                                      "local[2]), spark://host:7077, yarn, …"),
    submit: bool = typer.Option(False, "--submit", help="record the result as the period's "
                                "monitoring data (else only show it)"),
    user: str | None = AsOpt, key: str | None = KeyOpt, as_json: bool = JsonOpt,
) -> None:
    """Settle a monitoring period from the readings (docs/dmrv.md §9): the automatic checks
    over the period, the intervals they take out, each site's creditable generation and
    export; with --submit, the activities' values become the period's monitoring data."""
    from jcredit.service_layer.dmrv.settlement import settle_period
    from jcredit.service_layer.dmrv.settlement import settlement_preview

    if master is not None and engine != "spark":
        raise ValidationError("--master is Spark's: give it with --engine spark",
                              field="--master")
    actor = actor_as(user)
    registry = _registry()
    try:
        try:
            energy = registry.energy(engine, master=master or "local[2]")
            if engine == "spark":  # start Spark here, so that a bad master is said clearly
                from jcredit.adapters.dmrv.settlement import spark_session

                spark_session(master or "local[2]")
        except DomainError:
            raise
        except Exception as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise ValidationError(f"Spark could not start with --master {master or 'local[2]'}"
                                  f": {type(error).__name__} {first[:300]}",
                                  field="--master") from error
        if submit:
            data = settle_period(registry.uow, registry.bus, registry.site_readings, energy,
                                 actor, project, period, now=registry.clock(),
                                 idempotency_key=key)
            summary = data["settlement"]
        else:
            data = summary = settlement_preview(registry.uow, registry.site_readings, energy,
                                                actor, project, period, now=registry.clock())
    finally:
        registry.dispose()

    def human(_: dict[str, Any]) -> None:
        s = summary
        table = Table(title=f"{s['project']} period {s['period']} ({s['period_start']} – "
                            f"{s['period_end']}), engine {s['engine']}")
        for col in ("site", "generation kWh", "export kWh", "self kWh", "readings",
                    "credited", "excluded ranges"):
            table.add_column(col, justify="left" if col == "site" else "right")
        for site in s["sites"]:
            gen, exp = site["generation_wh"], site["export_wh"]
            table.add_row(site["activity"], f"{gen / 1000:,.1f}", f"{exp / 1000:,.1f}",
                          f"{(gen - exp) / 1000:,.1f}", str(site["readings"]),
                          str(site["creditable"]), str(site["excluded_ranges"]))
        console.print(table)
        totals = s["totals"]
        console.print(f"{totals['sites']} sites: generation "
                      f"{totals['generation_wh'] / 1000:,.1f} kWh, export "
                      f"{totals['export_wh'] / 1000:,.1f} kWh; {totals['excluded_ranges']} "
                      f"time ranges excluded ({totals['excluded_seconds'] / 3600:,.1f} h); "
                      f"HOLD findings for the verifier: {totals['holds']}",
                      markup=False)
        console.print(f"settlement sha256 {s['sha256']}"
                      + ("" if not submit else "; recorded as the period's monitoring data"),
                      markup=False)

    emit(data, as_json, human)


@dmrv_app.command("proof")
@reports_errors
def proof(site: str = typer.Argument(..., help="PROJECT/ACTIVITY, e.g. JCP-000001/HH-0001"),
          day: str = typer.Argument(..., help="the JST day, YYYY-MM-DD"),
          output: Path | None = typer.Option(None, "--output", "-o",
                                             help="write the proof to this file"),
          user: str | None = AsOpt) -> None:
    """The inclusion proof of a site-day's readings in its settled period's Merkle root
    (docs/dmrv.md §10), as JSON: keep it, give it to anyone, check it with verify-proof."""
    from jcredit.service_layer.dmrv.settlement import site_day_proof

    actor = actor_as(user)
    registry = _registry()
    try:
        document = site_day_proof(registry.uow, registry.energy(), actor, site, day)
    finally:
        registry.dispose()
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            raise ValidationError(f"cannot write {output}: {error.strerror or error}",
                                  field="--output") from error
        console.print(f"{site} {day}: {len(document['readings'])} readings, site-day "
                      f"{document['index'] + 1} of {document['size']}; written to {output}",
                      markup=False)
    if document.get("published_root") and document["root"] != document["published_root"]:
        # the readings as stored now do not lead to the root the journal recorded
        err.print(f"warning: the stored readings lead to {document['root']}, not to "
                          f"the published root {document['published_root']}: they changed "
                          "after the settlement (jcredit dmrv reproduce names what)",
                          markup=False)
        raise typer.Exit(1)


@dmrv_app.command("verify-proof")
def verify_proof(file: Path = typer.Argument(..., help="a proof (JSON) from the API or "
                                             "`jcredit dmrv proof`"),
                 root: str = typer.Option(..., "--root", help="the published root: 64 hex "
                                          "digits, from the journal (the certification's "
                                          "readings_root), not from the file")) -> None:
    """Check an inclusion proof offline, with nothing but the proof and the published root:
    the readings give the site-day's root, and its audit path leads to the root. The root
    must come from the journal: a root inside the file proves nothing, since whoever wrote
    the file could have written it. Exit 0 when it holds, 1 when it does not (each problem
    named), 2 when the file or the root cannot be read."""
    import re

    from jcredit.domain.dmrv.merkle import check_proof

    if not re.fullmatch(r"[0-9a-fA-F]{64}", root.strip()):
        console.print("error [--root]: a root is 64 hex digits (SHA-256)", markup=False)
        raise typer.Exit(2)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        console.print(f"error [FILE]: cannot read a proof from {file}: {error}", markup=False)
        raise typer.Exit(2) from None
    if not isinstance(document, dict):
        console.print("error [FILE]: a proof is a JSON object", markup=False)
        raise typer.Exit(2)
    problems = check_proof(document, root.strip().lower())
    if problems:
        for problem in problems:
            console.print(f"FAILS: {problem}", markup=False)
        raise typer.Exit(1)
    console.print(f"OK: {document.get('site')} {document.get('day')}, "
                  f"{len(document.get('readings', []))} readings, is in the root {root}",
                  markup=False)


@dmrv_app.command("reproduce")
@reports_errors
def reproduce_period(
    project: str = typer.Argument(..., help="the project's number"),
    period: int = typer.Argument(..., help="the monitoring period's number"),
    user: str | None = AsOpt, as_json: bool = JsonOpt,
) -> None:
    """Recompute a settled period from the raw batches alone (docs/dmrv.md §11): every batch
    re-read and its signature verified, the readings rebuilt, the checks and the settlement
    run again, the Merkle root and the certified amounts compared with what was recorded.
    Exit 0 when everything agrees to the last digit, 1 with each difference named."""
    from jcredit.entrypoints.dmrv_reproduce import reproduce

    actor = actor_as(user)
    registry = _registry()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), console=err,
                      transient=True) as progress:
            progress.add_task(f"reproducing {project} period {period} from the raw batches",
                              total=None)
            data = reproduce(registry, actor, project, period)
    finally:
        registry.dispose()

    def human(d: dict[str, Any]) -> None:
        console.print(f"{d['project']} period {d['period']}: {d['batches']} raw batches, "
                      f"{d['readings']} readings rebuilt; root {d['readings_root']}",
                      markup=False)
        if d["agrees"]:
            console.print("AGREES: the readings' root, every site's energy and exclusions, "
                          "the activities' values"
                          + (" and the certified amounts" if d["certified"] else "")
                          + " are what was recorded", markup=False)
        for problem in d["problems"]:
            console.print(f"DIFFERS: {problem}", markup=False)

    emit(data, as_json, human)
    if not data["agrees"]:
        raise typer.Exit(1)

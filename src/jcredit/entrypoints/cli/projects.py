"""``jcredit methodology``, ``jcredit estimate`` and ``jcredit project``.

Methodology and estimate commands are pure calculations (no database). Project commands
act as a registered user given with ``--as USERNAME`` (the implementer, the 審査機関, the
committee member), or as the local registry operator (the secretariat) without it; the
journal records which.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies import CATALOGUE
from jcredit.domain.methodologies import methodology
from jcredit.domain.methodologies.base import certified_amounts
from jcredit.domain.parsing import parse_json
from jcredit.domain.projects.estimate import KINDS
from jcredit.domain.projects.estimate import estimate as run_estimate
from jcredit.entrypoints.cli.app import JsonOpt
from jcredit.entrypoints.cli.app import KeyOpt
from jcredit.entrypoints.cli.app import _registry
from jcredit.entrypoints.cli.app import app
from jcredit.entrypoints.cli.app import cli_actor
from jcredit.entrypoints.cli.app import console
from jcredit.entrypoints.cli.app import emit
from jcredit.entrypoints.cli.app import reports_errors
from jcredit.entrypoints.tables_in import add_activities_command
from jcredit.entrypoints.tables_in import decode_csv
from jcredit.entrypoints.tables_in import registered_rows_from
from jcredit.entrypoints.tables_in import submit_monitoring_csv
from jcredit.service_layer import commands as c
from jcredit.service_layer import project_queries as queries
from jcredit.service_layer.actors import Actor

methodology_app = typer.Typer(help="Methodologies (方法論): list, describe, calculate",
                              no_args_is_help=True)
project_app = typer.Typer(help="Projects: plan, validation, registration, monitoring, "
                          "certification, issuance", no_args_is_help=True)
period_app = typer.Typer(help="Monitoring periods of a project", no_args_is_help=True)
app.add_typer(methodology_app, name="methodology")
app.add_typer(project_app, name="project")
project_app.add_typer(period_app, name="period")

MAX_CLI_JSON_BYTES = 64 * 1024 * 1024  # a local file: larger than an API body may be

AsOpt = typer.Option(None, "--as", help="Act as this registered user (default: the "
                     "secretariat, i.e. the local registry operator)")


def read_json(path: Path, *, field: str) -> Any:
    """A JSON document with exact decimals (numbers become Decimal, never float)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ValidationError(f"{field}: no file {path}", field=field) from None
    return parse_json(raw, field=field, max_bytes=MAX_CLI_JSON_BYTES)


def parse_settings(values: list[str]) -> dict[str, str]:
    result = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValidationError(f"--set takes NAME=VALUE, got {item!r}", field="set")
        result[name.strip()] = value.strip()
    return result


# --- methodologies -------------------------------------------------------------------------


@methodology_app.command("list")
@reports_errors
def methodology_list(as_json: bool = JsonOpt) -> None:
    """The implemented methodologies with their versions and categories."""
    data = [{"id": m.id, "version": m.version, "name_ja": m.name_ja, "name_en": m.name_en,
             "category": m.category.value, "id_confidence": m.id_confidence}
            for m in CATALOGUE]

    def human(rows: list[dict[str, Any]]) -> None:
        table = Table(title="方法論 (methodologies)")
        for col in ("id", "version", "name_ja", "category"):
            table.add_column(col)
        for r in rows:
            mark = "" if r["id_confidence"] == "primary" else " (id unverified)"
            table.add_row(r["id"] + mark, r["version"], r["name_ja"], r["category"])
        console.print(table)

    emit(data, as_json, human)


@methodology_app.command("describe")
@reports_errors
def methodology_describe(methodology_id: str = typer.Argument(..., help="e.g. EN-R-002"),
                         version: str | None = typer.Option(None, "--version"),
                         as_json: bool = JsonOpt) -> None:
    """Inputs with units, equations, applicability conditions and sources."""
    data = methodology(methodology_id, version).describe()

    def human(d: dict[str, Any]) -> None:
        console.print(f"{d['id']} v{d['version']}  {d['name_ja']} ({d['name_en']})",
                      markup=False)
        console.print(d["summary"], markup=False)
        table = Table(title="inputs")
        for col in ("name", "unit", "required", "description"):
            table.add_column(col)
        for i in d["inputs"]:
            table.add_row(i["name"], i["unit"], "yes" if i["required"] else "no",
                          i["description"])
        console.print(table)
        console.print("equations:", markup=False)
        for e in d["equations"]:
            console.print(f"  [{e['ref']}] {e['formula']}", markup=False)
        console.print("applicability:", markup=False)
        for a in d["applicability_conditions"]:
            console.print(f"  - {a}", markup=False)
        console.print("sources: " + "; ".join(d["sources"]), markup=False)

    emit(data, as_json, human)


@methodology_app.command("calc")
@reports_errors
def methodology_calc(methodology_id: str = typer.Argument(...),
                     input_file: Path = typer.Option(..., "--input", help="JSON: the inputs "
                                                     "of one activity, or {\"activities\": "
                                                     "[…]} for several"),
                     version: str | None = typer.Option(None, "--version"),
                     as_json: bool = JsonOpt) -> None:
    """Baseline, project and reduction emissions at full precision, and whole credits.

    With several activities the credits are rounded down once, after aggregation.
    """
    m = methodology(methodology_id, version)
    document = read_json(input_file, field="input")
    if isinstance(document, dict) and "activities" in document:
        items = document["activities"]
        if not isinstance(items, list):
            raise ValidationError("activities must be a list", field="activities")
    else:
        items = [document]
    results = []
    with Progress(console=console, transient=True, disable=len(items) < 100) as progress:
        task = progress.add_task("calculating", total=len(items))
        for item in items:
            results.append(m.calculate(item))
            progress.advance(task)
    amounts = certified_amounts(results)
    data = {
        "methodology": m.key,
        "activities": [r.as_dict() for r in results],
        "baseline_tco2": str(sum((r.baseline for r in results), Decimal(0))),
        "project_tco2": str(sum((r.project for r in results), Decimal(0))),
        "reduction_tco2": str(sum((r.reduction for r in results), Decimal(0))),
        "certified": [a.as_dict() for a in amounts],
        "credits": sum(a.credits for a in amounts),
    }

    def human(d: dict[str, Any]) -> None:
        console.print(f"{d['methodology']}: {len(d['activities'])} activities", markup=False)
        console.print(f"baseline  EM_BL = {d['baseline_tco2']} t-CO2", markup=False)
        console.print(f"project   EM_PJ = {d['project_tco2']} t-CO2", markup=False)
        console.print(f"reduction ER    = {d['reduction_tco2']} t-CO2", markup=False)
        for a in d["certified"]:
            console.print(f"  FY{a['vintage']}: {a['credits']} credits "
                          f"(total {a['total_tco2']}, cut off {a['remainder_tco2']})",
                          markup=False)
        unverified = sorted({f for r in d["activities"] for f in r["unverified_factors"]})
        if unverified:
            console.print("unverified factors: " + ", ".join(unverified), markup=False)

    emit(data, as_json, human)


def methodology_markdown() -> str:
    """The methodology reference page (docs/methodologies.md), generated from the code."""
    from jcredit.domain.methodologies.factors import grid_factor_table

    out = ["# Methodologies", "",
           "Generated by `jcredit methodology docs` from `src/jcredit/domain/methodologies/`;",
           "a test fails when this page and the code disagree. Values marked *unverified*",
           "come from secondary sources and must be checked against the primary document.", ""]
    for m in CATALOGUE:
        d: dict[str, Any] = m.describe()
        out += [f"## {d['id']} v{d['version']} — {d['name_ja']}", "",
                f"*{d['name_en']}* · category `{d['category']}` · ID confidence: "
                f"{d['id_confidence']}", "", str(d["summary"]), "", "**Equations**", ""]
        out += [f"- `{e['ref']}`: {e['formula']}" + (f" — {e['symbols']}" if e["symbols"]
                                                     else "") for e in d["equations"]]
        out += ["", "**Inputs**", "", "| name | unit | required | description |",
                "|---|---|---|---|"]
        for i in d["inputs"]:
            out.append(f"| `{i['name']}` | {i['unit']} | {'yes' if i['required'] else 'no'} | "
                       f"{i['description']} |")
            for sub in i.get("items", []):
                out.append(f"| `{i['name']}[].{sub['name']}` | {sub['unit']} | "
                           f"{'yes' if sub['required'] else 'no'} | {sub['description']} |")
        out += ["", "**Applicability**", ""] + [f"- {a}" for a in
                                               d["applicability_conditions"]]
        out += ["", "**Monitoring**: " + "; ".join(d["monitoring_parameters"]), "",
                "**Sources**: " + "; ".join(d["sources"]), ""]
    out += ["## Grid emission factors", "", "| fiscal year | type | value | confidence | source |",
            "|---|---|---|---|---|"]
    for row in grid_factor_table():
        out.append(f"| {row['fiscal_year']} | {row['type']} | {row['value']} {row['unit']} | "
                   f"{row['confidence']} | {row['source']} |")
    return "\n".join(out) + "\n"


def lifecycle_markdown() -> str:
    """docs/lifecycle.md: the transition tables as state diagrams and tables (generated)."""
    from jcredit.domain.projects.lifecycle import PERIOD_TRANSITIONS
    from jcredit.domain.projects.lifecycle import PROJECT_TRANSITIONS
    from jcredit.domain.projects.lifecycle import Transition

    def section(title: str, table: tuple[Transition, ...], start: str) -> list[str]:
        lines = [f"## {title}", "", "```mermaid", "stateDiagram-v2", f"    [*] --> {start}"]
        for t in table:
            if t.target is not None:  # resubmit goes back where it came from: in the table
                lines.append(f"    {t.source} --> {t.target}: {t.action}")
        lines += ["```", "", "| from | action | to | who | 手続 |", "|---|---|---|---|---|"]
        for t in table:
            target = t.target or "the state it was returned from"
            parties = ", ".join(p.value for p in t.parties)
            lines.append(f"| {t.source} | `{t.action}` | {target} | {parties} | {t.label_ja} |")
        return [*lines, ""]

    out = ["# Project lifecycle", "",
           "Generated by `jcredit project docs` from `domain/projects/lifecycle.py`; a test keeps",
           "it current. Anything not in these tables is refused, with the list of what is",
           "allowed. A return (差し戻し) needs a comment; resubmitting goes back to the state",
           "the item was returned from.", ""]
    out += section("Project (STEP1: plan, validation, registration)", PROJECT_TRANSITIONS,
                   "PLAN_DRAFT")
    out += section("Monitoring period (STEP2-3: verification, certification, issuance)",
                   PERIOD_TRANSITIONS, "MONITORING")
    return "\n".join(out)


@project_app.command("docs")
@reports_errors
def project_docs(output: Path | None = typer.Option(None, "-o", "--output")) -> None:
    """Write the lifecycle reference page (Markdown with state diagrams)."""
    text = lifecycle_markdown()
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        print(text, end="")


@methodology_app.command("docs")
@reports_errors
def methodology_docs(output: Path | None = typer.Option(None, "-o", "--output")) -> None:
    """Write the methodology reference page (Markdown)."""
    text = methodology_markdown()
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        print(text, end="")


@app.command("estimate")
@reports_errors
def estimate(kind: str = typer.Argument(..., help="PV, BOILER or FOREST"),
             settings: list[str] = typer.Option([], "--set", help="NAME=VALUE, e.g. "
                                                "capacity_kw=50 (repeat)"),
             input_file: Path | None = typer.Option(None, "--input", help="JSON inputs"),
             as_json: bool = JsonOpt) -> None:
    """STEP0 創出量の概算: expected t-CO2/yr, credits over the period, revenue, support."""
    if kind.strip().upper() not in KINDS:
        raise ValidationError(f"unknown kind {kind!r}", field="kind", valid=KINDS)
    raw: dict[str, Any] = read_json(input_file, field="input") if input_file else {}
    raw |= parse_settings(settings)
    data = run_estimate(kind, raw).as_dict()

    def human(d: dict[str, Any]) -> None:
        console.print(f"{d['kind']}: {d['annual_tco2']} t-CO2/yr × {d['crediting_years']} yr "
                      f"= {d['period_credits']} credits", markup=False)
        console.print(f"revenue at ¥{d['price_yen_per_tco2']}/t: ¥{d['revenue_yen']}",
                      markup=False)
        console.print("planning support (≥ 100 t/yr): "
                      + ("yes" if d["planning_support"] else "no"), markup=False)
        for name, value in d["audit_support_yen"].items():
            console.print(f"audit-fee support {name}: ¥{value}", markup=False)
        if d["unverified"]:
            console.print("unverified assumptions: " + ", ".join(d["unverified"]),
                          markup=False)

    emit(data, as_json, human)


# --- projects -------------------------------------------------------------------------------


def actor_as(username: str | None) -> Actor:
    if username is None:
        return cli_actor()
    registry = _registry()
    try:
        with registry.uow(write=False) as uow:
            user = uow.users.by_username(username.strip().lower())
    finally:
        registry.dispose()
    if user is None:
        raise NotFoundError(f"--as: no user {username}", field="as")
    return Actor(name=user.username, role=user.role, user_id=user.id,
                 organisation_id=user.organisation_id, via="cli")


def run_as(command: c.Command, username: str | None, key: str | None = None
           ) -> dict[str, Any]:
    actor = actor_as(username)
    registry = _registry()
    try:
        return registry.bus.handle(command, actor=actor, idempotency_key=key).data
    finally:
        registry.dispose()


@project_app.command("create")
@reports_errors
def project_create(plan_file: Path = typer.Option(..., "--plan", help="JSON plan: name, "
                                                  "project_type, methodology, holder_account, "
                                                  "prefecture, address, start_date, "
                                                  "monitoring_start, additionality …"),
                   user: str | None = AsOpt, key: str | None = KeyOpt,
                   as_json: bool = JsonOpt) -> None:
    """Draft a project plan (プロジェクト計画書) from a JSON file."""
    plan = read_json(plan_file, field="plan")
    if not isinstance(plan, dict):
        raise ValidationError("the plan must be a JSON object", field="plan")
    known = set(c.CreateProject.__dataclass_fields__)
    unknown = sorted(set(plan) - known)
    if unknown:
        raise ValidationError(f"plan: unknown field {unknown[0]!r}", field=unknown[0],
                              valid=sorted(known))
    emit(run_as(c.CreateProject(**plan), user, key), as_json)


EncodingOpt = typer.Option("auto", "--encoding", help="auto (UTF-8, with or without BOM, "
                           "else Shift_JIS), utf-8 or cp932 (Shift_JIS as Excel writes it)")


def read_csv(path: Path, encoding: str) -> str:
    """A CSV file as text, by the one decoder every CSV path uses."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValidationError(f"--csv: cannot read {path}: {error.strerror}", field="csv"
                              ) from None
    return decode_csv(data, encoding)


@project_app.command("add-activities")
@reports_errors
def project_add_activities(project: str = typer.Argument(...),
                           csv_file: Path = typer.Option(..., "--csv", help="columns: code, "
                                                         "address, operation_start, "
                                                         "expected_tco2_per_year, household"),
                           encoding: str = EncodingOpt, user: str | None = AsOpt,
                           key: str | None = KeyOpt, as_json: bool = JsonOpt) -> None:
    """Add reduction activities from a CSV file: all lines in one transaction, or none, with
    every problem listed (line, column, value, what is valid)."""
    command = add_activities_command(project, read_csv(csv_file, encoding))
    count = len(command.activities)
    with Progress(console=console, transient=True, disable=count < 100) as progress:
        progress.add_task(f"read {count} lines", total=count, completed=count)
        task = progress.add_task(f"checking and adding {count} activities", total=None)
        data = run_as(command, user, key)
        progress.update(task, total=count, completed=count)
    emit({"project": data["project"], "added": data["added"]}, as_json)


@project_app.command("remove-activity")
@reports_errors
def project_remove_activity(project: str = typer.Argument(...), code: str = typer.Argument(...),
                            reason: str = typer.Option("", "--reason"),
                            user: str | None = AsOpt, as_json: bool = JsonOpt) -> None:
    """Take an activity out of a plan that is not registered yet."""
    emit(run_as(c.RemoveActivity(project=project, code=code, reason=reason), user), as_json)


@project_app.command("assign-verifier")
@reports_errors
def project_assign_verifier(project: str = typer.Argument(...),
                            verifier: str = typer.Option(..., "--verifier",
                                                         help="法人番号 of the 審査機関"),
                            user: str | None = AsOpt, as_json: bool = JsonOpt) -> None:
    """Choose the validation/verification body."""
    emit(run_as(c.AssignVerifier(project=project, verifier=verifier), user), as_json)


@project_app.command("accredit")
@reports_errors
def project_accredit(organisation: str = typer.Argument(..., help="法人番号 of the body"),
                     scopes: list[str] = typer.Option(..., "--scope", help="EN-R, FO-001 …"),
                     as_json: bool = JsonOpt) -> None:
    """Accredit a 審査機関 for methodology scopes (secretariat)."""
    emit(run_as(c.AccreditVerifier(organisation=organisation, scopes=tuple(scopes)), None),
         as_json)


@project_app.command("action")
@reports_errors
def project_action(project: str = typer.Argument(...),
                   action: str = typer.Argument(..., help="submit_for_validation, "
                                                "complete_validation, apply_for_registration, "
                                                "register, return, resubmit, withdraw"),
                   comment: str = typer.Option("", "--comment"),
                   user: str | None = AsOpt, key: str | None = KeyOpt,
                   as_json: bool = JsonOpt) -> None:
    """Move the project along its lifecycle."""
    emit(run_as(c.ProjectTransition(project=project, action=action, comment=comment), user,
                key), as_json)


@project_app.command("show")
@reports_errors
def project_show(project: str = typer.Argument(...), user: str | None = AsOpt,
                 as_json: bool = JsonOpt) -> None:
    """The project with its activities, periods, timeline and documents."""
    registry = _registry()
    try:
        with registry.uow(write=False) as uow:
            data = queries.project_detail(uow, actor_as(user), project)
    finally:
        registry.dispose()

    def human(d: dict[str, Any]) -> None:
        console.print(f"{d['number']} {d['name']} [{d['state']}] {d['methodology']} "
                      f"{d['project_type']}", markup=False)
        console.print(f"activities: {len(d['activities'])}; crediting period: "
                      f"{d['crediting_start']} – {d['crediting_end']}", markup=False)
        for p in d["periods"]:
            console.print(f"  period {p['number']} {p['period_start']}–{p['period_end']} "
                          f"[{p['state']}]", markup=False)
        for e in d["timeline"]:
            console.print(f"  {e['at'][:19]} {e['actor']:<20} {e['action']:<24} "
                          f"{e['to_state'] or ''}", markup=False)

    emit(data, as_json, human)


@project_app.command("list")
@reports_errors
def project_list(user: str | None = AsOpt, as_json: bool = JsonOpt) -> None:
    """Projects the caller may see."""
    registry = _registry()
    try:
        with registry.uow(write=False) as uow:
            data = queries.projects_for(uow, actor_as(user))
    finally:
        registry.dispose()
    emit(data, as_json, lambda rows: [console.print(
        f"{r['number']} [{r['state']:<20}] {r['methodology']:<14} {r['name']}", markup=False)
        for r in rows])


@period_app.command("open")
@reports_errors
def period_open(project: str = typer.Argument(...),
                start: str = typer.Option(..., "--start"), end: str = typer.Option(..., "--end"),
                user: str | None = AsOpt, as_json: bool = JsonOpt) -> None:
    """Open a monitoring period."""
    emit(run_as(c.OpenMonitoringPeriod(project=project, period_start=start, period_end=end),
                user), as_json)


@period_app.command("data")
@reports_errors
def period_data(project: str = typer.Argument(...), period: int = typer.Argument(...),
                data_file: Path | None = typer.Option(None, "--input", help="JSON: {activity "
                                                      "code: {input: value}}"),
                csv_file: Path | None = typer.Option(None, "--csv", help="CSV: a code column "
                                                     "and one column per input"),
                encoding: str = EncodingOpt,
                user: str | None = AsOpt, as_json: bool = JsonOpt) -> None:
    """Submit the monitored values (JSON or CSV) and calculate the period."""
    if (data_file is None) == (csv_file is None):
        raise ValidationError("give either --input FILE.json or --csv FILE.csv", field="input")
    data: Any
    if csv_file is not None:
        text = read_csv(csv_file, encoding)
        actor = actor_as(user)
        registry = _registry()
        try:
            with registry.uow(write=False) as uow:
                known = queries.activity_codes(uow, actor, project)

            def command(values: dict[str, dict[str, object]]) -> c.SubmitMonitoringData:
                return c.SubmitMonitoringData(project=project, period=period,
                                              activities=values)

            result = submit_monitoring_csv(
                text, known, run=lambda values: registry.bus.handle(command(values),
                                                                    actor=actor).data,
                check=lambda values: registry.bus.preview(command(values), actor=actor))
        finally:
            registry.dispose()
        return emit(result, as_json)
    else:
        assert data_file is not None
        data = read_json(data_file, field="input")
    emit(run_as(c.SubmitMonitoringData(project=project, period=period, activities=data), user),
         as_json)


@period_app.command("action")
@reports_errors
def period_action(project: str = typer.Argument(...), period: int = typer.Argument(...),
                  action: str = typer.Argument(..., help="submit_for_verification, "
                                               "complete_verification, apply_for_certification, "
                                               "certify, issue, return, resubmit, withdraw"),
                  comment: str = typer.Option("", "--comment"),
                  acknowledge_missing: bool = typer.Option(
                      False, "--acknowledge-missing",
                      help="submit although some activities have no data this period (they "
                      "earn nothing; say why in --comment)"),
                  user: str | None = AsOpt, key: str | None = KeyOpt,
                  as_json: bool = JsonOpt) -> None:
    """Move a monitoring period along: verification, certification, issuance."""
    emit(run_as(c.PeriodTransition(project=project, period=period, action=action,
                                   comment=comment, acknowledge_missing=acknowledge_missing),
                user, key), as_json)


def registered_rows(path: Path, fmt: str, encoding: str = "auto"
                    ) -> tuple[list[dict[str, Any]], int]:
    """The rows of an official project list file (:func:`registered_rows_from`)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValidationError(f"file: cannot read {path}: {error.strerror}", field="file"
                              ) from None
    return registered_rows_from(data, fmt, encoding, max_json_bytes=MAX_CLI_JSON_BYTES)


@project_app.command("import-registered")
@reports_errors
def project_import_registered(
        file: Path = typer.Argument(..., help="the official project list: CSV (columns No., "
                                    "申請日, 実施者, 実施場所, 保有者, 概要, 開始日, 方法論) or "
                                    "JSON"),
        fmt: str = typer.Option("", "--format", help="csv or json (default: the file's "
                                "extension)"),
        encoding: str = EncodingOpt, key: str | None = KeyOpt,
        as_json: bool = JsonOpt) -> None:
    """Load projects registered before jcredit (the secretariat): good rows land, bad rows
    are reported by line (exit 1), a second import of the same list changes nothing."""
    chosen = (fmt or file.suffix.lstrip(".")).lower()
    rows, first_line = registered_rows(file, chosen, encoding)
    data = run_as(c.ImportRegisteredProjects(rows=tuple(rows), first_line=first_line), None,
                  key)

    def human(d: dict[str, Any]) -> None:
        console.print(f"added {d['added']}, updated {d['updated']}, unchanged "
                      f"{d['unchanged']}, refused {len(d['problems'])} line(s)", markup=False)

    emit(data, as_json, human)
    for problem in data["problems"]:
        typer.echo(f"line {problem['line']} [{problem['field']}] {problem['value']!r}: "
                   f"{problem['message']}", err=True)
    if data["problems"]:
        raise typer.Exit(1)

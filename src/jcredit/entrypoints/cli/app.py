"""``jcredit``: the registry from the command line.

Every command accepts ``--json``. On error it prints one line (``error: …``) to stderr and
exits non-zero; the exit code comes from ``entrypoints/errors.py``. The CLI acts as the
local registry operator (role ADMIN), recorded in the journal as ``cli:<os user>``.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.domain.errors import DomainError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.entrypoints.cli.strict import StrictGroup
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.errors import describe_problem
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role

app = typer.Typer(help="jcredit: J-クレジット registry command line", no_args_is_help=True,
                  pretty_exceptions_enable=False, cls=StrictGroup)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
org_app = typer.Typer(help="Organisations (法人)", no_args_is_help=True)
account_app = typer.Typer(help="Accounts (口座)", no_args_is_help=True)
credits_app = typer.Typer(help="Credits: issue, transfer, invalidate, retire, cancel",
                          no_args_is_help=True)
invalidations_app = typer.Typer(help="Invalidation applications (無効化申請)",
                                no_args_is_help=True)
ledger_app = typer.Typer(help="The journal and its checks", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles", no_args_is_help=True)
for sub, name in ((db_app, "db"), (org_app, "org"), (account_app, "account"),
                  (credits_app, "credits"), (invalidations_app, "invalidations"),
                  (ledger_app, "ledger"), (user_app, "user")):
    app.add_typer(sub, name=name)

console = Console(soft_wrap=True)  # long Japanese names are never cut into two lines
err = Console(stderr=True)
JsonOpt = typer.Option(False, "--json", help="Print the result as JSON")
KeyOpt = typer.Option(None, "--idempotency-key", help="Run at most once for this key")

F = TypeVar("F", bound=Callable[..., Any])


def cli_actor() -> Actor:
    return Actor(name=getpass.getuser(), role=Role.ADMIN, via="cli")


def load_settings() -> Settings:
    """The settings, or one line naming the variable at fault and exit 2 (no traceback: a
    refused production start must say why at once)."""
    from pydantic import ValidationError as SettingsError

    try:
        return Settings()
    except SettingsError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        where = f" [JCREDIT_{field.upper()}]" if field else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        sys.stderr.write(f"error{where}: {message}\n")
        raise typer.Exit(2) from None


def _registry() -> Registry:
    return bootstrap(load_settings())


def reports_errors(func: F) -> F:
    """Turn a domain error into one line on stderr and its exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DomainError as error:
            _, exit_code, _ = classify(error)
            if kwargs.get("as_json"):
                print(json.dumps({"error": error.as_dict()}, ensure_ascii=False))
            field = f" [{error.field}]" if error.field else ""
            valid = f" (valid: {', '.join(error.valid)})" if error.valid else ""
            # Plain write: one line, never wrapped to the terminal width.
            sys.stderr.write(f"error{field}: {error.message}{valid}\n")
            for item in error.errors or ():
                sys.stderr.write(f"  {describe_problem(item)}\n")
            raise typer.Exit(exit_code) from None

    return wrapper  # type: ignore[return-value]


def emit(data: Any, as_json: bool, human: Callable[[Any], object] | None = None) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
    elif human is not None:
        human(data)
    else:
        for key, value in data.items():
            console.print(f"{key}: {value}", markup=False, highlight=False)


def run(command: c.Command, key: str | None = None) -> dict[str, Any]:
    registry = _registry()
    try:
        return registry.bus.handle(command, actor=cli_actor(), idempotency_key=key).data
    finally:
        registry.dispose()


def _blocks_table(blocks: list[dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    for col in ("serials", "quantity", "category", "vintage", "project_id", "reserved_for"):
        table.add_column(col)
    for b in blocks:
        table.add_row(b["serials"], str(b["quantity"]), b["category"], str(b["vintage"]),
                      b["project_id"], str(b["reserved_for"] or ""))
    console.print(table)


@db_app.command("upgrade")
@reports_errors
def db_upgrade(as_json: bool = JsonOpt) -> None:
    """Create or migrate the schema to the newest version and initialise the registry."""
    from jcredit.adapters.db.migrate import current_revision

    registry = _registry()
    revision = current_revision(registry.engine)
    registry.dispose()
    emit({"database": load_settings().database_url.split("@")[-1], "revision": revision},
         as_json)


@org_app.command("create")
@reports_errors
def org_create(name: str = typer.Option(..., "--name", help="Full legal name"),
               corporate_number: str = typer.Option(..., "--corporate-number",
                                                    help="法人番号 (13 digits)"),
               key: str | None = KeyOpt, as_json: bool = JsonOpt) -> None:
    """Register an organisation."""
    emit(run(c.CreateOrganisation(name=name, corporate_number=corporate_number), key), as_json)


@org_app.command("list")
@reports_errors
def org_list(as_json: bool = JsonOpt) -> None:
    registry = _registry()
    with registry.uow(write=False) as uow:
        data = queries.organisations(uow, cli_actor())
    emit(data, as_json, lambda d: [console.print(f"{o['corporate_number']}  {o['name']}")
                                   for o in d])


@account_app.command("open")
@reports_errors
def account_open(org: str = typer.Option(..., "--org", help="法人番号 of the owner"),
                 kind: str = typer.Option("holding", "--kind"),
                 name: str = typer.Option("", "--name", help="Department (部署) name"),
                 key: str | None = KeyOpt, as_json: bool = JsonOpt) -> None:
    """Open a holding account (保有口座) for an organisation."""
    emit(run(c.OpenAccount(organisation=org, kind=kind, account_name=name), key), as_json)


@account_app.command("show")
@reports_errors
def account_show(account: str, as_json: bool = JsonOpt) -> None:
    """Show an account's balance and its blocks."""
    registry = _registry()
    with registry.uow(write=False) as uow:
        data = queries.account_detail(uow, cli_actor(), account)

    def human(d: dict[str, Any]) -> None:
        console.print(f"{d['number']}  {d['organisation']} / {d['name']}  ({d['kind']})",
                      markup=False)
        console.print(f"balance {d['balance']} t-CO2, available {d['available']}, "
                      f"reserved {d['reserved']}")
        console.print(f"invalidated {d['invalidated']}, retired {d['retired']}, "
                      f"cancelled {d['cancelled']} t-CO2 (left this account for good)")
        _blocks_table(d["blocks"], "blocks")

    emit(data, as_json, human)


@account_app.command("list")
@reports_errors
def account_list(as_json: bool = JsonOpt) -> None:
    registry = _registry()
    with registry.uow(write=False) as uow:
        data = queries.accounts_for(uow, cli_actor())
    emit(data, as_json, lambda d: [console.print(
        f"{a['number']}  {a['kind']:<13} {a['balance']:>10}  {a['organisation']} / {a['name']}",
        markup=False) for a in d])


@credits_app.command("issue")
@reports_errors
def credits_issue(
    to: str = typer.Option(..., "--to", help="Holding account number"),
    quantity: str = typer.Option(..., "--quantity", help="Whole t-CO2"),
    scheme: str = typer.Option(..., "--scheme", help="JC, JCL, KC, KCP, JP"),
    credit_type: str = typer.Option(..., "--type", help="ER, ERL, FM, …"),
    category: str = typer.Option(..., "--category"),
    project: str = typer.Option(..., "--project"),
    vintage: str = typer.Option(..., "--vintage", help="Fiscal year"),
    methodology: str = typer.Option("UNSPECIFIED", "--methodology"),
    methodology_version: str = typer.Option("1.0", "--methodology-version"),
    certification_number: str = typer.Option("", "--certification-number"),
    key: str | None = KeyOpt, as_json: bool = JsonOpt,
) -> None:
    """Issue a new serial block into a holding account (registry administrator)."""
    emit(run(c.IssueCredits(
        to_account=to, quantity=quantity, scheme=scheme, credit_type=credit_type,
        category=category, project_id=project, vintage=vintage, methodology_id=methodology,
        methodology_version=methodology_version, certification_number=certification_number,
    ), key), as_json)


@credits_app.command("transfer")
@reports_errors
def credits_transfer(
    from_: str = typer.Option(..., "--from"), to: str = typer.Option(..., "--to"),
    quantity: str | None = typer.Option(None, "--quantity", help="総量指定方式"),
    serials: str | None = typer.Option(None, "--serials", help="シリアル番号指定方式 FIRST-LAST"),
    key: str | None = KeyOpt, as_json: bool = JsonOpt,
) -> None:
    """Transfer credits between holding accounts."""
    data = run(c.TransferCredits(from_account=from_, to_account=to, quantity=quantity,
                                 serials=serials), key)
    emit(data, as_json, lambda d: _blocks_table(
        d["blocks"], f"{d['quantity']} t-CO2 {d['from_account']} → {d['to_account']}"))


@credits_app.command("correct")
@reports_errors
def credits_correct(
    from_: str = typer.Option(..., "--from"), to: str = typer.Option(..., "--to"),
    reason_code: str = typer.Option(..., "--reason-code",
                                    help="COURT_ORDER, ERROR_CORRECTION or SUCCESSION"),
    reason: str = typer.Option(..., "--reason", help="Why, in words (journaled)"),
    quantity: str | None = typer.Option(None, "--quantity"),
    serials: str | None = typer.Option(None, "--serials"),
    confirm_account: str | None = typer.Option(
        None, "--confirm-account", help="The --from account number typed again"),
    key: str | None = KeyOpt, as_json: bool = JsonOpt,
) -> None:
    """登録簿の訂正 (secretariat): move a holder's credits for a stated reason; the holders
    are notified. Ordinary transfers out of a holder's account are refused."""
    if confirm_account is None and sys.stdin.isatty():
        confirm_account = typer.prompt(f"Type the source account number {from_} to confirm")
    data = run(c.CorrectHolding(from_account=from_, to_account=to, reason_code=reason_code,
                                reason=reason, quantity=quantity, serials=serials,
                                confirm_account=confirm_account or ""), key)
    emit(data, as_json, lambda d: _blocks_table(
        d["blocks"], f"{d['quantity']} t-CO2 {d['from_account']} → {d['to_account']} "
        f"({d['reason_code']}: {d['reason']})"))


@credits_app.command("invalidate")
@reports_errors
def credits_invalidate(
    from_: str = typer.Option(..., "--from"),
    quantity: str | None = typer.Option(None, "--quantity"),
    serials: str | None = typer.Option(None, "--serials"),
    use: str = typer.Option(..., "--use"),
    purpose: str = typer.Option(..., "--purpose", help="目的詳細"),
    user: str = typer.Option(..., "--user", help="クレジット利用法人"),
    user_corporate_number: str | None = typer.Option(None, "--user-corporate-number"),
    fiscal_year: str = typer.Option(..., "--fiscal-year"),
    offset_purpose: str | None = typer.Option(None, "--offset-purpose"),
    publish: bool = typer.Option(False, "--publish",
                                 help="consent to the public list of invalidations"),
    key: str | None = KeyOpt, as_json: bool = JsonOpt,
) -> None:
    """File an invalidation application (無効化申請); the credits are reserved until execution."""
    data = run(c.ApplyInvalidation(
        from_account=from_, quantity=quantity, serials=serials, use=use, purpose_details=purpose,
        credit_user_name=user, credit_user_corporate_number=user_corporate_number,
        fiscal_year=fiscal_year, offset_purpose=offset_purpose, publish=publish), key)
    emit(data, as_json, lambda d: console.print(
        f"application {d['id']} PENDING: {d['quantity']} t-CO2 for {d['use']}; "
        f"execute with `jcredit invalidations execute {d['id']}`"))


def _removal(command_cls: type[c.RetireCredits] | type[c.CancelCredits]) -> Callable[..., None]:
    @reports_errors
    def command(
        from_: str = typer.Option(..., "--from"),
        quantity: str | None = typer.Option(None, "--quantity"),
        serials: str | None = typer.Option(None, "--serials"),
        reason: str = typer.Option(..., "--reason"),
        yes: bool = typer.Option(False, "--yes", help="Confirm: this is irreversible"),
        key: str | None = KeyOpt, as_json: bool = JsonOpt,
    ) -> None:
        confirm = yes or _confirm_interactively("This cannot be undone. Proceed?")
        emit(run(command_cls(from_account=from_, quantity=quantity, serials=serials,
                             reason=reason, confirm=confirm), key), as_json)

    return command


def _confirm_interactively(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return typer.confirm(question, default=False)


credits_app.command("retire", help="償却 of legacy 国内クレジット (KC, KCP). Irreversible.")(
    _removal(c.RetireCredits))
credits_app.command("cancel", help="取消 by the administrator. Irreversible.")(
    _removal(c.CancelCredits))


@invalidations_app.command("execute")
@reports_errors
def invalidations_execute(
    ids: list[int] = typer.Argument(None, help="Application ids; none with --all"),
    all_pending: bool = typer.Option(False, "--all", help="Execute the batch of all pending"),
    yes: bool = typer.Option(False, "--yes", help="Confirm: invalidation is irreversible"),
    key: str | None = KeyOpt, as_json: bool = JsonOpt,
) -> None:
    """Execute invalidation applications and issue their notices (irreversible)."""
    if not ids and not all_pending:
        raise ValidationError("name the application ids, or --all for the batch", field="ids")
    confirm = yes or _confirm_interactively(
        "Invalidation is irreversible: use, purpose and credit user can never change. Execute?")
    data = run(c.ExecuteInvalidations(application_ids=tuple(ids or ()), confirm=confirm), key)

    def human(d: dict[str, Any]) -> None:
        for a in d["executed"]:
            console.print(f"application {a['id']} executed: notice {a['notice_number']}, "
                          f"{a['quantity']} t-CO2 for {a['use']}")
        for s in d["skipped"]:
            console.print(f"application {s['id']} skipped: {s['reason']}", markup=False)

    emit(data, as_json, human)


@invalidations_app.command("list")
@reports_errors
def invalidations_list(status: str | None = typer.Option(None, "--status"),
                       as_json: bool = JsonOpt) -> None:
    from jcredit.domain.ledger.credits import parse_enum

    wanted = parse_enum(ApplicationStatus, status, field="status") if status else None
    registry = _registry()
    with registry.uow(write=False) as uow:
        data = queries.applications(uow, cli_actor(), status=wanted)
    emit(data, as_json, lambda d: [console.print(
        f"{a['id']:>6} {a['status']:<9} {a['account']} {a['quantity']:>8} {a['use']:<18} "
        f"{a['credit_user_name']}", markup=False) for a in d])


@invalidations_app.command("notice")
@reports_errors
def invalidations_notice(application_id: int,
                         output: str = typer.Option(..., "--output", "-o", help="PDF file"),
                         as_json: bool = JsonOpt) -> None:
    """Write the 無効化通知書 of an executed application as PDF."""
    from jcredit.adapters.pdf.notices import render_notice_pdf

    registry = _registry()
    with registry.uow(write=False) as uow:
        data = queries.notice(uow, cli_actor(), application_id)
    _write_pdf(output, render_notice_pdf(data), data["notice_number"], as_json)


def _write_pdf(output: str, pdf: bytes, notice_number: str, as_json: bool) -> None:
    with open(output, "wb") as fh:
        fh.write(pdf)
    emit({"notice_number": notice_number, "file": output}, as_json)


@ledger_app.command("notice")
@reports_errors
def ledger_notice(seq: int = typer.Argument(..., help="journal seq of the retirement or "
                                            "cancellation"),
                  output: str = typer.Option(..., "--output", "-o", help="PDF file"),
                  as_json: bool = JsonOpt) -> None:
    """Write the 償却通知書 or 取消通知書 of a retirement or cancellation as PDF."""
    from jcredit.adapters.pdf.notices import render_removal_notice_pdf

    registry = _registry()
    with registry.uow(write=False) as uow:
        data = queries.removal_notice(uow, cli_actor(), seq)
    _write_pdf(output, render_removal_notice_pdf(data), data["notice_number"], as_json)


@ledger_app.command("check")
@reports_errors
def ledger_check(as_json: bool = JsonOpt) -> None:
    """Replay the journal, verify the hash chain and every invariant; non-zero on any problem."""
    registry = _registry()
    with registry.uow(write=False) as uow:
        if as_json or not sys.stderr.isatty():
            result = queries.check_ledger(uow)
        else:
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("replaying the journal", total=None)
                result = queries.check_ledger(uow)
                progress.update(task, completed=1, total=1)
    data = {
        "ok": result.ok,
        "entries": result.entries,
        "live_blocks": len(result.live),
        "totals": vars(result.totals),
        "problems": [{"code": i.code, "subject": i.subject, "message": i.message}
                     for i in result.issues],
    }

    def human(d: dict[str, Any]) -> None:
        t = d["totals"]
        console.print(f"journal entries {d['entries']}, live blocks {d['live_blocks']}")
        console.print(f"issued {t['issued']} = held {t['held']} + invalidated {t['invalidated']} "
                      f"+ retired {t['retired']} + cancelled {t['cancelled']}")
        for p in result.issues:
            console.print(f"PROBLEM {p}", markup=False)
        console.print("ledger OK" if d["ok"] else f"{len(d['problems'])} problem(s) found")

    emit(data, as_json, human)
    if not result.ok:
        raise typer.Exit(7)


@ledger_app.command("export")
@reports_errors
def ledger_export(fmt: str = typer.Option("csv", "--format", help="csv or json"),
                  output: str | None = typer.Option(None, "--output", "-o")) -> None:
    """Export every live block with its account and state."""
    if fmt not in ("csv", "json"):
        raise ValidationError(f"format {fmt!r} is not supported", field="format",
                              valid=["csv", "json"])
    registry = _registry()
    with registry.uow(write=False) as uow:
        rows = queries.ledger_rows(uow)
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=1)
    else:
        buffer = io.StringIO()
        fields = ["serials", "first_serial", "last_serial", "quantity", "state", "account",
                  "account_kind", "holder", "scheme", "credit_type", "category", "project_id",
                  "methodology", "certification_number", "vintage", "reserved_for", "block_id"]
        writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


@ledger_app.command("journal")
@reports_errors
def ledger_journal(limit: int = typer.Option(20, "--limit"), as_json: bool = JsonOpt) -> None:
    """Show the newest journal entries."""
    registry = _registry()
    with registry.uow(write=False) as uow:
        entries = queries.journal_page(uow, cli_actor(), limit=limit)
    data = [{"seq": e.seq, "recorded_at": e.recorded_at, "actor": e.actor,
             "command": e.command, "hash": e.hash} for e in entries]
    emit(data, as_json, lambda d: [console.print(
        f"{x['seq']:>6} {x['recorded_at']} {x['actor']:<16} {x['command']:<22} {x['hash'][:16]}",
        markup=False) for x in d])


@user_app.command("create")
@reports_errors
def user_create(username: str = typer.Option(..., "--username"),
                role: str = typer.Option(..., "--role", help="ADMIN, HOLDER, AUDITOR"),
                org: str | None = typer.Option(None, "--org", help="法人番号, for HOLDER"),
                display_name: str = typer.Option("", "--display-name"),
                password: str = typer.Option(..., "--password", prompt=True,
                                             hide_input=True),
                as_json: bool = JsonOpt) -> None:
    """Create a user (password prompted when not given)."""
    emit(run(c.CreateUser(username=username, password=password, role=role, organisation=org,
                          display_name=display_name)), as_json)


@user_app.command("create-admin")
@reports_errors
def user_create_admin(
    username: str = typer.Argument(..., help="Login name of the new administrator"),
    display_name: str = typer.Option("", "--display-name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin "
        "(for automation) instead of prompting twice"),
    as_json: bool = JsonOpt,
) -> None:
    """Create an administrator (事務局): how a production registry gets its first login.

    The password is prompted twice with hidden input, or read from stdin; it is never an
    argument (which would land in the shell history and the process list)."""
    password = _new_password(password_stdin)
    emit(run(c.CreateUser(username=username, password=password, role=Role.ADMIN.value,
                          display_name=display_name)), as_json)


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("set-password")
@reports_errors
def user_set_password(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the new password from stdin"),
    as_json: bool = JsonOpt,
) -> None:
    """Reset a user's password (prompted twice); all their sessions and tokens end."""
    emit(run(c.ChangePassword(username=username,
                              new_password=_new_password(password_stdin))), as_json)


@user_app.command("revoke")
@reports_errors
def user_revoke(username: str = typer.Argument(...), as_json: bool = JsonOpt) -> None:
    """End every web session and API token of a user (they must log in again)."""
    emit(run(c.RevokeSessions(username=username)), as_json)


@app.command("demo")
@reports_errors
def demo(fleet: bool = typer.Option(False, "--fleet/--no-fleet",
                                    help="also the programme's 24 metered households and four "
                                         "weeks of their data (as jcredit serve seeds)"),
         as_json: bool = JsonOpt) -> None:
    """Seed the demo data into an empty registry and print the demo logins (development)."""
    from jcredit.entrypoints.demo import refuse_demo_outside_development
    from jcredit.entrypoints.demo import seed_demo

    refuse_demo_outside_development(load_settings().environment)  # before touching the db
    registry = _registry()
    logins = seed_demo(registry, fleet=fleet)
    registry.dispose()
    emit([vars(x) for x in logins], as_json, lambda d: [console.print(
        f"{x['role']:<8} {x['username']:<8} / {x['password']}  ({x['organisation']})",
        markup=False) for x in d])


@app.command("serve")
def serve(host: str | None = typer.Option(None, "--host"),
          port: int | None = typer.Option(None, "--port"),
          demo_data: bool | None = typer.Option(
              None, "--demo/--no-demo",
              help="Seed the demo data into an empty registry (development only; the "
                   "default there, never in production)")) -> None:
    """Start the web UI and API (in development, seeds the demo data into an empty registry)."""
    import uvicorn

    from jcredit.entrypoints.api.app import create_app
    from jcredit.entrypoints.demo import DEMO_ENVIRONMENTS
    from jcredit.entrypoints.demo import refuse_demo_outside_development
    from jcredit.entrypoints.demo import seed_demo

    settings = load_settings()
    if demo_data:
        _one_line_errors(lambda: refuse_demo_outside_development(settings.environment))
    registry = bootstrap(settings)
    wanted = settings.seed_demo_data if demo_data is None else demo_data
    if wanted and settings.environment in DEMO_ENVIRONMENTS:
        console.print("Demo logins (デモ用ログイン):")
        for login in seed_demo(registry, fleet=True):
            console.print(f"  {login.role:<8} {login.username:<8} / {login.password}  "
                          f"({login.organisation})", markup=False)
    url = f"http://{host or settings.host}:{port or settings.port}"
    console.print(f"jcredit web UI: {url}/   API docs: {url}/api/docs", markup=False)
    options = settings.server_options() | {"host": host or settings.host,
                                           "port": port or settings.port}
    uvicorn.run(create_app(settings, registry=registry), log_level="info",
                **options)  # type: ignore[arg-type]


def _one_line_errors(action: Callable[[], object]) -> None:
    reports_errors(action)()


# backup/restore and the project, methodology, estimate and issuance commands live in their own
# modules.
from jcredit.entrypoints.cli import backup as _backup  # noqa: E402,F401
from jcredit.entrypoints.cli import dmrv as _dmrv  # noqa: E402,F401
from jcredit.entrypoints.cli import dmrv_check as _dmrv_check  # noqa: E402,F401
from jcredit.entrypoints.cli import issuances as _issuances  # noqa: E402,F401
from jcredit.entrypoints.cli import offsets as _offsets  # noqa: E402,F401
from jcredit.entrypoints.cli import projects as _projects  # noqa: E402,F401
from jcredit.entrypoints.cli import public as _public  # noqa: E402,F401
from jcredit.entrypoints.cli import simulate as _simulate  # noqa: E402,F401
from jcredit.entrypoints.cli import workers as _workers  # noqa: E402,F401


def main() -> None:
    app()


if __name__ == "__main__":
    main()

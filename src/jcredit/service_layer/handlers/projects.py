"""Projects: the plan, its activities, the 審査機関, evidence, and what every project
command shares (lookups, the caller's part, the journal and timeline, documents).

Registration is in ``registration.py``, monitoring to issuance in ``monitoring.py``.
Every command checks the caller's part in the project (implementer or programme operator,
the assigned 審査機関, the committee, the secretariat), moves the lifecycle through the
transition tables of ``domain.projects.lifecycle``, writes a journal entry and a timeline
event, and keeps each document as a new, content-hashed version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any
from typing import TypeVar

from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import DomainError
from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.accounts import Account
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import parse_enum
from jcredit.domain.ledger.credits import parse_text_id
from jcredit.domain.ledger.journal import canonical_json
from jcredit.domain.methodologies import methodology as find_methodology
from jcredit.domain.methodologies.base import Methodology
from jcredit.domain.organisations import Organisation
from jcredit.domain.parsing import parse_date
from jcredit.domain.parsing import parse_decimal
from jcredit.domain.projects import eligibility as el
from jcredit.domain.projects.lifecycle import Party
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.model import Activity
from jcredit.domain.projects.model import MonitoringPeriod
from jcredit.domain.projects.model import Project
from jcredit.domain.projects.model import ProjectType
from jcredit.domain.projects.registered import parse_list
from jcredit.domain.text import check_nested_text
from jcredit.domain.text import clean_text
from jcredit.domain.text import shown
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.handlers.invalidations import registry_date
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.handlers.lookups import organisation_by_corporate_number
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.unit_of_work import DocumentRecord
from jcredit.service_layer.unit_of_work import EvidenceRecord
from jcredit.service_layer.unit_of_work import ProjectEvent
from jcredit.service_layer.validation import DEFAULT_TEXT
from jcredit.service_layer.validation import TEXT_FIELDS
from jcredit.service_layer.views import project_view

T = TypeVar("T")

OWNER_ROLES = (Role.IMPLEMENTER, Role.OPERATOR, Role.HOLDER)
PERIOD_INPUTS = ("period_start", "period_end")


# --- lookups and parsing ------------------------------------------------------------------


def project_by_number(uow: AbstractUnitOfWork, number: str, *, field: str = "project"
                      ) -> Project:
    project = uow.projects.by_number(str(number).strip().upper())
    if project is None:
        raise NotFoundError(f"{field}: no project {number}", field=field)
    return project


def period_by_number(uow: AbstractUnitOfWork, project: Project, number: object
                     ) -> MonitoringPeriod:
    for period in uow.projects.periods(project.id):
        if str(period.number) == str(number).strip():
            return period
    raise NotFoundError(f"period: project {project.number} has no monitoring period {number}",
                        field="period")


def methodology_of(project: Project) -> Methodology:
    return find_methodology(project.methodology_id, project.methodology_version)


def is_forest(m: Methodology) -> bool:
    return m.category is Category.FOREST


def party_for(actor: Actor, project: Project) -> Party:
    """The actor's part in this project, or a refusal that says why."""
    if actor.role is Role.ADMIN:
        return Party.SECRETARIAT
    if actor.role is Role.COMMITTEE:
        return Party.COMMITTEE
    if actor.role is Role.VERIFIER:
        if project.verifier_org_id is not None and actor.organisation_id == project.verifier_org_id:
            return Party.VERIFIER
        raise PermissionDeniedError(f"your body is not the 審査機関 of project {project.number}")
    if actor.role in OWNER_ROLES:
        if actor.organisation_id == project.implementer_org_id:
            if actor.role is Role.OPERATOR and project.project_type is ProjectType.PROGRAMME:
                return Party.OPERATOR
            return Party.IMPLEMENTER
        raise PermissionDeniedError(f"project {project.number} belongs to another organisation")
    raise PermissionDeniedError(f"the {actor.role} role takes no part in projects")


def require_owner(actor: Actor, project: Project) -> Party:
    party = party_for(actor, project)
    if party not in (Party.IMPLEMENTER, Party.OPERATOR, Party.SECRETARIAT):
        raise PermissionDeniedError(
            f"only the implementer of {project.number} (or the secretariat) may do this")
    return party


# --- journal, timeline and documents --------------------------------------------------------


def record(ctx: CommandContext, cmd: c.Command, project: Project, action: str,
           payload: dict[str, Any], *, from_state: str | None = None, to_state: str | None = None,
           period_number: int | None = None, comment: str = "",
           postings: list[dict[str, Any]] | None = None) -> int:
    entry = ctx.record(cmd.NAME, payload | {"project": project.number, "action": action},
                       postings)
    ctx.uow.projects.add_event(ProjectEvent(
        project_id=project.id, period_number=period_number, action=action,
        from_state=from_state, to_state=to_state, actor=ctx.actor.key, at=ctx.now_iso,
        comment=comment, journal_seq=entry.seq))
    return entry.seq


def save_document(ctx: CommandContext, project: Project, kind: str, content: dict[str, Any],
                  *, period_number: int | None = None) -> DocumentRecord:
    versions = ctx.uow.projects.document_versions(project.id, kind, period_number)
    body = canonical_json(content)
    document = DocumentRecord(
        project_id=project.id, period_number=period_number, kind=kind,
        version=versions + 1, content=body,
        sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        created_by=ctx.actor.key, created_at=ctx.now_iso)
    ctx.uow.projects.add_document(document)
    return document


# --- accreditation ---------------------------------------------------------------------------


def accredit_verifier(cmd: c.AccreditVerifier, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, action="accrediting a 審査機関")
    org = organisation_by_corporate_number(ctx.uow, cmd.organisation)
    scopes = sorted({parse_text_id(s, field="scopes").upper() for s in cmd.scopes})
    if not scopes:
        raise ValidationError("give at least one scope: a methodology id or a prefix "
                              "such as EN-R, EN-S, FO, AG", field="scopes")
    existing: set[str] = set(ctx.uow.projects.scopes(org.id))
    for scope in scopes:
        if scope not in existing:
            ctx.uow.projects.accredit(org.id, scope, granted_at=ctx.now_iso)
    view = {"organisation": org.corporate_number, "scopes": sorted(existing | set(scopes))}
    ctx.record(cmd.NAME, view)
    return view


def covers(scopes: list[str], methodology_id: str) -> bool:
    return any(methodology_id == s or methodology_id.startswith(s + "-") for s in scopes)


# --- the plan ------------------------------------------------------------------------------------


def _additionality(raw: dict[str, object] | None) -> dict[str, Any]:
    raw = dict(raw or {})
    known = {"investment_yen", "subsidy_yen", "annual_income_yen", "annual_running_cost_yen",
             "exemption", "post_fit_investments", "payback_years"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValidationError(f"additionality: unknown field {unknown[0]!r}",
                              field=f"additionality.{unknown[0]}", valid=sorted(known))
    result: dict[str, Any] = {}
    for name in ("investment_yen", "subsidy_yen", "annual_income_yen",
                 "annual_running_cost_yen", "payback_years"):
        if raw.get(name) not in (None, ""):
            result[name] = str(parse_decimal(raw[name], field=f"additionality.{name}"))
    exemption = parse_enum(el.AdditionalityExemption, raw.get("exemption") or "NONE",
                           field="additionality.exemption")
    result["exemption"] = exemption.value
    investments = raw.get("post_fit_investments") or []
    if not isinstance(investments, list | tuple):
        raise ValidationError("additionality.post_fit_investments must be a list",
                              field="additionality.post_fit_investments")
    for item in investments:
        if item not in el.POST_FIT_INVESTMENTS:
            raise ValidationError(f"unknown 卒FIT investment {item!r}",
                                  field="additionality.post_fit_investments",
                                  valid=el.POST_FIT_INVESTMENTS)
    result["post_fit_investments"] = list(investments)
    return result



def _project_name(value: str) -> str:
    name = " ".join(str(value).split())
    if not 1 <= len(name) <= 200:
        raise ValidationError("name must be 1-200 characters", field="name")
    return name


def _methodology(methodology: str, version: str | None) -> Methodology:
    try:
        return find_methodology(methodology, version)
    except NotFoundError as error:
        raise ValidationError(error.message, field="methodology", valid=error.valid) from None


def _holder_account(ctx: CommandContext, number: str, implementer: Organisation) -> Account:
    holder = account_by_number(ctx.uow, number, field="holder_account")
    if holder.kind is not AccountKind.HOLDING or holder.organisation_id != implementer.id:
        raise ValidationError(f"holder_account {holder.number} must be a holding account of "
                              f"{implementer.name}", field="holder_account")
    return holder


def _prefecture(value: str) -> str:
    if value not in el.PREFECTURES:
        raise ValidationError(f"prefecture {value!r} is not one of the 47 prefectures "
                              "(projects are carried out in Japan)", field="prefecture",
                              valid=el.PREFECTURES)
    return value


def _address(value: str, prefecture: str | None) -> str:
    """The site's address; when it starts with a prefecture, the one chosen."""
    address = " ".join(str(value).split())
    if not address:
        raise ValidationError("address is required", field="address")
    written = next((p for p in el.PREFECTURES if address.startswith(p)), None)
    if prefecture is not None and written is not None and written != prefecture:
        raise ValidationError(f"the address is in {written} but the prefecture chosen is "
                              f"{prefecture}", field="prefecture", valid=[written])
    return address

def create_project(cmd: c.CreateProject, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, *OWNER_ROLES, action="creating a project")
    if ctx.actor.role is Role.ADMIN:
        if not cmd.implementer:
            raise ValidationError("the secretariat names the implementer (法人番号)",
                                  field="implementer")
        implementer = organisation_by_corporate_number(ctx.uow, cmd.implementer,
                                                       field="implementer")
    else:
        implementer = ctx.uow.organisations.get(ctx.actor.organisation_id or -1)  # type: ignore[assignment]
        if implementer is None:
            raise PermissionDeniedError("your user belongs to no organisation")
        if cmd.implementer and organisation_by_corporate_number(
                ctx.uow, cmd.implementer, field="implementer").id != implementer.id:
            raise PermissionDeniedError("you can create projects only for your organisation")
    check = FieldChecks()  # every field checked, all problems refused at once
    name = check(lambda: _project_name(cmd.name))
    project_type = check(lambda: parse_enum(ProjectType, cmd.project_type, field="project_type"))
    m = check(lambda: _methodology(cmd.methodology, cmd.methodology_version))
    holder = check(lambda: _holder_account(ctx, cmd.holder_account, implementer))
    prefecture = check(lambda: _prefecture(cmd.prefecture))
    address = check(lambda: _address(cmd.address, cmd.prefecture if prefecture else None))
    start = check(lambda: parse_date(cmd.start_date, field="start_date"))
    monitoring_start = check(lambda: parse_date(cmd.monitoring_start, field="monitoring_start"))
    years = check(lambda: int(parse_decimal(
        cmd.crediting_years if cmd.crediting_years not in (None, "") else el.CREDITING_YEARS,
        field="crediting_years")))
    check.done()
    assert name and project_type and m and holder and address and start and monitoring_start
    assert years is not None
    el.crediting_period(monitoring_start, monitoring_start, forest=is_forest(m), years=years)
    project_id = ctx.uow.projects.next_id()
    project = Project(
        id=project_id, number=f"JCP-{project_id:06d}", name=name, project_type=project_type,
        methodology_id=m.id, methodology_version=m.version, implementer_org_id=implementer.id,
        holder_account_id=holder.id, state=ProjectState.PLAN_DRAFT,
        prefecture=cmd.prefecture, address=address, start_date=start,
        monitoring_start=monitoring_start, crediting_years=years, keidanren=bool(cmd.keidanren),
        additionality=_additionality(cmd.additionality), plan=dict(cmd.plan or {}),
        created_at=ctx.now_iso)
    ctx.uow.projects.add(project)
    view = project_view(project, holder_account=holder.number)
    save_document(ctx, project, "PLAN", view)
    record(ctx, cmd, project, "create", view, to_state=project.state.value)
    return view


# --- activities ----------------------------------------------------------------------------------


def add_activity(cmd: c.AddActivity, ctx: CommandContext) -> dict[str, Any]:
    row = {"code": cmd.code, "address": cmd.address, "operation_start": cmd.operation_start,
           "expected_tco2_per_year": cmd.expected_tco2_per_year, "household": cmd.household,
           "inputs": cmd.inputs}
    try:
        return _add_activities(ctx, cmd.project, (row,), ())[0]
    except DomainError as error:
        raise _first_problem(error) from None


def _first_problem(error: DomainError) -> DomainError:
    """One activity's refusal as the error of its first problem (its class, its field and
    what is valid), with the others, if any, listed."""
    if not error.errors or not isinstance(error, _RowsRefused):
        return error
    first = error.errors[0]
    valid = first.get("valid")
    return error.kinds[0](str(first["message"]), field=str(first["column"]),
                          valid=valid if isinstance(valid, list) else None,
                          errors=error.errors if len(error.errors) > 1 else None)


def add_activities(cmd: c.AddActivities, ctx: CommandContext) -> dict[str, Any]:
    """A file of activities in one transaction: every line is checked before anything is
    written, every problem is reported (line, column, value, what is valid), and either all
    lines are added or none."""
    if not cmd.activities:
        raise ValidationError("activities: give at least one activity", field="activities")
    views = _add_activities(ctx, cmd.project, cmd.activities, cmd.lines)
    return {"project": str(cmd.project).strip().upper(), "added": len(views),
            "codes": [v["code"] for v in views]}


ACTIVITY_FIELDS = ("code", "address", "operation_start", "expected_tco2_per_year",
                   "household", "inputs")
TRUE_WORDS = ("1", "true", "yes", "y", "on", "はい")
FALSE_WORDS = ("", "0", "false", "no", "n", "off", "いいえ")


class _RowsRefused(DomainError):
    """Items refused together; ``kinds`` keeps each problem's error class."""

    def __init__(self, message: str, *, field: str, errors: list[dict[str, object]],
                 kinds: list[type[DomainError]]) -> None:
        super().__init__(message, field=field, errors=errors)
        self.kinds = kinds


class RowsInvalid(_RowsRefused, ValidationError):
    pass


class RowsConflict(_RowsRefused, ConflictError):
    pass


class _Problems:
    """The problems found in a list of items, each tied to its item (and file line)."""

    def __init__(self, lines: tuple[int, ...], noun: str = "activities") -> None:
        self.lines = lines
        self.noun = noun  # what the items are: each problem's field is noun[index].column
        self.items: list[dict[str, object]] = []
        self.kinds: list[type[DomainError]] = []
        self.indexes: list[int] = []

    def add(self, index: int, column: str, value: object, error: DomainError) -> None:
        item: dict[str, object] = {"field": f"{self.noun}[{index}].{column}", "column": column,
                                   "value": "" if value is None else str(value),
                                   "message": error.message}
        if index < len(self.lines):
            item = {"line": self.lines[index]} | item
        if error.valid:
            item["valid"] = list(error.valid)
        self.items.append(item)
        self.kinds.append(type(error))
        self.indexes.append(index)

    def check(self, index: int, column: str, value: object, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except DomainError as error:
            self.add(index, column, value, error)
            return None

    def raise_if_any(self, total: int) -> None:
        if not self.items:
            return
        lines = sorted({self.lines[i] for i in self.indexes if i < len(self.lines)})
        where = f" (lines {', '.join(map(str, lines[:10]))}{' …' if len(lines) > 10 else ''})" \
            if lines else ""
        conflict = all(issubclass(k, ConflictError) for k in self.kinds)
        raise (RowsConflict if conflict else RowsInvalid)(
            f"{len(self.items)} problem(s) in {total} {self.noun}{where}: nothing was added; "
            "correct them and send the whole file again", field=self.noun,
            errors=self.items, kinds=self.kinds)


def _household(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE_WORDS or text in FALSE_WORDS:
        return text in TRUE_WORDS
    raise ValidationError(f"household {value!r} is not yes or no", field="household",
                          valid=("1", "0", "true", "false", "yes", "no"))


def _add_activities(ctx: CommandContext, number: str, rows: tuple[dict[str, object], ...],
                    lines: tuple[int, ...]) -> list[dict[str, Any]]:
    """Check every row, then write them all (one insert of activities, one of timeline
    events, one journal entry per activity as when they are added one by one)."""
    project = project_by_number(ctx.uow, number)
    require_owner(ctx.actor, project)
    m = methodology_of(project)
    existing = ctx.uow.projects.activities(project.id)
    _check_can_add(project, existing, len(rows))
    today = registry_date(ctx)
    problems = _Problems(lines)
    codes = {a.code: f"{project.number}" for a in existing}
    sites: dict[str, int] = {}
    drafts: list[tuple[int, Activity]] = []
    for index, row in enumerate(rows):
        activity = _activity_from(ctx, project, m, index, row, today, problems, codes, sites)
        if activity is not None:
            drafts.append((index, activity))
    registered = ctx.uow.projects.site_registrations(list(sites))
    elsewhere = ctx.uow.projects.external_matches(list(sites))
    for index, activity in drafts:
        where = registered.get(activity.site_key)
        if where is not None:
            problems.add(index, "address", activity.address, ConflictError(
                f"double registration: {activity.address} is already registered in {where}"))
        elif activity.site_key in elsewhere:
            problems.add(index, "address", activity.address, ConflictError(
                f"double registration: {activity.address} is registered in a similar "
                f"scheme ({elsewhere[activity.site_key]})"))
    problems.raise_if_any(len(rows))
    first_id = ctx.uow.projects.next_activity_id()
    activities = [replace(a, id=first_id + n) for n, (_, a) in enumerate(drafts)]
    ctx.uow.projects.add_activities(activities)
    views, events = [], []
    for activity in activities:
        view = activity_view(activity)
        entry = ctx.record(c.AddActivity.NAME, view | {"project": project.number,
                                                       "action": "add_activity"})
        events.append(ProjectEvent(
            project_id=project.id, period_number=None, action="add_activity", from_state=None,
            to_state=None, actor=ctx.actor.key, at=ctx.now_iso, comment=activity.code,
            journal_seq=entry.seq))
        views.append(view)
    ctx.uow.projects.add_events(events)
    return views


def _check_can_add(project: Project, existing: list[Activity], count: int) -> None:
    editable = (ProjectState.PLAN_DRAFT, ProjectState.RETURNED)
    if project.state not in editable and not (
            project.state is ProjectState.REGISTERED
            and project.project_type is ProjectType.PROGRAMME):
        raise ConflictError(f"project {project.number} is {project.state}: activities are added "
                            "while drafting, or to a registered programme-type project",
                            field="project")
    if project.project_type is ProjectType.NORMAL and (existing or count > 1):
        raise ConflictError("a normal-type project has one activity (its site); use a "
                            "programme-type project to bundle several", field="code")


def _activity_from(ctx: CommandContext, project: Project, m: Methodology, index: int,
                   row: dict[str, object], today: date, problems: _Problems,
                   codes: dict[str, str], sites: dict[str, int]) -> Activity | None:
    """One row as an activity, or None with its problems added (all of them, not the first)."""
    before = len(problems.items)
    row, bad = _clean_row(problems, index, row)
    unknown_fields = sorted(set(row) - set(ACTIVITY_FIELDS))
    for name in unknown_fields:
        problems.add(index, name, row[name], ValidationError(
            f"unknown field {name!r}", valid=ACTIVITY_FIELDS))
    raw_code = row.get("code")
    code = None if "code" in bad else problems.check(
        index, "code", raw_code, lambda: parse_text_id(raw_code, field="code").upper())
    if code is not None:
        if code in codes:
            problems.add(index, "code", raw_code, ConflictError(
                f"activity {code} already exists in {codes[code]}"))
        else:
            codes[code] = _line_name(problems, index)
    address = " ".join(str(row.get("address") or "").split())
    key = el.site_key(address) if address else ""
    if "address" in bad:
        pass
    elif not address:
        problems.add(index, "address", "", ValidationError("address is required"))
    elif key in sites:
        problems.add(index, "address", address, ConflictError(
            f"double registration: the same site as {_line_name(problems, sites[key])}"))
    else:
        sites[key] = index
    raw_start = row.get("operation_start")
    operation_start = None if "operation_start" in bad else problems.check(
        index, "operation_start", raw_start, lambda: parse_date(raw_start, field="operation_start"))
    raw_expected = row.get("expected_tco2_per_year")
    expected = None if "expected_tco2_per_year" in bad else problems.check(
        index, "expected_tco2_per_year", raw_expected,
        lambda: parse_decimal(raw_expected, field="expected_tco2_per_year"))
    if expected is not None and project.project_type is ProjectType.PROGRAMME:
        size = el.check_programme_activity_size(expected, subject=code or "")
        if not size.passed:
            problems.add(index, "expected_tco2_per_year", raw_expected,
                         ValidationError(size.message))
    household = None if "household" in bad else problems.check(
        index, "household", row.get("household"), lambda: _household(row.get("household")))
    inputs = {} if "inputs" in bad else _inputs(problems, index, m, row.get("inputs"))
    if len(problems.items) > before:
        return None
    assert code is not None and operation_start is not None and expected is not None
    activity = Activity(
        id=0, project_id=project.id, code=code, address=address, site_key=key,
        operation_start=operation_start, expected_tco2_per_year=expected,
        household=bool(household), inputs=inputs, added_on=today)
    if project.state is ProjectState.REGISTERED:
        # A member joining a registered programme: its own checks and crediting period.
        if not is_forest(m):
            age = el.check_equipment_age(operation_start, today, subject=code)
            if not age.passed:
                problems.add(index, "operation_start", raw_start, ValidationError(age.message))
                return None
        period = problems.check(index, "operation_start", raw_start, lambda: el.crediting_period(
            today, max(operation_start, project.monitoring_start), forest=is_forest(m),
            years=project.crediting_years, cap=ctx.policy.crediting_period_cap))
        if period is None:
            return None
        activity.crediting_start, activity.crediting_end = period.start, period.end
    return activity


def _clean_row(problems: _Problems, index: int, row: dict[str, object]
               ) -> tuple[dict[str, object], set[str]]:
    """The row's text as the databases store it (NFC; its column's length; no control or
    bidi characters), and the columns refused, each added to the problems with its line:
    the message bus leaves a file's rows to this, so that every bad line is reported."""
    cleaned: dict[str, object] = {}
    bad: set[str] = set()
    for column, value in row.items():
        name = column if isinstance(column, str) else repr(column)
        try:
            clean_text(name, field=f"{name} (a column name)", max_length=200)
            if isinstance(value, str):
                max_length, _ = TEXT_FIELDS.get(name, DEFAULT_TEXT)
                value = clean_text(value, field=name, max_length=max_length)
            elif isinstance(value, dict | list | tuple):
                check_nested_text(value, field=name)
        except ValidationError as error:
            problems.add(index, name, shown(value), error)
            bad.add(name)
            continue
        cleaned[name] = value
    return cleaned, bad


def _line_name(problems: _Problems, index: int) -> str:
    return f"line {problems.lines[index]}" if index < len(problems.lines) \
        else f"activities[{index}]"


def _inputs(problems: _Problems, index: int, m: Methodology, raw: object) -> dict[str, object]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(index, "inputs", raw, ValidationError("inputs must be an object"))
        return {}
    allowed = {i.name for i in m.inputs} - set(PERIOD_INPUTS)
    for name in sorted(set(raw) - allowed):
        problems.add(index, f"inputs.{name}", raw[name], ValidationError(
            f"{m.key} has no input {name!r}", valid=sorted(allowed)))
    return dict(raw)


def remove_activity(cmd: c.RemoveActivity, ctx: CommandContext) -> dict[str, Any]:
    """Before registration an activity may be taken out (and added again, corrected); the
    journal keeps what it was. A registered activity stays: its credits depend on it."""
    project = project_by_number(ctx.uow, cmd.project)
    require_owner(ctx.actor, project)
    if project.state not in (ProjectState.PLAN_DRAFT, ProjectState.RETURNED):
        raise ConflictError(f"project {project.number} is {project.state}: activities are "
                            "removed only while drafting or after a return", field="project")
    code = str(cmd.code).strip().upper()
    activity = next((a for a in ctx.uow.projects.activities(project.id) if a.code == code),
                    None)
    if activity is None:
        raise NotFoundError(f"project {project.number} has no activity {code}", field="code")
    # Its devices (dMRV) go with it, named in the journal entry: a corrected activity added
    # again registers them again.
    devices = ctx.uow.devices.remove_of_activity(activity.id)
    ctx.uow.projects.remove_activity(activity.id)
    reason = " ".join(str(cmd.reason).split())
    view = activity_view(activity) | {"removed": True, "reason": reason}
    if devices:
        view["devices_removed"] = devices
    record(ctx, cmd, project, "remove_activity", view, comment=f"{code} {reason}".strip())
    return view


def activity_view(a: Activity) -> dict[str, Any]:
    return {
        "code": a.code, "address": a.address, "operation_start": a.operation_start.isoformat(),
        "expected_tco2_per_year": str(a.expected_tco2_per_year), "household": a.household,
        "inputs": a.inputs, "added_on": a.added_on.isoformat(),
        "crediting_start": a.crediting_start.isoformat() if a.crediting_start else None,
        "crediting_end": a.crediting_end.isoformat() if a.crediting_end else None,
    }


def assign_verifier(cmd: c.AssignVerifier, ctx: CommandContext) -> dict[str, Any]:
    project = project_by_number(ctx.uow, cmd.project)
    require_owner(ctx.actor, project)
    if project.state not in (ProjectState.PLAN_DRAFT, ProjectState.RETURNED,
                             ProjectState.REGISTERED):
        raise ConflictError(f"project {project.number} is {project.state}: the 審査機関 is "
                            "chosen while drafting or between monitoring periods",
                            field="project")
    body = organisation_by_corporate_number(ctx.uow, cmd.verifier, field="verifier")
    scopes = ctx.uow.projects.scopes(body.id)
    if not covers(scopes, project.methodology_id):
        raise ValidationError(f"{body.name} is not accredited for {project.methodology_id} "
                              f"(its scopes: {', '.join(scopes) or 'none'})", field="verifier")
    if body.id == project.implementer_org_id:
        raise ConflictError("conflict of interest: a 審査機関 never validates or verifies its own "
                            "organisation's project", field="verifier")
    project.verifier_org_id = body.id
    ctx.uow.projects.update(project)
    view = {"verifier": body.corporate_number, "verifier_name": body.name}
    record(ctx, cmd, project, "assign_verifier", view)
    return view


def evidence_project(uow: AbstractUnitOfWork, actor: Actor, number: str) -> Project:
    """The project, if ``actor`` may attach evidence to it: the rule the upload routes check
    before they read a byte of the file, and the handler checks again."""
    project = project_by_number(uow, number)
    party = party_for(actor, project)
    if party not in (Party.IMPLEMENTER, Party.OPERATOR, Party.VERIFIER, Party.SECRETARIAT):
        raise PermissionDeniedError("only the implementer, the 審査機関 or the secretariat "
                                    "attach evidence")
    return project


def attach_evidence(cmd: c.AttachEvidence, ctx: CommandContext) -> dict[str, Any]:
    """Evidence (photos, invoices, meter exports) for the plan or a monitoring report.

    The owner and the 審査機関 may attach files; the same bytes are recorded once.
    """
    project = evidence_project(ctx.uow, ctx.actor, cmd.project)
    filename = " ".join(str(cmd.filename).split())[:200]
    if not filename:
        raise ValidationError("the file needs a name", field="file")
    if cmd.size <= 0:
        raise ValidationError("the file is empty", field="file")
    existing = {e.sha256: e for e in ctx.uow.projects.evidence(project.id)}
    view = {"sha256": cmd.sha256, "filename": filename, "media_type": cmd.media_type,
            "size": cmd.size}
    if cmd.sha256 in existing:
        return view | {"already_attached": True}
    ctx.uow.projects.add_evidence(EvidenceRecord(
        sha256=cmd.sha256, project_id=project.id, filename=filename,
        media_type=cmd.media_type[:100] or "application/octet-stream", size=cmd.size,
        uploaded_by=ctx.actor.key, uploaded_at=ctx.now_iso))
    record(ctx, cmd, project, "attach_evidence", view, comment=filename)
    return view | {"already_attached": False}


def import_external_registrations(cmd: c.ImportExternalRegistrations, ctx: CommandContext
                                  ) -> dict[str, Any]:
    """The secretariat loads sites registered elsewhere; matches already in a project are
    returned (and shown as flags on the project) so the double count is settled before
    issuance (jcredit-rules.md §1.2)."""
    require_role(ctx.actor, Role.ADMIN, action="importing external registrations")
    scheme = " ".join(str(cmd.scheme).split())
    if not scheme:
        raise ValidationError("name the scheme the sites are registered in", field="scheme")
    added, keys = 0, []
    for i, entry in enumerate(cmd.entries):
        address = " ".join(str(entry.get("address", "")).split())
        if not address:
            raise ValidationError(f"entries[{i}].address is required",
                                  field=f"entries[{i}].address")
        # the bus checks nested text with a general cap; the column holds 300 characters
        address = clean_text(address, field=f"entries[{i}].address",
                             max_length=TEXT_FIELDS["address"][0])
        key = el.site_key(address)
        keys.append(key)
        added += ctx.uow.projects.add_external(
            site_key=key, scheme=scheme, reference=str(entry.get("reference", ""))[:200],
            address=address, imported_at=ctx.now_iso)
    flagged = sorted(set(ctx.uow.projects.site_registrations(keys).values()))
    view = {"scheme": scheme, "imported": added, "flagged": flagged}
    ctx.record(cmd.NAME, view)
    return view


def import_registered_projects(cmd: c.ImportRegisteredProjects, ctx: CommandContext
                               ) -> dict[str, Any]:
    """The secretariat loads the projects registered before jcredit from the official list
    (domain/projects/registered.py reads the rows). Good rows land (added,
    or updated when the list changed), bad rows are reported with their line, and rows
    already imported unchanged change nothing: a second import of the same list writes
    nothing, not even a journal entry."""
    require_role(ctx.actor, Role.ADMIN, action="importing registered projects")
    projects, problems = parse_list(list(cmd.rows), first_line=int(cmd.first_line))
    fits = [project.as_dict() for project in projects]
    existing = {row["no"]: row for row in ctx.uow.projects.registered([v["no"] for v in fits])}
    added = [v for v in fits if v["no"] not in existing]
    updated = [v for v in fits if v["no"] in existing
               and any(existing[v["no"]][k] != v[k] for k in v)]
    unchanged = len(fits) - len(added) - len(updated)
    result: dict[str, Any] = {"added": len(added), "updated": len(updated),
                              "unchanged": unchanged, "problems": problems}
    if not added and not updated:
        return result
    entry = ctx.record(cmd.NAME, {"added": added, "updated": updated, "unchanged": unchanged,
                                  "problems": problems})
    for view in added + updated:
        ctx.uow.projects.put_registered(view | {"imported_at": ctx.now_iso,
                                                "journal_seq": entry.seq},
                                        new=view in added)
    return result | {"journal_seq": entry.seq}

"""Web pages for projects: the list and work queue, the project page with its timeline,
the new-project form, and the public STEP0 estimate calculator.

Each form posts a command to the same bus as the API and the CLI; an error is shown on
the page it came from, with nothing written.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi import Form
from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUploadFile

from jcredit.domain.errors import DomainError
from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies import CATALOGUE
from jcredit.domain.methodologies import methodology as find_methodology
from jcredit.domain.methodologies.factors import grid_factor_table
from jcredit.domain.projects.eligibility import PREFECTURES
from jcredit.domain.projects.estimate import COMMON
from jcredit.domain.projects.estimate import INPUTS as ESTIMATE_INPUTS
from jcredit.domain.projects.estimate import estimate
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.errors import describe_problem
from jcredit.entrypoints.params import PeriodNumber
from jcredit.entrypoints.tables_in import add_activities_command
from jcredit.entrypoints.tables_in import decode_csv
from jcredit.entrypoints.tables_in import submit_monitoring_csv
from jcredit.entrypoints.uploads import attach_command
from jcredit.entrypoints.uploads import authorise_evidence
from jcredit.entrypoints.uploads import read_form
from jcredit.entrypoints.uploads import receive_file
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.i18n import translator
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _check_csrf
from jcredit.entrypoints.web.views import _error_text
from jcredit.entrypoints.web.views import _redirect
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import render
from jcredit.entrypoints.web.views import request_language
from jcredit.service_layer import commands as c
from jcredit.service_layer import project_queries
from jcredit.service_layer.actors import Role
from jcredit.service_layer.handlers.invalidations import JST

router = APIRouter(include_in_schema=False)
MAX_CSV_BYTES = 10 * 1024 * 1024


def _send(request: Request, command: c.Command, csrf: str, idem: str) -> dict[str, Any]:
    _check_csrf(request, csrf)
    return _registry(request).bus.handle(command, actor=_actor(request),
                                         idempotency_key=idem or None).data


@router.get("/projects")
def projects(request: Request) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        rows = project_queries.projects_for(uow, actor)
        queue = project_queries.work_queue(uow, actor)
    return render(request, "projects.html", projects=rows, queue=queue)


@router.get("/agenda")
def agenda(request: Request) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = project_queries.agenda(uow, actor)
    return render(request, "agenda.html", agenda=data)


def _project_page(request: Request, number: str, status_code: int = 200, **extra: Any
                  ) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        today = _registry(request).clock().astimezone(JST).date()
        project = project_queries.project_detail(uow, actor, number, today=today)
        organisations = uow.organisations.list()
        verifiers = [o for o in organisations if uow.projects.scopes(o.id)]
    is_owner = actor.role in (Role.IMPLEMENTER, Role.OPERATOR, Role.HOLDER, Role.ADMIN)
    return render(request, "project.html", status_code=status_code, project=project,
                  verifiers=verifiers, is_owner=is_owner, role=actor.role.value, **extra)


@router.get("/projects/new")
def new_project_form(request: Request) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        accounts = [a for a in uow.accounts.list(organisation_id=actor.organisation_id or -1)]
    return render(request, "project_new.html", methodologies=CATALOGUE, prefectures=PREFECTURES,
                  accounts=accounts, form={})


@router.post("/projects/new")
async def create_project(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    additionality: dict[str, Any] = {}
    for name in ("investment_yen", "subsidy_yen", "annual_income_yen",
                 "annual_running_cost_yen"):
        if form.get(name):
            additionality[name] = form[name]
    if form.get("exemption"):
        additionality["exemption"] = form["exemption"]
    command = c.CreateProject(
        name=form.get("name", ""), project_type=form.get("project_type", ""),
        methodology=form.get("methodology", ""), holder_account=form.get("holder_account", ""),
        prefecture=form.get("prefecture", ""), address=form.get("address", ""),
        start_date=form.get("start_date", ""), monitoring_start=form.get("monitoring_start", ""),
        crediting_years=form.get("crediting_years") or None,
        keidanren=form.get("keidanren") == "on", additionality=additionality,
        plan={"summary": form.get("summary", "")})
    try:
        data = _send(request, command, form.get("csrf", ""), form.get("idem", ""))
    except DomainError as error:
        actor = _actor(request)
        with _registry(request).uow(write=False) as uow:
            accounts = uow.accounts.list(organisation_id=actor.organisation_id or -1)
        return render(request, "project_new.html", status_code=classify(error)[0],
                      methodologies=CATALOGUE, prefectures=PREFECTURES, accounts=accounts,
                      form=form, error=_error_text(error, request))
    request.session["flash"] = f"{data['number']}: {data['name']}"
    return _redirect(f"/projects/{data['number']}")


@router.get("/projects/{number}")
def project_page(request: Request, number: str) -> Response:
    return _project_page(request, number)


async def _csv_form(request: Request) -> tuple[FormData, str]:
    """The form, and its CSV as text: the uploaded file (decoded as UTF-8, UTF-8 with BOM
    or Shift_JIS, or as the encoding chosen) if one was chosen, else the pasted text."""
    form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_CSV_BYTES)
    upload = form.get("csv_file")
    if isinstance(upload, StarletteUploadFile) and upload.filename:
        data = await upload.read(MAX_CSV_BYTES + 1)
        await upload.close()
        if len(data) > MAX_CSV_BYTES:
            raise ValidationError(f"the CSV file is larger than {MAX_CSV_BYTES // 2**20} MB",
                                  field="csv_file")
        return form, decode_csv(data, str(form.get("encoding") or "auto"), field="csv_file")
    return form, str(form.get("csv_text") or "")


def _problems(error: DomainError, request: Request | None = None) -> list[str]:
    """Each problem of a refused file in one line; those the reader names (``problem``)
    in the page's language, with their line and column."""
    t = translator(request_language(request)) if request is not None else None
    return [problem_text(item, t) if t is not None and item.get("line")
            else describe_problem(item) for item in error.errors or ()]


# The kinds of problem ``tables_in`` names, each a sentence in messages.po.
CSV_PROBLEMS = (
    N_("csv_problem_thousands_separator_split"), N_("csv_problem_too_many_cells"),
    N_("csv_problem_too_few_cells"), N_("csv_problem_full_width"),
    N_("csv_problem_thousands_separator"), N_("csv_problem_separator_in_number"),
    N_("csv_problem_blank"), N_("csv_problem_negative"), N_("csv_problem_duplicate_code"),
    N_("csv_problem_code_required"), N_("csv_problem_unknown_code"), N_("csv_problem_other"),
)


def problem_text(item: dict[str, object], t: Callable[[str], str]) -> str:
    """e.g. 3行目 3列目 = 'TJ-001,1,400': 1,400 を … (``csv_problem_<kind>`` in messages.po)."""
    values = defaultdict(str, {k: str(v) for k, v in item.items()})
    column = str(item.get("column", ""))
    values["where"] = t("csv_where").format_map(defaultdict(str, {
        "line": str(item.get("line", "")),
        "column": t("csv_column_number").format(column.removeprefix("column "))
        if column.startswith("column ") else column}))
    kind = item.get("problem") or "other"
    return t(f"csv_problem_{kind}").format_map(values)


@router.post("/projects/{number}/activities")
async def add_activities(request: Request, number: str) -> Response:
    """Add activities from a CSV file or pasted CSV: code,address,operation_start,
    expected_tco2_per_year,household. The whole file is one command: every line is added,
    or none and every problem is listed next to the form; the form's idempotency key makes
    a resent form add nothing twice."""
    _actor(request)
    csv_text = ""
    try:
        form, csv_text = await _csv_form(request)
        command = add_activities_command(number, csv_text)
        _send(request, command, str(form.get("csrf") or ""), str(form.get("idem") or ""))
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request), csv_text=csv_text,
                             activity_problems=_problems(error, request))
    request.session["flash"] = f"+{len(command.activities)}"
    return _redirect(f"/projects/{number}")


@router.post("/projects/{number}/activities/{code}/remove")
def remove_activity(request: Request, number: str, code: str, csrf: str = Form(""),
                    idem: str = Form("")) -> Response:
    try:
        _send(request, c.RemoveActivity(project=number, code=code, reason="web"), csrf, idem)
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request))
    request.session["flash"] = f"-{code}"
    return _redirect(f"/projects/{number}")


@router.post("/projects/{number}/verifier")
def assign_verifier(request: Request, number: str, verifier: str = Form(""),
                    csrf: str = Form(""), idem: str = Form("")) -> Response:
    try:
        _send(request, c.AssignVerifier(project=number, verifier=verifier), csrf, idem)
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request))
    return _redirect(f"/projects/{number}")


@router.post("/projects/{number}/action")
def project_action(request: Request, number: str, action: str = Form(""),
                   comment: str = Form(""), csrf: str = Form(""), idem: str = Form("")
                   ) -> Response:
    try:
        data = _send(request, c.ProjectTransition(project=number, action=action,
                                                  comment=comment), csrf, idem)
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request))
    request.session["flash"] = f"{data['from_state']} → {data['to_state']}"
    return _redirect(f"/projects/{number}")


@router.post("/projects/{number}/periods")
def open_period(request: Request, number: str, period_start: str = Form(""),
                period_end: str = Form(""), csrf: str = Form(""), idem: str = Form("")
                ) -> Response:
    try:
        _send(request, c.OpenMonitoringPeriod(project=number, period_start=period_start,
                                              period_end=period_end), csrf, idem)
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request))
    return _redirect(f"/projects/{number}")


@router.post("/projects/{number}/periods/{period}/data")
async def period_data(request: Request, number: str, period: PeriodNumber) -> Response:
    """Monitored values as CSV (pasted or a file): a ``code`` column and one column per
    methodology input. All lines are checked and every problem listed, with its line."""
    actor = _actor(request)
    csv_text = ""
    try:
        with _registry(request).uow(write=False) as uow:
            known = project_queries.activity_codes(uow, actor, number)
        form, csv_text = await _csv_form(request)
        _check_csrf(request, str(form.get("csrf") or ""))

        def command(data: dict[str, dict[str, object]]) -> c.SubmitMonitoringData:
            return c.SubmitMonitoringData(project=number, period=period, activities=data)

        submit_monitoring_csv(
            csv_text, known,
            run=lambda data: _send(request, command(data), str(form.get("csrf") or ""),
                                   str(form.get("idem") or "")),
            check=lambda data: _registry(request).bus.preview(command(data), actor=actor))
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request), csv_text=csv_text,
                             data_problems=_problems(error, request), data_period=period)
    return _redirect(f"/projects/{number}#period-{period}")


@router.post("/projects/{number}/periods/{period}/action")
def period_action(request: Request, number: str, period: PeriodNumber, action: str = Form(""),
                  comment: str = Form(""), acknowledge_missing: str = Form(""),
                  csrf: str = Form(""), idem: str = Form("")) -> Response:
    try:
        data = _send(request, c.PeriodTransition(
            project=number, period=period, action=action, comment=comment,
            acknowledge_missing=acknowledge_missing == "yes"), csrf, idem)
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request), action_error=error.field,
                             action_period=period, action_comment=comment)
    request.session["flash"] = f"#{period}: {data['from_state']} → {data['to_state']}"
    return _redirect(f"/projects/{number}#period-{period}")


@router.post("/projects/{number}/evidence")
async def upload_evidence(request: Request, number: str) -> Response:
    """Login, then the right to attach evidence here, then the form: nothing of the body is
    read for a caller who may not upload. The file is kept only once it is recorded."""
    actor = _actor(request)
    registry = _registry(request)
    incoming = None
    try:
        await authorise_evidence(request, registry, actor, number)
        form = await read_form(request)
        _check_csrf(request, str(form.get("csrf") or ""))
        incoming = await receive_file(registry, form)
        result = _send(request, attach_command(number, incoming), str(form.get("csrf") or ""),
                       str(form.get("idem") or ""))
        incoming.keep()
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request))
    finally:
        if incoming is not None:
            incoming.discard()
    request.session["flash"] = f"{result['filename']} (SHA-256 {incoming.sha256[:12]}…)"
    return _redirect(f"/projects/{number}#evidence")


@router.get("/methodologies")
def methodologies(request: Request) -> Response:
    """The methodology catalogue (public, no login)."""
    return render(request, "methodologies.html", methodologies=[m.describe() for m in CATALOGUE],
                  grid=grid_factor_table())


@router.get("/methodologies/{methodology_id}")
def methodology_page(request: Request, methodology_id: str) -> Response:
    try:
        described = find_methodology(methodology_id).describe()
    except DomainError as error:
        return render(request, "error.html", status_code=classify(error)[0],
                      status=classify(error)[0], message=_error_text(error, request))
    return render(request, "methodology.html", m=described)


@router.get("/estimate")
def estimate_form(request: Request, kind: str = "PV") -> Response:
    kind = kind.upper() if kind.upper() in ESTIMATE_INPUTS else "PV"
    return render(request, "estimate.html", kind=kind, specs=ESTIMATE_INPUTS[kind] + COMMON,
                  kinds=list(ESTIMATE_INPUTS), values={}, result=None)


@router.post("/estimate")
async def estimate_result(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    kind = form.pop("kind", "PV").upper()
    kind = kind if kind in ESTIMATE_INPUTS else "PV"
    values = {k: v for k, v in form.items() if v.strip()}
    specs = ESTIMATE_INPUTS[kind] + COMMON
    try:
        result = estimate(kind, values).as_dict()
    except DomainError as error:
        return render(request, "estimate.html", status_code=classify(error)[0], kind=kind,
                      specs=specs, kinds=list(ESTIMATE_INPUTS), values=values, result=None,
                      error=_error_text(error, request))
    annual, years = Decimal(str(result["annual_tco2"])), int(str(result["crediting_years"]))
    chart = [{"year": year, "credits": int(annual * year)} for year in range(1, years + 1)]
    return render(request, "estimate.html", kind=kind, specs=specs, kinds=list(ESTIMATE_INPUTS),
                  values=values, result=result, chart=chart, yen=lambda v: f"¥{Decimal(v):,}",
                  result_json=json.dumps(result, ensure_ascii=False, indent=1))

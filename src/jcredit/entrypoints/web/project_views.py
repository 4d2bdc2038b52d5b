"""Web pages for projects: the list and work queue, the project page with its timeline,
the new-project form, and the public STEP0 estimate calculator.

Each form posts a command to the same bus as the API and the CLI; an error is shown on
the page it came from, with nothing written.
"""

from __future__ import annotations

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
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.methodologies import CATALOGUE
from jcredit.domain.methodologies import methodology as find_methodology
from jcredit.domain.projects.eligibility import PREFECTURES
from jcredit.domain.projects.estimate import COMMON
from jcredit.domain.projects.estimate import INPUTS as ESTIMATE_INPUTS
from jcredit.domain.projects.estimate import estimate
from jcredit.entrypoints.dmrv_tables import HEADER as DEVICE_CSV_HEADER
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.params import PeriodNumber
from jcredit.entrypoints.tables_in import add_activities_command
from jcredit.entrypoints.tables_in import decode_csv
from jcredit.entrypoints.tables_in import submit_monitoring_csv
from jcredit.entrypoints.uploads import attach_command
from jcredit.entrypoints.uploads import authorise_evidence
from jcredit.entrypoints.uploads import read_form
from jcredit.entrypoints.uploads import receive_file
from jcredit.entrypoints.web.figures import estimate_context
from jcredit.entrypoints.web.figures import grid_years
from jcredit.entrypoints.web.figures import unit_for_people
from jcredit.entrypoints.web.figures import yen
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.i18n import labeller
from jcredit.entrypoints.web.i18n import translator
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _check_csrf
from jcredit.entrypoints.web.views import _redirect
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import error_page
from jcredit.entrypoints.web.views import flash
from jcredit.entrypoints.web.views import render
from jcredit.entrypoints.web.views import request_language
from jcredit.entrypoints.web.views import state_of
from jcredit.service_layer import commands as c
from jcredit.service_layer import dmrv_queries
from jcredit.service_layer import project_queries
from jcredit.service_layer import queries
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


@router.get("/queue")
def work(request: Request) -> Response:
    """What waits on the reader: the project tasks of its role and, for the secretariat,
    the invalidation applications to execute. The verifier's and the secretariat's home."""
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        tasks = project_queries.work_queue(uow, actor)
        pending = (queries.applications(uow, actor, status=ApplicationStatus.PENDING)
                   if actor.role is Role.ADMIN else [])
    return render(request, "queue.html", queue=tasks, pending=pending)


@router.get("/agenda")
def agenda(request: Request) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = project_queries.agenda(uow, actor)
    return render(request, "agenda.html", agenda=data)


def _refused(request: Request, number: str, form: str, values: dict[str, Any],
             error: DomainError, fields: tuple[str, ...] = ()) -> Response:
    """The project page again: the form's values kept, the error at its field."""
    return _project_page(request, number, status_code=classify(error)[0],
                         form_state=state_of(request, form, values, error, fields=fields))


def _project_page(request: Request, number: str, status_code: int = 200, **extra: Any
                  ) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        today = _registry(request).clock().astimezone(JST).date()
        project = project_queries.project_detail(uow, actor, number, today=today)
        organisations = uow.organisations.list()
        verifiers = [o for o in organisations if uow.projects.scopes(o.id)]
        devices = dmrv_queries.devices_if_readable(uow, actor, number)  # the 機器 section
    is_owner = actor.role in (Role.IMPLEMENTER, Role.OPERATOR, Role.HOLDER, Role.ADMIN)
    return render(request, "project.html", status_code=status_code, project=project,
                  verifier_options=[(o.corporate_number, o.name) for o in verifiers],
                  is_owner=is_owner, role=actor.role.value, devices=devices,
                  device_csv_header=DEVICE_CSV_HEADER, **extra)


def _new_project_page(request: Request, status_code: int = 200, **extra: Any) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        accounts = uow.accounts.list(organisation_id=actor.organisation_id or -1)
    lang = request_language(request)
    t = translator(lang)
    return render(request, "project_new.html", status_code=status_code,
                  methodology_options=[(m.id, f"{m.id} v{m.version} "
                                        f"{m.name_en if lang == 'en' else m.name_ja}")
                                       for m in CATALOGUE],
                  account_options=[(a.number, f"{a.number} {a.name}") for a in accounts],
                  prefecture_options=[("", t("choose_prefecture")), *PREFECTURES], **extra)


@router.get("/projects/new")
def new_project_form(request: Request) -> Response:
    return _new_project_page(request)


PROJECT_FIELDS = ("name", "project_type", "methodology", "holder_account", "prefecture",
                  "address", "start_date", "monitoring_start", "crediting_years",
                  "investment_yen", "subsidy_yen", "annual_income_yen",
                  "annual_running_cost_yen", "exemption", "keidanren", "summary")
CSV_FIELDS = ("csv_text", "csv_file", "encoding")


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
        keidanren=form.get("keidanren") in ("on", "yes"), additionality=additionality,
        plan={"summary": form.get("summary", "")})
    try:
        data = _send(request, command, form.get("csrf", ""), form.get("idem", ""))
    except DomainError as error:
        return _new_project_page(request, classify(error)[0], form_state=state_of(
            request, "project", form, error, fields=PROJECT_FIELDS))
    flash(request, N_("project_created"), number=data["number"], name=data["name"])
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
        return _refused(request, number, "activities", {"csv_text": csv_text}, error,
                        CSV_FIELDS)
    flash(request, N_("activities_added"), count=len(command.activities))
    return _redirect(f"/projects/{number}")


@router.post("/projects/{number}/activities/{code}/remove")
def remove_activity(request: Request, number: str, code: str, csrf: str = Form(""),
                    idem: str = Form("")) -> Response:
    try:
        _send(request, c.RemoveActivity(project=number, code=code, reason="web"), csrf, idem)
    except DomainError as error:
        return _refused(request, number, "activity-list", {}, error)
    flash(request, N_("activity_removed"), code=code)
    return _redirect(f"/projects/{number}")


@router.post("/projects/{number}/verifier")
def assign_verifier(request: Request, number: str, verifier: str = Form(""),
                    csrf: str = Form(""), idem: str = Form("")) -> Response:
    try:
        _send(request, c.AssignVerifier(project=number, verifier=verifier), csrf, idem)
    except DomainError as error:
        return _refused(request, number, "verifier", {"verifier": verifier}, error,
                        ("verifier",))
    return _redirect(f"/projects/{number}")


@router.post("/projects/{number}/action")
def project_action(request: Request, number: str, action: str = Form(""),
                   comment: str = Form(""), csrf: str = Form(""), idem: str = Form("")
                   ) -> Response:
    try:
        data = _send(request, c.ProjectTransition(project=number, action=action,
                                                  comment=comment), csrf, idem)
    except DomainError as error:
        return _refused(request, number, "project-action",
                        {"action": action, "comment": comment}, error, ("action", "comment"))
    flash(request, N_("project_moved"), labels={"from_state": ("project_state", data["from_state"]),
                                                "to_state": ("project_state", data["to_state"])})
    return _redirect(f"/projects/{number}")


@router.post("/projects/{number}/periods")
def open_period(request: Request, number: str, period_start: str = Form(""),
                period_end: str = Form(""), csrf: str = Form(""), idem: str = Form("")
                ) -> Response:
    try:
        _send(request, c.OpenMonitoringPeriod(project=number, period_start=period_start,
                                              period_end=period_end), csrf, idem)
    except DomainError as error:
        return _refused(request, number, "open-period",
                        {"period_start": period_start, "period_end": period_end}, error,
                        ("period_start", "period_end"))
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
        return _refused(request, number, f"period-{period}-data", {"csv_text": csv_text},
                        error, CSV_FIELDS)
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
        return _refused(request, number, f"period-{period}-action",
                        {"action": action, "comment": comment,
                         "acknowledge_missing": acknowledge_missing},
                        error, ("action", "comment", "acknowledge_missing"))
    flash(request, N_("period_moved"), period=period,
          labels={"from_state": ("period_state", data["from_state"]),
                  "to_state": ("period_state", data["to_state"])})
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
        return _refused(request, number, "evidence", {}, error, ("file",))
    finally:
        if incoming is not None:
            incoming.discard()
    flash(request, N_("evidence_attached"), filename=result["filename"],
          sha256=incoming.sha256[:12])
    return _redirect(f"/projects/{number}#evidence")


@router.get("/methodologies")
def methodologies(request: Request) -> Response:
    """The methodology catalogue (public, no login)."""
    today = _registry(request).clock().astimezone(JST).date()
    return render(request, "methodologies.html", methodologies=[m.describe() for m in CATALOGUE],
                  grid=grid_years(fiscal_year_of(today)))


@router.get("/methodologies/{methodology_id}")
def methodology_page(request: Request, methodology_id: str) -> Response:
    try:
        described = find_methodology(methodology_id).describe()
    except DomainError as error:
        return error_page(request, classify(error)[0], error)
    return render(request, "methodology.html", m=described)


@router.get("/estimate")
def estimate_form(request: Request, kind: str = "PV") -> Response:
    kind = kind.upper() if kind.upper() in ESTIMATE_INPUTS else "PV"
    return render(request, "estimate.html", kind=kind, specs=ESTIMATE_INPUTS[kind] + COMMON,
                  kinds=list(ESTIMATE_INPUTS), values={}, result=None,
                  **_estimate_helpers(request_language(request)))


COMMON_DEFAULTS = {spec.name: spec.default for spec in COMMON}


def _estimate_helpers(lang: str) -> dict[str, Any]:
    return {"unit": lambda u: unit_for_people(u, lang), "yen": lambda v: yen(v, lang)}


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
                      form_state=state_of(request, "estimate", values, error,
                                          fields=[spec.name for spec in specs]),
                      **_estimate_helpers(request_language(request)))
    lang = request_language(request)
    fiscal_year = int(Decimal(values.get("fiscal_year") or str(COMMON_DEFAULTS["fiscal_year"])))
    extra = estimate_context(result, fiscal_year, labeller(lang), translator(lang), lang)
    return render(request, "estimate.html", kind=kind, specs=specs, kinds=list(ESTIMATE_INPUTS),
                  values=values, result=result, **_estimate_helpers(lang), **extra)

"""Web pages for projects: the list and work queue, the project page with its timeline,
the new-project form, and the public STEP0 estimate calculator.

Each form posts a command to the same bus as the API and the CLI; an error is shown on
the page it came from, with nothing written.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi import File
from fastapi import Form
from fastapi import Request
from fastapi import UploadFile
from fastapi.responses import Response

from jcredit.adapters.evidence_store import MAX_EVIDENCE_BYTES
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
from jcredit.entrypoints.params import PeriodNumber
from jcredit.entrypoints.tables_in import activity_commands
from jcredit.entrypoints.tables_in import monitoring_values
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _check_csrf
from jcredit.entrypoints.web.views import _error_text
from jcredit.entrypoints.web.views import _redirect
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import render
from jcredit.service_layer import commands as c
from jcredit.service_layer import project_queries
from jcredit.service_layer.actors import Role
from jcredit.service_layer.handlers.invalidations import JST

router = APIRouter(include_in_schema=False)


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


@router.post("/projects/{number}/activities")
def add_activities(request: Request, number: str, csv_text: str = Form(""),
                   csrf: str = Form(""), idem: str = Form("")) -> Response:
    """Add activities from pasted CSV: code,address,operation_start,expected_tco2_per_year,
    household. The rows go in one by one, each with its own idempotency key, so a resent
    form adds nothing twice."""
    try:
        rows = activity_commands(number, csv_text)
        for command in rows:
            _send(request, command, csrf, f"{idem}:{command.code}")
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request), csv_text=csv_text)
    request.session["flash"] = f"+{len(rows)}"
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
def period_data(request: Request, number: str, period: PeriodNumber, csv_text: str = Form(""),
                csrf: str = Form(""), idem: str = Form("")) -> Response:
    """Monitored values as CSV: a ``code`` column and one column per methodology input."""
    try:
        data = monitoring_values(csv_text)
        _send(request, c.SubmitMonitoringData(project=number, period=period, activities=data),
              csrf, idem)
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request), csv_text=csv_text)
    return _redirect(f"/projects/{number}#period-{period}")


@router.post("/projects/{number}/periods/{period}/action")
def period_action(request: Request, number: str, period: PeriodNumber, action: str = Form(""),
                  comment: str = Form(""), csrf: str = Form(""), idem: str = Form("")
                  ) -> Response:
    try:
        data = _send(request, c.PeriodTransition(project=number, period=period, action=action,
                                                 comment=comment), csrf, idem)
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request))
    request.session["flash"] = f"#{period}: {data['from_state']} → {data['to_state']}"
    return _redirect(f"/projects/{number}#period-{period}")


@router.post("/projects/{number}/evidence")
async def upload_evidence(request: Request, number: str, file: UploadFile = File(...),
                          csrf: str = Form(""), idem: str = Form("")) -> Response:
    try:
        data = await file.read(MAX_EVIDENCE_BYTES + 1)
        if len(data) > MAX_EVIDENCE_BYTES:
            raise ValidationError(f"the file is larger than {MAX_EVIDENCE_BYTES // 2**20} MB",
                                  field="file")
        sha256 = _registry(request).evidence.put(data)
        result = _send(request, c.AttachEvidence(
            project=number, filename=file.filename or "evidence",
            media_type=file.content_type or "application/octet-stream", sha256=sha256,
            size=len(data)), csrf, idem)
    except DomainError as error:
        return _project_page(request, number, status_code=classify(error)[0],
                             error=_error_text(error, request))
    request.session["flash"] = f"{result['filename']} (SHA-256 {sha256[:12]}…)"
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

"""Methodologies, the STEP0 estimate and the project lifecycle over HTTP.

Request bodies are read with exact decimals: a JSON number such as ``0.540`` arrives as
``Decimal("0.540")``, never as a float, and is checked against the methodology's inputs.
Every write needs an ``Idempotency-Key``; the role and the caller's part in the project
are checked by the handlers. Routes read the body on the event loop and run the command in
the thread pool, like the other write routes.
"""

from __future__ import annotations

import json
from typing import Annotated
from typing import Any

from fastapi import APIRouter
from fastapi import Path
from fastapi import Request
from fastapi import Response
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticValidationError

from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies import CATALOGUE
from jcredit.domain.methodologies import methodology
from jcredit.domain.methodologies.base import certified_amounts
from jcredit.domain.parsing import parse_json
from jcredit.domain.projects.estimate import KINDS
from jcredit.domain.projects.estimate import estimate
from jcredit.entrypoints.api.deps import ActorDep
from jcredit.entrypoints.api.deps import IdempotencyKeyDep
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.api.routes.commands import send_command
from jcredit.entrypoints.downloads import file_response
from jcredit.entrypoints.downloads import pdf_response
from jcredit.entrypoints.downloads import results_csv
from jcredit.entrypoints.params import ActivityCode
from jcredit.entrypoints.params import OptionalPeriod
from jcredit.entrypoints.params import OptionalVersion
from jcredit.entrypoints.params import PeriodNumber
from jcredit.entrypoints.params import ProjectNumber
from jcredit.entrypoints.params import Sha256
from jcredit.entrypoints.tables_in import add_activities_command
from jcredit.entrypoints.tables_in import decode_csv
from jcredit.entrypoints.uploads import attach_command
from jcredit.entrypoints.uploads import authorise_evidence
from jcredit.entrypoints.uploads import read_form
from jcredit.entrypoints.uploads import receive_file
from jcredit.entrypoints.web.document_views import document_pdf_bytes
from jcredit.entrypoints.web.document_views import document_with_activities
from jcredit.service_layer import commands as c
from jcredit.service_layer import project_queries
from jcredit.service_layer.handlers.invalidations import JST

router = APIRouter()

MethodologyId = Annotated[str, Path(json_schema_extra={
    "enum": sorted({m.id for m in CATALOGUE})}, description="e.g. EN-R-002")]
EstimateKind = Annotated[str, Path(json_schema_extra={"enum": list(KINDS)})]
DOCUMENT_KINDS = ("PLAN", "VALIDATION_REPORT", "MONITORING_REPORT", "VERIFICATION_REPORT")
DocumentKind = Annotated[str, Path(json_schema_extra={"enum": list(DOCUMENT_KINDS)})]


async def exact_json(request: Request) -> Any:
    """The body read with exact decimals, size-capped, UTF-8 and depth checked (400/413)."""
    return parse_json(await request.body())


def parse_body(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise ValidationError(f"{field}: {first['msg']}", field=field) from None


async def send(request: Request, registry: Any, command: c.Command, actor: Any, key: str,
               status_code: int = 200) -> Response:
    """Project commands run in the thread pool: some compute over a period's readings."""
    return await send_command(request, registry, command, actor, key, status_code, short=False)


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": model.model_json_schema()}}}}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectCreate(Strict):
    name: str
    project_type: str
    methodology: str
    holder_account: str
    prefecture: str
    address: str
    start_date: str
    monitoring_start: str
    methodology_version: str | None = None
    implementer: str | None = None
    crediting_years: Any = None
    keidanren: bool = False
    additionality: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None


class ActivityCreate(Strict):
    code: str
    address: str
    operation_start: str
    expected_tco2_per_year: Any
    household: bool = False
    inputs: dict[str, Any] | None = None


class VerifierAssign(Strict):
    verifier: str


class Action(Strict):
    action: str
    comment: str = ""
    report: dict[str, Any] | None = None


class PeriodAction(Action):
    acknowledge_missing: bool = False


class PeriodOpen(Strict):
    period_start: str
    period_end: str


class PeriodData(Strict):
    activities: dict[str, dict[str, Any]]


class Accreditation(Strict):
    organisation: str
    scopes: list[str]


# --- methodologies and the estimate (public) ---------------------------------------------


@router.get("/methodologies", tags=["methodologies"])
def list_methodologies() -> list[dict[str, Any]]:
    """The implemented methodologies (public)."""
    return [{"id": m.id, "version": m.version, "name_ja": m.name_ja, "name_en": m.name_en,
             "category": m.category.value, "id_confidence": m.id_confidence}
            for m in CATALOGUE]


@router.get("/methodologies/{methodology_id}", tags=["methodologies"])
def describe_methodology(methodology_id: MethodologyId, version: str | None = None
                         ) -> dict[str, Any]:
    """Inputs with units, equations, applicability conditions and sources (public)."""
    return methodology(methodology_id, version).describe()


@router.post("/methodologies/{methodology_id}/calculate", tags=["methodologies"],
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                 "type": "object", "description": "the inputs of one activity, or "
                 "{\"activities\": [...]}"}}}}})
async def calculate(methodology_id: MethodologyId, request: Request, version: str | None = None
                    ) -> Response:
    """Run a methodology: full-precision emissions and whole credits after aggregation."""
    m = methodology(methodology_id, version)
    document = await exact_json(request)
    items = document["activities"] if isinstance(document, dict) and \
        "activities" in document else [document]
    if not isinstance(items, list):
        raise ValidationError("activities must be a list", field="activities")
    results = [m.calculate(item) for item in items]
    amounts = certified_amounts(results)
    body = {"methodology": m.key, "activities": [r.as_dict() for r in results],
            "certified": [a.as_dict() for a in amounts],
            "credits": sum(a.credits for a in amounts)}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


@router.post("/estimate/{kind}", tags=["estimate"],
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                 "type": "object"}}}}})
async def estimate_route(kind: EstimateKind, request: Request) -> dict[str, Any]:
    """STEP0 創出量の概算 (public, no login)."""
    return estimate(kind, await exact_json(request)).as_dict()


# --- projects ---------------------------------------------------------------------------------


@router.get("/projects", tags=["projects"])
def list_projects(registry: RegistryDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Projects the caller may see."""
    with registry.uow(write=False) as uow:
        return project_queries.projects_for(uow, actor)


@router.get("/projects/queue", tags=["projects"])
def queue(registry: RegistryDep, actor: ActorDep) -> list[dict[str, Any]]:
    """What waits on the caller: validations, verifications, decisions, issuance."""
    with registry.uow(write=False) as uow:
        return project_queries.work_queue(uow, actor)


@router.get("/projects/agenda", tags=["projects"])
def committee_agenda(registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """The certification committee's agenda and the decisions taken."""
    with registry.uow(write=False) as uow:
        return project_queries.agenda(uow, actor)


@router.get("/projects/{number}", tags=["projects"])
def project_detail(number: ProjectNumber, registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """The project with activities, periods, timeline, documents and, before registration,
    the eligibility findings as they stand today."""
    today = registry.clock().astimezone(JST).date()
    with registry.uow(write=False) as uow:
        return project_queries.project_detail(uow, actor, number, today=today)


@router.get("/projects/{number}/periods/{period}/results.csv", tags=["projects"],
            response_class=Response)
def period_results_csv(number: ProjectNumber, period: PeriodNumber, registry: RegistryDep,
                       actor: ActorDep) -> Response:
    """The period's results per activity and vintage, as CSV (UTF-8 with BOM for Excel)."""
    with registry.uow(write=False) as uow:
        rows = project_queries.period_results_rows(uow, actor, number, period)
    return results_csv(rows, number, period)


@router.get("/projects/{number}/documents/{kind}.pdf", tags=["projects"],
            response_class=Response)
def project_document_pdf(number: ProjectNumber, kind: DocumentKind, registry: RegistryDep,
                         actor: ActorDep,
                         version: OptionalVersion = None, period: OptionalPeriod = None
                         ) -> Response:
    """The document rendered to PDF in Japanese (the same PDF as the web page's), with its
    version and SHA-256."""
    with registry.uow(write=False) as uow:
        data, activities = document_with_activities(uow, actor, number, kind, version, period)
    name = f"{data['project']}-{data['kind']}-v{data['version']}.pdf"
    return pdf_response(document_pdf_bytes(data, activities, "ja"), name, inline=False)


@router.get("/projects/{number}/documents/{kind}", tags=["projects"])
def project_document(number: ProjectNumber, kind: DocumentKind, registry: RegistryDep,
                     actor: ActorDep,
                     version: OptionalVersion = None, period: OptionalPeriod = None
                     ) -> dict[str, Any]:
    """A document version (latest by default) with its SHA-256."""
    with registry.uow(write=False) as uow:
        return project_queries.document(uow, actor, number, kind, version, period)


@router.post("/projects/{number}/evidence", status_code=201, tags=["projects"],
             openapi_extra={"requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": {
                     "type": "object", "required": ["file"], "properties": {"file": {
                         "type": "string", "format": "binary", "description":
                         "PDF, PNG, JPEG, XLSX, DOCX, CSV or plain text, at most 20 MB"}}}}}}})
async def upload_evidence(number: ProjectNumber, request: Request, registry: RegistryDep,
                          actor: ActorDep, key: IdempotencyKeyDep) -> Response:
    """Attach an evidence file; it is stored and named by the SHA-256 of its bytes.

    The caller's right to attach evidence is checked before the body is read; the file is
    kept only if the command recording it commits."""
    await authorise_evidence(request, registry, actor, number)
    incoming = await receive_file(registry, await read_form(request))
    try:
        response = await send(request, registry, attach_command(number, incoming), actor, key,
                              201)
        incoming.keep()
    finally:
        incoming.discard()
    return response


@router.get("/projects/{number}/evidence/{sha256}", tags=["projects"],
            response_class=Response)
def download_evidence(number: ProjectNumber, sha256: Sha256, registry: RegistryDep, actor: ActorDep
                      ) -> Response:
    """The file, re-hashed on the way out (a changed file is refused)."""
    with registry.uow(write=False) as uow:
        meta = project_queries.evidence_file(uow, actor, number, sha256)
    return file_response(registry.evidence.get(sha256), meta["media_type"], meta["filename"],
                         headers={"X-Content-SHA256": sha256})


@router.post("/verifiers", status_code=201, tags=["projects"],
             openapi_extra=_schema(Accreditation))
async def accredit(request: Request, registry: RegistryDep, actor: ActorDep,
                   key: IdempotencyKeyDep) -> Response:
    body = parse_body(Accreditation, await exact_json(request))
    assert isinstance(body, Accreditation)
    return await send(request, registry, c.AccreditVerifier(organisation=body.organisation,
                                                       scopes=tuple(body.scopes)),
                 actor, key, 201)


@router.post("/projects", status_code=201, tags=["projects"],
             openapi_extra=_schema(ProjectCreate))
async def create_project(request: Request, registry: RegistryDep, actor: ActorDep,
                         key: IdempotencyKeyDep) -> Response:
    body = parse_body(ProjectCreate, await exact_json(request))
    return await send(request, registry, c.CreateProject(**body.model_dump()), actor, key, 201)


@router.post("/projects/{number}/activities", status_code=201, tags=["projects"],
             openapi_extra=_schema(ActivityCreate))
async def add_activity(number: ProjectNumber, request: Request, registry: RegistryDep,
                       actor: ActorDep, key: IdempotencyKeyDep) -> Response:
    body = parse_body(ActivityCreate, await exact_json(request))
    return await send(request, registry, c.AddActivity(project=number, **body.model_dump()), actor,
                 key, 201)


@router.post("/projects/{number}/activities/import", status_code=201, tags=["projects"],
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string", "description":
                              "code,address,operation_start,expected_tco2_per_year,household"
                              " and one column per methodology input; UTF-8 (with or "
                              "without BOM) or Shift_JIS (cp932)"}},
                 "application/json": {"schema": {"type": "object", "properties": {
                     "activities": {"type": "array", "items":
                                    ActivityCreate.model_json_schema()}}}}}}})
async def import_activities(number: str, request: Request, registry: RegistryDep,
                            actor: ActorDep, key: IdempotencyKeyDep,
                            encoding: str = "auto") -> Response:
    """Add many activities in one transaction, all or none: a CSV file (``text/csv``) or
    ``{"activities": [...]}``. Every problem is reported in the problem's ``errors`` list
    (line, column, value, what is valid) and nothing is added."""
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        document = await exact_json(request)
        items = document.get("activities") if isinstance(document, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValidationError("activities must be a list of objects", field="activities")
        command = c.AddActivities(project=number, activities=tuple(items))
    else:
        command = add_activities_command(number, decode_csv(body, encoding))
    return await send(request, registry, command, actor, key, 201)


@router.post("/projects/{number}/activities/{code}/remove", tags=["projects"])
async def remove_activity(number: ProjectNumber, code: ActivityCode, request: Request,
                          registry: RegistryDep,
                          actor: ActorDep, key: IdempotencyKeyDep,
                          reason: str = "") -> Response:
    """Take an activity out of a plan that is not registered yet."""
    command = c.RemoveActivity(project=number, code=code, reason=reason)
    return await send(request, registry, command, actor, key)


@router.post("/projects/{number}/verifier", tags=["projects"],
             openapi_extra=_schema(VerifierAssign))
async def assign_verifier(number: ProjectNumber, request: Request, registry: RegistryDep,
                          actor: ActorDep, key: IdempotencyKeyDep) -> Response:
    body = parse_body(VerifierAssign, await exact_json(request))
    assert isinstance(body, VerifierAssign)
    return await send(request, registry, c.AssignVerifier(project=number, verifier=body.verifier),
                 actor, key)


@router.post("/projects/{number}/actions", tags=["projects"], openapi_extra=_schema(Action))
async def project_action(number: ProjectNumber, request: Request, registry: RegistryDep,
                         actor: ActorDep, key: IdempotencyKeyDep) -> Response:
    body = parse_body(Action, await exact_json(request))
    return await send(request, registry, c.ProjectTransition(project=number, **body.model_dump()),
                 actor, key)


@router.post("/projects/{number}/periods", status_code=201, tags=["projects"],
             openapi_extra=_schema(PeriodOpen))
async def open_period(number: ProjectNumber, request: Request, registry: RegistryDep,
                      actor: ActorDep,
                      key: IdempotencyKeyDep) -> Response:
    body = parse_body(PeriodOpen, await exact_json(request))
    command = c.OpenMonitoringPeriod(project=number, **body.model_dump())
    return await send(request, registry, command, actor, key, 201)


@router.post("/projects/{number}/periods/{period}/data", tags=["projects"],
             openapi_extra=_schema(PeriodData))
async def period_data(number: ProjectNumber, period: PeriodNumber, request: Request,
                      registry: RegistryDep,
                      actor: ActorDep, key: IdempotencyKeyDep) -> Response:
    body = parse_body(PeriodData, await exact_json(request))
    assert isinstance(body, PeriodData)
    return await send(request, registry, c.SubmitMonitoringData(
        project=number, period=period, activities=body.activities), actor, key)


@router.post("/projects/{number}/periods/{period}/actions", tags=["projects"],
             openapi_extra=_schema(PeriodAction))
async def period_action(number: ProjectNumber, period: PeriodNumber, request: Request,
                        registry: RegistryDep,
                        actor: ActorDep, key: IdempotencyKeyDep) -> Response:
    body = parse_body(PeriodAction, await exact_json(request))
    return await send(request, registry, c.PeriodTransition(project=number, period=period,
                                                       **body.model_dump()), actor, key)

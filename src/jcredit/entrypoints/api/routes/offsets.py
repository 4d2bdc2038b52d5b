"""Offsets (docs/offsets.md): public calculators and certificate verification (no login),
saved calculations, offsets in one step, certificates, and the reporting table."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi import Path
from fastapi import Query
from fastapi import Request
from fastapi import Response
from pydantic import Field
from pydantic import StrictBool
from pydantic import StrictInt

from jcredit.adapters.pdf.certificates import render_certificate_pdf
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.credits import Category
from jcredit.domain.offsets.calculators import CalculatorKind
from jcredit.domain.text import MAX_DB_INT
from jcredit.entrypoints.api import schemas as s
from jcredit.entrypoints.api.deps import ActorDep
from jcredit.entrypoints.api.deps import AdminWrite
from jcredit.entrypoints.api.deps import HolderWrite
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.api.routes.commands import send_command
from jcredit.entrypoints.api.routes.projects import exact_json
from jcredit.entrypoints.downloads import csv_response
from jcredit.entrypoints.downloads import pdf_response
from jcredit.entrypoints.params import AccountNumber
from jcredit.entrypoints.params import ApplicationId
from jcredit.service_layer import commands as c
from jcredit.service_layer import offset_queries

router = APIRouter()

Token = Path(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$",
             description="the unguessable code of a saved calculation or a certificate")
_OBJECT = {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}


def plain(value: Any) -> Any:
    """Exact JSON numbers (Decimal) as text, so the journal keeps them exactly."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def verify_url(request: Request, token: str) -> str:
    """The public verification page of a certificate (what its QR code holds)."""
    return f"{str(request.base_url).rstrip('/')}/verify/{token}"


# --- public: calculators, factors, saved calculations by link, verification ---------------


NO_VERSION: dict[int | str, dict[str, Any]] = {
    404: {"description": "no factor table of that version is published"}}


@router.get("/public/offsets/factors", tags=["offsets (public)"], responses=NO_VERSION)
def factors(registry: RegistryDep, version: int | None = Query(None, ge=1, le=MAX_DB_INT)
            ) -> dict[str, Any]:
    """The calculators' factor table (the latest, or ``version``): every value with its
    unit, source and confidence flag, and the list of published versions."""
    with registry.uow(write=False) as uow:
        return offset_queries.factor_tables(uow, version)


@router.post("/public/offsets/calculate/{kind}", tags=["offsets (public)"],
             openapi_extra=_OBJECT, responses=NO_VERSION)
async def calculate(kind: CalculatorKind, request: Request, registry: RegistryDep,
                    factor_version: int | None = Query(None, ge=1, le=MAX_DB_INT)
                    ) -> Response:
    """Run a calculator (MEETING, ORGANIZATION, PRODUCT, DONATION) without logging in;
    nothing is stored. Numbers exact (JSON numbers are read as decimals)."""
    inputs = await exact_json(request)
    with registry.uow(write=False) as uow:
        body = offset_queries.calculate(uow, kind, inputs, factor_version)
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


@router.get("/public/offsets/calculations/{token}", tags=["offsets (public)"])
def saved_calculation(registry: RegistryDep, token: str = Token) -> dict[str, Any]:
    """A saved calculation by its link, with the factors it used and, when a newer factor
    table exists, the same inputs re-run against it."""
    with registry.uow(write=False) as uow:
        return offset_queries.calculation(uow, token)


@router.get("/public/offsets/calculations/{token}/csv", tags=["offsets (public)"])
def saved_calculation_csv(registry: RegistryDep, token: str = Token) -> Response:
    """A saved calculation's lines as CSV (full precision), with the factors' sources."""
    with registry.uow(write=False) as uow:
        calc = offset_queries.calculation(uow, token)
    return csv_response(calculation_rows(calc), f"offset-calculation-{calc['id']}.csv")


def calculation_rows(calc: dict[str, Any]) -> list[dict[str, Any]]:
    sources = {f["key"]: f for f in calc["factors"]}
    rows = []
    for line in calc["result"]["lines"]:
        factor = sources.get(line["factor_key"], {})
        rows.append(line | {"factor_version": calc["factor_version"],
                            "factor_unit": factor.get("unit", ""),
                            "confidence": factor.get("confidence", ""),
                            "source": factor.get("source", "")})
    rows.append({"category": "TOTAL", "item": "total", "kg_co2": "",
                 "basis": f"{calc['result']['total_t_co2']} t-CO2; credits "
                          f"{calc['result']['credits']}"})
    return rows


@router.get("/public/offsets/certificates/{token}", tags=["offsets (public)"])
def certificate(registry: RegistryDep, token: str = Token) -> dict[str, Any]:
    """Verify an offset certificate: whether it is genuine, the credits that back it, and
    how much of the offset all its certificates claim (never more than invalidated)."""
    with registry.uow(write=False) as uow:
        return offset_queries.certificate(uow, token)


@router.get("/public/offsets/certificates/{token}/pdf", tags=["offsets (public)"],
            response_class=Response)
def certificate_pdf(request: Request, registry: RegistryDep, token: str = Token,
                    lang: str = Query("ja", pattern="^(ja|en)$")) -> Response:
    """The certificate as PDF (Japanese, or ``lang=en``), with its verification QR code."""
    with registry.uow(write=False) as uow:
        cert = offset_queries.certificate(uow, token)
    data = render_certificate_pdf(cert, verify_url(request, token), lang)
    return pdf_response(data, f"offset-certificate-{cert['number']}-{lang}.pdf")


# --- signed in ------------------------------------------------------------------------------


@router.post("/offsets/calculations", status_code=201, tags=["offsets"],
             openapi_extra=_OBJECT)
async def save_calculation(request: Request, caller: HolderWrite) -> Response:
    """Save a calculation: ``{"kind", "title", "inputs": {...}, "factor_version"}``; the
    answer's ``token`` is its shareable link."""
    body = await exact_json(request)
    if not isinstance(body, dict):
        raise ValidationError("the body must be an object", field="body")
    unknown = set(body) - {"kind", "title", "inputs", "factor_version"}
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0],
                              valid=["kind", "title", "inputs", "factor_version"])
    command = c.SaveOffsetCalculation(kind=str(body.get("kind", "")),
                                      inputs=plain(body.get("inputs") or {}),
                                      title=str(body.get("title") or ""),
                                      factor_version=plain(body.get("factor_version")))
    return await send_command(request, caller.registry, command, caller.actor, caller.key, 201)


@router.get("/offsets/calculations", tags=["offsets"])
def calculations(registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """Your organisation's saved calculations."""
    with registry.uow(write=False) as uow:
        data = offset_queries.calculations(uow, actor)
    return {"data": data, "count": len(data)}


class FactorChange(s.Body):
    key: str
    value: StrictInt | str
    confidence: str = "secondary"
    source: str


class FactorPublish(s.Body):
    changes: list[FactorChange] = Field(max_length=200)
    note: str
    confirm_large: StrictBool = Field(False, description="confirm a change to more than "
                                      "tenfold or under a tenth of the published value")


@router.post("/offsets/factors", status_code=201, tags=["offsets"])
async def publish_factors(body: FactorPublish, request: Request, caller: AdminWrite
                          ) -> Response:
    """The secretariat publishes the next factor table version (values with sources)."""
    command = c.PublishOffsetFactors(changes=tuple(ch.model_dump() for ch in body.changes),
                                     note=body.note, confirm_large=body.confirm_large)
    return await send_command(request, caller.registry, command, caller.actor, caller.key, 201)


@router.get("/accounts/{number}/offset-credits", tags=["offsets"])
def offset_credits(number: AccountNumber, registry: RegistryDep, actor: ActorDep,
                   category: Category | None = None,
                   vintage: int | None = Query(None, ge=1900, le=9999),
                   project: str | None = Query(None, max_length=64),
                   prefecture: str | None = Query(None, max_length=10)) -> dict[str, Any]:
    """The account's credits that can serve an offset, filtered by category, vintage,
    project and the prefecture of the project (地産地消)."""
    with registry.uow(write=False) as uow:
        return offset_queries.offset_holdings(uow, actor, number,
                                              category=category.value if category else None,
                                              vintage=vintage, project=project,
                                              prefecture=prefecture)


class OffsetCreate(s.Body):
    from_account: str
    subject: str = Field(description="what is offset, e.g. the meeting's name")
    credit_user_name: str
    fiscal_year: StrictInt | str
    calculation: str | None = Field(None, description="a saved calculation's token")
    offset_purpose: str | None = Field(None, description="PRODUCT_SERVICE, EVENT, "
                                       "ORGANIZATION, CREDIT_ATTACHED, DONATION, OTHER; "
                                       "default: from the calculation")
    quantity: s.Quantity = Field(None, description="default: the calculation's credits")
    serials: str | None = None
    scope: str = ""
    method: str = ""
    period: str = ""
    credit_user_corporate_number: str | None = None
    confirm_excess: StrictBool = Field(False, description="offset more than calculated")
    publish: StrictBool = Field(False, description="consent to the public list of "
                                "invalidations (use, purpose, quantity, credit user, date)")


@router.post("/offsets", status_code=201, tags=["offsets"])
async def apply_offset(body: OffsetCreate, request: Request, caller: HolderWrite) -> Response:
    """Offset in one step: an OFFSET invalidation application (the secretariat executes it
    as any other) recording what it offsets."""
    return await send_command(request, caller.registry, c.ApplyOffset(**body.model_dump()),
                              caller.actor, caller.key, 201)


@router.get("/offsets", tags=["offsets"])
def offsets(registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    with registry.uow(write=False) as uow:
        data = offset_queries.offsets(uow, actor)
    return {"data": data, "count": len(data)}


@router.get("/offsets/{application_id}", tags=["offsets"])
def offset(application_id: ApplicationId, registry: RegistryDep, actor: ActorDep
           ) -> dict[str, Any]:
    with registry.uow(write=False) as uow:
        return offset_queries.offset_detail(uow, actor, application_id)


class CertificateCreate(s.Body):
    holder_name: str = Field("", description="default: the credit user (クレジット利用法人)")
    quantity: s.Quantity = Field(None, description="t-CO2, up to 3 decimals; default: all "
                                 "not yet certified")
    third_party: StrictBool = False


@router.post("/offsets/{application_id}/certificates", status_code=201, tags=["offsets"])
async def issue_certificate(application_id: ApplicationId, body: CertificateCreate,
                            request: Request, caller: HolderWrite) -> Response:
    """Issue an offset certificate (to the offsetting party or a third party); together
    the certificates never claim more than the offset invalidated."""
    command = c.IssueOffsetCertificate(application_id=application_id, **body.model_dump())
    return await send_command(request, caller.registry, command, caller.actor, caller.key, 201)


@router.get("/reports/invalidations", tags=["offsets"], responses={200: {"content": {
    "application/json": {}, "text/csv": {"schema": {"type": "string"}}},
    "description": "JSON, or CSV with format=csv"}})
def reporting_table(registry: RegistryDep, actor: ActorDep,
                    fiscal_year: int | None = Query(None, ge=1900, le=9999),
                    format: str = Query("json", pattern="^(json|csv)$")) -> Any:
    """The executed invalidations that count for each reporting fiscal year (end-of-June
    rule), per credit user and use, with notice numbers; ``format=csv`` for the report."""
    with registry.uow(write=False) as uow:
        table = offset_queries.reporting_table(uow, actor, fiscal_year=fiscal_year)
    if format == "csv":
        return csv_response(report_csv_rows(table),
                            f"invalidations-report-{fiscal_year or 'all'}.csv",
                            fieldnames=REPORT_FIELDS)
    return table


REPORT_FIELDS = ("reporting_fiscal_year", "credit_user_name", "credit_user_corporate_number",
                 "use", "offset_purpose", "quantity", "notice_number", "executed_date",
                 "executed_fiscal_year", "assignable_years", "carried_back", "application_id",
                 "purpose_details")


def report_csv_rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    """The reporting table's rows for CSV (``REPORT_FIELDS``): the assignable years as one
    cell ("2025 2026")."""
    return [r | {"assignable_years": " ".join(map(str, r["assignable_years"]))}
            for r in table["rows"]]

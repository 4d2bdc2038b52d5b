"""Open to inspection (issue 16): the public project list, and the secretariat's import of
the projects registered before jcredit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile as StarletteUploadFile

from jcredit.domain.errors import DomainError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.public.statistics import historical
from jcredit.domain.public.statistics import historical_summary
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.params import BlockId
from jcredit.entrypoints.params import IssuanceId
from jcredit.entrypoints.tables_in import registered_rows_from
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.i18n import labeller
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _check_csrf
from jcredit.entrypoints.web.views import _redirect
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import flash
from jcredit.entrypoints.web.views import render
from jcredit.entrypoints.web.views import request_language
from jcredit.entrypoints.web.views import state_of
from jcredit.service_layer import commands as c
from jcredit.service_layer import public_queries
from jcredit.service_layer.actors import Role

router = APIRouter(include_in_schema=False)
MAX_LIST_BYTES = 20 * 1024 * 1024


@router.get("/public/projects")
def project_list(request: Request, methodology: str = "", prefecture: str = "", q: str = "",
                 page: int = 1) -> Response:
    """The public project list (no login): filters by methodology and prefecture, words."""
    with _registry(request).uow(write=False) as uow:
        data = public_queries.projects(uow, methodology=methodology[:16],
                                       prefecture=prefecture[:8], q=q[:100],
                                       page=min(max(page, 1), 10_000))
    return render(request, "public_projects.html", data=data, methodology=methodology,
                  prefecture=prefecture, q=q)


STATISTICS_QUERY = """-- credits per issuance and state: the issuance's serial count, and its live
-- blocks summed by the kind of account they are in (reserved: for a pending application)
SELECT i.root_id, i.category, i.methodology_id, i.credit_type, i.vintage,
       i.serial_end - i.serial_start + 1 AS issued,
       a.kind, b.reservation_id IS NOT NULL AS reserved,
       SUM(b.serial_end - b.serial_start + 1) AS quantity
  FROM issuances i
  JOIN blocks b ON b.root_id = i.root_id AND b.closed_seq IS NULL
  JOIN accounts a ON a.id = b.account_id
 GROUP BY i.root_id, a.kind, reserved;
-- INVALIDATION accounts: invalidated; RETIREMENT: retired; CANCELLATION: cancelled;
-- any other: held (or reserved). ledger check rebuilds these tables from the journal."""


DIMENSIONS = {"category": N_("stat_dim_category"), "methodology": N_("stat_dim_methodology"),
              "credit_type": N_("stat_dim_credit_type"), "vintage": N_("stat_dim_vintage"),
              "prefecture": N_("stat_dim_prefecture")}


@router.get("/public/statistics")
def statistics_page(request: Request, by: str = "category") -> Response:
    """The public statistics (no login), with charts and how each number is computed."""
    by = by if by in DIMENSIONS else "category"
    with _registry(request).uow(write=False) as uow:
        data = public_queries.statistics(uow)
    label = labeller(request_language(request))
    rows = data["by"][by]
    names = {key: (label("category", key) if by == "category" else
                   f"{key}年度" if by == "vintage" else key) for key in rows}
    chart = {"labels": [names[k] for k in rows],
             "values": [s["invalidated"] + s["retired"] for s in rows.values()],
             "label": "t-CO2"}
    issued_chart = {"labels": [names[k] for k in rows],
                    "values": [s["issued"] for s in rows.values()], "label": "t-CO2"}
    return render(request, "public_statistics.html", data=data, by=by, rows=rows,
                  names=names, chart=chart, issued_chart=issued_chart, dimensions=DIMENSIONS,
                  query=STATISTICS_QUERY, historical=historical_summary(historical()))


@router.get("/public/projects/{number}")
def project_page(request: Request, number: str) -> Response:
    """One registered project (no login): the public list's columns and its credits."""
    with _registry(request).uow(write=False) as uow:
        data = public_queries.project(uow, number[:32])
    return render(request, "public_project.html", p=data)


@router.get("/public/credits/{root_id}")
def credit_lineage(request: Request, root_id: IssuanceId, serial: str = "") -> Response:
    """An issuance's lineage (no login): every holding from issuance to invalidation,
    retirement or cancellation; ``serial`` narrows it to one credit."""
    try:
        number = public_queries.parse_serial(serial[:60])
        with _registry(request).uow(write=False) as uow:
            data = public_queries.credit_lineage(uow, root_id, serial=number)
    except DomainError as error:
        if getattr(error, "field", None) != "serial":
            raise
        with _registry(request).uow(write=False) as uow:  # the whole issuance, the error
            data = public_queries.credit_lineage(uow, root_id)
        return render(request, "public_credit.html", status_code=classify(error)[0], c=data,
                      form_state=state_of(request, "lineage", {"serial": serial[:60]}, error,
                                          fields=("serial",)))
    return render(request, "public_credit.html", c=data)


@router.get("/public/credits/{root_id}/blocks/{block_id}")
def block_lineage(request: Request, root_id: IssuanceId, block_id: BlockId) -> Response:
    """A block's lineage (no login): the holdings of its serials, before and after it."""
    with _registry(request).uow(write=False) as uow:
        data = public_queries.credit_lineage(uow, root_id, block_id=block_id)
    return render(request, "public_credit.html", c=data)


@router.get("/public/invalidations")
def invalidation_list(request: Request, use: str = "", q: str = "", fiscal_year: str = "",
                      page: int = 1) -> Response:
    """The executed invalidations whose holders consented to publication (no login)."""
    values = {"use": use[:32], "q": q[:100], "fiscal_year": fiscal_year[:10]}
    try:
        year = public_queries.parse_fiscal_year(fiscal_year[:10])
    except DomainError as error:
        with _registry(request).uow(write=False) as uow:
            data = public_queries.invalidations(uow, use=use[:32], q=q[:100])
        return render(request, "public_invalidations.html", status_code=classify(error)[0],
                      data=data | {"invalidations": [], "count": 0, "pages": 1},
                      use=use, q=q, fiscal_year=fiscal_year[:10],
                      form_state=state_of(request, "invalidation-search", values, error,
                                          fields=("fiscal_year",)))
    with _registry(request).uow(write=False) as uow:
        data = public_queries.invalidations(uow, use=use[:32], q=q[:100], fiscal_year=year,
                                            page=min(max(page, 1), 10_000))
    return render(request, "public_invalidations.html", data=data, use=use, q=q,
                  fiscal_year=year)


def _import_page(request: Request, *, result: dict[str, Any] | None = None,
                 error: DomainError | None = None) -> Response:
    actor = _actor(request)
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError("importing registered projects is the secretariat's")
    state = (state_of(request, "import", {}, error, fields=("file", "format", "encoding"))
             if error is not None else None)
    return render(request, "registered_import.html",
                  status_code=classify(error)[0] if error else 200, result=result,
                  form_state=state)


@router.get("/registry/registered-projects/import")
def import_form(request: Request) -> Response:
    return _import_page(request)


@router.post("/registry/registered-projects/import")
async def import_file(request: Request) -> Response:
    """The official list as CSV (its columns) or JSON: good lines land, each bad line is
    listed; importing the same file again changes nothing."""
    actor = _actor(request)
    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_LIST_BYTES)
        _check_csrf(request, str(form.get("csrf") or ""))
        upload = form.get("file")
        if not isinstance(upload, StarletteUploadFile) or not upload.filename:
            raise ValidationError("no file chosen: choose the project list (CSV or JSON)",
                                  field="file")
        data = await upload.read(MAX_LIST_BYTES + 1)
        await upload.close()
        if len(data) > MAX_LIST_BYTES:
            raise ValidationError(f"the file is larger than {MAX_LIST_BYTES // 2**20} MB",
                                  field="file")
        fmt = str(form.get("format") or "").lower() or (
            "json" if upload.filename.lower().endswith(".json") else "csv")
        rows, first_line = registered_rows_from(data, fmt, str(form.get("encoding") or "auto"))
        result = _registry(request).bus.handle(
            c.ImportRegisteredProjects(rows=tuple(rows), first_line=first_line), actor=actor,
            idempotency_key=str(form.get("idem") or "") or None).data
    except DomainError as error:
        return _import_page(request, error=error)
    if not result["problems"]:
        flash(request, N_("registered_imported"), added=result["added"],
              updated=result["updated"], unchanged=result["unchanged"])
        return _redirect("/public/projects")
    return _import_page(request, result=result)


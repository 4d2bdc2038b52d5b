"""Open data (issue 16): the public project list and the statistics as JSON or CSV, without
login, paginated, with an ETag (the content's hash) and Last-Modified (the journal's head)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from fastapi import APIRouter
from fastapi import Query
from fastapi import Request
from fastapi import Response
from starlette.concurrency import run_in_threadpool

from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.downloads import CSV_TYPE
from jcredit.entrypoints.downloads import csv_text
from jcredit.entrypoints.downloads import file_response
from jcredit.entrypoints.exports import daily_export
from jcredit.entrypoints.params import BlockId
from jcredit.entrypoints.params import IssuanceId
from jcredit.service_layer import public_queries

router = APIRouter()

PROJECT_FIELDS = ("no", "source", "applied_on", "implementer", "implementer_corporate_number",
                  "location", "prefecture", "holder", "holder_corporate_number", "summary",
                  "start_date", "methodology_id", "methodology_version")
DIMENSION = "^(category|methodology|credit_type|vintage|prefecture)$"
JSON_OR_CSV: dict[int | str, dict[str, Any]] = {200: {"content": {
    "application/json": {}, "text/csv": {"schema": {"type": "string"}}},
    "description": "JSON, or CSV with format=csv"}, 304: {"description": "not modified"}}


def _validated(request: Request, data: bytes, modified: str | None
               ) -> tuple[dict[str, str], bool]:
    """The caching headers of a body (ETag: its content's hash; Last-Modified: the
    journal's head), and whether the client already holds it (If-None-Match)."""
    tag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "public, max-age=60"}
    if modified:
        headers["Last-Modified"] = modified
    return headers, request.headers.get("if-none-match") == tag


def _cached(request: Request, body: Any, *, modified: str | None) -> Response:
    """JSON with an ETag; 304 when the client already holds this content."""
    data = json.dumps(body, ensure_ascii=False, sort_keys=True, default=str).encode()
    headers, held = _validated(request, data, modified)
    if held:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/json", headers=headers)


def cached_csv(request: Request, rows: Any, filename: str, fields: Any, *,
               modified: str | None) -> Response:
    """A CSV download with the same ETag (its content's hash) and Last-Modified as JSON."""
    data = ("\ufeff" + csv_text(rows, fields)).encode("utf-8")
    headers, held = _validated(request, data, modified)
    if held:
        return Response(status_code=304, headers=headers)
    return file_response(data, CSV_TYPE, filename, headers=headers)


def _head_time(registry: Any) -> str | None:
    with registry.uow(write=False) as uow:
        page = uow.journal.page(limit=1)
    if not page:
        return None
    return format_datetime(datetime.fromisoformat(page[0].recorded_at), usegmt=True)


@router.get("/public/projects", tags=["open data"], responses=JSON_OR_CSV)
def projects(request: Request, registry: RegistryDep,
             methodology: str = Query("", max_length=16),
             prefecture: str = Query("", max_length=8), q: str = Query("", max_length=100),
             page: int = Query(1, ge=1, le=10_000),
             format: str = Query("json", pattern="^(json|csv)$")) -> Response:
    """The registered projects (imported from the official list and registered in
    jcredit), filtered, a page of 50; ``format=csv`` for the page as CSV."""
    with registry.uow(write=False) as uow:
        data = public_queries.projects(uow, methodology=methodology, prefecture=prefecture,
                                       q=q, page=page)
    if format == "csv":
        return cached_csv(request, data["projects"], f"projects-page-{page}.csv",
                          PROJECT_FIELDS, modified=_head_time(registry))
    body = {"data": [{k: p.get(k) for k in PROJECT_FIELDS} for p in data["projects"]],
            "count": data["count"], "page": data["page"], "pages": data["pages"]}
    return _cached(request, body, modified=_head_time(registry))


@router.get("/public/statistics", tags=["open data"], responses=JSON_OR_CSV)
def statistics(request: Request, registry: RegistryDep,
               format: str = Query("json", pattern="^(json|csv)$"),
               by: str = Query("category", pattern=DIMENSION)) -> Response:
    """Credits by state (in total and by category, methodology, credit type, vintage and
    prefecture), invalidations by use and offset purpose, invalidation ratios; summed from
    the rows ``ledger check`` rebuilds from the journal. ``format=csv&by=…`` for one table."""
    with registry.uow(write=False) as uow:
        data = public_queries.statistics(uow)
    if format == "csv":
        rows = [{by: key} | totals for key, totals in data["by"][by].items()]
        return cached_csv(request, rows, f"statistics-by-{by}.csv", (by, *data["totals"]),
                          modified=_head_time(registry))
    return _cached(request, data, modified=_head_time(registry))


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such issuance, block "
                                                    "or serial"}}


@router.get("/public/credits/{root_id}", tags=["open data"],
            responses={**NOT_FOUND, 304: {"description": "not modified"}})
def credit_lineage(request: Request, registry: RegistryDep, root_id: IssuanceId,
                   serial: str = Query("", max_length=60,
                                       pattern=r"^(([A-Za-z0-9]+-)*[0-9]{1,12})?$",
                                       description="one credit or a range: its number "
                                       "(5), a range (1-50), or the full serial")
                   ) -> Response:
    """An issuance's lineage: its attributes and serials, every holding of its credits
    from issuance through transfers to invalidation, retirement or cancellation (oldest
    first), and what remains where. Holders are named only where the scheme publishes them
    (the project's implementer and holder; a credit user who consented); no account
    numbers."""
    number = public_queries.parse_serial(serial)
    with registry.uow(write=False) as uow:
        data = public_queries.credit_lineage(uow, root_id, serial=number)
    return _cached(request, data, modified=_head_time(registry))


@router.get("/public/credits/{root_id}/blocks/{block_id}", tags=["open data"],
            responses={**NOT_FOUND, 304: {"description": "not modified"}})
def block_lineage(request: Request, registry: RegistryDep, root_id: IssuanceId,
                  block_id: BlockId) -> Response:
    """One block's lineage: the holdings of its serials before and after it."""
    with registry.uow(write=False) as uow:
        data = public_queries.credit_lineage(uow, root_id, block_id=block_id)
    return _cached(request, data, modified=_head_time(registry))


@router.get("/public/invalidations", tags=["open data"],
            responses=JSON_OR_CSV)
def invalidations(request: Request, registry: RegistryDep,
                  use: str = Query("", pattern="^(|" + "|".join(
                      u.value for u in InvalidationUse) + ")$"),
                  q: str = Query("", max_length=100),
                  fiscal_year: int | None = Query(None, ge=2000, le=2100),
                  page: int = Query(1, ge=1, le=10_000),
                  format: str = Query("json", pattern="^(json|csv)$")) -> Response:
    """The executed invalidations whose holders consented to publication, newest first, a
    page of 50: use and purpose category, quantity, credit user, date (JST), reporting
    fiscal year, serials and projects."""
    with registry.uow(write=False) as uow:
        data = public_queries.invalidations(uow, use=use, q=q, fiscal_year=fiscal_year,
                                            page=page)
    fields = public_queries.INVALIDATION_FIELDS
    if format == "csv":
        return cached_csv(request, data["invalidations"], f"invalidations-page-{page}.csv",
                          fields, modified=_head_time(registry))
    body = {"data": [{k: r[k] for k in (*fields, "blocks")} for r in data["invalidations"]],
            "count": data["count"], "page": data["page"], "pages": data["pages"]}
    return _cached(request, body, modified=_head_time(registry))


@router.get("/public/export", tags=["open data"], responses={200: {"content": {
    "application/zip": {"schema": {"type": "string", "format": "binary"}}},
    "description": "the day's full export (ZIP)"}})
async def full_export(registry: RegistryDep) -> Response:
    """The day's full export of every public table (projects, issuances, holdings — each
    credit's lineage —, invalidations, cases, statistics), CSV and JSON in one ZIP with a
    manifest (journal head, each file's SHA-256 and row count). Built once per JST day."""
    path = await run_in_threadpool(daily_export, registry)
    modified = format_datetime(datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
                               usegmt=True)
    return Response(path.read_bytes(), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{path.name}"',
        "Last-Modified": modified, "Cache-Control": "public, max-age=3600"})

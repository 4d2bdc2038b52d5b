"""The case database over the API (issue 16): published cases as open data (JSON or CSV,
paginated, ETag and Last-Modified); organisations submit, the secretariat reviews."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter
from fastapi import Query
from fastapi import Request
from fastapi import Response
from pydantic import Field

from jcredit.domain.cases.model import CaseKind
from jcredit.domain.cases.model import CaseMethod
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.projects.eligibility import PREFECTURES
from jcredit.entrypoints.api import schemas as s
from jcredit.entrypoints.api.deps import AdminWrite
from jcredit.entrypoints.api.deps import HolderWrite
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.api.routes.commands import send_command
from jcredit.entrypoints.api.routes.public import JSON_OR_CSV
from jcredit.entrypoints.api.routes.public import _cached
from jcredit.entrypoints.api.routes.public import _head_time
from jcredit.entrypoints.api.routes.public import cached_csv
from jcredit.entrypoints.params import JournalSeq
from jcredit.service_layer import case_queries
from jcredit.service_layer import commands as c

router = APIRouter()


def _one_of(values: Iterable[object]) -> str:
    """A query pattern: empty, or one of the codes (the schema lists what is valid)."""
    return "^(|" + "|".join(re.escape(str(getattr(v, "value", v))) for v in values) + ")$"


def _flat(case: dict[str, Any]) -> dict[str, Any]:
    """A case as one CSV row: lists joined by spaces."""
    return {k: " ".join(str(v) for v in case[k]) if isinstance(case.get(k), list)
            else case.get(k) for k in case_queries.FIELDS}


@router.get("/public/cases", tags=["open data"], responses=JSON_OR_CSV)
def cases(request: Request, registry: RegistryDep, q: str = Query("", max_length=200),
          kind: str = Query("", pattern=_one_of(CaseKind)),
          use: str = Query("", pattern=_one_of(InvalidationUse)),
          method: str = Query("", pattern=_one_of(CaseMethod)),
          mark: str = Query("", pattern="^(|yes|no)$"),
          prefecture: str = Query("", pattern=_one_of(PREFECTURES)),
          category: str = Query("", pattern=_one_of(Category)),
          organisation: str = Query("", max_length=100),
          page: int = Query(1, ge=1, le=10_000),
          format: str = Query("json", pattern="^(json|csv)$")) -> Response:
    """Published cases (活用事例・創出事例), newest first, a page of 20: Japanese full-text
    search in ``q`` (kanji; katakana and hiragana alike; full- or half-width) and filters.
    ``quantity`` is what the organisation reported; the case page shows the registry's."""
    filters = case_queries.parse_filters(kind=kind, use=use, method=method, mark=mark,
                                         prefecture=prefecture, category=category,
                                         organisation=organisation)
    with registry.uow(write=False) as uow:
        data = case_queries.search(uow, q=q, filters=filters, page=page)
    rows = [_flat(case) for case in data["cases"]]
    if format == "csv":
        return cached_csv(request, rows, f"cases-page-{page}.csv", case_queries.FIELDS,
                          modified=_head_time(registry))
    body = {"data": [{k: case.get(k) for k in case_queries.FIELDS} for case in data["cases"]],
            "count": data["count"], "page": data["page"], "pages": data["pages"]}
    return _cached(request, body, modified=_head_time(registry))


@router.get("/public/cases/{case_id}", tags=["open data"],
            responses={404: {"description": "no published case of that id"},
                       304: {"description": "not modified"}})
def case(request: Request, registry: RegistryDep, case_id: JournalSeq) -> Response:
    """One published case, with the registry's figures for the projects and invalidations
    it links."""
    with registry.uow(write=False) as uow:
        data = case_queries.case(uow, case_id)
    body = {k: data.get(k) for k in case_queries.FIELDS} | {"registry": data["registry"]}
    return _cached(request, body, modified=_head_time(registry))


class CaseBody(s.Body):
    case: dict[str, Any] = Field(description="kind, title, organisation, corporate_number, "
                                 "prefecture, category, uses, offset_purpose, method, mark, "
                                 "start_year, end_year, quantity, summary, projects, "
                                 "invalidations, source")


class CaseReview(s.Body):
    decision: str = Field(description="PUBLISH, RETURN or UNPUBLISH")
    note: str = Field("", max_length=1000, description="required to return or take down")


@router.post("/cases", status_code=201, tags=["cases"])
async def submit_case(body: CaseBody, request: Request, caller: HolderWrite) -> Response:
    """Submit a case for the case search; the secretariat reviews it before it is public."""
    return await send_command(request, caller.registry, c.SubmitCase(case=body.case),
                              caller.actor, caller.key, 201)


@router.put("/cases/{case_id}", tags=["cases"])
async def resubmit_case(case_id: JournalSeq, body: CaseBody, request: Request,
                        caller: HolderWrite) -> Response:
    """Resubmit a returned case (or change one still waiting)."""
    return await send_command(request, caller.registry,
                              c.SubmitCase(case=body.case, case_id=case_id),
                              caller.actor, caller.key)


@router.post("/cases/{case_id}/review", tags=["cases"])
async def review_case(case_id: JournalSeq, body: CaseReview, request: Request,
                      caller: AdminWrite) -> Response:
    """The secretariat publishes a case, returns it with a note, or takes it down."""
    return await send_command(request, caller.registry,
                              c.ReviewCase(case_id=case_id, decision=body.decision,
                                           note=body.note), caller.actor, caller.key)

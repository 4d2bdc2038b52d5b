"""A project's documents as people open them from the project page (session login, the
same authorisation as ``/api/v1``: ``project_queries`` checks who asks).

- ``/projects/{n}/documents/{kind}``: the document as a page (Japanese labels, JST times,
  figures for people), with a link to its PDF;
- ``/projects/{n}/documents/{kind}.pdf``: the PDF, shown by the browser (``inline``);
- ``/projects/{n}/periods/{p}/results.csv``: the period's results, a CSV download (BOM);
- ``/projects/{n}/evidence/{sha256}``: an evidence file, always a download, with the type
  found in its bytes.

The API keeps its JSON routes; these are what the pages link to (docs/ui.md, "Documents and
downloads").
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi import Request
from fastapi.responses import Response

from jcredit.adapters.pdf.project_documents import Wording
from jcredit.adapters.pdf.project_documents import render_project_document
from jcredit.domain.errors import NotFoundError
from jcredit.entrypoints.downloads import file_response
from jcredit.entrypoints.downloads import pdf_response
from jcredit.entrypoints.downloads import results_csv
from jcredit.entrypoints.params import OptionalPeriod
from jcredit.entrypoints.params import OptionalVersion
from jcredit.entrypoints.params import PeriodNumber
from jcredit.entrypoints.params import Sha256
from jcredit.entrypoints.web.figures import factor_name
from jcredit.entrypoints.web.i18n import fiscal_year_label
from jcredit.entrypoints.web.i18n import format_date
from jcredit.entrypoints.web.i18n import format_quantity
from jcredit.entrypoints.web.i18n import format_time
from jcredit.entrypoints.web.i18n import labeller
from jcredit.entrypoints.web.i18n import translator
from jcredit.entrypoints.web.labels import DOCUMENT_FIELDS
from jcredit.entrypoints.web.labels import DOCUMENT_KINDS
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import render
from jcredit.entrypoints.web.views import request_language
from jcredit.service_layer import project_queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork

router = APIRouter(include_in_schema=False)


def _document(request: Request, number: str, kind: str, version: int | None,
              period: int | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The document and, for a plan, the project's activities as recorded now."""
    if kind.upper() not in DOCUMENT_KINDS:
        raise NotFoundError(f"no document kind {kind!r}", field="kind", valid=DOCUMENT_KINDS)
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        return document_with_activities(uow, actor, number, kind.upper(), version, period)


def document_with_activities(uow: AbstractUnitOfWork, actor: Actor, number: str, kind: str,
                             version: int | None, period: int | None
                             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = project_queries.document(uow, actor, number, kind, version, period)
    activities = project_queries.activities(uow, actor, number) if kind == "PLAN" else []
    return data, activities


def _exclusion_rows(settled: dict[str, Any], lang: str) -> list[dict[str, str]]:
    """The settlement's exclusions for the page: site, rule, reason, JST span (first 300)."""
    from jcredit.entrypoints.web.dmrv_site import Presenter

    present = Presenter(lang, translator(lang), labeller(lang))
    return [{"activity": str(x["site"]).rsplit("/", 1)[-1], "rule_id": x["rule_id"],
             "reason": x["reason"], "span": present.span(int(x["start"]), int(x["end"]))}
            for x in (settled.get("excluded") or [])[:300]]


def wording(lang: str) -> Wording:
    """The words of a document in ``lang``, for its PDF: the page's catalog, labels and
    formatters (``document.html`` says the same with the template filters)."""
    label, t = labeller(lang), translator(lang)
    return Wording(lang=lang, t=t, label=label, time=lambda v: format_time(v, lang),
                   date=lambda v: format_date(v, lang), qty=format_quantity,
                   fiscal_year=lambda y: fiscal_year_label(y, lang),
                   factor=lambda name: factor_name(name, label, t, lang),
                   fields=DOCUMENT_FIELDS)


def document_pdf_bytes(data: dict[str, Any], activities: list[dict[str, Any]],
                       lang: str) -> bytes:
    """The document's PDF in ``lang``, saying what its page says."""
    return render_project_document(data, wording(lang), activities)


def document_filename(request: Request, document: dict[str, Any], extension: str) -> str:
    """e.g. ``JCP-000001_モニタリング報告書_第1期_v1.pdf`` (in the reader's language)."""
    lang = request_language(request)
    name = labeller(lang)("document", document["kind"])
    period = document.get("period")
    part = "" if not period else (f"_第{period}期" if lang == "ja" else f"_period{period}")
    return f"{document['project']}_{name}{part}_v{document['version']}.{extension}"


@router.get("/projects/{number}/documents/{kind}.pdf")
def document_pdf(request: Request, number: str, kind: str, version: OptionalVersion = None,
                 period: OptionalPeriod = None) -> Response:
    data, activities = _document(request, number, kind, version, period)
    return pdf_response(document_pdf_bytes(data, activities, request_language(request)),
                        document_filename(request, data, "pdf"))


@router.get("/projects/{number}/documents/{kind}")
def document_page(request: Request, number: str, kind: str, version: OptionalVersion = None,
                  period: OptionalPeriod = None) -> Response:
    data, activities = _document(request, number, kind, version, period)
    content = data["content"]
    scalars = [(key, content[key]) for key in DOCUMENT_FIELDS
               if key in content and content[key] not in (None, "", [], {})]
    period_view = content.get("period") if isinstance(content.get("period"), dict) else {}
    result = content.get("result") if isinstance(content.get("result"), dict) else {}
    amounts = content.get("amounts") or result.get("preview") or []
    data_rows = content.get("data") if isinstance(content.get("data"), dict) else {}
    columns = sorted({name for values in data_rows.values() for name in values})
    return render(request, "document.html", document=data, content=content, scalars=scalars,
                  period_view=period_view, result=result, amounts=amounts,
                  data_rows=data_rows, columns=columns,
                  findings=content.get("findings") or [],
                  report=content.get("report") or {},
                  settled=content.get("settlement") or {},
                  settlement_ref=content.get("settlement_ref") or {},
                  exclusions=_exclusion_rows(content.get("settlement") or {},
                                             request_language(request)),
                  decisions=content.get("hold_decisions") or [],
                  missing=content.get("missing_activities") or [],
                  activities=activities, factor=wording(request_language(request)).factor)


@router.get("/projects/{number}/periods/{period}/results.csv")
def period_results_csv(request: Request, number: str, period: PeriodNumber) -> Response:
    """The period's results per activity and vintage (full precision), for Excel."""
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        rows = project_queries.period_results_rows(uow, actor, number, period)
    return results_csv(rows, number, period)


@router.get("/projects/{number}/evidence/{sha256}")
def evidence_file(request: Request, number: str, sha256: Sha256) -> Response:
    """The evidence file as stored (re-hashed on the way out), always downloaded."""
    actor = _actor(request)
    registry = _registry(request)
    with registry.uow(write=False) as uow:
        meta = project_queries.evidence_file(uow, actor, number, sha256)
    return file_response(registry.evidence.get(sha256), meta["media_type"], meta["filename"],
                         headers={"X-Content-SHA256": sha256})

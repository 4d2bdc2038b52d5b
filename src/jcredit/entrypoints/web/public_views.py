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
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.tables_in import registered_rows_from
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _check_csrf
from jcredit.entrypoints.web.views import _redirect
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import flash
from jcredit.entrypoints.web.views import render
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


"""The case search (活用事例検索, issue 16): anyone searches and reads the published cases;
an organisation submits its own ("取組を申請することで掲載されます") and sees what the
secretariat said; the secretariat reviews and publishes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi import Request
from fastapi.responses import Response

from jcredit.bootstrap import actor_for
from jcredit.domain.cases.model import CaseKind
from jcredit.domain.cases.model import CaseMethod
from jcredit.domain.errors import DomainError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.domain.projects.eligibility import PREFECTURES
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.params import JournalSeq
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _check_csrf
from jcredit.entrypoints.web.views import _redirect
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import current_user
from jcredit.entrypoints.web.views import flash
from jcredit.entrypoints.web.views import render
from jcredit.entrypoints.web.views import state_of
from jcredit.service_layer import case_queries
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.handlers.cases import SUBMITTING_ROLES

router = APIRouter(include_in_schema=False)

CASE_FIELDS = ("kind", "title", "organisation", "corporate_number", "prefecture", "category",
               "uses", "offset_purpose", "method", "mark", "start_year", "end_year",
               "quantity", "summary", "projects", "invalidations", "source")
SEARCH_FIELDS = ("q", "kind", "use", "method", "mark", "prefecture", "category",
                 "organisation")


def _choices() -> dict[str, Any]:
    return {"kinds": list(CaseKind), "methods": list(CaseMethod), "uses": list(InvalidationUse),
            "purposes": [p for p in OffsetPurpose if p is not OffsetPurpose.SELF],
            "categories": list(Category), "prefectures": PREFECTURES}


def _maybe_actor(request: Request) -> Actor | None:
    user = current_user(request)
    return actor_for(user) if user is not None else None


@router.get("/cases")
def search_page(request: Request, q: str = "", kind: str = "", use: str = "",
                method: str = "", mark: str = "", prefecture: str = "", category: str = "",
                organisation: str = "", page: int = 1) -> Response:
    """The public case search: words (kanji or kana) and filters."""
    values = {"q": q[:200], "kind": kind[:16], "use": use[:32], "method": method[:32],
              "mark": mark[:5], "prefecture": prefecture[:8], "category": category[:32],
              "organisation": organisation[:100]}
    try:
        filters = case_queries.parse_filters(**{k: v for k, v in values.items() if k != "q"})
        with _registry(request).uow(write=False) as uow:
            data = case_queries.search(uow, q=values["q"], filters=filters,
                                       page=min(max(page, 1), 10_000))
    except DomainError as error:
        with _registry(request).uow(write=False) as uow:
            data = case_queries.search(uow)
        data |= {"cases": [], "count": 0}
        return render(request, "cases.html", status_code=classify(error)[0], data=data,
                      values=values, form_state=state_of(request, "case-search", values,
                                                         error, fields=SEARCH_FIELDS),
                      **_choices())
    actor = _maybe_actor(request)
    return render(request, "cases.html", data=data, values=values,
                  can_submit=actor is not None and actor.role in SUBMITTING_ROLES,
                  **_choices())


@router.get("/cases/new")
def new_case(request: Request) -> Response:
    actor = _actor(request)
    organisation = ""
    if actor.organisation_id is not None:
        with _registry(request).uow(write=False) as uow:
            org = uow.organisations.get(actor.organisation_id)
            organisation = org.name if org else ""
    return _form_page(request, values={"organisation": organisation, "kind": "UTILISATION"})


def _form_page(request: Request, *, values: dict[str, Any], case_id: int | None = None,
               error: DomainError | None = None) -> Response:
    actor = _actor(request)
    if actor.role not in SUBMITTING_ROLES:
        raise PermissionDeniedError("submitting a case is for organisations and the "
                                    "secretariat")
    state = (state_of(request, "case", values, error, fields=CASE_FIELDS,
                      rename={f"case.{k}": k for k in CASE_FIELDS})
             if error is not None else None)
    return render(request, "case_form.html", status_code=classify(error)[0] if error else 200,
                  values=values, case_id=case_id, form_state=state, **_choices())


async def _case_form(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if k != "uses"}
    values["uses"] = [str(u) for u in form.getlist("uses")]
    values["mark"] = "yes" if form.get("mark") == "yes" else ""
    return values


@router.post("/cases/new")
async def submit_case(request: Request) -> Response:
    values = await _case_form(request)
    return _submit(request, values, None)


def _submit(request: Request, values: dict[str, Any], case_id: int | None) -> Response:
    try:
        actor = _actor(request)
        _check_csrf(request, str(values.get("csrf", "")))
        case = {k: values.get(k) for k in CASE_FIELDS}
        data = _registry(request).bus.handle(c.SubmitCase(case=case, case_id=case_id),
                                             actor=actor,
                                             idempotency_key=values.get("idem") or None).data
    except DomainError as error:
        return _form_page(request, values=values, case_id=case_id, error=error)
    flash(request, N_("case_submitted"), case_id=data["id"])
    return _redirect("/cases/mine")


@router.get("/cases/mine")
def my_cases(request: Request) -> Response:
    """The organisation's cases: waiting, published or returned with the secretariat's note."""
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        rows = (case_queries.of_organisation(uow, actor.organisation_id)
                if actor.organisation_id is not None else [])
    return render(request, "cases_mine.html", rows=rows,
                  can_submit=actor.role in SUBMITTING_ROLES)


@router.get("/cases/review")
def review_queue(request: Request) -> Response:
    actor = _actor(request)
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError("reviewing cases is the secretariat's")
    with _registry(request).uow(write=False) as uow:
        rows = case_queries.queue(uow)
    return render(request, "cases_review.html", rows=rows)


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: JournalSeq) -> Response:
    """One case: what the organisation says, and what the registry says of the projects and
    invalidations behind it."""
    actor = _maybe_actor(request)
    with _registry(request).uow(write=False) as uow:
        data = case_queries.case(uow, case_id, actor)
    return render(request, "case.html", case=data,
                  can_review=actor is not None and actor.role is Role.ADMIN,
                  can_edit=actor is not None and data["status"] != "PUBLISHED"
                  and case_queries.can_see(actor, {"status": data["status"],
                                                   "organisation_id": data["organisation_id"]}),
                  **_choices())


@router.get("/cases/{case_id}/edit")
def edit_case(request: Request, case_id: JournalSeq) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = case_queries.case(uow, case_id, actor)
    values = {k: data.get(k) for k in CASE_FIELDS}
    values["projects"] = " ".join(data["projects"])
    values["invalidations"] = " ".join(str(i) for i in data["invalidations"])
    values["mark"] = "yes" if data["mark"] else ""
    for key in ("start_year", "end_year", "quantity", "category", "offset_purpose",
                "corporate_number"):
        values[key] = values[key] or ""
    return _form_page(request, values=values, case_id=case_id)


@router.post("/cases/{case_id}/edit")
async def resubmit_case(request: Request, case_id: JournalSeq) -> Response:
    values = await _case_form(request)
    return _submit(request, values, case_id)


@router.get("/cases/{case_id}/review")
def review_reload(case_id: JournalSeq) -> Response:
    """A reload of the review's address after an error: back to the case."""
    return _redirect(f"/cases/{case_id}")


@router.post("/cases/{case_id}/review")
async def review_case(request: Request, case_id: JournalSeq) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        actor = _actor(request)
        _check_csrf(request, form.get("csrf", ""))
        data = _registry(request).bus.handle(
            c.ReviewCase(case_id=case_id, decision=form.get("decision", ""),
                         note=form.get("note", "")), actor=actor,
            idempotency_key=form.get("idem") or None).data
    except DomainError as error:
        actor_or_none = _maybe_actor(request)
        with _registry(request).uow(write=False) as uow:
            case = case_queries.case(uow, case_id, actor_or_none)
        return render(request, "case.html", status_code=classify(error)[0], case=case,
                      can_review=True, can_edit=False,
                      form_state=state_of(request, "review", form, error,
                                          fields=("decision", "note")), **_choices())
    flash(request, N_("case_reviewed"), labels={"decision": ("case_decision",
                                                             data["decision"])},
          case_id=case_id)
    return _redirect("/cases/review" if data["decision"] != "UNPUBLISH"
                     else f"/cases/{case_id}")

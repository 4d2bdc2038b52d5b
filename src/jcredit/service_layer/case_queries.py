"""The case search (活用事例検索, issue 16): published cases for everyone, with filters and
Japanese full-text search; a case's page with the projects and invalidations behind it, their
quantities read from the registry; an organisation's own cases; the secretariat's queue."""

from __future__ import annotations

from typing import Any

from jcredit.domain.cases.model import CaseKind
from jcredit.domain.cases.model import CaseMethod
from jcredit.domain.cases.model import CaseStatus
from jcredit.domain.cases.model import fold
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.projects.eligibility import PREFECTURES
from jcredit.service_layer import public_queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork

PAGE_SIZE = 20
MAX_WORDS = 10
FIELDS = ("id", "kind", "title", "organisation", "prefecture", "category", "uses",
          "offset_purpose", "method", "mark", "start_year", "end_year", "quantity",
          "summary", "projects", "invalidations", "source", "published_at")
"""The open data's columns of a case (``quantity`` as the organisation reported it)."""

_CHOICES: dict[str, tuple[str, ...]] = {
    "kind": tuple(k.value for k in CaseKind), "method": tuple(m.value for m in CaseMethod),
    "use": tuple(u.value for u in InvalidationUse),
    "category": tuple(c.value for c in Category), "prefecture": PREFECTURES}


def parse_filters(*, kind: str = "", use: str = "", method: str = "", mark: str = "",
                  prefecture: str = "", category: str = "", organisation: str = ""
                  ) -> dict[str, Any]:
    """The search's filters, each checked (an unknown value names the valid ones)."""
    given = {"kind": kind.strip().upper(), "use": use.strip().upper(),
             "method": method.strip().upper(), "category": category.strip().upper(),
             "prefecture": prefecture.strip()}
    for name, value in given.items():
        if value and value not in _CHOICES[name]:
            raise ValidationError(f"{name} {value[:30]!r} is not one of the choices",
                                  field=name, valid=list(_CHOICES[name]))
    marked = mark.strip().lower()
    if marked not in ("", "yes", "no", "true", "false", "1", "0"):
        raise ValidationError(f"mark {mark[:10]!r}: yes or no", field="mark",
                              valid=["yes", "no"])
    return given | {"mark": None if not marked else marked in ("yes", "true", "1"),
                    "organisation": " ".join(organisation.split())[:100]}


def _words(q: str) -> list[str]:
    words = fold(q).split()
    if len(words) > MAX_WORDS:
        raise ValidationError(f"q: at most {MAX_WORDS} words", field="q")
    return words


def _summary_row(row: dict[str, Any]) -> dict[str, Any]:
    content = row["content"]
    return {"id": row["id"], "status": row["status"], **content,
            "published_at": row["reviewed_at"] if row["status"] == "PUBLISHED" else None,
            "submitted_at": row["submitted_at"], "review_note": row["review_note"]}


def search(uow: AbstractUnitOfWork, *, q: str = "", filters: dict[str, Any] | None = None,
           page: int = 1) -> dict[str, Any]:
    """Published cases with all the words (kanji, kana either way, full or half width) and
    every filter, newest first, a page of ``PAGE_SIZE``."""
    page = max(page, 1)
    rows, count = uow.cases.search(words=_words(q), statuses=[CaseStatus.PUBLISHED.value],
                                   filters=filters or {}, offset=(page - 1) * PAGE_SIZE,
                                   limit=PAGE_SIZE)
    facets = uow.cases.facets([CaseStatus.PUBLISHED.value])
    facets["prefecture"] = [p for p in PREFECTURES if p in set(facets["prefecture"])]
    return {"cases": [_summary_row(r) for r in rows], "count": count, "page": page,
            "pages": max(1, -(-count // PAGE_SIZE)), "facets": facets}


def can_see(actor: Actor | None, row: dict[str, Any]) -> bool:
    """Published: everyone; otherwise the secretariat and the submitting organisation."""
    if row["status"] == CaseStatus.PUBLISHED.value:
        return True
    if actor is None:
        return False
    return actor.role is Role.ADMIN or (actor.organisation_id is not None
                                        and actor.organisation_id == row["organisation_id"])


def case(uow: AbstractUnitOfWork, case_id: int, actor: Actor | None = None) -> dict[str, Any]:
    """One case, with the registry's figures for what it links: each project's issued and
    invalidated credits, each invalidation's quantity, use and date."""
    row = uow.cases.get(case_id)
    if row is None or not can_see(actor, row):
        raise NotFoundError(f"no case {case_id}", field="case_id")
    view = _summary_row(row)
    projects = []
    for number in view["projects"]:
        try:
            found = public_queries.project(uow, number)
        except NotFoundError:
            continue
        projects.append({"no": number, "summary": found["summary"],
                         "implementer": found["implementer"], "credits": found["credits"]})
    invalidations: list[dict[str, Any]] = []
    for application_id in view["invalidations"]:
        app = uow.invalidations.get(int(application_id))
        if app is None or app.status is not ApplicationStatus.EXECUTED:
            continue
        made = uow.projections.created_in([app.executed_seq or 0], AccountKind.INVALIDATION)
        issued = {root: a for root, a, *_ in uow.projections.issuances(
            root_ids=sorted({b[2] for b in made}))} if made else {}
        blocks = [{"root_id": root, "block_id": block, "quantity": last - first + 1,
                   "project_id": issued[root].project_id,
                   "serials": f"{issued[root].serial_prefix()}-{first:010d}-{last:010d}"}
                  for _, block, root, first, last in made]
        invalidations.append({"id": app.id, "quantity": app.quantity, "use": app.use.value,
                              "blocks": blocks,
                              "offset_purpose": app.offset_purpose.value
                              if app.offset_purpose else None,
                              "credit_user_name": app.credit_user_name,
                              "executed_date": public_queries.jst_date(app.executed_at)})
    submitter = (uow.organisations.get(row["organisation_id"])
                 if row["organisation_id"] is not None else None)
    return view | {"organisation_id": row["organisation_id"],
                   "submitted_by": row["submitted_by"],
                   "submitting_organisation": submitter.name if submitter else None,
                   "registry": {"projects": projects, "invalidations": invalidations,
                                "invalidated": sum(int(i["quantity"]) for i in invalidations)}}


def queue(uow: AbstractUnitOfWork) -> list[dict[str, Any]]:
    """Cases waiting for the secretariat's review, oldest first."""
    rows, _ = uow.cases.search(words=[], statuses=[CaseStatus.SUBMITTED.value], filters={},
                               limit=500)
    return [_summary_row(r) for r in reversed(rows)]


def of_organisation(uow: AbstractUnitOfWork, organisation_id: int) -> list[dict[str, Any]]:
    rows, _ = uow.cases.search(words=[], statuses=[s.value for s in CaseStatus], filters={},
                               organisation_id=organisation_id, limit=500)
    return [_summary_row(r) for r in rows]

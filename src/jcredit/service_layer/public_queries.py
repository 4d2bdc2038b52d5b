"""What the public sees without logging in (issue 16): the project list — projects
registered in jcredit and those registered before it (the official list, imported) — with
filters and a text search. Only public fields: the official list's columns and, for a
jcredit project, its registration's (never users, accounts or private documents)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jcredit.domain.errors import NotFoundError
from jcredit.domain.ledger.breakdown import Breakdown
from jcredit.domain.ledger.breakdown import state_of
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.model import Project
from jcredit.domain.public import statistics as st
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork

PUBLIC_STATES = frozenset({ProjectState.REGISTERED, ProjectState.TERMINATED})
"""A project is public from its registration (登録) on."""

PAGE_SIZE = 50


def _matches(row: dict[str, Any], *, methodology: str, prefecture: str, words: list[str]
             ) -> bool:
    if methodology and row["methodology_id"] != methodology:
        return False
    if prefecture and row["prefecture"] != prefecture:
        return False
    text = " ".join(str(row[k] or "") for k in ("no", "implementer", "location", "holder",
                                                "summary", "methodology_id"))
    return all(word in text for word in words)


def _public_view(uow: AbstractUnitOfWork, project: Project) -> dict[str, Any]:
    """A jcredit project in the official list's columns."""
    org = uow.organisations.get(project.implementer_org_id)
    return {"no": project.number, "source": "jcredit",
            "applied_on": project.application_date.isoformat()
            if project.application_date else None,
            "implementer": org.name if org else "",
            "implementer_corporate_number": org.corporate_number if org else None,
            "location": project.address, "prefecture": project.prefecture,
            "holder": org.name if org else "", "summary": project.name,
            "start_date": project.start_date.isoformat(),
            "methodology_id": project.methodology_id,
            "methodology_version": project.methodology_version}


def _native(uow: AbstractUnitOfWork) -> Iterable[dict[str, Any]]:
    for project in uow.projects.find():
        if project.state in PUBLIC_STATES:
            yield _public_view(uow, project)


def projects(uow: AbstractUnitOfWork, *, methodology: str = "", prefecture: str = "",
             q: str = "", page: int = 1) -> dict[str, Any]:
    """One page of the public project list, filtered; ``q`` is words that must all appear
    (in the number, implementer, location, holder, summary or methodology)."""
    words = q.split()
    rows = [{**row, "source": "list"} for row in uow.projects.registered()]
    rows += list(_native(uow))
    found = [row for row in rows
             if _matches(row, methodology=methodology.strip().upper(),
                         prefecture=prefecture.strip(), words=words)]
    page = max(page, 1)
    start = (page - 1) * PAGE_SIZE
    return {"projects": found[start:start + PAGE_SIZE], "count": len(found), "page": page,
            "pages": max(1, -(-len(found) // PAGE_SIZE)),
            "methodologies": sorted({row["methodology_id"] for row in rows}),
            "prefectures": sorted({row["prefecture"] for row in rows if row["prefecture"]})}


def project(uow: AbstractUnitOfWork, number: str) -> dict[str, Any]:
    """One public project: the list's columns, and the credits issued for it by state
    (summed from its issuances, as the statistics are)."""
    rows = [{**row, "source": "list"} for row in uow.projects.registered([number])]
    native = uow.projects.by_number(number)
    if native is not None and native.state in PUBLIC_STATES:
        rows.append(_public_view(uow, native))
    if not rows:
        raise NotFoundError(f"no registered project {number}", field="number")
    issued = [(root, start, end) for root, a, start, end, _ in uow.projections.issuances()
              if a.project_id == number]
    states = {root: Breakdown(issued=end - start + 1) for root, start, end in issued}
    if states:
        for root, kind, reserved, quantity in uow.projections.live_quantities(list(states)):
            states[root].add(state_of(kind, reserved), quantity)
    return rows[0] | {"credits": st.add_up(b.as_dict() for b in states.values()),
                      "issuances": len(states)}


def _prefectures(uow: AbstractUnitOfWork) -> dict[str, str]:
    """Project number → prefecture, for the registered (imported) and jcredit projects."""
    places = {row["no"]: row["prefecture"] for row in uow.projects.registered()}
    places.update({p.number: p.prefecture for p in uow.projects.find()})
    return places


def statistics(uow: AbstractUnitOfWork) -> dict[str, Any]:
    """Credits by state — in total and by category, methodology, credit type, vintage
    (fiscal year) and the project's prefecture —, invalidations by use and offset purpose,
    and each category's invalidation ratio; all summed from the registry's rows (each
    issuance's live blocks, the executed applications), which ``ledger check`` rebuilds
    from the journal."""
    issuances = uow.projections.issuances()
    states: dict[int, Breakdown] = {root: Breakdown(issued=end - start + 1)
                                    for root, _, start, end, _ in issuances}
    for root, kind, reserved, quantity in uow.projections.live_quantities():
        if root in states:
            states[root].add(state_of(kind, reserved), quantity)
    places = _prefectures(uow)
    rows = [(a, states[root].as_dict()) for root, a, *_ in issuances]
    dimensions = {
        "category": st.by((a.category.value, b) for a, b in rows),
        "methodology": st.by((a.methodology_id or "—", b) for a, b in rows),
        "credit_type": st.by((f"{a.scheme.value}-{a.credit_type.value}", b) for a, b in rows),
        "vintage": st.by((a.vintage, b) for a, b in rows),
        "prefecture": st.by((places.get(a.project_id) or "—", b) for a, b in rows),
    }
    uses: dict[str, int] = {}
    purposes: dict[str, int] = {}
    for app in uow.invalidations.list(status=ApplicationStatus.EXECUTED):
        uses[app.use.value] = uses.get(app.use.value, 0) + app.quantity
        if app.offset_purpose is not None:
            key = app.offset_purpose.value
            purposes[key] = purposes.get(key, 0) + app.quantity
    ratios = {category: st.ratio(t["invalidated"] + t["retired"], t["issued"])
              for category, t in dimensions["category"].items()}
    return {"totals": st.add_up(b for _, b in rows), "by": dimensions,
            "invalidations_by_use": dict(sorted(uses.items())),
            "offsets_by_purpose": dict(sorted(purposes.items())),
            "invalidation_ratio": {k: str(v) if v is not None else None
                                   for k, v in ratios.items()}}

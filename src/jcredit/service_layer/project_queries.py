"""Read models for projects: lists per role, the project page, queues and the agenda."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from jcredit.domain.errors import Issue
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.projects.eligibility import CreditingPeriod
from jcredit.domain.projects.eligibility import permanence_end
from jcredit.domain.projects.eligibility import permanence_filings
from jcredit.domain.projects.lifecycle import PERIOD_TRANSITIONS
from jcredit.domain.projects.lifecycle import PROJECT_TRANSITIONS
from jcredit.domain.projects.lifecycle import Party
from jcredit.domain.projects.lifecycle import PeriodState
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.lifecycle import Transition
from jcredit.domain.projects.model import Project
from jcredit.domain.projects.model import activities_without_data
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.handlers.projects import OWNER_ROLES
from jcredit.service_layer.handlers.projects import activity_view
from jcredit.service_layer.handlers.projects import evidence_project
from jcredit.service_layer.handlers.projects import is_forest
from jcredit.service_layer.handlers.projects import methodology_of
from jcredit.service_layer.handlers.projects import party_for
from jcredit.service_layer.handlers.projects import project_by_number
from jcredit.service_layer.handlers.registration import registration_findings
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.views import period_view
from jcredit.service_layer.views import project_view

PRE_REGISTRATION = (ProjectState.PLAN_DRAFT, ProjectState.VALIDATION, ProjectState.VALIDATED,
                    ProjectState.RETURNED, ProjectState.REGISTRATION_APPLIED)


def actions_for(table: tuple[Transition, ...], state: str, party: Party | None) -> list[str]:
    """The actions the viewer may take now (the page offers nothing it would refuse)."""
    if party is None:
        return []
    return sorted({t.action for t in table if t.source == state and party in t.parties})


def can_view_project(actor: Actor, project: Project) -> bool:
    if actor.role in (Role.ADMIN, Role.AUDITOR, Role.COMMITTEE):
        return True
    if actor.role is Role.VERIFIER:
        return project.verifier_org_id is not None and \
            project.verifier_org_id == actor.organisation_id
    return actor.role in OWNER_ROLES and actor.organisation_id == project.implementer_org_id


def _organisation_names(uow: AbstractUnitOfWork) -> dict[int, str]:
    return {o.id: o.name for o in uow.organisations.list()}


def _summary(project: Project, orgs: dict[int, str]) -> dict[str, Any]:
    return {
        "number": project.number, "name": project.name, "state": project.state.value,
        "project_type": project.project_type.value,
        "methodology": f"{project.methodology_id} v{project.methodology_version}",
        "implementer": orgs.get(project.implementer_org_id, ""),
        "verifier": orgs.get(project.verifier_org_id or -1),
        "prefecture": project.prefecture,
    }


def projects_for(uow: AbstractUnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """Projects the actor may see: its own, those it verifies, or all (secretariat,
    committee, auditor)."""
    orgs = _organisation_names(uow)
    return [_summary(p, orgs) for p in uow.projects.find() if can_view_project(actor, p)]


def project_detail(uow: AbstractUnitOfWork, actor: Actor, number: str,
                   today: date | None = None) -> dict[str, Any]:
    """The project page. With ``today``, a project not yet registered also shows the
    eligibility findings as they stand (what the validator will see)."""
    project = project_by_number(uow, number)
    if not can_view_project(actor, project):
        raise PermissionDeniedError(f"project {project.number} is not yours to see")
    holder = uow.accounts.get(project.holder_account_id)
    activities = uow.projects.activities(project.id)
    periods = uow.projects.periods(project.id)
    documents = uow.projects.documents(project.id)
    try:
        party: Party | None = party_for(actor, project)
    except PermissionDeniedError:  # auditors and others who only look
        party = None
    period_views = []
    for period in periods:
        view = period_view(period)
        view["allowed_actions"] = actions_for(PERIOD_TRANSITIONS, period.state, party)
        view["missing"] = activities_without_data(activities, period)
        view["with_data"] = len(period.data)
        view["issued"] = uow.projects.period_issuances(period.id)
        period_views.append(view)
    flags = uow.projects.external_matches([a.site_key for a in activities])
    double_registration = [
        {"activity": a.code, "address": a.address, "registered_in": flags[a.site_key]}
        for a in activities if a.site_key in flags]
    eligibility = []
    if project.state in PRE_REGISTRATION and (today or project.application_date):
        when = project.application_date or today
        assert when is not None
        eligibility = [f.as_dict() for f in registration_findings(
            project, activities, methodology_of(project), when)]
    permanence: dict[str, Any] = {}
    m = methodology_of(project)
    if is_forest(m) and project.crediting_start and project.crediting_end:
        crediting = CreditingPeriod(project.crediting_start, project.crediting_end,
                                    project.crediting_years, capped=False)
        filings = permanence_filings(crediting)
        permanence = {"until": permanence_end(crediting).isoformat(),
                      "last_filing": filings[-1].isoformat() if filings else None,
                      "filings": [d.isoformat() for d in filings]}
    return project_view(project, holder_account=holder.number if holder else None) | _summary(
        project, _organisation_names(uow)) | {
        "eligibility": eligibility,
        "double_registration": double_registration,
        "permanence": permanence,
        "allowed_actions": actions_for(PROJECT_TRANSITIONS, project.state, party),
        "next_steps": [{"action": t.action, "parties": [x.value for x in t.parties]}
                       for t in PROJECT_TRANSITIONS if t.source == project.state],
        "activities": [activity_view(a) for a in activities],
        "expected_tco2_per_year": str(sum(a.expected_tco2_per_year for a in activities)),
        "periods": period_views,
        "timeline": [
            {"at": e.at, "actor": e.actor, "action": e.action, "from_state": e.from_state,
             "to_state": e.to_state, "comment": e.comment, "period": e.period_number,
             "journal_seq": e.journal_seq}
            for e in uow.projects.events(project.id)],
        "evidence": [
            {"sha256": e.sha256, "filename": e.filename, "media_type": e.media_type,
             "size": e.size, "uploaded_by": e.uploaded_by, "uploaded_at": e.uploaded_at}
            for e in uow.projects.evidence(project.id)],
        "documents": [
            {"kind": d.kind, "version": d.version, "period": d.period_number,
             "sha256": d.sha256, "created_by": d.created_by, "created_at": d.created_at}
            for d in documents],
    }


def activity_codes(uow: AbstractUnitOfWork, actor: Actor, number: str) -> list[str]:
    """The codes of a project's activities (to check a file of monitored values against)."""
    return [a["code"] for a in activities(uow, actor, number)]


def activities(uow: AbstractUnitOfWork, actor: Actor, number: str) -> list[dict[str, Any]]:
    """A project's activities as the registry records them now (the plan lists them)."""
    project = project_by_number(uow, number)
    if not can_view_project(actor, project):
        raise PermissionDeniedError(f"project {project.number} is not yours to see")
    return [activity_view(a) for a in uow.projects.activities(project.id)]


def document(uow: AbstractUnitOfWork, actor: Actor, number: str, kind: str, version: int | None,
             period: int | None) -> dict[str, Any]:
    project = project_by_number(uow, number)
    if not can_view_project(actor, project):
        raise PermissionDeniedError(f"project {project.number} is not yours to see")
    matches = [d for d in uow.projects.documents(project.id)
               if d.kind == kind.upper() and d.period_number == period]
    if version is not None:
        matches = [d for d in matches if d.version == version]
    if not matches:
        raise NotFoundError(f"no {kind} document for {project.number}", field="kind")
    d = matches[-1]
    return {"project": project.number, "kind": d.kind, "version": d.version,
            "period": d.period_number, "sha256": d.sha256, "created_by": d.created_by,
            "created_at": d.created_at, "content": json.loads(d.content)}


def work_queue(uow: AbstractUnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """What waits on the actor: validations and verifications for a 審査機関, decisions for
    the committee, issuance for the secretariat, corrections for an implementer."""
    waiting: list[dict[str, Any]] = []
    orgs = _organisation_names(uow)
    for project in uow.projects.find():
        if not can_view_project(actor, project):
            continue
        summary = _summary(project, orgs)
        if actor.role is Role.VERIFIER and project.state is ProjectState.VALIDATION:
            waiting.append(summary | {"task": "validation", "period": None})
        if actor.role in (Role.COMMITTEE, Role.ADMIN) and \
                project.state is ProjectState.REGISTRATION_APPLIED:
            waiting.append(summary | {"task": "registration", "period": None})
        if actor.role is Role.ADMIN and uow.projects.external_matches(
                [a.site_key for a in uow.projects.activities(project.id)]):
            waiting.append(summary | {"task": "double_registration", "period": None})
        if actor.role in OWNER_ROLES and project.state is ProjectState.RETURNED:
            waiting.append(summary | {"task": "correction", "period": None})
        for period in uow.projects.periods(project.id):
            task = None
            if actor.role is Role.VERIFIER and period.state is PeriodState.VERIFICATION:
                task = "verification"
            elif actor.role is Role.COMMITTEE and \
                    period.state is PeriodState.CERTIFICATION_APPLIED:
                task = "certification"
            elif actor.role is Role.ADMIN and period.state is PeriodState.CERTIFIED:
                task = "issuance"
            elif actor.role in OWNER_ROLES and period.state in (PeriodState.MONITORING,
                                                                PeriodState.RETURNED):
                task = "monitoring"
            if task:
                waiting.append(summary | {"task": task, "period": period.number,
                                          "preview": period.result.get("preview", [])})
    return waiting


def check_may_attach_evidence(uow: AbstractUnitOfWork, actor: Actor, number: str) -> None:
    """Refuse, before an upload is read, a caller who may not attach evidence here."""
    evidence_project(uow, actor, number)


def evidence_file(uow: AbstractUnitOfWork, actor: Actor, number: str, sha256: str
                  ) -> dict[str, Any]:
    project = project_by_number(uow, number)
    if not can_view_project(actor, project):
        raise PermissionDeniedError(f"project {project.number} is not yours to see")
    for e in uow.projects.evidence(project.id):
        if e.sha256 == sha256:
            return {"sha256": e.sha256, "filename": e.filename, "media_type": e.media_type}
    raise NotFoundError(f"project {project.number} has no evidence {sha256}", field="sha256")


DECISIONS = ("register", "certify", "return", "issue", "terminate")


def agenda(uow: AbstractUnitOfWork, actor: Actor) -> dict[str, Any]:
    """The committee's agenda: what awaits a decision, and the decisions already taken
    (registrations, certifications with their amounts, returns), newest first."""
    if actor.role not in (Role.COMMITTEE, Role.ADMIN, Role.AUDITOR):
        raise PermissionDeniedError("the agenda is for the committee, the secretariat and "
                                    "auditors")
    pending = [q for q in work_queue(uow, Actor(name=actor.name, role=Role.COMMITTEE))
               if q["task"] in ("registration", "certification")]
    decided: list[dict[str, Any]] = []
    for project in uow.projects.find():
        periods = {p.number: p for p in uow.projects.periods(project.id)}
        for event in uow.projects.events(project.id):
            if event.action not in DECISIONS:
                continue
            period = periods.get(event.period_number or -1)
            decided.append({
                "at": event.at, "project": project.number, "name": project.name,
                "action": event.action, "period": event.period_number,
                "to_state": event.to_state, "comment": event.comment, "actor": event.actor,
                "credits": sum(a["credits"] for a in period.certified)
                if period and event.action == "certify" else None,
                "journal_seq": event.journal_seq})
    decided.sort(key=lambda d: d["at"], reverse=True)
    return {"pending": pending, "decided": decided}


def project_issues(uow: AbstractUnitOfWork) -> list[Issue]:
    """Checks that tie projects to the registry, for ``ledger check``: every issued period
    has exactly its certified credits, issued once, with the project's attributes, and no
    two monitoring periods of a project overlap."""
    issues: list[Issue] = []
    for project in uow.projects.find():
        periods = [p for p in uow.projects.periods(project.id)
                   if p.state is not PeriodState.WITHDRAWN]
        ordered = sorted(periods, key=lambda p: p.start)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.start <= before.end:
                issues.append(Issue("PERIOD_OVERLAP", f"periods {before.number} and "
                                    f"{after.number} overlap", project.number))
        for period in periods:
            subject = f"{project.number} period {period.number}"
            issued = uow.projects.period_issuances(period.id)
            certified = {int(a["vintage"]): int(a["credits"]) for a in period.certified
                         if int(a["credits"]) > 0}
            if period.state is PeriodState.ISSUED:
                got = {i["vintage"]: i["quantity"] for i in issued}
                if got != certified:
                    issues.append(Issue("ISSUED_NOT_CERTIFIED", f"issued {got} but certified "
                                        f"{certified}", subject))
            elif issued:
                issues.append(Issue("ISSUED_TOO_EARLY", f"credits issued while the period is "
                                    f"{period.state}", subject))
            for item in issued:
                found = uow.blocks.issuance(item["root_id"])
                if found is None:
                    issues.append(Issue("ISSUANCE_MISSING", f"issuance {item['root_id']} "
                                        "is not in the registry", subject))
                    continue
                attributes, serials = found
                if (attributes.project_id != project.number
                        or attributes.certification_number != period.certification_number
                        or attributes.vintage != item["vintage"]
                        or serials.quantity != item["quantity"]):
                    issues.append(Issue("ISSUANCE_ATTRIBUTES", f"issuance {item['root_id']} "
                                        "does not match the certification", subject))
    return issues


def period_results_rows(uow: AbstractUnitOfWork, actor: Actor, number: str,
                        period_number: int) -> list[dict[str, str]]:
    """One row per activity and vintage of a monitoring period: what a verifier samples."""
    project = project_by_number(uow, number)
    if not can_view_project(actor, project):
        raise PermissionDeniedError(f"project {project.number} is not yours to see")
    period = next((p for p in uow.projects.periods(project.id) if p.number == period_number),
                  None)
    if period is None or not period.result:
        raise NotFoundError(f"project {project.number} has no calculated period "
                            f"{period_number}", field="period")
    activities = {a.code: a for a in uow.projects.activities(project.id)}
    rows = []
    for code, summary in sorted(period.result.get("activities", {}).items()):
        inputs = period.data.get(code, {})
        for vintage, reduction in sorted(summary["vintages"].items()):
            activity = activities.get(code)
            rows.append({
                "project": project.number, "period": str(period.number), "activity": code,
                "address": activity.address if activity else "",
                "vintage": vintage, "reduction_tco2": reduction,
                "inputs": ";".join(f"{k}={v}" for k, v in sorted(inputs.items())),
                "unverified_factors": ";".join(summary["unverified_factors"]),
                "findings": ";".join(summary["findings"]),
            })
    return rows

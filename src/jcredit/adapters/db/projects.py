"""SQLAlchemy Core repository for projects, activities, monitoring periods and their records.

Dates are stored as ISO text, quantities as decimal text, nested content as canonical
JSON: what is read back is exactly what was written.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from jcredit.adapters.db import tables as t
from jcredit.domain.ledger.journal import canonical_json
from jcredit.domain.projects.lifecycle import PeriodState
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.model import Activity
from jcredit.domain.projects.model import MonitoringPeriod
from jcredit.domain.projects.model import Project
from jcredit.domain.projects.model import ProjectType
from jcredit.service_layer.unit_of_work import DocumentRecord
from jcredit.service_layer.unit_of_work import EvidenceRecord
from jcredit.service_layer.unit_of_work import ProjectEvent


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _project(row: Any) -> Project:
    return Project(
        id=row.id, number=row.number, name=row.name,
        project_type=ProjectType(row.project_type), methodology_id=row.methodology_id,
        methodology_version=row.methodology_version, implementer_org_id=row.implementer_org_id,
        holder_account_id=row.holder_account_id, state=ProjectState(row.state),
        prefecture=row.prefecture, address=row.address,
        start_date=date.fromisoformat(row.start_date),
        monitoring_start=date.fromisoformat(row.monitoring_start),
        crediting_years=row.crediting_years, keidanren=bool(row.keidanren),
        additionality=json.loads(row.additionality), plan=json.loads(row.plan),
        created_at=row.created_at, verifier_org_id=row.verifier_org_id,
        returned_from=row.returned_from, application_date=_d(row.application_date),
        registered_on=_d(row.registered_on), crediting_start=_d(row.crediting_start),
        crediting_end=_d(row.crediting_end),
    )


def _project_values(p: Project) -> dict[str, Any]:
    return {
        "id": p.id, "number": p.number, "name": p.name, "project_type": p.project_type.value,
        "methodology_id": p.methodology_id, "methodology_version": p.methodology_version,
        "implementer_org_id": p.implementer_org_id, "holder_account_id": p.holder_account_id,
        "verifier_org_id": p.verifier_org_id, "state": p.state.value,
        "returned_from": p.returned_from, "prefecture": p.prefecture, "address": p.address,
        "start_date": p.start_date.isoformat(), "monitoring_start": p.monitoring_start.isoformat(),
        "application_date": _iso(p.application_date), "registered_on": _iso(p.registered_on),
        "crediting_years": p.crediting_years, "crediting_start": _iso(p.crediting_start),
        "crediting_end": _iso(p.crediting_end), "keidanren": int(p.keidanren),
        "additionality": canonical_json(p.additionality), "plan": canonical_json(p.plan),
        "created_at": p.created_at,
    }


def _activity(row: Any) -> Activity:
    return Activity(
        id=row.id, project_id=row.project_id, code=row.code, address=row.address,
        site_key=row.site_key, operation_start=date.fromisoformat(row.operation_start),
        expected_tco2_per_year=Decimal(row.expected_tco2_per_year),
        household=bool(row.household), inputs=json.loads(row.inputs),
        added_on=date.fromisoformat(row.added_on), crediting_start=_d(row.crediting_start),
        crediting_end=_d(row.crediting_end),
    )


def _activity_values(a: Activity) -> dict[str, Any]:
    return {
        "id": a.id, "project_id": a.project_id, "code": a.code, "address": a.address,
        "site_key": a.site_key, "operation_start": a.operation_start.isoformat(),
        "expected_tco2_per_year": str(a.expected_tco2_per_year), "household": int(a.household),
        "inputs": canonical_json(a.inputs), "added_on": a.added_on.isoformat(),
        "crediting_start": _iso(a.crediting_start), "crediting_end": _iso(a.crediting_end),
    }


def _event_values(event: ProjectEvent) -> dict[str, Any]:
    return {
        "project_id": event.project_id, "period_number": event.period_number,
        "action": event.action, "from_state": event.from_state, "to_state": event.to_state,
        "actor": event.actor, "at": event.at, "comment": event.comment,
        "journal_seq": event.journal_seq,
    }


def _period(row: Any) -> MonitoringPeriod:
    return MonitoringPeriod(
        id=row.id, project_id=row.project_id, number=row.number,
        start=date.fromisoformat(row.period_start), end=date.fromisoformat(row.period_end),
        state=PeriodState(row.state), data=json.loads(row.data), result=json.loads(row.result),
        certified=json.loads(row.certified), certification_number=row.certification_number,
        returned_from=row.returned_from,
    )


def _period_values(m: MonitoringPeriod) -> dict[str, Any]:
    return {
        "id": m.id, "project_id": m.project_id, "number": m.number,
        "period_start": m.start.isoformat(), "period_end": m.end.isoformat(),
        "state": m.state.value, "returned_from": m.returned_from,
        "data": canonical_json(m.data), "result": canonical_json(m.result),
        "certified": canonical_json(m.certified),
        "certification_number": m.certification_number,
    }


def _next_id(connection: Connection, column: Any) -> int:
    # Safe: called only under the registry write lock.
    return int(connection.execute(select(func.max(column))).scalar() or 0) + 1


class SqlProjectRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    # projects
    def next_id(self) -> int:
        return _next_id(self.c, t.projects.c.id)

    def add(self, project: Project) -> None:
        self.c.execute(insert(t.projects).values(**_project_values(project)))

    def update(self, project: Project) -> None:
        values = _project_values(project)
        values.pop("id")
        self.c.execute(update(t.projects).where(t.projects.c.id == project.id).values(**values))

    def get(self, project_id: int) -> Project | None:
        row = self.c.execute(select(t.projects).where(t.projects.c.id == project_id)).first()
        return _project(row) if row else None

    def by_number(self, number: str) -> Project | None:
        row = self.c.execute(select(t.projects).where(t.projects.c.number == number)).first()
        return _project(row) if row else None

    def find(self, *, organisation_id: int | None = None, verifier_org_id: int | None = None,
             states: tuple[str, ...] | None = None) -> list[Project]:
        query = select(t.projects).order_by(t.projects.c.id)
        if organisation_id is not None:
            query = query.where(t.projects.c.implementer_org_id == organisation_id)
        if verifier_org_id is not None:
            query = query.where(t.projects.c.verifier_org_id == verifier_org_id)
        if states is not None:
            query = query.where(t.projects.c.state.in_(list(states)))
        return [_project(r) for r in self.c.execute(query)]

    # activities
    def next_activity_id(self) -> int:
        return _next_id(self.c, t.activities.c.id)

    def add_activity(self, activity: Activity) -> None:
        self.c.execute(insert(t.activities).values(**_activity_values(activity)))

    def add_activities(self, activities: list[Activity]) -> None:
        """One INSERT for many rows (executemany): a file of activities in one statement."""
        if activities:
            self.c.execute(insert(t.activities), [_activity_values(a) for a in activities])

    def update_activity(self, activity: Activity) -> None:
        values = _activity_values(activity)
        values.pop("id")
        self.c.execute(update(t.activities).where(t.activities.c.id == activity.id)
                       .values(**values))

    def remove_activity(self, activity_id: int) -> None:
        self.c.execute(delete(t.activities).where(t.activities.c.id == activity_id))

    def activities(self, project_id: int) -> list[Activity]:
        rows = self.c.execute(select(t.activities).where(t.activities.c.project_id == project_id)
                              .order_by(t.activities.c.id))
        return [_activity(r) for r in rows]

    def site_registrations(self, site_keys: list[str]) -> dict[str, str]:
        """Where each of ``site_keys`` is already registered: key → "project/activity"."""
        if not site_keys:
            return {}
        rows = self.c.execute(
            select(t.activities.c.site_key, t.activities.c.code, t.projects.c.number)
            .join(t.projects, t.projects.c.id == t.activities.c.project_id)
            .where(t.activities.c.site_key.in_(site_keys))
        )
        return {r.site_key: f"{r.number}/{r.code}" for r in rows}

    def add_external(self, *, site_key: str, scheme: str, reference: str, address: str,
                     imported_at: str) -> bool:
        exists = self.c.execute(select(t.external_registrations.c.site_key).where(
            t.external_registrations.c.site_key == site_key,
            t.external_registrations.c.scheme == scheme)).first()
        if exists:
            return False
        self.c.execute(insert(t.external_registrations).values(
            site_key=site_key, scheme=scheme, reference=reference, address=address,
            imported_at=imported_at))
        return True

    # projects registered before jcredit (the official list)
    def registered(self, nos: list[str] | None = None) -> list[dict[str, Any]]:
        """The imported rows (of the numbers given, or all), in the list's order."""
        r = t.registered_projects
        query = select(r)
        if nos is not None:
            query = query.where(r.c.no.in_(nos))
        rows = [dict(row._mapping) for row in self.c.execute(query)]
        return sorted(rows, key=lambda row: (len(row["no"]), row["no"]))

    def put_registered(self, row: dict[str, Any], *, new: bool) -> None:
        r = t.registered_projects
        if new:
            self.c.execute(insert(r).values(**row))
        else:
            self.c.execute(update(r).where(r.c.no == row["no"]).values(**row))

    def external_matches(self, site_keys: list[str]) -> dict[str, str]:
        """Site keys registered in another scheme: key → "scheme reference"."""
        if not site_keys:
            return {}
        rows = self.c.execute(select(t.external_registrations)
                              .where(t.external_registrations.c.site_key.in_(site_keys)))
        return {r.site_key: f"{r.scheme} {r.reference}" for r in rows}

    # monitoring periods
    def next_period_id(self) -> int:
        return _next_id(self.c, t.monitoring_periods.c.id)

    def add_period(self, period: MonitoringPeriod) -> None:
        self.c.execute(insert(t.monitoring_periods).values(**_period_values(period)))

    def update_period(self, period: MonitoringPeriod) -> None:
        values = _period_values(period)
        values.pop("id")
        self.c.execute(update(t.monitoring_periods)
                       .where(t.monitoring_periods.c.id == period.id).values(**values))

    def periods(self, project_id: int) -> list[MonitoringPeriod]:
        rows = self.c.execute(select(t.monitoring_periods)
                              .where(t.monitoring_periods.c.project_id == project_id)
                              .order_by(t.monitoring_periods.c.number))
        return [_period(r) for r in rows]

    def add_period_issuance(self, *, period_id: int, vintage: int, root_id: int,
                            quantity: int) -> None:
        self.c.execute(insert(t.period_issuances).values(
            period_id=period_id, vintage=vintage, root_id=root_id, quantity=quantity))

    def period_issuances(self, period_id: int) -> list[dict[str, int]]:
        rows = self.c.execute(select(t.period_issuances)
                              .where(t.period_issuances.c.period_id == period_id)
                              .order_by(t.period_issuances.c.vintage))
        return [{"vintage": r.vintage, "root_id": r.root_id, "quantity": r.quantity}
                for r in rows]

    # timeline, documents, evidence
    def add_event(self, event: ProjectEvent) -> None:
        self.c.execute(insert(t.project_events).values(**_event_values(event)))

    def add_events(self, events: list[ProjectEvent]) -> None:
        if events:
            self.c.execute(insert(t.project_events), [_event_values(e) for e in events])

    def events(self, project_id: int) -> list[ProjectEvent]:
        rows = self.c.execute(select(t.project_events)
                              .where(t.project_events.c.project_id == project_id)
                              .order_by(t.project_events.c.id))
        return [ProjectEvent(r.project_id, r.period_number, r.action, r.from_state, r.to_state,
                             r.actor, r.at, r.comment, r.journal_seq) for r in rows]

    def add_document(self, document: DocumentRecord) -> None:
        self.c.execute(insert(t.documents).values(
            project_id=document.project_id, period_number=document.period_number,
            kind=document.kind, version=document.version, content=document.content,
            sha256=document.sha256, created_by=document.created_by,
            created_at=document.created_at))

    def document_versions(self, project_id: int, kind: str, period_number: int | None) -> int:
        """How many versions of this document exist (without reading their content)."""
        period = (t.documents.c.period_number.is_(None) if period_number is None
                  else t.documents.c.period_number == period_number)
        return int(self.c.execute(
            select(func.count()).select_from(t.documents)
            .where(t.documents.c.project_id == project_id, t.documents.c.kind == kind, period)
        ).scalar() or 0)

    def documents(self, project_id: int) -> list[DocumentRecord]:
        rows = self.c.execute(select(t.documents).where(t.documents.c.project_id == project_id)
                              .order_by(t.documents.c.id))
        return [DocumentRecord(r.project_id, r.period_number, r.kind, r.version, r.content,
                               r.sha256, r.created_by, r.created_at) for r in rows]

    def add_evidence(self, evidence: EvidenceRecord) -> None:
        self.c.execute(insert(t.evidence_files).values(
            sha256=evidence.sha256, project_id=evidence.project_id, filename=evidence.filename,
            media_type=evidence.media_type, size=evidence.size,
            uploaded_by=evidence.uploaded_by, uploaded_at=evidence.uploaded_at))

    def evidence(self, project_id: int) -> list[EvidenceRecord]:
        rows = self.c.execute(select(t.evidence_files)
                              .where(t.evidence_files.c.project_id == project_id)
                              .order_by(t.evidence_files.c.uploaded_at))
        return [EvidenceRecord(r.sha256, r.project_id, r.filename, r.media_type, r.size,
                               r.uploaded_by, r.uploaded_at) for r in rows]

    # accreditations
    def accredit(self, organisation_id: int, scope: str, *, granted_at: str) -> None:
        self.c.execute(insert(t.accreditations).values(
            organisation_id=organisation_id, scope=scope, granted_at=granted_at))

    def scopes(self, organisation_id: int) -> list[str]:
        rows = self.c.execute(select(t.accreditations.c.scope)
                              .where(t.accreditations.c.organisation_id == organisation_id)
                              .order_by(t.accreditations.c.scope))
        return [r.scope for r in rows]

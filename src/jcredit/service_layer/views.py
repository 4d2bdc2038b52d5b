"""Plain-dict renderings of domain records, shared by command results and queries."""

from __future__ import annotations

from datetime import date
from typing import Any

from jcredit.domain.ledger.accounts import Account
from jcredit.domain.ledger.blocks import Block
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.invalidations import InvalidationApplication
from jcredit.domain.ledger.serials import SerialRange
from jcredit.domain.organisations import Organisation
from jcredit.domain.projects.model import MonitoringPeriod
from jcredit.domain.projects.model import Project


def render_serials(attributes: CreditAttributes, serials: SerialRange) -> str:
    """Text form of a serial range, e.g. ``JC-ER-C2025-0001-0000000001-0000000100``."""
    return f"{attributes.serial_prefix()}-{serials.start:010d}-{serials.end:010d}"


def attributes_view(a: CreditAttributes) -> dict[str, Any]:
    """The attributes every credit of an issuance shares, as the API shows them."""
    return {
        "scheme": a.scheme.value,
        "credit_type": a.credit_type.value,
        "category": a.category.value,
        "project_id": a.project_id,
        "methodology": f"{a.methodology_id} v{a.methodology_version}",
        "certification_number": a.certification_number,
        "vintage": a.vintage,
    }


def block_view(block: Block) -> dict[str, Any]:
    return {
        "block_id": block.id,
        "serials": render_serials(block.attributes, block.serials),
        "first_serial": block.serials.start,
        "last_serial": block.serials.end,
        "quantity": block.quantity,
        **attributes_view(block.attributes),
        "reserved_for": block.reservation_id,
    }


def account_view(account: Account) -> dict[str, Any]:
    return {
        "number": account.number,
        "kind": account.kind.value,
        "organisation_id": account.organisation_id,
        "name": account.name,
    }


def organisation_view(org: Organisation) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "corporate_number": org.corporate_number}


def application_view(app: InvalidationApplication, account_number: str) -> dict[str, Any]:
    return {
        "id": app.id,
        "account": account_number,
        "quantity": app.quantity,
        "designation": "SERIALS" if app.serials else "QUANTITY",
        "serials": str(app.serials) if app.serials else None,
        "use": app.use.value,
        "offset_purpose": app.offset_purpose.value if app.offset_purpose else None,
        "purpose_details": app.purpose_details,
        "credit_user_name": app.credit_user_name,
        "credit_user_corporate_number": app.credit_user_corporate_number,
        "fiscal_year": app.reporting_fiscal_year,
        "status": app.status.value,
        "applied_at": app.applied_at,
        "applied_by": app.applied_by,
        "executed_at": app.executed_at,
        "executed_by": app.executed_by,
        "notice_number": app.notice_number,
        "published": app.published,
    }


def project_view(project: Project, *, holder_account: str | None = None) -> dict[str, Any]:
    def iso(day: date | None) -> str | None:
        return day.isoformat() if day else None

    return {
        "number": project.number,
        "name": project.name,
        "project_type": project.project_type.value,
        "methodology": f"{project.methodology_id} v{project.methodology_version}",
        "methodology_id": project.methodology_id,
        "methodology_version": project.methodology_version,
        "state": project.state.value,
        "returned_from": project.returned_from,
        "prefecture": project.prefecture,
        "address": project.address,
        "start_date": project.start_date.isoformat(),
        "monitoring_start": project.monitoring_start.isoformat(),
        "application_date": iso(project.application_date),
        "registered_on": iso(project.registered_on),
        "crediting_years": project.crediting_years,
        "crediting_start": iso(project.crediting_start),
        "crediting_end": iso(project.crediting_end),
        "keidanren": project.keidanren,
        "additionality": project.additionality,
        "plan": project.plan,
        "holder_account": holder_account,
        "created_at": project.created_at,
    }


def period_view(period: MonitoringPeriod) -> dict[str, Any]:
    return {
        "number": period.number,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "state": period.state.value,
        "returned_from": period.returned_from,
        "result": period.result,
        "certified": period.certified,
        "certification_number": period.certification_number,
    }

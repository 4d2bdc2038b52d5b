"""Projects, their reduction activities and monitoring periods (pure data).

A project (通常型 or プログラム型) binds a methodology version, an implementer, the holding
account its credits go to and a validation/verification body. A normal-type project has
one activity (its site); a programme-type project bundles many, which may be added after
registration, each with its own crediting period. Credits are certified and issued per
monitoring period.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from jcredit.domain.projects.lifecycle import PeriodState
from jcredit.domain.projects.lifecycle import ProjectState


class ProjectType(StrEnum):
    NORMAL = "NORMAL"  # 通常型
    PROGRAMME = "PROGRAMME"  # プログラム型


PROJECT_TYPE_LABELS_JA = {ProjectType.NORMAL: "通常型", ProjectType.PROGRAMME: "プログラム型"}


@dataclass
class Project:
    """A J-Credit project.

    Attributes:
        number: public number, e.g. ``JCP-000001``.
        additionality: the payback inputs and any exemption, as filed.
        plan: further structured content of the プロジェクト計画書.
    """

    id: int
    number: str
    name: str
    project_type: ProjectType
    methodology_id: str
    methodology_version: str
    implementer_org_id: int
    holder_account_id: int
    state: ProjectState
    prefecture: str
    address: str
    start_date: date
    monitoring_start: date
    crediting_years: int
    keidanren: bool
    additionality: dict[str, Any]
    plan: dict[str, Any]
    created_at: str
    verifier_org_id: int | None = None
    returned_from: str | None = None
    application_date: date | None = None
    registered_on: date | None = None
    crediting_start: date | None = None
    crediting_end: date | None = None


@dataclass
class Activity:
    """A reduction activity (削減活動): a household, a site, a forest area."""

    id: int
    project_id: int
    code: str
    address: str
    site_key: str
    operation_start: date
    expected_tco2_per_year: Decimal
    household: bool
    inputs: dict[str, Any]  # static methodology inputs (factor method, plan factors …)
    added_on: date
    crediting_start: date | None = None
    crediting_end: date | None = None


@dataclass
class MonitoringPeriod:
    """One monitoring period: its data, calculation, certification and issuance."""

    id: int
    project_id: int
    number: int
    start: date
    end: date
    state: PeriodState
    data: dict[str, Any] = field(default_factory=dict)  # activity code → inputs
    result: dict[str, Any] = field(default_factory=dict)  # calculation summary
    certified: list[dict[str, Any]] = field(default_factory=list)  # per vintage
    certification_number: str | None = None
    returned_from: str | None = None


def activities_without_data(activities: list[Activity], period: MonitoringPeriod) -> list[str]:
    """The codes of the activities expected to report in ``period`` that have no data in it:
    operating by the period's end and, once known, credited during some of it. A verifier
    must see them before the period is submitted (docs/ui.md, "Data entry").

    >>> from datetime import date
    >>> a = Activity(1, 1, "HH-1", "", "", date(2025, 4, 1), Decimal(1), True, {},
    ...              date(2025, 4, 1))
    >>> b = Activity(2, 1, "HH-2", "", "", date(2027, 4, 1), Decimal(1), True, {},
    ...              date(2025, 4, 1))
    >>> p = MonitoringPeriod(1, 1, 1, date(2026, 4, 1), date(2027, 3, 31),
    ...                      PeriodState.MONITORING, data={})
    >>> activities_without_data([a, b], p)
    ['HH-1']
    """
    return sorted(
        a.code for a in activities
        if a.code not in period.data and a.operation_start <= period.end
        and (a.crediting_start is None or a.crediting_start <= period.end)
        and (a.crediting_end is None or a.crediting_end >= period.start))

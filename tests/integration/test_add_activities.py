"""A file of activities is one command: every row checked first, every problem reported,
all rows written or none (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from jcredit.bootstrap import Registry
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import ValidationError
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries
from tests.integration.test_projects import World


def row(i: int, **changes: Any) -> dict[str, object]:
    return {"code": f"HH-{i:03d}", "address": f"岐阜県岐阜市長良{i}-1",
            "operation_start": "2025-06-01", "expected_tco2_per_year": "1.5",
            "household": True} | changes


def draft(w: World) -> str:
    return str(w.run(w.operator, c.CreateProject(
        name="一括追加", project_type="PROGRAMME", methodology="EN-R-002",
        holder_account=w.account, prefecture="岐阜県", address="岐阜県岐阜市薮田南2-1-1",
        start_date="2025-06-01", monitoring_start="2026-12-01"))["number"])


def state(w: World, project: str) -> tuple[int, int]:
    with w.registry.uow(write=False) as uow:
        found = uow.projects.by_number(project)
        assert found is not None
        return len(uow.projects.activities(found.id)), w.journal_length()


def test_every_problem_is_reported_and_nothing_is_written(registry: Registry) -> None:
    w = World(registry)
    project = draft(w)
    w.run(w.operator, c.AddActivity(project=project, **row(1)))  # type: ignore[arg-type]
    before = state(w, project)
    rows = (row(2), row(3, operation_start="not-a-date"), row(1),  # HH-001 exists
            row(4, address="岐阜県岐阜市長良2-1"),  # the site of line 3
            row(5, expected_tco2_per_year="600", household="maybe"),
            row(6, inputs={"no_such_input": "1"}), row(7, colour="red"))
    with pytest.raises(ValidationError) as raised:
        w.run(w.operator, c.AddActivities(project=project, activities=rows,
                                          lines=tuple(range(2, 9))))
    found = [(e["line"], e["column"]) for e in raised.value.errors or ()]
    assert found == [(3, "operation_start"), (4, "code"), (5, "address"),
                     (6, "expected_tco2_per_year"), (6, "household"),
                     (7, "inputs.no_such_input"), (8, "colour")]
    assert state(w, project) == before
    # corrected, the same rows go in together: one journal entry and one event per activity
    good = tuple(row(i) for i in range(2, 9))
    added = w.run(w.operator, c.AddActivities(project=project, activities=good))
    assert added["added"] == 7
    assert state(w, project) == (before[0] + 7, before[1] + 7)
    with w.registry.uow(write=False) as uow:
        assert queries.check_ledger(uow).ok  # the journal chain holds


def test_only_conflicts_are_a_conflict_and_one_row_keeps_its_field(registry: Registry) -> None:
    w = World(registry)
    project = draft(w)
    w.run(w.operator, c.AddActivities(project=project, activities=(row(1),)))
    with pytest.raises(ConflictError) as conflict:
        w.run(w.operator, c.AddActivities(project=project, activities=(row(1), row(2)),
                                          lines=(2, 3)))
    assert [e["line"] for e in conflict.value.errors or ()] == [2]
    with pytest.raises(ConflictError) as single:
        w.run(w.operator, c.AddActivity(project=project, **row(1)))  # type: ignore[arg-type]
    assert single.value.field == "code" and not single.value.errors
    with pytest.raises(ValidationError) as empty:
        w.run(w.operator, c.AddActivities(project=project, activities=()))
    assert empty.value.field == "activities"

"""Import of the projects registered before jcredit (issue 16): the good lines land, the
bad one is reported, a second import changes nothing (not even the journal); a changed row
is updated; only the secretariat may import."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import PermissionDeniedError
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from tests.unit.test_registered_projects import LIST


def journal_size(registry: Registry) -> int:
    with registry.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM journal")).scalar_one())


def test_import_is_per_line_and_idempotent(registry: Registry) -> None:
    command = c.ImportRegisteredProjects(rows=tuple(LIST), first_line=2)
    first = registry.bus.handle(command, actor=SYSTEM_ACTOR).data
    assert (first["added"], first["updated"], first["unchanged"]) == (2, 0, 0)
    assert [(p["line"], p["field"]) for p in first["problems"]] == [
        (3, "holder_corporate_number"), (5, "no"), (6, "start_date")]
    with registry.uow(write=False) as uow:
        stored = uow.projects.registered()
    assert [(r["no"], r["methodology_id"], r["methodology_version"], r["prefecture"])
            for r in stored] == [("10", "FO-001", "2.0", "北海道"), ("243", "FO-001", "2.4",
                                                                      "千葉県")]
    size = journal_size(registry)
    again = registry.bus.handle(command, actor=SYSTEM_ACTOR).data
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert journal_size(registry) == size  # nothing changed, nothing journaled
    changed = [dict(LIST[0]) | {"概要": "町有林における森林経営活動(拡大)"}]
    third = registry.bus.handle(c.ImportRegisteredProjects(rows=tuple(changed)),
                                actor=SYSTEM_ACTOR).data
    assert (third["added"], third["updated"]) == (0, 1)
    with registry.uow(write=False) as uow:
        assert uow.projects.registered(["10"])[0]["summary"].endswith("(拡大)")
        assert queries.check_ledger(uow).ok
    with pytest.raises(PermissionDeniedError):
        registry.bus.handle(command, actor=Actor(name="h", role=Role.HOLDER,
                                                 organisation_id=1))

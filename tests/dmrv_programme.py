"""A registered household-PV programme whose simulated households sent two weeks of data
(docs/dmrv.md §9–§12): the setting of the settlement, proof, reproduce and HOLD-decision
tests (e2e and in Chromium)."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

from jcredit.adapters.dmrv.simulator import Fleet
from jcredit.adapters.dmrv.simulator import simulate_fleet
from jcredit.bootstrap import Registry
from jcredit.entrypoints.demo import VERIFIER_ORG
from jcredit.entrypoints.demo import seed_demo
from jcredit.entrypoints.dmrv_fleet import ingest_fleet
from jcredit.entrypoints.dmrv_fleet import register_fleet
from jcredit.service_layer import commands as c
from jcredit.service_layer.actors import Actor
from tests.conftest import Clock

START, END = date(2026, 10, 1), date(2026, 10, 14)


def actor(registry: Registry, username: str) -> Actor:
    with registry.uow(write=False) as uow:
        user = uow.users.by_username(username)
    assert user is not None
    return Actor(name=user.username, role=user.role, user_id=user.id,
                 organisation_id=user.organisation_id)


def build_programme(registry: Registry, clock: Clock, *, sites: int = 10,
                    periods: tuple[tuple[date, date], ...] = ((START, END),),
                    faults: tuple[str, ...] = ("night_generation", "stuck_meter",
                                               "gap_interpolated"),
                    ingest: bool = True) -> tuple[Fleet, str]:
    """The demo's users; a new programme registered before the data begin, with a period
    of two weeks; 10 households (one with night generation, one with a stuck meter, one
    with a gap filled by linear interpolation) whose batches were all ingested."""
    today = clock.now
    clock.now = datetime(2026, 9, 15, 3, tzinfo=UTC)
    seed_demo(registry)
    taiyo, shinsa, iinkai = (actor(registry, u) for u in ("taiyo", "shinsa", "iinkai"))
    bus = registry.bus
    with registry.uow(write=False) as uow:
        account = uow.accounts.list(organisation_id=taiyo.organisation_id)[0].number
    project = bus.handle(c.CreateProject(
        name="計測プログラム", project_type="PROGRAMME", methodology="EN-R-002",
        holder_account=account, prefecture="岐阜県", address="岐阜県岐阜市薮田南2-1-1",
        start_date="2026-04-01", monitoring_start="2026-04-01"), actor=taiyo).data["number"]
    days = (max(e for _, e in periods) - START).days + 1
    fleet = simulate_fleet(sites=sites, days=days, seed=21, start=START, project=project,
                           region="chubu", faults=faults, fault_sites=1)
    fleet.form = "series"
    register_fleet(registry, fleet, taiyo, project)
    bus.handle(c.AssignVerifier(project=project, verifier=VERIFIER_ORG[1]), actor=taiyo)
    for who, action in ((taiyo, "submit_for_validation"), (shinsa, "complete_validation"),
                        (taiyo, "apply_for_registration"), (iinkai, "register")):
        bus.handle(c.ProjectTransition(project=project, action=action), actor=who)
    for first, last in periods:
        bus.handle(c.OpenMonitoringPeriod(project=project, period_start=first.isoformat(),
                                          period_end=last.isoformat()), actor=taiyo)
    clock.now = today
    if ingest:
        assert sum(o.status == "ACCEPTED" for o in ingest_fleet(registry, fleet)) \
            == sites * days
    return fleet, project

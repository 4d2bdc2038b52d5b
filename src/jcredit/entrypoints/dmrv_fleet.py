"""Load a simulated fleet into a registry: its households as activities of a programme,
its devices with their keys, and (optionally) its batches through the ingestion pipeline.
The demo data, the benchmarks and the end-to-end tests all load fleets this way; an operator
does the same with ``jcredit project add-activities``, ``jcredit dmrv device import`` and
``jcredit dmrv import`` (docs/dmrv.md §6)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

from jcredit.bootstrap import Registry
from jcredit.entrypoints.dmrv_tables import register_devices_command
from jcredit.entrypoints.tables_in import add_activities_command
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.dmrv.ingest import Incoming
from jcredit.service_layer.dmrv.ingest import Outcome

if TYPE_CHECKING:  # the simulator imports numpy and pvlib: not on every CLI start
    from jcredit.adapters.dmrv.simulator import Fleet


def register_fleet(registry: Registry, fleet: Fleet, actor: Actor, project: str, *,
                   activities: bool = True) -> None:
    """The fleet's households as activities of ``project`` (unless they exist) and its
    devices, each in one transaction."""
    if activities:
        registry.bus.handle(add_activities_command(project, fleet.activities_csv()),
                            actor=actor)
    registry.bus.handle(register_devices_command(fleet.devices_csv()), actor=actor)


def ingest_fleet(registry: Registry, fleet: Fleet, *, group: int = 1000,
                 progress: Callable[[int], None] | None = None) -> list[Outcome]:
    """Every batch file of the fleet (duplicates, conflicts and tampered ones included)
    through the ingestion pipeline, in groups."""
    return ingest_in_groups(registry, (Incoming(b.data, "json", None, "file", b.name)
                                       for b in fleet.envelopes()), group=group,
                            progress=progress)


def ingest_in_groups(registry: Registry, items: Iterable[Incoming], *, group: int = 1000,
                     progress: Callable[[int], None] | None = None) -> list[Outcome]:
    """Batches through the ingestion pipeline ``group`` at a time (one transaction, one pack
    and one Parquet part per group), calling ``progress(n)`` as each chunk of ``n`` is
    checked."""
    outcomes: list[Outcome] = []
    pending: list[Incoming] = []
    for item in items:
        pending.append(item)
        if len(pending) >= group:
            outcomes += registry.ingestor.ingest(pending, progress)
            pending = []
    if pending:
        outcomes += registry.ingestor.ingest(pending, progress)
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    counts: dict[str, Any] = {"ACCEPTED": 0, "HELD": 0, "REFUSED": 0, "replayed": 0}
    for outcome in outcomes:
        counts["replayed" if outcome.replayed else outcome.status] += 1
    return counts
